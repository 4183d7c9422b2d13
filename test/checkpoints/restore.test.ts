import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeHome, startServer, type TestServer } from "../helpers.js";
import { git, gitInit, makeTree } from "../files-helpers.js";
import { exactState, gitFingerprint, ok, sh, treeState } from "./cp-helpers.js";

/** A repository with history, a stash, an ignored node_modules and a mix of files. */
function seedRepo(ws: string): void {
  gitInit(ws);
  makeTree(ws, {
    ".gitignore": "node_modules/\n*.log\n",
    "README.md": "# demo\n",
    "src/app.ts": "export const a = 1;\n",
    "src/lib/util.ts": "export function u() { return 'a'; }\n",
    "src/lib/deep/x.txt": "deep\n",
    "run.sh": "#!/bin/sh\necho run\n",
    "data.bin": Buffer.from([0, 1, 2, 255, 254, 0, 10, 13, 10]),
    "link-to-readme": { link: "README.md" },
    "node_modules/pkg/index.js": "module.exports = 1;\n",
    "debug.log": "log\n",
  });
  chmodSync(join(ws, "run.sh"), 0o755);
  git(ws, "add", "-A");
  git(ws, "commit", "-q", "-m", "first");
  writeFileSync(join(ws, "README.md"), "# demo (stashed)\n");
  git(ws, "stash", "-q");
  writeFileSync(join(ws, "untracked.txt"), "not in git\n");
}

describe("checkpoints: destructive command sequences are restored exactly", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(makeHome());
    seedRepo(server.workspace);
  });
  after(() => server.close());

  it("rm -rf, mkdir, mv, chmod, file→symlink, sed -i: every checkpoint restores byte-exactly; .git and node_modules untouched", async () => {
    const ws = server.workspace;
    const userGit = gitFingerprint(ws);
    const modules = exactState(join(ws, "node_modules"));
    const steps = [
      "rm -rf src",
      "mkdir -p new/nested && printf 'fresh\\n' > new/nested/file.txt && printf 'x' > top.txt",
      "mv README.md README2.md && mv new moved",
      "chmod +x top.txt && chmod -x run.sh",
      "rm data.bin && ln -s README2.md data.bin",
      "sed -i 's/demo/DEMO/' README2.md && printf 'more\\n' >> untracked.txt",
      "rm -rf moved top.txt untracked.txt link-to-readme && ln -s moved-nowhere dangling",
    ];
    const states: string[] = [];
    const ids: string[] = [];
    for (const command of steps) {
      states.push(treeState(ws));
      ids.push((await sh(server, command)).checkpoint);
    }
    const finalState = treeState(ws);
    assert.equal(new Set(ids).size, ids.length, "each action has its own checkpoint");
    // What .gitignore keeps out of every checkpoint is named, so the user knows undo will not bring it back.
    const listed = await ok(server, "list_checkpoints", {});
    assert.ok(listed.not_stored?.includes("node_modules/"), JSON.stringify(listed.not_stored));
    // Walk back through every checkpoint, newest first, then forward again via restore-of-restore.
    const undoIds: string[] = [];
    for (let i = steps.length - 1; i >= 0; i--) {
      const answer = await ok(server, "restore_checkpoint", { id: ids[i] });
      assert.match(answer.checkpoint, /^cp-/);
      undoIds.push(answer.checkpoint);
      assert.equal(treeState(ws), states[i], `state before step ${i} (${steps[i]})`);
    }
    assert.equal(treeState(ws), states[0]);
    assert.equal(readFileSync(join(ws, "src/lib/util.ts"), "utf8"), "export function u() { return 'a'; }\n");
    assert.equal(statSync(join(ws, "run.sh")).mode & 0o111, 0o111, "exec bit back");
    // The very first undo took a checkpoint of the final state: restoring it redoes everything.
    await ok(server, "restore_checkpoint", { id: undoIds[0] });
    assert.equal(treeState(ws), finalState);
    assert.equal(gitFingerprint(ws), userGit, "the user's .git (HEAD, index, refs, stash, config, hooks) is unchanged");
    assert.equal(exactState(join(ws, "node_modules")), modules, "ignored node_modules untouched");
    assert.equal(readFileSync(join(ws, "debug.log"), "utf8"), "log\n", "ignored file kept");
  });

  it("dry_run changes nothing and names what would change; paths restores only those", async () => {
    const ws = server.workspace;
    writeFileSync(join(ws, "a.txt"), "a1\n");
    writeFileSync(join(ws, "b.txt"), "b1\n");
    const cp = (await ok(server, "write_file", { path: "a.txt", content: "a2\n" })).checkpoint;
    await ok(server, "write_file", { path: "b.txt", content: "b2\n" });
    await ok(server, "write_file", { path: "c/new.txt", content: "c\n" });
    const state = treeState(ws);
    const historyBefore = (await ok(server, "list_checkpoints", { limit: 200 })).checkpoints.length;
    const dry = await ok(server, "restore_checkpoint", { id: cp, dry_run: true });
    assert.equal(treeState(ws), state, "dry run wrote nothing");
    assert.deepEqual([...dry.restored].sort(), ["a.txt", "b.txt"]);
    assert.deepEqual(dry.deleted, ["c/new.txt"]);
    assert.equal(dry.checkpoint, null);
    assert.equal((await ok(server, "list_checkpoints", { limit: 200 })).checkpoints.length, historyBefore, "a dry run adds no history");
    const only = await ok(server, "restore_checkpoint", { id: cp, paths: ["a.txt", "c"] });
    assert.deepEqual(only.restored, ["a.txt"]);
    assert.deepEqual(only.deleted, ["c/new.txt"]);
    assert.equal(readFileSync(join(ws, "a.txt"), "utf8"), "a1\n");
    assert.equal(readFileSync(join(ws, "b.txt"), "utf8"), "b2\n", "b.txt was not named");
    assert.equal(existsSync(join(ws, "c")), false, "the emptied folder went too");
  });

  it("a symlink pointing outside the workspace is not restored; one inside is", async () => {
    const ws = server.workspace;
    symlinkSync("/etc/passwd", join(ws, "evil-link"));
    symlinkSync("README2.md", join(ws, "good-link"));
    const cp = (await sh(server, "rm evil-link good-link")).checkpoint;
    const answer = await ok(server, "restore_checkpoint", { id: cp });
    assert.ok(answer.restored.includes("good-link"));
    assert.ok(answer.kept.some((k: { path: string }) => k.path === "evil-link"), JSON.stringify(answer.kept));
    assert.equal(existsSync(join(ws, "evil-link")), false);
  });
});

