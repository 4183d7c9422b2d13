/**
 * The MCP face (/mcp), driven by the official MCP SDK client over real HTTP:
 * same registry, same token and access state, same policy, jobs and audit log.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { actionEffects } from "../src/actions/define.js";
import { ACTIONS } from "../src/actions/registry.js";
import { updateConfig } from "../src/config/store.js";
import { LIMITS } from "../src/ground/limits.js";
import { hostAllowed } from "../src/mcp/host.js";
import { toOpenApiSchema } from "../src/server/openapi.js";
import { comesTrue, getPath, makeHome, runCli, startServer, type TestServer } from "./helpers.js";
import { assertRefused, call, connect, okBody, type Json } from "./mcp-helpers.js";

// restore_checkpoint deletes and overwrites files too (docs/checkpoints.md), and write_stdin types
// into a shell, which runs it as a command: both are marked as well (the actions the GPT asks about).
const DESTRUCTIVE = new Set(["write_file", "apply_patch", "exec_command", "write_stdin", "restore_checkpoint"]);
const INIT_BODY = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw-test", version: "0" } },
};

/** A raw request with full control of the Host and Origin headers (fetch forbids setting Host). */
function rawMcp(s: TestServer, options: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<{ status: number; json: Json | undefined; text: string }> {
  const url = new URL(`${s.url}/mcp`);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: options.method ?? "POST",
        headers: {
          accept: "application/json, text/event-stream",
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...options.headers,
        },
        timeout: 30_000,
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (data += chunk));
        res.on("end", () => {
          let json: Json | undefined;
          try {
            json = JSON.parse(data) as Json;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, text: data });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

/** The audit log's records, once `ready` holds for them (the log is written in batches), or as they are after 15 s. */
async function auditLines(home: string, ready: (lines: Json[]) => boolean): Promise<Json[]> {
  const file = join(home, "audit.log");
  const read = () =>
    existsSync(file)
      ? readFileSync(file, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Json)
      : [];
  await comesTrue(() => ready(read()));
  return read();
}

describe("MCP face: tools from the registry", () => {
  let s: TestServer;
  let client: Client;
  before(async () => {
    s = await startServer();
    client = await connect(s);
  });
  after(async () => {
    await client.close();
    await s.close();
  });

  it("initializes with the server's name and tools capability", () => {
    assert.equal(client.getServerVersion()?.name, "chatgpt-codex");
    assert.ok(client.getServerCapabilities()?.tools, "tools capability");
  });

  it("lists one tool per action, in registry order, with the action's schema and annotations", async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      ACTIONS.map((a) => a.name),
    );
    for (const action of ACTIONS) {
      const tool = tools.find((t) => t.name === action.name)!;
      assert.equal(tool.description, action.summary, `${action.name}: description`);
      assert.deepEqual(tool.inputSchema, toOpenApiSchema(action.input, "input"), `${action.name}: input schema`);
      assert.equal(tool.inputSchema.type, "object");
      const effects = actionEffects(action);
      assert.equal(tool.annotations?.readOnlyHint, effects.readOnly, `${action.name}: readOnlyHint`);
      assert.equal(tool.annotations?.destructiveHint, effects.destructive, `${action.name}: destructiveHint follows actionEffects`);
    }
  });

  it("marks write_file, apply_patch and exec_command destructive (contract §5), and only the actions the GPT asks about", async () => {
    const { tools } = await client.listTools();
    for (const tool of tools) {
      assert.equal(tool.annotations?.destructiveHint === true, DESTRUCTIVE.has(tool.name), `${tool.name}: destructiveHint`);
      if (tool.annotations?.readOnlyHint) assert.ok(!DESTRUCTIVE.has(tool.name));
    }
  });

  it("calls a read-only tool: workspace_status", async () => {
    const body = okBody(await call(client, "workspace_status"));
    assert.equal(body.active_workspace, "ws");
    assert.deepEqual(body.workspaces, [{ name: "ws", active: true }]);
    assert.deepEqual(body.access, { active: true, expires_at: null, reason: null });
  });

  it("turns bad arguments into an error result with the HTTP face's message", async () => {
    const viaMcp = assertRefused(await call(client, "switch_workspace", { name: 5 }), "BAD_REQUEST");
    const viaHttp = await s.post("switch_workspace", { name: 5 });
    assert.equal(viaHttp.status, 400);
    assert.ok(viaMcp.includes(viaHttp.json.error.message), `${viaMcp} / ${viaHttp.json.error.message}`);
  });

  it("turns a refused action into an error result: unknown workspace is NOT_FOUND", async () => {
    const message = assertRefused(await call(client, "switch_workspace", { name: "nope" }), "NOT_FOUND");
    assert.match(message, /nope/);
  });

  it("answers an unknown tool with a protocol error", async () => {
    await assert.rejects(call(client, "rm_rf"), /unknown tool/);
  });

  it("stays in step with the OpenAPI document, which does not list /mcp", async () => {
    const doc = (await getPath(s.url, "/openapi.json")).json as Json;
    const operations = Object.values(doc.paths as Json).flatMap((item) => Object.keys(item as Json));
    assert.ok(operations.length <= LIMITS.maxOperations && operations.length <= 30, `${operations.length} operations`);
    assert.ok(!Object.keys(doc.paths).some((path) => path.startsWith("/mcp")), "no /mcp in the OpenAPI document");
    const postPaths = Object.entries(doc.paths as Json)
      .filter(([, item]) => (item as Json).post)
      .map(([path]) => path.slice(1))
      .sort();
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), postPaths);
    for (const tool of tools) {
      assert.deepEqual(tool.inputSchema, doc.paths[`/${tool.name}`].post.requestBody.content["application/json"].schema, `${tool.name}: same schema`);
    }
  });

  it("works without a session: a bare tools/list with no initialize, and a second client in parallel", async () => {
    const bare = await rawMcp(s, {
      headers: { authorization: `Bearer ${s.token}` },
      body: { jsonrpc: "2.0", id: 7, method: "tools/list", params: {} },
    });
    assert.equal(bare.status, 200, bare.text);
    assert.equal(bare.json?.result?.tools?.length, ACTIONS.length);
    const other = await connect(s);
    try {
      const [a, b] = await Promise.all([call(client, "list_workspaces"), call(other, "workspace_status")]);
      okBody(a);
      okBody(b);
    } finally {
      await other.close();
    }
  });

  it("refuses GET and DELETE (stateless server) after checking the token", async () => {
    for (const method of ["GET", "DELETE"]) {
      const anonymous = await rawMcp(s, { method });
      assert.equal(anonymous.status, 401, `${method} without token`);
      assert.equal(anonymous.json?.error?.code, "UNAUTHORIZED");
      const authed = await rawMcp(s, { method, headers: { authorization: `Bearer ${s.token}` } });
      assert.equal(authed.status, 405, `${method} with token`);
      assert.equal(authed.json?.error?.code, "METHOD_NOT_ALLOWED");
    }
  });

  it("writes tool calls to the audit log with face \"mcp\"", async () => {
    okBody(await call(client, "workspace_status"));
    const statusOk = (line: Json) => line.face === "mcp" && line.action === "workspace_status" && line.outcome === "ok";
    const switchRefused = (line: Json) => line.face === "mcp" && line.action === "switch_workspace" && line.outcome === "error" && line.error_code === "NOT_FOUND";
    const lines = await auditLines(s.home, (all) => all.some(statusOk) && all.some(switchRefused));
    assert.ok(lines.some(statusOk), JSON.stringify(lines.slice(-5)));
    assert.ok(lines.some(switchRefused), JSON.stringify(lines.slice(-5)));
    assert.ok(!readFileSync(join(s.home, "audit.log"), "utf8").includes(s.token), "audit log never holds the token");
  });
});

