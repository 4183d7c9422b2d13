import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, utimesSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { checkpointWaitMs, maintenanceIdle } from "../../src/checkpoints/hook.js";
import { checkpointTestHooks, CheckpointStore, DEFAULT_SETTINGS } from "../../src/checkpoints/store.js";
import { shadowGit } from "../../src/checkpoints/shadowGit.js";
import { makeHome, startServer, tempDir } from "../helpers.js";
import { committedRepo, git, gitInit, makeTree } from "../files-helpers.js";
import { gitFingerprint, ok, sh, treeState, withServer } from "./cp-helpers.js";

const SETTINGS = { ...DEFAULT_SETTINGS, max_file_bytes: 1_000 };
const ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
const CHECKPOINTS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "checkpoints");

/** Runs a program as uid/gid 65534 with no other groups, in `home` and with its HOME there; its stdout. */
function asNobody(home: string, program: string, ...args: string[]): string {
  const run = spawnSync("setpriv", ["--reuid", String(NOBODY), "--regid", String(NOBODY), "--clear-groups", program, ...args], {
    cwd: home,
    encoding: "utf8",
    env: { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
    timeout: 60_000,
  });
  assert.equal(run.status, 0, `${program} ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

/** Every file under the user's .git/objects and the index, by content. */
function objectsAndIndex(ws: string): string {
  const lines: string[] = [];
  const visit = (dir: string, rel: string) => {
    for (const name of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, name.name);
      if (name.isDirectory()) visit(path, `${rel}/${name.name}`);
      else lines.push(`${rel}/${name.name} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`);
    }
  };
  visit(join(ws, ".git", "objects"), "objects");
  lines.push(`index ${createHash("sha256").update(readFileSync(join(ws, ".git", "index"))).digest("hex")}`);
  return lines.join("\n");
}

/** A repository whose index disagrees with a fresh snapshot in every way we know of. */
function trickyRepo(ws: string): void {
  mkdirSync(ws, { recursive: true });
  gitInit(ws);
  makeTree(ws, {
    ".gitignore": "*.log\nbuild/\n",
    "a.txt": "a\n",
    "dir/b.txt": "b\n",
    "real/c.txt": "c\n",
    "exec.sh": "#!/bin/sh\necho hi\n",
    "turns-exec.sh": "#!/bin/sh\n",
    "loses-exec.sh": "#!/bin/sh\n",
    "link": { link: "a.txt" },
    "big.bin": "x".repeat(5_000),
    "forced.log": "tracked although ignored\n",
    // Tracked although ignored, and too large: the seed drops it and also lists it as ignored.
    "forced-big.log": "y".repeat(5_000),
    "deleted.txt": "gone soon\n",
    "mod.txt": "before\n",
    "same-size.txt": "1234\n",
    "hidden.txt": "assume unchanged\n",
    "staged.txt": "committed\n",
    "empty.txt": "",
  });
  chmodSync(join(ws, "exec.sh"), 0o755);
  chmodSync(join(ws, "loses-exec.sh"), 0o755);
  mkdirSync(join(ws, "vendor/lib"), { recursive: true });
  gitInit(join(ws, "vendor/lib"));
  makeTree(ws, { "vendor/lib/x.c": "int x;\n" });
  git(join(ws, "vendor/lib"), "add", "-A");
  git(join(ws, "vendor/lib"), "commit", "-q", "-m", "lib");
  git(ws, "-c", "advice.addEmbeddedRepo=false", "add", "-A");
  git(ws, "add", "-f", "forced.log", "forced-big.log");
  git(ws, "commit", "-q", "-m", "first");
  // Now the work tree drifts from the index.
  writeFileSync(join(ws, "staged.txt"), "staged, not committed\n");
  git(ws, "add", "staged.txt");
  git(ws, "update-index", "--assume-unchanged", "hidden.txt");
  writeFileSync(join(ws, "hidden.txt"), "changed behind git's back\n");
  unlinkSync(join(ws, "deleted.txt"));
  writeFileSync(join(ws, "mod.txt"), "after, longer\n");
  writeFileSync(join(ws, "same-size.txt"), "5678\n");
  chmodSync(join(ws, "turns-exec.sh"), 0o755);
  chmodSync(join(ws, "loses-exec.sh"), 0o644);
  rmSync(join(ws, "real"), { recursive: true });
  symlinkSync("dir", join(ws, "real"));
  writeFileSync(join(ws, "dir", "c.txt"), "c\n"); // real/c.txt still "exists", through the symlink
  makeTree(ws, { "untracked.txt": "new\n", "x.log": "ignored\n", "build/out.js": "ignored\n", "new/deep/file.txt": "deep\n" });
}

async function fileList(store: CheckpointStore, tree: string): Promise<string> {
  return (await shadowGit(store.paths, ["ls-tree", "-r", "--full-tree", tree])).stdout.toString("utf8");
}

describe("checkpoints: the shadow index is the stat cache between snapshots", () => {
  it("without git: an unchanged tree lists nothing and keeps its tree; a touched file is looked at once, then not again", async () => {
    const root = tempDir();
    const ws = join(root, "ws");
    mkdirSync(ws);
    makeTree(ws, { "a.txt": "a\n", "b/c.txt": "c\n", "b/d.txt": "d\n" });
    const store = new CheckpointStore(join(root, "home"), ws, SETTINGS);
    const first = await store.locked(() => store.snapshot());
    assert.equal(first.added, 3);
    const index = join(store.paths.dir, "index");
    for (let i = 0; i < 3; i++) {
      const again = await store.locked(() => store.snapshot());
      assert.equal(again.tree, first.tree);
      assert.equal(again.changed, 0, "nothing is hashed again");
      assert.ok(existsSync(index), "the index (the stat cache) is kept");
    }
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(ws, "b/c.txt"), later, later); // touched, same bytes
    const touched = await store.locked(() => store.snapshot());
    assert.equal(touched.tree, first.tree);
    const settled = await store.locked(() => store.snapshot());
    assert.equal(settled.changed, 0);
    writeFileSync(join(ws, "b/d.txt"), "d changed\n");
    const changed = await store.locked(() => store.snapshot());
    assert.equal(changed.changed, 1, "only the changed file is hashed");
    assert.notEqual(changed.tree, first.tree);
  });
});

describe("checkpoints: many files stored at once go through update-index in runs", () => {
  it("a tree stored in runs of 50 files is the tree git writes for it, also when files turned into folders and back", async () => {
    const root = tempDir();
    const ws = join(root, "ws");
    const files: Record<string, string> = {};
    for (let i = 0; i < 260; i++) files[`d${i % 7}/f${i}.txt`] = `file ${i}\n`;
    files["becomes-folder"] = "a file first\n";
    files["dir-then-file/x.txt"] = "in a folder first\n";
    makeTree(ws, files);
    const store = new CheckpointStore(join(root, "home"), ws, SETTINGS);
    checkpointTestHooks.bulkBatch = 50;
    checkpointTestHooks.fastPaths = 0;
    try {
      const first = await store.locked(() => store.snapshot());
      assert.equal(first.added, 262);
      // Removals and new files in one snapshot, in more than one run: a file replaced by a folder and the reverse.
      rmSync(join(ws, "becomes-folder"));
      rmSync(join(ws, "dir-then-file"), { recursive: true });
      const more: Record<string, string> = { "becomes-folder/inner.txt": "now a folder\n", "dir-then-file": "now a file\n" };
      for (let i = 0; i < 230; i++) more[`e${i % 5}/g${i}.txt`] = `more ${i}\n`;
      makeTree(ws, more);
      const second = await store.locked(() => store.snapshot());
      // What git itself writes for the same tree, in a scratch repository.
      gitInit(ws);
      git(ws, "add", "-A");
      const expected = git(ws, "write-tree").trim();
      rmSync(join(ws, ".git"), { recursive: true });
      assert.equal(first.tree === second.tree, false);
      assert.equal(second.tree, expected);
    } finally {
      checkpointTestHooks.bulkBatch = undefined;
      checkpointTestHooks.fastPaths = undefined;
    }
  });
});

describe("checkpoints: the first snapshot of a git workspace starts from the user's index", () => {
  it("stores the same tree as a snapshot from nothing, and the user's .git stays byte for byte as it was", async () => {
    const root = tempDir();
    const ws = join(root, "ws");
    trickyRepo(ws);
    const userGit = gitFingerprint(ws);
    const userObjects = objectsAndIndex(ws);
    const before = treeState(ws);

    const seeded = new CheckpointStore(join(root, "home-seeded"), ws, SETTINGS);
    const fromNothing = new CheckpointStore(join(root, "home-plain"), ws, SETTINGS);
    fromNothing.seedFromUserIndex = false;
    const a = await seeded.locked(() => seeded.checkpoint("exec_command", "seeded"));
    // The store from nothing takes the long way (update-index reads the files); the seeded one stores its few changes itself.
    checkpointTestHooks.fastPaths = 0;
    const b = await fromNothing.locked(() => fromNothing.checkpoint("exec_command", "plain")).finally(() => (checkpointTestHooks.fastPaths = undefined));

    assert.ok(existsSync(join(seeded.paths.dir, "borrow")), "the seeded store reads the user's objects until it has copied them");
    assert.deepEqual(readdirSync(seeded.paths.dir).filter((name) => name.startsWith("index.")), [], "no copy of the user's index is left beside the store's own");
    assert.equal(await seeded.locked(() => seeded.ownObjects()), true);
    assert.equal(await fileList(seeded, a.tree), await fileList(fromNothing, b.tree));
    assert.equal(a.tree, b.tree);
    assert.deepEqual(a.skipped, b.skipped);
    assert.deepEqual(
      a.skipped.map((s) => `${s.path}:${s.reason}`),
      ["big.bin:too_large", "vendor/lib:nested_repository"],
    );
    assert.equal(existsSync(join(seeded.paths.dir, "borrow")), false, "nothing of the user's is referenced after the copy");
    assert.equal(objectsAndIndex(ws), userObjects, "the user's objects and index are unchanged");
    assert.equal(gitFingerprint(ws), userGit, "the user's repository is unchanged (HEAD, refs, index, every file's mtime)");
    assert.equal(treeState(ws), before);

    // The next snapshots go on from the seeded index like any other.
    writeFileSync(join(ws, "a.txt"), "a changed\n");
    writeFileSync(join(ws, "big.bin"), "small now\n");
    chmodSync(join(ws, "exec.sh"), 0o644);
    symlinkSync("dir/b.txt", join(ws, "link2"));
    const a2 = await seeded.locked(() => seeded.checkpoint("exec_command", "next"));
    checkpointTestHooks.fastPaths = 0;
    const b2 = await fromNothing.locked(() => fromNothing.checkpoint("exec_command", "next")).finally(() => (checkpointTestHooks.fastPaths = undefined));
    assert.equal(a2.tree, b2.tree);
    assert.deepEqual(a2.skipped, b2.skipped);
  });

  it("as a user who is not root: the files it cannot read are left out as from nothing, a stat-clean file of another owner too", { skip: !ROOT && process.env.CI !== "true" && "needs root, to run the store as uid 65534 beside a file of root's" }, () => {
    assert.ok(ROOT, "CI runs this as root");
    const root = tempDir("cgc-seed-nobody-");
    chmodSync(root, 0o777);
    const ws = join(root, "ws");
    // The user's repository, all theirs; then one file made unreadable to them (its ctime changes: the index is stale for it).
    asNobody(root, "sh", "-c", `set -e; mkdir ws; cd ws; git init -q -b main; printf 'mine\\n' > mine.txt; printf 'locked\\n' > locked.txt
      git add -A; git -c user.name=u -c user.email=u@example.com -c commit.gpgsign=false commit -q -m one; chmod 000 locked.txt`);
    // A file of root's that the user cannot read, added by root (as with sudo): its index entry is clean and names owner 0.
    // Its bytes are mine.txt's, so root writes no object of its own (the user could not link it: the store would copy).
    writeFileSync(join(ws, "other.txt"), "mine\n", { mode: 0o600 });
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(ws, "other.txt"), anHourAgo, anHourAgo); // older than the index: not "racily clean", git will not look again
    git(ws, "-c", "safe.directory=*", "add", "other.txt");
    chmodSync(join(ws, ".git", "index"), 0o644);
    const code = `const { CheckpointStore, DEFAULT_SETTINGS, checkpointTestHooks } = await import(${JSON.stringify(join(CHECKPOINTS, "store.js"))});
      const { shadowGit } = await import(${JSON.stringify(join(CHECKPOINTS, "shadowGit.js"))});
      const { existsSync } = await import("node:fs");
      const settings = { ...DEFAULT_SETTINGS, max_file_bytes: 1000 };
      const ws = ${JSON.stringify(ws)};
      const seeded = new CheckpointStore(${JSON.stringify(join(root, "home-seeded"))}, ws, settings);
      const plain = new CheckpointStore(${JSON.stringify(join(root, "home-plain"))}, ws, settings);
      plain.seedFromUserIndex = false;
      const describe = async (store, taken) => ({
        tree: taken.tree,
        skipped: taken.skipped.map((s) => s.path + ":" + s.reason).sort(),
        files: (await shadowGit(store.paths, ["ls-tree", "-r", "--name-only", "--full-tree", taken.tree])).stdout.toString().split("\\n").filter(Boolean),
      });
      const a = await seeded.locked(() => seeded.checkpoint("exec_command", "seeded"));
      const borrowed = existsSync(seeded.paths.dir + "/borrow");
      checkpointTestHooks.fastPaths = 0;
      const b = await plain.locked(() => plain.checkpoint("exec_command", "plain"));
      process.stdout.write(JSON.stringify({ uid: process.getuid(), borrowed, seeded: await describe(seeded, a), plain: await describe(plain, b) }));`;
    const answer = JSON.parse(asNobody(root, process.execPath, "--input-type=module", "-e", code)) as {
      uid: number;
      borrowed: boolean;
      seeded: { tree: string; skipped: string[]; files: string[] };
      plain: { tree: string; skipped: string[]; files: string[] };
    };
    assert.equal(answer.uid, NOBODY);
    assert.equal(answer.borrowed, true, "the first checkpoint started from the user's index");
    assert.deepEqual(answer.plain.files, ["mine.txt"]);
    assert.deepEqual(answer.plain.skipped, ["locked.txt:unreadable", "other.txt:unreadable"]);
    assert.deepEqual(answer.seeded, answer.plain, "the seeded store holds no byte its user could not read, and says so as the store from nothing does");
  });

  it("a restore is byte-exact after the user amends, expires the reflog and prunes (also when the command itself does it)", async () => {
    await withServer(async (server) => {
      const ws = server.workspace;
      committedRepo(ws, { "a.txt": "original a\n", "src/b.ts": "export const b = 1;\n", "src/c.ts": "export const c = 2;\n", "bin.dat": Buffer.from([0, 1, 2, 3, 255]) });
      const state = treeState(ws);
      // The first action rewrites history and prunes at once, racing the copy of the borrowed objects.
      const first = (await sh(server, "printf 'rewritten\\n' > a.txt && rm src/b.ts && git commit -qa --amend -m amended && git reflog expire --expire=now --all && git gc -q --prune=now")).checkpoint;
      const second = (await sh(server, "printf 'again\\n' > src/c.ts && git commit -qa --amend -m again && git reflog expire --expire=now --all && git gc -q --prune=now")).checkpoint;
      git(ws, "commit", "-q", "--allow-empty", "--amend", "-m", "by hand");
      git(ws, "reflog", "expire", "--expire=now", "--all");
      git(ws, "gc", "-q", "--prune=now");
      const answer = await ok(server, "restore_checkpoint", { id: first });
      assert.deepEqual([...answer.restored].sort(), ["a.txt", "src/b.ts", "src/c.ts"]);
      assert.equal(treeState(ws), state, "byte-exact, though the objects it came from are gone from the user's repository");
      await ok(server, "restore_checkpoint", { id: second });
      assert.equal(readFileSync(join(ws, "a.txt"), "utf8"), "rewritten\n");
      assert.equal(existsSync(join(ws, "src/b.ts")), false);
    });
  });

  it("a command that overwrites the user's pack in place (the file a first checkpoint borrows) cannot change what an undo writes back", async () => {
    await withServer(async (server) => {
      const ws = server.workspace;
      committedRepo(ws, { "a.txt": "original a\n", "src/b.ts": "export const b = 1;\n".repeat(50), "bin.dat": Buffer.from([0, 1, 2, 3, 255]) });
      const packDir = join(ws, ".git", "objects", "pack");
      const packs = () => readdirSync(packDir).filter((name) => name.endsWith(".pack")).map((name) => readFileSync(join(packDir, name)).toString("hex"));
      const before = packs();
      assert.equal(before.length, 1, "one pack, as gc leaves it");
      const state = treeState(ws);
      // The first action of the workspace: the same inode zeroed after the pack's header (a link to it stays a link to it).
      const overwrite = `const fs = require("fs"); const dir = ".git/objects/pack"; for (const n of fs.readdirSync(dir)) if (n.endsWith(".pack")) { fs.chmodSync(dir + "/" + n, 0o644); const fd = fs.openSync(dir + "/" + n, "r+"); fs.writeSync(fd, Buffer.alloc(4096), 0, 4096, 12); fs.closeSync(fd); }`;
      const first = (await sh(server, `printf 'changed\\n' > a.txt && rm src/b.ts && node -e '${overwrite}'`)).checkpoint;
      assert.notDeepEqual(packs(), before, "the command did overwrite the user's pack");
      const answer = await ok(server, "restore_checkpoint", { id: first });
      assert.deepEqual([...answer.restored].sort(), ["a.txt", "src/b.ts"]);
      assert.equal(treeState(ws), state, "byte-exact: the store had its own copy before the command started");
    });
  });

  it("the wait for a checkpoint is 5 s, or CHATGPT_CODEX_CHECKPOINT_WAIT_MS, and never so long that the action misses its deadline", () => {
    const saved = process.env.CHATGPT_CODEX_CHECKPOINT_WAIT_MS;
    const now = 1_000_000;
    try {
      delete process.env.CHATGPT_CODEX_CHECKPOINT_WAIT_MS;
      assert.equal(checkpointWaitMs(now + 40_000, now), 5_000);
      process.env.CHATGPT_CODEX_CHECKPOINT_WAIT_MS = "not a number";
      assert.equal(checkpointWaitMs(now + 40_000, now), 5_000);
      process.env.CHATGPT_CODEX_CHECKPOINT_WAIT_MS = "12000";
      assert.equal(checkpointWaitMs(now + 40_000, now), 12_000);
      process.env.CHATGPT_CODEX_CHECKPOINT_WAIT_MS = "600000";
      assert.equal(checkpointWaitMs(now + 40_000, now), 35_000, "5 s are kept for the action itself");
      assert.equal(checkpointWaitMs(now + 3_000, now), 0, "a deadline that near: no wait at all");
    } finally {
      if (saved === undefined) delete process.env.CHATGPT_CODEX_CHECKPOINT_WAIT_MS;
      else process.env.CHATGPT_CODEX_CHECKPOINT_WAIT_MS = saved;
    }
  });

  it("a checkpoint past the wait limit answers checkpoint_pending without running the action; its restore waits for it", async () => {
    const server = await startServer(makeHome());
    const saved = process.env.CHATGPT_CODEX_CHECKPOINT_WAIT_MS;
    try {
      const ws = server.workspace;
      makeTree(ws, { "a.txt": "a\n", "b/c.txt": "c\n" });
      const state = treeState(ws);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      checkpointTestHooks.beforeSnapshot = async () => {
        checkpointTestHooks.beforeSnapshot = undefined;
        await gate; // a slow first checkpoint, for as long as the test wants
      };
      process.env.CHATGPT_CODEX_CHECKPOINT_WAIT_MS = "200";
      const late = await server.post("exec_command", { command: "printf 'changed\\n' > a.txt && rm -r b", wait_seconds: 30 });
      assert.equal(late.status, 409, late.text);
      const details = late.json.error.details;
      assert.equal(details.checkpoint_pending, true);
      assert.match(details.checkpoint, /^cp-\d+-[0-9a-f]{4}$/);
      assert.equal(treeState(ws), state, "the action did not run");
      // Another action meanwhile is answered the same way, naming the same checkpoint, and runs nothing.
      const again = await server.post("write_file", { path: "a.txt", content: "overwritten\n" });
      assert.equal(again.status, 409, again.text);
      assert.equal(again.json.error.details.checkpoint, details.checkpoint);
      assert.equal(treeState(ws), state);
      // A restore of the pending checkpoint waits for it (given the time to).
      process.env.CHATGPT_CODEX_CHECKPOINT_WAIT_MS = "60000";
      const restoring = server.post("restore_checkpoint", { id: details.checkpoint });
      setTimeout(release, 300);
      const restored = await restoring;
      assert.equal(restored.status, 200, restored.text);
      assert.deepEqual(restored.json.restored, []);
      // The call made again runs; restoring the pending checkpoint undoes it exactly.
      await sh(server, "printf 'changed\\n' > a.txt && rm -r b");
      assert.notEqual(treeState(ws), state);
      await ok(server, "restore_checkpoint", { id: details.checkpoint });
      assert.equal(treeState(ws), state);
      const list = await ok(server, "list_checkpoints", {});
      const pendingOne = list.checkpoints.find((c: { id: string }) => c.id === details.checkpoint);
      assert.equal(pendingOne.not_run, true);
    } finally {
      checkpointTestHooks.beforeSnapshot = undefined;
      if (saved === undefined) delete process.env.CHATGPT_CODEX_CHECKPOINT_WAIT_MS;
      else process.env.CHATGPT_CODEX_CHECKPOINT_WAIT_MS = saved;
      await maintenanceIdle();
      await server.close();
    }
  });
});
