/**
 * One server per config folder (API contract §14): the lock file. Racing claimers
 * (real processes) get exactly one winner; a stale lock (dead PID, a PID now used by
 * another process, garbage, a planted symlink) is taken over; a live holder is not.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { claimServerLock, isRunning, procStart, runningServer, serverLockFile, type ServerLockInfo } from "../../src/server/instanceLock.js";
import { tempDir, waitFor } from "../helpers.js";

const LOCK_MODULE = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "server", "instanceLock.js");
/** Above the largest PID Linux hands out (pid_max ≤ 2^22): never a running process. */
const NEVER_A_PID = 2 ** 22 + 12345;
const LINUX = process.platform === "linux";
const ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

/** A PID that existed a moment ago and has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

function plant(home: string, info: Partial<ServerLockInfo> & { pid: number }): string {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const text = `${JSON.stringify({ host: "127.0.0.1", port: 1, url: "http://127.0.0.1:1", started_at: "2020-01-01T00:00:00.000Z", ...info })}\n`;
  writeFileSync(serverLockFile(home), text, { mode: 0o600 });
  return text;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

interface Claimer {
  child: ChildProcess;
  result: Promise<{ pid: number; ok: boolean; running?: number }>;
}

/**
 * A process that claims the lock once `go` exists, reports, and keeps what it won
 * until its stdin closes: the winner is alive while every other claimer decides.
 */
