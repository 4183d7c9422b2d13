/**
 * The stdio face (`chatgpt-codex mcp`), driven by the official MCP SDK client
 * spawning the built CLI: the same tools as /mcp, the same policy, access state
 * and audit log; standard output carries nothing but JSON-RPC. Also the stdio
 * entries of `mcp-config` (run as printed) and the routes of `route-options`.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { ACTIONS } from "../src/actions/registry.js";
import { newConfig, saveConfig, updateConfig } from "../src/config/store.js";
import { get, login, startWithDashboard } from "./dashboard/helpers.js";
import { requires, type Need } from "./preconditions.js";
import { CLI, PLAIN_ENGLISH, makeHome, runCli, startServer, tempDir, unsandboxedHome, waitFor, type Fixture } from "./helpers.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const GIT: Need = { ok: () => spawnSync("git", ["--version"]).status === 0, reason: "needs git" };
const CALL_TIMEOUT = { timeout: 60_000 };

/** The environment a desktop client gives the server: little beyond what we set. */
function childEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...PLAIN_ENGLISH, NO_COLOR: "1", CHATGPT_CODEX_HOME: home, ...extra };
}

interface Session {
  client: Client;
  stderr(): string;
  pid: number | null;
  close(): Promise<void>;
}

/** The official SDK client, launching `node dist/src/cli/main.js mcp` (or the given command) over stdio. */
async function openStdio(home: string, launch: { command: string; args: string[]; env?: Record<string, string> } = { command: process.execPath, args: [CLI, "mcp"] }): Promise<Session> {
  const transport = new StdioClientTransport({ command: launch.command, args: launch.args, env: launch.env ?? childEnv(home), stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: "mcp-stdio-test", version: "1.0.0" });
  await client.connect(transport, CALL_TIMEOUT);
  return { client, stderr: () => stderr, pid: transport.pid, close: () => client.close() };
}

async function call(session: Session, name: string, args: Json = {}): Promise<CallToolResult> {
  return (await session.client.callTool({ name, arguments: args }, undefined, CALL_TIMEOUT)) as CallToolResult;
}

function text(result: CallToolResult): string {
  const first = result.content[0];
  assert.ok(first && first.type === "text", "first content item is text");
  return first.text;
}

function okBody(result: CallToolResult): Json {
  assert.notEqual(result.isError, true, `tool failed: ${result.isError ? text(result) : ""}`);
  return JSON.parse(text(result)) as Json;
}

function assertRefused(result: CallToolResult, code: string): string {
  assert.equal(result.isError, true, `expected an error result, got ${text(result).slice(0, 300)}`);
  const message = text(result);
  assert.ok(message.startsWith(`${code}: `), `error text starts with ${code}: ${message}`);
  assert.equal((result.structuredContent as Json | undefined)?.error?.code, code);
  return message;
}

