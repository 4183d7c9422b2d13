import { randomBytes } from "node:crypto";
import { closeSync, constants, fchmodSync, fchownSync, fsyncSync, linkSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { ActionError, isActionError } from "../ground/errors.js";
import type { InsidePath } from "../workspace/resolveInside.js";
import { newFileMode } from "../fs/atomic.js";
import { asWriteConflict, ConfinedDir } from "./confinedFs.js";
import { hashFd, sha256Hex } from "./hashFile.js";
import { openEntry, splitInside } from "./openInside.js";
import { ShapeScan, shapeOf, type TextShape } from "./textShape.js";

export interface WriteOptions {
  /** Refuse (409) unless the file on disk has this SHA-256. */
  expectedSha256: string | null;
  /** Refuse (409) when the file exists. */
  createOnly: boolean;
  /** `data` goes after the file's current bytes (the whole file is still replaced atomically). */
  append?: boolean;
}

export interface WriteOutcome {
  /** Bytes in the file now. */
  size: number;
  sha256: string;
  created: boolean;
  previousSha256?: string;
  /** The file already held exactly these bytes: nothing was written (a retried write lands here). */
  unchanged?: boolean;
  /** Line breaks of the file before and after (null: no file before, or not text). */
  shapes: { before: TextShape | null; after: TextShape | null };
}

/** An append reads the file into memory to write it whole; past this, a command or apply_patch is the way. */
export const MAX_APPEND_TO_BYTES = 64 * 1024 * 1024;

const TEMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * Replace (or create) a file inside the workspace atomically: readers see the
 * old or the new bytes, never a mix. The temp file is created exclusively in
 * the target's own folder (reached through ConfinedDir, so a symlink swapped
 * in cannot redirect it), fsynced, given the old file's mode, and renamed over
 * the target - a rename replaces a symlink instead of writing through it.
 * `expected_sha256` is checked before writing and again just before the rename.
 *
 * A file that already holds exactly `data` is left alone and reported
 * `unchanged`, whatever `expected_sha256` or `createOnly` say: writing would
 * not change a byte, so no unseen change can be lost. This makes a retried
 * write (the first answer was lost to a timeout) succeed instead of failing
 * with a conflict whose "current sha256" is that of its own content.
 *
 * An append (options.append) is the same write with the file's current bytes
 * in front of `data`: the same checks, the same atomic rename, so a file
 * written in parts is never seen half-appended.
 *
 * A folder that changes under the write (removed, swapped for a link) after
 * the checks passed answers 409 CONFLICT "changed while writing", never a bare
 * file-system error: the temp file is gone and the target untouched.
 */
export async function writeInside(root: string, target: InsidePath, data: Buffer, options: WriteOptions): Promise<WriteOutcome> {
  const { parts, name } = splitInside(root, target);
  const expected = options.expectedSha256?.toLowerCase() ?? null;
  let dir: ConfinedDir;
  try {
    dir = ConfinedDir.open(root, parts, expected === null);
  } catch (error) {
    if (expected !== null && isActionError(error) && error.code === "NOT_FOUND") throw missing(target.relative);
    throw asWriteConflict(error, target.relative);
  }
  try {
    const existing = await inspect(dir, name, target.relative, options.append === true);
    if (existing?.bytes) {
      const again = appendedAlready(existing, data, expected);
      if (again) return again;
      data = Buffer.concat([existing.bytes, data]);
    }
    const sha256 = sha256Hex(data);
    const shapes = { before: existing?.shape ?? null, after: shapeOf(data) };
    if (existing && existing.sha256 === sha256) {
      return { size: data.length, sha256, created: false, previousSha256: existing.sha256, unchanged: true, shapes };
    }
    if (existing && options.createOnly) {
      throw new ActionError("CONFLICT", `"${target.relative}" already exists and create_only is set`, {
        hint: "Read it first and write with expected_sha256 to replace it, or pick another name.",
      });
    }
    if (expected !== null) {
      if (!existing) throw missing(target.relative);
      if (existing.sha256 !== expected) throw changedOnDisk(target.relative, existing.sha256);
    }
    const mode = existing ? existing.mode : newFileMode();
    const temp = `.cgc-${randomBytes(6).toString("hex")}.tmp`;
    writeTemp(dir, temp, data, mode, existing);
    try {
      if (existing) {
        // Narrow the race with another writer: the file must still be what we compared.
        const now = await inspect(dir, name, target.relative);
        if (now?.sha256 !== existing.sha256) throw changedOnDisk(target.relative, now?.sha256 ?? null);
      }
      dir.verify();
      if (options.createOnly || !existing) placeNew(dir, temp, name, target.relative, options.createOnly);
      else renameSync(dir.entry(temp), dir.entry(name));
    } catch (error) {
      removeQuietly(dir.entry(temp));
      throw error;
    }
    dir.sync();
    return {
      size: data.length,
      sha256,
      created: !existing,
      ...(existing ? { previousSha256: existing.sha256 } : {}),
      shapes,
    };
  } catch (error) {
    throw asWriteConflict(error, target.relative);
  } finally {
    dir.close();
  }
}

interface Existing {
  sha256: string;
  mode: number;
  uid: number;
  gid: number;
  shape: TextShape | null;
  /** The file's bytes, when asked for (an append). */
  bytes?: Buffer;
}

