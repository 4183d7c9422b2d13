/**
 * A FIFO where git reads its ignore or attribute rules, made by a command in
 * the workspace. Git opens those files without looking at their type, so a
 * FIFO there held every later checkpoint until git's timeout (120 s a try).
 * Each checkpoint runs in a child process group with a time limit well below
 * that, and the group is killed at the end, whatever happened.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { checkFifoWait } from "../../src/checkpoints/fifoWatch.js";
import { checkpointTestHooks } from "../../src/checkpoints/store.js";
import { startServer, tempDir, waitFor } from "../helpers.js";
import { committedRepo, makeTree } from "../files-helpers.js";

const LINUX = process.platform === "linux";
/** Yama's ptrace_scope (absent: 0). At 2 or more a parent may not read its child's memory, where the open path is read. */
function ptraceScope(): number {
  try {
    return Number(readFileSync("/proc/sys/kernel/yama/ptrace_scope", "utf8").trim());
  } catch {
    return 0;
  }
}
const needsLinux =
  process.env.CI !== "true" &&
  ((!LINUX && "needs Linux (a running git is looked at through /proc)") ||
    (ptraceScope() >= 2 && "needs kernel.yama.ptrace_scope 0 or 1 (the path a git waits to open is read from its memory)"));
const STORE = new URL("../../src/checkpoints/store.js", import.meta.url).href;
const SHADOW = new URL("../../src/checkpoints/shadowGit.js", import.meta.url).href;
/** Well below git's own timeout (120 s): past it, the checkpoint waited for the FIFO. */
const LIMIT_MS = 30_000;

interface Taken {
  /** How many times the work tree was listed (snapshot attempts). */
  listings: number;
  files?: string[];
  skipped?: string[];
  code?: string;
  message?: string;
  hint?: string;
}

