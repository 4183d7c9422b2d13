import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

/**
 * Write a file so that readers see either the old or the new bytes, never a mix:
 * temp file in the same folder (created exclusively, so a planted symlink is not
 * followed), fsync, rename over the target, fsync the folder.
 */
export function writeFileAtomicSync(target: string, data: string | Uint8Array, mode = 0o600): void {
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(temp, "wx", mode);
  try {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temp, target);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw error;
  }
  try {
    const dirFd = openSync(dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // some platforms cannot fsync a folder; the rename is still atomic
  }
}

/** The mode of a newly created file: 0666 minus the umask, as an editor would make it. */
export function newFileMode(): number {
  return 0o666 & ~process.umask();
}
