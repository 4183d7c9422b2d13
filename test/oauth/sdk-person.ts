/** The owner connecting through the official MCP SDK client, as ChatGPT's connector would. */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { TestServer } from "../helpers.js";
import { LOOPBACK_REDIRECT, cliPairingCode, openConsent, submitConsent } from "./helpers.js";

/** An OAuthClientProvider whose "browser" is a person filling in the consent form. */
export class PersonAtTheComputer implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  code: string | undefined;
  pages = 0;

  constructor(
    private readonly s: TestServer,
    private readonly tick?: string[],
    /** The code the person types; by default a fresh one from the real CLI. */
    private readonly pairing: () => string = () => cliPairingCode(s.home),
  ) {}

  get redirectUrl(): string {
    return LOOPBACK_REDIRECT;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "MCP SDK test client",
      redirect_uris: [LOOPBACK_REDIRECT],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  state(): string {
    return "sdk-state-123";
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  async redirectToAuthorization(url: URL) {
    this.pages++;
    const form = await openConsent(url.toString());
    assert.equal(form.status, 200, form.html.slice(0, 400));
    assert.match(form.html, /MCP SDK test client/, "the page names the client");
    assert.match(form.html, /127\.0\.0\.1:9\/callback/, "the page names the redirect URI");
    assert.match(form.html, /<code>ws<\/code>/, "the page names the workspace");
    assert.match(form.html, /连接到这台电脑/, "the page speaks Chinese too");
    assert.match(form.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
    assert.equal(form.headers.get("x-frame-options"), "DENY");
    const answer = await submitConsent(this.s.url, form, { code: this.pairing(), scopes: this.tick });
    assert.equal(answer.status, 302, answer.text.slice(0, 400));
    const back = new URL(answer.headers.get("location")!);
    assert.equal(back.origin + back.pathname, LOOPBACK_REDIRECT);
    assert.equal(back.searchParams.get("state"), "sdk-state-123");
    assert.equal(back.searchParams.get("iss"), this.s.url);
    this.code = back.searchParams.get("code") ?? undefined;
  }
}

export async function connectWithOAuth(s: TestServer, provider: PersonAtTheComputer): Promise<Client> {
  const url = new URL(`${s.url}/mcp`);
  const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
  const probe = new Client({ name: "sdk-oauth", version: "1.0.0" });
  await assert.rejects(probe.connect(first), UnauthorizedError, "no token yet: the SDK starts the OAuth flow");
  assert.ok(provider.code, "the consent page gave a code");
  await first.finishAuth(provider.code!);
  const client = new Client({ name: "sdk-oauth", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
  return client;
}
