/**
 * Who gives way in the tables a stranger can fill, as pure units, and the authorization
 * server driven on a clock of its own through a stranger's whole 10-minute attack from the
 * owner's own address (a tunnel): that many minutes cannot be waited for over HTTP.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigStore } from "../../src/config/store.js";
import { ConnectorAuth, MAX_CLIENTS, MAX_PENDING, MAX_PENDING_PER_CLIENT, REGISTRATIONS_PER_ADDRESS } from "../../src/oauth/authServer.js";
import { GrantStore } from "../../src/oauth/grants.js";
import { createPairingCode, PAIRING_TTL_MS } from "../../src/oauth/pairing.js";
import { clientsToDrop, requestToReplace, type UngrantedClient, type WaitingRequest } from "../../src/oauth/slots.js";
import { makeHome } from "../helpers.js";
import { LOOPBACK_REDIRECT, pkcePair } from "./helpers.js";

const MINUTE = 60_000;
const T0 = 1_000_000 * MINUTE; // the start of a window

function req(id: string, client_id: string, from = "x"): WaitingRequest {
  return { id, client_id, from };
}

function cl(client_id: string, from: string, waiting = false): UngrantedClient {
  return { client_id, from, waiting };
}

/** A small deterministic generator, so the property runs are the same every time. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("slots: which waiting request is replaced", () => {
  it("the oldest request of the client with the most waiting", () => {
    assert.equal(requestToReplace([req("o1", "owner"), req("s1", "s"), req("s2", "s")]), "s1");
    assert.equal(requestToReplace([]), undefined);
  });

  it("on a tie between clients, the one whose address holds the most; then the oldest", () => {
    // Age alone would pick the owner's (the oldest); its address holds one, the stranger's two.
    assert.equal(requestToReplace([req("o1", "owner", "O"), req("a1", "s1", "A"), req("b1", "s2", "A")]), "a1");
    assert.equal(requestToReplace([req("o1", "owner", "O"), req("a1", "s1", "A")]), "o1", "a full tie: the oldest goes");
  });

  it("one address, at most MAX_CLIENTS clients: in a full table the owner's single request never goes (500 random tables)", () => {
    const random = lcg(7);
    for (let round = 0; round < 500; round++) {
      const clients = 1 + Math.floor(random() * (MAX_CLIENTS - 1));
      const table: WaitingRequest[] = [];
      const ownerAt = Math.floor(random() * MAX_PENDING);
      for (let i = 0; table.length < MAX_PENDING; i++) {
        if (table.length === ownerAt) table.push(req("owner-request", "owner", "127.0.0.1"));
        else table.push(req(`r${i}`, `s${Math.floor(random() * clients)}`, "127.0.0.1"));
      }
      assert.notEqual(requestToReplace(table), "owner-request", `round ${round}: ${clients} stranger clients`);
    }
  });
});

describe("slots: which clients without a grant are dropped", () => {
  it("from the address that registered the most, its oldest first, not the globally oldest (the owner's)", () => {
    const table = [cl("owner", "O"), cl("s1", "A"), cl("s2", "A"), cl("s3", "A"), cl("s4", "A")];
    assert.deepEqual(clientsToDrop(table, "s4", "A", 3), ["s1", "s2"]);
    // Clients from before the server started ("" unknown) are an address of their own.
    assert.deepEqual(clientsToDrop([cl("old1", ""), cl("old2", ""), cl("owner", "O"), cl("s1", "A")], "s1", "A", 3), ["old1"]);
  });

  it("never a waiting client of another address; the registrant's own waiting ones may go; the fresh one never", () => {
    const waiting = [cl("a1", "A", true), cl("a2", "A", true), cl("a3", "A", true)];
    assert.deepEqual(clientsToDrop([...waiting, cl("b1", "B")], "b1", "B", 3), [], "over the bound, and bounded by the waiting table");
    assert.deepEqual(clientsToDrop([...waiting, cl("a4", "A")], "a4", "A", 3), ["a1"]);
    // The next-biggest address gives way when the biggest holds only others' waiting clients.
    assert.deepEqual(clientsToDrop([...waiting, cl("c1", "C"), cl("c2", "C"), cl("b1", "B")], "b1", "B", 5), ["c1"]);
    assert.deepEqual(clientsToDrop([cl("a1", "A", true), cl("b1", "B")], "b1", "B", 1), []);
  });

  it("within one address it is age alone: the owner's client without a page yet is not handed over before older waiting ones", () => {
    const table = [cl("s1", "T", true), cl("s2", "T", true), cl("owner", "T", false), cl("s3", "T")];
    assert.deepEqual(clientsToDrop(table, "s3", "T", 3), ["s1"]);
  });
});

/** One server's authorization side on a simulated clock; everyone calls from one address. */
function tunnelAuth() {
  const fixture = makeHome();
  const auth = new ConnectorAuth(new ConfigStore(fixture.home), () => fixture.config.public_base_url!);
  const open = (clientId: string, now: number) => {
    const { verifier, challenge } = pkcePair();
    const outcome = auth.authorize(
      { response_type: "code", client_id: clientId, redirect_uri: LOOPBACK_REDIRECT, code_challenge: challenge, code_challenge_method: "S256", state: "st" },
      "127.0.0.1",
      now,
    );
    assert.equal(outcome.kind, "consent", JSON.stringify(outcome));
    if (outcome.kind !== "consent") throw new Error("no page");
    return { ...outcome, verifier };
  };
  const register = (name: string, now: number): string | undefined => {
    const reply = auth.register({ client_name: name, redirect_uris: [LOOPBACK_REDIRECT], token_endpoint_auth_method: "none" }, "127.0.0.1", new Date(now));
    if (reply.status === 429) return undefined;
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return (reply.body as { client_id: string }).client_id;
  };
  const clientsKept = () => new GrantStore(fixture.home).read().clients.map((c) => c.client_id);
  return { fixture, auth, open, register, clientsKept };
}