/** One checkpoint of `ws` (into `home`) in a child process group, killed after LIMIT_MS; what it took or the error. */
function checkpointInChild(home: string, ws: string, options: { longWay?: boolean } = {}): Promise<Taken> {
  const script = `
    const { CheckpointStore, DEFAULT_SETTINGS, checkpointTestHooks } = await import(${JSON.stringify(STORE)});
    const { shadowGit } = await import(${JSON.stringify(SHADOW)});
    if (${options.longWay === true}) checkpointTestHooks.fastPaths = 0;
    let listings = 0;
    checkpointTestHooks.beforeSnapshot = async () => void listings++;
    const store = new CheckpointStore(${JSON.stringify(home)}, ${JSON.stringify(ws)}, DEFAULT_SETTINGS);
    let answer;
    try {
      const taken = await store.locked(() => store.checkpoint("exec_command", "first"));
      const files = (await shadowGit(store.paths, ["ls-tree", "-r", "--name-only", "--full-tree", taken.tree])).stdout.toString().trim().split("\\n");
      answer = { listings, files, skipped: taken.skipped.map((s) => s.path + ":" + s.reason) };
    } catch (error) {
      answer = { listings, code: error.code, message: error.message, hint: error.hint };
    }
    process.stdout.write(JSON.stringify(answer));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => killGroup(child), LIMIT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      killGroup(child); // a git left behind, too
      if (signal !== null) return reject(new Error(`the checkpoint was still waiting after ${LIMIT_MS / 1000} s (a FIFO held it)`));
      if (code !== 0) return reject(new Error(`exit ${code}: ${err}`));
      resolve(JSON.parse(out) as Taken);
    });
  });
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // already gone
  }
}

function mkfifo(path: string): void {
  assert.equal(spawnSync("mkfifo", [path]).status, 0, `mkfifo ${path}`);
}

/** A process that holds the FIFO open for reading and writing (so an open of it never waits) and writes nothing. */
function holdOpen(path: string): ChildProcess {
  return spawn("sh", ["-c", 'exec 3<>"$1"; exec sleep 60', "sh", path], { detached: true, stdio: "ignore" });
}

describe("checkpoints: a FIFO where git reads its rules does not hold them", { skip: needsLinux }, () => {
  it("a FIFO named .gitignore in a folder: git reads it as empty, the checkpoint is taken, and the FIFO is not stored", async () => {
    const root = tempDir();
    const ws = join(root, "ws");
    makeTree(ws, { "a.txt": "a\n", "sub/b.txt": "b\n", "sub/x.log": "kept: no rule names it\n" });
    mkfifo(join(ws, "sub", ".gitignore"));
    const taken = await checkpointInChild(join(root, "home"), ws);
    assert.deepEqual(taken.files, ["a.txt", "sub/b.txt", "sub/x.log"], JSON.stringify(taken));
  });

  it("a FIFO named .gitattributes, read while many files are stored the long way, is opened for git as well", async () => {
    const root = tempDir();
    const ws = join(root, "ws");
    makeTree(ws, { "a.txt": "a\n", "sub/b.txt": "b\n" });
    mkfifo(join(ws, "sub", ".gitattributes"));
    const taken = await checkpointInChild(join(root, "home"), ws, { longWay: true });
    assert.deepEqual(taken.files, ["a.txt", "sub/b.txt"], JSON.stringify(taken));
  });

  it("a first checkpoint of a git workspace whose tracked .gitignore is now a FIFO (the seed lists ignored files through it)", async () => {
    const root = tempDir();
    const ws = join(root, "ws");
    mkdirSync(ws);
    committedRepo(ws, { ".gitignore": "*.log\n", "a.txt": "a\n", "sub/.gitignore": "*.tmp\n", "sub/b.txt": "b\n" }, false);
    rmSync(join(ws, "sub", ".gitignore"));
    mkfifo(join(ws, "sub", ".gitignore"));
    const taken = await checkpointInChild(join(root, "home"), ws);
    assert.deepEqual(taken.files, [".gitignore", "a.txt", "sub/b.txt"], JSON.stringify(taken));
  });

  it("a FIFO another process holds open, read while files are stored: the checkpoint fails at once with CONFLICT naming it, and works once it is gone", async () => {
    const root = tempDir();
    const ws = join(root, "ws");
    // A folder name a command chose: the answer must not hand it back as a shell command.
    makeTree(ws, { "a.txt": "a\n", "it's/b.txt": "b\n" });
    const fifo = join(ws, "it's", ".gitattributes");
    mkfifo(fifo);
    const holder = holdOpen(fifo);
    try {
      const refused = await checkpointInChild(join(root, "home"), ws, { longWay: true });
      assert.equal(refused.code, "CONFLICT", JSON.stringify(refused));
      assert.equal(refused.message?.startsWith(`"it's/.gitattributes" in the workspace is a FIFO`), true, refused.message);
      assert.equal(refused.hint, "Remove that FIFO, or stop the command that holds it open (list_commands, kill_command), then try again.");
      assert.equal(refused.listings, 1, "not listed again: the FIFO is still there a moment later, and the action's wait is short");
    } finally {
      killGroup(holder);
    }
    rmSync(fifo);
    const taken = await checkpointInChild(join(root, "home"), ws, { longWay: true });
    assert.deepEqual(taken.files, ["a.txt", "it's/b.txt"], JSON.stringify(taken));
  });

  it("only a git file in the work tree is opened: not a FIFO behind a symlinked folder that leads outside, not another file", async () => {
    const root = tempDir();
    const ws = join(root, "ws");
    const outside = join(root, "outside");
    mkdirSync(join(ws, "sub"), { recursive: true });
    mkdirSync(outside);
    symlinkSync(outside, join(ws, "lnk"));
    for (const fifo of [join(outside, ".gitignore"), join(ws, "sub", "data.pipe"), join(ws, "sub", ".gitignore")]) mkfifo(fifo);
    // Readers waiting to open each FIFO, as git would: one that gets an end of file exits.
    const readers = ["lnk/.gitignore", "sub/data.pipe", "sub/.gitignore"].map((path) => spawn("cat", [path], { cwd: ws, detached: true, stdio: "ignore" }));
    try {
      for (const reader of readers) {
        await waitFor(() => readFileSync(`/proc/${reader.pid}/wchan`, "utf8").trim() === "wait_for_partner", "the reader waits for a writer");
      }
      const seen = readers.map((reader) => checkFifoWait(reader.pid!, ws));
      assert.deepEqual(seen.map((s) => s.unblocked), [[], [], ["sub/.gitignore"]]);
      await waitFor(() => readers[2]!.exitCode !== null, "the reader of sub/.gitignore read an end of file");
      assert.equal(readers[2]!.exitCode, 0);
      // The kernel's own word: still waiting in open() for a writer.
      const waiting = (reader: ChildProcess) => readFileSync(`/proc/${reader.pid}/wchan`, "utf8").trim();
      assert.equal(waiting(readers[0]!), "wait_for_partner", "the FIFO outside was not opened");
      assert.equal(waiting(readers[1]!), "wait_for_partner", "a FIFO that is not a git file was not opened");
    } finally {
      for (const reader of readers) killGroup(reader);
    }
  });

  it("over HTTP: a write whose checkpoint meets a FIFO held open is answered 409 CONFLICT naming it, and nothing is written", async () => {
    const server = await startServer();
    const fifo = join(server.workspace, "sub", ".gitattributes");
    makeTree(server.workspace, { "sub/b.txt": "b\n" });
    mkfifo(fifo);
    const holder = holdOpen(fifo);
    checkpointTestHooks.fastPaths = 0; // the long way: update-index reads the attributes
    try {
      const answer = await server.post("write_file", { path: "new.txt", content: "not yet\n" });
      assert.equal(answer.status, 409, answer.text);
      assert.equal(answer.json.error.code, "CONFLICT");
      assert.match(answer.json.error.message, /^"sub\/\.gitattributes" in the workspace is a FIFO/);
      assert.match(answer.json.error.hint, /^Remove that FIFO/);
      assert.throws(() => readFileSync(join(server.workspace, "new.txt")), /ENOENT/, "the write waits for its checkpoint");
    } finally {
      checkpointTestHooks.fastPaths = undefined;
      killGroup(holder);
      await server.close();
    }
  });
});
