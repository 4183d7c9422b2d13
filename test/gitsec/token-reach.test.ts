import assert from "node:assert/strict";
import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { auditFile, configFile } from "../../src/config/paths.js";
import { makeHome, startServer, type TestServer } from "../helpers.js";
import { setupGit } from "./helpers.js";

/** The token's random part: what must appear nowhere (with or without the cgc_ prefix). */
const secretOf = (token: string) => token.replace(/^cgc_/, "");

function auditText(home: string): string {
  const file = auditFile(home);
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

it("a hard link to the config file (made by the test or by a command) is refused by read_file, search_text and git_diff", async () => {
  const fixture = makeHome();
  const ws = fixture.workspace;
  const secret = secretOf(fixture.token);
  setupGit(ws, "init", "-q", "-b", "main");
  writeFileSync(join(ws, "tracked.json"), "{}\n");
  writeFileSync(join(ws, "other.txt"), "an ordinary file mentioning token\n");
  setupGit(ws, "add", ".");
  setupGit(ws, "commit", "-q", "-m", "init");
  const config = configFile(fixture.home);
  // Untracked twin, a tracked file replaced by a twin, and a twin in a sub-folder.
  linkSync(config, join(ws, "twin.json"));
  rmSync(join(ws, "tracked.json"));
  linkSync(config, join(ws, "tracked.json"));
  linkSync(config, join(ws, "deep-twin.txt"));
  const s = await startServer(fixture);
  try {
    // A twin made by a command, when the policy lets the command run at all.
    const made = await s.post("exec_command", { command: `ln ${JSON.stringify(config)} cmd-twin.json`, wait_seconds: 10 });
    const twins = ["twin.json", "tracked.json", "deep-twin.txt", ...(existsSync(join(ws, "cmd-twin.json")) ? ["cmd-twin.json"] : [])];
    assert.ok(made.status === 200 || made.status === 403, made.text);
    for (const path of twins) {
      const read = await s.post("read_file", { path });
      assert.equal(read.status, 403, `read_file ${path}: ${read.text}`);
      assert.equal(read.json.error.code, "OUTSIDE_WORKSPACE");
      const search = await s.post("search_text", { query: "token", path });
      assert.equal(search.status, 403, `search_text path ${path}`);
      const diff = await s.post("git_diff", { path });
      assert.equal(diff.status, 403, `git_diff path ${path}`);
      const write = await s.post("write_file", { path, content: "{}" });
      assert.equal(write.status, 403, `write_file through the twin ${path} would change the config`);
    }
    for (const query of ["token", secret.slice(0, 12), "cgc_", "workspaces"]) {
      const search = await s.post("search_text", { query, path: "." });
      assert.equal(search.status, 200, search.text);
      assert.ok(!search.text.includes(secret), `search_text ${query} leaked the token`);
      const paths = search.json.matches.map((m: { path: string }) => m.path);
      for (const twin of twins) assert.ok(!paths.includes(twin), `search_text ${query} answered from ${twin}`);
    }
    for (const body of [{}, { staged: true }, { context_lines: 50 }]) {
      const diff = await s.post("git_diff", body);
      assert.equal(diff.status, 200, diff.text);
      assert.ok(!diff.text.includes(secret), `git_diff ${JSON.stringify(body)} leaked the token`);
    }
    const all = await s.post("git_diff", {});
    assert.match(all.json.diff, /not shown: this file is the tool's config file/);
    assert.equal(config.startsWith(ws), false);
    assert.equal(JSON.parse(readFileSync(config, "utf8")).token, fixture.token, "the config is unchanged");
  } finally {
    await s.close();
  }
  assert.ok(!auditText(fixture.home).includes(secret));
});

it("the token sent inside a command, a path, file content or a patch never comes back in an answer or the audit log (HTTP and MCP)", async () => {
  const fixture = makeHome();
  const ws = fixture.workspace;
  const token = fixture.token;
  const secret = secretOf(token);
  writeFileSync(join(ws, "notes.txt"), `line one\nthe token is ${token} here\nand bare ${secret}\n`);
  const s: TestServer = await startServer(fixture);
  const replies: string[] = [];
  const keep = async (action: string, body: unknown) => {
    const reply = await s.post(action, body);
    replies.push(reply.text);
    return reply;
  };
  try {
    const read = await keep("read_file", { path: "notes.txt" });
    assert.equal(read.status, 200);
    assert.match(read.json.content, /the token is cgc_\[redacted\] here/);
    assert.match(read.json.content, /and bare \[redacted\]/);
    const search = await keep("search_text", { query: "token is" });
    assert.equal(search.json.matches.length, 1);
    await keep("search_text", { query: secret.slice(5, 30) });
    await keep("read_file", { path: `missing-${token}.txt` });
    await keep("read_file", { path: `../${secret}/x` });
    await keep("write_file", { path: `dir-${secret}/f.txt`, content: `content with ${token}\n` });
    await keep("list_files", { path: ".", glob: `*${secret}*` });
    await keep("exec_command", { command: `echo ${token}; echo ${secret} >&2`, wait_seconds: 10 });
    await keep("exec_command", { command: `rm -rf / --no-preserve-root # ${token}`, wait_seconds: 5 });
    await keep("exec_command", { command: `cat ${secret}.txt`, wait_seconds: 5 });
    await keep("apply_patch", { patch: `*** Begin Patch\n*** Update File: notes.txt\n@@\n-no such line ${token}\n+x\n*** End Patch\n` });
    await keep("apply_patch", { patch: `*** Begin Patch\n*** Add File: p-${secret}.txt\n+${token}\n*** End Patch\n` });
    await keep("git_diff", { path: `${secret}.txt` });
    // The 404 page names the path it did not find.
    const notFound = await fetch(`${s.url}/${token}`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    replies.push(await notFound.text());
    for (const [i, text] of replies.entries()) assert.ok(!text.includes(secret), `HTTP answer ${i} carried the token: ${text.slice(0, 300)}`);

    // MCP: text and structuredContent alike.
    const client = new Client({ name: "t", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${s.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    try {
      for (const [name, args] of [
        ["read_file", { path: "notes.txt" }],
        ["search_text", { query: "token" }],
        ["read_file", { path: `nope-${token}` }],
        ["exec_command", { command: `printf '%s\\n' ${token}`, wait_seconds: 10 }],
      ] as const) {
        const result = (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult;
        const wire = JSON.stringify(result);
        assert.ok(!wire.includes(secret), `MCP ${name} carried the token`);
        if (name === "read_file" && !result.isError) assert.match(wire, /\[redacted\]/);
      }
    } finally {
      await client.close();
    }
  } finally {
    await s.close();
  }
  const audit = auditText(fixture.home);
  assert.ok(audit.length > 0, "the audit log was written");
  assert.ok(!audit.includes(secret), "the audit log carries the token");
  assert.match(audit, /\[redacted\]/, "the audit log shows where the token was");
});
