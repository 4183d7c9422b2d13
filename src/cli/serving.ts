import type { TunnelHandle } from "../tunnel/types.js";
import { accessState, expiryFromTtl } from "../access/state.js";
import { loadConfig, updateConfig } from "../config/store.js";
import { closeOnSignals, listen, type RunningServer } from "../server/listen.js";
import { t } from "./i18n/index.js";
import { startOwnerDashboard, type OwnerDashboard } from "../dashboard/start.js";
import { promptApprovalsInTerminal } from "../dashboard/terminalPrompt.js";
import { sandboxStatus } from "../sandbox/status.js";
import { sandboxBanner } from "./sandboxText.js";
import { CliError, print } from "./io.js";
import { troubleLine } from "./configText.js";
import { yellow } from "./style.js";
import { claimServerLock, LockUnreadable, type Claim, type ServerLock } from "../server/instanceLock.js";
import { refuseBroadWorkspaces } from "./workspaces.js";

export interface ServeOptions {
  home: string;
  /** The tunnel `up` runs beside the server (started after it), for the dashboard's route entry. */
  route?: () => TunnelHandle | undefined;
  host?: string;
  port?: number;
  ttlMinutes?: number;
  /** Runs on Ctrl-C/SIGTERM before the server closes (`up` stops its tunnel here). */
  onClose?: () => Promise<void>;
  /** Replaces the "Public URL" line, e.g. while a tunnel is about to give a new one. */
  publicUrlNote?: string;
  /** The dashboard's port (default: config dashboard.port, 8767; 0 picks a free one). */
  dashboardPort?: number;
  /** The config folder's lock, when the caller took it already (`up` does, before it writes the config). */
  lock?: ServerLock;
}

/**
 * Take the config folder for this process, or stop with who has it (exit 1). Released
 * when the process ends, however it ends short of SIGKILL (then the next server takes over
 * the stale lock).
 */
export function claimServer(home: string): ServerLock {
  let claim: Claim;
  try {
    claim = claimServerLock(home);
  } catch (error) {
    if (error instanceof LockUnreadable) throw new CliError(t("serve.lockUnreadable", { file: error.file }));
    throw error;
  }
  if (!claim.ok) {
    const { pid, port, url } = claim.running;
    throw new CliError(
      t("serve.alreadyRunning", { home, pid, port: port ?? t("serve.starting"), url: url ?? t("serve.starting") }),
    );
  }
  process.once("exit", () => claim.lock.release());
  return claim.lock;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** Apply --ttl-minutes, listen, and print where the server is. Shared by `serve` and `up`. */
export async function startServing(options: ServeOptions): Promise<RunningServer> {
  // Before anything is written: a config from before the broad-folder refusal may hold one.
  refuseBroadWorkspaces(loadConfig(options.home));
  const lock = options.lock ?? claimServer(options.home);
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
    lock.release();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new CliError(t("serve.portInUse", { port, host }));
    }
    throw error;
  }
  lock.update({ host, port: server.port, url: server.url });
  const sandbox = await sandboxStatus(config.sandbox);
  const state = accessState(config);
  const active = config.active_workspace ?? config.workspaces[0]?.name ?? t("common.none");
  print(t("serve.listening", { url: server.url }));
  print(t("serve.port", { port: server.port }));
  print(t("serve.activeWorkspace", { name: active }));
  print(t("serve.publicUrl", { url: options.publicUrlNote ?? config.public_base_url ?? t("common.notSet") }));
  print(
    t("serve.access", {
      state: state.state,
      more: state.active ? (state.expires_at ? t("serve.until", { time: state.expires_at }) : t("serve.noExpiry")) : ` — ${state.reason}`,
    }),
  );
  print(sandboxBanner(sandbox));
  if (!LOOPBACK.has(host)) print(yellow(t("serve.notLoopback", { host })));
  const stopWatching = reportConfigTrouble(server);
  const dashboard = await startDashboardBeside(options, server, config.dashboard);
  const stopPrompt = dashboard && process.stdin.isTTY ? promptApprovalsInTerminal(dashboard.approvals, process.stdin, (text) => process.stdout.write(text)) : undefined;
  closeOnSignals(
    async () => {
      stopPrompt?.();
      stopWatching();
      await options.onClose?.();
      await dashboard?.close();
      await server.close();
      lock.release();
    },
    (signal) => print(`\n${t("serve.stopping", { signal })}`),
  );
  return server;
}

/** How often the config file is looked at when no request comes (one fstat while it is unchanged). */
const CONFIG_CHECK_MS = 1_000;

/**
 * One line on stderr (so `up --json` keeps it too) when the config file stops loading,
 * when its problem changes, and when it loads again: the server runs on meanwhile, and
 * without this the owner would only see answers they did not expect.
 */
function reportConfigTrouble(server: RunningServer): () => void {
  const file = server.store.file;
  const off = server.store.onTrouble((trouble) => {
    const line = troubleLine(trouble, file);
    process.stderr.write(`${trouble === null ? line : yellow(line)}\n`);
  });
  const timer = setInterval(() => server.store.trouble(), CONFIG_CHECK_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    off();
  };
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
    print(yellow(t("dashboard.samePort", { port })));
    return undefined;
  }
  try {
    const dashboard = await startOwnerDashboard(options.home, server, port, options.route);
    print(t("dashboard.started", { url: dashboard.url, login: dashboard.loginUrl() }));
    print(t("dashboard.newLink"));
    return dashboard;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    print(yellow(t("dashboard.notStarted", { why: code === "EADDRINUSE" ? t("dashboard.portBusy", { port }) : (error as Error).message })));
    return undefined;
  }
}
