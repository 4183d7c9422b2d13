import { lstat, opendir } from "node:fs/promises";
import { join } from "node:path";

/** The most entries one measurement of a cache home walks; past it the size reads "at least". */
export const CACHE_WALK_LIMIT = 50_000;

export interface FolderSize {
  bytes: number;
  entries: number;
  /** The walk stopped at the limit: the folder holds at least this much. */
  capped: boolean;
}

/**
 * A folder's size on disk (allocated blocks, so a sparse file counts what it uses), walking
 * at most `limit` entries, never following a symbolic link. The box can write this folder
 * while it is walked: anything that changes or disappears meanwhile is skipped.
 */
export async function folderSize(root: string, limit = CACHE_WALK_LIMIT): Promise<FolderSize> {
  let bytes = 0;
  let entries = 0;
  const pending = [root];
  while (pending.length > 0) {
    const folder = pending.pop()!;
    let dir;
    try {
      dir = await opendir(folder, { bufferSize: 256 });
    } catch {
      continue;
    }
    try {
      for await (const entry of dir) {
        if (entries >= limit) return { bytes, entries, capped: true };
        entries++;
        const path = join(folder, entry.name);
        try {
          const stat = await lstat(path);
          bytes += typeof stat.blocks === "number" ? stat.blocks * 512 : stat.size;
          if (stat.isDirectory()) pending.push(path);
        } catch {
          // gone meanwhile
        }
      }
    } catch {
      // the folder went away while it was read
    }
  }
  return { bytes, entries, capped: false };
}
