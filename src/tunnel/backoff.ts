export interface BackoffOptions {
  /** First delay before jitter. */
  baseMs?: number;
  /** Ceiling before jitter. */
  maxMs?: number;
  /** 0..1 → a delay in [ceiling/2, ceiling]; injectable so tests are exact. */
  random?: () => number;
}

/**
 * Exponential backoff with jitter for restarting a crashed tunnel: 1 s, 2 s,
 * 4 s … up to a minute, each scaled into its upper half at random so a flaky
 * network is not hammered in lockstep. `reset()` after a stable run starts the
 * series over, so a tunnel that crashes once a day restarts at once.
 */
export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 1_000;
    this.maxMs = options.maxMs ?? 60_000;
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; each call doubles the ceiling. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    this.attempt += 1;
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
