import { createHash, randomBytes } from "node:crypto";
import { accessSync, constants, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ActionError } from "../ground/errors.js";
import { writeFileAtomicSync } from "../fs/atomic.js";
import { forbiddenInside } from "../files/forbidden.js";
import { withStoreLock } from "./lock.js";
import { ensureShadowRepo, repairPinnedFiles, shadowGit, type ShadowPaths } from "./shadowGit.js";

/** What the config says about checkpoints (config key `checkpoints`). */
export interface CheckpointSettings {
  enabled: boolean;
  max_file_bytes: number;
  keep_count: number;
  keep_days: number;
}

export const DEFAULT_SETTINGS: CheckpointSettings = {
  enabled: true,
  max_file_bytes: 5 * 1024 * 1024,
  keep_count: 500,
  keep_days: 14,
};

/** Paths a snapshot may leave out because they changed type while git read them, before it gives up. */
const MAX_VOLATILE_PATHS = 16;

/** The longest of `paths` that git's error message names (it quotes the path it failed on). */
function pathNamedIn(message: string, paths: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const path of paths) if (message.includes(path) && (best === undefined || path.length > best.length)) best = path;
  return best;
}

export type SkipReason = "too_large" | "nested_repository" | "special_file" | "unreadable" | "changed_while_stored";

export interface SkippedEntry {
  path: string;
  reason: SkipReason;
  size?: number;
}

/** One line of a workspace's history: the state before one action. */
export interface CheckpointRecord {
  id: string;
  seq: number;
  created_at: string;
  action: string;
  summary: string;
  /** The git tree of the workspace's stored files. */
  tree: string;
  /** Files that differ from the previous record's tree (null for the first). */
  delta: number | null;
  /** What this state did not store (capped at MAX_SKIPPED entries; skipped_total has the count). */
  skipped: SkippedEntry[];
  skipped_total: number;
  /** The action failed with an internal error after the checkpoint (it may have changed files). */
  failed?: boolean;
}

interface StoreState {
  salt: string;
  next_seq: number;
  /** Records with a lower seq were removed by retention. */
  pruned_below: number;
  /** New objects since the last repack (loose objects waiting). */
  unpacked: number;
  needs_prune: boolean;
  /** Checkpoints since the last stat refresh of the shadow index. */
  since_refresh?: number;
  /** The tree of the last write-tree and the index file's stat then. */
  last_tree?: string;
  index_stamp?: string;
}

const MAX_SKIPPED = 200;
const MAX_SUMMARY = 300;
const REPACK_AFTER = 1_000;
const REFRESH_EVERY = 20;

export interface Snapshot {
  tree: string;
  skipped: SkippedEntry[];
  skipped_total: number;
}

interface SnapshotTaken extends Snapshot {
  /** Files written into the store. */
  added: number;
  /** The tree the shadow index held before, and how many paths changed from it. */
  base: string | null;
  changed: number;
}

/** Short, stable folder name for a workspace's store. */
function storeKey(root: string): string {
  return createHash("sha256").update(root).digest("hex").slice(0, 16);
}

const recordCache = new Map<string, { stamp: string; records: CheckpointRecord[] }>();

/**
 * The checkpoint store of one workspace: `<config home>/checkpoints/<key>/`
 * holding the shadow git folder, its index, `history.jsonl` (one record per
 * line) and `state.json`.
 */
export class CheckpointStore {
  readonly paths: ShadowPaths;
  private readonly historyFile: string;
  private readonly stateFile: string;
  /** Folders inside the workspace that are never stored or restored (the tool's config folder), workspace-relative. */
  readonly forbidden: string[];

  constructor(
    home: string,
    readonly root: string,
    readonly settings: CheckpointSettings = DEFAULT_SETTINGS,
  ) {
    const dir = join(home, "checkpoints", storeKey(root));
    this.paths = { dir, gitDir: join(dir, "git"), indexFile: join(dir, "index"), root };
    this.historyFile = join(dir, "history.jsonl");
    this.stateFile = join(dir, "state.json");
    this.forbidden = forbiddenInside(root, [home]);
  }

  /** Whether anything was ever recorded for this workspace (read-only callers don't create the store). */
  exists(): boolean {
    return existsSync(this.historyFile);
  }

