import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeHome, startServer, type TestServer } from "../helpers.js";
import { git, gitInit, makeHomeInside, makeTree } from "../files-helpers.js";
import { gitFingerprint, ok, sh, treeState } from "./cp-helpers.js";

/** A script that leaves a mark when anything runs it. */
function canaryScript(dir: string, canary: string): string {
  const script = join(dir, "canary.sh");
  writeFileSync(script, `#!/bin/sh\necho "$0 $*" >> '${canary}'\ncat\n`);
  chmodSync(script, 0o755);
  return script;
}

const USER_CONFIG_VARIABLES = ["GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "XDG_CONFIG_HOME"];

describe("checkpoints: a hostile workspace runs nothing", () => {
  let server: TestServer;
  let canary: string;
  const saved = new Map<string, string | undefined>();
  before(async () => {
    server = await startServer(makeHome());
    const ws = server.workspace;
    canary = join(server.home, "..", "canary.txt");
    const script = canaryScript(join(server.home, ".."), canary);
    gitInit(ws);
    makeTree(ws, { "lf.txt": "line one\nline two\n", "crlf.md": "a\r\nb\r\n", "id.c": "$Id$\n" });
    git(ws, "add", "-A");
    git(ws, "commit", "-q", "-m", "x");
    writeFileSync(join(ws, ".gitattributes"), "* filter=evil diff=evil merge=evil ident\n*.txt text eol=crlf working-tree-encoding=UTF-16\n*.bin -text\n");
    // Every place a repository can name a program.
    const config = [
      `[filter "evil"]\n\tclean = ${script} clean\n\tsmudge = ${script} smudge\n\tprocess = ${script} process\n\trequired = true`,
      `[diff "evil"]\n\ttextconv = ${script} textconv\n\tcommand = ${script} diffcmd`,
      `[merge "evil"]\n\tdriver = ${script} merge`,
      `[core]\n\tfsmonitor = ${script}\n\thooksPath = .git/hooks\n\tpager = ${script} pager\n\tattributesFile = ${join(ws, ".gitattributes")}`,
      `[diff]\n\texternal = ${script}`,
    ].join("\n");
    writeFileSync(join(ws, ".git", "config"), `${readFileSync(join(ws, ".git", "config"), "utf8")}\n${config}\n`);
    mkdirSync(join(ws, ".git", "hooks"), { recursive: true });
    for (const hook of ["pre-commit", "post-checkout", "post-index-change", "reference-transaction", "pre-auto-gc", "fsmonitor-watchman"]) {
      writeFileSync(join(ws, ".git", "hooks", hook), `#!/bin/sh\necho hook ${hook} >> '${canary}'\n`);
      chmodSync(join(ws, ".git", "hooks", hook), 0o755);
    }
    // The server runs in this process: environment variables git would obey must not reach the shadow git either.
    process.env.GIT_EXTERNAL_DIFF = script;
    process.env.GIT_DIR = join(ws, ".git");
    process.env.GIT_INDEX_FILE = join(ws, ".git", "index");
    process.env.GIT_CONFIG_PARAMETERS = `'core.fsmonitor=${script}'`;
    // The user's global and system config (and the XDG one) name programs too: the store reads none of them.
    const outside = join(server.home, "..", "user-config");
    mkdirSync(join(outside, "git"), { recursive: true });
    for (const file of [join(outside, "global"), join(outside, "system"), join(outside, "git", "config")]) writeFileSync(file, `${config}\n`);
    for (const key of USER_CONFIG_VARIABLES) saved.set(key, process.env[key]);
    process.env.GIT_CONFIG_GLOBAL = join(outside, "global");
    process.env.GIT_CONFIG_SYSTEM = join(outside, "system");
    process.env.XDG_CONFIG_HOME = outside;
  });
  after(async () => {
    for (const key of ["GIT_EXTERNAL_DIFF", "GIT_DIR", "GIT_INDEX_FILE", "GIT_CONFIG_PARAMETERS"]) delete process.env[key];
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await server.close();
  });

  it("snapshots, diffs and restores start no filter, textconv, hook, fsmonitor or pager, and keep bytes exact", async () => {
    const ws = server.workspace;
    const userGit = gitFingerprint(ws);
    const before = treeState(ws);
    const first = (await ok(server, "write_file", { path: "lf.txt", content: "changed\n" })).checkpoint;
    await ok(server, "apply_patch", { patch: "*** Begin Patch\n*** Update File: crlf.md\n-a\r\n+A\r\n*** End Patch\n" });
    await ok(server, "write_file", { path: "new.bin", content: "bin\n" });
    const diff = await ok(server, "checkpoint_diff", { id: first });
    assert.match(diff.diff, /-line one/);
    assert.match(diff.diff, /\+changed/);
    await ok(server, "list_checkpoints", {});
    await ok(server, "restore_checkpoint", { id: first, dry_run: true });
    await ok(server, "restore_checkpoint", { id: first });
    assert.equal(treeState(ws), before, "bytes exact despite eol/encoding/ident attributes");
    assert.equal(readFileSync(join(ws, "lf.txt"), "utf8"), "line one\nline two\n");
    assert.equal(readFileSync(join(ws, "id.c"), "utf8"), "$Id$\n");
    assert.equal(existsSync(canary), false, `something ran: ${existsSync(canary) ? readFileSync(canary, "utf8") : ""}`);
    assert.equal(gitFingerprint(ws), userGit);
    // Control: the trap is live — the user's own git, reading this repository's config, does run it.
    try {
      git(ws, "diff", "HEAD");
    } catch {
      // the required filter fails after it ran; that is the point
    }
    assert.equal(existsSync(canary), true, "the canary must fire for the user's own git");
  });
});

describe("checkpoints: protected paths", () => {
  it("never stores or touches .git in any letter case, nor the tool's config folder inside the workspace", async () => {
    const fixture = makeHomeInside();
    const server = await startServer(fixture);
    try {
      const ws = server.workspace;
      makeTree(ws, { ".GIT/config": "[core]\n", "sub/.Git/HEAD": "x\n", "a.txt": "a\n" });
      const configBefore = readFileSync(join(fixture.home, "config.json"), "utf8");
      const cp = (await sh(server, "rm a.txt")).checkpoint;
      const diff = await ok(server, "checkpoint_diff", { id: cp });
      assert.deepEqual(diff.files, [{ path: "a.txt", status: "deleted" }], JSON.stringify(diff.files));
      // Nothing of the config folder (token, the store itself) went into the store.
      const list = await ok(server, "list_checkpoints", {});
      assert.equal(list.checkpoints.length, 1);
      await sh(server, "rm -rf .GIT sub && echo b > b.txt");
      const answer = await ok(server, "restore_checkpoint", { id: cp });
      assert.deepEqual(answer.restored, ["a.txt"]);
      assert.deepEqual(answer.deleted, ["b.txt"]);
      assert.equal(existsSync(join(ws, ".GIT")), false, "the .GIT folder was never stored, so it is not brought back");
      assert.equal(readFileSync(join(fixture.home, "config.json"), "utf8"), configBefore);
      assert.ok(existsSync(join(fixture.home, "checkpoints")), "the store is inside the config folder");
    } finally {
      await server.close();
    }
  });

  it("a file over the size limit is skipped, listed, and never deleted or overwritten by a restore", async () => {
    const server = await startServer(makeHome({ change: (c) => ((c as any).checkpoints = { enabled: true, max_file_bytes: 1000, keep_count: 50, keep_days: 14 }) }));
    try {
      const ws = server.workspace;
      writeFileSync(join(ws, "small.txt"), "s\n");
      const cp = (await sh(server, "head -c 5000 /dev/zero > big.dat && echo t > small.txt")).checkpoint;
      const second = await sh(server, "head -c 3000 /dev/zero > big.dat");
      const list = await ok(server, "list_checkpoints", {});
      const newest = list.checkpoints[0];
      assert.equal(newest.id, second.checkpoint);
      assert.deepEqual(newest.skipped, [{ path: "big.dat", reason: "too_large", size: 5000 }]);
      const restore = await ok(server, "restore_checkpoint", { id: cp });
      assert.deepEqual(restore.restored, ["small.txt"]);
      assert.deepEqual(restore.deleted, []);
      assert.equal(statSync(join(ws, "big.dat")).size, 3000, "the big file stays as it is");
      // A file that was small at a checkpoint and is too big now is not overwritten (its current bytes are not stored anywhere).
      writeFileSync(join(ws, "grow.txt"), "small\n");
      const small = (await sh(server, "true")).checkpoint;
      await sh(server, "head -c 4000 /dev/zero > grow.txt");
      const back = await ok(server, "restore_checkpoint", { id: small });
      assert.ok(back.kept.some((k: { path: string }) => k.path === "grow.txt"), JSON.stringify(back));
      assert.equal(statSync(join(ws, "grow.txt")).size, 4000);
    } finally {
      await server.close();
    }
  });
});

describe("checkpoints: history stays clean and bounded", () => {
  it("refused actions leave no history; identical states share one tree but each action is listed", async () => {
    const server = await startServer(makeHome());
    try {
      writeFileSync(join(server.workspace, "f.txt"), "1\n");
      await sh(server, "true");
      await sh(server, "true");
      const blocked = await server.post("exec_command", { command: "sudo rm -rf /" });
      assert.equal(blocked.status, 403);
      const conflict = await server.post("write_file", { path: "f.txt", content: "x", create_only: true });
      assert.equal(conflict.status, 409);
      const badPatch = await server.post("apply_patch", { patch: "*** Begin Patch\n*** Update File: f.txt\n-nope\n+x\n*** End Patch\n" });
      assert.equal(badPatch.status, 409);
      const outside = await server.post("write_file", { path: "../x.txt", content: "x" });
      assert.equal(outside.status, 403);
      const list = await ok(server, "list_checkpoints", {});
      assert.equal(list.checkpoints.length, 2, JSON.stringify(list));
      assert.deepEqual(list.checkpoints.map((c: { files_changed: number }) => c.files_changed), [0, 0]);
      const notThere = await server.post("restore_checkpoint", { id: "cp-999-abcd" });
      assert.equal(notThere.status, 404);
      assert.equal((await ok(server, "list_checkpoints", {})).checkpoints.length, 2, "a restore of an unknown id leaves no record");
      // Paging
      const page = await ok(server, "list_checkpoints", { limit: 1 });
      assert.equal(page.checkpoints.length, 1);
      const rest = await ok(server, "list_checkpoints", { limit: 1000, cursor: page.next_cursor });
      assert.equal(rest.checkpoints.length, 1);
      assert.equal(rest.next_cursor, undefined);
      assert.equal((await server.post("list_checkpoints", { limit: 0 })).status, 400);
    } finally {
      await server.close();
    }
  });

  it("retention removes old checkpoints: they answer 404 NOT_FOUND with a clear message, and their objects are pruned", async () => {
    const server = await startServer(makeHome({ change: (c) => ((c as any).checkpoints = { enabled: true, max_file_bytes: 5_000_000, keep_count: 3, keep_days: 14 }) }));
    try {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await ok(server, "write_file", { path: "f.txt", content: `version ${i} ${"x".repeat(100)}\n` })).checkpoint);
      const list = await ok(server, "list_checkpoints", {});
      assert.deepEqual(list.checkpoints.map((c: { id: string }) => c.id), ids.slice(3).reverse());
      for (const action of ["restore_checkpoint", "checkpoint_diff"]) {
        const gone = await server.post(action, { id: ids[0] });
        assert.equal(gone.status, 404);
        assert.equal(gone.json.error.code, "NOT_FOUND");
        assert.match(gone.json.error.message, /removed by the retention rules/);
      }
      // housekeeping ran after the answers: only live trees' objects are left
      const { maintenanceIdle } = await import("../../src/checkpoints/hook.js");
      await maintenanceIdle();
      const stores = join(server.home, "checkpoints");
      const dir = join(stores, readdirSync(stores)[0]!, "git");
      const blobs = git(server.workspace, `--git-dir=${dir}`, "cat-file", "--batch-all-objects", "--batch-check").split("\n").filter((l) => l.includes(" blob "));
      assert.ok(blobs.length <= 4, `old versions pruned, ${blobs.length} blobs left`);
      assert.equal((await ok(server, "checkpoint_diff", { id: ids[3] })).files.length, 1);
    } finally {
      await server.close();
    }
  });

  it("parallel writes: each answer names a checkpoint that holds exactly the writes before it", async () => {
    const server = await startServer(makeHome());
    try {
      const n = 8;
      const answers = await Promise.all(
        Array.from({ length: n }, (_, i) => ok(server, "write_file", { path: `p/${i}.txt`, content: `${i}\n` })),
      );
      const list = (await ok(server, "list_checkpoints", { limit: 50 })).checkpoints.reverse();
      assert.equal(list.length, n);
      assert.deepEqual(list.map((c: { files_changed: number }) => c.files_changed), Array(n).fill(1), "each step adds exactly one file");
      // the checkpoint of write i holds the files of every write that came before it, and not its own
      for (const answer of answers) {
        const diff = await ok(server, "checkpoint_diff", { id: answer.checkpoint });
        const position = list.findIndex((c: { id: string }) => c.id === answer.checkpoint);
        assert.equal(diff.files.length, n - position, JSON.stringify(diff.files));
        assert.ok(diff.files.some((f: { path: string }) => f.path === answer.path), "its own file is added after it");
      }
    } finally {
      await server.close();
    }
  });
});
