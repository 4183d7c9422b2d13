import { chmodSync, mkdirSync, rmdirSync, statSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { modeForWrite, writeFileAtomicSync } from "../fs/atomic.js";
import { patchFailed } from "./errors.js";
import type { PlannedFile } from "./planner.js";

/**
 * Write a computed plan so that the workspace ends up either fully patched or
 * exactly as it was. Every new content is already in memory (staged) and
 * every touched file's old bytes are too (the backup), so the only failures
 * left are the file system's own (permissions, full disk); on one, what was
 * already done is undone from the backups, newest first.
 *
 * Order: deletions first (a deleted file's place may become a folder), then
 * the folders new files need, then the writes, each one atomic.
 */
export function commitPlan(changes: readonly PlannedFile[]): void {
  const undo: Array<() => void> = [];
  let failed: PlannedFile | null = null;
  try {
    for (const file of changes) {
      if (file.next !== null) continue;
      failed = file;
      unlinkSync(file.real);
      undo.push(() => restore(file));
    }
    for (const file of changes) {
      if (file.next === null) continue;
      failed = file;
      for (const dir of missingFolders(dirname(file.real))) {
        mkdirSync(dir);
        undo.push(() => rmdirSync(dir));
      }
      write(file);
      undo.push(() => restore(file));
    }
  } catch (error) {
    const problems: string[] = [];
    for (const step of undo.reverse()) {
      try {
        step();
      } catch (rollbackError) {
        problems.push((rollbackError as NodeJS.ErrnoException).code ?? "error");
      }
    }
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    if (problems.length > 0) {
      // Should never happen: say plainly that the tree may be half-patched rather than claim otherwise.
      throw new Error(`writing ${failed?.relative} failed (${code}) and undoing the earlier writes also failed (${problems.join(", ")})`);
    }
    throw patchFailed(
      `the patch applied in memory but writing ${failed?.relative ?? "a file"} failed (${code}); every change already written was undone`,
      failed ? { path: failed.relative } : undefined,
      "Check that path (permissions, free space, name length), then send the patch again.",
    );
  }
}

function write(file: PlannedFile): void {
  const existed = file.originalMode !== null;
  const mode = file.originalMode ?? file.carryMode ?? modeForWrite(file.real);
  writeFileAtomicSync(file.real, file.next!, mode);
  // The temp file was created under the umask; an existing file keeps its exact bits, a moved one its source's.
  if (existed || file.carryMode !== null) chmodSync(file.real, mode);
}

/** Put a file back as it was before the patch (or remove it if it did not exist). */
function restore(file: PlannedFile): void {
  if (file.original === null) {
    unlinkSync(file.real);
    return;
  }
  writeFileAtomicSync(file.real, file.original, file.originalMode ?? 0o644);
  chmodSync(file.real, file.originalMode ?? 0o644);
}

/** Missing ancestors of `dir`, outermost first. */
function missingFolders(dir: string): string[] {
  const missing: string[] = [];
  for (let d = dir; d !== dirname(d); d = dirname(d)) {
    try {
      statSync(d);
      break;
    } catch {
      missing.unshift(d);
    }
  }
  return missing;
}
