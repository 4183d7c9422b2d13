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

it("write_file and apply_patch refuse to write inside .git (also through a symlink); reading stays allowed", async () => {
  const fixture = makeHome();
  const ws = fixture.workspace;
  execFileSync("git", ["init", "-q", "-b", "main", ws]);
  const { symlinkSync, readFileSync } = await import("node:fs");
  symlinkSync(join(ws, ".git"), join(ws, "innocent"));
  const configBefore = readFileSync(join(ws, ".git", "config"), "utf8");
  const s = await startServer(fixture);
  try {
    for (const path of [".git/config", ".git/hooks/pre-commit", "sub/../.git/hooks/post-checkout", "innocent/config", "innocent/hooks/pre-commit"]) {
      const write = await s.post("write_file", { path, content: "#!/bin/sh\necho pwned\n" });
      assert.equal(write.status, 403, `write_file ${path}`);
      assert.equal(write.json.error.code, "OUTSIDE_WORKSPACE");
      const patch = await s.post("apply_patch", { patch: `*** Begin Patch\n*** Add File: ${path}\n+pwned\n*** End Patch\n` });
      assert.equal(patch.status, 403, `apply_patch ${path}`);
    }
    const update = await s.post("apply_patch", { patch: "*** Begin Patch\n*** Update File: .git/config\n@@\n+[alias]\n*** End Patch\n" });
    assert.equal(update.status, 403);
    assert.equal(readFileSync(join(ws, ".git", "config"), "utf8"), configBefore);
    assert.equal(existsSync(join(ws, ".git", "hooks", "pre-commit")), false);
    const read = await s.post("read_file", { path: ".git/HEAD" });
    assert.equal(read.status, 200);
    assert.equal((await s.post("write_file", { path: ".gitignore", content: "dist/\n" })).status, 200, ".gitignore is an ordinary file");
  } finally {
    await s.close();
  }
});