  private async open(): Promise<void> {
    const fresh = !existsSync(join(this.paths.gitDir, "HEAD"));
    mkdirSync(join(this.paths.dir, ".."), { recursive: true, mode: 0o700 });
    await ensureShadowRepo(this.paths, this.forbidden);
    if (!fresh) repairPinnedFiles(this.paths, this.forbidden);
    if (!existsSync(join(this.paths.dir, "workspace.txt"))) writeFileAtomicSync(join(this.paths.dir, "workspace.txt"), `${this.root}\n`);
  }

  /** Run `fn` holding this workspace's lock (creates the store folder first). */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    mkdirSync(this.paths.dir, { recursive: true, mode: 0o700 });
    return withStoreLock(this.paths.dir, async () => {
      await this.open();
      return fn();
    });
  }

  // ---- state and history files -------------------------------------------------

  private state(): StoreState {
    try {
      return JSON.parse(readFileSync(this.stateFile, "utf8")) as StoreState;
    } catch {
      return { salt: randomBytes(2).toString("hex"), next_seq: 1, pruned_below: 0, unpacked: 0, needs_prune: false };
    }
  }

  private saveState(state: StoreState): void {
    writeFileAtomicSync(this.stateFile, JSON.stringify(state));
  }

  /** All records, oldest first (cached while the file is unchanged). */
  records(): CheckpointRecord[] {
    let stamp: string;
    try {
      const st = statSync(this.historyFile);
      stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
    } catch {
      return [];
    }
    const hit = recordCache.get(this.historyFile);
    if (hit && hit.stamp === stamp) return hit.records;
    const records: CheckpointRecord[] = [];
    for (const line of readFileSync(this.historyFile, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      try {
        records.push(JSON.parse(line) as CheckpointRecord);
      } catch {
        // a torn last line after a crash: skip it
      }
    }
    recordCache.set(this.historyFile, { stamp, records });
    return records;
  }

  private writeRecords(records: CheckpointRecord[]): void {
    writeFileAtomicSync(this.historyFile, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
    recordCache.delete(this.historyFile);
  }

  /** A record by id; 404 with a message that says whether retention removed it. */
  find(id: string): CheckpointRecord {
    const records = this.records();
    const hit = records.find((r) => r.id === id) ?? (/^\d+$/.test(id) ? records.find((r) => r.seq === Number(id)) : undefined);
    if (hit) return hit;
    const seq = /^cp-(\d+)-/.exec(id)?.[1];
    const state = this.state();
    if (seq !== undefined && id.endsWith(`-${state.salt}`) && Number(seq) < state.next_seq) {
      throw new ActionError("NOT_FOUND", `checkpoint "${id}" was removed by the retention rules (the store keeps the newest ${this.settings.keep_count} checkpoints for at most ${this.settings.keep_days} days)`, {
        hint: "Call list_checkpoints to see the checkpoints that still exist.",
      });
    }
    throw new ActionError("NOT_FOUND", `no checkpoint "${id}" in this workspace`, { hint: "Call list_checkpoints to see the ids." });
  }

  // ---- snapshots ---------------------------------------------------------------

  /**
   * Record the workspace's current files in the shadow index and return its
   * tree. Must run under `locked`. Cost when nothing changed: one stat per
   * stored file plus a walk of the folders for new files (like git status).
   */
  async snapshot(): Promise<SnapshotTaken> {
    // A path can change type between the listing and update-index (a folder swapped for a symlink): list again, a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.snapshotOnce();
      } catch (error) {
        if (attempt >= 4) throw error;
      }
    }
  }

  private async snapshotOnce(): Promise<SnapshotTaken> {
    const p = this.paths;
    const listed = await shadowGit(p, ["ls-files", "-z", "-t", "-m", "-d", "-o", "--exclude-standard"]);
    const inIndex = new Set<string>();
    const candidates: string[] = [];
    const seen = new Set<string>();
    for (const item of listed.stdout.toString("utf8").split("\0")) {
      if (item.length < 3) continue;
      const tag = item[0];
      const path = item.slice(2);
      if (tag !== "?") inIndex.add(path);
      if (!seen.has(path)) {
        seen.add(path);
        candidates.push(path);
      }
    }
    // Removals first, so a file replaced by a folder (or the reverse) never clashes in the index.
    const removals: string[] = [];
    const update: string[] = [];
    const forceRemove: string[] = [];
    const skipped: SkippedEntry[] = [];
    const folderCache = new Map<string, boolean>();
    for (const path of candidates) {
      if (hasGitPart(path) || this.forbidden.some((f) => path === f || path.startsWith(`${f}/`))) continue;
      if (path.endsWith("/")) {
        skipped.push({ path: path.slice(0, -1), reason: "nested_repository" });
        continue;
      }
      if (!realFolderChain(this.root, path, folderCache)) {
        if (inIndex.has(path)) forceRemove.push(path); // beyond a symlink now: not part of the tree (git refuses --remove there)
        continue;
      }
      let st;
      try {
        st = lstatSync(join(this.root, path));
      } catch {
        if (inIndex.has(path)) removals.push(path); // gone: --remove drops it
        continue;
      }
      if (st.isDirectory()) {
        if (inIndex.has(path)) removals.push(path); // a folder where a file was: update-index drops the file entry
        continue;
      }
      if (st.isSymbolicLink()) {
        update.push(path);
        continue;
      }
      let reason: SkipReason | null = null;
      if (!st.isFile()) reason = "special_file";
      else if (st.size > this.settings.max_file_bytes) reason = "too_large";
      else if (!readable(join(this.root, path))) reason = "unreadable";
      if (reason === null) {
        update.push(path);
        continue;
      }
      skipped.push({ path, reason, ...(reason === "too_large" ? { size: st.size } : {}) });
      if (inIndex.has(path)) forceRemove.push(path);
    }
    if (forceRemove.length > 0) {
      await shadowGit(p, ["update-index", "-z", "--force-remove", "--stdin"], { input: nulList(forceRemove) });
    }
    if (removals.length + update.length > 0) {
      // Many new files (the first checkpoint of a big tree): stream them into one pack instead of one loose file each.
      const bulk = update.length > 200 ? ["-c", "core.bigFileThreshold=1"] : [];
      let listedPaths = [...removals, ...update];
      // A path that changes type while git reads it (a folder swapped for a symlink, over and over) makes
      // update-index fail on that path: leave it out (listed as skipped) rather than fail the action.
      for (let attempt = 0; ; attempt++) {
        try {
          await shadowGit(p, [...bulk, "update-index", "-z", "--add", "--remove", "--stdin"], {
            input: nulList(listedPaths),
            timeoutMs: 120_000 + 20 * update.length, // the first checkpoint of a big tree hashes every file once
          });
          break;
        } catch (error) {
          const culprit = attempt < MAX_VOLATILE_PATHS ? pathNamedIn((error as Error).message, listedPaths) : undefined;
          if (culprit === undefined) throw error;
          listedPaths = listedPaths.filter((path) => path !== culprit);
          skipped.push({ path: culprit, reason: "changed_while_stored" });
          if (listedPaths.length === 0) break;
        }
      }
    }
    const state = this.state();
    const base = state.last_tree ?? null;
    const stamp = indexStamp(p.indexFile);
    let tree: string;
    if (forceRemove.length + removals.length + update.length === 0 && state.last_tree && state.index_stamp === stamp) {
      tree = state.last_tree; // nothing listed and the index is as we left it: the same tree, without running write-tree
    } else {
      tree = (await shadowGit(p, ["write-tree"])).stdout.toString("utf8").trim();
      state.last_tree = tree;
      state.index_stamp = indexStamp(p.indexFile);
      this.saveState(state);
    }
    if (!/^[0-9a-f]{40,64}$/.test(tree)) throw new ActionError("INTERNAL", "checkpoint store: git write-tree gave no tree id");
    skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return {
      tree,
      skipped: skipped.slice(0, MAX_SKIPPED),
      skipped_total: skipped.length,
      added: update.length,
      base,
      changed: forceRemove.length + removals.length + update.length,
    };
  }

  /**
   * Refresh the stat data of the shadow index (files touched but not changed
   * would otherwise be hashed again on every snapshot). Housekeeping, off the
   * answer's path.
   */
  async refresh(): Promise<void> {
    await shadowGit(this.paths, ["update-index", "-q", "--refresh", "--ignore-submodules"], { okCodes: [1] });
  }

  /**
   * Take a checkpoint: snapshot + history record. Must run under `locked`.
   * The same tree as the previous record costs one JSON line (no new objects).
   */
  async checkpoint(action: string, summary: string): Promise<CheckpointRecord> {
    const snap = await this.snapshot();
    return this.record(action, summary, snap);
  }

  /** Append a record for a snapshot already taken. Must run under `locked`. */
  async record(action: string, summary: string, snap: SnapshotTaken): Promise<CheckpointRecord> {
    const records = this.records().slice();
    const state = this.state();
    const previous = records.at(-1);
    let delta: number | null = null;
    if (previous) {
      // The shadow index held the previous record's files: the paths the snapshot changed are the delta (no diff needed).
      if (previous.tree === snap.tree) delta = 0;
      else if (snap.base === previous.tree) delta = snap.changed;
      else delta = (await this.changedPaths(previous.tree, snap.tree)).length;
    }
    // Refs that keep the trees' objects are written by maintain() before it packs or prunes; until then nothing deletes objects.
    const seq = state.next_seq;
    const record: CheckpointRecord = {
      id: `cp-${seq}-${state.salt}`,
      seq,
      created_at: new Date().toISOString(),
      action,
      summary: clip(summary, MAX_SUMMARY),
      tree: snap.tree,
      delta,
      skipped: snap.skipped,
      skipped_total: snap.skipped_total,
    };
    records.push(record);
    state.next_seq = seq + 1;
    state.unpacked += snap.added;
    state.since_refresh = (state.since_refresh ?? 0) + 1;
    this.writeRecords(records);
    this.saveState(state);
    return record;
  }

  /** Drop a record again (the action it was taken for was refused and changed nothing). */
  async drop(id: string): Promise<void> {
    const records = this.records();
    const record = records.find((r) => r.id === id);
    if (!record) return;
    const rest = records.filter((r) => r.id !== id);
    // The next record's delta was against the dropped one; with the same tree before it the count is wrong: recompute.
    const index = records.indexOf(record);
    const next = rest[index];
    if (next) {
      const before = rest[index - 1];
      next.delta = before ? (before.tree === next.tree ? 0 : (await this.changedPaths(before.tree, next.tree)).length) : null;
    }
    this.writeRecords(rest);
  }

  /** Mark a record as taken before an action that failed unexpectedly. */
  markFailed(id: string): void {
    const records = this.records().map((r) => (r.id === id ? { ...r, failed: true } : r));
    this.writeRecords(records);
  }

  /**
   * Apply retention after an action went through (so a refused action cannot
   * push out an old checkpoint). Must run under `locked`. True when records went.
   */
  enforceRetention(): boolean {
    const records = this.records();
    const state = this.state();
    const kept = this.retain(records, state);
    if (kept === records) return false;
    this.writeRecords(kept);
    this.saveState(state);
    return true;
  }

  /** Whether retention has something to remove (cheap). */
  overRetention(): boolean {
    const records = this.records();
    if (records.length > this.settings.keep_count) return true;
    const oldest = records[0];
    return oldest !== undefined && records.length > 1 && Date.parse(oldest.created_at) < Date.now() - this.settings.keep_days * 86_400_000;
  }

  /** Retention: newest keep_count, none older than keep_days (the newest one always stays). */
  private retain(records: CheckpointRecord[], state: StoreState): CheckpointRecord[] {
    const cutoff = Date.now() - this.settings.keep_days * 86_400_000;
    const keepFrom = Math.max(0, records.length - this.settings.keep_count);
    const kept = records.filter((r, i) => i === records.length - 1 || (i >= keepFrom && Date.parse(r.created_at) >= cutoff));
    if (kept.length === records.length) return records;
    const removed = records.filter((r) => !kept.includes(r));
    state.pruned_below = Math.max(state.pruned_below, ...removed.map((r) => r.seq + 1));
    state.needs_prune = true;
    return kept;
  }

  /**
   * Bounded housekeeping after a checkpoint, under the lock: delete the refs of
   * pruned states, pack loose objects once many piled up, and drop unreachable
   * objects after retention removed states. Returns what it did.
   */
  async maintain(): Promise<string[]> {
    const done: string[] = [];
    const state = this.state();
    if (state.needs_prune || state.unpacked >= REPACK_AFTER) await this.syncRefs();
    if (state.needs_prune) {
      await shadowGit(this.paths, ["repack", "-a", "-d", "-q", "--no-write-bitmap-index"], { timeoutMs: 300_000 });
      await shadowGit(this.paths, ["prune", "--expire=now"], { timeoutMs: 300_000 });
      state.needs_prune = false;
      state.unpacked = 0;
      done.push("prune");
    } else if (state.unpacked >= REPACK_AFTER) {
      await shadowGit(this.paths, ["repack", "-d", "-q", "--no-write-bitmap-index"], { timeoutMs: 300_000 });
      state.unpacked = 0;
      done.push("repack");
      if (packCount(this.paths.gitDir) > 10) {
        await shadowGit(this.paths, ["repack", "-a", "-d", "-q", "--no-write-bitmap-index"], { timeoutMs: 300_000 });
        await shadowGit(this.paths, ["prune", "--expire=now"], { timeoutMs: 300_000 });
        done.push("full repack");
      }
    }
    if ((state.since_refresh ?? 0) >= REFRESH_EVERY) {
      await this.refresh();
      state.since_refresh = 0;
      done.push("refresh");
    }
    if (done.length > 0) this.saveState(state);
    return done;
  }

  /** One ref per tree that a record names (so packing and pruning keep exactly those), none for the others. */
  private async syncRefs(): Promise<void> {
    const live = new Set(this.records().map((r) => r.tree));
    const refs = (await shadowGit(this.paths, ["for-each-ref", "--format=%(refname)", "refs/cp/"])).stdout.toString("utf8").split("\n").filter((r) => r.startsWith("refs/cp/"));
    const have = new Set(refs.map((r) => r.slice("refs/cp/".length)));
    const lines = [
      ...refs.filter((r) => !live.has(r.slice("refs/cp/".length))).map((r) => `delete ${r}\n`),
      ...[...live].filter((t) => !have.has(t)).map((t) => `update refs/cp/${t} ${t}\n`),
    ];
    if (lines.length > 0) await shadowGit(this.paths, ["update-ref", "--stdin"], { input: lines.join("") });
  }

  /** Whether housekeeping has work (cheap; checked after each checkpoint). */
  needsMaintenance(): boolean {
    const state = this.state();
    return state.needs_prune || state.unpacked >= REPACK_AFTER || (state.since_refresh ?? 0) >= REFRESH_EVERY;
  }

  /** Paths that differ between two trees. */
  async changedPaths(from: string, to: string): Promise<string[]> {
    if (from === to) return [];
    const out = await shadowGit(this.paths, ["diff-tree", "-r", "-z", "--name-only", "--no-renames", "--no-ext-diff", from, to]);
    return out.stdout.toString("utf8").split("\0").filter((s) => s.length > 0);
  }

  /** Ignored folders and files at the workspace's top levels that no checkpoint stores (capped). */
  async ignoredPaths(limit = 50): Promise<string[]> {
    const out = await shadowGit(this.paths, ["ls-files", "-z", "-o", "-i", "--exclude-standard", "--directory", "--no-empty-directory"]);
    const all = out.stdout.toString("utf8").split("\0").filter((s) => s.length > 0 && !hasGitPart(s.replace(/\/$/, "")));
    return all.slice(0, limit);
  }
}

