/**
 * Who gives way when a table that anyone at the public URL can fill is full.
 *
 * The consent requests waiting in memory and the registered clients without a
 * grant are both bounded, and both are filled by whoever reaches the URL. A
 * full table must never refuse the owner or drop what the owner just made, so
 * room is taken from whoever holds the most: the owner connects once (one
 * client, one waiting request), a stranger filling a table holds many.
 *
 * Behind a tunnel every caller may be 127.0.0.1, so the address alone cannot
 * tell the owner from a stranger; the client does. From one address there are
 * at most MAX_CLIENTS clients without a grant (its own registrations drop its
 * own, see clientsToDrop), and the waiting table has room for twice as many
 * requests, so once it is full some client holds two or more and the owner's
 * single request is not the one to go. From many addresses, the address with
 * the most waiting requests goes first: to reach the owner's request a
 * stranger needs as many addresses as the table has slots, each holding one.
 */

/** A waiting consent request as the table sees it. */
export interface WaitingRequest {
  id: string;
  client_id: string;
  /** The address that opened it. */
  from: string;
}

/**
 * The request to replace when the waiting table is full: the oldest request of
 * the client with the most waiting requests; on a tie, of the client whose
 * address has the most, then of the client whose oldest request is oldest.
 * `waiting` is oldest first. Undefined only when nothing waits.
 */
export function requestToReplace(waiting: Iterable<WaitingRequest>): string | undefined {
  const perClient = new Map<string, { count: number; oldest: string; order: number; from: string }>();
  const perAddress = new Map<string, number>();
  let order = 0;
  for (const request of waiting) {
    const seen = perClient.get(request.client_id);
    if (seen) seen.count++;
    else perClient.set(request.client_id, { count: 1, oldest: request.id, order: order, from: request.from });
    perAddress.set(request.from, (perAddress.get(request.from) ?? 0) + 1);
    order++;
  }
  let best: { count: number; oldest: string; order: number; address: number } | undefined;
  for (const c of perClient.values()) {
    const candidate = { count: c.count, oldest: c.oldest, order: c.order, address: perAddress.get(c.from) ?? 0 };
    if (
      !best ||
      candidate.count > best.count ||
      (candidate.count === best.count && (candidate.address > best.address || (candidate.address === best.address && candidate.order < best.order)))
    ) {
      best = candidate;
    }
  }
  return best?.oldest;
}

/** A registered client without a grant, as the client table sees it. */
export interface UngrantedClient {
  client_id: string;
  /** The address that registered it; "" when unknown (registered before the server started). */
  from: string;
  /** It has a consent request waiting now. */
  waiting: boolean;
}

/**
 * Which clients without a grant to drop so that at most `max` are kept after
 * `registrant` (an address) registered `fresh`. `clients` is oldest first and
 * includes `fresh`, which is never dropped.
 *
 * Room is taken from the address that registered the most of them, its oldest
 * first (not the globally oldest client, which would let a churning stranger
 * push out the owner's fresh one). A client with a waiting request is dropped
 * only by a registration from the address that registered it: a stranger
 * churning from his address uses up his own clients, never a waiting one of
 * another address. When only such clients are left, the table stays over
 * `max`; it is still bounded, since each of them holds one of the bounded
 * waiting requests.
 *
 * Behind a tunnel the owner shares the stranger's address, so there it is age
 * alone: within one address the oldest goes first, waiting or not (preferring
 * clients without a waiting request would hand the stranger the owner's client
 * in the moments between its registration and its consent page). The owner's
 * client then outlives `max` - 1 later registrations from that address.
 */
export function clientsToDrop(clients: readonly UngrantedClient[], fresh: string, registrant: string, max: number): string[] {
  const kept = [...clients];
  const dropped: string[] = [];
  while (kept.length > max) {
    const sizes = new Map<string, number>();
    for (const c of kept) sizes.set(c.from, (sizes.get(c.from) ?? 0) + 1);
    // Per address, its oldest client that may be dropped; then the address with the most clients.
    const first = new Map<string, number>();
    kept.forEach((c, index) => {
      if (c.client_id === fresh || (c.waiting && c.from !== registrant) || first.has(c.from)) return;
      first.set(c.from, index);
    });
    let victim: number | undefined;
    for (const [from, index] of first) {
      if (victim === undefined || sizes.get(from)! > sizes.get(kept[victim]!.from)!) victim = index;
    }
    if (victim === undefined) break;
    dropped.push(kept[victim]!.client_id);
    kept.splice(victim, 1);
  }
  return dropped;
}
