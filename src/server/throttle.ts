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

/**
 * Failures per key in two fixed windows (see AuthThrottle for why the sum of
 * the current and the previous window is a safe bound). Only keys that failed
 * get an entry; when `maxKeys` are kept, the oldest entry is dropped (Map
 * order), so memory stays bounded whatever names callers make up.
 */
export class WindowCounts {
  private readonly counts = new Map<string, Counter>();

  constructor(
    readonly windowMs = 60_000,
    private readonly maxKeys = 4096,
  ) {}

  /** Failures of `key` in the current and the previous window: never less than in the last windowMs. */
  count(key: string, now = Date.now()): number {
    const counter = this.counts.get(key);
    if (!counter) return 0;
    roll(counter, this.windowOf(now));
    return counter.current + counter.previous;
  }

  add(key: string, now = Date.now()): void {
    const window = this.windowOf(now);
    let counter = this.counts.get(key);
    if (!counter) {
      if (this.counts.size >= this.maxKeys) {
        const oldest = this.counts.keys().next().value;
        if (oldest !== undefined) this.counts.delete(oldest);
      }
      counter = { window, current: 0, previous: 0 };
      this.counts.set(key, counter);
    }
    roll(counter, window);
    counter.current++;
  }

  /** Seconds until the previous window no longer counts. */
  retryAfter(now = Date.now()): number {
    return Math.max(1, Math.ceil(((this.windowOf(now) + 1) * this.windowMs - now) / 1000));
  }

  /** Keys currently tracked (for tests and diagnostics). */
  get size(): number {
    return this.counts.size;
  }

  private windowOf(now: number): number {
    return Math.floor(now / this.windowMs);
  }
}

export class AuthThrottle {
  private readonly clients: WindowCounts;
  private readonly global: WindowCounts;

  constructor(
    private readonly perClientLimit: () => number,
    windowMs = 60_000,
    private readonly globalLimit = 500,
    maxClients = 4096,
  ) {
    this.clients = new WindowCounts(windowMs, maxClients);
    this.global = new WindowCounts(windowMs, 1);
  }

  /** Record a failed attempt; returns seconds to wait when over the limit, else 0. */
  recordFailure(client: string, now = Date.now()): number {
    const limit = Math.max(1, this.perClientLimit());
    const clientOver = this.clients.count(client, now) >= limit;
    const globalOver = this.global.count("", now) >= this.globalLimit;
    if (clientOver || globalOver) return this.clients.retryAfter(now);
    this.clients.add(client, now);
    this.global.add("", now);
    return 0;
  }

  /** Clients currently tracked (for tests and diagnostics). */
  get size(): number {
    return this.clients.size;
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