describe("MCP face: files, patches and commands (same confinement and policy)", () => {
  let s: TestServer;
  let client: Client;
  before(async () => {
    s = await startServer();
    client = await connect(s);
  });
  after(async () => {
    await client.close();
    await s.close();
  });

  it("writes a file, and read_file sees it", async () => {
    const body = okBody(await call(client, "write_file", { path: "notes/a.txt", content: "alpha\nbeta\n" }));
    assert.equal(body.path, "notes/a.txt");
    assert.equal(body.created, true);
    assert.equal(readFileSync(join(s.workspace, "notes", "a.txt"), "utf8"), "alpha\nbeta\n");
    const read = okBody(await call(client, "read_file", { path: "notes/a.txt" }));
    assert.equal(read.content, "alpha\nbeta\n");
    assert.equal(read.sha256, body.sha256);
  });

  it("an 80 k read: structuredContent and one text block with the same JSON, about twice the body on the wire and no more", async () => {
    const line = "0123456789abcdef ".repeat(5) + "\n";
    writeFileSync(join(s.workspace, "big.txt"), line.repeat(Math.floor(88_000 / line.length)));
    const reply = await rawMcp(s, {
      headers: { authorization: `Bearer ${s.token}` },
      body: { jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "read_file", arguments: { path: "big.txt", max_chars: 80_000 } } },
    });
    assert.equal(reply.status, 200);
    const result = reply.json?.result;
    assert.equal(result.content.length, 1);
    const body = result.content[0].text as string;
    assert.deepEqual(result.structuredContent, JSON.parse(body));
    assert.ok(body.length > 78_000, `the read carried the file (${body.length} chars)`);
    assert.ok(!body.includes("\n"), "the text is compact JSON, on one line");
    assert.ok(reply.text.length < body.length * 2.3, `wire ${reply.text.length} chars for a ${body.length}-char body`);
  });

  it("applies a patch in the Codex format", async () => {
    writeFileSync(join(s.workspace, "patched.txt"), "one\ntwo\nthree\n");
    const patch = ["*** Begin Patch", "*** Update File: patched.txt", "@@", " one", "-two", "+TWO", " three", "*** End Patch", ""].join("\n");
    const body = okBody(await call(client, "apply_patch", { patch }));
    assert.equal(body.dry_run, false);
    assert.equal(body.files[0].path, "patched.txt");
    assert.equal(body.files[0].op, "update");
    assert.equal(readFileSync(join(s.workspace, "patched.txt"), "utf8"), "one\nTWO\nthree\n");
  });

  it("refuses a patch that escapes the workspace, changing nothing", async () => {
    const patch = ["*** Begin Patch", "*** Add File: ../escaped-by-patch.txt", "+x", "*** End Patch", ""].join("\n");
    assertRefused(await call(client, "apply_patch", { patch }), "OUTSIDE_WORKSPACE");
    assert.ok(!existsSync(join(dirname(s.workspace), "escaped-by-patch.txt")));
  });

  it("refuses a write outside the workspace with the HTTP face's message", async () => {
    const message = assertRefused(await call(client, "write_file", { path: "../escaped.txt", content: "x" }), "OUTSIDE_WORKSPACE");
    assert.ok(!existsSync(join(dirname(s.workspace), "escaped.txt")));
    const viaHttp = await s.post("write_file", { path: "../escaped.txt", content: "x" });
    assert.equal(viaHttp.json?.error?.code, "OUTSIDE_WORKSPACE");
    assert.ok(message.includes(viaHttp.json.error.message));
  });

  it("refuses a blocked command with an error result naming the rule, as the HTTP face does", async () => {
    const message = assertRefused(await call(client, "exec_command", { command: "sudo ls" }), "BLOCKED_BY_POLICY");
    const viaHttp = await s.post("exec_command", { command: "sudo ls" });
    assert.equal(viaHttp.status, 403);
    assert.equal(viaHttp.json?.error?.code, "BLOCKED_BY_POLICY");
    // The HTTP message names the rule; the tool result carries it verbatim.
    assert.ok(message.includes(viaHttp.json.error.message), `${message} / ${viaHttp.json.error.message}`);
  });

  it("runs a command to completion", async () => {
    const body = okBody(await call(client, "exec_command", { command: "echo hello-from-mcp" }));
    assert.equal(body.status, "exited");
    assert.equal(body.exit_code, 0);
    assert.match(body.stdout, /hello-from-mcp/);
  });

  it("shares jobs with the HTTP face: started over MCP, continued with command_output over HTTP and MCP", async () => {
    const started = okBody(await call(client, "exec_command", { command: "sleep 3; echo job-done", wait_seconds: 1 }));
    assert.equal(started.status, "running");
    assert.equal(typeof started.job_id, "string");
    // Bounded: at most a few rounds of up to 10 s each; the job itself takes about 3 s.
    let last: Json = started;
    for (let round = 0; round < 4 && last.status === "running"; round++) {
      const reply = await s.post("command_output", { job_id: started.job_id, wait_seconds: 10 });
      assert.equal(reply.status, 200, reply.text);
      last = reply.json as Json;
    }
    assert.equal(last.status, "exited");
    const all = okBody(await call(client, "command_output", { job_id: started.job_id, from_start: true, wait_seconds: 1 }));
    assert.equal(all.status, "exited");
    assert.match(all.stdout, /job-done/);
  });

  it("audits writes and refusals with face \"mcp\"", async () => {
    const patched = (line: Json) => line.face === "mcp" && line.action === "apply_patch" && line.outcome === "ok" && line.paths?.includes("patched.txt");
    const refused = (line: Json) => line.face === "mcp" && line.action === "apply_patch" && line.outcome === "refused" && line.error_code === "OUTSIDE_WORKSPACE";
    const lines = await auditLines(s.home, (all) => all.some(patched) && all.some(refused));
    assert.ok(lines.some(patched), JSON.stringify(lines.slice(-5)));
    assert.ok(lines.some(refused), JSON.stringify(lines.slice(-5)));
  });
});

