import { closeSync, constants, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, realpathSync, type Dirent } from "node:fs";
import { dirname, join } from "node:path";
import { ActionError, isActionError } from "../ground/errors.js";

/**
 * File operations that cannot be redirected outside the workspace by a symlink
 * swapped in after resolveInside checked the path (a check-then-use race).
 *
 * On Linux each folder on the way is opened with O_NOFOLLOW, one component at a
 * time starting from the workspace root, and the next operation goes through
 * `/proc/self/fd/<fd>/<name>`, which the kernel resolves to the folder already
 * opened instead of walking the path again (the effect of openat/renameat,
 * which Node does not expose). Elsewhere the folder's real path is re-checked
 * instead, which narrows the window but cannot close it.
 */
const PROC_FD = process.platform === "linux" && existsSync("/proc/self/fd");
const DIR_FLAGS = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | (constants.O_NOFOLLOW ?? 0);

export class ConfinedDir {
  private constructor(
    private fd: number | null,
    /** Real path of the folder (for the fallback and for messages relative to the root). */
    readonly path: string,
  ) {}

  /** The path to use for an operation on `name` inside this folder. */
  entry(name: string): string {
    if (name === "" || name === "." || name === ".." || name.includes("/")) throw new Error(`not a plain name: ${name}`);
    return this.fd === null ? join(this.path, name) : `/proc/self/fd/${this.fd}/${name}`;
  }

  /** The folder's entries (through the open folder, not its path). */
  list(): Dirent[] {
    return readdirSync(this.fd === null ? this.path : `/proc/self/fd/${this.fd}`, { withFileTypes: true });
  }

