import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { makeHome, startServer, tempDir } from "./helpers.js";

it("read-only git actions never start a program named in the repository's config (fsmonitor, diff drivers, textconv)", async () => {
  const outside = tempDir("cgc-canary-");
  const canary = join(outside, "ran");
  const fixture = makeHome();
  const ws = fixture.workspace;
  const script = join(outside, "hook.sh");
  writeFileSync(script, `#!/bin/sh\necho ran >> '${canary}'\n`);
  chmodSync(script, 0o755);
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: ws });
  git("init", "-q", "-b", "main");
  writeFileSync(join(ws, "a.txt"), "one\n");
  writeFileSync(join(ws, ".gitattributes"), "*.txt diff=evil\n");
  git("add", ".");
  git("commit", "-q", "-m", "init");
  // What a hostile write to .git/config could plant.
  git("config", "core.fsmonitor", script);
  git("config", "diff.evil.command", script);
  git("config", "diff.evil.textconv", script);
  writeFileSync(join(ws, "a.txt"), "two\n");

  const s = await startServer(fixture);
  try {
    assert.equal((await s.post("workspace_status")).status, 200);
    assert.equal((await s.post("git_status")).status, 200);
    const diff = await s.post("git_diff", {});
    assert.equal(diff.status, 200);
    assert.match(diff.json.diff, /-one\n\+two/);
  } finally {
    await s.close();
  }
  assert.equal(existsSync(canary), false, "a program from the repository's config was started");
});
