/**
 * The request path after its cuts (issue 22 part 5): callback hooks, one MCP test per
 * request, the principal kept on the request, the JSON parser registered by name, one
 * serialization per audit record, runAction's context as a class, one timestamp per ms,
 * a feed follower that skips this process's own lines. The answers must not change;
 * the parts loaded or built on first use (the MCP SDK, the OAuth metadata, the
 * dashboard's page and feed) must work on a fresh server's first request.
 */
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, realpathSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { probeAction } from "./probe.js";
import { auditFollower, followAuditFile } from "../../src/audit/follow.js";
import { AuditLog, isoNow, type AuditRecord } from "../../src/audit/log.js";
import { login, raw, startWithDashboard, type DashFixture } from "../dashboard/helpers.js";
import { listen } from "../../src/server/listen.js";
import { getPath, makeHome, postJson, rawRequest, startServer, tempDir, type TestServer } from "../helpers.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** POST with exactly these headers and body (fetch would add a Content-Type of its own). */
/** A POST with its path and headers exactly as given. */
const rawPost = (s: TestServer, path: string, headers: Record<string, string>, body?: string) => rawRequest(s.url, path, headers, body);

/** Records written so far, flushed first. */
function auditLines(s: TestServer): AuditRecord[] {
  s.server.app.codex.audit.flush();
  return readFileSync(s.server.app.codex.audit.file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as AuditRecord);
}