  /** Open the sub-folder `name` without following a symlink; throws a plain errno error when that fails. */
  child(name: string): ConfinedDir {
    if (this.fd === null) return new ConfinedDir(null, join(this.path, name));
    return new ConfinedDir(openDirNoFollow(this.entry(name)), join(this.path, name));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /**
   * Open `root/parts...` (root must be a real path; parts come from the real
   * path resolveInside returned, so none of them is a symlink unless one was
   * swapped in since). `create` makes missing folders; the real paths of the
   * ones made are added to `made` (outermost first), so a caller can undo them.
   */
  static open(root: string, parts: readonly string[], create: boolean, made?: string[]): ConfinedDir {
    if (!PROC_FD) return ConfinedDir.openByPath(root, parts, create, made);
    let fd = openDirNoFollow(root);
    let path = root;
    try {
      for (const part of parts) {
        const next = `/proc/self/fd/${fd}/${part}`;
        if (create) {
          try {
            mkdirSync(next);
            made?.push(join(path, part));
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
          }
        }
        const child = openDirNoFollow(next);
        closeSync(fd);
        fd = child;
        path = join(path, part);
      }
    } catch (error) {
      closeSync(fd);
      throw folderError(error, root, path, create);
    }
    return new ConfinedDir(fd, path);
  }

  private static openByPath(root: string, parts: readonly string[], create: boolean, made?: string[]): ConfinedDir {
    const path = join(root, ...parts);
    try {
      if (create) {
        const first = mkdirSync(path, { recursive: true });
        // mkdir -p reports the first folder it made; the rest are below it.
        if (first !== undefined) for (let p = path; p.length >= first.length; p = dirname(p)) made?.splice(0, 0, p);
      }
      if (realpathSync(path) !== path) throw Object.assign(new Error("moved"), { code: "ELOOP" });
    } catch (error) {
      throw folderError(error, root, path, create);
    }
    return new ConfinedDir(null, path);
  }

  /** Flush the folder entry after a rename (best effort: some systems cannot fsync a folder). */
  sync(): void {
    try {
      if (this.fd !== null) return fsyncSync(this.fd);
      const fd = openSync(this.path, constants.O_RDONLY);
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch {
      // the rename is atomic either way
    }
  }

  /** Re-check, just before a rename, that the folder is still where it was (fallback only; the fd cannot move). */
  verify(): void {
    if (this.fd !== null) return;
    let real: string;
    try {
      real = realpathSync(this.path);
    } catch {
      real = "";
    }
    if (real !== this.path) throw changedDuringRequest();
  }
}

/**
 * Open a folder, refusing a symlink. Linux reports O_DIRECTORY|O_NOFOLLOW on a
 * symlink as ENOTDIR, like a file in the way: look again to tell them apart.
 * Only a file still there is "in the way"; a link, a folder or nothing means
 * the entry changed between the two looks.
 */
function openDirNoFollow(path: string): number {
  try {
    return openSync(path, DIR_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOTDIR") {
      let inTheWay = false;
      try {
        const st = lstatSync(path);
        inTheWay = !st.isSymbolicLink() && !st.isDirectory();
      } catch {
        // gone again
      }
      if (!inTheWay) throw Object.assign(new Error("symbolic link or changed"), { code: "ELOOP" });
    }
    throw error;
  }
}

/** The conflicts that say "the tree changed under this request" (as opposed to "the file's content differs"). */
const CHANGED = new WeakSet<ActionError>();

export function changedDuringRequest(): ActionError {
  const error = new ActionError("CONFLICT", "a folder on the path was replaced (e.g. by a symbolic link) during the request; nothing was read or written", {
    hint: "Check the path with list_files and try again.",
  });
  CHANGED.add(error);
  return error;
}

/** A write or patch that met a folder changing under it (contract: 409 CONFLICT, nothing written). */
export function changedWhileWriting(shown: string): ActionError {
  const error = new ActionError("CONFLICT", `"${shown}": a folder on the path changed while writing; nothing was written; retry`, {
    hint: "Something else (a running command?) is moving or replacing folders there. Check the path with list_files, then send the same request again.",
  });
  CHANGED.add(error);
  return error;
}

/**
 * What the file system says once a folder handle is open and the confinement
 * checks have passed, when the tree then changes: the folder was removed
 * (ENOENT on a create inside it), an entry turned into a folder or a link
 * (EISDIR, ENOTEMPTY, ENOTDIR, ELOOP), or moved to another mount (EXDEV).
 * Permission and space errors are not among them: they are real answers.
 */
const RACE_CODES = new Set(["ENOENT", "ENOTDIR", "ELOOP", "EXDEV", "EISDIR", "ENOTEMPTY", "EMLINK"]);

/** Whether `error` means the tree changed under a request (a race), not that the request was wrong. */
export function isTreeChange(error: unknown): boolean {
  if (isActionError(error)) return CHANGED.has(error);
  return RACE_CODES.has((error as NodeJS.ErrnoException)?.code ?? "");
}

/** For a write: a race becomes 409 CONFLICT "changed while writing" naming `shown`; anything else is passed on. */
export function asWriteConflict(error: unknown, shown: string): unknown {
  return isTreeChange(error) ? changedWhileWriting(shown) : error;
}

function folderError(error: unknown, root: string, reached: string, create: boolean): ActionError {
  const code = (error as NodeJS.ErrnoException).code;
  const shown = reached === root ? "." : reached.slice(root.length + 1);
  if (code === "ELOOP" || code === "EMLINK") return changedDuringRequest();
  // Creating: each folder was just made or found (EEXIST), so one missing now was removed meanwhile.
  if (code === "ENOENT" && create) return changedDuringRequest();
  if (code === "ENOENT") return new ActionError("NOT_FOUND", `a folder on the path does not exist (after "${shown}")`);
  if (code === "ENOTDIR") return new ActionError("BAD_REQUEST", `a file is in the way: a part of the path after "${shown}" is not a folder`);
  if (code === "EACCES" || code === "EPERM") return new ActionError("BAD_REQUEST", `permission denied below "${shown}"`);
  return new ActionError("INTERNAL", `cannot open a folder below "${shown}" (${code ?? "error"})`);
}
