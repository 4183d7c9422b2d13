import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { isDotGitName } from "../../src/workspace/gitInternals.js";
import { makeHome, startServer } from "../helpers.js";
import { setupGit } from "./helpers.js";

const REFUSED = [
  ".GIT/config",
  ".Git/hooks/x",
  ".gIt/HEAD",
  "sub/.GIT/config",
  "a/b/.Git/hooks/pre-commit",
  ".git./config",
  ".git../config",
  ".git /config",
  ".git. ./hooks/x",
  ".g\u200cit/config",
  ".\u200dGIT/config",
  "\ufeff.git/config",
  "GIT~1/config",
  "git~1/hooks/x",
  "x/../.GIT/config",
  "case-link/config",
  "case-link/hooks/post-checkout",
  "meta/config",
  "meta/hooks/pre-commit",
  "meta-link/config",
];

const ALLOWED = [".github/workflows/ci.yml", ".gitignore", ".gitattributes", ".gitmodules", "my.git/x", ".git-backup/x", "gitx/config", ".gi/t", "GIT~2/x"];

it(".git is compared case-insensitively (and as Windows and macOS compare names) for write_file, apply_patch and moves; the repository's git folder under another name too", async () => {
  const fixture = makeHome();
  const ws = fixture.workspace;
  // A repository whose git folder is "meta" (a .git file points there).
  setupGit(ws, "init", "-q", "-b", "main", "--separate-git-dir", join(ws, "meta"));
  assert.match(readFileSync(join(ws, ".git"), "utf8"), /gitdir: /);
  symlinkSync(join(ws, "meta"), join(ws, "meta-link"));
  // On a case-sensitive file system .GIT is another folder; a link to it must still be refused.
  mkdirSync(join(ws, ".GIT"));
  symlinkSync(join(ws, ".GIT"), join(ws, "case-link"));
  writeFileSync(join(ws, "plain.txt"), "plain\n");
  const configBefore = readFileSync(join(ws, "meta", "config"), "utf8");
  const s = await startServer(fixture);
  try {
    for (const path of REFUSED) {
      const write = await s.post("write_file", { path, content: "[core]\n\tfsmonitor = /tmp/evil\n" });
      assert.equal(write.status, 403, `write_file ${JSON.stringify(path)}: ${write.text}`);
      assert.equal(write.json.error.code, "OUTSIDE_WORKSPACE");
      const add = await s.post("apply_patch", { patch: `*** Begin Patch\n*** Add File: ${path}\n+pwned\n*** End Patch\n` });
      assert.equal(add.status, 403, `apply_patch add ${JSON.stringify(path)}`);
      const move = await s.post("apply_patch", { patch: `*** Begin Patch\n*** Update File: plain.txt\n*** Move to: ${path}\n@@\n-plain\n+moved\n*** End Patch\n` });
      assert.equal(move.status, 403, `apply_patch move to ${JSON.stringify(path)}`);
      const unified = await s.post("apply_patch", { patch: `--- /dev/null\n+++ b/${path}\n@@ -0,0 +1 @@\n+pwned\n` });
      assert.ok(unified.status === 403 || unified.status === 400, `unified diff ${JSON.stringify(path)}: ${unified.status}`);
    }
    assert.equal(readFileSync(join(ws, "meta", "config"), "utf8"), configBefore);
    assert.equal(existsSync(join(ws, ".GIT", "config")), false);
    assert.equal(readFileSync(join(ws, "plain.txt"), "utf8"), "plain\n");
    for (const path of ALLOWED) {
      const write = await s.post("write_file", { path, content: "ok\n" });
      assert.equal(write.status, 200, `write_file ${path}: ${write.text}`);
    }
  } finally {
    await s.close();
  }
});

it("isDotGitName", () => {
  for (const name of [".git", ".GIT", ".Git", ".git.", ".git ", ".git. .", ".g\u200cit", "\u200e.git", ".git\ufeff", "GIT~1", "git~1"]) {
    assert.equal(isDotGitName(name), true, JSON.stringify(name));
  }
  for (const name of [".github", ".gitignore", "git", ".gi", "GIT~2", "..git", ".git-x", "x.git", ""]) {
    assert.equal(isDotGitName(name), false, JSON.stringify(name));
  }
});
