import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { makeHome, startServer, tempDir } from "../helpers.js";
import { git, gitInit, makeTree } from "../files-helpers.js";
import { exactState, gitFingerprint, ok, sh, treeState } from "./cp-helpers.js";

describe("checkpoints: nested repositories and worktrees", () => {
  it("a nested repository is listed as skipped and never stored, deleted or overwritten", async () => {
    const server = await startServer(makeHome());
    try {
      const ws = server.workspace;
      gitInit(ws);
      makeTree(ws, { "top.txt": "top\n", "vendor/lib/a.c": "int a;\n" });
      gitInit(join(ws, "vendor/lib"));
      git(join(ws, "vendor/lib"), "add", "-A");
      git(join(ws, "vendor/lib"), "commit", "-q", "-m", "lib");
      const nested = () => exactState(join(ws, "vendor/lib"));
      const before = nested();
      const cp = (await sh(server, "echo changed > top.txt && mkdir -p later && git init -q later/repo && echo x > later/repo/x")).checkpoint;
      const list = await ok(server, "list_checkpoints", {});
      assert.deepEqual(list.checkpoints[0].skipped, [{ path: "vendor/lib", reason: "nested_repository" }]);
      const answer = await ok(server, "restore_checkpoint", { id: cp });
      assert.deepEqual(answer.restored, ["top.txt"]);
      assert.deepEqual(answer.deleted, []);
      assert.equal(readFileSync(join(ws, "later/repo/x"), "utf8"), "x\n", "a repository made after the checkpoint is not deleted");
      assert.equal(nested(), before, "the nested repository is untouched");
    } finally {
      await server.close();
    }
  });

  it("a linked worktree as workspace: restores work, the .git file and both repositories stay as they were", async () => {
    const main = join(tempDir(), "main");
    mkdirSync(main);
    gitInit(main);
    makeTree(main, { "a.txt": "a\n", "b/c.txt": "c\n" });
    git(main, "add", "-A");
    git(main, "commit", "-q", "-m", "one");
    const linked = join(tempDir(), "linked");
    git(main, "worktree", "add", "-q", "-b", "side", linked);
    const server = await startServer(makeHome({ workspace: linked }));
    try {
      const mainGit = gitFingerprint(main);
      const dotGit = readFileSync(join(linked, ".git"), "utf8");
      const state = treeState(linked, [".git"]);
      const cp = (await sh(server, "rm -rf b && echo z > a.txt && echo n > new.txt")).checkpoint;
      await ok(server, "restore_checkpoint", { id: cp });
      assert.equal(treeState(linked, [".git"]), state);
      assert.equal(readFileSync(join(linked, ".git"), "utf8"), dotGit);
      assert.equal(gitFingerprint(main), mainGit, "the main repository (which holds the worktree's HEAD and index) is unchanged");
      assert.equal(existsSync(join(linked, "new.txt")), false);
      writeFileSync(join(linked, "a.txt"), "edited by hand\n");
      const diff = await ok(server, "checkpoint_diff", { id: cp, path: "a.txt" });
      assert.match(diff.diff, /\+edited by hand/);
    } finally {
      await server.close();
    }
  });
});
