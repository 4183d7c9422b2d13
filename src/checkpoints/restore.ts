import { lstatSync, readlinkSync, renameSync, rmdirSync, symlinkSync, unlinkSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { ActionError, isActionError } from "../ground/errors.js";
import { ConfinedDir } from "../files/confinedFs.js";
import { removeInsideSync, replaceInsideSync } from "../files/writeInside.js";
import { newFileMode } from "../fs/atomic.js";
export type { Forbidden } from "./linkCheck.js";
import { isForbidden, LINK_REASONS, linksThatHold, resolveLink, TreeView, type Forbidden, type LinkToCheck } from "./linkCheck.js";
import { shadowGit } from "./shadowGit.js";
import type { CheckpointStore } from "./store.js";

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
  const blobs = await readBlobs(store, writes.map((w) => w.sha!));
  const accepted: TreeChange[] = [];
  for (const w of writes) {
    if (w.kind === "a" && existsOnDiskAsNonFolder(join(root, w.path))) {
      // Something is there now that the snapshot before this restore did not store: never overwrite it.
      result.kept.push({ path: w.path, reason: "a file not stored in checkpoints is there now (ignored or too large); left as it is" });
      continue;
    }
    accepted.push(w);
  }
  const files = accepted.filter((w) => w.mode !== "120000");
  const linkOf = (w: TreeChange): LinkToCheck => ({ path: w.path, target: blobs.get(w.sha!)!.toString("utf8") });
  // Symlinks must lead inside in the tree as it will be after the restore (decided before touching anything;
  // the links are checked again, against the disk, as they are created).
  const planned = new TreeView(root);
  for (const d of deletions) planned.set(d.path, { kind: "missing" });
  for (const w of files) planned.set(w.path, { kind: "file" });
  const check = linksThatHold(root, planned, accepted.filter((w) => w.mode === "120000").map(linkOf), options.forbidden, (path) => planned.overlay.delete(path));
  for (const r of check.refused) result.kept.push({ path: r.path, reason: LINK_REASONS[r.why] });
  const links = check.held;
  if (options.dryRun) {
    result.deleted = deletions.map((d) => d.path);
    result.restored = [...files.map((w) => w.path), ...links.map((l) => l.path)];
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
  // 2. files, through confined folder handles
  for (const w of files) {
    const real = join(root, ...w.path.split("/"));
    try {
      clearFolderInTheWay(root, w.path);
      replaceInsideSync(root, { real }, blobs.get(w.sha!)!, fileMode(real, w.mode === "100755"));
      result.restored.push(w.path);
    } catch (error) {
      result.kept.push({ path: w.path, reason: `could not write: ${reasonOf(error)}` });
    }
  }
  // 3. symlinks, last: each against the disk as it is now, so no link leads outside at any moment
  placeLinks(root, links, options.forbidden, result);
  return result;
}

/**
 * Create `links` one at a time so that after each creation every link made so
 * far still leads inside on disk. A link that leads outside in the current
 * state (because another link it goes through is not yet changed) waits for a
 * later round; one whose creation would turn an already made link outside
 * waits too. What never fits is named in `kept` and not created.
 */
export function placeLinks(root: string, links: readonly LinkToCheck[], forbidden: Forbidden, result: RestoreResult, afterEach?: () => void): void {
  const view = new TreeView(root);
  /** Made links by the paths their walk looked at: the ones to check again when such a path changes. */
  const watchers = new Map<string, Set<LinkToCheck>>();
  const watch = (link: LinkToCheck, consulted: Iterable<string>, on: boolean) => {
    for (const path of consulted) {
      const set = watchers.get(path) ?? new Set<LinkToCheck>();
      if (on) set.add(link);
      else set.delete(link);
      watchers.set(path, set);
    }
  };
  const consultedBy = new Map<LinkToCheck, Set<string>>();
  let pending = [...links];
  for (let progress = true; progress && pending.length > 0; ) {
    progress = false;
    for (const link of [...pending]) {
      const before = view.overlay.get(link.path);
      view.set(link.path, { kind: "link", target: link.target });
      const verdict = resolveLink(root, view, link.path, link.target, forbidden);
      // Made links whose walk looked at this path or a folder above it (creating the link may make that folder).
      const affected = new Set(prefixesOf(link.path).flatMap((p) => [...(watchers.get(p) ?? [])]));
      const rechecked = [...affected].map((m) => ({ m, v: resolveLink(root, view, m.path, m.target, forbidden) }));
      if (!verdict.inside || rechecked.some(({ v }) => !v.inside)) {
        if (before) view.overlay.set(link.path, before);
        else view.overlay.delete(link.path);
        continue;
      }
      pending = pending.filter((l) => l !== link);
      progress = true;
      try {
        clearFolderInTheWay(root, link.path);
        placeSymlink(root, link.path, link.target);
      } catch (error) {
        // Not created: the path holds whatever is on disk now; look at it afresh.
        view.unset(link.path);
        result.kept.push({ path: link.path, reason: `could not write: ${reasonOf(error)}` });
        continue;
      }
      for (const { m, v } of rechecked) {
        watch(m, consultedBy.get(m)!, false);
        watch(m, v.consulted, true);
        consultedBy.set(m, v.consulted);
      }
      watch(link, verdict.consulted, true);
      consultedBy.set(link, verdict.consulted);
      result.restored.push(link.path);
      afterEach?.();
    }
  }
  for (const link of pending) {
    const verdict = resolveLink(root, view, link.path, link.target, forbidden);
    result.kept.push({ path: link.path, reason: verdict.inside ? LINK_LEADS_OTHER_OUT : LINK_REASONS[verdict.why] });
  }
}

const LINK_LEADS_OTHER_OUT = "symbolic link that would make another restored link lead outside the workspace (not restored)";

/** "a/b/c" → ["a", "a/b", "a/b/c"]. */
function prefixesOf(path: string): string[] {
  const parts = path.split("/");
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
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