describe("checkpoints: restores stay inside the workspace", () => {
  it("a folder swapped for a symlink to the outside (ignored, so not stored) is never written through", async () => {
    const server = await startServer(makeHome());
    try {
      const ws = server.workspace;
      const outside = join(server.home, "..", "outside");
      mkdirSync(outside);
      writeFileSync(join(outside, "victim.txt"), "outside\n");
      makeTree(ws, { ".gitignore": "/d\n!/d/\n", "d/victim.txt": "inside\n", "d/other.txt": "o\n" });
      const cp = (await sh(server, "rm -rf d && printf '/d\\n' > .gitignore && ln -s ../outside d")).checkpoint;
      const answer = await ok(server, "restore_checkpoint", { id: cp });
      assert.equal(readFileSync(join(outside, "victim.txt"), "utf8"), "outside\n", "nothing written outside");
      assert.equal(existsSync(join(outside, "other.txt")), false);
      assert.ok(answer.kept.length >= 1, JSON.stringify(answer));
      assert.ok(answer.restored.includes(".gitignore"));
    } finally {
      await server.close();
    }
  });
});

describe("checkpoints: a workspace that is not a git repository", () => {
  it("checkpoints, lists, diffs and restores", async () => {
    const server = await startServer(makeHome());
    try {
      const ws = server.workspace;
      mkdirSync(join(ws, "docs"));
      writeFileSync(join(ws, "docs/a.md"), "one\n");
      chmodSync(join(ws, "docs/a.md"), 0o640);
      const before = treeState(ws);
      const first = await ok(server, "apply_patch", { patch: "*** Begin Patch\n*** Update File: docs/a.md\n-one\n+two\n*** Add File: b.md\n+b\n*** End Patch\n" });
      assert.match(first.checkpoint, /^cp-1-/);
      const list = await ok(server, "list_checkpoints", {});
      assert.equal(list.checkpoints.length, 1);
      assert.equal(list.checkpoints[0].action, "apply_patch");
      assert.equal(list.checkpoints[0].files_changed, 2);
      assert.match(list.checkpoints[0].summary, /docs\/a\.md/);
      const diff = await ok(server, "checkpoint_diff", { id: first.checkpoint });
      assert.match(diff.diff, /-one\n\+two/);
      assert.deepEqual(diff.files, [{ path: "b.md", status: "added" }, { path: "docs/a.md", status: "modified" }]);
      await ok(server, "restore_checkpoint", { id: first.checkpoint });
      assert.equal(treeState(ws), before);
      assert.equal(statSync(join(ws, "docs/a.md")).mode & 0o777, 0o640, "mode kept");
      assert.equal(existsSync(join(ws, ".git")), false, "no .git was created in the workspace");
    } finally {
      await server.close();
    }
  });
});
