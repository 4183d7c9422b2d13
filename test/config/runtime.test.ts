/**
 * A config file that breaks while the server runs (real server on loopback, real files,
 * the real CLI): clients keep getting answers from the last good config, never a 500;
 * the owner is told once per change in the terminal, on the dashboard and by doctor;
 * a fixed file is picked up at once.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Config } from "../../src/config/schema.js";
import { saveConfig } from "../../src/config/store.js";
import { get, login, post, startWithDashboard } from "../dashboard/helpers.js";
import { getPath, makeHome, PLAIN_ENGLISH, runCliAsync, tempDir, waitFor } from "../helpers.js";
import { mcpCall } from "../oauth/helpers.js";
import { runLong } from "../tunnel-helpers.js";
import { broken, readText, writeBroken } from "./helpers.js";

/** 1-based line and column of a character offset. */
function place(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

interface DoctorCheck {
  name: string;
  level: string;
  detail: string;
}

async function doctorConfigCheck(home: string): Promise<DoctorCheck> {
  const result = await runCliAsync(["doctor", "--json"], home);
  const checks = (JSON.parse(result.stdout) as { checks: DoctorCheck[] }).checks;
  const check = checks.find((c) => c.name === "config file");
  assert.ok(check, result.stdout);
  return check;
}

/** Every action a client may call while the file is broken answers from the last good config. */
async function clientsStillServed(fx: Awaited<ReturnType<typeof startWithDashboard>>): Promise<void> {
  const read = await fx.api.post("read_file", { path: "notes.txt" });
  assert.equal(read.status, 200, read.text);
  assert.equal(read.json.content, "kept\n");
  const status = await fx.api.post("workspace_status");
  assert.equal(status.status, 200, status.text);
  assert.equal(status.json.active_workspace, "ws");
  assert.equal(status.json.access.active, true);
  const openapi = await getPath(fx.api.url, "/openapi.json");
  assert.equal(openapi.status, 200, openapi.text);
  const health = await getPath(fx.api.url, "/health");
  assert.equal(health.json.access.active, true);
  const mcp = await mcpCall(fx.api.url, fx.api.token, "tools/list");
  assert.equal(mcp.status, 200, mcp.text);
}

describe("a config file that breaks while the server runs", () => {
  it("invalid JSON: actions answer 200 from the last good config, the dashboard shows the problem, doctor names the line; the fix is picked up", async () => {
    const fx = await startWithDashboard();
    try {
      writeFileSync(join(fx.api.workspace, "notes.txt"), "kept\n");
      await clientsStillServed(fx);
      const good = readText(fx.api.home);
      const text = broken(good);
      writeBroken(fx.api.home, text);
      // The parser stops at the next key after the line that lost its comma.
      const at = place(text, text.indexOf('"', text.indexOf('"version": 1') + '"version": 1'.length));
      await clientsStillServed(fx);

      const session = await login(fx);
      const state = await get(fx, session, "/api/state");
      assert.equal(state.status, 200, state.text);
      const problem = state.json.config_problem;
      assert.equal(problem.file, join(fx.api.home, "config.json"));
      assert.equal(problem.kind, "invalid");
      assert.deepEqual([problem.line, problem.column], [at.line, at.column]);
      assert.equal(problem.access_paused, false);
      assert.equal(problem.paused_because, null);
      assert.equal(state.json.access.state, "active");
      assert.ok(!state.text.includes(fx.api.token), "the token stays out of the state");
      const page = await get(fx, session, "/");
      assert.match(page.text, /id="config-problem"/, "the page has the banner's place");

      // Revoke on a file that does not load writes nothing, and says why (not a 500).
      const revoke = await post(fx, session, "/api/access/revoke");
      assert.equal(revoke.status, 409, revoke.text);
      assert.equal(revoke.json.error.code, "CONFIG_INVALID");
      assert.equal(readText(fx.api.home), text, "the broken file was not touched");

      const doctor = await doctorConfigCheck(fx.api.home);
      assert.equal(doctor.level, "fail");
      assert.ok(doctor.detail.includes(join(fx.api.home, "config.json")), doctor.detail);
      assert.ok(doctor.detail.includes(`line ${at.line}, column ${at.column}`), doctor.detail);

      // Fixed, with a change: the very next call sees it.
      const fixed = JSON.parse(good) as Config;
      const second = join(tempDir(), "second");
      mkdirSync(second);
      fixed.workspaces.push({ name: "second", path: second });
      saveConfig(fx.api.home, fixed);
      const list = await fx.api.post("list_workspaces");
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.json.workspaces.map((w: { name: string }) => w.name), ["ws", "second"]);
      assert.equal((await get(fx, session, "/api/state")).json.config_problem, null);
    } finally {
      await fx.close();
    }
  });

  it("a schema error (a bad port): actions answer 200, the dashboard and doctor name the field", async () => {
    const fx = await startWithDashboard();
    try {
      writeFileSync(join(fx.api.workspace, "notes.txt"), "kept\n");
      const good = readText(fx.api.home);
      const text = good.replace(/"port": 8766/, '"port": 99999');
      assert.notEqual(text, good);
      writeBroken(fx.api.home, text);
      await clientsStillServed(fx);

      const session = await login(fx);
      const problem = (await get(fx, session, "/api/state")).json.config_problem;
      assert.equal(problem.kind, "invalid");
      assert.equal(problem.line, null);
      assert.ok(problem.fields.some((f: string) => f.startsWith("server.port: ")), JSON.stringify(problem));
      assert.equal(problem.access_paused, false);

      const doctor = await doctorConfigCheck(fx.api.home);
      assert.equal(doctor.level, "fail");
      assert.ok(doctor.detail.includes(join(fx.api.home, "config.json")), doctor.detail);
      assert.match(doctor.detail, /server\.port: /);

      saveConfig(fx.api.home, JSON.parse(good) as Config);
      assert.equal((await fx.api.post("workspace_status")).status, 200);
      assert.equal((await get(fx, session, "/api/state")).json.config_problem, null);
    } finally {
      await fx.close();
    }
  });
});

