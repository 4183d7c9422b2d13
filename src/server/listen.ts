import type { AnyAction } from "../actions/define.js";
import { buildServer, type CodexServer } from "./app.js";

export interface ListenOptions {
  home: string;
  host?: string;
  port?: number;
  requestLog?: NodeJS.WritableStream | null;
  /** The actions to serve (default: the registry); api-smoke injects its own list. */
  actions?: readonly AnyAction[];
}

export interface RunningServer extends CodexServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Build the server and listen on host:port (port 0 = a free port). */
export async function listen(options: ListenOptions): Promise<RunningServer> {
  const server = buildServer({ home: options.home, requestLog: options.requestLog, actions: options.actions });
  const config = server.store.current();
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  await server.app.listen({ host, port });
  const address = server.app.server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  return {
    ...server,
    url: server.localUrl(),
    port: actualPort,
    close: () => server.app.close(),
  };
}

/** Close the server on SIGINT/SIGTERM: running jobs are killed, open requests answered 503. */
export function closeOnSignals(close: () => Promise<void>, onSignal?: (signal: string) => void): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) {
      process.exit(130);
    }
    closing = true;
    onSignal?.(signal);
    const force = setTimeout(() => process.exit(1), 5_000);
    force.unref();
    close()
      .catch((error: unknown) => process.stderr.write(`shutdown error: ${String(error)}\n`))
      .finally(() => process.exit(0));
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
}
