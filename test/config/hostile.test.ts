/**
 * Fail closed while the config file is broken (real server on loopback, real files): an
 * owner who takes access away by hand and breaks the file in the same edit, or deletes
 * it, must not leave the old token (or a connector grant) working. Each case first shows
 * the token opens the server, then that the broken edit closes it, then that only a file
 * that loads again decides.
 */
import assert from "node:assert/strict";
import { mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { generateToken } from "../../src/access/token.js";
import type { Config } from "../../src/config/schema.js";
import { saveConfig } from "../../src/config/store.js";
import { getPath, makeHome, postJson, startServer, type TestServer } from "../helpers.js";
import { mcpCall, obtainTokens, startOAuthServer } from "../oauth/helpers.js";
import { broken, readText, savedText, writeBroken } from "./helpers.js";

async function opens(s: TestServer, token = s.token): Promise<void> {
  const reply = await postJson(s.url, "read_file", { path: "notes.txt" }, { token });
  assert.equal(reply.status, 200, `precondition: the token opens the server: ${reply.text}`);
}

/** The old token is refused as paused (403 ACCESS_EXPIRED, state suspended), never 200 and never 500. */
async function paused(s: TestServer, token = s.token): Promise<void> {
  for (const action of ["read_file", "workspace_status", "exec_command"]) {
    const reply = await postJson(s.url, action, action === "read_file" ? { path: "notes.txt" } : action === "exec_command" ? { command: "true" } : {}, { token });
    assert.equal(reply.status, 403, `${action}: ${reply.text}`);
    assert.equal(reply.json.error.code, "ACCESS_EXPIRED");
    assert.match(reply.json.error.message, /^access is suspended: /);
    assert.ok(!reply.text.includes(s.home), "no path in the answer");
  }
  const health = await getPath(s.url, "/health");
  assert.equal(health.json.access.active, false);
  assert.ok(!health.text.includes(s.home), "no path on /health");
}

async function served(): Promise<TestServer> {
  const s = await startServer(makeHome());
  writeFileSync(join(s.workspace, "notes.txt"), "secret\n");
  return s;
}

describe("a broken config file fails closed where access may have been taken away", () => {
  it("a revoke written by hand into a file that also lost a comma: the old token is paused, then the fixed file's revoke holds", async () => {
    const s = await served();
    try {
      await opens(s);
      const revoked = structuredClone(s.config);
      revoked.access.revoked_at = new Date().toISOString();
      writeBroken(s.home, broken(savedText(revoked)));
      await paused(s);
      // The owner fixes the comma: the revoke they meant now holds as a revoke.
      saveConfig(s.home, revoked);
      const after = await s.post("read_file", { path: "notes.txt" });
      assert.equal(after.status, 403, after.text);
      assert.match(after.json.error.message, /^access is revoked/);
    } finally {
      await s.close();
    }
  });

  it("a token replaced by hand in a broken file: the old token is paused and the new one is not accepted either", async () => {
    const s = await served();
    try {
      await opens(s);
      const rotated = structuredClone(s.config);
      rotated.token = generateToken();
      writeBroken(s.home, broken(savedText(rotated)));
      await paused(s);
      const fresh = await postJson(s.url, "read_file", { path: "notes.txt" }, { token: rotated.token });
      assert.equal(fresh.status, 401, fresh.text);
      saveConfig(s.home, rotated);
      await opens(s, rotated.token);
      assert.equal((await postJson(s.url, "read_file", { path: "notes.txt" }, { token: s.token })).status, 401, "the old token is gone for good");
    } finally {
      await s.close();
    }
  });

  it("a second token line added below the old one (the old token is still in the file): paused", async () => {
    const s = await served();
    try {
      await opens(s);
      const text = savedText(s.config).replace(`"token": "${s.token}",`, `"token": "${s.token}",\n  "token": "${generateToken()}",`);
      assert.ok(text.includes(s.token));
      writeBroken(s.home, broken(text));
      await paused(s);
    } finally {
      await s.close();
    }
  });

  it("an expiry moved into the past, and a workspace removed, in broken files: paused", async () => {
    const s = await served();
    try {
      await opens(s);
      const expired = structuredClone(s.config);
      expired.access.expires_at = new Date(Date.now() - 60_000).toISOString();
      writeBroken(s.home, broken(savedText(expired)));
      await paused(s);
      saveConfig(s.home, s.config);
      await opens(s);
      const removed = structuredClone(s.config);
      removed.workspaces = [];
      writeBroken(s.home, broken(savedText(removed)));
      await paused(s);
    } finally {
      await s.close();
    }
  });

  it("the file deleted, moved away, or replaced by a folder: paused until a file loads again", async () => {
    const s = await served();
    const file = join(s.home, "config.json");
    try {
      await opens(s);
      const text = readText(s.home);
      unlinkSync(file);
      await paused(s);
      writeFileSync(file, text);
      await opens(s);
      renameSync(file, `${file}.bak`);
      await paused(s);
      renameSync(`${file}.bak`, file);
      await opens(s);
      rmSync(file);
      mkdirSync(file);
      await paused(s);
      rmSync(file, { recursive: true });
      writeFileSync(file, text);
      await opens(s);
    } finally {
      await s.close();
    }
  });

  it("a broken edit never reopens access: a renew written by hand into a broken file leaves the revoked server closed", async () => {
    const s = await served();
    try {
      await opens(s);
      const revoked: Config = structuredClone(s.config);
      revoked.access.revoked_at = new Date().toISOString();
      saveConfig(s.home, revoked);
      const closed = await s.post("read_file", { path: "notes.txt" });
      assert.equal(closed.status, 403, "precondition: revoked");
      writeBroken(s.home, broken(savedText(s.config)));
      const still = await s.post("read_file", { path: "notes.txt" });
      assert.equal(still.status, 403, still.text);
      assert.equal(still.json.error.code, "ACCESS_EXPIRED");
    } finally {
      await s.close();
    }
  });

  it("a connector grant on /mcp is paused too, by a broken revoke", async () => {
    const s = await startOAuthServer();
    try {
      const tokens = await obtainTokens(s);
      const before = await mcpCall(s.url, tokens.access, "tools/list");
      assert.equal(before.status, 200, `precondition: the grant opens /mcp: ${before.text}`);
      const config = JSON.parse(readText(s.home)) as Config;
      config.access.revoked_at = new Date().toISOString();
      writeBroken(s.home, broken(savedText(config)));
      const after = await mcpCall(s.url, tokens.access, "tools/list");
      assert.equal(after.status, 403, after.text);
      assert.equal(after.json.error.code, "ACCESS_EXPIRED");
    } finally {
      await s.close();
    }
  });

  it("an edit that cannot narrow access keeps serving: the same server, the same token, 200", async () => {
    const s = await served();
    try {
      await opens(s);
      writeBroken(s.home, broken(savedText(s.config)));
      await opens(s);
      const status = await s.post("workspace_status");
      assert.equal(status.json.access.active, true);
    } finally {
      await s.close();
    }
  });
});
