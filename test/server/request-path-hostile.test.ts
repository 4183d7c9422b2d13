/**
 * The request path's cuts (issue 22 part 5) under hostile or unlucky conditions: the audit
 * follower when other writers share the file, the token in every field and every face it
 * could reach, every spelling of /mcp, bearer headers that are nearly right.
 */
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, realpathSync } from "node:fs";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { z } from "zod";
import { verifyBearer } from "../../src/access/token.js";
import { probeAction } from "./probe.js";
import { auditFollower } from "../../src/audit/follow.js";
import { AuditLog, isoNow, type AuditRecord } from "../../src/audit/log.js";
import { listen } from "../../src/server/listen.js";
import { coreSources } from "../../src/dashboard/coreSources.js";
import { makeHome, postJson, rawRequest, startServer, tempDir, unsandboxedHome, waitFor } from "../helpers.js";
import { updateConfig } from "../../src/config/store.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const line = (action: string, face: AuditRecord["face"], pad = ""): AuditRecord => ({
  time: isoNow(),
  action,
  workspace: null,
  outcome: "ok",
  duration_ms: 0,
  face,
  ...(pad ? { detail: { pad } } : {}),
});

const bytesOf = (record: AuditRecord) => Buffer.byteLength(`${JSON.stringify(record)}\n`);

/** A record of `action`/`face` padded to exactly `bytes` bytes as a line. */
function sized(action: string, face: AuditRecord["face"], bytes: number): AuditRecord {
  const bare = bytesOf(line(action, face, "x"));
  const record = line(action, face, "x".repeat(bytes - bare + 1));
  assert.equal(bytesOf(record), bytes);
  return record;
}

describe("the audit follower with other writers on the same file", () => {
  it("hands over the lines of a second AuditLog of this process (a stdio face beside the server in one process)", () => {
    const home = tempDir();
    const server = new AuditLog(home);
    const stdio = new AuditLog(home);
    server.write(line("first", "http"));
    server.flush();
    const got: string[] = [];
    // The server's follower, as the dashboard sets it up: the stdio face's lines only.
    const poll = auditFollower(server, (record) => record.face === "stdio", (record) => got.push(record.action));

    // Only the other AuditLog wrote since the last look: its lines reach no listener of `server` directly.
    stdio.write(line("stdio-call", "stdio"));
    stdio.flush();
    poll();
    assert.deepEqual(got, ["stdio-call"]);

    // Both wrote: read as before.
    server.write(line("ours", "http"));
    server.flush();
    stdio.write(line("stdio-call-2", "stdio"));
    stdio.flush();
    poll();
    assert.deepEqual(got, ["stdio-call", "stdio-call-2"]);

    // Only the server's own log wrote: nothing to hand over (and nothing read).
    server.write(line("ours-2", "http"));
    server.flush();
    poll();
    assert.deepEqual(got, ["stdio-call", "stdio-call-2"]);
  });

  it("after a rotation, another process's line is handed over even when its size equals what this process wrote before rotating", () => {
    const home = tempDir();
    const log = new AuditLog(home, 8_000);
    // Fill the file to 7,000 bytes: 35 lines of 200.
    for (let i = 0; i < 35; i++) log.write(sized(`fill-${i}`, "http", 200));
    log.flush();
    assert.equal(readFileSync(log.file).length, 7_000);
    const got: string[] = [];
    const poll = auditFollower(log, (record) => record.face === "stdio", (record) => got.push(record.action));

    // This process: 200 bytes to the old file, then a line that does not fit, so the file
    // is rotated and the new one starts with our 1,000 bytes.
    log.write(sized("ours-before-rotation", "http", 200));
    log.write(sized("ours-after-rotation", "http", 1_000));
    log.flush();
    assert.equal(readFileSync(`${log.file}.1`).length, 7_200);
    // Another process (a stdio face) appends one line of 200 bytes to the new file: what is
    // new in it (1,200) is exactly what this process appended since the last look.
    appendFileSync(log.file, `${JSON.stringify(sized("theirs", "stdio", 200))}\n`);
    assert.equal(readFileSync(log.file).length, 1_200);

    poll();
    assert.deepEqual(got, ["theirs"]);
  });

  it("a torn line of another process is completed at the next look, also when only this process wrote in between", () => {
    const home = tempDir();
    const log = new AuditLog(home);
    log.write(line("first", "http"));
    log.flush();
    const got: string[] = [];
    const poll = auditFollower(log, (record) => record.face === "stdio", (record) => got.push(record.action));
    const theirs = `${JSON.stringify(line("theirs", "stdio"))}\n`;
    appendFileSync(log.file, theirs.slice(0, 20));
    poll();
    assert.deepEqual(got, []);
    appendFileSync(log.file, theirs.slice(20));
    log.write(line("ours", "http"));
    log.flush();
    poll();
    assert.deepEqual(got, ["theirs"]);
  });
});

