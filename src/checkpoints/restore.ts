import { lstatSync, readlinkSync, realpathSync, renameSync, rmdirSync, symlinkSync, unlinkSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ActionError, isActionError } from "../core/errors.js";
import { ConfinedDir } from "../files/confinedFs.js";
import { removeInsideSync, replaceInsideSync } from "../files/writeInside.js";
import { newFileMode } from "../fs/atomic.js";
import { shadowGit } from "./shadowGit.js";
import { hasGitPart, type CheckpointStore } from "./store.js";

/** One difference between the current stored files and a checkpoint. */
export interface TreeChange {
  path: string;
  /** a: only in the target, d: only in the current files, m: in both, different. */
  kind: "a" | "d" | "m";
  /** Mode and object in the target (absent for d). */
  mode?: string;
  sha?: string;
  /** Mode in the current files (absent for a). */
  currentMode?: string;
}

export interface KeptEntry {
  path: string;
  reason: string;
}

export interface RestoreResult {
  restored: string[];
  deleted: string[];
  kept: KeptEntry[];
}

/** Changes that turn tree `from` into tree `to`, limited to `paths` (folders or files; all when empty). */
export async function treeChanges(store: CheckpointStore, from: string, to: string, paths: readonly string[] = []): Promise<TreeChange[]> {
  const specs = paths.filter((p) => p !== ".").map((p) => `:(literal)${p}`);
  const out = await shadowGit(store.paths, ["diff-tree", "-r", "-z", "--no-renames", "--no-ext-diff", "--raw", from, to, "--", ...specs]);
  const fields = out.stdout.toString("utf8").split("\0");
  const changes: TreeChange[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = fields[i]!;
    const path = fields[i + 1]!;
    const m = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])/.exec(meta);
    if (!m) continue;
    const [, srcMode, dstMode, , dstSha, status] = m;
    if (status === "A") changes.push({ path, kind: "a", mode: dstMode, sha: dstSha });
    else if (status === "D") changes.push({ path, kind: "d", currentMode: srcMode });
    else changes.push({ path, kind: "m", mode: dstMode, sha: dstSha, currentMode: srcMode });
  }
  return changes;
}

/** Paths (as the user gave them) made workspace-relative and checked; "." or none: the whole workspace. */
export function normalizePaths(paths: readonly string[] | undefined, resolvePath: (p: string) => { relative: string }): string[] {
  if (!paths || paths.length === 0) return [];
  const out: string[] = [];
  for (const p of paths) {
    const rel = resolvePath(p).relative;
    if (rel === ".") return [];
    out.push(rel);
  }
  return out;
}

/** Off-limits prefixes (the tool's config folder when it lies in the workspace). */
export type Forbidden = readonly string[];

function isForbidden(path: string, forbidden: Forbidden): boolean {
  return hasGitPart(path) || forbidden.some((f) => path === f || path.startsWith(`${f}/`));
}

/**
 * Bring the workspace's files back to `target` (a tree) from `current` (the
 * tree of a snapshot just taken under the same lock). Only what differs is
 * written. Never touches: paths named `.git` (any case), the tool's config
 * folder, nested repositories, and anything on disk that the current snapshot
 * did not store (ignored, too large, unreadable) — such paths are reported in
 * `kept`. Writes go through the confined folder handles of write_file, so a
 * symlink swapped into a path cannot lead a write outside the workspace.
 */
