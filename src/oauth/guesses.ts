import { WindowCounts } from "../server/throttle.js";

/**
 * How many pairing-code guesses the consent page lets through, and whose.
 *
 * Anyone who reaches the public URL can register a client and open a consent
 * request, so nothing a stranger does may void the owner's code or make the
 * owner wait. Wrong tries are therefore counted where a stranger cannot reach
 * the owner:
 *
 * - per consent request: 5 wrong tries, then that request is dead (the code
 *   itself lives on and works in a fresh request);
 * - per client_id: 10 per minute, then that client waits (429). A stranger
 *   does not see the owner's client_id (random, known to the owner's ChatGPT);
 * - per address: 30 per minute, and in all: 300 per minute. Behind a tunnel
 *   every caller may be 127.0.0.1, so these two would let a stranger hold the
 *   owner back. They only slow down, and only clients that already failed
 *   FRESH times in the current and the previous minute: a client's first 5
 *   wrong tries are never held back by what other clients did.
 *
 * Why guessing stays hopeless. A code is 8 characters of a 31-letter alphabet:
 * 31^8 ≈ 8.5 × 10^11 (≈ 2^39.6) codes, and it lives at most 10 minutes, which
 * touch at most 11 one-minute windows.
 * - Tries let through under the ceiling: the two-window count keeps each
 *   minute under 300, so at most 11 × 300 = 3,300.
 * - Tries let through as a client's first 5: at most 5 per client per two
 *   minutes, so 30 per client over the code's life. A client must be
 *   registered, and registration allows at most 500 in any two minutes; a
 *   consent request lives 10 minutes, so the clients that can guess during one
 *   code were registered within some 20 minutes: at most 11 × 500 + 1,200
 *   kept clients (400 without a grant, and more only while each holds one of
 *   the 800 waiting requests; slots.ts) < 7,000, so at most 210,000 tries.
 * Together fewer than 2^18 (262,144) guesses per code: the chance that any
 * stranger guesses a code is below 2^18 / 31^8 ≈ 3 × 10^-7, and the owner's
 * client is never refused for it.
 *
 * The per-client and per-address maps hold at most 8,192 and 4,096 keys
 * (oldest dropped). More than 7,000 client_ids cannot be in play, so dropping
 * one never hands a guessing client a fresh start; a dropped address only
 * loses a limit that the global ceiling still covers.
 */
export const TRIES_PER_REQUEST = 5;
export const GUESS_LIMITS = {
  perClient: 10,
  perAddress: 30,
  global: 300,
  /** A client's first this-many wrong tries are never held back by other clients' failures. */
  fresh: 5,
  windowMs: 60_000,
} as const;

export type GuessVerdict = { allowed: true } | { allowed: false; retryAfter: number; reason: "client" | "busy" };

export class PairingGuesses {
  private readonly clients = new WindowCounts(GUESS_LIMITS.windowMs, 8192);
  private readonly addresses = new WindowCounts(GUESS_LIMITS.windowMs, 4096);
  private readonly all = new WindowCounts(GUESS_LIMITS.windowMs, 1);

  /** May this client, calling from this address, try a code now? Consulted before the code is read. */
  check(clientId: string, address: string, now = Date.now()): GuessVerdict {
    const mine = this.clients.count(clientId, now);
    if (mine >= GUESS_LIMITS.perClient) return { allowed: false, retryAfter: this.clients.retryAfter(now), reason: "client" };
    if (mine < GUESS_LIMITS.fresh) return { allowed: true };
    const busy = this.addresses.count(address, now) >= GUESS_LIMITS.perAddress || this.all.count("", now) >= GUESS_LIMITS.global;
    return busy ? { allowed: false, retryAfter: this.all.retryAfter(now), reason: "busy" } : { allowed: true };
  }

  /** A wrong code was typed: it counts for the client, its address and in all. */
  recordWrong(clientId: string, address: string, now = Date.now()): void {
    this.clients.add(clientId, now);
    this.addresses.add(address, now);
    this.all.add("", now);
  }

  /** Keys kept (for tests and diagnostics). */
  get tracked(): { clients: number; addresses: number } {
    return { clients: this.clients.size, addresses: this.addresses.size };
  }
}
