import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ACTIONS } from "../src/actions/registry.js";
import { updateConfig } from "../src/config/store.js";
import { auditRecords, getPath, makeHome, postJson, runCliAsync, startServer, waitFor, type TestServer } from "./helpers.js";

const PUBLIC_GETS = ["/health", "/openapi.json", "/privacy"];

async function publicGetsReadable(s: TestServer): Promise<void> {
  for (const path of PUBLIC_GETS) {
    const reply = await getPath(s.url, path);
    assert.equal(reply.status, 200, `${path} must stay readable`);
    assert.ok(!reply.text.includes(s.token), `${path} must not contain the token`);
  }
}

function assertError(reply: { status: number; json: { error?: { code?: string; message?: string } } }, status: number, code: string, label: string) {
  assert.equal(reply.status, status, `${label}: status`);
  assert.equal(reply.json?.error?.code, code, `${label}: code`);
  assert.equal(typeof reply.json?.error?.message, "string", `${label}: message`);
}

describe("auth matrix over every registered POST action", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
    // As under `up` with its own ngrok tunnel: x-forwarded-for then names the client.
    s.server.trustForwarding("ngrok");
  });
  after(() => s.close());

  it("refuses every bad credential with 401 UNAUTHORIZED", async () => {
    const oneOff = s.token.slice(0, -1) + (s.token.endsWith("A") ? "B" : "A");
    const cases: [string, Record<string, string>][] = [
      ["no header", {}],
      ["wrong token", { authorization: "Bearer cgc_wrongwrongwrongwrongwrongwrongwrongwrongwro" }],
      ["wrong scheme", { authorization: `Basic ${s.token}` }],
      ["lower-case scheme", { authorization: `bearer ${s.token}` }],
      ["empty token", { authorization: "Bearer " }],
      ["token without scheme", { authorization: s.token }],
      ["one char off", { authorization: `Bearer ${oneOff}` }],
      ["token plus suffix", { authorization: `Bearer ${s.token}x` }],
      ["token prefix", { authorization: `Bearer ${s.token.slice(0, 20)}` }],
    ];
    // Each action's attempts come from their own forwarded client so the throttle (tested below) stays out of the way.
    for (const [index, action] of ACTIONS.entries()) {
      for (const [label, headers] of cases) {
        const reply = await postJson(s.url, action.name, {}, { token: null, headers: { ...headers, "x-forwarded-for": `192.0.2.${index}` } });
        assertError(reply, 401, "UNAUTHORIZED", `${action.name} / ${label}`);
        assert.ok(!reply.text.includes(s.token), "error must not echo the token");
      }
    }
  });

  it("accepts the valid token on a read-only action", async () => {
    const reply = await s.post("workspace_status");
    assert.equal(reply.status, 200);
    assert.equal(reply.json.active_workspace, "ws");
    assert.equal(reply.json.path, s.workspace);
    assert.deepEqual(reply.json.workspaces, [{ name: "ws", active: true }]);
    assert.equal(reply.json.git, null);
    assert.deepEqual(reply.json.access, { active: true, expires_at: null, reason: null });
  });

  it("old token after rotate-token is 401, new token works, on the very next request", async () => {
    const before = s.token;
    const result = await runCliAsync(["rotate-token"], s.home);
    assert.equal(result.code, 0, result.stderr);
    const fresh = result.stdout.trim();
    assert.notEqual(fresh, before);
    assertError(await postJson(s.url, "workspace_status", {}, { token: before }), 401, "UNAUTHORIZED", "old token");
    assert.equal((await postJson(s.url, "workspace_status", {}, { token: fresh })).status, 200);
    s.token = fresh;
  });

  it("revoke from another terminal → 403 ACCESS_EXPIRED on every action, GETs readable; renew restores", async () => {
    const tokenBefore = s.token;
    const result = await runCliAsync(["access", "revoke"], s.home);
    assert.equal(result.code, 0, result.stderr);
    for (const action of ACTIONS) {
      const reply = await postJson(s.url, action.name, {}, { token: tokenBefore });
      assertError(reply, 403, "ACCESS_EXPIRED", `${action.name} after revoke`);
    }
    await publicGetsReadable(s);
    const health = await getPath(s.url, "/health");
    assert.equal(health.json.access.active, false);
    const grant = await runCliAsync(["access", "grant"], s.home);
    assert.equal(grant.code, 0, grant.stderr);
    assert.equal((await s.post("workspace_status")).status, 200);
  });

  it("channel revoke rotates the token without printing it; the formerly valid token gets 401 or 403", async () => {
    const tokenBefore = s.token;
    const result = await runCliAsync(["channel", "revoke"], s.home);
    assert.equal(result.code, 0);
    assert.ok(!result.stdout.includes(tokenBefore) && !result.stderr.includes(tokenBefore));
    const newToken = JSON.parse(readFileSync(join(s.home, "config.json"), "utf8")).token as string;
    assert.notEqual(newToken, tokenBefore);
    assert.ok(!result.stdout.includes(newToken) && !result.stderr.includes(newToken), "revoke must not print the new token");
    assertError(await postJson(s.url, "workspace_status", {}, { token: tokenBefore }), 401, "UNAUTHORIZED", "old token after revoke");
    assertError(await postJson(s.url, "workspace_status", {}, { token: newToken }), 403, "ACCESS_EXPIRED", "new token while revoked");
    await publicGetsReadable(s);
    const renew = await runCliAsync(["channel", "renew"], s.home);
    assert.equal(renew.code, 0);
    assert.ok(renew.stdout.includes(newToken), "renew prints the current token for GPT Builder");
    assert.equal((await postJson(s.url, "workspace_status", {}, { token: newToken })).status, 200);
    s.token = newToken;
  });

  it("after TTL expiry every POST is 403 and GETs stay readable", async () => {
    updateConfig(s.home, (c) => {
      c.access.expires_at = new Date(Date.now() - 1000).toISOString();
    });
    for (const action of ACTIONS) {
      assertError(await postJson(s.url, action.name, {}, { token: s.token }), 403, "ACCESS_EXPIRED", `${action.name} after TTL`);
    }
    await publicGetsReadable(s);
    updateConfig(s.home, (c) => {
      c.access.expires_at = new Date(Date.now() + 3_600_000).toISOString();
    });
    const ok = await s.post("workspace_status");
    assert.equal(ok.status, 200);
    assert.equal(ok.json.access.active, true);
    assert.ok(ok.json.access.expires_at);
  });
});

