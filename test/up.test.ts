/**
 * `chatgpt-codex up` end to end: register, serve, open the route (cloudflared
 * SIMULATION, none, custom), print the GPT Builder fields, stop cleanly.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { getPath, postJson, runCli, runCliAsync, tempDir } from "./helpers.js";
import { fakeCloudflared, isAlive, readConfig, runLong } from "./tunnel-helpers.js";

function freshSetup(): { home: string; ws: string } {
  const root = tempDir();
  const ws = join(root, "project");
  mkdirSync(ws);
  return { home: join(root, "home"), ws };
}

/** No cloudflared anywhere: no override and a PATH without it (node is run by absolute path). */
const NO_CLOUDFLARED = { CHATGPT_CODEX_CLOUDFLARED: "", PATH: "/nonexistent" };

describe("up", () => {
  it("with cloudflared found (SIMULATION): serves, opens the quick tunnel, prints the builder fields with the public URL and the token once", async () => {
    const { home, ws } = freshSetup();
    const fake = fakeCloudflared();
    const run = runLong(["up", "--workspace", ws, "--port", "0", "--ttl-minutes", "30"], home, fake.env);
    try {
      await run.waitForOutput(/Check the route/);
      const out = run.stdout();
      const token = readConfig(home).token;
      const publicUrl = readConfig(home).public_base_url!;
      assert.match(publicUrl, /^https:\/\/[a-z0-9-]+\.trycloudflare\.com$/);
      assert.match(out, /Route: cloudflared \(cloudflared was found\)/);
      assert.ok(out.includes(`Import from URL (schema): ${publicUrl}/openapi.json`), out);
      assert.ok(out.includes(`Privacy policy URL:       ${publicUrl}/privacy`), out);
      assert.match(out, /API Key, Auth Type: Bearer/);
      assert.match(out, /gpt-instructions/);
      assert.equal(out.split(token).length - 1, 1, "the token is printed exactly once");
      assert.doesNotMatch(out, /THE PUBLIC URL CHANGED/, "a first URL needs no re-import notice");

      const port = /Port: (\d+)/.exec(out)![1];
      const local = `http://127.0.0.1:${port}`;
      assert.equal((await getPath(local, "/openapi.json")).json.servers[0].url, publicUrl);
      const health = await getPath(local, "/health");
      assert.ok(health.json.access.expires_at, "--ttl-minutes passes through");

      const [state] = fake.states();
      assert.equal(state!.args[state!.args.indexOf("--url") + 1], local, "the tunnel points at the server's actual port");
      const viaProxy = await postJson(state!.proxy, "workspace_status", {}, { token });
      assert.equal(viaProxy.status, 200);
      assert.equal(viaProxy.json.active_workspace, "project");

      assert.equal(await run.stop("SIGINT"), 0);
      assert.equal(isAlive(state!.pid), false, "Ctrl-C stops cloudflared too");
    } finally {
      await run.stop("SIGKILL");
    }
  });

  it("--tunnel none: serves locally, starts no tunnel, and says how to get a public URL", async () => {
    const { home, ws } = freshSetup();
    const fake = fakeCloudflared();
    const run = runLong(["up", "--workspace", ws, "--port", "0", "--tunnel", "none"], home, fake.env);
    try {
      await run.waitForOutput(/Check the route/);
      assert.match(run.stdout(), /No public route started \(--tunnel\)/);
      assert.match(run.stdout(), /set-public-url/);
      assert.deepEqual(fake.states(), [], "no tunnel process was started");
      assert.equal(readConfig(home).public_base_url, null);
      const port = /Port: (\d+)/.exec(run.stdout())![1];
      const status = await postJson(`http://127.0.0.1:${port}`, "workspace_status", {}, { token: readConfig(home).token });
      assert.equal(status.status, 200);
      assert.equal(await run.stop("SIGTERM"), 0);
    } finally {
      await run.stop("SIGKILL");
    }
  });

  it("--json: one JSON document once serving (no token, no human lines), and the server answers", async () => {
    const { home, ws } = freshSetup();
    const run = runLong(["up", "--workspace", ws, "--port", "0", "--dashboard-port", "0", "--tunnel", "none", "--json"], home, fakeCloudflared().env);
    try {
      await run.waitForOutput(/\n\}\s*$/);
      const out = run.stdout();
      const doc = JSON.parse(out) as { ok: boolean; port: number; route: string; builder_fields: { schema_import_url: string }; connector_fields: { authentication: string }; token_command: string };
      assert.equal(doc.ok, true);
      assert.equal(doc.route, "none");
      assert.match(doc.builder_fields.schema_import_url, /\/openapi\.json$/);
      assert.equal(doc.connector_fields.authentication, "OAuth");
      assert.match(doc.token_command, /token$/);
      const token = readConfig(home).token;
      assert.ok(!out.includes(token), "the token is not in the JSON");
      assert.doesNotMatch(out, /listening on|GPT Builder →/, "no human lines mixed in");
      const status = await postJson(`http://127.0.0.1:${doc.port}`, "workspace_status", {}, { token });
      assert.equal(status.status, 200);
      assert.equal(await run.stop("SIGTERM"), 0);
    } finally {
      await run.stop("SIGKILL");
    }
  });

  it("without --tunnel and without cloudflared: falls back to none with install instructions", async () => {
    const { home, ws } = freshSetup();
    const run = runLong(["up", "--workspace", ws, "--port", "0"], home, NO_CLOUDFLARED);
    try {
      await run.waitForOutput(/Check the route/);
      assert.match(run.stdout(), /No public route started \(cloudflared was not found\)/);
      assert.match(run.stdout(), /Install cloudflared/);
      assert.equal(await run.stop("SIGINT"), 0);
    } finally {
      await run.stop("SIGKILL");
    }
  });

  it("--tunnel cloudflared without cloudflared fails before serving, with the install hint", async () => {
    const { home, ws } = freshSetup();
    const result = await runCliAsync(["up", "--workspace", ws, "--port", "0", "--tunnel", "cloudflared"], home, NO_CLOUDFLARED);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Install cloudflared/);
    assert.doesNotMatch(result.stdout, /listening on/);
  });

  it("--tunnel ngrok without NGROK_AUTHTOKEN fails before serving and says where to get it", async () => {
    const { home, ws } = freshSetup();
    const result = await runCliAsync(["up", "--workspace", ws, "--port", "0", "--tunnel", "ngrok"], home, { NGROK_AUTHTOKEN: "" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /NGROK_AUTHTOKEN/);
    assert.doesNotMatch(result.stdout, /listening on/);
  });

  it("keeps the user's own route by default (custom), and --tunnel custom needs a URL", async () => {
    const { home, ws } = freshSetup();
    const noUrl = await runCliAsync(["up", "--workspace", ws, "--port", "0", "--tunnel", "custom"], home);
    assert.equal(noUrl.code, 1);
    assert.match(noUrl.stderr, /set-public-url https:\/\//);

    assert.equal(runCli(["set-public-url", "https://codex.example.com"], home).code, 0);
    const fake = fakeCloudflared();
    const run = runLong(["up", "--port", "0"], home, fake.env);
    try {
      await run.waitForOutput(/Check the route/);
      assert.match(run.stdout(), /Route: custom \(your own route https:\/\/codex\.example\.com is set/);
      assert.match(run.stdout(), /Import from URL \(schema\): https:\/\/codex\.example\.com\/openapi\.json/);
      assert.deepEqual(fake.states(), [], "cloudflared was not started over the user's own route");
      assert.equal(readConfig(home).public_base_url, "https://codex.example.com");
      assert.equal(await run.stop("SIGINT"), 0);
    } finally {
      await run.stop("SIGKILL");
    }
  });

  it("refuses an unknown --tunnel as a usage error", async () => {
    const { home, ws } = freshSetup();
    const result = await runCliAsync(["up", "--workspace", ws, "--tunnel", "carrier-pigeon"], home);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--tunnel must be cloudflared, ngrok, custom or none/);
  });
});
