/**
 * The access token printed by a command, end to end on both faces: the real `serve`
 * process, a command that prints the token it assembled from two files (the token is
 * never in the command text), read back through HTTP (exec_command, command_output)
 * and through /mcp (tools/call). Every answer shows `[redacted]` where the token was
 * and never the token. A second guard beside exec-output's and gitsec's.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { makeWorld, startCliServer, type CliServer, type World } from "../sandbox/harness.js";

/** Prints the token (both halves, no newline between) on stdout and again on stderr. */
const PRINT = "cat tok-a tok-b; echo; cat tok-a tok-b >&2; echo >&2";

describe("a command that prints the token: redacted on HTTP and on /mcp", () => {
  let world: World;
  let server: CliServer;
  before(async () => {
    world = makeWorld();
    const half = Math.floor(world.token.length / 2);
    writeFileSync(join(world.workspace, "tok-a"), world.token.slice(0, half));
    writeFileSync(join(world.workspace, "tok-b"), world.token.slice(half));
    server = await startCliServer(world);
  });
  after(async () => {
    await server.close();
  });

  it("HTTP: exec_command and a later command_output show [redacted], never the token", async () => {
    assert.ok(!PRINT.includes(world.token), "the command text itself does not carry the token");
    const now = await server.post("exec_command", { command: PRINT, wait_seconds: 20 });
    assert.equal(now.status, 200, now.text);
    assert.equal(now.json.exit_code, 0, now.text);
    assert.ok(!now.text.includes(world.token), "the token reached the answer");
    assert.equal(now.json.stdout, "[redacted]\n");
    assert.equal(now.json.stderr, "[redacted]\n");

    // A job read later: the halves arrive in separate writes, a moment apart.
    const later = await server.post("exec_command", { command: "sleep 0.3; cat tok-a; sleep 0.3; cat tok-b; echo", wait_seconds: 0 });
    assert.equal(later.status, 200, later.text);
    const read = await server.post("command_output", { job_id: later.json.job_id, wait_seconds: 20 });
    assert.equal(read.status, 200, read.text);
    assert.equal(read.json.status, "exited", read.text);
    assert.ok(!read.text.includes(world.token), "the token reached the answer");
    assert.equal(read.json.stdout, "[redacted]\n");
    const lines = await server.post("command_output", { job_id: later.json.job_id, start_line: 1 });
    assert.ok(!lines.text.includes(world.token), "the token reached a line read");
    assert.match(lines.json.output, /\[redacted\]/);
  });

  it("/mcp: tools/call exec_command and command_output show [redacted], never the token", async () => {
    const client = new Client({ name: "redaction-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${world.token}` } } }));
    try {
      const call = async (name: string, args: Record<string, unknown>) => {
        const result = (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult;
        const wire = JSON.stringify(result);
        assert.ok(!wire.includes(world.token), `MCP ${name} carried the token`);
        assert.notEqual(result.isError, true, wire.slice(0, 500));
        const first = result.content[0];
        assert.ok(first && first.type === "text", "the body is text");
        return JSON.parse(first.text) as { job_id: string; stdout: string; stderr: string; exit_code: number };
      };
      const now = await call("exec_command", { command: PRINT, wait_seconds: 20 });
      assert.equal(now.exit_code, 0);
      assert.equal(now.stdout, "[redacted]\n");
      assert.equal(now.stderr, "[redacted]\n");
      const later = await call("exec_command", { command: "sleep 0.3; cat tok-a tok-b; echo", wait_seconds: 0 });
      const read = await call("command_output", { job_id: later.job_id, wait_seconds: 20 });
      assert.equal(read.stdout, "[redacted]\n");
    } finally {
      await client.close();
    }
  });
});
