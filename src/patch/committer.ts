import { rmdirSync } from "node:fs";
import { relative, sep } from "node:path";
import { ActionError, isActionError } from "../ground/errors.js";
import { ConfinedDir, changedWhileWriting, isTreeChange } from "../files/confinedFs.js";
import { removeInsideSync, replaceInsideSync } from "../files/writeInside.js";
import { newFileMode } from "../fs/atomic.js";
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
 * the folders new files need, then the writes, each one atomic. Every write and
 * removal goes through folder handles opened from the workspace root without
 * following symlinks, like write_file, so a symlink swapped in after the
 * plan was checked cannot redirect it. A folder that changed under the commit
 * (removed, swapped for a link) answers 409 CONFLICT "changed while writing"
 * once everything is undone; only an undo that fails too says "partly patched".
 */
export function commitPlan(root: string, changes: readonly PlannedFile[]): void {
  const undo: Array<() => void> = [];
  let failed: PlannedFile | null = null;
  try {
    for (const file of changes) {
      if (file.next !== null) continue;
      failed = file;
      removeInsideSync(root, file);
      undo.push(() => restore(root, file));
    }
    for (const file of changes) {
      if (file.next === null) continue;
      failed = file;
      const made: string[] = [];
      try {
        write(root, file, made);
      } finally {
        // Exactly the folders this write made (even if it then failed), so a rollback removes only those.
        for (const dir of made) undo.push(() => removeMadeFolder(root, dir));
      }
      undo.push(() => restore(root, file));
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
    // The planner saw every folder on the way; one missing or different now was changed by someone else.
    const changed = isTreeChange(error) || (isActionError(error) && error.code === "NOT_FOUND");
    if (changed && problems.length === 0) throw changedWhileWriting(failed?.relative ?? ".");
    if (problems.length > 0) {
      // Only when the workspace changes under us (a folder swapped mid-write): say plainly that it may be half-patched.
      throw new ActionError(
        "PATCH_FAILED",
        `writing ${failed?.relative ?? "a file"} failed (${code}) and undoing the earlier writes also failed (${problems.join(", ")}): the workspace may be partly patched`,
        { hint: "Something changed the workspace while the patch was written. Check git_status / git_diff before retrying." },
      );
    }
    throw patchFailed(
      `the patch applied in memory but writing ${failed?.relative ?? "a file"} failed (${code}); every change already written was undone`,
      failed ? { path: failed.relative } : undefined,
      "Check that path (permissions, free space, name length), then send the patch again.",
    );
  }
}

/**
 * Undo a folder this commit made: through a confined handle of its parent (a
 * folder swapped for a link meanwhile is not followed). One already gone or
 * moved by whoever changed the tree is not a failure of the undo, and neither is
 * one that is not empty: someone else wrote into it (or put their own folder in its
 * place), so what it holds is theirs, and it stays — this commit's own files were
 * already put back.
 */
function removeMadeFolder(root: string, real: string): void {
  const parts = relative(root, real).split(sep);
  const name = parts.pop()!;
  let dir: ConfinedDir;
  try {
    dir = ConfinedDir.open(root, parts, false);
  } catch (error) {
    if (isTreeChange(error) || (isActionError(error) && error.code === "NOT_FOUND")) return;
    throw error;
  }
  try {
    rmdirSync(dir.entry(name));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
  } finally {
    dir.close();
  }
}

/** An existing file keeps its exact mode bits, a moved one its source's, a new one gets 0666 minus the umask. */
function write(root: string, file: PlannedFile, made: string[]): void {
  replaceInsideSync(root, file, file.next!, file.originalMode ?? file.carryMode ?? newFileMode(), made);
}

/** Put a file back as it was before the patch (or remove it if it did not exist). */
function restore(root: string, file: PlannedFile): void {
  if (file.original === null) {
    removeInsideSync(root, file);
    return;
  }
  replaceInsideSync(root, file, file.original, file.originalMode ?? 0o644);
}
