/**
 * The supervisor with the cloudflared SIMULATION, in this process: URL from the
 * log, URL from /quicktunnel only, restart after a crash, the first-run
 * timeout, named tunnels, and that no child outlives stop().
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { startCloudflared } from "../src/tunnel/cloudflared.js";
import type { TunnelHandle, TunnelLog } from "../src/tunnel/types.js";
import { tempDir, waitFor } from "./helpers.js";
import { fakeCloudflared, isAlive, type FakeCloudflared } from "./tunnel-helpers.js";

function collectingLog(): TunnelLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) };
}

/**
 * A stand-in whose mode and state folder reach every process the supervisor
 * starts, restarts included: they inherit this process's environment.
 */
function useFake(mode?: string): FakeCloudflared {
  const fake = fakeCloudflared();
  if (mode) process.env.FAKE_CLOUDFLARED_MODE = mode;
  else delete process.env.FAKE_CLOUDFLARED_MODE;
  process.env.FAKE_CLOUDFLARED_STATE_DIR = fake.stateDir;
  return fake;
}

after(() => {
  delete process.env.FAKE_CLOUDFLARED_MODE;
  delete process.env.FAKE_CLOUDFLARED_STATE_DIR;
});

const handles: TunnelHandle[] = [];
after(async () => {
  for (const handle of handles) await handle.stop();
});

describe("cloudflared supervisor (with the SIMULATION)", () => {
  it("takes the URL from the log, restarts after a crash with a new URL, and stops the child", async () => {
    const fake = useFake();
    const urls: string[] = [];
    const log = collectingLog();
    const handle = await startCloudflared({ binary: fake.bin, target: "http://127.0.0.1:9", urlTimeoutMs: 15_000, log, onUrl: (url) => void urls.push(url) });
    handles.push(handle);
    assert.match(handle.url, /^https:\/\/[a-z0-9-]+\.trycloudflare\.com$/);
    assert.equal(handle.stable, false);
    const [first] = fake.states();
    assert.ok(first, "the stand-in started");
    assert.equal(first.pid, handle.pid());
    assert.equal(`https://${first.hostname}`, handle.url);
    assert.ok(first.args.includes("--no-autoupdate"), "never lets cloudflared update itself (exit 11)");
    assert.equal(first.args[first.args.indexOf("--url") + 1], "http://127.0.0.1:9");
    assert.match(first.args[first.args.indexOf("--metrics") + 1]!, /^127\.0\.0\.1:\d+$/);

    process.kill(first.pid, "SIGKILL");
    await waitFor(() => urls.length >= 2, "a restart with a new URL");
    assert.notEqual(urls[1], urls[0], "a restarted quick tunnel has a new URL");
    const second = fake.states().at(-1)!;
    assert.notEqual(second.pid, first.pid);
    assert.ok(log.lines.some((line) => /restarting in/.test(line)), log.lines.join("\n"));

    await handle.stop();
    assert.equal(isAlive(second.pid), false, "stop() leaves no child behind");
    assert.equal(isAlive(first.pid), false);
  });

  it("falls back to /quicktunnel on the metrics server when the log has no URL", async () => {
    const fake = useFake("quiet-url");
    const handle = await startCloudflared({ binary: fake.bin, target: "http://127.0.0.1:9", urlTimeoutMs: 15_000, log: collectingLog(), onUrl: () => undefined });
    handles.push(handle);
    assert.equal(handle.url, `https://${fake.states()[0]!.hostname}`);
    await handle.stop();
  });

  it("fails the first run with a clear timeout error when no URL ever appears, and kills the child", async () => {
    const fake = useFake("never-url");
    await assert.rejects(
      startCloudflared({ binary: fake.bin, target: "http://127.0.0.1:9", urlTimeoutMs: 1_500, log: collectingLog(), onUrl: () => undefined }),
      (error: Error) => {
        assert.match(error.message, /cloudflared printed no tunnel URL within 2 s/);
        assert.match(error.message, /Last output:[\s\S]*Requesting new quick Tunnel/);
        assert.match(error.message, /What to do:/);
        return true;
      },
    );
    const [state] = fake.states();
    assert.ok(state);
    await waitFor(() => !isAlive(state.pid), "the stand-in to be gone");
  });

  it("fails the first run with cloudflared's own error when it exits at once", async () => {
    const fake = useFake("fail");
    await assert.rejects(
      startCloudflared({ binary: fake.bin, target: "http://127.0.0.1:9", urlTimeoutMs: 15_000, log: collectingLog(), onUrl: () => undefined }),
      /cloudflared exited with code 1[\s\S]*failed to request quick Tunnel/,
    );
  });

  it("runs a named tunnel with the token in the environment (never in argv) and its fixed hostname", async () => {
    const fake = useFake();
    const tokenFile = join(tempDir(), "tunnel-token");
    const token = "eyJTHISISASECRETNAMEDTUNNELTOKEN";
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const handle = await startCloudflared({
      binary: fake.bin,
      target: "http://127.0.0.1:9",
      urlTimeoutMs: 15_000,
      log: collectingLog(),
      onUrl: () => undefined,
      named: { hostname: "codex.example.com", tokenFile },
    });
    handles.push(handle);
    assert.equal(handle.url, "https://codex.example.com");
    assert.equal(handle.stable, true);
    const [state] = fake.states();
    assert.equal(state!.token_in_env, true);
    assert.ok(state!.args.includes("run"));
    assert.ok(!state!.args.some((arg) => arg.includes(token)), "the token is not on the command line");
    await handle.stop();
    assert.equal(isAlive(state!.pid), false);
  });
});
