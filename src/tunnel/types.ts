/** The routes `tunnel` and `up` can start (`none` exists only for `up`). */
export const TUNNEL_PROVIDERS = ["cloudflared", "ngrok", "custom"] as const;
export type TunnelProviderName = (typeof TUNNEL_PROVIDERS)[number];

/** Where progress and trouble are reported; the CLI prints it, tests collect it. */
export interface TunnelLog {
  info(message: string): void;
  warn(message: string): void;
}

/** A running public route. */
export interface TunnelHandle {
  /** Human name, e.g. "cloudflared quick tunnel". */
  kind: string;
  /** The first public base URL (no trailing slash). */
  url: string;
  /** False when the URL changes on every restart (quick tunnels, ngrok without a domain). */
  stable: boolean;
  /** The child's process id, when the route is a child process. */
  pid(): number | undefined;
  /** Stop the route; never leaves a child behind. */
  stop(): Promise<void>;
}

/** A tunnel that could not start; the message says what happened and what to do. */
export class TunnelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TunnelError";
  }
}
