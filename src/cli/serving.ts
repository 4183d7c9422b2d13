import { accessState, expiryFromTtl } from "../access/state.js";
import { loadConfig, updateConfig } from "../config/store.js";
import { closeOnSignals, listen, type RunningServer } from "../server/listen.js";
import { startOwnerDashboard, type OwnerDashboard } from "../dashboard/start.js";
import { promptApprovalsInTerminal } from "../dashboard/terminalPrompt.js";
import { CliError, print } from "./io.js";

export interface ServeOptions {
  home: string;
  host?: string;
  port?: number;
  ttlMinutes?: number;
  /** Runs on Ctrl-C/SIGTERM before the server closes (`up` stops its tunnel here). */
  onClose?: () => Promise<void>;
  /** Replaces the "Public URL" line, e.g. while a tunnel is about to give a new one. */
  publicUrlNote?: string;
  /** The dashboard's port (default: config dashboard.port, 8767; 0 picks a free one). */
  dashboardPort?: number;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** Apply --ttl-minutes, listen, and print where the server is. Shared by `serve` and `up`. */
export async function startServing(options: ServeOptions): Promise<RunningServer> {
  if (options.ttlMinutes !== undefined) {
    updateConfig(options.home, (c) => {
      c.access.expires_at = expiryFromTtl(options.ttlMinutes);
    });
  }
  const config = loadConfig(options.home);
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  let server: RunningServer;
  try {
    server = await listen({ home: options.home, host, port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new CliError(
        `port ${port} on ${host} is already in use. Is another chatgpt-codex server running? Check with: curl http://${host}:${port}/health — or pick another port with --port`,
      );
    }
    throw error;
  }
  const state = accessState(config);
  const active = config.active_workspace ?? config.workspaces[0]?.name ?? "(none)";
  print(`chatgpt-codex listening on ${server.url}`);
  print(`Port: ${server.port}`);
  print(`Active workspace: ${active}`);
  print(`Public URL: ${options.publicUrlNote ?? config.public_base_url ?? "(not set)"}`);
  print(
    `Access: ${state.state}${state.active ? (state.expires_at ? ` until ${state.expires_at}` : " (no expiry; stop with Ctrl-C or chatgpt-codex channel revoke)") : ` — ${state.reason}`}`,
  );
  if (!LOOPBACK.has(host)) {
    print(`Warning: listening on ${host}, not only on this computer. Anyone on your network can reach it (the token still applies).`);
  }
  const dashboard = await startDashboardBeside(options, server, config.dashboard);
  const stopPrompt = dashboard && process.stdin.isTTY ? promptApprovalsInTerminal(dashboard.approvals, process.stdin, (text) => process.stdout.write(text)) : undefined;
  closeOnSignals(
    async () => {
      stopPrompt?.();
      await options.onClose?.();
      await dashboard?.close();
      await server.close();
    },
    (signal) => print(`\n${signal}: stopping (running commands are killed)…`),
  );
  return server;
}

/** The owner's dashboard on its own port; a busy port is a warning, not a failure of the server. */
async function startDashboardBeside(
  options: ServeOptions,
  server: RunningServer,
  settings: { enabled: boolean; port: number },
): Promise<OwnerDashboard | undefined> {
  if (!settings.enabled && options.dashboardPort === undefined) return undefined;
  const port = options.dashboardPort ?? settings.port;
  if (port !== 0 && port === server.port) {
    print(`Dashboard: not started — its port ${port} is the Actions server's port (which a tunnel may forward). Set another with --dashboard-port.`);
    return undefined;
  }
  try {
    const dashboard = await startOwnerDashboard(options.home, server, port);
    print(`Dashboard: ${dashboard.url} — one-time login link (this computer only): ${dashboard.loginUrl()}`);
    print("  A new link any time: chatgpt-codex dashboard");
    return dashboard;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    print(`Dashboard: not started (${code === "EADDRINUSE" ? `port ${port} is in use; pick another with --dashboard-port` : (error as Error).message}).`);
    return undefined;
  }
}