describe("the request path answers as before", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.close();
  });

  it("workspace_status: the same JSON, the same content type", async () => {
    const reply = await s.post("workspace_status");
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get("content-type"), "application/json; charset=utf-8");
    assert.deepEqual(reply.json, {
      active_workspace: "ws",
      path: realpathSync(s.workspace),
      workspaces: [{ name: "ws", active: true }],
      git: null,
      access: { active: true, expires_at: null, reason: null },
    });
  });

  it("bodies: JSON by any JSON content type, an empty body without one; anything else refused as before", async () => {
    const auth = { authorization: `Bearer ${s.token}` };
    for (const type of ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/vnd.example+json"]) {
      const reply = await rawPost(s, "/workspace_status", { ...auth, "content-type": type }, "{}");
      assert.equal(reply.status, 200, `${type}: ${reply.text}`);
    }
    assert.equal((await rawPost(s, "/workspace_status", auth)).status, 200, "no body, no content type");
    assert.equal((await rawPost(s, "/workspace_status", { ...auth, "content-type": "application/json" }, "")).status, 200, "an empty JSON body is {}");

    const text = await rawPost(s, "/workspace_status", { ...auth, "content-type": "text/plain" }, "{}");
    assert.equal(text.status, 400);
    assert.equal(text.json?.error?.code, "BAD_REQUEST");
    assert.equal(text.json?.error?.message, "send JSON (Content-Type: application/json), not text/plain");

    const broken = await rawPost(s, "/workspace_status", { ...auth, "content-type": "application/json" }, "{nope");
    assert.equal(broken.status, 400);
    assert.match(String(broken.json?.error?.message), /^malformed JSON body: /);

    const unknown = await s.post("workspace_status", { verbose: true });
    assert.equal(unknown.status, 400);
    assert.match(String(unknown.json?.error?.message), /^invalid workspace_status request: unknown field `verbose`/);
  });

  it("the gate: no token, a wrong token, a foreign Origin, GET on an action, an unknown path", async () => {
    const none = await s.post("workspace_status", {}, { token: null });
    assert.equal(none.status, 401);
    assert.equal(none.json?.error?.code, "UNAUTHORIZED");
    assert.equal(none.json?.error?.message, "missing or wrong bearer token");
    assert.equal(none.headers.get("www-authenticate"), null, "the OAuth challenge is for /mcp only");

    const wrong = await s.post("workspace_status", {}, { token: `${s.token}x` });
    assert.equal(wrong.status, 401);

    const origin = await s.post("workspace_status", {}, { headers: { origin: "https://evil.example" } });
    assert.equal(origin.status, 403);
    assert.equal(origin.json?.error?.code, "FORBIDDEN_ORIGIN");

    const get = await getPath(s.url, "/workspace_status");
    assert.equal(get.status, 405);
    assert.equal(get.json?.error?.code, "METHOD_NOT_ALLOWED");

    const missing = await s.post("no_such_action");
    assert.equal(missing.status, 404);
    assert.equal(missing.json?.error?.message, "no such endpoint: POST /no_such_action");
  });

  it("the MCP test: every spelling of /mcp gets the Host check and the OAuth challenge; an action's path does not", async () => {
    for (const path of ["/mcp", "/MCP", "/%6dcp", "//mcp", "/./mcp", "/mcp?x=1"]) {
      const host = await rawPost(s, path, { host: "evil.example", authorization: `Bearer ${s.token}`, "content-type": "application/json" }, "{}");
      assert.equal(host.status, 403, `${path}: ${host.text}`);
      assert.equal(host.json?.error?.code, "FORBIDDEN_ORIGIN", path);
    }
    const challenged = await rawPost(s, "/MCP", { host: "127.0.0.1", "content-type": "application/json" }, "{}");
    assert.equal(challenged.status, 401);
    assert.match(String(challenged.headers["www-authenticate"]), /^Bearer resource_metadata="/);
    // An action's path under a foreign Host: the token decides, as before (tunnels forward any Host).
    const action = await rawPost(s, "/workspace_status", { host: "evil.example", authorization: `Bearer ${s.token}`, "content-type": "application/json" }, "{}");
    assert.equal(action.status, 200, action.text);
  });

  it("one audit line per call, its fields in the same order, the token never in it", async () => {
    const before = auditLines(s).length;
    const reply = await s.post("workspace_status", {}, { headers: { "user-agent": "curl/8.0" } });
    assert.equal(reply.status, 200);
    const lines = auditLines(s);
    assert.equal(lines.length, before + 1);
    const record = lines.at(-1)!;
    assert.deepEqual(Object.keys(record), ["time", "action", "workspace", "outcome", "status", "duration_ms", "face", "client"]);
    assert.equal(record.action, "workspace_status");
    assert.equal(record.workspace, "ws");
    assert.equal(record.outcome, "ok");
    assert.equal(record.client, "bearer (curl)");
    assert.match(record.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe("runAction's context", () => {
  it("gives handlers the same context: methods that work unbound, a lazy signal, later audit lines", async () => {
    const seen: Json = {};
    const probe = probeAction("ctx_probe", z.object({}), z.object({ ok: z.boolean() }), async (_input, ctx) => {
      const { workspace, resolvePath, resolveWritePath } = ctx;
      seen.root = workspace().root;
      seen.resolved = resolvePath("a/b.txt").relative;
      assert.throws(() => resolveWritePath(".git/config"));
      assert.throws(() => resolvePath("../outside"));
      seen.deadline = ctx.deadline;
      seen.signal = ctx.signal;
      seen.sameSignal = ctx.signal === seen.signal;
      ctx.audit.paths = ["a/b.txt"];
      ctx.auditLater({ outcome: "killed", duration_ms: 1, detail: { event: "later", secret: ctx.config.token } });
      return { ok: true };
    });
    const fixture = makeHome();
    const running = await listen({ home: fixture.home, host: "127.0.0.1", port: 0, requestLog: null, actions: [probe] });
    try {
      const reply = await postJson(running.url, "ctx_probe", {}, { token: fixture.token });
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(reply.json, { ok: true });
      const root = realpathSync(fixture.workspace);
      assert.equal(seen.root, root);
      assert.equal(seen.resolved, "a/b.txt");
      assert.ok(seen.signal instanceof AbortSignal);
      assert.equal(seen.signal.aborted, false);
      assert.equal(seen.sameSignal, true, "one signal per call");
      assert.equal(typeof seen.deadline, "number");
      running.app.codex.audit.flush();
      const lines = readFileSync(running.app.codex.audit.file, "utf8").trim().split("\n").map((line) => JSON.parse(line) as Json);
      const later = lines.find((line) => line.detail?.event === "later");
      const call = lines.find((line) => line.outcome === "ok");
      assert.ok(later && call, readFileSync(running.app.codex.audit.file, "utf8"));
      assert.equal(later.workspace, "ws", "the later line names the workspace the call used");
      assert.equal(later.detail.secret, "cgc_[redacted]", "the token is removed from a later line too");
      assert.deepEqual(call.paths, ["a/b.txt"]);
    } finally {
      await running.close();
    }
  });
});

describe("the audit log", () => {
  it("redacts the token on the one text it writes, and its listeners get the same redacted record", () => {
    const home = tempDir();
    const log = new AuditLog(home);
    const token = "cgc_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    const heard: AuditRecord[] = [];
    log.subscribe((record) => heard.push(record));
    const clean: AuditRecord = { time: isoNow(), action: "read_file", workspace: "ws", outcome: "ok", status: 200, duration_ms: 1, face: "http" };
    log.write(clean, token);
    log.write({ ...clean, paths: [`notes/${token.slice(4)}.txt`] }, token);
    log.flush();
    const lines = readFileSync(log.file, "utf8").trim().split("\n");
    assert.equal(lines.length, 2);
    assert.equal(lines[0], JSON.stringify(clean));
    assert.equal(heard[0], clean, "a record without the token reaches the listeners as it is");
    assert.ok(!lines[1]!.includes(token.slice(4)));
    assert.deepEqual(JSON.parse(lines[1]!).paths, ["notes/[redacted].txt"]);
    assert.deepEqual(heard[1]!.paths, ["notes/[redacted].txt"]);
  });

  it("a busy turn's lines all land, in order, and rotation still counts them right", () => {
    const home = tempDir();
    const log = new AuditLog(home, 20_000);
    for (let i = 0; i < 1_000; i++) log.write({ time: isoNow(), action: "read_file", workspace: "ws", outcome: "ok", status: 200, duration_ms: i, face: "http" });
    log.flush();
    const current = readFileSync(log.file, "utf8").trim().split("\n").map((line) => JSON.parse(line) as AuditRecord);
    const older = readFileSync(`${log.file}.1`, "utf8").trim().split("\n").map((line) => JSON.parse(line) as AuditRecord);
    assert.ok(Buffer.byteLength(readFileSync(log.file)) <= 20_000);
    assert.ok(Buffer.byteLength(readFileSync(`${log.file}.1`)) <= 20_000);
    assert.equal(current.at(-1)!.duration_ms, 999);
    assert.equal(older.at(-1)!.duration_ms + 1, current[0]!.duration_ms, "no line lost at the rotation");
    for (let i = 1; i < current.length; i++) assert.equal(current[i]!.duration_ms, current[i - 1]!.duration_ms + 1);
  });

  it("isoNow is new Date().toISOString()", () => {
    const before = Date.now();
    const stamp = isoNow();
    const after = Date.now();
    assert.match(stamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const at = Date.parse(stamp);
    assert.ok(at >= before && at <= after, `${stamp} between ${before} and ${after}`);
  });

  it("the follower skips what this process wrote and still hands over lines from other processes", () => {
    const home = tempDir();
    const log = new AuditLog(home);
    const line = (action: string, face: AuditRecord["face"]): AuditRecord => ({ time: isoNow(), action, workspace: null, outcome: "ok", duration_ms: 0, face });
    log.write(line("first", "http"));
    log.flush();
    const got: string[] = [];
    // Every record is wanted here, to show which ones the follower hands over at all.
    const poll = auditFollower(log, () => true, (record) => got.push(record.action));
    const foreign = (action: string) => appendFileSync(log.file, `${JSON.stringify(line(action, "stdio"))}\n`);

    for (let i = 0; i < 50; i++) log.write(line(`ours-${i}`, "http"));
    log.flush();
    poll();
    assert.deepEqual(got, [], "only this process's own lines: none handed over");

    foreign("theirs-1");
    poll();
    assert.deepEqual(got, ["theirs-1"]);

    // Ours and another process's since the last look: everything new is read, as before.
    log.write(line("ours-again", "http"));
    log.flush();
    foreign("theirs-2");
    poll();
    assert.deepEqual(got, ["theirs-1", "ours-again", "theirs-2"]);

    poll();
    assert.equal(got.length, 3, "nothing new, nothing handed over");
  });

  it("followAuditFile still polls the file by itself", async () => {
    const home = tempDir();
    const log = new AuditLog(home);
    log.write({ time: isoNow(), action: "first", workspace: null, outcome: "ok", duration_ms: 0, face: "http" });
    log.flush();
    const got: AuditRecord[] = [];
    const stop = followAuditFile(log, (record) => record.face === "stdio", (record) => got.push(record), 20);
    try {
      // The watcher takes its first look at the file asynchronously: a change made before
      // that look is seen at the next one, so another line follows until one is seen.
      for (let i = 0; i < 1_000 && got.length === 0; i++) {
        if (i % 50 === 0) appendFileSync(log.file, `${JSON.stringify({ time: isoNow(), action: `theirs-${i}`, workspace: null, outcome: "ok", duration_ms: 0, face: "stdio" })}\n`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.ok(got.length > 0, "another process's line was handed over");
      assert.equal(got[0]!.action, "theirs-0", "from the first one on");
    } finally {
      stop();
    }
  });
});

describe("parts loaded or built on first use work on a fresh server's first request", () => {
  it("the first /mcp call (the MCP SDK is loaded then)", async () => {
    const s = await startServer();
    try {
      const reply = await rawPost(
        s,
        "/mcp",
        { authorization: `Bearer ${s.token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "first-use", version: "0" } } }),
      );
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json?.id, 1);
      assert.ok(reply.json?.result?.serverInfo, reply.text);
      const tools = await rawPost(
        s,
        "/mcp",
        { authorization: `Bearer ${s.token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
        JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} }),
      );
      assert.equal(tools.status, 200, tools.text);
      assert.ok((tools.json?.result?.tools as Json[]).some((tool) => tool.name === "workspace_status"));
    } finally {
      await s.close();
    }
  });

  it("the first OAuth metadata GET", async () => {
    const s = await startServer();
    try {
      const resource = await getPath(s.url, "/.well-known/oauth-protected-resource/mcp");
      assert.equal(resource.status, 200, resource.text);
      assert.equal(resource.json?.resource, `${s.config.public_base_url}/mcp`);
      const server = await getPath(s.url, "/.well-known/oauth-authorization-server");
      assert.equal(server.status, 200, server.text);
      assert.ok(server.json?.authorization_endpoint, server.text);
    } finally {
      await s.close();
    }
  });

  it("the dashboard's first page, and an Actions call in its live feed", async () => {
    const fx: DashFixture = await startWithDashboard();
    try {
      const session = await login(fx);
      assert.ok(session.csrf.length > 0);
      const reply = await fx.api.post("workspace_status");
      assert.equal(reply.status, 200);
      const events = await raw(fx.port, "GET", "/api/events", { cookie: session.cookie });
      assert.equal(events.status, 200);
      const hello = /event: hello\ndata: (.*)\n/.exec(events.text)?.[1];
      assert.ok(hello, events.text.slice(0, 300));
      const feed = (JSON.parse(hello) as { feed: AuditRecord[] }).feed;
      assert.ok(feed.some((record) => record.action === "workspace_status" && record.face === "http"), JSON.stringify(feed));
    } finally {
      await fx.close();
    }
  });
});