/** The file as it is: hash and line-break shape in one streaming pass, and its bytes when `keep`. */
async function inspect(dir: ConfinedDir, name: string, shown: string, keep = false): Promise<Existing | null> {
  const opened = openEntry(dir, name);
  if (!opened) return null;
  try {
    if (opened.stat.isDirectory()) throw new ActionError("BAD_REQUEST", `"${shown}" is a folder; write_file writes files`);
    if (!opened.stat.isFile()) throw new ActionError("BAD_REQUEST", `"${shown}" is not a regular file`);
    const { mode, uid, gid, size } = opened.stat;
    if (keep && size > MAX_APPEND_TO_BYTES) {
      throw new ActionError("TOO_LARGE", `"${shown}" is ${size} bytes; write_file appends to files of at most ${MAX_APPEND_TO_BYTES} bytes`, {
        hint: "Append with exec_command (e.g. cat >> FILE) or change the file with apply_patch.",
      });
    }
    const scan = new ShapeScan();
    const kept: Buffer[] = [];
    const sha256 = await hashFd(opened.fd, (chunk) => {
      scan.update(chunk);
      if (keep) kept.push(Buffer.from(chunk)); // a copy: the chunk's buffer is reused
    });
    return { sha256, mode: mode & 0o7777, uid, gid, shape: scan.result(), ...(keep ? { bytes: Buffer.concat(kept) } : {}) };
  } finally {
    closeSync(opened.fd);
  }
}

/**
 * A retried append whose first answer was lost: the file is the expected one
 * with `data` already at its end. Answered as unchanged instead of a conflict
 * (or a second copy of the part). Only with expected_sha256: without it a
 * repeated part cannot be told from a part meant twice.
 */
function appendedAlready(existing: Existing, data: Buffer, expected: string | null): WriteOutcome | null {
  const bytes = existing.bytes!;
  if (expected === null || existing.sha256 === expected || data.length === 0 || bytes.length < data.length) return null;
  const head = bytes.subarray(0, bytes.length - data.length);
  if (!bytes.subarray(head.length).equals(data) || sha256Hex(head) !== expected) return null;
  return {
    size: bytes.length,
    sha256: existing.sha256,
    created: false,
    previousSha256: expected,
    unchanged: true,
    shapes: { before: shapeOf(head), after: existing.shape },
  };
}

function writeTemp(dir: ConfinedDir, temp: string, data: Buffer, mode: number, existing: Existing | null): void {
  const fd = openSync(dir.entry(temp), TEMP_FLAGS, mode);
  try {
    fchmodSync(fd, mode); // the umask must not change the kept mode
    if (existing && process.getuid?.() === 0) {
      try {
        fchownSync(fd, existing.uid, existing.gid);
      } catch {
        // keep going with our ownership
      }
    }
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    removeQuietly(dir.entry(temp));
    throw error;
  }
  closeSync(fd);
}

/** A new file: link() refuses to replace anything, so create_only holds even against a racing writer. */
function placeNew(dir: ConfinedDir, temp: string, name: string, shown: string, createOnly: boolean): void {
  try {
    linkSync(dir.entry(temp), dir.entry(name));
    removeQuietly(dir.entry(temp));
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      if (createOnly) throw new ActionError("CONFLICT", `"${shown}" already exists and create_only is set`);
      throw changedOnDisk(shown, null);
    }
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "EXDEV") throw error;
  }
  // The file system has no hard links: check, then rename (a narrow race remains there).
  try {
    lstatSync(dir.entry(name));
    throw changedOnDisk(shown, null);
  } catch (error) {
    if (isActionError(error)) throw error;
  }
  renameSync(dir.entry(temp), dir.entry(name));
}

/**
 * Replace or create `target` with exactly `data` and `mode`, atomically and
 * through the same confined folder handles as writeInside. Missing folders are
 * made and their paths added to `made`. For apply_patch's commit, which has
 * already checked the old content. A folder changing under it: 409 CONFLICT,
 * as in writeInside.
 */
export function replaceInsideSync(root: string, target: Pick<InsidePath, "real">, data: Uint8Array, mode: number, made?: string[]): void {
  const { parts, name } = splitInside(root, target);
  const shown = [...parts, name].join("/");
  let dir: ConfinedDir;
  try {
    dir = ConfinedDir.open(root, parts, true, made);
  } catch (error) {
    throw asWriteConflict(error, shown);
  }
  try {
    const temp = `.cgc-${randomBytes(6).toString("hex")}.tmp`;
    writeTemp(dir, temp, Buffer.from(data.buffer, data.byteOffset, data.byteLength), mode, null);
    try {
      dir.verify();
      renameSync(dir.entry(temp), dir.entry(name));
    } catch (error) {
      removeQuietly(dir.entry(temp));
      throw error;
    }
    dir.sync();
  } catch (error) {
    throw asWriteConflict(error, shown);
  } finally {
    dir.close();
  }
}

/** Remove the file `target` through a confined folder handle (a swapped-in symlink is not followed). */
export function removeInsideSync(root: string, target: Pick<InsidePath, "real">): void {
  const { parts, name } = splitInside(root, target);
  const dir = ConfinedDir.open(root, parts, false);
  try {
    dir.verify();
    unlinkSync(dir.entry(name));
  } finally {
    dir.close();
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function missing(shown: string): ActionError {
  return new ActionError("CONFLICT", `"${shown}" does not exist, but expected_sha256 was given`, {
    hint: "Omit expected_sha256 to create the file.",
  });
}

function changedOnDisk(shown: string, actual: string | null): ActionError {
  return new ActionError("CONFLICT", `"${shown}" changed on disk since it was read${actual ? ` (its sha256 is now ${actual})` : ""}`, {
    hint: "Read the file again, merge your change into the current content, and write with the new sha256.",
    ...(actual ? { details: { current_sha256: actual } } : {}),
  });
}
