/**
 * The official MCP SDK client connects with OAuth end to end, as ChatGPT's
 * connector would: 401 + resource metadata → discovery → dynamic registration
 * → the consent page (a person types the pairing code from the CLI) →
 * code + PKCE → tokens → tool calls; then refresh.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { writeFileSync } from "node:fs";
import type { TestServer } from "../helpers.js";
import { getPath } from "../helpers.js";
import { LOOPBACK_REDIRECT, cliPairingCode, openConsent, startOAuthServer, submitConsent } from "./helpers.js";

/** An OAuthClientProvider whose "browser" is a person filling in the consent form. */
class PersonAtTheComputer implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  code: string | undefined;
  pages = 0;

  constructor(
    private readonly s: TestServer,
    private readonly tick?: string[],
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
    const answer = await submitConsent(this.s.url, form, { code: cliPairingCode(this.s.home), scopes: this.tick });
    assert.equal(answer.status, 302, answer.text.slice(0, 400));
    const back = new URL(answer.headers.get("location")!);
    assert.equal(back.origin + back.pathname, LOOPBACK_REDIRECT);
    assert.equal(back.searchParams.get("state"), "sdk-state-123");
    assert.equal(back.searchParams.get("iss"), this.s.url);
    this.code = back.searchParams.get("code") ?? undefined;
  }
}

async function connectWithOAuth(s: TestServer, provider: PersonAtTheComputer): Promise<Client> {
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

function text(result: CallToolResult): string {
  const first = result.content[0];
  assert.ok(first && first.type === "text");
  return first.text;
}

describe("MCP SDK client: OAuth end to end", () => {
  let s: TestServer;
  before(async () => {
    s = await startOAuthServer();
    writeFileSync(join(s.workspace, "hello.txt"), "hello from the workspace\n");
  });
  after(async () => s.close());

  it("discovers, registers, gets approved with the pairing code, and calls tools", async () => {
    const provider = new PersonAtTheComputer(s);
    const client = await connectWithOAuth(s, provider);
    assert.equal(provider.pages, 1);
    assert.ok(provider.saved?.access_token?.startsWith("cgo_"));
    assert.ok(provider.saved?.refresh_token);
    assert.equal(provider.saved?.scope, "workspace.read workspace.write commands");

    const tools = await client.listTools();
    assert.ok(tools.tools.some((t) => t.name === "exec_command"));
    const read = (await client.callTool({ name: "read_file", arguments: { path: "hello.txt" } })) as CallToolResult;
    assert.notEqual(read.isError, true, text(read));
    assert.equal(JSON.parse(text(read)).content, "hello from the workspace\n");
    const wrote = (await client.callTool({ name: "write_file", arguments: { path: "new.txt", content: "x\n" } })) as CallToolResult;
    assert.notEqual(wrote.isError, true, text(wrote));
    await client.close();

    // The audit log names the client of each call.
    const audit = readFileSync(join(s.home, "audit.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const mine = audit.filter((r) => r.face === "mcp" && r.action === "read_file");
    assert.ok(mine.length > 0);
    assert.match(mine.at(-1).client, /^oauth:MCP SDK test client \([0-9a-f]{8}\)$/);

    // Grants are persisted privately, hashed: neither token appears in the file.
    const file = join(s.home, "connector-grants.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const stored = readFileSync(file, "utf8");
    assert.ok(!stored.includes(provider.saved!.refresh_token!), "refresh token not stored in clear");
    assert.ok(!stored.includes(provider.saved!.access_token), "access token not stored");

    // /health shows the count only.
    const health = await getPath(s.url, "/health");
    assert.deepEqual(health.json.connectors, { grants: 1 });
    assert.ok(!health.text.includes("MCP SDK test client"));
  });

  it("refreshes with rotation when the access token is gone, and keeps working", async () => {
    const provider = new PersonAtTheComputer(s);
    const client = await connectWithOAuth(s, provider);
    await client.close();
    const firstRefresh = provider.saved!.refresh_token!;
    // Pretend the access token expired: the SDK must refresh on the 401 without a new consent.
    provider.saved = { ...provider.saved!, access_token: "cgo_expired-or-unknown-token-aaaaaaaaaaaaaaaaaaaa" };
    const again = new Client({ name: "sdk-oauth", version: "1.0.0" });
    await again.connect(new StreamableHTTPClientTransport(new URL(`${s.url}/mcp`), { authProvider: provider }));
    const status = (await again.callTool({ name: "workspace_status", arguments: {} })) as CallToolResult;
    assert.notEqual(status.isError, true, text(status));
    assert.equal(provider.pages, 1, "no second consent");
    assert.notEqual(provider.saved!.refresh_token, firstRefresh, "refresh token rotated");
    await again.close();
  });

  it("a read-only grant neither lists nor runs write and command tools", async () => {
    const provider = new PersonAtTheComputer(s, ["workspace.read"]);
    const client = await connectWithOAuth(s, provider);
    assert.equal(provider.saved?.scope, "workspace.read");
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("read_file") && names.includes("list_files"));
    for (const hidden of ["write_file", "apply_patch", "exec_command", "command_output", "kill_command"]) {
      assert.ok(!names.includes(hidden), `${hidden} not listed`);
    }
    for (const [name, args] of [
      ["write_file", { path: "evil.txt", content: "x" }],
      ["apply_patch", { patch: "*** Begin Patch\n*** Add File: evil2.txt\n+x\n*** End Patch" }],
      ["exec_command", { command: "touch evil3.txt" }],
    ] as const) {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      assert.equal(result.isError, true, `${name} refused`);
      assert.match(text(result), /outside what the owner granted/);
    }
    for (const file of ["evil.txt", "evil2.txt", "evil3.txt"]) {
      assert.throws(() => statSync(join(s.workspace, file)), `${file} was not created`);
    }
    const read = (await client.callTool({ name: "read_file", arguments: { path: "hello.txt" } })) as CallToolResult;
    assert.notEqual(read.isError, true);
    await client.close();
  });
});
