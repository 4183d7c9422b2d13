import { accessState, expiryFromTtl } from "../access/state.js";
import { loadConfig, updateConfig } from "../config/store.js";
import { closeOnSignals, listen, type RunningServer } from "../server/listen.js";
import { t } from "./i18n/index.js";
import { CliError, print } from "./io.js";
import { yellow } from "./style.js";

export interface ServeOptions {
  home: string;
  host?: string;
  port?: number;
  ttlMinutes?: number;
  /** Runs on Ctrl-C/SIGTERM before the server closes (`up` stops its tunnel here). */
  onClose?: () => Promise<void>;
  /** Replaces the "Public URL" line, e.g. while a tunnel is about to give a new one. */
  publicUrlNote?: string;
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
      throw new CliError(t("serve.portInUse", { port, host }));
    }
    throw error;
  }
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
  if (!LOOPBACK.has(host)) print(yellow(t("serve.notLoopback", { host })));
  closeOnSignals(
    async () => {
      await options.onClose?.();
      await server.close();
    },
    (signal) => print(`\n${t("serve.stopping", { signal })}`),
  );
  return server;
}