describe("request pipeline", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(makeHome({ change: (c) => (c.server.body_limit_bytes = 64 * 1024) }));
  });
  after(() => s.close());

  it("a foreign Origin is 403 FORBIDDEN_ORIGIN, even with the token, and no CORS headers are sent", async () => {
    const reply = await s.post("workspace_status", {}, { headers: { origin: "https://evil.example" } });
    assertError(reply, 403, "FORBIDDEN_ORIGIN", "origin");
    const health = await getPath(s.url, "/health", { origin: "https://evil.example" });
    assert.equal(health.status, 403);
    const plain = await getPath(s.url, "/health");
    for (const [key] of plain.headers) assert.ok(!key.startsWith("access-control-"), `unexpected CORS header ${key}`);
  });

  it("origin is checked before the token", async () => {
    const reply = await postJson(s.url, "workspace_status", {}, { token: null, headers: { origin: "https://evil.example" } });
    assertError(reply, 403, "FORBIDDEN_ORIGIN", "origin before token");
  });

  it("an oversized body is 413 TOO_LARGE before parsing, but only with the token", async () => {
    const big = JSON.stringify({ name: "x".repeat(70 * 1024) });
    assertError(await s.post("switch_workspace", undefined, { rawBody: big }), 413, "TOO_LARGE", "big body");
    assertError(await postJson(s.url, "switch_workspace", undefined, { token: null, rawBody: big }), 401, "UNAUTHORIZED", "big body no token");
  });

  it("malformed JSON, wrong types and non-JSON are 400 BAD_REQUEST", async () => {
    assertError(await s.post("switch_workspace", undefined, { rawBody: "{not json" }), 400, "BAD_REQUEST", "malformed");
    assertError(await s.post("switch_workspace", { name: 42 }), 400, "BAD_REQUEST", "wrong type");
    assertError(await s.post("switch_workspace", {}), 400, "BAD_REQUEST", "missing field");
    assertError(
      await s.post("switch_workspace", undefined, { rawBody: "name=ws", headers: { "content-type": "application/x-www-form-urlencoded" } }),
      400,
      "BAD_REQUEST",
      "form body",
    );
  });

  it("an empty body counts as {} for actions without fields", async () => {
    const reply = await s.post("workspace_status", undefined, { rawBody: "" });
    assert.equal(reply.status, 200);
  });

  it("GET on an action is 405, unknown paths 404, both in the error shape", async () => {
    const get = await getPath(s.url, "/workspace_status");
    assertError(get, 405, "METHOD_NOT_ALLOWED", "GET action");
    assertError(await getPath(s.url, "/nope"), 404, "NOT_FOUND", "unknown GET");
    assertError(await s.post("nope"), 404, "NOT_FOUND", "unknown POST with token");
    assertError(await postJson(s.url, "nope", {}, { token: null }), 401, "UNAUTHORIZED", "unknown POST without token");
  });

  it("/health has the contract fields and no absolute path", async () => {
    const health = await getPath(s.url, "/health");
    assert.equal(health.json.ok, true);
    assert.equal(health.json.name, "chatgpt-codex");
    assert.equal(typeof health.json.version, "string");
    assert.equal(health.json.active_workspace, "ws");
    assert.deepEqual(health.json.access, { active: true, expires_at: null, reason: null });
    assert.ok(!health.text.includes(s.workspace));
  });

  it("/privacy is text in English and Chinese", async () => {
    const privacy = await getPath(s.url, "/privacy");
    assert.match(privacy.headers.get("content-type") ?? "", /text\/plain/);
    assert.match(privacy.text, /privacy/i);
    assert.match(privacy.text, /隐私/);
  });

  it("switch_workspace persists, refuses unknown names, and workspace changes from the CLI apply at once", async () => {
    const second = join(s.workspace, "..", "second");
    const add = await runCliAsync(["workspace", "add", "--name", "second", "--path", second], s.home);
    assert.equal(add.code, 2, "missing folder is a usage error");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(second);
    assert.equal((await runCliAsync(["workspace", "add", "--name", "second", "--path", second], s.home)).code, 0);
    const list = await s.post("list_workspaces");
    assert.deepEqual(
      list.json.workspaces.map((w: { name: string; active: boolean }) => [w.name, w.active]),
      [
        ["ws", true],
        ["second", false],
      ],
    );
    const switched = await s.post("switch_workspace", { name: "second" });
    assert.equal(switched.status, 200);
    assert.equal(switched.json.active_workspace, "second");
    const status = await runCliAsync(["status", "--json"], s.home);
    assert.equal(JSON.parse(status.stdout).active_workspace, "second");
    assertError(await s.post("switch_workspace", { name: "../etc" }), 404, "NOT_FOUND", "unregistered name");
    assert.equal((await runCliAsync(["workspace", "switch", "ws"], s.home)).code, 0);
    assert.equal((await s.post("workspace_status")).json.active_workspace, "ws");
  });

  it("workspace_status reports git branch and dirty files in a real repository", async () => {
    const { execFileSync } = await import("node:child_process");
    const { writeFileSync } = await import("node:fs");
    execFileSync("git", ["init", "-q", "-b", "trunk", s.workspace]);
    writeFileSync(join(s.workspace, "a.txt"), "a\n");
    writeFileSync(join(s.workspace, "b.txt"), "b\n");
    // Status answers share a git summary for up to 2 s (documented); changes made by hand show after that.
    const git = await waitFor(async () => (await s.post("workspace_status")).json.git ?? undefined, "a git summary");
    assert.deepEqual(git, { branch: "trunk", dirty_files: 2 });
  });
});