/** POST with exactly these headers and body. */
/** A request with its path and headers exactly as given; a POST without a body sends `{}`. */
/** A request log kept in memory: the stream the server writes to, and what it wrote so far. */
function capturedLog(): { stream: Writable; text(): string } {
  let logged = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logged += String(chunk);
      done();
    },
  });
  return { stream, text: () => logged };
}

const rawPost = (url: string, path: string, headers: Record<string, string>, body = "{}", method = "POST") =>
  rawRequest(url, path, headers, method === "GET" || method === "HEAD" ? undefined : body, method);

describe("the token on every way out of a call", () => {
  it("never reaches the audit file, the listeners or the request log, with or without its prefix, now or later", async () => {
    const echo = probeAction("echo_probe", z.object({ text: z.string() }), z.object({ ok: z.boolean() }), async (input, ctx) => {
      ctx.audit.paths = [input.text];
      ctx.audit.command = input.text;
      ctx.audit.detail = { text: input.text };
      ctx.auditLater({ outcome: "ok", duration_ms: 0, command: input.text, detail: { event: "later", text: input.text } });
      return { ok: true };
    });
    const fixture = makeHome();
    const secret = fixture.token.slice(4);
    const captured = capturedLog();
    const requestLog = captured.stream;
    const running = await listen({ home: fixture.home, host: "127.0.0.1", port: 0, requestLog, actions: [echo] });
    const heard: AuditRecord[] = [];
    running.app.codex.audit.subscribe((record) => heard.push(record));
    try {
      for (const text of [fixture.token, secret, `a/${secret}/b`, `x ${fixture.token}\ty`]) {
        const reply = await postJson(running.url, "echo_probe", { text }, { token: fixture.token });
        assert.equal(reply.status, 200, reply.text);
      }
      // The token in the URL (path and query) of a call that is refused.
      await rawPost(running.url, `/${fixture.token}?t=${fixture.token}`, { authorization: `Bearer ${fixture.token}`, "content-type": "application/json" });
      await rawPost(running.url, `/echo_probe?token=${fixture.token}`, { authorization: `Bearer ${fixture.token}`, "content-type": "application/json" }, JSON.stringify({ text: "q" }));
      running.app.codex.audit.flush();
      const file = readFileSync(running.app.codex.audit.file, "utf8");
      const lines = file.trim().split("\n").map((l) => JSON.parse(l) as Json);
      assert.equal(lines.length, 10, file);
      assert.ok(!file.includes(secret), file);
      assert.ok(!JSON.stringify(heard).includes(secret));
      assert.equal(heard.length, 10);
      for (const record of heard) assert.ok(!JSON.stringify(Object.values(record)).includes(secret));
      assert.equal(lines.filter((l) => l.detail?.event === "later").length, 5);
      assert.ok(lines.some((l) => l.command === "cgc_[redacted]"));
      // Absent fields are left out of the line, as before.
      for (const l of lines) assert.ok(!("exit_code" in l) && !("error_code" in l), JSON.stringify(l));
    } finally {
      await running.close();
    }
    assert.ok(captured.text().includes("POST /echo_probe 200"), captured.text());
    assert.ok(!captured.text().includes(secret), captured.text());
  });
});

