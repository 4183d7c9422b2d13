/**
 * Failed-auth throttling in constant time and bounded memory.
 *
 * Each client has two counters: failures in the current fixed window and in
 * the previous one. Their sum is at least the failures of the last full window
 * (any 60 s span lies within the two), so "over the limit" can never come late;
 * it may come early, which only costs an attacker. A client already over its
 * limit is not recorded further. At most `maxClients` clients are kept: when
 * full, the oldest entry is dropped (Map order), so a flood of fresh client
 * names costs O(1) each and cannot grow memory; a global ceiling (same two
 * counters) covers clients that look like many. A request with the valid token
 * is never refused here: the caller only consults this after the token check
 * failed.
 */
interface Counter {
  window: number;
  current: number;
  previous: number;
}

export class AuthThrottle {
  private readonly clients = new Map<string, Counter>();
  private readonly global: Counter = { window: 0, current: 0, previous: 0 };

  constructor(
    private readonly perClientLimit: () => number,
    private readonly windowMs = 60_000,
    private readonly globalLimit = 500,
    private readonly maxClients = 4096,
  ) {}

  /** Record a failed attempt; returns seconds to wait when over the limit, else 0. */
  recordFailure(client: string, now = Date.now()): number {
    const window = Math.floor(now / this.windowMs);
    const limit = Math.max(1, this.perClientLimit());
    let counter = this.clients.get(client);
    if (!counter) {
      if (this.clients.size >= this.maxClients) {
        const oldest = this.clients.keys().next().value;
        if (oldest !== undefined) this.clients.delete(oldest);
      }
      counter = { window, current: 0, previous: 0 };
      this.clients.set(client, counter);
    }
    roll(counter, window);
    roll(this.global, window);
    const clientOver = counter.current + counter.previous >= limit;
    const globalOver = this.global.current + this.global.previous >= this.globalLimit;
    if (clientOver || globalOver) return this.retryAfter(now, window);
    counter.current++;
    this.global.current++;
    return 0;
  }

  /** Clients currently tracked (for tests and diagnostics). */
  get size(): number {
    return this.clients.size;
  }

  /** Seconds until the previous window no longer counts. */
  private retryAfter(now: number, window: number): number {
    return Math.max(1, Math.ceil(((window + 1) * this.windowMs - now) / 1000));
  }
}

function roll(counter: Counter, window: number): void {
  if (counter.window === window) return;
  counter.previous = counter.window === window - 1 ? counter.current : 0;
  counter.current = 0;
  counter.window = window;
}

/** Which forwarding header a tunnel started by this process sets (and overwrites): null when none is trusted. */
export type TrustedForwarding = "cloudflared" | "ngrok" | null;

/**
 * Who is calling, for throttling. The socket address, except for loopback
 * connections when this very process started the tunnel: then the header that
 * tunnel sets names the client (cloudflared: cf-connecting-ip, which
 * Cloudflare overwrites; ngrok: the last x-forwarded-for entry, which ngrok
 * appends). Without a tunnel of ours, forwarding headers are ignored and all
 * loopback traffic is one client: anyone on this computer could write them.
 */
export function clientKey(socket: string | undefined, headers: Record<string, string | string[] | undefined>, trusted: TrustedForwarding): string {
  const address = socket ?? "unknown";
  const loopback = address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1";
  if (!loopback || trusted === null) return address;
  let forwarded: string | undefined;
  if (trusted === "cloudflared") {
    const cf = headers["cf-connecting-ip"];
    forwarded = Array.isArray(cf) ? cf[0] : cf;
  } else {
    const xff = headers["x-forwarded-for"];
    forwarded = (Array.isArray(xff) ? xff.at(-1) : xff)?.split(",").at(-1);
  }
  const client = forwarded?.trim().slice(0, 64);
  return client ? `tunnel>${client}` : address;
}
