/** The connector's OAuth flow driven the way a person and a client would: real server, real CLI, real HTTP. */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import type { Config } from "../../src/config/schema.js";
import { updateConfig } from "../../src/config/store.js";
import { createPairingCode } from "../../src/oauth/pairing.js";
import { makeHome, runCli, startServer, type TestServer } from "../helpers.js";

export const LOOPBACK_REDIRECT = "http://127.0.0.1:9/callback";
export const CHATGPT_REDIRECT = "https://chatgpt.com/connector_platform_oauth_redirect";

/** A real server whose public base URL is its own loopback base (so the resource is <loopback>/mcp). */
export async function startOAuthServer(change?: (config: Config) => void): Promise<TestServer> {
  const s = await startServer(makeHome({ change }));
  updateConfig(s.home, (c) => {
    c.public_base_url = s.url;
  });
  return s;
}

/**
 * A fresh pairing code made in this process by the function `connector code` calls. The
 * end-to-end tests use the real CLI (`cliPairingCode`); the many hostile cases use this so
 * they do not start a process per approval.
 */
export function pairingCode(home: string): string {
  return createPairingCode(home).code;
}

/** A fresh pairing code from the real CLI, in another process (as the owner would type it). */
export function cliPairingCode(home: string): string {
  const result = runCli(["connector", "code"], home);
  assert.equal(result.code, 0, result.stderr);
  const match = /Pairing code: ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(result.stdout);
  assert.ok(match, `a code in: ${result.stdout}`);
  return match[1]!;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export interface RawReply {
  status: number;
  headers: Headers;
  text: string;
}

export async function raw(url: string, init: RequestInit = {}): Promise<RawReply> {
  const response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(30_000), ...init });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

export async function postForm(url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<RawReply> {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) body.append(key, v);
  return raw(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: body.toString() });
}

export async function postJsonRaw(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawReply & { json: any }> {
  const reply = await raw(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  let json: unknown;
  try {
    json = JSON.parse(reply.text);
  } catch {
    json = undefined;
  }
  return { ...reply, json };
}

export async function registerClient(base: string, redirectUris: string[], extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return postJsonRaw(`${base}/oauth/register`, { client_name: "Test client", redirect_uris: redirectUris, token_endpoint_auth_method: "none", ...extra }, headers);
}

/** The consent form as a browser sees it: its hidden fields, its checkboxes, its cookie. */
export interface ConsentForm {
  status: number;
  html: string;
  headers: Headers;
  hidden: Record<string, string>;
  scopes: string[];
  cookie: string;
}

function unescape(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

export async function openConsent(authorizeUrl: string, headers: Record<string, string> = {}): Promise<ConsentForm> {
  const page = await raw(authorizeUrl, { headers });
  const hidden: Record<string, string> = {};
  for (const m of page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) hidden[m[1]!] = unescape(m[2]!);
  const scopes = [...page.text.matchAll(/<input type="checkbox" name="scope" value="([^"]+)" checked>/g)].map((m) => unescape(m[1]!));
  const setCookie = page.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0] ?? "";
  return { status: page.status, html: page.text, headers: page.headers, hidden, scopes, cookie };
}

/** Fill in the pairing code like a person: keep the hidden fields, tick the boxes, send the cookie back. */
export async function submitConsent(
  base: string,
  form: ConsentForm,
  options: { code: string; scopes?: string[]; decision?: string; csrf?: string; cookie?: string; headers?: Record<string, string> },
): Promise<RawReply> {
  return postForm(
    `${base}/oauth/authorize`,
    { ...form.hidden, ...(options.csrf !== undefined ? { csrf: options.csrf } : {}), scope: options.scopes ?? form.scopes, pairing_code: options.code, decision: options.decision ?? "approve" },
    { cookie: options.cookie ?? form.cookie, ...options.headers },
  );
}

export function authorizeUrl(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(`${base}/oauth/authorize`);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

/** The whole code flow by hand; returns the code and what produced it. */
export async function obtainCode(
  s: TestServer,
  options: { redirect?: string; scopes?: string[]; scope?: string; resource?: string; clientId?: string } = {},
): Promise<{ code: string; clientId: string; verifier: string; redirect: string; state: string }> {
  const redirect = options.redirect ?? LOOPBACK_REDIRECT;
  const clientId = options.clientId ?? (await registerClient(s.url, [redirect])).json.client_id;
  assert.ok(clientId, "client registered");
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(8).toString("hex");
  const form = await openConsent(
    authorizeUrl(s.url, {
      response_type: "code",
      client_id: clientId,
      redirect_uri: redirect,
      code_challenge: challenge,
      code_challenge_method: "S256",
      state,
      scope: options.scope,
      resource: options.resource ?? `${s.url}/mcp`,
    }),
  );
  assert.equal(form.status, 200, form.html.slice(0, 500));
  const answer = await submitConsent(s.url, form, { code: pairingCode(s.home), scopes: options.scopes });
  assert.equal(answer.status, 302, answer.text.slice(0, 500));
  const location = new URL(answer.headers.get("location")!);
  assert.equal(location.searchParams.get("state"), state, "state returned");
  const code = location.searchParams.get("code");
  assert.ok(code, `a code in ${location}`);
  return { code, clientId, verifier, redirect, state };
}

export async function exchange(s: TestServer, fields: Record<string, string>) {
  const reply = await postForm(`${s.url}/oauth/token`, fields);
  return { ...reply, json: JSON.parse(reply.text) as any };
}

/** Code → tokens, the normal way. */
export async function obtainTokens(s: TestServer, options: Parameters<typeof obtainCode>[1] = {}) {
  const got = await obtainCode(s, options);
  const reply = await exchange(s, {
    grant_type: "authorization_code",
    code: got.code,
    client_id: got.clientId,
    redirect_uri: got.redirect,
    code_verifier: got.verifier,
    resource: `${s.url}/mcp`,
  });
  assert.equal(reply.status, 200, reply.text);
  return { ...got, access: reply.json.access_token as string, refresh: reply.json.refresh_token as string, scope: reply.json.scope as string };
}

/** A raw MCP JSON-RPC call on /mcp with a bearer. */
export async function mcpCall(base: string, token: string | undefined, method: string, params: unknown = {}): Promise<RawReply & { json: any }> {
  const headers: Record<string, string> = { accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-06-18" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return postJsonRaw(`${base}/mcp`, { jsonrpc: "2.0", id: 1, method, params }, headers);
}
