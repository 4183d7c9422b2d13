import { closeSync, constants, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path";
import { ConfinedDir } from "../files/confinedFs.js";
import { isInside } from "../sandbox/policy.js";

/**
 * A shadow git held by a FIFO in the work tree. Git opens every `.gitignore`
 * it walks past (and, before 2.40, every `.gitattributes`) without looking at
 * its type, and a FIFO there holds it: in open() until something opens the
 * other end, or in read() while something holds that end open and writes
 * nothing. A command in the box can make one; every later checkpoint would
 * then wait for git's timeout. While a shadow git runs (Linux, through /proc):
 * - a git file (`.git*`) that is a FIFO git waits to open is opened for
 *   writing and closed at once, so git reads it as empty (it holds no rules)
 *   and goes on; the FIFO itself is a special file, which no checkpoint stores;
 * - a FIFO in the work tree that git waits to read is named, so the caller can
 *   stop git and say which file to remove.
 */
export interface FifoWait {
  /** Work-tree paths of the FIFOs opened for git. */
  unblocked: string[];
  /** The work-tree path of a FIFO git waits to read from, held open by another process. */
  held: string | null;
}

/** Kernel wait channels of a process in open() of a FIFO that has no writer yet, and in read() of an empty pipe. */
const OPEN_WAITS = new Set(["wait_for_partner", "fifo_open"]);
const READ_WAITS = new Set(["pipe_read", "pipe_wait", "anon_pipe_read"]);

/** open/openat by architecture: the syscall number and which argument is the path. */
const OPENS: Partial<Record<NodeJS.Architecture, { nr: number; pathArg: number; dirArg: number | null }[]>> = {
  x64: [
    { nr: 257, pathArg: 1, dirArg: 0 },
    { nr: 2, pathArg: 0, dirArg: null },
  ],
  arm64: [{ nr: 56, pathArg: 1, dirArg: 0 }],
};
const AT_FDCWD = -100;

/** Look at git process `pid` once: what it waits on, and the FIFOs under `root` (a real path) it waits on. */
export function checkFifoWait(pid: number, root: string): FifoWait {
  const found: FifoWait = { unblocked: [], held: null };
  let tasks: { tid: string; wait: string }[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`).map((tid) => ({ tid, wait: readFileSync(`/proc/${pid}/task/${tid}/wchan`, "utf8").trim() }));
  } catch {
    return found; // gone, or no /proc
  }
  for (const task of tasks.filter((t) => OPEN_WAITS.has(t.wait))) {
    for (const path of openingPaths(pid, task.tid, root)) {
      const opened = unblock(path, root);
      if (opened !== null) found.unblocked.push(relative(root, opened));
    }
  }
  if (tasks.some((t) => READ_WAITS.has(t.wait))) found.held = fifoOpenIn(pid, root);
  return found;
}

/**
 * The path a task of `pid` is opening: read from its open call's arguments in its memory (the parent may read
 * its child's); where that cannot be read, the git files of every folder under `root` the process has open.
 */
function openingPaths(pid: number, tid: string, root: string): string[] {
  const exact = pathBeingOpened(pid, tid);
  if (exact !== null) return [exact];
  const paths: string[] = [];
  for (const folder of [root, ...openFiles(pid).filter((p) => p !== root && isInside(p, root))]) {
    for (const name of [".gitignore", ".gitattributes"]) paths.push(join(folder, name));
  }
  return paths;
}

function pathBeingOpened(pid: number, tid: string): string | null {
  try {
    const fields = readFileSync(`/proc/${pid}/task/${tid}/syscall`, "utf8").trim().split(" ");
    const call = OPENS[process.arch]?.find((c) => c.nr === Number(fields[0]));
    if (!call) return null;
    const address = BigInt(fields[1 + call.pathArg]!);
    const bytes = Buffer.alloc(4096);
    const fd = openSync(`/proc/${pid}/mem`, "r");
    let length: number;
    try {
      length = readSync(fd, bytes, 0, bytes.length, address);
    } finally {
      closeSync(fd);
    }
    const end = bytes.indexOf(0);
    if (end <= 0 || end >= length) return null;
    const path = bytes.toString("utf8", 0, end);
    if (isAbsolute(path)) return path;
    const dirFd = call.dirArg === null ? AT_FDCWD : Number(BigInt.asIntN(32, BigInt(fields[1 + call.dirArg]!)));
    return join(readlinkSync(dirFd === AT_FDCWD ? `/proc/${pid}/cwd` : `/proc/${pid}/fd/${dirFd}`), path);
  } catch {
    return null;
  }
}

/**
 * Open a git file that is a FIFO under `root` for writing and close it (a reader waiting to open it reads nothing);
 * its real path. Its folder, symlinks resolved, must be the work tree or in it (git also reads rules behind a
 * symlinked folder, which may lead outside), and is then opened one component at a time without following a
 * symlink, so a folder swapped for one meanwhile cannot lead outside either.
 */
function unblock(path: string, root: string): string | null {
  const name = basename(path);
  if (!name.startsWith(".git")) return null;
  let dir: ConfinedDir | undefined;
  try {
    const folder = realpathSync(dirname(path));
    if (!isInside(folder, root)) return null;
    dir = ConfinedDir.open(root, folder === root ? [] : relative(root, folder).split(sep), false);
    const entry = dir.entry(name);
    if (!lstatSync(entry).isFIFO()) return null;
    closeSync(openSync(entry, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW));
    return join(folder, name);
  } catch {
    return null; // gone, replaced, or nobody reads it any more
  } finally {
    dir?.close();
  }
}

/** What the process's descriptors point at (real paths; pipes and sockets have no path). */
function openFiles(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/** The first FIFO under `root` the process has open, as a work-tree path. */
function fifoOpenIn(pid: number, root: string): string | null {
  for (const path of openFiles(pid)) {
    if (path === root || !isInside(path, root)) continue;
    try {
      if (lstatSync(path).isFIFO()) return relative(root, path);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}
