/** The pairing-code guess budget as a pure unit, on a clock of its own. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_CLIENTS, MAX_PENDING, REGISTRATIONS_GLOBAL } from "../../src/oauth/authServer.js";
import { GUESS_LIMITS, PairingGuesses, TRIES_PER_REQUEST } from "../../src/oauth/guesses.js";
import { PAIRING_CODE_SPACE, PAIRING_TTL_MS } from "../../src/oauth/pairing.js";

const MINUTE = GUESS_LIMITS.windowMs;
const T0 = 1_000_000 * MINUTE; // the start of a window

/** Try until refused (bounded); returns how many were let through. */
function tryUntilRefused(g: PairingGuesses, client: string, address: string, now: number, bound = 1_000): number {
  let admitted = 0;
  for (let i = 0; i < bound; i++) {
    if (!g.check(client, address, now).allowed) break;
    g.recordWrong(client, address, now);
    admitted++;
  }
  return admitted;
}

describe("pairing guesses", () => {
  it("one client: refused after its own limit, with a Retry-After within two windows; free again two windows later", () => {
    const g = new PairingGuesses();
    assert.equal(tryUntilRefused(g, "A", "x", T0), GUESS_LIMITS.perClient);
    const verdict = g.check("A", "x", T0 + 1);
    assert.equal(verdict.allowed, false);
    assert.ok(!verdict.allowed && verdict.reason === "client" && verdict.retryAfter >= 1 && verdict.retryAfter <= 2 * MINUTE / 1000);
    assert.equal(g.check("A", "x", T0 + MINUTE).allowed, false, "the previous window still counts");
    assert.equal(g.check("A", "x", T0 + 2 * MINUTE).allowed, true);
  });

  it("a stranger refused on his client and his address does not hold back another client on the same address", () => {
    const g = new PairingGuesses();
    // Behind a tunnel everyone is 127.0.0.1: the stranger spends his clients there.
    let stranger = 0;
    for (let c = 0; c < 20; c++) stranger += tryUntilRefused(g, `stranger-${c}`, "127.0.0.1", T0);
    // Precondition: the address is over its limit, so a client past its first tries is refused.
    const spent = g.check("stranger-0", "127.0.0.1", T0);
    assert.ok(!spent.allowed && spent.reason === "client");
    assert.ok(stranger >= GUESS_LIMITS.perAddress, `${stranger} let through`);
    const busy = g.check("stranger-19", "127.0.0.1", T0);
    assert.ok(!busy.allowed && busy.reason === "busy", "the address limit is real");
    // The owner's client has not failed: its first tries go through.
    for (let i = 0; i < GUESS_LIMITS.fresh; i++) {
      assert.equal(g.check("owner", "127.0.0.1", T0).allowed, true, `owner try ${i + 1}`);
      g.recordWrong("owner", "127.0.0.1", T0);
    }
  });

  it("the global ceiling: once over, only clients within their first tries get through", () => {
    const g = new PairingGuesses();
    // Each client on its own address, so only the ceiling can bind; each tries up to its own limit.
    const clients = 60;
    let admitted = 0;
    let refusedBusy = 0;
    for (let c = 0; c < clients; c++) {
      for (let i = 0; i < GUESS_LIMITS.perClient; i++) {
        const verdict = g.check(`c${c}`, `a${c}`, T0);
        if (!verdict.allowed) {
          assert.equal(verdict.reason, "busy");
          assert.ok(i >= GUESS_LIMITS.fresh, "never before a client's first tries are spent");
          refusedBusy++;
          break;
        }
        g.recordWrong(`c${c}`, `a${c}`, T0);
        admitted++;
      }
    }
    assert.ok(refusedBusy > 0, "the ceiling was reached");
    assert.ok(admitted <= GUESS_LIMITS.global + GUESS_LIMITS.fresh * clients, `${admitted}`);
    // A fresh client still gets exactly its first tries, and no more.
    assert.equal(tryUntilRefused(g, "fresh", "b", T0), GUESS_LIMITS.fresh);
    // Two windows later the ceiling is lifted.
    assert.equal(g.check("c0", "a0", T0 + 2 * MINUTE).allowed, true);
  });

  it("a worst-case stranger during one code's life gets fewer guesses than the documented bound", () => {
    // Every client that can exist during one code (fewer than 7,000, see guesses.ts: registered
    // during the 11 windows, plus those the tables keep), on 1,000 addresses, trying again and
    // again through all 11 windows the code touches.
    const g = new PairingGuesses();
    const clients = 11 * REGISTRATIONS_GLOBAL + MAX_CLIENTS + MAX_PENDING;
    assert.ok(clients < 7_000, `${clients}: the count SECURITY.md states`);
    const start = T0 + MINUTE - 1; // the code is made at the very end of a window: it touches 11
    const end = start + PAIRING_TTL_MS;
    let admitted = 0;
    for (let now = start; now <= end; now += MINUTE / 4) {
      for (let c = 0; c < clients; c++) {
        for (let i = 0; i < 3; i++) {
          if (!g.check(`c${c}`, `a${c % 1000}`, now).allowed) break;
          g.recordWrong(`c${c}`, `a${c % 1000}`, now);
          admitted++;
        }
      }
    }
    const bound = 11 * GUESS_LIMITS.global + 6 * GUESS_LIMITS.fresh * clients;
    assert.ok(admitted <= bound, `${admitted} > ${bound}`);
    assert.ok(bound < 2 ** 18);
    assert.ok(2 ** 18 / PAIRING_CODE_SPACE < 3.1e-7, "the chance stated in SECURITY.md");
    assert.equal(PAIRING_CODE_SPACE, 31 ** 8);
    assert.equal(TRIES_PER_REQUEST, 5);
  });

  it("memory stays bounded under a flood of fresh clients and addresses", () => {
    const g = new PairingGuesses();
    for (let i = 0; i < 50_000; i++) g.recordWrong(`c${i}`, `a${i}`, T0);
    const { clients, addresses } = g.tracked;
    assert.ok(clients <= 8192 && addresses <= 4096, `${clients} / ${addresses}`);
    assert.ok(clients > 0 && addresses > 0);
  });
});
