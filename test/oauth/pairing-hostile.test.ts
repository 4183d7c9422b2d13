/**
 * A stranger at the public URL against the owner's pairing code: real server,
 * real HTTP on loopback, the real CLI for the code. Before, five wrong codes in
 * the stranger's own consent request voided the owner's code (its try counter
 * was global), and the wrong-code throttle was per address: behind a tunnel
 * every caller is 127.0.0.1, so the stranger's tries made the owner's answer 429.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GUESS_LIMITS, TRIES_PER_REQUEST } from "../../src/oauth/guesses.js";
import { pairingPending } from "../../src/oauth/pairing.js";
import { cliPairingCode, startOAuthServer, submitConsent, type RawReply } from "./helpers.js";
import { connectWithOAuth, PersonAtTheComputer } from "./sdk-person.js";
import { alert, consentFor, newClient, ownerConnects, wrongCode } from "./stranger.js";

function assertRetryAfter(reply: RawReply): void {
  const seconds = Number(reply.headers.get("retry-after"));
  assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= (2 * GUESS_LIMITS.windowMs) / 1000, `Retry-After ${reply.headers.get("retry-after")}`);
}

describe("pairing: a stranger can neither void the owner's code nor make the owner wait", () => {
  it("the reproduction: register, open an own consent request, post 5+ wrong codes; the owner then connects through the MCP SDK with the same code", async () => {
    const s = await startOAuthServer();
    try {
      const code = cliPairingCode(s.home);
      const stranger = await newClient(s, "stranger");
      let n = 0;
      // Twice over, as the attack was "repeatable forever": each round is a fresh consent request.
      for (let round = 0; round < 2; round++) {
        const form = await consentFor(s, stranger);
        const replies: RawReply[] = [];
        for (let i = 0; i < TRIES_PER_REQUEST + 3; i++) replies.push(await submitConsent(s.url, form, { code: wrongCode(n++, code) }));
        // The tries reached the code check (the attack's precondition): each was judged wrong.
        for (const [i, reply] of replies.slice(0, TRIES_PER_REQUEST - 1).entries()) {
          assert.equal(reply.status, 400);
          assert.match(alert(reply), new RegExp(`wrong pairing code; check it and try again \\(${TRIES_PER_REQUEST - 1 - i} tr`));
        }
        for (const reply of replies.slice(TRIES_PER_REQUEST - 1)) {
          assert.equal(reply.status, 400);
          assert.match(alert(reply), /used up its 5 tries/);
          assert.doesNotMatch(alert(reply), /void/);
          assert.equal(reply.headers.get("location"), null);
        }
        assert.ok(pairingPending(s.home), `round ${round}: the owner's code is still waiting`);
      }
      // The stranger's own client is now at its limit: his third request answers 429, not the owner's.
      const third = await consentFor(s, stranger);
      const held = await submitConsent(s.url, third, { code: wrongCode(n++, code) });
      assert.equal(held.status, 429);
      assertRetryAfter(held);
      assert.match(alert(held), /from this app/);

      const person = new PersonAtTheComputer(s, undefined, () => code);
      const client = await connectWithOAuth(s, person);
      try {
        assert.equal(person.pages, 1);
        assert.ok((await client.listTools()).tools.some((t) => t.name === "read_file"));
      } finally {
        await client.close();
      }
      assert.equal(pairingPending(s.home), null, "the code was used once, by the owner");
    } finally {
      await s.close();
    }
  });

  it("a request that used up its tries stays dead, even for the right code; the code works in a fresh request", async () => {
    const s = await startOAuthServer();
    try {
      const code = cliPairingCode(s.home);
      const clientId = await newClient(s, "owner with typos");
      const dead = await consentFor(s, clientId);
      for (let i = 0; i < TRIES_PER_REQUEST; i++) await submitConsent(s.url, dead, { code: wrongCode(i, code) });
      const right = await submitConsent(s.url, dead, { code });
      assert.equal(right.status, 400);
      assert.match(alert(right), /used up its 5 tries.*start the connection again/);
      assert.equal(right.headers.get("location"), null, "nothing sent to the client");
      // Not even a denial or a fresh CSRF-valid post revives it.
      const deny = await submitConsent(s.url, dead, { code, decision: "deny" });
      assert.equal(deny.headers.get("location"), null);
      assert.ok(pairingPending(s.home), "the right code was not consumed by the dead request");
      await ownerConnects(s, clientId, await consentFor(s, clientId), code);
      assert.equal(pairingPending(s.home), null);
    } finally {
      await s.close();
    }
  });

  it("behind a tunnel (one address for everyone): a stranger pushed to 429 on his clients and the address; the owner's tries are not 429", async () => {
    const s = await startOAuthServer();
    try {
      const code = cliPairingCode(s.home);
      let n = 0;
      let busy: RawReply | undefined;
      // Bounded: the stranger spends fresh clients from 127.0.0.1 until the address limit answers 429.
      for (let c = 0; c < 12 && !busy; c++) {
        const stranger = await newClient(s, `stranger ${c}`);
        for (let request = 0; request < 2 && !busy; request++) {
          const form = await consentFor(s, stranger);
          for (let i = 0; i < TRIES_PER_REQUEST; i++) {
            const reply = await submitConsent(s.url, form, { code: wrongCode(n++, code) });
            if (reply.status === 429) {
              if (/right now/.test(alert(reply))) busy = reply;
              break;
            }
            assert.equal(reply.status, 400, alert(reply));
          }
        }
      }
      assert.ok(busy, "the stranger reached the address limit (the precondition)");
      assertRetryAfter(busy);
      assert.ok(n >= GUESS_LIMITS.perAddress, `${n} tries`);
      assert.ok(pairingPending(s.home));

      // The owner, from the same address, with its own client: a typo, then the code.
      const owner = await newClient(s, "ChatGPT");
      const form = await consentFor(s, owner);
      const typo = await submitConsent(s.url, form, { code: wrongCode(n++, code) });
      assert.equal(typo.status, 400, alert(typo));
      assert.match(alert(typo), /wrong pairing code/);
      await ownerConnects(s, owner, form, code);
    } finally {
      await s.close();
    }
  });

  it("the global ceiling bounds guesses from many addresses and clients, and still lets the owner's client through", async () => {
    const s = await startOAuthServer();
    s.server.trustForwarding("ngrok");
    try {
      const code = cliPairingCode(s.home);
      const started = Date.now();
      let n = 0;
      let admitted = 0;
      let clients = 0;
      let ceiling: RawReply | undefined;
      // Bounded: each stranger client on an address of its own, two requests of five tries each,
      // so only the global ceiling can refuse; stop once it has.
      for (let c = 0; c < 120 && !ceiling; c++) {
        const from = { "x-forwarded-for": `198.51.100.${c % 250}, 203.0.113.${c}` };
        const stranger = await newClient(s, `stranger ${c}`, from);
        clients++;
        for (let request = 0; request < 2; request++) {
          const form = await consentFor(s, stranger, from);
          for (let i = 0; i < TRIES_PER_REQUEST; i++) {
            const reply = await submitConsent(s.url, form, { code: wrongCode(n++, code), headers: from });
            if (reply.status === 429) {
              assert.match(alert(reply), /right now/, "only the ceiling refuses here");
              assertRetryAfter(reply);
              ceiling = reply;
              break;
            }
            assert.equal(reply.status, 400, alert(reply));
            admitted++;
          }
          if (ceiling) break;
        }
      }
      assert.ok(ceiling, "the ceiling was reached");
      const windows = Math.floor(Date.now() / GUESS_LIMITS.windowMs) - Math.floor(started / GUESS_LIMITS.windowMs) + 1;
      const bound = windows * GUESS_LIMITS.global + Math.ceil(windows / 2) * GUESS_LIMITS.fresh * clients;
      assert.ok(admitted >= GUESS_LIMITS.global, `${admitted} let through before the ceiling`);
      assert.ok(admitted <= bound, `${admitted} guesses let through, bound ${bound}`);
      assert.ok(pairingPending(s.home), "nothing voided the code");

      // The ceiling is over for everyone who already failed, but not for the owner's client.
      const owner = await newClient(s, "ChatGPT", { "x-forwarded-for": "192.0.2.10" });
      const form = await consentFor(s, owner, { "x-forwarded-for": "192.0.2.10" });
      const typo = await submitConsent(s.url, form, { code: wrongCode(n++, code), headers: { "x-forwarded-for": "192.0.2.10" } });
      assert.equal(typo.status, 400, alert(typo));
      await ownerConnects(s, owner, form, code, { "x-forwarded-for": "192.0.2.10" });
    } finally {
      await s.close();
    }
  });
});
