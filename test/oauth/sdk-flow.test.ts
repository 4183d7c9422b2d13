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
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { writeFileSync } from "node:fs";
import { auditRecord, getPath, type TestServer } from "../helpers.js";
import { startOAuthServer } from "./helpers.js";
import { connectWithOAuth, PersonAtTheComputer } from "./sdk-person.js";

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
    const mine = await auditRecord(s.home, (r) => r.face === "mcp" && r.action === "read_file");
    assert.match(mine.client, /^oauth:MCP SDK test client \([0-9a-f]{8}\)$/);

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