describe("MCP face: the same gate as the Actions", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  it("rejects a client without a token or with a wrong one (401)", async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: "Bearer cgc_wrongwrongwrongwrongwrongwrongwrongwrongwro" }, { authorization: s.token }];
    for (const headers of attempts) {
      await assert.rejects(connect(s, headers), (error: Json) => {
        assert.equal(error.code, 401, String(error));
        return true;
      });
    }
    const raw = await rawMcp(s, { body: INIT_BODY });
    assert.equal(raw.status, 401);
    assert.equal(raw.json?.error?.code, "UNAUTHORIZED", "the contract's error shape");
    assert.ok(!raw.text.includes(s.token));
  });

  it("rejects a foreign Origin (403 FORBIDDEN_ORIGIN) even with the token", async () => {
    const raw = await rawMcp(s, { headers: { authorization: `Bearer ${s.token}`, origin: "https://evil.example" }, body: INIT_BODY });
    assert.equal(raw.status, 403);
    assert.equal(raw.json?.error?.code, "FORBIDDEN_ORIGIN");
    await assert.rejects(connect(s, { authorization: `Bearer ${s.token}`, origin: "https://evil.example" }), (error: Json) => error.code === 403);
  });

  it("rejects a Host that is neither loopback nor the public URL's host (DNS rebinding)", async () => {
    const port = new URL(s.url).port;
    for (const host of [`evil.example:${port}`, "evil.example", `127.0.0.1.evil.example:${port}`, `example-tunnel.trycloudflare.com.evil.example`]) {
      const raw = await rawMcp(s, { headers: { authorization: `Bearer ${s.token}`, host }, body: INIT_BODY });
      assert.equal(raw.status, 403, `Host: ${host}`);
      assert.equal(raw.json?.error?.code, "FORBIDDEN_ORIGIN", `Host: ${host}`);
    }
    // GET is checked too, and the Host check comes before the token (like Origin).
    const get = await rawMcp(s, { method: "GET", headers: { authorization: `Bearer ${s.token}`, host: "evil.example" } });
    assert.equal(get.status, 403);
    const noToken = await rawMcp(s, { headers: { host: "evil.example" }, body: INIT_BODY });
    assert.equal(noToken.status, 403);
    assert.equal(noToken.json?.error?.code, "FORBIDDEN_ORIGIN");
  });

  it("accepts loopback names on any port and the public URL's host", async () => {
    const port = new URL(s.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, "LOCALHOST", "example-tunnel.trycloudflare.com"]) {
      const raw = await rawMcp(s, { headers: { authorization: `Bearer ${s.token}`, host }, body: INIT_BODY });
      assert.equal(raw.status, 200, `Host: ${host}: ${raw.text}`);
      assert.equal(raw.json?.result?.serverInfo?.name, "chatgpt-codex");
    }
  });

  it("follows the public URL when it changes, without a restart", async () => {
    updateConfig(s.home, (c) => {
      c.public_base_url = "https://moved.example.com";
    });
    const moved = await rawMcp(s, { headers: { authorization: `Bearer ${s.token}`, host: "moved.example.com" }, body: INIT_BODY });
    assert.equal(moved.status, 200, moved.text);
    const old = await rawMcp(s, { headers: { authorization: `Bearer ${s.token}`, host: "example-tunnel.trycloudflare.com" }, body: INIT_BODY });
    assert.equal(old.status, 403);
  });

  it("rejects with 403 ACCESS_EXPIRED after revoke, and works again after renew", async () => {
    const client = await connect(s);
    try {
      updateConfig(s.home, (c) => {
        c.access.revoked_at = new Date().toISOString();
      });
      await assert.rejects(call(client, "workspace_status"), (error: Json) => {
        assert.equal(error.code, 403, String(error));
        assert.match(String(error), /ACCESS_EXPIRED/);
        return true;
      });
      await assert.rejects(connect(s), (error: Json) => error.code === 403);
      const raw = await rawMcp(s, { headers: { authorization: `Bearer ${s.token}` }, body: INIT_BODY });
      assert.equal(raw.status, 403);
      assert.equal(raw.json?.error?.code, "ACCESS_EXPIRED");
      const get = await rawMcp(s, { method: "GET", headers: { authorization: `Bearer ${s.token}` } });
      assert.equal(get.status, 403);
    } finally {
      updateConfig(s.home, (c) => {
        c.access.revoked_at = null;
      });
      await client.close();
    }
    const again = await connect(s);
    okBody(await call(again, "workspace_status"));
    await again.close();
  });

  it("rejects with 403 after the TTL passed", async () => {
    updateConfig(s.home, (c) => {
      c.access.expires_at = new Date(Date.now() - 60_000).toISOString();
    });
    try {
      const raw = await rawMcp(s, { headers: { authorization: `Bearer ${s.token}` }, body: INIT_BODY });
      assert.equal(raw.status, 403);
      assert.equal(raw.json?.error?.code, "ACCESS_EXPIRED");
    } finally {
      updateConfig(s.home, (c) => {
        c.access.expires_at = null;
      });
    }
  });
});