describe("the token next to a JSON escape, and percent-encoded in a path", () => {
  it("a text holding an escape right before the token's random part keeps its audit line and its answer; the token itself is still removed", async () => {
    const echo = probeAction("echo_text", z.object({ text: z.string() }), z.object({ text: z.string() }), async (input, ctx) => {
      ctx.audit.command = input.text;
      return { text: input.text };
    });
    // A token whose random part starts with "n": in JSON, "\n" followed by the rest of it holds the random part whole.
    const token = `cgc_n${"A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2".slice(0, 42)}`;
    const fixture = makeHome({ change: (config) => (config.token = token) });
    const secret = token.slice(4);
    const running = await listen({ home: fixture.home, host: "127.0.0.1", port: 0, requestLog: null, actions: [echo] });
    try {
      const near = `\n${secret.slice(1)}`;
      const reply = await postJson(running.url, "echo_text", { text: near }, { token });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json.text, near, "not the token: given back as it was");
      const real = await postJson(running.url, "echo_text", { text: `\n${token}\t` }, { token });
      assert.equal(real.status, 200, real.text);
      assert.equal(real.json.text, "\ncgc_[redacted]\t");
      running.app.codex.audit.flush();
      const lines = readFileSync(running.app.codex.audit.file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Json);
      assert.deepEqual(lines.filter((l) => l.action === "echo_text").map((l) => l.command), [near, "\ncgc_[redacted]\t"], "both calls have their line");
    } finally {
      await running.close();
    }
  });

  it("the request log and a 404 answer never show the token percent-encoded, once or twice", async () => {
    const fixture = makeHome();
    const secret = fixture.token.slice(4);
    const captured = capturedLog();
    const requestLog = captured.stream;
    const running = await listen({ home: fixture.home, host: "127.0.0.1", port: 0, requestLog, actions: [] });
    const once = [...fixture.token].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join("");
    const twice = once.replaceAll("%", "%25");
    const answers: string[] = [];
    try {
      // Also beside a stray or broken escape, which a whole-path decoder gives up on.
      for (const path of [`/${once}`, `/x/${twice}/y`, `/a${once.slice(0, 12)}${fixture.token.slice(4)}`, `/%25zz/${twice}`, `/${once}#%zz`, `/${twice}/%25FF`]) {
        const reply = await rawPost(running.url, path, { authorization: `Bearer ${fixture.token}`, "content-type": "application/json" });
        assert.equal(reply.status, 404, reply.text);
        answers.push(reply.text);
      }
    } finally {
      await running.close();
    }
    const decodedAll = (text: string) => {
      let out = text;
      for (let i = 0; i < 3; i++) out = decodeURIComponent(out.replace(/%(?![0-9A-Fa-f]{2})/g, "%25"));
      return out;
    };
    assert.equal((captured.text().match(/ 404 /g) ?? []).length, 6, captured.text());
    assert.ok(!decodedAll(captured.text()).includes(secret), captured.text());
    for (const text of answers) assert.ok(!decodedAll(text).includes(secret), text);
    assert.match(captured.text(), /POST \/x\/cgc_\[redacted\]\/y 404/, "shown decoded, the token replaced");
  });
});

describe("the token in what the caller sent, quoted back", () => {
  it("a path Fastify cannot decode is answered 400 BAD_REQUEST in the contract's shape, logged, and without the token", async () => {
    const fixture = makeHome();
    const secret = fixture.token.slice(4);
    const captured = capturedLog();
    const running = await listen({ home: fixture.home, host: "127.0.0.1", port: 0, requestLog: captured.stream, actions: [] });
    const paths = [`/${fixture.token}%zz`, `/%zz${fixture.token}`, `/mcp/${fixture.token}%`, `/${secret}%`];
    try {
      for (const path of paths) {
        const reply = await rawPost(running.url, path, { authorization: `Bearer ${fixture.token}`, "content-type": "application/json" });
        assert.equal(reply.status, 400, reply.text);
        assert.equal(reply.json?.error?.code, "BAD_REQUEST", reply.text);
        assert.match(reply.json?.error?.message, /^malformed URL path: /);
        assert.ok(!reply.text.includes(secret), reply.text);
      }
    } finally {
      await running.close();
    }
    assert.equal((captured.text().match(/ 400 /g) ?? []).length, paths.length, captured.text());
    assert.ok(!captured.text().includes(secret), captured.text());
  });

  it("a Content-Type carrying the token is refused without quoting the token", async () => {
    const fixture = makeHome();
    const secret = fixture.token.slice(4);
    const probe = probeAction("type_probe", z.object({}), z.object({ ok: z.boolean() }), async () => ({ ok: true }));
    const running = await listen({ home: fixture.home, host: "127.0.0.1", port: 0, requestLog: null, actions: [probe] });
    try {
      for (const type of [`application/${fixture.token}`, `text/${secret}; charset=utf-8`]) {
        const reply = await rawPost(running.url, "/type_probe", { authorization: `Bearer ${fixture.token}`, "content-type": type });
        assert.equal(reply.status, 400, reply.text);
        assert.equal(reply.json?.error?.code, "BAD_REQUEST", reply.text);
        assert.match(reply.json?.error?.message, /^send JSON \(Content-Type: application\/json\), not .*\[redacted\]/);
        assert.ok(!reply.text.includes(secret), reply.text);
      }
    } finally {
      await running.close();
    }
  });
});

