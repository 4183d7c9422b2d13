/**
 * PKCE on its own (API-CONTRACT §11), a second guard beside the hostile suite's: the
 * published example pair of RFC 7636 (appendix B) through the real server. A verifier
 * one character off is refused and spends the code; only the true verifier, on a fresh
 * code, yields a token that opens /mcp.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { TestServer } from "../helpers.js";
import { authorizeUrl, exchange, LOOPBACK_REDIRECT, mcpCall, openConsent, pairingCode, registerClient, startOAuthServer, submitConsent } from "./helpers.js";

const RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/** A code issued for RFC_CHALLENGE, through the consent page as the owner fills it in. */
async function codeFor(s: TestServer, clientId: string): Promise<string> {
  const state = randomBytes(8).toString("hex");
  const form = await openConsent(
    authorizeUrl(s.url, {
      response_type: "code",
      client_id: clientId,
      redirect_uri: LOOPBACK_REDIRECT,
      code_challenge: RFC_CHALLENGE,
      code_challenge_method: "S256",
      state,
      resource: `${s.url}/mcp`,
    }),
  );
  assert.equal(form.status, 200, form.html.slice(0, 500));
  const answer = await submitConsent(s.url, form, { code: pairingCode(s.home) });
  assert.equal(answer.status, 302, answer.text.slice(0, 500));
  const location = new URL(answer.headers.get("location")!);
  assert.equal(location.searchParams.get("state"), state);
  const code = location.searchParams.get("code");
  assert.ok(code, `a code in ${location}`);
  return code;
}

describe("connector OAuth: PKCE with the RFC 7636 example pair", () => {
  let s: TestServer;
  let clientId: string;
  before(async () => {
    s = await startOAuthServer();
    clientId = (await registerClient(s.url, [LOOPBACK_REDIRECT])).json.client_id;
    assert.ok(clientId, "client registered");
  });
  after(async () => s.close());

  it("a verifier one character off is refused and spends the code; the true verifier on a fresh code opens /mcp", async () => {
    const nearMiss = `${RFC_VERIFIER.slice(0, -1)}5`;
    assert.equal(nearMiss.length, RFC_VERIFIER.length, "a well-formed verifier: only its hash can tell");
    const fields = (code: string, verifier: string) => ({ grant_type: "authorization_code", code, client_id: clientId, redirect_uri: LOOPBACK_REDIRECT, code_verifier: verifier, resource: `${s.url}/mcp` });

    const first = await codeFor(s, clientId);
    const wrong = await exchange(s, fields(first, nearMiss));
    assert.equal(wrong.status, 400, wrong.text);
    assert.equal(wrong.json.error, "invalid_grant");
    assert.equal(wrong.json.access_token, undefined);
    const late = await exchange(s, fields(first, RFC_VERIFIER));
    assert.equal(late.status, 400, "the refused attempt spent the code");

    // The challenge sent back as the verifier (a downgrade to "plain") is refused as well.
    const second = await codeFor(s, clientId);
    const plain = await exchange(s, fields(second, RFC_CHALLENGE));
    assert.equal(plain.json.error, "invalid_grant", plain.text);

    const third = await codeFor(s, clientId);
    const right = await exchange(s, fields(third, RFC_VERIFIER));
    assert.equal(right.status, 200, right.text);
    assert.equal((await mcpCall(s.url, right.json.access_token, "tools/list")).status, 200);
  });
});