describe("hostAllowed (DNS-rebinding rule)", () => {
  const PUBLIC = "https://example-tunnel.trycloudflare.com";

  it("accepts loopback names on any port and the public URL's host", () => {
    for (const host of ["127.0.0.1", "127.0.0.1:8766", "localhost", "LocalHost:1", "[::1]", "[::1]:8766", "example-tunnel.trycloudflare.com", "EXAMPLE-tunnel.trycloudflare.com:443"]) {
      assert.equal(hostAllowed(host, PUBLIC), true, host);
    }
  });

  it("refuses everything else, including look-alikes and smuggled authorities", () => {
    const hostile = [
      undefined,
      "",
      "evil.example",
      "127.0.0.1.evil.example",
      "localhost.evil.example",
      "localhost.",
      "evil.example@127.0.0.1",
      "127.0.0.1@evil.example",
      "127.0.0.1/evil",
      "127.0.0.1\\evil",
      "127.0.0.1?x",
      "127.0.0.1#x",
      "localhost:notaport",
      "127.0.0.1 evil.example",
      "trycloudflare.com",
      "other-tunnel.trycloudflare.com",
      "example-tunnel.trycloudflare.com.evil.example",
      "0.0.0.0",
      "192.168.1.10",
    ];
    for (const host of hostile) assert.equal(hostAllowed(host, PUBLIC), false, String(host));
  });

  it("without a public URL only loopback names pass", () => {
    assert.equal(hostAllowed("example-tunnel.trycloudflare.com", null), false);
    assert.equal(hostAllowed("localhost:3000", null), true);
  });
});

