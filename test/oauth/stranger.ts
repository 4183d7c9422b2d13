/** A stranger at the public URL and the owner, as the pairing hostile tests drive them over real HTTP. */
import assert from "node:assert/strict";
import { GrantStore } from "../../src/oauth/grants.js";
import type { TestServer } from "../helpers.js";
import { authorizeUrl, exchange, LOOPBACK_REDIRECT, mcpCall, openConsent, pkcePair, registerClient, submitConsent, type ConsentForm, type RawReply } from "./helpers.js";

const ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/** The n-th wrong guess: well-formed, and never the real code. */
export function wrongCode(n: number, real: string): string {
  const tail = [0, 1, 2, 3].map((k) => ALPHABET[Math.floor(n / ALPHABET.length ** k) % ALPHABET.length]).join("");
  const guess = `ZZZZ-${tail}`;
  return guess === real ? `YYYY-${tail}` : guess;
}

export function alert(reply: RawReply): string {
  return /class="err" role="alert">([^<]*)</.exec(reply.text)?.[1]?.replace(/&#39;/g, "'") ?? "";
}

export async function newClient(s: TestServer, name: string, headers: Record<string, string> = {}): Promise<string> {
  const reply = await registerClient(s.url, [LOOPBACK_REDIRECT], { client_name: name }, headers);
  assert.equal(reply.status, 201, reply.text);
  return reply.json.client_id;
}

export async function consentFor(s: TestServer, clientId: string, headers: Record<string, string> = {}): Promise<ConsentForm & { verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const url = authorizeUrl(s.url, { response_type: "code", client_id: clientId, redirect_uri: LOOPBACK_REDIRECT, code_challenge: challenge, code_challenge_method: "S256", state: "st" });
  const form = await openConsent(url, headers);
  assert.equal(form.status, 200, form.html.slice(0, 300));
  return { ...form, verifier };
}

/** The owner approves with the right code and the code flow runs to a working token. */
export async function ownerConnects(s: TestServer, clientId: string, form: ConsentForm & { verifier: string }, code: string, headers: Record<string, string> = {}) {
  const answer = await submitConsent(s.url, form, { code, headers });
  assert.equal(answer.status, 302, `${answer.status}: ${alert(answer)}`);
  const back = new URL(answer.headers.get("location")!);
  const grant = back.searchParams.get("code");
  assert.ok(grant, `a code in ${back}`);
  const tokens = await exchange(s, { grant_type: "authorization_code", code: grant, client_id: clientId, redirect_uri: LOOPBACK_REDIRECT, code_verifier: form.verifier });
  assert.equal(tokens.status, 200, tokens.text);
  assert.equal((await mcpCall(s.url, tokens.json.access_token, "tools/list")).status, 200);
}


/**
 * Clients the stranger registered before this server started (they are kept in the grants
 * file across restarts): a table he fills faster than one address may register over HTTP.
 */
export function plantClients(home: string, count: number, name = "stranger (earlier)"): string[] {
  const ids = Array.from({ length: count }, (_, i) => `cgc-client-planted-${i}-${Math.random().toString(36).slice(2, 10)}`);
  new GrantStore(home).update((data) => {
    for (const id of ids) {
      data.clients.push({ client_id: id, client_name: name, redirect_uris: [LOOPBACK_REDIRECT], token_endpoint_auth_method: "none", created_at: new Date().toISOString() });
    }
  });
  return ids;
}

/** What a consent request says now, without changing it: a post with no permission ticked. */
export async function probe(s: TestServer, form: ConsentForm, headers: Record<string, string> = {}): Promise<"waiting" | "replaced" | "used up" | string> {
  const reply = await submitConsent(s.url, form, { code: "", scopes: [], headers });
  const text = alert(reply);
  if (reply.status === 400 && /^tick at least one permission$/.test(text)) return "waiting";
  if (reply.status === 400 && /^this sign-in request was replaced by newer ones/.test(text)) return "replaced";
  if (reply.status === 400 && /^this sign-in request used up its 5 tries/.test(text)) return "used up";
  return `${reply.status}: ${text}`;
}