function claimer(home: string, go: string, ready: string): Claimer {
  const code = `
    import { existsSync, writeFileSync } from "node:fs";
    const { claimServerLock } = await import(${JSON.stringify(LOCK_MODULE)});
    writeFileSync(${JSON.stringify(ready)} + "-" + process.pid, "");
    const until = Date.now() + 20000;
    while (!existsSync(${JSON.stringify(go)}) && Date.now() < until) {}
    const claim = claimServerLock(${JSON.stringify(home)});
    process.stdout.write(JSON.stringify({ pid: process.pid, ok: claim.ok, running: claim.ok ? undefined : claim.running.pid }) + "\\n");
    process.stdin.resume();
    process.stdin.on("end", () => process.exit(0));
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const result = waitFor(() => (out.includes("\n") ? JSON.parse(out) : undefined), "a claimer's answer", 30_000);
  return { child, result };
}

async function race(home: string, count: number): Promise<{ pid: number; ok: boolean; running?: number }[]> {
  const dir = tempDir("cgc-race-");
  const go = join(dir, "go");
  const ready = join(dir, "ready");
  const claimers = Array.from({ length: count }, () => claimer(home, go, ready));
  try {
    // Every claimer is up and spinning on the same signal before it is given.
    await waitFor(() => claimers.every((c) => c.child.pid !== undefined && existsSync(`${ready}-${c.child.pid}`)) || undefined, "all claimers ready", 30_000);
    writeFileSync(go, "");
    return await Promise.all(claimers.map((c) => c.result));
  } finally {
    for (const c of claimers) c.child.stdin!.end();
    await Promise.all(claimers.map((c) => new Promise((resolve) => (c.child.exitCode !== null ? resolve(null) : c.child.once("exit", resolve)))));
  }
}

describe("server lock", () => {
  it("is created 0600 with pid, port and url; update rewrites it whole; release removes it", () => {
    const home = join(tempDir(), "cfg");
    const claim = claimServerLock(home);
    assert.ok(claim.ok);
    const file = serverLockFile(home);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const first = JSON.parse(readFileSync(file, "utf8")) as ServerLockInfo;
    assert.equal(first.pid, process.pid);
    assert.equal(first.port, null, "no port before the server listens");
    claim.lock.update({ host: "127.0.0.1", port: 4321, url: "http://127.0.0.1:4321" });
    assert.deepEqual(runningServer(home), { ...first, host: "127.0.0.1", port: 4321, url: "http://127.0.0.1:4321" });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    claim.lock.release();
    assert.equal(existsSync(file), false);
    claim.lock.release();
  });

  it("a second claim while the holder runs is refused and names the holder", () => {
    const home = join(tempDir(), "cfg");
    const first = claimServerLock(home);
    assert.ok(first.ok);
    first.lock.update({ host: "127.0.0.1", port: 5555, url: "http://127.0.0.1:5555" });
    const second = claimServerLock(home);
    assert.equal(second.ok, false);
    assert.equal(!second.ok && second.running.pid, process.pid);
    assert.equal(!second.ok && second.running.port, 5555);
    first.lock.release();
    const third = claimServerLock(home);
    assert.ok(third.ok, "free again once released");
    third.lock.release();
  });

  it("does not remove or rewrite a lock that another server holds now", () => {
    const home = join(tempDir(), "cfg");
    const claim = claimServerLock(home);
    assert.ok(claim.ok);
    // Someone judged us stale and took over (as a server after a SIGKILL would).
    const theirs = plant(home, { pid: NEVER_A_PID, started_at: "2030-01-01T00:00:00.000Z" });
    claim.lock.update({ host: "127.0.0.1", port: 1234, url: "http://127.0.0.1:1234" });
    claim.lock.release();
    assert.equal(readFileSync(serverLockFile(home), "utf8"), theirs);
  });

  it("a stale lock whose PID has ended is taken over", () => {
    for (const pid of [deadPid(), NEVER_A_PID]) {
      const home = join(tempDir(), "cfg");
      plant(home, { pid });
      assert.equal(alive(pid), false, `precondition: pid ${pid} is not running`);
      assert.equal(runningServer(home), null, "a dead holder is not a running server");
      const claim = claimServerLock(home);
      assert.ok(claim.ok, `taken over from dead pid ${pid}`);
      assert.equal(runningServer(home)?.pid, process.pid);
      claim.lock.release();
    }
  });

  it("a lock whose PID now belongs to another process is taken over (the start time differs)", { skip: !LINUX && "needs /proc (Linux)" }, () => {
    const home = join(tempDir(), "cfg");
    // A live process (this one) but not the one that wrote the lock: its start time differs.
    const stranger: ServerLockInfo = { pid: process.pid, host: "", port: 9, url: "http://127.0.0.1:9", started_at: "2020-01-01T00:00:00.000Z", proc_start: "1" };
    assert.ok(alive(stranger.pid), "precondition: the PID is in use");
    assert.notEqual(procStart(process.pid), "1");
    assert.equal(isRunning(stranger), false);
    plant(home, stranger);
    const claim = claimServerLock(home);
    assert.ok(claim.ok);
    claim.lock.release();
  });

  it("a lock whose holder is a zombie (ended, not yet reaped) is taken over", { skip: !LINUX && "needs /proc (Linux)" }, async () => {
    // The short sleep ends after its parent has exec'd into a long sleep, which never reaps it.
    const parent = spawn("/bin/sh", ["-c", "sleep 0.2 & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      let out = "";
      parent.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
      const pid = Number(await waitFor(() => /^\d+\n/.exec(out)?.[0], "the background pid"));
      await waitFor(() => {
        try {
          return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z");
        } catch {
          return undefined;
        }
      }, "the zombie");
      assert.ok(alive(pid), "precondition: kill(pid, 0) still succeeds for a zombie");
      const home = join(tempDir(), "cfg");
      plant(home, { pid, proc_start: procStart(pid)! });
      const claim = claimServerLock(home);
      assert.ok(claim.ok);
      claim.lock.release();
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("a live holder with its own start time is not taken over", { skip: !LINUX && "needs /proc (Linux)" }, () => {
    const home = join(tempDir(), "cfg");
    const text = plant(home, { pid: process.pid, proc_start: procStart(process.pid)!, started_at: "2020-01-01T00:00:00.000Z" });
    const claim = claimServerLock(home);
    assert.equal(claim.ok, false);
    assert.equal(readFileSync(serverLockFile(home), "utf8"), text, "the holder's lock is untouched");
  });

  it("a garbage lock and a planted symlink are taken over without writing through the link", () => {
    const home = join(tempDir(), "cfg");
    mkdirSync(home, { recursive: true });
    writeFileSync(serverLockFile(home), "{not json");
    const claim = claimServerLock(home);
    assert.ok(claim.ok);
    claim.lock.release();

    const victim = join(tempDir(), "victim");
    writeFileSync(victim, "keep me\n");
    symlinkSync(victim, serverLockFile(home));
    assert.ok(lstatSync(serverLockFile(home)).isSymbolicLink(), "precondition: the lock path is a symlink to another file");
    const again = claimServerLock(home);
    assert.ok(again.ok);
    assert.equal(readFileSync(victim, "utf8"), "keep me\n", "the link target was not written");
    assert.ok(lstatSync(serverLockFile(home)).isFile() && !lstatSync(serverLockFile(home)).isSymbolicLink());
    again.lock.release();

    // A dangling link too (reading it says ENOENT, yet it is there).
    symlinkSync(join(tempDir(), "nowhere"), serverLockFile(home));
    const third = claimServerLock(home);
    assert.ok(third.ok);
    third.lock.release();
  });

  it("six processes claiming one free folder at once: exactly one wins, the others name it", async () => {
    const home = join(tempDir(), "cfg");
    const results = await race(home, 6);
    const winners = results.filter((r) => r.ok);
    assert.equal(winners.length, 1, JSON.stringify(results));
    for (const loser of results.filter((r) => !r.ok)) assert.equal(loser.running, winners[0]!.pid);
  });

  it("six processes taking over one stale lock at once: exactly one wins", async () => {
    const home = join(tempDir(), "cfg");
    plant(home, { pid: NEVER_A_PID });
    const results = await race(home, 6);
    const winners = results.filter((r) => r.ok);
    assert.equal(winners.length, 1, JSON.stringify(results));
    for (const loser of results.filter((r) => !r.ok)) assert.equal(loser.running, winners[0]!.pid);
  });

  it("as an unprivileged user: a root-owned live holder is respected (kill says EPERM), a dead one taken over", { skip: !ROOT && process.env.CI !== "true" && "needs root, to run a claimer as uid 65534" }, () => {
    assert.ok(ROOT, "CI runs this as root");
    assert.ok(LINUX, "setpriv is Linux");
    const root = tempDir("cgc-lock-nobody-");
    chmodSync(root, 0o777);
    const claimAsNobody = (home: string) => {
      const code = `const m = await import(${JSON.stringify(LOCK_MODULE)});
        let answer;
        try {
          const c = m.claimServerLock(${JSON.stringify(home)});
          answer = { ok: c.ok, running: c.ok ? null : c.running.pid, uid: process.getuid() };
        } catch (error) {
          answer = { error: error.name, uid: process.getuid() };
        }
        process.stdout.write(JSON.stringify(answer));`;
      const run = spawnSync("setpriv", ["--reuid", String(NOBODY), "--regid", String(NOBODY), "--clear-groups", process.execPath, "--input-type=module", "-e", code], { encoding: "utf8" });
      assert.equal(run.status, 0, run.stderr);
      return JSON.parse(run.stdout) as { ok?: boolean; running?: number | null; error?: string; uid: number };
    };
    // The holder: this root process, alive and with its own start time; the folder is open to the claimer.
    const held = join(root, "held");
    mkdirSync(held, { mode: 0o777 });
    chmodSync(held, 0o777);
    const text = plant(held, { pid: process.pid, proc_start: procStart(process.pid)! });
    chmodSync(serverLockFile(held), 0o644);
    const refused = claimAsNobody(held);
    assert.equal(refused.uid, NOBODY, "precondition: the claimer is unprivileged");
    assert.deepEqual([refused.ok, refused.running], [false, process.pid]);
    assert.equal(readFileSync(serverLockFile(held), "utf8"), text, "the root holder's lock is untouched");

    // A lock it may not read (0600, root's) is another user's: not taken over.
    chmodSync(serverLockFile(held), 0o600);
    const unreadable = claimAsNobody(held);
    assert.deepEqual(unreadable, { error: "LockUnreadable", uid: NOBODY });
    assert.equal(readFileSync(serverLockFile(held), "utf8"), text);

    const stale = join(root, "stale");
    mkdirSync(stale, { mode: 0o777 });
    chmodSync(stale, 0o777);
    plant(stale, { pid: NEVER_A_PID });
    chmodSync(serverLockFile(stale), 0o644);
    const taken = claimAsNobody(stale);
    assert.equal(taken.ok, true);
    assert.equal(statSync(serverLockFile(stale)).uid, NOBODY, "the new lock is the unprivileged claimer's");
  });
});
