/**
 * Failed-auth throttling. Counts bad-token attempts per client in a sliding
 * minute and answers 429 once a client passes the limit. A request with the
 * valid token is never refused here: the caller only consults this after the
 * token check failed. A global ceiling covers clients that forge forwarding
 * headers to look like many.
 */
export class AuthThrottle {
  private readonly failures = new Map<string, number[]>();
  private globalFailures: number[] = [];

  constructor(
    private readonly perClientLimit: () => number,
    private readonly windowMs = 60_000,
    private readonly globalLimit = 500,
  ) {}

  /** Record a failed attempt; returns seconds to wait when over the limit, else 0. */
  recordFailure(client: string, now = Date.now()): number {
    const cutoff = now - this.windowMs;
    const list = (this.failures.get(client) ?? []).filter((t) => t > cutoff);
    list.push(now);
    this.failures.set(client, list);
    this.globalFailures = this.globalFailures.filter((t) => t > cutoff);
    this.globalFailures.push(now);
    if (this.failures.size > 10_000) this.prune(cutoff);
    const over =
      list.length > this.perClientLimit() ? list : this.globalFailures.length > this.globalLimit ? this.globalFailures : null;
    if (!over) return 0;
    return Math.max(1, Math.ceil((over[0]! + this.windowMs - now) / 1000));
  }

  private prune(cutoff: number): void {
    for (const [client, list] of this.failures) {
      if (list.every((t) => t <= cutoff)) this.failures.delete(client);
    }
  }
}
