import type { TunnelHandle } from "../tunnel/types.js";
import type { AuditLog } from "../audit/log.js";
import type { CodexServer } from "../server/app.js";
import { approvalQueue } from "../approvals/held.js";
import { boxesSource } from "./boxes.js";
import { coreSources } from "./coreSources.js";
import { startDashboard, type DashboardServer } from "./server.js";
import type { DashboardSources } from "./sources.js";
import { clearServerState, createTicket, writeServerState } from "./tickets.js";
import type { ApprovalQueue } from "../approvals/queue.js";
import { findAction } from "../actions/registry.js";
import { runAction } from "../core/runAction.js";
import { GrantStore, grantStatus } from "../oauth/grants.js";
import { sandboxStatus } from "../sandbox/status.js";

export interface OwnerDashboard {
  server: DashboardServer;
  url: string;
  /** A fresh one-time login URL. */
  loginUrl(lang?: "en" | "zh"): string;
  approvals: ApprovalQueue;
  close(): Promise<void>;
}

/**
 * Providers owned by other concerns (checkpoints, connector grants, sandbox and its boxes).
 * Absent here: their panels say "not available". Wire them in this one place.
 */
export function optionalSources(server: CodexServer): Pick<DashboardSources, "checkpoints" | "grants" | "sandbox" | "boxes"> {
  // Checkpoints go through the actions themselves: the same locks, the checkpoint a restore
  // takes first, and an audit line (face "dashboard") for each Restore. The page's own reads
  // (the list it loads with every page, a Diff) write none: the owner looking is not an action.
  const audit = server.app.codex.audit;
  const quiet = quietAudit(audit);
  const call = async <T>(name: string, input: unknown, record = true): Promise<T> => {
    const action = findAction(name);
    if (!action) throw new Error(`${name} is not available`);
    const env = { store: server.store, resources: server.resources, audit: record ? audit : quiet, face: "dashboard" as const, client: "owner" };
    const result = await runAction(action, input, env);
    if (!result.ok) throw new Error(result.error.message);
    return result.body as T;
  };
  const grants = new GrantStore(server.store.home);
  return {
    checkpoints: {
      list: (limit) => call("list_checkpoints", { limit }, false),
      diff: (id, options = {}) => call("checkpoint_diff", { id, ...(options.to ? { to: options.to } : {}), ...(options.path ? { path: options.path } : {}) }, false),
      restore: (id, options = {}) => call("restore_checkpoint", { id, ...(options.paths?.length ? { paths: options.paths } : {}) }),
    },
    grants: {
      list: async () => {
        const config = server.store.current();
        return grants
          .read()
          .grants.filter((grant) => grantStatus(grant, config).status === "active")
          .map((grant) => ({ id: grant.id, client_name: grant.client_name, scopes: grant.scopes, created_at: grant.created_at, last_used_at: grant.refreshed_at ?? null }));
      },
      revoke: async (id) => grants.revoke(id),
    },
    sandbox: {
      status: async () => {
        const settings = server.store.current().sandbox;
        const status = await sandboxStatus(settings);
        return { active: status.active, kind: status.kind, network: settings.network, box: status.active && status.kind === "bubblewrap" && settings.box };
      },
    },
    boxes: boxesSource({ store: server.store, resources: server.resources, audit: server.app.codex.audit }),
  };
}

/** The audit log with its writes dropped (everything else, e.g. subscribe, as the real one). */
function quietAudit(audit: AuditLog): AuditLog {
  const quiet = Object.create(audit) as AuditLog;
  quiet.write = () => undefined;
  return quiet;
}

export function loginUrl(base: string, ticket: string, lang?: "en" | "zh"): string {
  return `${base}/login?ticket=${ticket}${lang ? `&lang=${lang}` : ""}`;
}

/**
 * Start the dashboard beside a running Actions server, on its own loopback
 * port (never the server's: a tunnel forwards that one, and tunnel traffic
 * arrives from loopback too). Records where it listens for `chatgpt-codex dashboard`.
 */
export async function startOwnerDashboard(home: string, server: CodexServer, port: number, route?: () => TunnelHandle | undefined): Promise<OwnerDashboard> {
  const core = coreSources({ store: server.store, resources: server.resources, audit: server.app.codex.audit, localUrl: server.localUrl, ...(route ? { route } : {}) });
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