describe("chatgpt-codex mcp-config", () => {
  it("prints client snippets with the public URL + /mcp and a token placeholder, never the token", () => {
    const fixture = makeHome();
    const result = runCli(["mcp-config"], fixture.home);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.includes("https://example-tunnel.trycloudflare.com/mcp"));
    assert.ok(!result.stdout.includes(fixture.token) && !result.stderr.includes(fixture.token), "never prints the token");
    for (const needle of ["config.toml", "bearer_token_env_var", "claude mcp add --transport http", "mcp.json", "Authorization: Bearer", "chatgpt-codex token"]) {
      assert.ok(result.stdout.includes(needle), `mentions ${needle}`);
    }
  });

  it("--local uses the loopback URL; --json prints one document", () => {
    const fixture = makeHome();
    const local = runCli(["mcp-config", "--local"], fixture.home);
    assert.equal(local.code, 0, local.stderr);
    assert.ok(local.stdout.includes(`http://127.0.0.1:${fixture.config.server.port}/mcp`));
    const json = runCli(["mcp-config", "--json"], fixture.home);
    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout) as Json;
    assert.equal(doc.url, "https://example-tunnel.trycloudflare.com/mcp");
    assert.ok(!json.stdout.includes(fixture.token));
    for (const key of ["codex", "claude_code", "cursor", "generic"]) assert.equal(typeof doc.clients[key], "string", key);
  });

  it("falls back to the local URL when no public URL is set", () => {
    const fixture = makeHome({ change: (c) => (c.public_base_url = null) });
    const result = runCli(["mcp-config", "--json"], fixture.home);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as Json).url, `http://127.0.0.1:${fixture.config.server.port}/mcp`);
  });
});