describe("slots: a stranger at the owner's own address for a whole consent request's life", () => {
  it("registers as fast as allowed and keeps the waiting table full; the owner's client and page live through it and the owner connects", () => {
    const { fixture, auth, open, register, clientsKept } = tunnelAuth();
    let now = T0;
    const stranger: string[] = [];
    // Before the owner comes: fill the client table, a few requests each (bounded by the clock).
    for (let step = 0; stranger.length < MAX_CLIENTS && step < 10_000; step++, now += 1_000) {
      const id = register(`stranger ${stranger.length}`, now);
      if (!id) continue;
      stranger.push(id);
      for (let i = 0; i < 3; i++) open(id, now);
    }
    assert.equal(stranger.length, MAX_CLIENTS, "the client table was filled (the precondition)");
    assert.equal(auth.waitingRequests, MAX_PENDING, "and the waiting table too");
    now = (Math.floor(now / MINUTE) + 2) * MINUTE; // the owner's registration is not held back by the stranger's

    const owner = register("ChatGPT", now);
    assert.ok(owner, "the owner registers");
    const page = open(owner, now + 1_000);
    const ownerOpened = now + 1_000;

    // The stranger, from the same address, until the owner's request is about to expire:
    // registers whenever the address limit lets him, opens pages on every new client and
    // more on old ones, so the waiting table stays full.
    const random = lcg(11);
    let registered = 0;
    let replacedFull = 0;
    for (now += 2_000; now < ownerOpened + PAIRING_TTL_MS - 30_000; now += 1_000) {
      const id = register(`stranger+${registered}`, now);
      if (id) {
        registered++;
        stranger.push(id);
        for (let i = 0; i < MAX_PENDING_PER_CLIENT; i++) open(id, now);
      }
      const kept = new Set(clientsKept());
      const alive = stranger.filter((s) => kept.has(s));
      for (let i = 0; i < 3; i++) open(alive[Math.floor(random() * alive.length)]!, now);
      if (auth.waitingRequests === MAX_PENDING) replacedFull++;
      assert.ok(kept.has(owner), `the owner's client is still registered after ${registered} registrations`);
      assert.ok(kept.size <= MAX_CLIENTS, `${kept.size} clients kept`);
      assert.ok(auth.waitingRequests <= MAX_PENDING);
    }
    // The attack was real: the stranger spent all the address allowed and replaced requests all along.
    // At most 360 fit in any 10 minutes (60 in any two windows); the owner sat out one burst.
    assert.ok(registered >= 4 * REGISTRATIONS_PER_ADDRESS, `${registered} registrations during the owner's wait`);
    assert.ok(replacedFull > 500, `${replacedFull} steps with a full table`);
    assert.ok(!clientsKept().includes(stranger[0]!), "the stranger's oldest clients were dropped");

    // The owner types a fresh code at the end of the 10 minutes, and the code flow completes.
    const code = createPairingCode(fixture.home, new Date(now)).code;
    const answer = auth.consent({ request: page.pending.id, csrf: page.pending.csrf, scope: ["workspace.read"], pairing_code: code, decision: "approve" }, page.cookie, "127.0.0.1", new Date(now));
    assert.equal(answer.kind, "redirect", JSON.stringify(answer));
    if (answer.kind !== "redirect") return;
    const back = new URL(answer.location);
    const tokens = auth.token(
      { grant_type: "authorization_code", code: back.searchParams.get("code") ?? "", client_id: owner, redirect_uri: LOOPBACK_REDIRECT, code_verifier: page.verifier },
      undefined,
      new Date(now + 1_000),
    );
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  });

  it("dead and replaced requests free their slot at once and still say why", () => {
    const { fixture, auth, open, register } = tunnelAuth();
    createPairingCode(fixture.home, new Date(T0));
    const a = register("a", T0)!;
    const pages = Array.from({ length: MAX_PENDING_PER_CLIENT }, () => open(a, T0));
    assert.equal(auth.waitingRequests, MAX_PENDING_PER_CLIENT);
    const first = pages[0]!;
    const post = (p: typeof first, code: string) =>
      auth.consent({ request: p.pending.id, csrf: p.pending.csrf, scope: ["workspace.read"], pairing_code: code, decision: "approve" }, p.cookie, "127.0.0.1", new Date(T0 + 1));
    for (let i = 0; i < 5; i++) post(first, `ZZZZ-ZZZ${i + 2}`);
    assert.equal(auth.waitingRequests, MAX_PENDING_PER_CLIENT - 1, "the dead request left the table");
    assert.match(JSON.stringify(post(first, "ZZZZ-ZZZZ")), /used up its 5 tries/);
    // A sixth request of one client replaces its oldest waiting one.
    open(a, T0 + 2);
    open(a, T0 + 3);
    assert.equal(auth.waitingRequests, MAX_PENDING_PER_CLIENT);
    assert.match(JSON.stringify(post(pages[1]!, "ZZZZ-ZZZZ")), /was replaced by newer ones/);
    assert.match(JSON.stringify(post(pages[2]!, "")), /wrong pairing code|no pairing code|tries left/, "the next one still waits");
  });
});
