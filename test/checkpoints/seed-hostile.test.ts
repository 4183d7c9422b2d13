/**
 * The first checkpoint of a git workspace reads the workspace's `.git` (its
 * index, its objects). That folder is hostile ground: a command of an earlier
 * session, another workspace's command or an unpacked archive may have put
 * anything there before the first checkpoint. These tests plant such content
 * and check that the checkpoint still holds exactly the files on disk, can be
 * restored, and reads nothing outside the workspace.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { maintenanceIdle } from "../../src/checkpoints/hook.js";
import { parseIndex } from "../../src/checkpoints/seed.js";
import { checkpointTestHooks, CheckpointStore, DEFAULT_SETTINGS } from "../../src/checkpoints/store.js";
import { shadowGit } from "../../src/checkpoints/shadowGit.js";
import { makeHome, startServer, tempDir } from "../helpers.js";
import { committedRepo, git, gitInit, makeTree } from "../files-helpers.js";
import { ok, treeState, withServer } from "./cp-helpers.js";

function blobId(content: string): string {
  const bytes = Buffer.from(content);
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/** A version 2 index of `entries` (stat data zero, so git hashes every file to compare), with `extensions` after them. */
function craftIndex(entries: { path: string; oid: string; mode?: number; nameLength?: number }[], extensions: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(12);
  head.write("DIRC", 0, "latin1");
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(entries.length, 8);
  const parts: Buffer[] = [head];
  for (const e of entries) {
    const name = Buffer.from(e.path, "utf8");
    const entry = Buffer.alloc((62 + name.length + 8) & ~7);
    entry.writeUInt32BE(e.mode ?? 0o100644, 24);
    Buffer.from(e.oid, "hex").copy(entry, 40);
    entry.writeUInt16BE(e.nameLength ?? name.length, 60);
    name.copy(entry, 62);
    parts.push(entry);
  }
  parts.push(extensions);
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash("sha1").update(body).digest()]);
}

/** A TREE extension with only the top record, claiming `tree` for `entries` index entries. */
function cacheTreeClaiming(tree: string, entries: number): Buffer {
  const data = Buffer.concat([Buffer.from(`\0${entries} 0\n`, "latin1"), Buffer.from(tree, "hex")]);
  const head = Buffer.alloc(8);
  head.write("TREE", 0, "latin1");
  head.writeUInt32BE(data.length, 4);
  return Buffer.concat([head, data]);
}

/** A workspace repository with a.txt committed (its objects in a pack), and the folder around it. */
function repo(): { root: string; ws: string } {
  const root = tempDir();
  const ws = join(root, "ws");
  mkdirSync(ws);
  committedRepo(ws, { "a.txt": "good\n", "src/b.txt": "b\n" }, false);
  return { root, ws };
}

/** The one store under a config home. */
function storeDir(home: string): string {
  const names = readdirSync(join(home, "checkpoints")).filter((n) => /^[0-9a-f]{16}$/.test(n));
  assert.equal(names.length, 1);
  return join(home, "checkpoints", names[0]!);
}

