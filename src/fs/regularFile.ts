import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

/**
 * A regular file read whole, opened without blocking (a FIFO a command swapped in cannot stall
 * the server), with its mtime and mode; null when it does not exist. Throws for anything else:
 * not a regular file, over `maxBytes`, a read that comes up short, and with `noFollow` a
 * symbolic link as the last part.
 */
export function readRegularFile(file: string, maxBytes: number, options: { noFollow?: boolean } = {}): { bytes: Buffer; mtimeMs: number; mode: number } | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (options.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw error;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > maxBytes) throw new Error(`${file} is not a regular file of at most ${maxBytes} bytes`);
    const bytes = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, bytes, got, st.size - got, got);
      if (n <= 0) throw new Error(`${file} ended before its size`);
      got += n;
    }
    return { bytes, mtimeMs: st.mtimeMs, mode: st.mode };
  } finally {
    closeSync(fd);
  }
}

/** A small text file a command may have written (a git pointer or config): its text, or null when it is missing or anything but a regular file of at most `maxBytes`. */
export function readSmallText(file: string, maxBytes = 1024 * 1024): string | null {
  try {
    return readRegularFile(file, maxBytes)?.bytes.toString("utf8") ?? null;
  } catch {
    return null;
  }
}