/** Whether a path has a component named `.git` in any letter case. */
export function hasGitPart(path: string): boolean {
  return path.split("/").some((part) => part.toLowerCase() === ".git");
}

/** Whether every folder on the way to `path` is a real folder (not a symlink): a path beyond a symlink is not in the workspace's tree. */
function realFolderChain(root: string, path: string, cache: Map<string, boolean>): boolean {
  const at = path.lastIndexOf("/");
  if (at < 0) return true;
  const parent = path.slice(0, at);
  const hit = cache.get(parent);
  if (hit !== undefined) return hit;
  let ok = realFolderChain(root, parent, cache);
  if (ok) {
    try {
      ok = lstatSync(join(root, parent)).isDirectory();
    } catch {
      ok = false;
    }
  }
  cache.set(parent, ok);
  return ok;
}

function indexStamp(file: string): string {
  try {
    const st = statSync(file);
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return "none";
  }
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function nulList(paths: readonly string[]): Buffer {
  return Buffer.from(paths.map((p) => `${p}\0`).join(""), "utf8");
}

function packCount(gitDir: string): number {
  try {
    return readdirSync(join(gitDir, "objects", "pack")).filter((f) => f.endsWith(".pack")).length;
  } catch {
    return 0;
  }
}

export function clip(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}
