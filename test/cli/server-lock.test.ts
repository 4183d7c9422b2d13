/**
 * One server per config folder, through the real CLI (API contract §14): a second
 * `serve` or `up` on the same folder exits 1 naming the running one and changes
 * nothing; a stale lock is taken over; the lock goes with a clean stop; `status`,
 * `doctor` and `tunnel` find the running server through it.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { serverLockFile, type ServerLockInfo } from "../../src/server/instanceLock.js";
import { getPath, makeHome, PLAIN_ENGLISH, postJson, runCliAsync, tempDir, waitFor } from "../helpers.js";
import { fakeCloudflared, isAlive, runLong, type LongRun } from "../tunnel-helpers.js";

const NEVER_A_PID = 2 ** 22 + 12345;

function lock(home: string): ServerLockInfo {
  return JSON.parse(readFileSync(serverLockFile(home), "utf8")) as ServerLockInfo;
}

async function serve(home: string, extra: string[] = []): Promise<{ run: LongRun; port: number; url: string }> {
  const run = runLong(["serve", "--port", "0", "--dashboard-port", "0", ...extra], home, PLAIN_ENGLISH);
  const port = Number((await run.waitForOutput(/Port: (\d+)/))[1]);
  // The last line before the signal handlers are set: a stop sent earlier would kill it outright.
  await run.waitForOutput(/A new link any time/);
  const url = `http://127.0.0.1:${port}`;
  assert.equal((await getPath(url, "/health")).json.ok, true);
  return { run, port, url };
}

describe("one server per config folder", () => {
  it("a second serve exits 1 naming the first (pid, port, URL); the first keeps serving; the lock is 0600", async () => {
    const fx = makeHome();
    const first = await serve(fx.home);
    try {
      const held = lock(fx.home);
      assert.equal(held.pid, first.run.child.pid);
      assert.equal(held.port, first.port);
      assert.equal(held.url, first.url);
      assert.equal(statSync(serverLockFile(fx.home)).mode & 0o777, 0o600);
      const before = readFileSync(serverLockFile(fx.home), "utf8");

      const second = await runCliAsync(["serve", "--port", "0", "--dashboard-port", "0"], fx.home);
      assert.equal(second.code, 1, second.stderr);
      assert.match(second.stderr, /already running/);
      assert.ok(second.stderr.includes(`pid ${first.run.child.pid}`), second.stderr);
      assert.ok(second.stderr.includes(`port ${first.port}`), second.stderr);
      assert.ok(second.stderr.includes(first.url), second.stderr);
      assert.doesNotMatch(second.stdout, /listening on/);
      assert.ok(!second.stderr.includes(fx.token) && !second.stdout.includes(fx.token), "the token is never printed");

      const zh = await runCliAsync(["--lang", "zh", "serve", "--port", "0", "--dashboard-port", "0"], fx.home);
      assert.equal(zh.code, 1);
      assert.match(zh.stderr, /已经有一个 chatgpt-codex 服务在运行：pid \d+，端口 \d+/);

      assert.equal(readFileSync(serverLockFile(fx.home), "utf8"), before, "the running server's lock is untouched");
      assert.equal((await getPath(first.url, "/health")).json.ok, true);
      assert.equal((await postJson(first.url, "workspace_status", {}, { token: fx.token })).status, 200, "the first server still serves");
      assert.equal(await first.run.stop("SIGTERM"), 0);
      assert.equal(existsSync(serverLockFile(fx.home)), false, "SIGTERM removes the lock");
    } finally {
      await first.run.stop("SIGKILL");
    }
  });

  it("a second up exits 1 before writing anything: the new workspace is not registered", async () => {
    const fx = makeHome();
    const first = await serve(fx.home);
    try {
      const project = join(tempDir(), "other-project");
      mkdirSync(project);
      const config = readFileSync(join(fx.home, "config.json"));
      const second = await runCliAsync(["up", "--workspace", project, "--tunnel", "none", "--port", "0", "--dashboard-port", "0", "--ttl-minutes", "5"], fx.home);
      assert.equal(second.code, 1, second.stderr);
      assert.ok(second.stderr.includes(`pid ${first.run.child.pid}`), second.stderr);
      assert.deepEqual(readFileSync(join(fx.home, "config.json")), config, "config bytes unchanged");
      assert.equal((await getPath(first.url, "/health")).json.ok, true);
    } finally {
      assert.equal(await first.run.stop("SIGINT"), 0);
      assert.equal(existsSync(serverLockFile(fx.home)), false, "Ctrl-C removes the lock");
    }
  });

  it("a stale lock (its server was killed, or a PID that is gone) is taken over", async () => {
    const fx = makeHome();
    const killed = await serve(fx.home);
    const killedPid = killed.run.child.pid!;
    assert.equal(await killed.run.stop("SIGKILL"), null);
    assert.equal(lock(fx.home).pid, killedPid, "precondition: SIGKILL left the lock behind");
    assert.equal(isAlive(killedPid), false, "precondition: its holder is gone");
    const next = await serve(fx.home);
    try {
      assert.equal(lock(fx.home).pid, next.run.child.pid);
      assert.equal(lock(fx.home).port, next.port);
    } finally {
      assert.equal(await next.run.stop("SIGTERM"), 0);
    }

    writeFileSync(serverLockFile(fx.home), JSON.stringify({ pid: NEVER_A_PID, host: "127.0.0.1", port: 1, url: "http://127.0.0.1:1", started_at: "2020-01-01T00:00:00.000Z" }));
    const third = await serve(fx.home);
    try {
      assert.equal(lock(fx.home).pid, third.run.child.pid);
    } finally {
      assert.equal(await third.run.stop("SIGTERM"), 0);
    }
  });

  it("status, doctor and tunnel find the running server through the lock, not the config's port", async () => {
    const fx = makeHome();
    const running = await serve(fx.home);
    try {
      assert.notEqual(running.port, fx.config.server.port, "precondition: the server is not on the configured port");
      const status = JSON.parse((await runCliAsync(["status", "--json"], fx.home)).stdout) as { server: { port: number; running: { pid: number; url: string } | null } };
      assert.deepEqual(status.server.running, { pid: running.run.child.pid, url: running.url });
      assert.equal(status.server.port, fx.config.server.port);
      const text = await runCliAsync(["status"], fx.home);
      assert.ok(text.stdout.includes(`${running.url} (running, pid ${running.run.child.pid})`), text.stdout);

      const doctor = JSON.parse((await runCliAsync(["doctor", "--json"], fx.home)).stdout) as { checks: { name: string; level: string; detail: string }[] };
      const port = doctor.checks.find((c) => c.name === "server port")!;
      assert.equal(port.level, "ok", JSON.stringify(port));
      assert.ok(port.detail.includes(running.url) && port.detail.includes(String(running.run.child.pid)), port.detail);

      const fake = fakeCloudflared();
      const tunnel = runLong(["tunnel"], fx.home, { ...PLAIN_ENGLISH, ...fake.env });
      try {
        const [state] = await waitFor(() => (fake.states().length > 0 ? fake.states() : undefined), "the tunnel to start");
        assert.equal(state!.args[state!.args.indexOf("--url") + 1], running.url, "the tunnel points at the running server");
        assert.doesNotMatch(tunnel.stderr(), /no chatgpt-codex server/);
      } finally {
        await tunnel.stop("SIGINT");
      }
    } finally {
      assert.equal(await running.run.stop("SIGTERM"), 0);
    }
    const after = JSON.parse((await runCliAsync(["status", "--json"], fx.home)).stdout) as { server: { running: unknown } };
    assert.equal(after.server.running, null, "stopped: no running server");
  });
});
