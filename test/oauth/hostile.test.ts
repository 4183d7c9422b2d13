/**
 * The connector's OAuth server under attack: real server, real CLI, raw HTTP.
 * Every rule of API-CONTRACT §11 with the inputs that try to break it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { updateConfig } from "../../src/config/store.js";
import { getPath, runCli, type TestServer } from "../helpers.js";
import {
  authorizeUrl,
  CHATGPT_REDIRECT,
  exchange,
  LOOPBACK_REDIRECT,
  mcpCall,
  obtainCode,
  obtainTokens,
  openConsent,
  cliPairingCode,
  pairingCode,
  pkcePair,
  postForm,
  raw,
  registerClient,
  startOAuthServer,
  submitConsent,
} from "./helpers.js";

const LOOK_ALIKES = [
  "https://chatgpt.com.evil/connector_platform_oauth_redirect",
  "https://chatgpt.com@evil/",
  "https://chatgpt.com@evil.com/connector/oauth/x",
  "https://evil.com/connector_platform_oauth_redirect",
  "https://chatgpt.com/connector/oauth/../../evil",
  "https://chatgpt.com/connector/oauth/%2e%2e/evil",
  "https://chatgpt.com/connector/oauth/a%2Fb",
  "https://chatgpt.com/connector_platform_oauth_redirect?x=https://evil",
  "https://chatgpt.com/connector_platform_oauth_redirect/extra",
  "http://chatgpt.com/connector_platform_oauth_redirect",
  "http://evil.com/cb",
  "http://127.0.0.1.nip.io:80/cb",
  "javascript:alert(1)//",
];

async function mcpStatus(s: TestServer, token: string): Promise<number> {
  return (await mcpCall(s.url, token, "tools/list")).status;
}

describe("connector OAuth: discovery and the 401", () => {
  let s: TestServer;
  before(async () => {
    s = await startOAuthServer();
  });
  after(async () => s.close());

  it("serves protected-resource metadata at the root and /mcp forms", async () => {
    for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
      const reply = await getPath(s.url, path);
      assert.equal(reply.status, 200, path);
      assert.equal(reply.json.resource, `${s.url}/mcp`);
      assert.deepEqual(reply.json.authorization_servers, [s.url]);
      assert.deepEqual(reply.json.scopes_supported, ["workspace.read", "workspace.write", "commands"]);
    }
  });

  it("serves authorization-server metadata (RFC 8414) with S256 only", async () => {
    const reply = await getPath(s.url, "/.well-known/oauth-authorization-server");
    assert.equal(reply.status, 200);
    assert.equal(reply.json.issuer, s.url);
    assert.equal(reply.json.authorization_endpoint, `${s.url}/oauth/authorize`);
    assert.equal(reply.json.token_endpoint, `${s.url}/oauth/token`);
    assert.equal(reply.json.registration_endpoint, `${s.url}/oauth/register`);
    assert.deepEqual(reply.json.code_challenge_methods_supported, ["S256"]);
    assert.deepEqual(reply.json.response_types_supported, ["code"]);
  });

  it("POST /mcp without credentials: 401 naming the metadata; a wrong or foreign token too", async () => {
    for (const token of [undefined, "wrong", "cgo_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]) {
      const reply = await mcpCall(s.url, token, "tools/list");
      assert.equal(reply.status, 401);
      assert.equal(reply.json.error.code, "UNAUTHORIZED");
      const challenge = reply.headers.get("www-authenticate") ?? "";
      assert.ok(challenge.startsWith(`Bearer resource_metadata="${s.url}/.well-known/oauth-protected-resource/mcp"`), challenge);
    }
  });

  it("the static bearer still works on /mcp", async () => {
    const reply = await mcpCall(s.url, s.token, "tools/list");
    assert.equal(reply.status, 200);
    assert.ok(reply.json.result.tools.length >= 10);
  });

  it("an OAuth token is only for /mcp, never for the Actions", async () => {
    const { access } = await obtainTokens(s);
    assert.equal(await mcpStatus(s, access), 200);
    const action = await s.post("workspace_status", {}, { token: access });
    assert.equal(action.status, 401);
  });
});

describe("connector OAuth: registration and redirect URIs", () => {
  let s: TestServer;
  before(async () => {
    s = await startOAuthServer();
  });
  after(async () => s.close());

  it("registers allow-listed redirect URIs (ChatGPT's and loopback)", async () => {
    const reply = await registerClient(s.url, [CHATGPT_REDIRECT, "https://chatgpt.com/connector/oauth/abc", LOOPBACK_REDIRECT]);
    assert.equal(reply.status, 201, reply.text);
    assert.match(reply.json.client_id, /^cgc-client-/);
    assert.equal(reply.json.client_secret, undefined, "public client");
    const confidential = await registerClient(s.url, [CHATGPT_REDIRECT], { token_endpoint_auth_method: "client_secret_post" });
    assert.equal(confidential.status, 201);
    assert.ok(confidential.json.client_secret);
  });

  for (const uri of LOOK_ALIKES) {
    it(`refuses to register ${uri}`, async () => {
      const reply = await registerClient(s.url, [CHATGPT_REDIRECT, uri]);
      assert.equal(reply.status, 400);
      assert.equal(reply.json.error, "invalid_redirect_uri");
    });
  }

  it("refuses malformed registrations", async () => {
    for (const body of [{}, { redirect_uris: [] }, { redirect_uris: "x" }, { redirect_uris: [42] }]) {
      const reply = await registerClient(s.url, [], body);
      assert.equal(reply.status, 400, JSON.stringify(body));
    }
    const implicit = await registerClient(s.url, [CHATGPT_REDIRECT], { response_types: ["token"] });
    assert.equal(implicit.status, 400);
    const password = await registerClient(s.url, [CHATGPT_REDIRECT], { grant_types: ["password"] });
    assert.equal(password.status, 400);
  });

  it("oauth.redirect_allow in the config narrows the list", async () => {
    updateConfig(s.home, (c) => {
      c.oauth.redirect_allow = ["https://chatgpt.com/connector_platform_oauth_redirect"];
    });
    try {
      assert.equal((await registerClient(s.url, [LOOPBACK_REDIRECT])).status, 400);
      assert.equal((await registerClient(s.url, [CHATGPT_REDIRECT])).status, 201);
    } finally {
      updateConfig(s.home, (c) => {
        c.oauth.redirect_allow = ["https://chatgpt.com/connector/oauth/*", "https://chatgpt.com/connector_platform_oauth_redirect", "http://127.0.0.1:*", "http://localhost:*"];
      });
    }
  });

  it("authorize with a redirect URI the client did not register: an error page, no redirect", async () => {
    const client = (await registerClient(s.url, [LOOPBACK_REDIRECT])).json.client_id;
    const { challenge } = pkcePair();
    for (const redirect of ["http://127.0.0.1:10/callback", "http://127.0.0.1:9/callback/", "http://127.0.0.1:9/CALLBACK", ...LOOK_ALIKES]) {
      const page = await raw(authorizeUrl(s.url, { response_type: "code", client_id: client, redirect_uri: redirect, code_challenge: challenge, code_challenge_method: "S256", state: "s" }));
      assert.equal(page.status, 400, redirect);
      assert.equal(page.headers.get("location"), null, `nothing sent to ${redirect}`);
      assert.match(page.text, /not registered/);
    }
    const unknown = await raw(authorizeUrl(s.url, { response_type: "code", client_id: "nobody", redirect_uri: LOOPBACK_REDIRECT, code_challenge: challenge, code_challenge_method: "S256" }));
    assert.equal(unknown.status, 400);
    assert.equal(unknown.headers.get("location"), null);
    const twice = await raw(`${authorizeUrl(s.url, { response_type: "code", client_id: client, redirect_uri: LOOPBACK_REDIRECT, code_challenge: challenge, code_challenge_method: "S256" })}&redirect_uri=${encodeURIComponent("https://evil.com/")}`);
    assert.equal(twice.status, 400);
    assert.equal(twice.headers.get("location"), null);
  });

  it("PKCE: plain, missing method, missing or malformed challenge are refused back to the client", async () => {
    const client = (await registerClient(s.url, [LOOPBACK_REDIRECT])).json.client_id;
    const { challenge, verifier } = pkcePair();
    const cases: Record<string, string | undefined>[] = [
      { code_challenge: verifier, code_challenge_method: "plain" },
      { code_challenge: challenge, code_challenge_method: undefined },
      { code_challenge: undefined, code_challenge_method: "S256" },
      { code_challenge: "short", code_challenge_method: "S256" },
      { code_challenge: challenge, code_challenge_method: "s256" },
    ];
    for (const pkce of cases) {
      const reply = await raw(authorizeUrl(s.url, { response_type: "code", client_id: client, redirect_uri: LOOPBACK_REDIRECT, state: "st", ...pkce }));
      assert.equal(reply.status, 302, JSON.stringify(pkce));
      const back = new URL(reply.headers.get("location")!);
      assert.equal(back.searchParams.get("error"), "invalid_request", JSON.stringify(pkce));
      assert.equal(back.searchParams.get("state"), "st");
      assert.equal(back.searchParams.get("code"), null);
    }
    const implicit = await raw(authorizeUrl(s.url, { response_type: "token", client_id: client, redirect_uri: LOOPBACK_REDIRECT, code_challenge: challenge, code_challenge_method: "S256" }));
    assert.equal(new URL(implicit.headers.get("location")!).searchParams.get("error"), "unsupported_response_type");
  });

  it("a wrong resource is refused at authorize", async () => {
    const client = (await registerClient(s.url, [LOOPBACK_REDIRECT])).json.client_id;
    const { challenge } = pkcePair();
    for (const resource of ["https://evil.example/mcp", `${s.url}/other`, `${s.url}`, `${s.url}/mcp/../openapi.json`]) {
      const reply = await raw(authorizeUrl(s.url, { response_type: "code", client_id: client, redirect_uri: LOOPBACK_REDIRECT, code_challenge: challenge, code_challenge_method: "S256", resource }));
      assert.equal(reply.status, 302, resource);
      assert.equal(new URL(reply.headers.get("location")!).searchParams.get("error"), "invalid_target", resource);
    }
  });

  it("deny sends access_denied with the state and issues nothing", async () => {
    const client = (await registerClient(s.url, [LOOPBACK_REDIRECT])).json.client_id;
    const { challenge } = pkcePair();
    const form = await openConsent(authorizeUrl(s.url, { response_type: "code", client_id: client, redirect_uri: LOOPBACK_REDIRECT, code_challenge: challenge, code_challenge_method: "S256", state: "zz" }));
    const reply = await submitConsent(s.url, form, { code: "", decision: "deny" });
    assert.equal(reply.status, 302);
    const back = new URL(reply.headers.get("location")!);
    assert.equal(back.searchParams.get("error"), "access_denied");
    assert.equal(back.searchParams.get("state"), "zz");
    assert.equal(back.searchParams.get("code"), null);
  });
});

describe("connector OAuth: codes and tokens", () => {
  let s: TestServer;
  before(async () => {
    s = await startOAuthServer();
  });
  after(async () => s.close());

  it("a code works once; replaying it revokes what it gave", async () => {
    const got = await obtainCode(s);
    const fields = { grant_type: "authorization_code", code: got.code, client_id: got.clientId, redirect_uri: got.redirect, code_verifier: got.verifier };
    const first = await exchange(s, fields);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("cache-control"), "no-store");
    assert.equal(await mcpStatus(s, first.json.access_token), 200);
    const second = await exchange(s, fields);
    assert.equal(second.status, 400);
    assert.equal(second.json.error, "invalid_grant");
    assert.equal(await mcpStatus(s, first.json.access_token), 401, "replay ended the grant");
    const refresh = await exchange(s, { grant_type: "refresh_token", refresh_token: first.json.refresh_token, client_id: got.clientId });
    assert.equal(refresh.json.error, "invalid_grant");
  });

  it("PKCE mismatch or missing verifier: refused, and the code is spent", async () => {
    const got = await obtainCode(s);
    const wrong = await exchange(s, { grant_type: "authorization_code", code: got.code, client_id: got.clientId, redirect_uri: got.redirect, code_verifier: pkcePair().verifier });
    assert.equal(wrong.json.error, "invalid_grant");
    const right = await exchange(s, { grant_type: "authorization_code", code: got.code, client_id: got.clientId, redirect_uri: got.redirect, code_verifier: got.verifier });
    assert.equal(right.status, 400, "a failed attempt spends the code");
    const got2 = await obtainCode(s);
    const none = await exchange(s, { grant_type: "authorization_code", code: got2.code, client_id: got2.clientId, redirect_uri: got2.redirect });
    assert.equal(none.json.error, "invalid_request");
    const got3 = await obtainCode(s);
    // The plain method: the challenge itself as the verifier.
    const plain = await exchange(s, { grant_type: "authorization_code", code: got3.code, client_id: got3.clientId, redirect_uri: got3.redirect, code_verifier: `${"a".repeat(43)}` });
    assert.equal(plain.json.error, "invalid_grant");
  });

  it("the code is bound to its client, redirect URI and resource", async () => {
    const other = (await registerClient(s.url, [LOOPBACK_REDIRECT])).json.client_id;
    const a = await obtainCode(s);
    const stolen = await exchange(s, { grant_type: "authorization_code", code: a.code, client_id: other, redirect_uri: a.redirect, code_verifier: a.verifier });
    assert.equal(stolen.json.error, "invalid_grant");
    const b = await obtainCode(s);
    const redirect = await exchange(s, { grant_type: "authorization_code", code: b.code, client_id: b.clientId, redirect_uri: "http://127.0.0.1:9/other", code_verifier: b.verifier });
    assert.equal(redirect.json.error, "invalid_grant");
    const c = await obtainCode(s);
    const resource = await exchange(s, { grant_type: "authorization_code", code: c.code, client_id: c.clientId, redirect_uri: c.redirect, code_verifier: c.verifier, resource: "https://evil.example/mcp" });
    assert.equal(resource.json.error, "invalid_target");
    const unknownClient = await exchange(s, { grant_type: "authorization_code", code: "x", client_id: "nobody", code_verifier: pkcePair().verifier });
    assert.equal(unknownClient.status, 401);
    assert.equal(unknownClient.json.error, "invalid_client");
    const implicitGrant = await exchange(s, { grant_type: "password", client_id: c.clientId });
    assert.equal(implicitGrant.json.error, "unsupported_grant_type");
  });

  it("a confidential client must present its secret", async () => {
    const reg = await registerClient(s.url, [LOOPBACK_REDIRECT], { token_endpoint_auth_method: "client_secret_post" });
    const got = await obtainCode(s, { clientId: reg.json.client_id });
    const base = { grant_type: "authorization_code", code: got.code, client_id: got.clientId, redirect_uri: got.redirect, code_verifier: got.verifier };
    const without = await exchange(s, base);
    assert.equal(without.json.error, "invalid_client");
    const got2 = await obtainCode(s, { clientId: reg.json.client_id });
    const withSecret = await exchange(s, { ...base, code: got2.code, code_verifier: got2.verifier, client_secret: reg.json.client_secret });
    assert.equal(withSecret.status, 200, withSecret.text);
  });

  it("an expired code is refused", async () => {
    updateConfig(s.home, (c) => {
      c.oauth.code_seconds = 1;
    });
    try {
      const got = await obtainCode(s);
      await new Promise((r) => setTimeout(r, 1_300));
      const late = await exchange(s, { grant_type: "authorization_code", code: got.code, client_id: got.clientId, redirect_uri: got.redirect, code_verifier: got.verifier });
      assert.equal(late.json.error, "invalid_grant");
      assert.match(late.json.error_description, /expired/);
    } finally {
      updateConfig(s.home, (c) => {
        c.oauth.code_seconds = 60;
      });
    }
  });

  it("an access token is short-lived: after its lifetime it is refused, a refresh brings a new one", async () => {
    updateConfig(s.home, (c) => {
      c.oauth.access_token_seconds = 1;
    });
    try {
      const t = await obtainTokens(s);
      assert.equal(await mcpStatus(s, t.access), 200);
      await new Promise((r) => setTimeout(r, 1_300));
      const reply = await mcpCall(s.url, t.access, "tools/list");
      assert.equal(reply.status, 401);
      assert.match(reply.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
      const refreshed = await exchange(s, { grant_type: "refresh_token", refresh_token: t.refresh, client_id: t.clientId });
      assert.equal(refreshed.status, 200);
      assert.equal(await mcpStatus(s, refreshed.json.access_token), 200);
    } finally {
      updateConfig(s.home, (c) => {
        c.oauth.access_token_seconds = 1800;
      });
    }
  });

  it("a token for another audience is refused: the public URL changed since it was issued", async () => {
    const t = await obtainTokens(s);
    assert.equal(await mcpStatus(s, t.access), 200);
    updateConfig(s.home, (c) => {
      c.public_base_url = "https://another-tunnel.example.com";
    });
    try {
      const reply = await mcpCall(s.url, t.access, "tools/list");
      assert.equal(reply.status, 401);
      assert.match(reply.json.error.message, /another resource/);
      const refreshed = await exchange(s, { grant_type: "refresh_token", refresh_token: t.refresh, client_id: t.clientId });
      assert.equal(refreshed.json.error, "invalid_grant");
    } finally {
      updateConfig(s.home, (c) => {
        c.public_base_url = s.url;
      });
    }
    const wrongResource = await exchange(s, { grant_type: "refresh_token", refresh_token: t.refresh, client_id: t.clientId, resource: "https://evil.example/mcp" });
    assert.equal(wrongResource.json.error, "invalid_target");
  });

  it("refresh rotates; a reused refresh token ends the whole family", async () => {
    const t = await obtainTokens(s);
    const r1 = await exchange(s, { grant_type: "refresh_token", refresh_token: t.refresh, client_id: t.clientId });
    assert.equal(r1.status, 200);
    assert.notEqual(r1.json.refresh_token, t.refresh);
    const replay = await exchange(s, { grant_type: "refresh_token", refresh_token: t.refresh, client_id: t.clientId });
    assert.equal(replay.json.error, "invalid_grant");
    const r2 = await exchange(s, { grant_type: "refresh_token", refresh_token: r1.json.refresh_token, client_id: t.clientId });
    assert.equal(r2.json.error, "invalid_grant", "the newest refresh token died with the family");
    assert.equal(await mcpStatus(s, r1.json.access_token), 401);
  });

  it("refresh cannot escalate scope; it may narrow it", async () => {
    const t = await obtainTokens(s, { scopes: ["workspace.read"] });
    assert.equal(t.scope, "workspace.read");
    for (const scope of ["workspace.read commands", "workspace.write", "admin", "workspace.read workspace.read2"]) {
      const reply = await exchange(s, { grant_type: "refresh_token", refresh_token: t.refresh, client_id: t.clientId, scope });
      assert.equal(reply.json.error, "invalid_scope", scope);
    }
    const full = await obtainTokens(s);
    const narrowed = await exchange(s, { grant_type: "refresh_token", refresh_token: full.refresh, client_id: full.clientId, scope: "workspace.read" });
    assert.equal(narrowed.status, 200);
    assert.equal(narrowed.json.scope, "workspace.read");
    const tools = (await mcpCall(s.url, narrowed.json.access_token, "tools/list")).json.result.tools.map((x: { name: string }) => x.name);
    assert.ok(!tools.includes("write_file") && !tools.includes("exec_command") && tools.includes("read_file"));
    const other = (await registerClient(s.url, [LOOPBACK_REDIRECT])).json.client_id;
    const foreign = await exchange(s, { grant_type: "refresh_token", refresh_token: narrowed.json.refresh_token, client_id: other });
    assert.equal(foreign.json.error, "invalid_grant");
  });

  it("a read-only grant's tools/call of write_file and exec_command is refused at the call", async () => {
    const t = await obtainTokens(s, { scopes: ["workspace.read"] });
    for (const [name, args] of [["write_file", { path: "x.txt", content: "x" }], ["exec_command", { command: "true" }]] as const) {
      const reply = await mcpCall(s.url, t.access, "tools/call", { name, arguments: args });
      assert.equal(reply.status, 200);
      assert.equal(reply.json.result.isError, true, name);
    }
  });
});

describe("connector OAuth: consent page", () => {
  let s: TestServer;
  let clientId: string;
  before(async () => {
    s = await startOAuthServer();
    clientId = (await registerClient(s.url, [LOOPBACK_REDIRECT])).json.client_id;
  });
  after(async () => s.close());

  async function consent() {
    const { challenge } = pkcePair();
    return openConsent(authorizeUrl(s.url, { response_type: "code", client_id: clientId, redirect_uri: LOOPBACK_REDIRECT, code_challenge: challenge, code_challenge_method: "S256", state: "st" }));
  }

  it("cannot be framed, runs no script, escapes the client's name", async () => {
    const evil = (await registerClient(s.url, [LOOPBACK_REDIRECT], { client_name: `<script>alert(1)</script>"><img src=x>` })).json.client_id;
    const { challenge } = pkcePair();
    const page = await openConsent(authorizeUrl(s.url, { response_type: "code", client_id: evil, redirect_uri: LOOPBACK_REDIRECT, code_challenge: challenge, code_challenge_method: "S256" }));
    assert.equal(page.status, 200);
    assert.ok(!page.html.includes("<script>") && !page.html.includes("<img"), "no markup from the client");
    const csp = page.headers.get("content-security-policy") ?? "";
    for (const part of ["default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self' http://127.0.0.1:9"]) assert.ok(csp.includes(part), `${part} in ${csp}`);
    assert.ok(!/script-src/.test(csp) || !/unsafe/.test(csp));
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    assert.equal(page.headers.get("cache-control"), "no-store");
    assert.match(page.headers.get("set-cookie") ?? "", /HttpOnly; SameSite=Strict/);
    assert.match(page.html, /name="pairing_code"/);
  });

  it("CSRF: no cookie, wrong cookie, wrong token, another site's Origin: nothing approved", async () => {
    const a = await consent();
    const b = await consent();
    const code = pairingCode(s.home);
    const attempts = [
      await submitConsent(s.url, a, { code, cookie: "" }),
      await submitConsent(s.url, a, { code, cookie: b.cookie }),
      await submitConsent(s.url, a, { code, csrf: b.hidden.csrf! }),
      await submitConsent(s.url, a, { code, csrf: "" }),
      await submitConsent(s.url, a, { code, headers: { origin: "https://evil.example" } }),
      await submitConsent(s.url, a, { code, headers: { "sec-fetch-site": "cross-site" } }),
    ];
    for (const reply of attempts) {
      assert.equal(reply.status, 403, reply.text.slice(0, 300));
      assert.equal(reply.headers.get("location"), null);
    }
    // The code was never tried, so it still works on the real page.
    const ok = await submitConsent(s.url, a, { code });
    assert.equal(ok.status, 302);
    assert.ok(new URL(ok.headers.get("location")!).searchParams.get("code"));
    // …and the request is answered: posting it again does nothing.
    const again = await submitConsent(s.url, a, { code: pairingCode(s.home) });
    assert.equal(again.status, 400);
    assert.equal(again.headers.get("location"), null);
  });

  it("a wrong code shows the error on the page; no scope ticked is refused", async () => {
    const form = await consent();
    const code = pairingCode(s.home);
    const wrong = await submitConsent(s.url, form, { code: "ZZZZ-ZZZZ" });
    assert.equal(wrong.status, 400);
    assert.match(wrong.text, /wrong pairing code/);
    assert.equal(wrong.headers.get("location"), null);
    const noScope = await submitConsent(s.url, form, { code, scopes: [] });
    assert.equal(noScope.status, 400);
    const forged = await submitConsent(s.url, form, { code, scopes: ["admin"] });
    assert.equal(forged.status, 400, "a scope the request did not show cannot be ticked");
    const right = await submitConsent(s.url, form, { code });
    assert.equal(right.status, 302);
  });

  it("brute force on one page: the request dies after 5 wrong tries, the code does not (bounded loop)", async () => {
    const form = await consent();
    const code = cliPairingCode(s.home);
    const statuses: number[] = [];
    const messages: string[] = [];
    for (let i = 0; i < 40; i++) {
      const guess = `${String(i).padStart(4, "2")}-AAAA`;
      const reply = await submitConsent(s.url, form, { code: guess });
      statuses.push(reply.status);
      messages.push(/class="err" role="alert">([^<]*)</.exec(reply.text)?.[1] ?? "");
      assert.equal(reply.headers.get("location"), null);
    }
    assert.deepEqual(statuses, Array(40).fill(400), "refused, never a throttle that could reach the owner");
    assert.ok(messages.slice(0, 4).every((m) => /wrong pairing code/.test(m)), messages.slice(0, 4).join(" | "));
    assert.ok(messages.slice(4).every((m) => /used up its 5 tries/.test(m)), "the 5th wrong try ends this request");
    assert.ok(!messages.some((m) => /void/.test(m)), "the code itself is never voided by wrong tries");
    // The real code no longer helps on this page…
    const late = await submitConsent(s.url, form, { code });
    assert.equal(late.status, 400);
    assert.equal(late.headers.get("location"), null);
    // …but it works on a fresh one.
    const fresh = await submitConsent(s.url, await consent(), { code });
    assert.equal(fresh.status, 302);
  });
});

describe("connector OAuth: the access state rules every grant", () => {
  it("connector revoke ends one grant at once; refresh after revoke fails", async () => {
    const s = await startOAuthServer();
    try {
      const a = await obtainTokens(s);
      const b = await obtainTokens(s);
      const list = runCli(["connector", "list", "--json"], s.home);
      assert.equal(list.code, 0, list.stderr);
      const grants = JSON.parse(list.stdout).grants;
      assert.equal(grants.length, 2);
      assert.ok(!list.stdout.includes("hash"), "no hashes in the listing");
      assert.deepEqual(grants[0].scopes, ["workspace.read", "workspace.write", "commands"]);
      const human = runCli(["connector", "list"], s.home);
      assert.match(human.stdout, /Test client/);
      const revoked = runCli(["connector", "revoke", grants[0].id], s.home);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal(await mcpStatus(s, a.access), 401);
      assert.equal((await exchange(s, { grant_type: "refresh_token", refresh_token: a.refresh, client_id: a.clientId })).json.error, "invalid_grant");
      assert.equal(await mcpStatus(s, b.access), 200, "the other grant stands");
      assert.equal(runCli(["connector", "revoke", "nope"], s.home).code, 1);
      const status = runCli(["access", "status", "--json"], s.home);
      assert.deepEqual(JSON.parse(status.stdout).connectors, { grants: 1 });
    } finally {
      await s.close();
    }
  });

  it("channel revoke ends every grant, and renew does not bring them back", async () => {
    const s = await startOAuthServer();
    try {
      const a = await obtainTokens(s);
      const b = await obtainTokens(s, { scopes: ["workspace.read"] });
      assert.equal(runCli(["channel", "revoke"], s.home).code, 0);
      for (const t of [a, b]) {
        const reply = await mcpCall(s.url, t.access, "tools/list");
        assert.equal(reply.status, 401);
      }
      assert.equal(runCli(["channel", "renew"], s.home).code, 0);
      for (const t of [a, b]) {
        assert.equal(await mcpStatus(s, t.access), 401, "still refused after renew");
        const refreshed = await exchange(s, { grant_type: "refresh_token", refresh_token: t.refresh, client_id: t.clientId });
        assert.equal(refreshed.json.error, "invalid_grant");
      }
      assert.deepEqual((await getPath(s.url, "/health")).json.connectors, { grants: 0 });
      const listed = JSON.parse(runCli(["connector", "list", "--json"], s.home).stdout).grants;
      assert.ok(listed.every((g: { status: string }) => g.status === "ended"));
    } finally {
      await s.close();
    }
  });

  it("TTL expiry ends every grant: 403 while expired, refused for good after renew", async () => {
    const s = await startOAuthServer();
    try {
      // Long enough for the approval on a busy machine; the wait below is until the expiry, not a timing assertion.
      const expiry = Date.now() + 10_000;
      updateConfig(s.home, (c) => {
        c.access.expires_at = new Date(expiry).toISOString();
      });
      const t = await obtainTokens(s);
      assert.equal(await mcpStatus(s, t.access), 200);
      await new Promise((r) => setTimeout(r, Math.max(0, expiry - Date.now()) + 300));
      const expired = await mcpCall(s.url, t.access, "tools/list");
      assert.equal(expired.status, 403);
      assert.equal(expired.json.error.code, "ACCESS_EXPIRED");
      assert.equal((await exchange(s, { grant_type: "refresh_token", refresh_token: t.refresh, client_id: t.clientId })).json.error, "invalid_grant");
      assert.equal(runCli(["access", "grant"], s.home).code, 0);
      assert.equal(await mcpStatus(s, t.access), 401, "the grant ended with the TTL");
      assert.equal((await exchange(s, { grant_type: "refresh_token", refresh_token: t.refresh, client_id: t.clientId })).json.error, "invalid_grant");
      // A new approval works again.
      const fresh = await obtainTokens(s);
      assert.equal(await mcpStatus(s, fresh.access), 200);
    } finally {
      await s.close();
    }
  });

  it("access revoke (paused) refuses OAuth tokens with ACCESS_EXPIRED", async () => {
    const s = await startOAuthServer();
    try {
      const t = await obtainTokens(s);
      assert.equal(runCli(["access", "revoke"], s.home).code, 0);
      const reply = await mcpCall(s.url, t.access, "tools/list");
      assert.equal(reply.status, 403);
      assert.equal(reply.json.error.code, "ACCESS_EXPIRED");
    } finally {
      await s.close();
    }
  });

  it("the token endpoint takes no code while access is revoked", async () => {
    const s = await startOAuthServer();
    try {
      const got = await obtainCode(s);
      assert.equal(runCli(["access", "revoke"], s.home).code, 0);
      const reply = await postForm(`${s.url}/oauth/token`, { grant_type: "authorization_code", code: got.code, client_id: got.clientId, redirect_uri: got.redirect, code_verifier: got.verifier });
      assert.equal(reply.status, 400);
      assert.equal(JSON.parse(reply.text).error, "invalid_grant");
    } finally {
      await s.close();
    }
  });
});
