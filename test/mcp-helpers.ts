/** The official MCP SDK client over real HTTP, for tests that drive the /mcp face. */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { TestServer } from "./helpers.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export async function connect(s: TestServer, headers: Record<string, string> = { authorization: `Bearer ${s.token}` }): Promise<Client> {
  const client = new Client({ name: "mcp-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${s.url}/mcp`), { requestInit: { headers } });
  await client.connect(transport);
  return client;
}

export async function call(client: Client, name: string, args: Json = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult;
}

export function text(result: CallToolResult): string {
  const first = result.content[0];
  assert.ok(first && first.type === "text", "first content item is text");
  return first.text;
}

export function okBody(result: CallToolResult): Json {
  assert.notEqual(result.isError, true, `tool failed: ${result.isError ? text(result) : ""}`);
  const parsed = JSON.parse(text(result)) as Json;
  // Clients read one or the other, so both carry the whole answer: the same JSON.
  assert.deepEqual(result.structuredContent, parsed, "structuredContent is the text's JSON");
  assert.equal(result.content.length, 1, "one text block");
  return parsed;
}

export function assertRefused(result: CallToolResult, code: string): string {
  assert.equal(result.isError, true, `expected an error result, got ${text(result).slice(0, 300)}`);
  const message = text(result);
  assert.ok(message.startsWith(`${code}: `), `error text starts with the code ${code}: ${message}`);
  assert.equal((result.structuredContent as Json | undefined)?.error?.code, code);
  return message;
}
