import { ActionError } from "../ground/errors.js";
import { LIMITS } from "../ground/limits.js";
import { restoreTree, treeChanges, type KeptEntry } from "./restore.js";
import { shadowGit } from "./shadowGit.js";
import type { CheckpointRecord, CheckpointStore, SkippedEntry } from "./store.js";

/** What list_checkpoints and `history` show per checkpoint. */
export interface CheckpointView {
  id: string;
  created_at: string;
  action: string;
  summary: string;
  /** Files this action (and anything else until the next checkpoint) changed; for the newest, compared with the files now. */
  files_changed: number | null;
  skipped?: SkippedEntry[];
  skipped_total?: number;
  failed?: boolean;
}

/** Newest first, `limit` per page; the cursor is the seq to continue below. */
export async function listCheckpoints(store: CheckpointStore, limit: number, cursor: string | undefined): Promise<{ checkpoints: CheckpointView[]; next_cursor?: string }> {
  if (cursor !== undefined && !/^\d+$/.test(cursor)) throw new ActionError("BAD_REQUEST", "cursor is not valid; pass the next_cursor of a previous answer");
  if (!store.exists()) return { checkpoints: [] };
  const records = store.records();
  const below = cursor === undefined ? Infinity : Number(cursor);
  const newestFirst = records.filter((r) => r.seq < below).reverse();
  const page = newestFirst.slice(0, limit);
  const newest = records.at(-1);
  let nowChanged: number | null = null;
  if (newest && page[0] === newest) {
    nowChanged = await store.locked(async () => store.changedPaths(newest.tree, (await store.snapshot()).tree)).then((p) => p.length);
  }
  const views = page.map((record) => {
    const next = records[records.indexOf(record) + 1];
    return view(record, next ? next.delta : nowChanged);
  });
  const more = newestFirst.length > page.length;
  return { checkpoints: views, ...(more ? { next_cursor: String(page.at(-1)!.seq) } : {}) };
}

function view(record: CheckpointRecord, filesChanged: number | null): CheckpointView {
  return {
    id: record.id,
    created_at: record.created_at,
    action: record.action,
    summary: record.summary,
    files_changed: filesChanged,
    ...(record.skipped_total > 0 ? { skipped: record.skipped.slice(0, 20), skipped_total: record.skipped_total } : {}),
    ...(record.failed ? { failed: true } : {}),
  };
}

const STATUS: Record<string, string> = { a: "added", d: "deleted", m: "modified" };

/** One page of a checkpoint diff: its budget, and where the previous page stopped (a byte offset into the diff of tree `tree`). */
export interface DiffPage {
  budget: number;
  after?: { offset: number; tree: string };
}

export interface CheckpointDiff {
  diff: string;
  truncated: boolean;
  files: { path: string; status: string }[];
  files_total: number;
  to: string;
  /** The tree compared with: a cursor is tied to it, so a page never continues a different diff. */
  toTree: string;
  /** The diff was cut: the next page starts at this byte. */
  nextOffset?: number;
  /** Files the list left out: the first of them (its diff can be asked for with path). */
  firstUnlisted?: string;
}

/**
 * The diff from checkpoint `id` to checkpoint `to` (default: the files now),
 * optionally for one path; one page of it, cut at a line end to fit the budget
 * (the file list takes at most a third).
 */
export async function diffCheckpoint(store: CheckpointStore, id: string, to: string | undefined, path: string | undefined, page: DiffPage): Promise<CheckpointDiff> {
  if (!store.exists()) store.find(id); // 404 with the right message
  const from = store.find(id);
  const target = to !== undefined ? store.find(to) : null;
  return store.locked(async () => {
    const toTree = target ? target.tree : (await store.snapshot()).tree;
    if (page.after && page.after.tree !== toTree) {
      throw new ActionError("BAD_REQUEST", "invalid cursor: the files changed since the previous page, so its diff is not this one", {
        hint: "Call checkpoint_diff again without cursor.",
      });
    }
    const paths = path !== undefined ? [path] : [];
    // from → to: "added" exists in `to` but not in the checkpoint.
    const changes = await treeChanges(store, from.tree, toTree, paths);
    const files: { path: string; status: string }[] = [];
    let budget = Math.floor(page.budget / 3);
    for (const c of changes) {
      const entry = { path: c.path, status: STATUS[c.kind]! };
      budget -= entry.path.length + 30;
      if (budget < 0) break;
      files.push(entry);
    }
    const specs = paths.map((p) => `:(literal)${p}`);
    const room = Math.max(0, page.budget - JSON.stringify(files).length);
    const start = page.after?.offset ?? 0;
    const out = await shadowGit(
      store.paths,
      ["diff-tree", "-p", "-r", "--no-renames", "--no-ext-diff", "--no-textconv", "--no-color", from.tree, toTree, "--", ...specs],
      { capBytes: start + room * 4 },
    );
    let diff = out.stdout.subarray(start).toString("utf8");
    let cut = out.truncated;
    if (cut && diff.includes("\n")) diff = diff.slice(0, diff.lastIndexOf("\n") + 1); // the capture may end inside a line
    if (JSON.stringify(diff).length > room) {
      diff = fitJson(diff, room);
      cut = true;
    }
    const listCut = files.length < changes.length;
    return {
      diff,
      truncated: cut || listCut,
      files,
      files_total: changes.length,
      to: target ? target.id : "current files",
      toTree,
      ...(cut ? { nextOffset: start + Buffer.byteLength(diff) } : {}),
      ...(listCut ? { firstUnlisted: changes[files.length]!.path } : {}),
    };
  });
}

/** The longest prefix of `text` (cut at a line end when there is one) whose JSON form fits in `room` characters. */
function fitJson(text: string, room: number): string {
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (JSON.stringify(text.slice(0, mid)).length <= room) lo = mid;
    else hi = mid - 1;
  }
  const cut = text.lastIndexOf("\n", lo - 1);
  if (cut >= 0) return text.slice(0, cut + 1);
  // One line longer than the room: its start, not ending on half of a surrogate pair (the next page goes on from there).
  const code = text.charCodeAt(lo - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? lo - 1 : lo);
}

export interface RestoreAnswer {
  restored: string[];
  deleted: string[];
  kept: KeptEntry[];
  restored_total: number;
  deleted_total: number;
  truncated: boolean;
  dry_run: boolean;
}

/**
 * Restore checkpoint `record` for `paths` (all when empty). `current` is the
 * tree of a snapshot taken under the lock held now.
 */
export async function restoreFromTree(store: CheckpointStore, record: CheckpointRecord, current: string, paths: readonly string[], dryRun: boolean): Promise<RestoreAnswer> {
  const result = await restoreTree(store, current, record.tree, { paths, dryRun, forbidden: store.forbidden });
  return fitRestore(result.restored, result.deleted, result.kept, dryRun);
}

function fitRestore(restored: string[], deleted: string[], kept: KeptEntry[], dryRun: boolean): RestoreAnswer {
  const budget = LIMITS.payloadChars - 500;
  const take = <T>(items: T[], room: number): T[] => {
    const out: T[] = [];
    let used = 0;
    for (const item of items) {
      used += JSON.stringify(item).length + 1;
      if (used > room) break;
      out.push(item);
    }
    return out;
  };
  const r = take(restored, budget * 0.45);
  const d = take(deleted, budget * 0.45);
  const k = take(kept, budget * 0.1);
  return {
    restored: r,
    deleted: d,
    kept: k,
    restored_total: restored.length,
    deleted_total: deleted.length,
    truncated: r.length < restored.length || d.length < deleted.length || k.length < kept.length,
    dry_run: dryRun,
  };
}