export async function restoreTree(
  store: CheckpointStore,
  current: string,
  target: string,
  options: { paths: readonly string[]; dryRun: boolean; forbidden: Forbidden },
): Promise<RestoreResult> {
  const root = store.root;
  const changes = await treeChanges(store, current, target, options.paths);
  const result: RestoreResult = { restored: [], deleted: [], kept: [] };
  const deletions: TreeChange[] = [];
  const writes: TreeChange[] = [];
  for (const change of changes) {
    if (isForbidden(change.path, options.forbidden)) {
      result.kept.push({ path: change.path, reason: "protected path (.git or the tool's config folder)" });
      continue;
    }
    if (change.mode === "160000" || change.currentMode === "160000") {
      result.kept.push({ path: change.path, reason: "nested repository (not covered by checkpoints)" });
      continue;
    }
    if (change.kind === "d") deletions.push(change);
    else writes.push(change);
  }
  // Symlinks must point inside the workspace; decide before touching anything.
  const blobs = await readBlobs(store, writes.map((w) => w.sha!));
  const accepted: TreeChange[] = [];
  for (const w of writes) {
    if (w.mode === "120000") {
      const linkTarget = blobs.get(w.sha!)!.toString("utf8");
      if (!linkStaysInside(root, w.path, linkTarget, options.forbidden)) {
        result.kept.push({ path: w.path, reason: "symbolic link pointing outside the workspace (not restored)" });
        continue;
      }
    }
    if (w.kind === "a" && existsOnDiskAsNonFolder(join(root, w.path))) {
      // Something is there now that the snapshot before this restore did not store: never overwrite it.
      result.kept.push({ path: w.path, reason: "a file not stored in checkpoints is there now (ignored or too large); left as it is" });
      continue;
    }
    accepted.push(w);
  }
  if (options.dryRun) {
    result.deleted = deletions.map((d) => d.path);
    result.restored = accepted.map((w) => w.path);
    return result;
  }
  // 1. deletions, deepest first, then folders they emptied
  deletions.sort((a, b) => b.path.length - a.path.length);
  const emptied = new Set<string>();
  for (const d of deletions) {
    try {
      removeInsideSync(root, { real: join(root, ...d.path.split("/")) });
      result.deleted.push(d.path);
      for (let dir = parentOf(d.path); dir !== ""; dir = parentOf(dir)) emptied.add(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || (isActionError(error) && error.code === "NOT_FOUND")) {
        result.deleted.push(d.path);
        continue;
      }
      result.kept.push({ path: d.path, reason: `could not delete: ${reasonOf(error)}` });
    }
  }
  for (const dir of [...emptied].sort((a, b) => b.length - a.length)) removeEmptyFolder(root, dir);
  // 2. writes: files and symlinks, through confined folder handles
  for (const w of accepted) {
    const data = blobs.get(w.sha!)!;
    const real = join(root, ...w.path.split("/"));
    try {
      clearFolderInTheWay(root, w.path);
      if (w.mode === "120000") placeSymlink(root, w.path, data.toString("utf8"));
      else replaceInsideSync(root, { real }, data, fileMode(real, w.mode === "100755"));
      result.restored.push(w.path);
    } catch (error) {
      result.kept.push({ path: w.path, reason: `could not write: ${reasonOf(error)}` });
    }
  }
  return result;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

function reasonOf(error: unknown): string {
  if (isActionError(error)) return error.message;
  return (error as NodeJS.ErrnoException).code ?? "error";
}

function existsOnDiskAsNonFolder(path: string): boolean {
  try {
    return !lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** An empty folder where a file is to be written (the folder's files were deleted above) is removed; a non-empty one stays and the write fails. */
function clearFolderInTheWay(root: string, path: string): void {
  try {
    if (!lstatSync(join(root, path)).isDirectory()) return;
  } catch {
    return;
  }
  removeEmptyFolder(root, path);
}

/** rmdir through a confined handle of its parent; quietly keeps a folder that is not empty. */
function removeEmptyFolder(root: string, rel: string): void {
  const parts = rel.split("/");
  const name = parts.pop()!;
  let dir: ConfinedDir;
  try {
    dir = ConfinedDir.open(root, parts, false);
  } catch {
    return;
  }
  try {
    rmdirSync(dir.entry(name));
  } catch {
    // not empty (ignored files, new files) or gone: keep it
  } finally {
    dir.close();
  }
}

/** The mode for a restored file: the current file's bits (or a new file's) with the executable bits as stored. */
function fileMode(real: string, executable: boolean): number {
  let mode = newFileMode();
  try {
    const st = lstatSync(real);
    if (st.isFile()) mode = st.mode & 0o7777;
  } catch {
    // new file
  }
  return executable ? mode | ((mode & 0o444) >> 2) : mode & ~0o111;
}

/** A symlink is restored only if where it points (lexically, and for an existing target really) is inside the workspace and not protected. */
export function linkStaysInside(root: string, path: string, linkTarget: string, forbidden: Forbidden): boolean {
  if (linkTarget === "" || linkTarget.includes("\0")) return false;
  const from = dirname(join(root, path));
  const lexical = isAbsolute(linkTarget) ? resolve(linkTarget) : resolve(from, linkTarget);
  const check = (p: string): boolean => {
    const rel = relative(root, p);
    if (rel === "") return true;
    if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return false;
    return !isForbidden(rel.split(sep).join("/"), forbidden);
  };
  if (!check(lexical)) return false;
  try {
    return check(realpathSync(lexical));
  } catch {
    return true; // dangling inside the workspace: allowed (it cannot lead anywhere else without a later change, which the next checkpoint sees)
  }
}

/** Create or replace the symlink `path` through a confined handle of its folder (temp name, then rename). */
function placeSymlink(root: string, path: string, linkTarget: string): void {
  const parts = path.split("/");
  const name = parts.pop()!;
  const dir = ConfinedDir.open(root, parts, true);
  try {
    const temp = `.cgc-${randomBytes(6).toString("hex")}.lnk`;
    symlinkSync(linkTarget, dir.entry(temp));
    try {
      dir.verify();
      renameSync(dir.entry(temp), dir.entry(name));
    } catch (error) {
      try {
        unlinkSync(dir.entry(temp));
      } catch {
        // gone
      }
      throw error;
    }
    dir.sync();
  } finally {
    dir.close();
  }
}

/** Contents of blobs by id, read with one `cat-file --batch` per 500 objects. */
async function readBlobs(store: CheckpointStore, shas: readonly string[]): Promise<Map<string, Buffer>> {
  const unique = [...new Set(shas)];
  const blobs = new Map<string, Buffer>();
  for (let start = 0; start < unique.length; start += 500) {
    const chunk = unique.slice(start, start + 500);
    const out = (await shadowGit(store.paths, ["cat-file", "--batch"], { input: chunk.map((s) => `${s}\n`).join("") })).stdout;
    let offset = 0;
    for (const sha of chunk) {
      const eol = out.indexOf(0x0a, offset);
      const header = out.subarray(offset, eol).toString("utf8");
      const m = /^([0-9a-f]+) (\w+) (\d+)$/.exec(header);
      if (!m || m[1] !== sha) {
        throw new ActionError("NOT_FOUND", "a file of this checkpoint is missing from the store (it was pruned)", {
          hint: "Call list_checkpoints and pick a newer checkpoint.",
        });
      }
      const size = Number(m[3]);
      blobs.set(sha, Buffer.from(out.subarray(eol + 1, eol + 1 + size)));
      offset = eol + 1 + size + 1;
    }
  }
  return blobs;
}

/** Read a symlink's target (for tests and diff listings). */
export function linkTarget(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}
