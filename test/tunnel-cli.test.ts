/**
 * `chatgpt-codex tunnel` as a real process, with the cloudflared SIMULATION
 * in front of a real server: the URL is stored and served, verify passes
 * through the stand-in's proxy, a crash gives a new URL, nothing is left behind.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { updateConfig } from "../src/config/store.js";
import { getPath, makeHome, runCliAsync, startServer, tempDir, waitFor } from "./helpers.js";
import { fakeCloudflared, isAlive, readConfig, runLong } from "./tunnel-helpers.js";

describe("tunnel (cloudflared quick tunnel, SIMULATION)", () => {
  it("stores the URL, /openapi.json names it, verify passes through the proxy, a crash gives a new URL, Ctrl-C leaves nothing behind", async () => {
    const s = await startServer();
    const fake = fakeCloudflared();
    const run = runLong(["tunnel", "--port", String(s.server.port)], s.home, fake.env);
    try {
      const first = (await run.waitForOutput(/schema for GPT Builder: (https:\S+)\/openapi\.json/))[1]!;
      assert.match(first, /^https:\/\/[a-z0-9-]+\.trycloudflare\.com$/);
      assert.equal(readConfig(s.home).public_base_url, first, "stored in the config");
      assert.equal((await getPath(s.url, "/openapi.json")).json.servers[0].url, first, "the running server follows at once");
      assert.match(run.stdout(), /THE PUBLIC URL CHANGED — re-import/, "the fixture's earlier URL was replaced: loud notice");

      const [state] = fake.states();
      const verify = await runCliAsync(["verify", "--base-url", state!.proxy], s.home);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      assert.match(verify.stdout, /loopback http accepted/);
      assert.match(verify.stdout, /OK\s+POST with token/);
      assert.match(verify.stdout, /servers\[0\]\.url is the configured public URL/);
      assert.ok(!verify.stdout.includes(s.token) && !verify.stderr.includes(s.token), "verify never prints the token");

      process.kill(state!.pid, "SIGKILL");
      const second = await waitFor(() => {
        const url = readConfig(s.home).public_base_url;
        return url !== first ? url : undefined;
      }, "a new URL after the crash");
      assert.match(second!, /^https:\/\/[a-z0-9-]+\.trycloudflare\.com$/);
      assert.equal((await getPath(s.url, "/openapi.json")).json.servers[0].url, second);
      await run.waitForOutput(new RegExp(`new URL: ${second!.replace(/\./g, "\\.")}`));
      assert.match(run.stderr(), /restarting in/);

      assert.equal(await run.stop("SIGINT"), 0);
      for (const { pid } of fake.states()) assert.equal(isAlive(pid), false, `stand-in ${pid} is gone`);
      assert.ok(!run.stdout().includes(s.token) && !run.stderr().includes(s.token), "tunnel never prints the token");
    } finally {
      await run.stop("SIGKILL");
      await s.close();
    }
  });

  it("stops the stand-in when the terminal closes (SIGHUP)", async () => {
    const s = await startServer();
    const fake = fakeCloudflared();
    const run = runLong(["tunnel", "--port", String(s.server.port)], s.home, fake.env);
    try {
      await run.waitForOutput(/schema for GPT Builder/);
      const [state] = fake.states();
      assert.equal(isAlive(state!.pid), true);
      await run.stop("SIGHUP");
      await waitFor(() => !isAlive(state!.pid), "the stand-in to be gone after SIGHUP");
    } finally {
      await run.stop("SIGKILL");
      await s.close();
    }
  });

  it("fails with a clear timeout error when cloudflared never prints a URL, and kills it", async () => {
    const fixture = makeHome();
    const fake = fakeCloudflared("never-url");
    const result = await runCliAsync(["tunnel", "--port", "9"], fixture.home, { ...fake.env, CHATGPT_CODEX_TUNNEL_TIMEOUT: "2" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cloudflared printed no tunnel URL within 2 s/);
    assert.match(result.stderr, /What to do:/);
    const [state] = fake.states();
    assert.ok(state, "the stand-in was started");
    await waitFor(() => !isAlive(state.pid), "the stand-in to be gone");
    assert.equal(readConfig(fixture.home).public_base_url, fixture.config.public_base_url, "the stored URL is untouched");
  });

  it("says exactly how to install cloudflared when it is missing", async () => {
    const fixture = makeHome();
    const result = await runCliAsync(["tunnel", "--port", "9"], fixture.home, { CHATGPT_CODEX_CLOUDFLARED: "", PATH: tempDir() });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cloudflared was not found on PATH/);
    assert.match(result.stderr, /Install cloudflared/);
    assert.match(result.stderr, /CHATGPT_CODEX_CLOUDFLARED=/);
  });

  it("custom starts nothing: it needs a public URL, then reports it", async () => {
    const fixture = makeHome({ change: (c) => (c.public_base_url = null) });
    const missing = await runCliAsync(["tunnel", "--provider", "custom"], fixture.home);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /set-public-url https:\/\//);
    updateConfig(fixture.home, (c) => (c.public_base_url = "https://codex.example.com"));
    const ok = await runCliAsync(["tunnel", "--provider", "custom"], fixture.home);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Custom route: https:\/\/codex\.example\.com/);
  });

  it("named tunnel: stores https://<hostname>, passes the token only through the environment, never prints it", async () => {
    const s = await startServer();
    const fake = fakeCloudflared();
    const tokenFile = join(tempDir(), "named.token");
    const tunnelToken = "eyJNAMEDTUNNELSECRETVALUE0123456789";
    writeFileSync(tokenFile, tunnelToken, { mode: 0o600 });
    const env = { ...fake.env, FAKE_CLOUDFLARED_UPSTREAM: s.url };
    const run = runLong(["tunnel", "--port", String(s.server.port), "--hostname", "codex.example.com", "--cloudflared-token-file", tokenFile], s.home, env);
    try {
      await run.waitForOutput(/schema for GPT Builder: https:\/\/codex\.example\.com\/openapi\.json/);
      assert.equal(readConfig(s.home).public_base_url, "https://codex.example.com");
      assert.match(run.stdout(), /cloudflared named tunnel/);
      assert.match(run.stdout(), /must point to the service http:\/\/127\.0\.0\.1:\d+/);
      assert.doesNotMatch(run.stdout(), /Quick-tunnel URLs change/, "a named tunnel is a stable route");
      const [state] = fake.states();
      assert.equal(state!.token_in_env, true);
      assert.ok(!state!.args.join(" ").includes(tunnelToken), "not on the command line");
      assert.ok(!run.stdout().includes(tunnelToken) && !run.stderr().includes(tunnelToken), "never printed");
      assert.equal(await run.stop("SIGINT"), 0);
      assert.equal(isAlive(state!.pid), false);
    } finally {
      await run.stop("SIGKILL");
      await s.close();
    }
  });

  it("named tunnel needs a hostname; ngrok needs NGROK_AUTHTOKEN — both say so", async () => {
    const fixture = makeHome();
    const fake = fakeCloudflared();
    const noHost = await runCliAsync(["tunnel", "--port", "9", "--cloudflared-token-file", "/nonexistent"], fixture.home, fake.env);
    assert.equal(noHost.code, 1);
    assert.match(noHost.stderr, /needs the public hostname you routed to it: --hostname/);
    const ngrok = await runCliAsync(["tunnel", "--provider", "ngrok", "--port", "9"], fixture.home, { NGROK_AUTHTOKEN: "" });
    assert.equal(ngrok.code, 1);
    assert.match(ngrok.stderr, /NGROK_AUTHTOKEN/);
    assert.match(ngrok.stderr, /dashboard\.ngrok\.com/);
  });

  it("refuses an unknown provider as a usage error", async () => {
    const result = await runCliAsync(["tunnel", "--provider", "carrier-pigeon"], makeHome().home);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--provider must be cloudflared, ngrok or custom/);
  });
});
