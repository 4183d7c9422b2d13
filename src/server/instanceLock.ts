import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../fs/atomic.js";

/**
 * One server per config folder (API contract §14). Two servers on one folder clobber
 * each other's state (dashboard record, tunnel URL, checkpoints) and the CLI cannot
 * tell which one it talks to. The lock file says who holds the folder and where it
 * listens; every CLI command that looks for the running server reads it.
 */
export interface ServerLockInfo {
  pid: number;
  host: string;
  /** null while the server is still starting (before it listens). */
  port: number | null;
  url: string | null;
  started_at: string;
  /**
   * Linux: the holder's start time (/proc/<pid>/stat field 22). A PID is reused after a
   * crash or reboot; the start time tells a stranger holding it from the server that wrote this.
   */
  proc_start?: string;
}

export function serverLockFile(home: string): string {
  return join(home, "server.lock");
}

export type Claim = { ok: true; lock: ServerLock } | { ok: false; running: ServerLockInfo };

/** The lock this process holds; `update` once it listens, `release` when it stops. */
export class ServerLock {
  private info: ServerLockInfo;

  constructor(
    readonly file: string,
    info: ServerLockInfo,
  ) {
    this.info = info;
  }

  /** Record where the server listens (the lock is replaced whole: readers never see half of it). */
  update(where: { host: string; port: number; url: string }): void {
    if (!this.mine()) return;
    this.info = { ...this.info, ...where };
    writeFileAtomicSync(this.file, serialize(this.info), 0o600);
  }

  /** Remove the lock if it is still ours. Safe to call more than once. */
  release(): void {
    if (!this.mine()) return;
    try {
      unlinkSync(this.file);
    } catch {
      // already gone
    }
  }

  private mine(): boolean {
    let current: ReturnType<typeof readLock>;
    try {
      current = readLock(this.file);
    } catch {
      return false;
    }
    return current !== "missing" && current !== null && current.pid === this.info.pid && current.started_at === this.info.started_at;
  }
}

/**
 * Take the config folder's server lock, or say who holds it. A lock whose holder is
 * gone (dead PID, or a PID now used by another process) is taken over.
 *
 * Creation is exclusive and whole: the content is written to a private temp file and
 * hard-linked into place, which fails if the lock exists, so two servers starting at
 * once cannot both win and a reader never sees an empty lock. Only the holder of a
 * second exclusive file (the takeover guard) may remove a stale lock, after checking it
 * is still the one judged stale: nobody else can replace an existing lock, so two
 * servers taking over one stale lock cannot both win either.
 */
export function claimServerLock(home: string, now = new Date()): Claim {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const file = serverLockFile(home);
  const info: ServerLockInfo = { pid: process.pid, host: "", port: null, url: null, started_at: now.toISOString(), ...procStartField(process.pid) };
  const text = serialize(info);
  for (let round = 0; round < 500; round++) {
    if (createExclusive(file, text)) return { ok: true, lock: new ServerLock(file, info) };
    const current = readText(file);
    if (current === null) continue;
    const held = parse(current);
    if (held && isRunning(held)) return { ok: false, running: held };
    const removed = underTakeoverGuard(file, text, () => {
      if (readText(file) === current) unlinkQuietly(file);
    });
    if (!removed) pause(10);
  }
  throw new Error(`could not take the server lock ${file}: another process keeps taking it over`);
}

/** Run `fn` holding the takeover guard; false when another live process holds it. */
function underTakeoverGuard(file: string, text: string, fn: () => void): boolean {
  const guard = `${file}.takeover`;
  if (createExclusive(guard, text)) {
    try {
      fn();
    } finally {
      unlinkQuietly(guard);
    }
    return true;
  }
  // A guard left by a process that died inside the few calls above is removed.
  const holder = readText(guard);
  if (holder !== null) {
    const info = parse(holder);
    if (!info || !isRunning(info)) unlinkQuietly(guard);
  }
  return false;
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

/** A short synchronous wait (the claim runs once, at start-up, before anything else). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The server that holds the config folder, if it is running (a stale lock answers null). */
export function runningServer(home: string): ServerLockInfo | null {
  let held: ReturnType<typeof readLock>;
  try {
    held = readLock(serverLockFile(home));
  } catch {
    return null; // another user's lock: not a server this user can talk to as its owner
  }
  return held && held !== "missing" && isRunning(held) ? held : null;
}

/** Whether the process that wrote `info` still runs. */
export function isRunning(info: ServerLockInfo): boolean {
  try {
    process.kill(info.pid, 0);
  } catch (error) {
    // EPERM: the PID exists but belongs to another user; /proc below decides.
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const stat = procStat(info.pid);
  if (stat === undefined) return true; // no /proc (macOS, Windows): liveness is all we know
  // A zombie has ended (only its exit status waits for its parent).
  if (stat.state === "Z" || stat.state === "X") return false;
  return info.proc_start === undefined || stat.start === info.proc_start;
}

function createExclusive(file: string, text: string): boolean {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(temp, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    // A file system without hard links: O_EXCL creation is still exclusive.
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") return createWithExcl(file, text);
    throw error;
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  }
}

function createWithExcl(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * The file's text; null when there is no file; "" for a dangling link or a folder
 * (garbage: taken over). A lock we may not read belongs to another user, who may well
 * be running a server on this folder (root, say): that is not ours to take over.
 */
function readText(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") throw new LockUnreadable(file);
    // A dangling link answers ENOENT too, yet it sits there.
    try {
      lstatSync(file);
      return "";
    } catch {
      return null;
    }
  }
}

/** The lock exists but this user may not read it. */
export class LockUnreadable extends Error {
  constructor(readonly file: string) {
    super(`the server lock ${file} belongs to another user`);
    this.name = "LockUnreadable";
  }
}

function readLock(file: string): ServerLockInfo | null | "missing" {
  const text = readText(file);
  return text === null ? "missing" : parse(text);
}

function parse(text: string): ServerLockInfo | null {
  try {
    const value = JSON.parse(text) as ServerLockInfo;
    return Number.isInteger(value.pid) && value.pid > 0 && typeof value.started_at === "string" ? value : null;
  } catch {
    return null;
  }
}

function serialize(info: ServerLockInfo): string {
  return `${JSON.stringify(info)}\n`;
}

function procStartField(pid: number): { proc_start?: string } {
  const start = procStart(pid);
  return start === undefined ? {} : { proc_start: start };
}

/** Linux: a process's start time in clock ticks since boot; undefined elsewhere or when unreadable. */
export function procStart(pid: number): string | undefined {
  return procStat(pid)?.start;
}

/** Linux: a process's state letter and start time (/proc/<pid>/stat fields 3 and 22). */
function procStat(pid: number): { state: string; start: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces and ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields.length > 19 ? { state: fields[0]!, start: fields[19]! } : undefined;
}
