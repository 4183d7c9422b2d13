/**
 * `serve` starts the dashboard on its own port and prints a one-time login
 * link; `dashboard` (another process) makes links the running server accepts,
 * opens the browser through the platform opener or prints the link, and says
 * clearly when no server is running.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, chmodSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { serverStateFile, writeServerState } from "../../src/dashboard/tickets.js";
import { makeHome, runCliAsync, tempDir } from "../helpers.js";
import { runLong } from "../tunnel-helpers.js";
import { raw } from "./helpers.js";

async function loginStatus(url: string): Promise<number> {
  const parsed = new URL(url);
  return (await raw(Number(parsed.port), "GET", `${parsed.pathname}${parsed.search}`)).status;
}

describe("dashboard CLI", () => {
  it("says clearly when no server is running (no state file, or a stale one)", async () => {
    const { home } = makeHome();
    for (const prepare of [
      () => undefined,
      () => writeServerState(home, { pid: 2 ** 22 + 12345, url: "http://127.0.0.1:9", started_at: new Date().toISOString() }),
      () => writeServerState(home, { pid: process.pid, url: "http://127.0.0.1:9", started_at: new Date().toISOString() }),
    ]) {
      prepare();
      const result = await runCliAsync(["dashboard", "--print-url"], home);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /no running chatgpt-codex server/);
      assert.equal(result.stdout, "");
    }
    assert.equal((await runCliAsync(["--lang", "fr", "dashboard"], home)).code, 2);
    assert.equal((await runCliAsync(["serve", "--dashboard-port", "x"], home)).code, 2);
  });

  it("serve prints a working one-time link; dashboard --print-url and dashboard make more; stopping removes the record", async () => {
    const { home } = makeHome();
    const run = runLong(["serve", "--port", "0", "--dashboard-port", "0"], home);
    try {
      const [, base, link] = (await run.waitForOutput(/Dashboard: (http:\/\/127\.0\.0\.1:\d+) — one-time login link \(this computer only\): (\S+)/)) as RegExpMatchArray;
      const apiPort = /Port: (\d+)/.exec(run.stdout())![1];
      assert.notEqual(new URL(base!).port, apiPort, "never the Actions (tunnel) port");
      assert.equal(await loginStatus(link!), 303);
      assert.equal(await loginStatus(link!), 401, "one-time");
      assert.equal(JSON.parse(readFileSync(serverStateFile(home), "utf8")).url, base);

      const printed = await runCliAsync(["dashboard", "--print-url"], home);
      assert.equal(printed.code, 0, printed.stderr);
      const lines = printed.stdout.trim().split("\n");
      assert.equal(lines.length, 1, "only the URL");
      assert.ok(lines[0]!.startsWith(`${base}/login?ticket=`));
      assert.equal(await loginStatus(lines[0]!), 303, "a link made by another process works");

      const zh = await runCliAsync(["dashboard", "--print-url", "--lang", "zh"], home);
      assert.match(zh.stdout, /&lang=zh$/m);

      // No opener on PATH: the link is printed instead.
      const fallback = await runCliAsync(["dashboard"], home, { PATH: "/nonexistent", CHATGPT_CODEX_BROWSER: "" });
      assert.equal(fallback.code, 0, fallback.stderr);
      assert.match(fallback.stdout, /Could not open a browser/);
      const shown = /(http:\/\/127\.0\.0\.1:\d+\/login\?ticket=\S+)/.exec(fallback.stdout)![1]!;
      assert.equal(await loginStatus(shown), 303);

      // An opener that records what it was asked to open.
      const dir = tempDir();
      const opener = join(dir, "opener.sh");
      writeFileSync(opener, `#!/bin/sh\nprintf '%s' "$1" > '${join(dir, "opened.txt")}'\n`);
      chmodSync(opener, 0o755);
      const opened = await runCliAsync(["dashboard"], home, { CHATGPT_CODEX_BROWSER: opener });
      assert.equal(opened.code, 0, opened.stderr);
      assert.match(opened.stdout, /Opened the dashboard/);
      assert.doesNotMatch(opened.stdout, /ticket=/, "the link is not printed when the browser opened it");
      assert.equal(await loginStatus(readFileSync(join(dir, "opened.txt"), "utf8")), 303);

      assert.equal(await run.stop("SIGINT"), 0);
      assert.equal(existsSync(serverStateFile(home)), false);
      const after = await runCliAsync(["dashboard", "--print-url"], home);
      assert.equal(after.code, 1);
    } finally {
      await run.stop("SIGKILL");
    }
  });

  it("a dashboard port that is taken is a warning; the Actions server still runs", async () => {
    const { home } = makeHome();
    const first = runLong(["serve", "--port", "0", "--dashboard-port", "0"], home);
    try {
      const [, base] = (await first.waitForOutput(/Dashboard: (http:\/\/127\.0\.0\.1:\d+)/)) as RegExpMatchArray;
      const port = new URL(base!).port;
      const second = runLong(["serve", "--port", "0", "--dashboard-port", port], makeHome().home);
      try {
        await second.waitForOutput(/Dashboard: not started \(port \d+ is in use/);
        assert.match(second.stdout(), /listening on http:\/\/127\.0\.0\.1:\d+/);
      } finally {
        await second.stop("SIGKILL");
      }
    } finally {
      await first.stop("SIGKILL");
    }
  });
});
