/**
 * A stranger filling the tables anyone at the public URL can fill: real server, real HTTP on
 * loopback, the real CLI for the code. Before, `GET /oauth/authorize` answered 503 once 200
 * requests waited (for up to 10 minutes, dead ones included), and a full client table dropped
 * the globally oldest client without a grant: the owner's, just registered.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_CLIENTS, MAX_PENDING, MAX_PENDING_PER_CLIENT, REGISTRATIONS_PER_ADDRESS } from "../../src/oauth/authServer.js";
import { TRIES_PER_REQUEST } from "../../src/oauth/guesses.js";
import type { TestServer } from "../helpers.js";
import { cliPairingCode, startOAuthServer, submitConsent, type ConsentForm } from "./helpers.js";
import { alert, consentFor, newClient, ownerConnects, plantClients, probe, wrongCode } from "./stranger.js";

type Form = ConsentForm & { verifier: string };

/** The stranger opens `perClient` consent pages on each client, a few clients at a time. */
async function openMany(s: TestServer, clients: string[], perClient: number, headers: Record<string, string> = {}): Promise<Form[][]> {
  const forms: Form[][] = clients.map(() => []);
  for (let round = 0; round < perClient; round++) {
    for (let i = 0; i < clients.length; i += 16) {
      const batch = clients.slice(i, i + 16);
      const opened = await Promise.all(batch.map((id) => consentFor(s, id, headers)));
      opened.forEach((form, k) => forms[i + k]!.push(form));
    }
  }
  return forms;
}

/** Enough planted clients, at the per-client cap, to fill the waiting table exactly. */
const FILLERS = MAX_PENDING / MAX_PENDING_PER_CLIENT;

describe("pairing tables: a stranger cannot fill them against the owner", () => {
  it("one address for everyone (a tunnel): the stranger fills the waiting table and keeps going; the owner's fresh client gets its page and connects", async () => {
    const s = await startOAuthServer();
    try {
      const code = cliPairingCode(s.home);
      const planted = plantClients(s.home, FILLERS);
      const forms = await openMany(s, planted, MAX_PENDING_PER_CLIENT);
      assert.equal(await probe(s, forms[0]![0]!), "waiting", "the oldest request still waits: the table holds them all");
      // The table is full (the precondition): one more page, from a fresh client, replaces the oldest.
      const another = await newClient(s, "stranger (fresh)");
      await consentFor(s, another);
      assert.equal(await probe(s, forms[0]![0]!), "replaced");
      // One client cannot hold more than its share: its next page replaces its own oldest.
      await consentFor(s, planted[1]!);
      assert.equal(await probe(s, forms[1]![0]!), "replaced");
      assert.equal(await probe(s, forms[2]![0]!), "waiting", "another client's requests are untouched");

      // The owner, from the same address: its first authorize gets a page.
      const owner = await newClient(s, "ChatGPT");
      const page = await consentFor(s, owner);

      // The stranger keeps going from that address: fresh clients up to what the address may
      // register, five pages each, and more pages on his older clients.
      const fresh: string[] = [];
      for (let i = 0; fresh.length < REGISTRATIONS_PER_ADDRESS - 5 && i < REGISTRATIONS_PER_ADDRESS; i++) fresh.push(await newClient(s, `stranger ${i}`));
      await openMany(s, fresh, MAX_PENDING_PER_CLIENT);
      await openMany(s, planted.slice(0, 80), 2);
      assert.equal(await probe(s, forms[3]![0]!), "replaced", "the stranger's pages were being replaced all along");
      assert.equal(await probe(s, page), "waiting", "the owner's page still waits");

      // A typo first (a wrong code, not a refusal), then the code: the whole flow completes.
      const typo = await submitConsent(s.url, page, { code: wrongCode(0, code) });
      assert.equal(typo.status, 400, alert(typo));
      assert.match(alert(typo), /wrong pairing code; check it/);
      await ownerConnects(s, owner, page, code);
    } finally {
      await s.close();
    }
  });

  it("a request that used up its tries frees its slot at once, and still says why", async () => {
    const s = await startOAuthServer();
    try {
      const code = cliPairingCode(s.home);
      const planted = plantClients(s.home, FILLERS);
      const forms = await openMany(s, planted, MAX_PENDING_PER_CLIENT);
      // The stranger kills one of his own requests with wrong codes.
      const dead = forms[7]![2]!;
      let last = "";
      for (let i = 0; i < TRIES_PER_REQUEST; i++) last = alert(await submitConsent(s.url, dead, { code: wrongCode(i, code) }));
      assert.match(last, /used up its 5 tries/);
      // Its slot is free: a fresh client's page takes it without replacing anyone.
      await consentFor(s, await newClient(s, "first"));
      assert.equal(await probe(s, forms[0]![0]!), "waiting");
      // The table was exactly full (so the freed slot is what made room): the next page replaces the oldest.
      await consentFor(s, await newClient(s, "second"));
      assert.equal(await probe(s, forms[0]![0]!), "replaced");
      assert.equal(await probe(s, dead), "used up", "the dead request keeps saying why");
      const right = await submitConsent(s.url, dead, { code });
      assert.equal(right.headers.get("location"), null, "and stays dead for the right code");
    } finally {
      await s.close();
    }
  });

  it("registration churn from many addresses: the owner's client, registered first and not yet opened, stays; the churning addresses lose their own", async () => {
    const s = await startOAuthServer();
    s.server.trustForwarding("ngrok");
    try {
      const code = cliPairingCode(s.home);
      // ChatGPT registers from its servers; the owner's browser opens the page later, from elsewhere.
      const owner = await newClient(s, "ChatGPT", { "x-forwarded-for": "192.0.2.10" });
      const perAddress = REGISTRATIONS_PER_ADDRESS - 5;
      const addresses = Math.ceil((MAX_CLIENTS + 20) / perAddress);
      const strangers: string[][] = [];
      for (let a = 0; a < addresses; a++) {
        const from = { "x-forwarded-for": `198.51.100.${a + 1}` };
        const mine: string[] = [];
        for (let i = 0; i < perAddress; i++) mine.push(await newClient(s, `stranger ${a}.${i}`, from));
        strangers.push(mine);
        // The first address keeps a page open on each of its clients: no other address may drop them.
        if (a === 0) await openMany(s, mine, 1, from);
      }
      const total = 1 + addresses * perAddress;
      assert.ok(total > MAX_CLIENTS + 10, `${total} registered, more than the table keeps (the precondition)`);

      const registered = async (id: string, from: string) => (await consentFor(s, id, { "x-forwarded-for": from }).then(() => true, () => false));
      // The table overflowed: the oldest clients of the churning addresses are gone.
      assert.equal(await registered(strangers[1]![0]!, "198.51.100.2"), false, "the second address's oldest was dropped");
      // The waiting ones of the first address were not dropped by other addresses' registrations.
      for (const id of strangers[0]!.slice(0, 5)) assert.equal(await registered(id, "198.51.100.1"), true);

      // The owner's client, the oldest of all and without a page until now, is still registered.
      const page = await consentFor(s, owner, { "x-forwarded-for": "192.0.2.20" });
      await ownerConnects(s, owner, page, code, { "x-forwarded-for": "192.0.2.20" });
    } finally {
      await s.close();
    }
  });
});