describe("the server's audit log redacts every record", () => {
  it("also one whose writer passed no token (a new writer cannot forget it)", async () => {
    const fixture = makeHome();
    const secret = fixture.token.slice(4);
    const running = await listen({ home: fixture.home, host: "127.0.0.1", port: 0, requestLog: null, actions: [] });
    const heard: AuditRecord[] = [];
    running.app.codex.audit.subscribe((record) => heard.push(record));
    try {
      running.app.codex.audit.write({ time: isoNow(), action: "some_new_writer", workspace: null, outcome: "ok", duration_ms: 0, face: "dashboard", command: `echo ${fixture.token}`, detail: { note: secret } });
      running.app.codex.audit.flush();
      const file = readFileSync(running.app.codex.audit.file, "utf8");
      assert.match(file, /"action":"some_new_writer"/);
      assert.ok(!file.includes(secret), file);
      assert.equal(heard.length, 1);
      assert.ok(!JSON.stringify(heard).includes(secret));
      assert.equal(heard[0]!.command, "echo cgc_[redacted]");
    } finally {
      await running.close();
    }
  });
});

describe("the token in long commands and across a rotation", () => {
  it("a token across the 2,000th character of a command leaves none of itself in the record; a token rotated during a call is removed too", async () => {
    let rotateTo: string | null = null;
    const writeLater: (() => void)[] = [];
    const probe = probeAction("long_probe", z.object({ text: z.string() }), z.object({ ok: z.boolean() }), async (input, ctx) => {
      ctx.audit.command = input.text;
      // A line after the answer (as a job's end is) carries the same command: written once both calls are answered,
      // so the first call's comes after the token was rotated.
      writeLater.push(() => ctx.auditLater({ outcome: "ok", duration_ms: 0, command: input.text, detail: { event: "later" } }));
      if (rotateTo) {
        // As `token rotate` from another process would: the file changes while the call runs (the server reads it again on a later turn).
        updateConfig(ctx.store.home, (c) => (c.token = rotateTo!));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { ok: true };
    });
    const fixture = makeHome();
    const running = await listen({ home: fixture.home, host: "127.0.0.1", port: 0, requestLog: null, actions: [probe] });
    const heard: AuditRecord[] = [];
    running.app.codex.audit.subscribe((record) => heard.push(record));
    try {
      // The token starts 20 characters before the cut: cut first, 20 of its characters would stay.
      const straddling = `${"x".repeat(1980)}${fixture.token} ${"t".repeat(100)}`;
      assert.equal((await postJson(running.url, "long_probe", { text: straddling }, { token: fixture.token })).status, 200);
      // The handler rotates the token while the call runs, and the command carries the new one.
      const fresh = `cgc_${"R".repeat(43)}`;
      rotateTo = fresh;
      assert.equal((await postJson(running.url, "long_probe", { text: `echo ${fresh}` }, { token: fixture.token })).status, 200);
      for (const write of writeLater) write();
      await waitFor(() => heard.filter((r) => r.detail?.event === "later").length === 2, "the two later lines");
      running.app.codex.audit.flush();
      const file = readFileSync(running.app.codex.audit.file, "utf8");
      for (const part of [fixture.token.slice(4, 24), fixture.token.slice(4), fresh.slice(4)]) {
        assert.ok(!file.includes(part), `the record keeps ${part.length} characters of a token`);
        assert.ok(!JSON.stringify(heard).includes(part));
      }
      const calls = heard.filter((r) => r.action === "long_probe" && r.detail?.event !== "later").map((r) => r.command ?? "");
      assert.deepEqual(calls, [`${"x".repeat(1980)}cgc_[redacted] ttttt`, "echo cgc_[redacted]"]);
      const later = heard.filter((r) => r.detail?.event === "later").map((r) => r.command ?? "");
      assert.deepEqual(later, calls, "a later line keeps the command as the call's line does: the token removed, then cut to 2,000");
    } finally {
      await running.close();
    }
  });
});

describe("every spelling of /mcp", () => {
  it("gets the Host check on every method; an action's plain path does not", async () => {
    const fixture = makeHome();
    const running = await listen({ home: fixture.home, host: "127.0.0.1", port: 0, requestLog: null });
    try {
      const auth = { authorization: `Bearer ${fixture.token}`, "content-type": "application/json" };
      const spellings = ["/mcp", "/MCP", "/Mcp", "/mcp/", "//mcp", "/%6dcp", "/%6DCP", "/%256dcp", "/mcp?x=1", "/mcp;x", "/mcp#x", "/./mcp", "/x/../mcp", "/mcp%2f", "/mcp%3fx"];
      for (const path of spellings) {
        for (const method of ["POST", "GET", "HEAD", "OPTIONS", "DELETE"]) {
          const reply = await rawPost(running.url, path, { ...auth, host: "evil.example" }, "{}", method);
          assert.equal(reply.status, 403, `${method} ${path}: ${reply.status} ${reply.text}`);
        }
      }
      // A trailing dot is another path to the router, as before: not found, not the MCP face.
      const dotted = await rawPost(running.url, "/mcp.", { ...auth, host: "evil.example" });
      assert.equal(dotted.status, 404, dotted.text);
      // Without a token, the OAuth challenge on each spelling that the router takes for /mcp.
      for (const path of ["/mcp", "/MCP", "/%6dcp", "/mcp?x=1"]) {
        const reply = await rawPost(running.url, path, { host: "127.0.0.1", "content-type": "application/json" });
        assert.equal(reply.status, 401, path);
        assert.match(String(reply.headers["www-authenticate"]), /^Bearer resource_metadata="/, path);
      }
      const action = await rawPost(running.url, "/workspace_status", { ...auth, host: "evil.example" });
      assert.equal(action.status, 200, action.text);
      assert.equal(action.json?.path, realpathSync(fixture.workspace));
    } finally {
      await running.close();
    }
  });
});

describe("verifyBearer with nearly right headers", () => {
  it("accepts exactly `Bearer <token>` and nothing else", () => {
    const token = `cgc_${"A".repeat(43)}`;
    assert.equal(verifyBearer(`Bearer ${token}`, token), true);
    for (const header of [
      undefined,
      "",
      "Bearer",
      "Bearer ",
      `Bearer  ${token}`,
      ` Bearer ${token}`,
      `Bearer ${token} `,
      `Bearer ${token}\n`,
      `bearer ${token}`,
      `Basic ${token}`,
      `Bearer ${token.slice(4)}`,
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token.slice(0, -1)}\u00c4`,
      `Bearer ${token}${"A".repeat(100_000)}`,
    ]) {
      assert.equal(verifyBearer(header, token), false, JSON.stringify(header?.slice(0, 80)));
    }
    assert.equal(verifyBearer("Bearer ", ""), false, "an empty configured token admits nobody");
    assert.equal(verifyBearer("Bearer x", ""), false);
    // The digest of the last token is cached: a changed token is compared against its own.
    const other = `cgc_${"B".repeat(43)}`;
    assert.equal(verifyBearer(`Bearer ${token}`, other), false);
    assert.equal(verifyBearer(`Bearer ${other}`, other), true);
    assert.equal(verifyBearer(`Bearer ${token}`, token), true);
  });
});

describe("the token in the dashboard's own audit lines", () => {
  it("a command killed from the dashboard: its kill line and feed entry do not carry the token", async () => {
    const fixture = unsandboxedHome();
    const s = await startServer(fixture);
    const secret = fixture.token.slice(4);
    const core = coreSources({ store: s.server.store, resources: s.server.resources, audit: s.server.app.codex.audit, localUrl: () => s.url });
    const heard: AuditRecord[] = [];
    const off = s.server.app.codex.audit.subscribe((record) => heard.push(record));
    try {
      const started = await s.post("exec_command", { command: `sleep 30 # ${fixture.token}`, wait_seconds: 0 });
      assert.equal(started.status, 200, started.text);
      const id = String(started.json.job_id);
      assert.equal(await core.jobs.kill(id), true);
      s.server.app.codex.audit.flush();
      const file = readFileSync(s.server.app.codex.audit.file, "utf8");
      const kill = file.trim().split("\n").map((l) => JSON.parse(l) as Json).find((l) => l.face === "dashboard" && l.action === "kill_command");
      assert.ok(kill, file);
      assert.equal(kill.command, "sleep 30 # cgc_[redacted]");
      assert.ok(!file.includes(secret), file);
      assert.ok(!JSON.stringify(heard).includes(secret), "the feed's listeners get the redacted line");
      assert.ok(!JSON.stringify(core.feed.recent(10)).includes(secret), "nor does the dashboard feed keep it");
    } finally {
      off();
      core.close();
      await s.close();
    }
  });
});