function auditRecords(home: string): Json[] {
  const file = join(home, "audit.log");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Json);
}

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", ...args], { cwd, encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("chatgpt-codex mcp (stdio face) with the official SDK client", () => {
  let fixture: Fixture;
  let session: Session;

  before(async () => {
    fixture = makeHome();
    writeFileSync(join(fixture.workspace, "notes.txt"), "first line\nsecond line\n");
    session = await openStdio(fixture.home);
  });
  after(async () => {
    await session?.close();
  });

  it("lists one tool per action, exactly the list the HTTP /mcp face gives", async () => {
    const stdioTools = (await session.client.listTools(undefined, CALL_TIMEOUT)).tools;
    assert.deepEqual(stdioTools.map((tool) => tool.name), ACTIONS.map((action) => action.name));
    // The same builder behind both faces: names, descriptions, schemas and annotations are equal.
    const server = await startServer(fixture);
    try {
      const http = new Client({ name: "mcp-http-test", version: "1.0.0" });
      await http.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${fixture.token}` } } }));
      const httpTools = (await http.listTools(undefined, CALL_TIMEOUT)).tools;
      await http.close();
      assert.deepEqual(stdioTools, httpTools);
    } finally {
      await server.close();
    }
  });

  it("answers a call: read_file of a workspace file", async () => {
    const body = okBody(await call(session, "read_file", { path: "notes.txt" }));
    assert.equal(body.content, "first line\nsecond line\n");
    assert.equal(body.path, "notes.txt");
  });

  it("confines paths like every face: a path outside the workspace is refused", async () => {
    assertRefused(await call(session, "read_file", { path: "../../../../etc/passwd" }), "OUTSIDE_WORKSPACE");
  });

  it("refuses a command the policy blocks (git reset --hard), and the work it would destroy stays", { ...requires(GIT) }, async () => {
    // Precondition: a repository with uncommitted work that `git reset --hard` would throw away.
    const ws = fixture.workspace;
    git(ws, "init", "-q");
    writeFileSync(join(ws, "tracked.txt"), "committed\n");
    git(ws, "add", "tracked.txt");
    git(ws, "commit", "-q", "-m", "base");
    writeFileSync(join(ws, "tracked.txt"), "uncommitted work\n");
    const probe = okBody(await call(session, "exec_command", { command: "git status --porcelain" }));
    assert.match(probe.stdout, /M tracked\.txt/, "commands do run through this face");

    const message = assertRefused(await call(session, "exec_command", { command: "git reset --hard" }), "BLOCKED_BY_POLICY");
    assert.match(message, /git reset --hard/);
    assert.equal(readFileSync(join(ws, "tracked.txt"), "utf8"), "uncommitted work\n", "nothing ran");
  });

  it("writes audit records with face and caller stdio", async () => {
    await call(session, "read_file", { path: "notes.txt" });
    const records = await waitFor(() => {
      const found = auditRecords(fixture.home).filter((r) => r.face === "stdio");
      return found.some((r) => r.action === "read_file" && r.outcome === "ok") && found.some((r) => r.outcome === "refused" && r.error_code === "BLOCKED_BY_POLICY") ? found : undefined;
    }, "stdio audit records", 60_000);
    for (const record of records) {
      assert.equal(record.client, "stdio (mcp-stdio-test)", "the caller: the stdio face and the client's own name");
      assert.ok(!JSON.stringify(record).includes(fixture.token), "never the token");
    }
    const blocked = records.find((r) => r.outcome === "refused" && r.error_code === "BLOCKED_BY_POLICY")!;
    assert.equal(blocked.command, "git reset --hard");
  });

  it("access revoked mid-session: the next call is refused, renew lets calls through again", async () => {
    okBody(await call(session, "read_file", { path: "notes.txt" }));
    const revoke = runCli(["channel", "revoke"], fixture.home);
    assert.equal(revoke.code, 0, revoke.stderr);
    const message = assertRefused(await call(session, "read_file", { path: "notes.txt" }), "ACCESS_EXPIRED");
    assert.match(message, /revoked/);
    assertRefused(await call(session, "exec_command", { command: "echo should-not-run" }), "ACCESS_EXPIRED");
    const refusal = await waitFor(() => auditRecords(fixture.home).find((r) => r.face === "stdio" && r.outcome === "refused" && r.error_code === "ACCESS_EXPIRED"), "refusal audit record", 60_000);
    assert.equal(refusal.status, 403);

    const renew = runCli(["channel", "renew"], fixture.home);
    assert.equal(renew.code, 0, renew.stderr);
    okBody(await call(session, "read_file", { path: "notes.txt" }));
  });

  it("a TTL that has run out refuses calls as well", async () => {
    updateConfig(fixture.home, (c) => {
      c.access.expires_at = new Date(Date.now() - 60_000).toISOString();
    });
    try {
      assertRefused(await call(session, "read_file", { path: "notes.txt" }), "ACCESS_EXPIRED");
    } finally {
      updateConfig(fixture.home, (c) => {
        c.access.expires_at = null;
      });
    }
    okBody(await call(session, "read_file", { path: "notes.txt" }));
  });

  it("a config that turns invalid fails closed", async () => {
    const file = join(fixture.home, "config.json");
    const good = readFileSync(file, "utf8");
    writeFileSync(file, "{ not json");
    try {
      // The broken text no longer holds the token: access is paused (suspended) until the file loads again.
      const message = assertRefused(await call(session, "read_file", { path: "notes.txt" }), "ACCESS_EXPIRED");
      assert.match(message, /suspended/);
    } finally {
      writeFileSync(file, good);
    }
    okBody(await call(session, "read_file", { path: "notes.txt" }));
  });

  it("with local approvals on, a command is refused at once and never runs (nobody could approve it here)", async () => {
    // Precondition: without local approvals the same command runs and leaves its mark.
    const mark = join(fixture.workspace, "approval-mark.txt");
    okBody(await call(session, "exec_command", { command: "touch approval-mark.txt" }));
    assert.ok(existsSync(mark), "the command runs when no approval is needed");
    rmSync(mark);

    updateConfig(fixture.home, (c) => {
      c.approvals.commands = "local";
    });
    try {
      const message = assertRefused(await call(session, "exec_command", { command: "touch approval-mark.txt" }), "BLOCKED_BY_POLICY");
      assert.match(message, /local approvals/);
      assert.equal(existsSync(mark), false, "nothing ran");
    } finally {
      updateConfig(fixture.home, (c) => {
        c.approvals.commands = "chatgpt";
      });
    }
  });

  it("says on standard error what it serves, never the token", () => {
    assert.match(session.stderr(), /MCP over stdio; active workspace: ws/);
    assert.match(session.stderr(), /a running `serve` neither sees nor stops them/);
    assert.ok(!session.stderr().includes(fixture.token));
  });
});

describe("chatgpt-codex mcp: standard output is the protocol's alone", () => {
  /** Spawn by hand, send raw lines, collect both streams; bounded. */
  function rawSession(command: string[], home: string) {
    const child = spawn(process.execPath, command, { env: childEnv(home), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.on("close", (code) => resolveExit(code)));
    const kill = setTimeout(() => child.kill("SIGKILL"), 120_000);
    exited.finally(() => clearTimeout(kill));
    return {
      send: (message: unknown) => child.stdin.write(`${typeof message === "string" ? message : JSON.stringify(message)}\n`),
      end: () => child.stdin.end(),
      stdout: () => stdout,
      stderr: () => stderr,
      exited,
    };
  }

  const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw-test", version: "0" } } };

  function protocolLines(stdout: string): Json[] {
    const lines = stdout.split("\n").filter((line) => line !== "");
    return lines.map((line) => {
      let message: Json;
      try {
        message = JSON.parse(line) as Json;
      } catch {
        assert.fail(`a stdout line that is not JSON: ${line.slice(0, 200)}`);
      }
      assert.equal(message.jsonrpc, "2.0", `not JSON-RPC: ${line.slice(0, 200)}`);
      return message;
    });
  }

  it("every stdout line is JSON-RPC, whatever the commands print; human lines go to stderr", async () => {
    const fixture = makeHome();
    const raw = rawSession([CLI, "mcp"], fixture.home);
    raw.send(initialize);
    raw.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    raw.send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    raw.send({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "exec_command", arguments: { command: "echo to-stdout; echo to-stderr >&2" } } });
    raw.send({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "read_file", arguments: { path: "missing.txt" } } });
    raw.send("this line is not JSON");
    await waitFor(() => [1, 2, 3, 4].every((id) => raw.stdout().includes(`"id":${id}`)), "four answers", 90_000);
    raw.end();
    assert.equal(await raw.exited, 0, raw.stderr());
    const messages = protocolLines(raw.stdout());
    assert.deepEqual(messages.map((m) => m.id).sort(), [1, 2, 3, 4]);
    assert.match(JSON.parse(messages.find((m) => m.id === 3)!.result.content[0].text).stdout, /to-stdout/, "a command's output travels inside the answer");
    assert.equal(messages.find((m) => m.id === 4)!.result.isError, true);
    assert.match(raw.stderr(), /MCP over stdio/);
  });

  it("a stray console.log in the process goes to stderr, not into the protocol", async () => {
    const fixture = makeHome();
    const stdioModule = join(dirname(CLI), "..", "mcp", "stdio.js");
    const script = join(tempDir(), "stray.mjs");
    writeFileSync(
      script,
      [
        `import { startStdioFace } from ${JSON.stringify(pathToFileURL(stdioModule).href)};`,
        "const face = await startStdioFace({ home: process.env.CHATGPT_CODEX_HOME });",
        'console.log("stray console.log");',
        'process.stdout.write("stray stdout write\\n");',
        "await face.closed;",
        "process.exit(0);",
      ].join("\n"),
    );
    const raw = rawSession([script], fixture.home);
    raw.send(initialize);
    await waitFor(() => raw.stdout().includes('"id":1'), "the initialize answer", 90_000);
    raw.end();
    assert.equal(await raw.exited, 0, raw.stderr());
    assert.equal(protocolLines(raw.stdout()).length, 1);
    assert.match(raw.stderr(), /stray console\.log/);
    assert.match(raw.stderr(), /stray stdout write/);
  });

  it("refuses to start when no workspace is registered: exit 2, a reason on stderr, nothing on stdout", () => {
    const empty = join(tempDir(), "home");
    const config = newConfig();
    saveConfig(empty, config);
    const result = runCli(["mcp"], empty);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /no workspace is registered/);
    const none = runCli(["mcp"], join(tempDir(), "no-config"));
    assert.equal(none.code, 2);
    assert.equal(none.stdout, "");
  });
});

describe("chatgpt-codex mcp beside a running serve", () => {
  it("jobs are separate: the server does not see the stdio face's job, and the job ends with the session", async () => {
    const fixture = unsandboxedHome();
    const server = await startServer(fixture);
    const session = await openStdio(fixture.home);
    try {
      const job = okBody(await call(session, "exec_command", { command: "echo $$; exec sleep 300", wait_seconds: 1 }));
      assert.equal(job.status, "running");
      const pid = Number(/(\d+)/.exec(job.stdout)?.[1]);
      assert.ok(pid > 0 && alive(pid), "the job runs");

      const listed = await server.post("list_commands", {});
      assert.equal(listed.status, 200, listed.text);
      assert.ok(!listed.text.includes(job.job_id), "the server's job table does not hold the stdio face's job");
      const output = await server.post("command_output", { job_id: job.job_id });
      assert.equal(output.status, 404);

      await session.close();
      await waitFor(() => !alive(pid), "the job killed with the session", 60_000);
    } finally {
      await session.close().catch(() => undefined);
      await server.close();
    }
  });

  it("its calls reach a running dashboard's feed with face stdio", async () => {
    const fx = await startWithDashboard();
    const session = await openStdio(fx.api.home);
    try {
      writeFileSync(join(fx.api.workspace, "seen.txt"), "x\n");
      okBody(await call(session, "read_file", { path: "seen.txt" }));
      const owner = await login(fx);
      const record = await waitFor(async () => {
        const reply = await get(fx, owner, "/api/events");
        const data = /event: hello\ndata: (.*)\n/.exec(reply.text)?.[1];
        const feed = data ? ((JSON.parse(data) as Json).feed as Json[]) : [];
        return feed.find((r) => r.face === "stdio" && r.action === "read_file");
      }, "the stdio call in the dashboard feed", 60_000);
      assert.deepEqual(record.paths, ["seen.txt"]);
    } finally {
      await session.close();
      await fx.close();
    }
  });
});

describe("chatgpt-codex mcp-config: stdio entries", () => {
  it("prints an entry for each client with the absolute command, never a token, and the entry runs as printed", async () => {
    const fixture = makeHome();
    const json = runCli(["mcp-config", "--json"], fixture.home);
    assert.equal(json.code, 0, json.stderr);
    assert.ok(!json.stdout.includes(fixture.token), "never the token");
    const stdio = (JSON.parse(json.stdout) as Json).stdio as Json;
    const main = resolve(CLI);
    assert.deepEqual({ command: stdio.command, args: stdio.args, env: stdio.env }, { command: process.execPath, args: [main, "mcp"], env: { CHATGPT_CODEX_HOME: resolve(fixture.home) } });

    const entry = { command: process.execPath, args: [main, "mcp"], env: { CHATGPT_CODEX_HOME: resolve(fixture.home) } };
    for (const client of ["claude_desktop", "cursor"]) {
      assert.deepEqual(JSON.parse(stdio.clients[client] as string), { mcpServers: { "chatgpt-codex": entry } }, client);
    }
    assert.equal(
      stdio.clients.codex,
      [
        "[mcp_servers.chatgpt-codex]",
        `command = ${JSON.stringify(process.execPath)}`,
        `args = [${JSON.stringify(main)}, "mcp"]`,
        `env = { CHATGPT_CODEX_HOME = ${JSON.stringify(resolve(fixture.home))} }`,
      ].join("\n"),
    );
    assert.match(stdio.clients.claude_code, /^claude mcp add --env CHATGPT_CODEX_HOME=\S+ chatgpt-codex -- \S+ \S+main\.js mcp$/);
    assert.match(stdio.clients.generic, /^Transport: stdio\n/);

    // The human output carries the same entries, beside the HTTP ones.
    const human = runCli(["mcp-config"], fixture.home);
    assert.equal(human.code, 0, human.stderr);
    assert.ok(!human.stdout.includes(fixture.token));
    for (const needle of ["bearer_token_env_var", "Claude Desktop", "claude_desktop_config.json", '"command":', "[mcp_servers.chatgpt-codex]", `command = ${JSON.stringify(process.execPath)}`, "Transport: stdio", "its jobs are its own"]) {
      assert.ok(human.stdout.includes(needle), `mentions ${needle}`);
    }

    // What a desktop client does with the entry: launch exactly that, with exactly that environment.
    const session = await openStdio(fixture.home, { command: stdio.command, args: stdio.args, env: { PATH: process.env.PATH ?? "", ...stdio.env } });
    try {
      okBody(await call(session, "workspace_status"));
    } finally {
      await session.close();
    }
  });

  it("--name names the entry in every client's settings", () => {
    const fixture = makeHome();
    const stdio = (JSON.parse(runCli(["mcp-config", "--json", "--name", "codex-box"], fixture.home).stdout) as Json).stdio as Json;
    assert.ok(JSON.parse(stdio.clients.cursor as string).mcpServers["codex-box"]);
    assert.match(stdio.clients.codex, /^\[mcp_servers\.codex-box\]/);
    assert.match(stdio.clients.claude_code, / codex-box -- /);
  });
});

describe("chatgpt-codex route-options: every route, stdio and the tunnel ones included", () => {
  it("lists the routes with their commands; a ts.net custom URL makes Tailscale Funnel ready", () => {
    const fixture = makeHome({ change: (c) => (c.public_base_url = "https://laptop.tail1234.ts.net") });
    const result = runCli(["route-options", "--json"], fixture.home);
    assert.equal(result.code, 0, result.stderr);
    const routes = (JSON.parse(result.stdout) as Json).routes as Json[];
    const byName = new Map(routes.map((r) => [r.route as string, r]));
    for (const name of ["cloudflared", "cloudflared-named", "ngrok", "custom", "tailscale-funnel", "local", "stdio", "secure-mcp-tunnel"]) assert.ok(byName.has(name), name);
    assert.equal(byName.get("tailscale-funnel")!.ready, true);
    assert.equal(byName.get("tailscale-funnel")!.first, `tailscale funnel --bg ${fixture.config.server.port}`);
    assert.equal(byName.get("stdio")!.ready, true);
    assert.equal(byName.get("secure-mcp-tunnel")!.command, "mcp-config");

    const other = makeHome();
    const plain = (JSON.parse(runCli(["route-options", "--json"], other.home).stdout) as Json).routes as Json[];
    assert.equal(plain.find((r) => r.route === "tailscale-funnel")!.ready, false, "a trycloudflare URL is no Funnel");

    const human = runCli(["route-options"], fixture.home);
    assert.match(human.stdout, /Secure MCP Tunnel/);
    assert.match(human.stdout, /first: tailscale funnel --bg/);
    assert.match(human.stdout, /run: chatgpt-codex set-public-url \S+ && chatgpt-codex up --tunnel custom/, "every command of a chain can be pasted");
    assert.match(human.stdout, /docs\/tunnels\.md/);
  });
});
