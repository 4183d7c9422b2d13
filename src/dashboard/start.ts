import type { CodexServer } from "../server/app.js";
import { approvalQueue } from "../approvals/held.js";
import { coreSources } from "./coreSources.js";
import { startDashboard, type DashboardServer } from "./server.js";
import type { DashboardSources } from "./sources.js";
import { clearServerState, createTicket, writeServerState } from "./tickets.js";
import type { ApprovalQueue } from "../approvals/queue.js";

export interface OwnerDashboard {
  server: DashboardServer;
  url: string;
  /** A fresh one-time login URL. */
  loginUrl(lang?: "en" | "zh"): string;
  approvals: ApprovalQueue;
  close(): Promise<void>;
}

/**
 * Providers owned by other concerns (checkpoints, connector grants, sandbox).
 * Absent here: their panels say "not available". Wire them in this one place.
 */
export function optionalSources(_server: CodexServer): Pick<DashboardSources, "checkpoints" | "grants" | "sandbox"> {
  return {};
}

export function loginUrl(base: string, ticket: string, lang?: "en" | "zh"): string {
  return `${base}/login?ticket=${ticket}${lang ? `&lang=${lang}` : ""}`;
}

/**
 * Start the dashboard beside a running Actions server, on its own loopback
 * port (never the server's: a tunnel forwards that one, and tunnel traffic
 * arrives from loopback too). Records where it listens for `chatgpt-codex dashboard`.
 */
export async function startOwnerDashboard(home: string, server: CodexServer, port: number): Promise<OwnerDashboard> {
  const core = coreSources({ store: server.store, resources: server.resources, audit: server.app.codex.audit, localUrl: server.localUrl });
  let dashboard: DashboardServer;
  try {
    dashboard = await startDashboard({ home, port, sources: { ...core, ...optionalSources(server) } });
  } catch (error) {
    core.close();
    throw error;
  }
  writeServerState(home, { pid: process.pid, url: dashboard.url, started_at: new Date().toISOString() });
  return {
    server: dashboard,
    url: dashboard.url,
    loginUrl: (lang) => loginUrl(dashboard.url, createTicket(home), lang),
    approvals: approvalQueue(server.resources),
    close: async () => {
      clearServerState(home);
      core.close();
      await dashboard.close();
    },
  };
}
