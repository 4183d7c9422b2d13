import { accessState, expiryFromTtl } from "../access/state.js";
import { loadConfig, updateConfig } from "../config/store.js";
import { closeOnSignals, listen, type RunningServer } from "../server/listen.js";
import { sandboxStatus, sandboxWarning } from "../sandbox/status.js";
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
  const sandbox = await sandboxStatus(config.sandbox);
  const state = accessState(config);
  const active = config.active_workspace ?? config.workspaces[0]?.name ?? "(none)";
  print(`chatgpt-codex listening on ${server.url}`);
  print(`Port: ${server.port}`);
  print(`Active workspace: ${active}`);
  print(`Public URL: ${options.publicUrlNote ?? config.public_base_url ?? "(not set)"}`);
  print(
    `Access: ${state.state}${state.active ? (state.expires_at ? ` until ${state.expires_at}` : " (no expiry; stop with Ctrl-C or chatgpt-codex channel revoke)") : ` — ${state.reason}`}`,
  );
  print(sandboxWarning(sandbox) ?? `Sandbox: ${sandbox.summary}`);
  if (!LOOPBACK.has(host)) {
    print(`Warning: listening on ${host}, not only on this computer. Anyone on your network can reach it (the token still applies).`);
  }
  closeOnSignals(
    async () => {
      await options.onClose?.();
      await server.close();
    },
    (signal) => print(`\n${signal}: stopping (running commands are killed)…`),
  );
  return server;
}