describe("failed-auth throttling", () => {
  it("counts clients apart behind a local proxy by the proxy-appended address", async () => {
    const s = await startServer(makeHome({ change: (c) => (c.server.auth_fail_limit = 5) }));
    // Only a tunnel this process started is trusted to name the client (`up` says so).
    s.server.trustForwarding("ngrok");
    try {
      for (let i = 0; i < 6; i++) await postJson(s.url, "workspace_status", {}, { token: "cgc_bad", headers: { "x-forwarded-for": "198.51.100.1" } });
      const blocked = await postJson(s.url, "workspace_status", {}, { token: "cgc_bad", headers: { "x-forwarded-for": "198.51.100.1" } });
      assert.equal(blocked.status, 429);
      // A forged first entry does not escape: the last (proxy-appended) entry is the client.
      const forged = await postJson(s.url, "workspace_status", {}, { token: "cgc_bad", headers: { "x-forwarded-for": "203.0.113.9, 198.51.100.1" } });
      assert.equal(forged.status, 429);
      const other = await postJson(s.url, "workspace_status", {}, { token: "cgc_bad", headers: { "x-forwarded-for": "198.51.100.2" } });
      assert.equal(other.status, 401);
    } finally {
      await s.close();
    }
  });

  it("answers 429 with Retry-After after repeated bad tokens, and never refuses the valid token", async () => {
    const s = await startServer(makeHome({ change: (c) => (c.server.auth_fail_limit = 20) }));
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        statuses.push((await postJson(s.url, "workspace_status", {}, { token: "cgc_bad" })).status);
      }
      assert.deepEqual(statuses.slice(0, 20), Array(20).fill(401));
      assert.deepEqual(statuses.slice(20), Array(10).fill(429));
      const limited = await postJson(s.url, "workspace_status", {}, { token: "cgc_bad" });
      assertError(limited, 429, "RATE_LIMITED", "throttled");
      const retry = Number(limited.headers.get("retry-after"));
      assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
      for (let i = 0; i < 20; i++) assert.equal((await s.post("workspace_status")).status, 200, "valid token is never throttled");
    } finally {
      await s.close();
    }
  });
});

describe("audit log", () => {
  it("one JSON line per action with outcome, never the token", async () => {
    const s = await startServer();
    try {
      await s.post("workspace_status");
      await s.post("switch_workspace", { name: "missing" });
      await s.post("switch_workspace", { name: 7 });
      const lines = await waitFor(() => auditRecords(s.home).length >= 3 && auditRecords(s.home), "three audit lines");
      assert.equal(lines.length, 3);
      assert.deepEqual(
        lines.map((l) => [l.action, l.outcome, l.error_code, l.status]),
        [
          ["workspace_status", "ok", undefined, 200],
          ["switch_workspace", "error", "NOT_FOUND", 404],
          ["switch_workspace", "error", "BAD_REQUEST", 400],
        ],
      );
      for (const line of lines) {
        assert.equal(typeof line.time, "string");
        assert.equal(typeof line.duration_ms, "number");
        assert.equal(line.workspace, "ws");
      }
      const { statSync } = await import("node:fs");
      assert.equal(statSync(join(s.home, "audit.log")).mode & 0o777, 0o600);
      assert.ok(!readFileSync(join(s.home, "audit.log"), "utf8").includes(s.token));
    } finally {
      await s.close();
    }
  });
});