describe("the serve terminal names each change of the config file once", () => {
  const count = (text: string, pattern: RegExp) => text.split("\n").filter((line) => pattern.test(line)).length;

  async function serving(lang: "en" | "zh") {
    const fixture = makeHome();
    writeFileSync(join(fixture.workspace, "notes.txt"), "kept\n");
    const run = runLong(["--lang", lang, "serve", "--port", "0", "--dashboard-port", "0"], fixture.home, PLAIN_ENGLISH);
    const port = (await run.waitForOutput(/(?:Port|端口)[:：] ?(\d+)/))[1];
    const base = `http://127.0.0.1:${port}`;
    const call = async (action: string, body: unknown = {}) => {
      const response = await fetch(`${base}/${action}`, {
        method: "POST",
        headers: { authorization: `Bearer ${fixture.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      return response.status;
    };
    return { fixture, run, call };
  }

  it("English: broken JSON, then a bad port, then fixed; each said once; every call answered 200", async () => {
    const { fixture, run, call } = await serving("en");
    try {
      const good = readText(fixture.home);
      writeBroken(fixture.home, broken(good));
      const jsonLine = /^config: .*config\.json does not load: not valid JSON at line \d+, column \d+ \(.+\)\. The server keeps serving with the last good config until it is fixed\.$/;
      await waitFor(() => jsonLine.test(run.stderr().split("\n").find((l) => l.startsWith("config:")) ?? ""), `the broken-JSON line (stderr: ${run.stderr()})`);
      for (let i = 0; i < 3; i++) assert.equal(await call("read_file", { path: "notes.txt" }), 200);

      writeBroken(fixture.home, good.replace(/"port": 8766/, '"port": 99999'));
      const portLine = /^config: .*config\.json does not load: wrong values: server\.port: .*The server keeps serving with the last good config/;
      await waitFor(() => count(run.stderr(), portLine) > 0, `the bad-port line (stderr: ${run.stderr()})`);
      for (let i = 0; i < 3; i++) assert.equal(await call("workspace_status"), 200);

      saveConfig(fixture.home, JSON.parse(good) as Config);
      const fixedLine = /^config: .*config\.json loads again; the server uses it from now on\.$/;
      await waitFor(() => count(run.stderr(), fixedLine) > 0, `the fixed line (stderr: ${run.stderr()})`);
      assert.equal(await call("workspace_status"), 200);

      const err = run.stderr();
      assert.equal(count(err, jsonLine), 1, err);
      assert.equal(count(err, portLine), 1, err);
      assert.equal(count(err, fixedLine), 1, err);
      assert.equal(count(err, /^config:/), 3, err);
      assert.equal(count(err, / 500 \d+ms$/), 0, `no request answered 500: ${err}`);
      assert.ok(!err.includes(fixture.token) && !run.stdout().includes(fixture.token), "the token is never printed");
      assert.equal(await run.stop("SIGTERM"), 0);
    } finally {
      await run.stop("SIGKILL");
    }
  });

  it("中文: the same lines in Chinese", async () => {
    const { fixture, run, call } = await serving("zh");
    try {
      const good = readText(fixture.home);
      writeBroken(fixture.home, broken(good));
      const brokenLine = /^配置：.*config\.json 无法加载：第 \d+ 行第 \d+ 列不是合法的 JSON（.+）。在修好之前，服务继续使用上一次有效的配置。$/;
      await waitFor(() => count(run.stderr(), brokenLine) > 0, `the Chinese line (stderr: ${run.stderr()})`);
      assert.equal(await call("read_file", { path: "notes.txt" }), 200);
      saveConfig(fixture.home, JSON.parse(good) as Config);
      const fixedLine = /^配置：.*config\.json 已恢复正常，服务从现在起使用它。$/;
      await waitFor(() => count(run.stderr(), fixedLine) > 0, `the Chinese fixed line (stderr: ${run.stderr()})`);
      assert.equal(count(run.stderr(), brokenLine), 1, run.stderr());
      assert.equal(await run.stop("SIGTERM"), 0);
    } finally {
      await run.stop("SIGKILL");
    }
  });
});