/** Whether the store holds an object (in its own object folder, not through the user's). */
function storeHas(home: string, oid: string): boolean {
  const out = spawnSync("git", ["--git-dir", join(storeDir(home), "git"), "cat-file", "-e", oid], { env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" } });
  return out.status === 0;
}

/** The first checkpoint of `ws` in a child process that is killed (SIGKILL, nothing runs after it) once the seeded index is in place. */
function killedOnceSeedPlaced(home: string, ws: string): void {
  const script = `
    const { CheckpointStore, DEFAULT_SETTINGS, checkpointTestHooks } = await import(${JSON.stringify(new URL("../../src/checkpoints/store.js", import.meta.url).href)});
    checkpointTestHooks.seedIndexPlaced = () => process.kill(process.pid, "SIGKILL");
    const store = new CheckpointStore(${JSON.stringify(home)}, ${JSON.stringify(ws)}, DEFAULT_SETTINGS);
    await store.locked(() => store.checkpoint("exec_command", "killed"));`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  assert.equal(run.signal, "SIGKILL", run.stderr);
}

describe("checkpoints: a hostile .git before the first checkpoint", () => {
  it("an index entry `../outside.txt` is not read (the file beside the workspace never enters the store) and the checkpoint restores exactly", async () => {
    const fixture = makeHome();
    rmSync(fixture.workspace, { recursive: true });
    const { root, ws } = repo();
    renameSync(ws, fixture.workspace);
    const outside = join(fixture.workspace, "..", "outside.txt");
    writeFileSync(outside, "secret beside the workspace\n");
    rmSync(root, { recursive: true });
    const work = fixture.workspace;
    writeFileSync(
      join(work, ".git", "index"),
      craftIndex([
        { path: "../outside.txt", oid: blobId("something else\n") },
        { path: "a.txt", oid: blobId("good\n") },
        { path: "src/b.txt", oid: blobId("b\n") },
      ]),
    );
    const server = await startServer(fixture);
    try {
      const state = treeState(work);
      const first = (await ok(server, "write_file", { path: "a.txt", content: "changed\n" })).checkpoint;
      await maintenanceIdle();
      assert.equal(storeHas(fixture.home, blobId("secret beside the workspace\n")), false, "the file outside the workspace was read into the store");
      await ok(server, "restore_checkpoint", { id: first });
      assert.equal(treeState(work), state);
      assert.equal(readFileSync(outside, "utf8"), "secret beside the workspace\n");
    } finally {
      await maintenanceIdle();
      await server.close();
    }
  });

  it("a cache-tree that names another tree than its entries make is not trusted: the checkpoint holds the files on disk", async () => {
    await withServer(async (server) => {
      const ws = server.workspace;
      gitInit(ws);
      makeTree(ws, { "a.txt": "good\n" });
      git(ws, "add", "-A");
      const evilBlob = spawnSync("git", ["hash-object", "-w", "--stdin"], { cwd: ws, input: "evil\n", encoding: "utf8" }).stdout.trim();
      const evilTree = spawnSync("git", ["mktree"], { cwd: ws, input: `100644 blob ${evilBlob}\ta.txt\n`, encoding: "utf8" }).stdout.trim();
      assert.match(evilTree, /^[0-9a-f]{40}$/);
      writeFileSync(join(ws, ".git", "index"), craftIndex([{ path: "a.txt", oid: blobId("good\n") }], cacheTreeClaiming(evilTree, 1)));
      const state = treeState(ws);
      const first = (await ok(server, "write_file", { path: "a.txt", content: "changed\n" })).checkpoint;
      await ok(server, "restore_checkpoint", { id: first });
      assert.equal(readFileSync(join(ws, "a.txt"), "utf8"), "good\n", "the restore wrote the bytes of the tree the cache-tree named");
      assert.equal(treeState(ws), state);
    });
  });

  it("an index entry whose object the repository lacks does not make the checkpoint unrestorable", async () => {
    await withServer(async (server) => {
      const ws = server.workspace;
      gitInit(ws);
      makeTree(ws, { "a.txt": "good\n", "keep.txt": "keep\n" });
      git(ws, "add", "-A");
      const oid = blobId("good\n");
      rmSync(join(ws, ".git", "objects", oid.slice(0, 2), oid.slice(2)), { force: true });
      const state = treeState(ws);
      const first = (await ok(server, "write_file", { path: "a.txt", content: "changed\n" })).checkpoint;
      await maintenanceIdle();
      await ok(server, "restore_checkpoint", { id: first });
      assert.equal(treeState(ws), state);
    });
  });

  it("git and the seed read an index the same way: a name shorter in its flags than up to its NUL is refused", () => {
    const { ws } = repo();
    // The name bytes say "..a" up to the NUL; the flags say 2 bytes, and git's trees go by the flags: an entry "..".
    const bytes = craftIndex([{ path: "..a", oid: blobId("good\n"), nameLength: 2 }]);
    writeFileSync(join(ws, ".git", "index"), bytes);
    const tree = git(ws, "write-tree", "--missing-ok").trim();
    const gitWrites = git(ws, "ls-tree", "-r", "-z", "--name-only", tree).split("\0").filter(Boolean);
    assert.deepEqual(gitWrites, [".."]);
    const parsed = parseIndex(bytes);
    if (parsed) assert.deepEqual(parsed.entries.map((e) => e.path), gitWrites, "the seed checks other paths than git's trees hold");
  });

  it("entries git would never write are refused: out of order, twice, a `.git` part in any case, an empty part, a leading slash", () => {
    const oid = blobId("good\n");
    const index = (...paths: string[]) => parseIndex(craftIndex(paths.map((path) => ({ path, oid }))));
    assert.ok(index("a.txt", "b/c.txt"), "the same entries in git's form are read");
    for (const paths of [["b/c.txt", "a.txt"], ["a.txt", "a.txt"], [".git/config"], ["src/.GIT/hooks/pre-commit"], ["a//b"], ["/etc/passwd"], ["a/./b"]]) {
      assert.equal(index(...paths), null, JSON.stringify(paths));
    }
  });

  it("a cache-tree that counts more entries under a folder than it holds is refused (git would skip the next files when it writes a tree)", async () => {
    const ws = join(tempDir(), "ws");
    mkdirSync(ws);
    committedRepo(ws, { "a/x.txt": "x\n", "b.txt": "b\n", "c.txt": "c\n" }, false);
    const file = join(ws, ".git", "index");
    const honest = readFileSync(file);
    assert.ok(parseIndex(honest)?.rootTree, "git's own index, with its cache-tree, is read");
    // The record of folder `a` says 3 entries instead of 1; its tree id stays right.
    const record = Buffer.from("a\u00001 0\n", "latin1");
    const at = honest.indexOf(record, honest.indexOf("TREE"));
    assert.ok(at > 0, "the cache-tree has a record for folder a");
    const body = Buffer.from(honest.subarray(0, honest.length - 20));
    body.write("3", at + 2, "latin1");
    const lying = Buffer.concat([body, createHash("sha1").update(body).digest()]);
    assert.equal(parseIndex(lying), null);
    // Through the server: the second checkpoint (after a change to b.txt) still holds b.txt and c.txt.
    writeFileSync(file, lying);
    const fixture = makeHome({ workspace: ws });
    await withServer(async (server) => {
      await ok(server, "write_file", { path: "b.txt", content: "changed\n" });
      const second = (await ok(server, "write_file", { path: "c.txt", content: "changed too\n" })).checkpoint;
      await ok(server, "restore_checkpoint", { id: second });
      assert.equal(readFileSync(join(ws, "b.txt"), "utf8"), "changed\n");
      assert.equal(readFileSync(join(ws, "c.txt"), "utf8"), "c\n");
      assert.equal(readFileSync(join(ws, "a", "x.txt"), "utf8"), "x\n");
    }, fixture);
  });

  it("a FIFO where git keeps its config or its index does not block the server (the checkpoint starts from nothing)", () => {
    for (const name of ["config", "index", "commondir"]) {
      const { root, ws } = repo();
      rmSync(join(ws, ".git", name), { force: true });
      assert.equal(spawnSync("mkfifo", [join(ws, ".git", name)]).status, 0);
      // In a child process, bounded: a blocked event loop there cannot hang the tests.
      const script = `
        const { CheckpointStore, DEFAULT_SETTINGS } = await import(${JSON.stringify(new URL("../../src/checkpoints/store.js", import.meta.url).href)});
        const store = new CheckpointStore(${JSON.stringify(join(root, "home"))}, ${JSON.stringify(ws)}, DEFAULT_SETTINGS);
        const record = await store.locked(() => store.checkpoint("exec_command", "first"));
        process.stdout.write(record.tree);`;
      const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
      assert.equal(run.signal, null, `${name} as a FIFO: the first checkpoint blocked`);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /^[0-9a-f]{40}$/);
    }
  });

  it("an index the seed refuses stops the listing of ignored files it had started (held by a FIFO behind a symlinked folder): the checkpoint is from nothing, no copy is left", () => {
    const { root, ws } = repo();
    const outside = join(root, "outside");
    mkdirSync(outside);
    assert.equal(spawnSync("mkfifo", [join(outside, ".gitignore")]).status, 0);
    makeTree(ws, { "lnk/x.txt": "x\n" });
    git(ws, "add", "-A");
    rmSync(join(ws, "lnk"), { recursive: true });
    symlinkSync(outside, join(ws, "lnk"));
    // Git takes this index (a cache-tree is only a cache); the seed refuses it: its top tree is not the one its entries make.
    const entries = [
      { path: "a.txt", oid: blobId("good\n") },
      { path: "lnk/x.txt", oid: blobId("x\n") },
      { path: "src/b.txt", oid: blobId("b\n") },
    ];
    writeFileSync(join(ws, ".git", "index"), craftIndex(entries, cacheTreeClaiming("4b825dc642cb6eb9a060e54bf8d69288fbee4904", 3)));
    assert.equal(parseIndex(readFileSync(join(ws, ".git", "index"))), null);
    assert.match(git(ws, "ls-files", "-s"), /lnk\/x\.txt/, "git reads the index");
    // In a child process, bounded well below the listing's own 30 s: the checkpoint must not wait for the listing.
    const script = `
      const { CheckpointStore, DEFAULT_SETTINGS } = await import(${JSON.stringify(new URL("../../src/checkpoints/store.js", import.meta.url).href)});
      const { shadowGit } = await import(${JSON.stringify(new URL("../../src/checkpoints/shadowGit.js", import.meta.url).href)});
      const { readdirSync } = await import("node:fs");
      const store = new CheckpointStore(${JSON.stringify(join(root, "home"))}, ${JSON.stringify(ws)}, DEFAULT_SETTINGS);
      const record = await store.locked(() => store.checkpoint("exec_command", "first"));
      const files = (await shadowGit(store.paths, ["ls-tree", "-r", "--name-only", "--full-tree", record.tree])).stdout.toString().trim().split("\\n");
      process.stdout.write(JSON.stringify({ files, left: readdirSync(store.paths.dir).filter((name) => name.startsWith("index.")) }));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
    assert.equal(run.signal, null, "the first checkpoint waited for the listing");
    assert.equal(run.status, 0, run.stderr);
    const answer = JSON.parse(run.stdout) as { files: string[]; left: string[] };
    assert.deepEqual(answer.files, ["a.txt", "lnk", "src/b.txt"]);
    assert.deepEqual(answer.left, [], "no copy of the user's index is left beside the store's own");
  });

  it("a server killed right after the seeded index was put in place leaves a store that still takes and restores checkpoints", async () => {
    const { root, ws } = repo();
    makeTree(ws, { "a.txt": "changed since the commit\n", "new.txt": "new\n" });
    const home = join(root, "home");
    const state = treeState(ws);
    killedOnceSeedPlaced(home, ws);
    const store = new CheckpointStore(home, ws, DEFAULT_SETTINGS);
    assert.ok(existsSync(store.paths.indexFile), "killed with the seeded index in place");
    const record = await store.locked(() => store.checkpoint("exec_command", "after the restart"));
    makeTree(ws, { "a.txt": "damaged\n" });
    rmSync(join(ws, "src"), { recursive: true });
    const current = await store.locked(() => store.snapshot());
    const { restoreTree } = await import("../../src/checkpoints/restore.js");
    await store.locked(() => restoreTree(store, current.tree, record.tree, { paths: [], dryRun: false, forbidden: store.forbidden }));
    assert.equal(treeState(ws), state);
  });

  it("a server killed right after the seeded index was put in place: tracked files .gitignore covers still stay out, as from nothing", async () => {
    const root = tempDir();
    const ws = join(root, "ws");
    mkdirSync(ws);
    committedRepo(ws, { ".gitignore": "*.log\n", "a.txt": "a\n", "forced.log": "tracked although ignored\n" }, false);
    git(ws, "add", "-f", "forced.log");
    git(ws, "commit", "-q", "-m", "forced");
    const home = join(root, "home");
    killedOnceSeedPlaced(home, ws);
    const store = new CheckpointStore(home, ws, DEFAULT_SETTINGS);
    const record = await store.locked(() => store.checkpoint("exec_command", "after the restart"));
    const plain = new CheckpointStore(join(root, "home-plain"), ws, DEFAULT_SETTINGS);
    plain.seedFromUserIndex = false;
    const fromNothing = await plain.locked(() => plain.checkpoint("exec_command", "from nothing"));
    assert.equal(record.tree, fromNothing.tree);
    const listing = (await shadowGit(store.paths, ["ls-tree", "-r", "--name-only", "--full-tree", record.tree])).stdout.toString("utf8");
    assert.deepEqual(listing.trim().split("\n"), [".gitignore", "a.txt"]);
  });

  it("what a process stopped during a first checkpoint left (copies of the user's index, a borrowing folder the store does not use) is removed at the next lock", async () => {
    const { root, ws } = repo();
    const store = new CheckpointStore(join(root, "home"), ws, DEFAULT_SETTINGS);
    await store.locked(() => store.checkpoint("exec_command", "first"));
    await store.locked(() => store.ownObjects());
    assert.equal(store.isBorrowing(), false);
    const leftovers = [`${store.paths.indexFile}.seed`, `${store.paths.indexFile}.ignored`, join(store.paths.dir, "borrow", "lookup-out")];
    mkdirSync(join(store.paths.dir, "borrow"), { recursive: true });
    for (const file of leftovers) writeFileSync(file, "left by a killed process\n");
    await store.locked(async () => undefined);
    for (const file of leftovers) assert.equal(existsSync(file), false, `${file} removed`);
    assert.equal(existsSync(join(store.paths.dir, "borrow")), false);
    assert.ok(existsSync(store.paths.indexFile), "the store's own index stays");
  });

  it("the lock files a killed shadow git left (index, HEAD, packed-refs, a ref) are removed at the next lock, so checkpoints and their housekeeping go on", async () => {
    const { root, ws } = repo();
    const store = new CheckpointStore(join(root, "home"), ws, DEFAULT_SETTINGS);
    await store.locked(() => store.checkpoint("exec_command", "first"));
    const gitDir = store.paths.gitDir;
    mkdirSync(join(gitDir, "refs", "cp"), { recursive: true });
    const locks = [`${store.paths.indexFile}.lock`, join(gitDir, "HEAD.lock"), join(gitDir, "packed-refs.lock"), join(gitDir, "refs", "cp", "0123.lock")];
    for (const file of locks) writeFileSync(file, "");
    writeFileSync(join(ws, "a.txt"), "changed\n");
    const second = await store.locked(() => store.checkpoint("exec_command", "second"));
    for (const file of locks) assert.equal(existsSync(file), false, `${file} removed`);
    await store.locked(() => store.maintain());
    const listing = (await shadowGit(store.paths, ["ls-tree", "-r", "--full-tree", second.tree])).stdout.toString("utf8");
    assert.match(listing, /\ta\.txt\n/);
  });

  it("a folder swapped for a symlink between the listing of a few changed files and the read of their bytes brings nothing from outside into the store", async () => {
    const outside = realpathSync(tempDir());
    writeFileSync(join(outside, "f.txt"), "SECRET from outside the workspace\n");
    const ws = realpathSync(tempDir());
    makeTree(ws, { "d/f.txt": "inside\n", "top.txt": "top\n" });
    const store = new CheckpointStore(realpathSync(tempDir()), ws, DEFAULT_SETTINGS);
    await store.locked(() => store.checkpoint("write_file", "first"));
    writeFileSync(join(ws, "d/f.txt"), "inside, changed\n");
    // What a job still running could do right after the listing: d is now a link to a folder outside.
    checkpointTestHooks.beforeReadEntries = () => {
      renameSync(join(ws, "d"), join(ws, "d.moved"));
      symlinkSync(outside, join(ws, "d"));
    };
    let tree: string;
    try {
      tree = (await store.locked(() => store.checkpoint("write_file", "second"))).tree;
    } finally {
      delete checkpointTestHooks.beforeReadEntries;
    }
    const listing = (await shadowGit(store.paths, ["ls-tree", "-r", "--full-tree", tree])).stdout.toString("utf8");
    for (const row of listing.trim().split("\n")) {
      const [meta, path] = row.split("\t");
      const oid = meta!.split(" ")[2]!;
      const bytes = (await shadowGit(store.paths, ["cat-file", "-p", oid])).stdout.toString("utf8");
      assert.ok(!bytes.includes("SECRET"), `${path} holds bytes from outside: ${listing}`);
    }
  });

  it("a background copy that read the user's objects after a command's own copy ended the borrowing is thrown away, never taken into the store", async () => {
    const ws = realpathSync(tempDir());
    committedRepo(ws, { "a.txt": "original a\n", "src/b.ts": "export const b = 1;\n".repeat(40) });
    const store = new CheckpointStore(realpathSync(tempDir()), ws, DEFAULT_SETTINGS);
    const first = await store.locked(() => store.checkpoint("write_file", "first"));
    assert.equal(store.isBorrowing(), true, "the first checkpoint borrows the user's objects");
    // While the background copy runs, a command's checkpoint makes its own copy (ending the borrowing) and the
    // command then rewrites the user's pack in place: what the background copy read is no longer to be trusted.
    // Here the pack it wrote stands for that: zeroed after its header.
    checkpointTestHooks.afterBackgroundCopy = async (folder) => {
      await store.locked(() => store.ownObjects());
      for (const name of readdirSync(folder).filter((n) => n.endsWith(".pack"))) {
        const bytes = readFileSync(join(folder, name));
        bytes.fill(0, 12);
        writeFileSync(join(folder, name), bytes);
      }
    };
    try {
      await store.ownObjectsInBackground();
    } finally {
      delete checkpointTestHooks.afterBackgroundCopy;
    }
    assert.equal(store.isBorrowing(), false);
    const listing = (await shadowGit(store.paths, ["ls-tree", "-r", "--full-tree", first.tree])).stdout.toString("utf8").trim().split("\n");
    const contents = new Map<string, string>();
    for (const row of listing) {
      const [meta, path] = row.split("\t");
      contents.set(path!, (await shadowGit(store.paths, ["cat-file", "-p", meta!.split(" ")[2]!])).stdout.toString("utf8"));
    }
    assert.deepEqual(Object.fromEntries(contents), { "a.txt": "original a\n", "src/b.ts": "export const b = 1;\n".repeat(40) });
  });
});
