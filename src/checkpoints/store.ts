import { createHash, randomBytes } from "node:crypto";
import { accessSync, constants, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { readRegularFile } from "../fs/regularFile.js";
import { join } from "node:path";
import { ConfinedDir } from "../files/confinedFs.js";
import { ActionError, isActionError } from "../ground/errors.js";
import { writeFileAtomicSync } from "../fs/atomic.js";
import { forbiddenInside } from "../files/forbidden.js";
import { withStoreLock } from "./lock.js";
import { entriesToDrop, findUserRepository, parseIndex, pinObjects, readUserIndex, safeList, type IndexEntry, type ParsedIndex } from "./seed.js";
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
  /** The checkpoint took longer than an action may wait: the action was answered without running. */
  not_run?: boolean;
}

interface StoreState {
  salt: string;
  next_seq: number;
  /** Records with a lower seq were removed by retention. */
  pruned_below: number;
  /** New objects since the last repack (loose objects waiting). */
  unpacked: number;
  needs_prune: boolean;
  /** (Older stores: checkpoints since the last stat refresh; the shadow's status now refreshes as it goes.) */
  since_refresh?: number;
  /** The tree of the last write-tree and the index file's stat then. */
  last_tree?: string;
  index_stamp?: string;
  /** The shadow index was started from the user's index once (or that was tried). */
  seeded?: boolean;
  /** The tree of the commit the shadow's HEAD points at (none: HEAD has no commit yet). */
  head_tree?: string;
  /** Objects the checkpoints use are still read from the user's repository (through `borrow/`): copy them before reading any. */
  borrowing?: boolean;
}

const MAX_SKIPPED = 200;
const MAX_SUMMARY = 300;
const REPACK_AFTER = 1_000;
/** Changed files up to which a snapshot reads them itself (the short way) instead of running update-index before the action. */
const FAST_PATHS = 64;
/**
 * Files per update-index run when many are stored at once. Git's bulk pack compares each new object with every
 * one written before it in the same run, so one run over 100,000 new files spends ~9 s there; in runs of 10,000
 * that is a tenth, and each run costs one more read and write of the index.
 */
const BULK_BATCH = 10_000;

/** Paths by which the index may differ from HEAD's tree before HEAD is moved (each snapshot's status lists them). */
const HEAD_LAG = 200;

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

/** Test-only: a slow step injected into every snapshot (e.g. to take a checkpoint past the wait limit). */
export const checkpointTestHooks: {
  beforeSnapshot?: (store: CheckpointStore) => Promise<void>;
  fastPaths?: number;
  /** Files per update-index run when many are stored (BULK_BATCH). */
  bulkBatch?: number;
  seedIndexPlaced?: () => void;
  /** Between the listing of a few changed files and the read of their bytes (where a running job may swap a folder). */
  beforeReadEntries?: () => void;
  /** After the background copy of borrowed objects wrote its pack into `folder`, before it is taken in. */
  afterBackgroundCopy?: (folder: string) => Promise<void>;
} = {};

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
  /** Start the first snapshot of a git workspace from the user's index (false: hash every file, as a workspace without git). */
  seedFromUserIndex = true;

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

  /** The seed's copies of the user's index: the one made whole before it is put in place, and the one the ignored files are listed from. */
  private get seedTemp(): string {
    return `${this.paths.indexFile}.seed`;
  }

  private get seedProbe(): string {
    return `${this.paths.indexFile}.ignored`;
  }

  /**
   * What a process stopped during a first checkpoint left (under the lock, no seed is under way):
   * the seed's copies of the user's index, and the borrowing folder (links to the user's object
   * files) when the store does not borrow.
   */
  private removeSeedLeftovers(): void {
    for (const file of [this.seedTemp, this.seedProbe]) if (existsSync(file)) rmSync(file, { force: true });
    if (existsSync(this.borrowDir) && !this.state().borrowing) rmSync(this.borrowDir, { recursive: true, force: true });
  }

  /**
   * The lock files of a shadow git that was stopped (by its timeout, by a FIFO that held it, or with the
   * server): git leaves them when it is killed, and refuses to run while one is there, so every later
   * checkpoint would fail. Under this workspace's lock no git of ours runs on the index or the refs, so any
   * there is stale. The index's (and its temporary copies') and the refs' (HEAD, packed-refs, refs/<kind>/<name>).
   */
  private removeStaleGitLocks(): void {
    const refs = join(this.paths.gitDir, "refs");
    const folders = [this.paths.dir, this.paths.gitDir, ...safeList(refs).map((kind) => join(refs, kind))];
    for (const folder of folders) {
      for (const name of safeList(folder)) if (name.endsWith(".lock")) rmSync(join(folder, name), { force: true });
    }
  }

  /** Whether anything was ever recorded for this workspace (read-only callers don't create the store). */
  exists(): boolean {
    return existsSync(this.historyFile);
  }

  private async open(): Promise<void> {
    const fresh = !existsSync(join(this.paths.gitDir, "HEAD"));
    mkdirSync(join(this.paths.dir, ".."), { recursive: true, mode: 0o700 });
    await ensureShadowRepo(this.paths, this.forbidden);
    if (!fresh) {
      repairPinnedFiles(this.paths, this.forbidden);
      this.removeSeedLeftovers();
      this.removeStaleGitLocks();
    }
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
        const finish = await this.snapshotOnce();
        return await finish();
      } catch (error) {
        if (attempt >= 4 || !worthListingAgain(error)) throw error;
      }
    }
  }

  /**
   * A snapshot in two steps: this reads the work tree into the shadow index
   * (status, update-index); the function it returns writes the index's tree
   * (write-tree), which reads nothing but the index, so the work tree may
   * change meanwhile. Both under `locked`, the second before anything else
   * uses the index.
   */
  async snapshotListed(): Promise<() => Promise<SnapshotTaken>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.snapshotOnce();
      } catch (error) {
        if (attempt >= 4 || !worthListingAgain(error)) throw error;
      }
    }
  }

  private async snapshotOnce(): Promise<() => Promise<SnapshotTaken>> {
    const p = this.paths;
    if (this.seedFromUserIndex && !existsSync(p.indexFile) && !this.state().seeded) {
      await this.seedFromUser();
      if (existsSync(p.indexFile)) {
        // An index git cannot work with after all: the next try starts from nothing.
        const giveUp = (error: unknown): never => {
          this.dropSeed(error);
          throw error;
        };
        const finish = await this.snapshotFrom(p).catch(giveUp);
        return () => finish().catch(giveUp);
      }
    }
    return this.snapshotFrom(p);
  }

  private async snapshotFrom(p: ShadowPaths): Promise<() => Promise<SnapshotTaken>> {
    await checkpointTestHooks.beforeSnapshot?.(this);
    const stampBefore = indexStamp(p.indexFile);
    // `git status` (the shadow's own): stats the files on several threads, walks the folders for new ones, and keeps
    // the index's stat data fresh. Its HEAD is a commit of a recent snapshot, so the staged part stays short.
    const listed = await shadowGit(p, ["status", "--porcelain=v2", "-z", "--untracked-files=all", "--no-renames", "--ignore-submodules=all"]);
    const parsedStatus = parseStatus(listed.stdout.toString("utf8"));
    const { inIndex, staged } = parsedStatus;
    const candidates = parsedStatus.candidates;
    const forceRemove: string[] = [];
    // Removals first, so a file replaced by a folder (or the reverse) never clashes in the index.
    const removals: string[] = [];
    const update: string[] = [];
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
    const counts = { added: update.length, changed: forceRemove.length + removals.length + update.length };
    // A few changed files: their bytes are read and stored here, so the action may start now; the index learns them
    // (update-index --index-info, no stat data: the next status looks at those files once more) with the tree, after.
    const fast = !this.fastPathOff && update.length <= (checkpointTestHooks.fastPaths ?? FAST_PATHS);
    if (fast) checkpointTestHooks.beforeReadEntries?.();
    const entries = fast ? readEntries(this.root, update, this.settings.max_file_bytes, join(p.gitDir, "objects")) : null;
    if (entries) {
      const zero = "0".repeat(40);
      const lines = [...forceRemove, ...removals].map((path) => `0 ${zero}\t${path}\0`).concat(entries.map((e) => `${e.mode} ${e.oid}\t${e.path}\0`));
      return async () => {
        try {
          if (lines.length > 0) await shadowGit(p, ["update-index", "-z", "--add", "--replace", "--index-info"], { input: Buffer.from(lines.join(""), "utf8") });
        } catch (error) {
          this.fastPathOff = true; // the next try goes the long way
          throw error;
        }
        return this.writeTree(p, { stampBefore, staged, skipped, ...counts });
      };
    }
    if (forceRemove.length > 0) {
      await shadowGit(p, ["update-index", "-z", "--force-remove", "--stdin"], { input: nulList(forceRemove) });
    }
    if (removals.length + update.length > 0) {
      // Many new files (the first checkpoint of a big tree): stream them into packs instead of one loose file each,
      // BULK_BATCH files per update-index (see there). Removals come first, in order.
      const bulk = update.length > 200 ? ["-c", "core.bigFileThreshold=1"] : [];
      const listed = [...removals, ...update];
      let volatile = 0;
      const perRun = checkpointTestHooks.bulkBatch ?? BULK_BATCH;
      for (let from = 0; from < listed.length; from += perRun) {
        let batch = listed.slice(from, from + perRun);
        // A path that changes type while git reads it (a folder swapped for a symlink, over and over) makes
        // update-index fail on that path: leave it out (listed as skipped) rather than fail the action.
        while (batch.length > 0) {
          try {
            await shadowGit(p, [...bulk, "update-index", "-z", "--add", "--remove", "--stdin"], {
              input: nulList(batch),
              timeoutMs: 120_000 + 20 * batch.length, // the first checkpoint of a big tree hashes every file once
            });
            break;
          } catch (error) {
            const culprit = volatile < MAX_VOLATILE_PATHS ? pathNamedIn((error as Error).message, batch) : undefined;
            if (culprit === undefined) throw error;
            volatile++;
            batch = batch.filter((path) => path !== culprit);
            skipped.push({ path: culprit, reason: "changed_while_stored" });
          }
        }
      }
    }
    this.fastPathOff = false;
    return () => this.writeTree(p, { stampBefore, staged, skipped, ...counts });
  }

  /** The second step of a snapshot: the index's tree (or the last one, when nothing changed), HEAD moved along when due. */
  private async writeTree(p: ShadowPaths, listed: { stampBefore: string; staged: number; skipped: SkippedEntry[]; added: number; changed: number }): Promise<SnapshotTaken> {
    const { stampBefore, staged, skipped, changed } = listed;
    const state = this.state();
    const base = state.last_tree ?? null;
    let tree: string;
    if (changed === 0 && state.last_tree && state.index_stamp === stampBefore) {
      // Nothing listed and the index was as we left it (status may have refreshed its stat data since): the same tree.
      tree = state.last_tree;
      const stamp = indexStamp(p.indexFile);
      if (stamp !== state.index_stamp) {
        state.index_stamp = stamp;
        this.saveState(state);
      }
    } else {
      // While objects are borrowed, the entries taken over from the user's index name objects this store has not copied yet.
      tree = (await shadowGit(p, ["write-tree", ...(state.borrowing ? ["--missing-ok"] : [])])).stdout.toString("utf8").trim();
      state.last_tree = tree;
      state.index_stamp = indexStamp(p.indexFile);
      this.saveState(state);
    }
    if (!/^[0-9a-f]{40,64}$/.test(tree)) throw new ActionError("INTERNAL", "checkpoint store: git write-tree gave no tree id");
    // HEAD follows the snapshots loosely: moved when status would otherwise list many staged paths (or it has none yet).
    if (state.head_tree !== tree && (state.head_tree === undefined || staged + changed > HEAD_LAG)) await this.moveHead(tree);
    skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return {
      tree,
      skipped: skipped.slice(0, MAX_SKIPPED),
      skipped_total: skipped.length,
      added: listed.added,
      base,
      changed,
    };
  }

  // ---- starting from the user's repository ---------------------------------------

  /** The folder of the read-only helper repository that reads the user's objects (and ours) while they are borrowed. */
  private get borrowDir(): string {
    return join(this.paths.dir, "borrow");
  }

  private borrowGit(args: string[], options: Parameters<typeof shadowGit>[2] = {}) {
    return shadowGit({ ...this.paths, gitDir: this.borrowDir }, args, options);
  }

  /**
   * The first snapshot of a git workspace starts from a copy of the user's
   * index (its stat data spares hashing every tracked file again) and reads the
   * objects it names from the user's repository until `ownObjects` has copied
   * them. The result is the tree a fresh store would make: entries a fresh
   * store would not take (ignored, too large, unreadable, submodules, beyond a
   * symlink, unmerged or hidden from git) are dropped first and found again by
   * the usual walk. Anything unexpected: the index is removed and the snapshot
   * starts from nothing, as before.
   */
  private async seedFromUser(): Promise<void> {
    const state = this.state();
    state.seeded = true;
    this.saveState(state);
    const t0 = performance.now();
    const trace = (what: string) => process.env.CGC_CP_TRACE && process.stderr.write(`[seed ${what}] ${Math.round(performance.now() - t0)}ms\n`);
    const repo = findUserRepository(this.root);
    if (!repo) return;
    const read = readUserIndex(repo.indexFile);
    if (!read) return;
    const p = this.paths;
    // Tracked files that .gitignore covers (a fresh store never takes them), listed from a private copy of the index
    // just read, and dropped with the rest. The listing is git's longest step here, so it starts before the copy is
    // checked and runs while it is: it reads nothing but that copy and ignore files, it only ever drops entries, and
    // it is stopped and its answer thrown away when the check fails. Bounded: an ignore file behind an entry's
    // symlinked folder is read too, and a FIFO there would block.
    const probe = this.seedProbe;
    writeFileSync(probe, read.bytes, { mode: 0o600 });
    const stopListing = new AbortController();
    const ignored = shadowGit({ ...p, indexFile: probe }, ["ls-files", "-z", "-c", "-i", "--exclude-standard"], { timeoutMs: 30_000, signal: stopListing.signal })
      .then((out) => out.stdout.toString("utf8").split("\0").filter((path) => path.length > 0))
      .finally(() => rmSync(probe, { force: true }));
    ignored.catch(() => undefined);
    const listingStopped = async () => {
      stopListing.abort();
      await ignored.catch(() => undefined);
    };
    trace("listing of ignored started");
    const parsed = parseIndex(read.bytes);
    if (!parsed || parsed.entries.length === 0) return listingStopped();
    const ours = join(p.gitDir, "objects");
    try {
      trace("index checked");
      // A helper repository that only reads: the user's objects (linked, so a gc there cannot take them) and ours.
      rmSync(this.borrowDir, { recursive: true, force: true });
      mkdirSync(join(this.borrowDir, "objects", "info"), { recursive: true, mode: 0o700 });
      mkdirSync(join(this.borrowDir, "refs"), { recursive: true, mode: 0o700 });
      writeFileSync(join(this.borrowDir, "HEAD"), "ref: refs/heads/none\n", { mode: 0o600 });
      writeFileSync(join(this.borrowDir, "config"), "[core]\n\trepositoryformatversion = 0\n\tbare = true\n", { mode: 0o600 });
      writeFileSync(join(this.borrowDir, "objects", "info", "alternates"), `${ours}\n${repo.objectsDir}\n`, { mode: 0o600 });
      const pinned = pinObjects(repo.objectsDir, join(this.borrowDir, "objects"));
      trace("objects linked");
      // The folders' trees of the user's index, so write-tree takes them as they are instead of writing every one
      // (copied while the entries are checked here).
      const treesCopied =
        parsed.trees.length > 0
          ? this.borrowGit(["pack-objects", "-q", "--window=0", join(ours, "pack", "pack")], { input: `${parsed.trees.join("\n")}\n` })
          : Promise.resolve(null);
      treesCopied.catch(() => undefined);
      // Every object an entry names must be there to be copied later (an index can name objects its repository lacks:
      // damage, or a hostile .git), else the checkpoint could never be restored: such an entry is hashed again from the file.
      // Where something may have converted bytes on their way into the user's index, an entry whose object size is
      // not the file's size is hashed again too. Git looks them up through files while the entries are checked here.
      const named = parsed.entries.filter((e) => (e.mode & 0o170000) !== 0o160000);
      const ids = oidLines(parsed, named);
      const asked = join(this.borrowDir, "lookup-in");
      const answered = join(this.borrowDir, "lookup-out");
      writeFileSync(asked, ids, { mode: 0o600 });
      const lookup = this.borrowGit(["cat-file", "--buffer", "--batch-check=%(objectname) %(objecttype) %(objectsize)"], { files: { input: asked, output: answered } });
      lookup.catch(() => undefined);
      trace("lookup started");
      const drop = new Set(entriesToDrop(this.root, parsed, this.settings.max_file_bytes, this.forbidden));
      trace("entries checked");
      const found = (await lookup).stdout;
      rmSync(asked, { force: true });
      rmSync(answered, { force: true });
      // One answer line per id asked, in order: "<id> blob <size>" for a blob that is there.
      let at = 0;
      named.forEach((e, i) => {
        const end = found.indexOf(0x0a, at);
        const line = at;
        at = end < 0 ? found.length : end + 1;
        if (drop.has(e.path)) return;
        const blob =
          end >= line + 46 &&
          ids.compare(found, line, line + 40, i * 41, i * 41 + 40) === 0 &&
          found.toString("latin1", line + 40, line + 46) === " blob " &&
          (!repo.mayConvert || (e.mode & 0o170000) !== 0o100000 || found.toString("latin1", line + 46, end) === String(e.size));
        if (!blob) drop.add(e.path);
      });
      trace("lookup compared");
      await treesCopied;
      trace("trees copied");
      for (const path of await ignored) drop.add(path);
      trace("ignored listed");
      // The copy looks older than the user's index, so git re-checks every file that changed close to when that was written.
      // It is made whole (dropped entries removed) under another name first: a server stopped half-way through must not
      // leave an index in place that names borrowed objects while the state does not say they are borrowed.
      const temp = this.seedTemp;
      writeFileSync(temp, read.bytes, { mode: 0o600 });
      const when = (read.mtimeMs - 2_000) / 1000;
      utimesSync(temp, when, when);
      if (drop.size > 0) await shadowGit({ ...p, indexFile: temp }, ["update-index", "-z", "--force-remove", "--stdin"], { input: nulList([...drop]) });
      const borrowing = this.state();
      borrowing.borrowing = true;
      this.saveState(borrowing);
      renameSync(temp, p.indexFile);
      checkpointTestHooks.seedIndexPlaced?.();
      if (drop.size === 0 && parsed.rootTree) {
        // Nothing dropped: the index's tree is the cache-tree's root, so an unchanged work tree needs no write-tree.
        const seeded = this.state();
        seeded.last_tree = parsed.rootTree;
        seeded.index_stamp = indexStamp(p.indexFile);
        this.saveState(seeded);
      }
      // HEAD at the user's index tree: the first status then lists only what differs from it.
      await this.moveHead(parsed.rootTree ?? (await shadowGit(p, ["write-tree", "--missing-ok"])).stdout.toString("utf8").trim());
      if (!pinned) await this.ownObjects(); // the user's objects could not be linked here: copy them before the action goes ahead
    } catch (error) {
      await listingStopped();
      this.dropSeed(error);
    }
  }

  /** The last short-way snapshot failed to update the index: take the long way once. */
  private fastPathOff = false;

  /** Give up the seeded index: the next snapshot starts from nothing (hashes every file), as a store without git. */
  private dropSeed(error: unknown): void {
    if (process.env.CGC_CP_TRACE) process.stderr.write(`[checkpoints] starting from the user's index failed: ${(error as Error)?.message}\n`);
    rmSync(this.paths.indexFile, { force: true });
    rmSync(this.seedTemp, { force: true });
    rmSync(this.seedProbe, { force: true });
    writeFileAtomicSync(join(this.paths.gitDir, "HEAD"), "ref: refs/heads/none\n");
    const after = this.state();
    after.borrowing = false;
    delete after.head_tree;
    this.saveState(after);
    rmSync(this.borrowDir, { recursive: true, force: true });
  }

  /**
   * Make the store self-contained: copy every object that the checkpoints (and
   * the shadow index) use out of the user's repository, then forget it. Under
   * the lock; runs before anything reads a stored tree (restore, diff, packing)
   * while the background copy (ownObjectsInBackground) has not finished.
   */
  async ownObjects(): Promise<boolean> {
    if (!this.state().borrowing) return false;
    await this.copyBorrowed(await this.borrowedTrees());
    await this.stopBorrowing();
    return true;
  }

  /**
   * The same right after the first checkpoint, without holding the lock for
   * the copy itself (actions go on meanwhile; what they add is either in the
   * trees listed first or written here by this store).
   */
  async ownObjectsInBackground(): Promise<void> {
    const trees = await this.locked(async () => (this.state().borrowing ? this.borrowedTrees() : null));
    if (!trees) return;
    // Written beside the store, taken in under the lock only while still borrowing: once a command's
    // own copy has ended the borrowing, that command may rewrite the user's objects in place while
    // this copy still reads them, and its pack must then never join the store.
    const incoming = join(this.borrowDir, "incoming");
    try {
      mkdirSync(incoming, { recursive: true, mode: 0o700 });
      await this.copyBorrowed(trees, join(incoming, "pack"));
      await checkpointTestHooks.afterBackgroundCopy?.(incoming);
    } catch (error) {
      if (!this.state().borrowing) return; // a restore or a command made the copy meanwhile
      throw error;
    }
    await this.locked(async () => {
      if (!this.state().borrowing) return;
      const packDir = join(this.paths.gitDir, "objects", "pack");
      // The index of a pack last: git looks for packs by their .idx.
      const names = readdirSync(incoming).sort((a, b) => Number(a.endsWith(".idx")) - Number(b.endsWith(".idx")));
      for (const name of names) renameSync(join(incoming, name), join(packDir, name));
      await this.stopBorrowing();
    });
  }

  /** The trees whose objects may be borrowed: every record's, HEAD's, the last snapshot's and the index's. Under the lock. */
  private async borrowedTrees(): Promise<string[]> {
    const trees = new Set(this.records().map((r) => r.tree));
    const state = this.state();
    if (state.last_tree) trees.add(state.last_tree);
    if (state.head_tree) trees.add(state.head_tree);
    trees.add((await shadowGit(this.paths, ["write-tree", "--missing-ok"])).stdout.toString("utf8").trim());
    return [...trees];
  }

  /** One pack with everything the trees reach (read through the helper repository: the links, ours, the user's), in this store unless `base` says where. */
  private async copyBorrowed(trees: string[], base = join(this.paths.gitDir, "objects", "pack", "pack")): Promise<void> {
    await this.borrowGit(["pack-objects", "--revs", "-q", "--window=0", base], {
      input: `${trees.join("\n")}\n`,
      timeoutMs: 600_000,
    });
  }

  private async stopBorrowing(): Promise<void> {
    await shadowGit(this.paths, ["prune-packed", "-q"]);
    const after = this.state();
    after.borrowing = false;
    this.saveState(after);
    rmSync(this.borrowDir, { recursive: true, force: true });
  }

  /** Point the shadow's HEAD (detached) at a parentless commit of `tree`, so its status compares the index with a recent state. */
  private async moveHead(tree: string): Promise<void> {
    const commit = (
      await shadowGit(this.paths, ["-c", "user.name=chatgpt-codex", "-c", "user.email=checkpoints@localhost", "commit-tree", tree], {
        input: "checkpoint\n",
      })
    ).stdout
      .toString("utf8")
      .trim();
    if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new ActionError("INTERNAL", "checkpoint store: git commit-tree gave no commit id");
    writeFileAtomicSync(join(this.paths.gitDir, "HEAD"), `${commit}\n`);
    const state = this.state();
    state.head_tree = tree;
    this.saveState(state);
  }

  /**
   * Take a checkpoint: snapshot + history record. Must run under `locked`.
   * The same tree as the previous record costs one JSON line (no new objects).
   */
  async checkpoint(action: string, summary: string, seq?: number): Promise<CheckpointRecord> {
    const snap = await this.snapshot();
    return this.record(action, summary, snap, seq);
  }

  /**
   * The same in two steps: resolves once the files are read into the index
   * (the action may start then), with `done` for the record, which is written
   * after the tree. Must run under `locked` until `done` settles.
   */
  async checkpointListed(action: string, summary: string, seq: number): Promise<{ done: Promise<CheckpointRecord> }> {
    const finish = await this.snapshotListed();
    const done = finish().then((snap) => this.record(action, summary, snap, seq));
    done.catch(() => undefined);
    return { done };
  }

  /** The id the next checkpoint will have, taken now (so an answer can name a checkpoint that is still being taken). Under `locked`. */
  reserve(): { seq: number; id: string } {
    const state = this.state();
    const seq = state.next_seq;
    state.next_seq = seq + 1;
    this.saveState(state);
    return { seq, id: `cp-${seq}-${state.salt}` };
  }

  /** Append a record for a snapshot already taken (with the seq `reserve` gave, if any). Must run under `locked`. */
  async record(action: string, summary: string, snap: SnapshotTaken, reserved?: number): Promise<CheckpointRecord> {
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
    const seq = reserved ?? state.next_seq;
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
    if (reserved === undefined) state.next_seq = seq + 1;
    state.unpacked += snap.added;
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

  /** Mark a record whose action was answered (not run) while its checkpoint was still being taken. */
  markNotRun(id: string): void {
    const records = this.records().map((r) => (r.id === id ? { ...r, not_run: true } : r));
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
    if (await this.ownObjects()) done.push("own objects");
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

  /** Whether stored trees still name objects read from the user's repository (see seedFromUser). */
  isBorrowing(): boolean {
    return this.state().borrowing === true;
  }

  /** Whether housekeeping has work (cheap; checked after each checkpoint). */
  needsMaintenance(): boolean {
    const state = this.state();
    return state.borrowing === true || state.needs_prune || state.unpacked >= REPACK_AFTER;
  }

  /** Paths that differ between two trees. */
  async changedPaths(from: string, to: string): Promise<string[]> {
    if (from === to) return [];
    await this.ownObjects();
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

/**
 * The paths `git status --porcelain=v2 -z` lists as different in the work tree
 * (changed, deleted, new; folders of nested repositories end in "/"), which of
 * them the index holds, and how many entries differ between HEAD and the index.
 */
function parseStatus(text: string): { candidates: string[]; inIndex: Set<string>; staged: number } {
  const candidates: string[] = [];
  const inIndex = new Set<string>();
  let staged = 0;
  const items = text.split("\0");
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const kind = item[0];
    if (kind === "?") {
      if (item.length > 2) candidates.push(item.slice(2));
      continue;
    }
    if (kind !== "1" && kind !== "2" && kind !== "u") continue;
    // "1 XY sub mH mI mW hH hI path"; "2 …" (a rename: never asked for) has 9 fields and the old path as the next item; "u …" has 10.
    const fields = kind === "1" ? 8 : kind === "2" ? 9 : 10;
    let at = -1;
    for (let f = 0; f < fields && (at = item.indexOf(" ", at + 1)) >= 0; f++);
    if (kind === "2") i++;
    if (at < 0) continue;
    const path = item.slice(at + 1);
    const x = item[2];
    const y = item[3];
    if (x !== ".") staged++;
    if (kind === "u" || y !== ".") {
      candidates.push(path);
      if (x !== "D") inIndex.add(path);
    }
  }
  return { candidates, inIndex, staged };
}

/**
 * Store the current bytes of `paths` (files up to maxBytes, symlinks) as loose
 * objects in `objectsDir`, as git would: null when one of them is not what the
 * listing said any more (gone, a folder, too large now), so the caller takes
 * the long way. Opened without following a symlink and without blocking on a
 * FIFO swapped in.
 */
function readEntries(root: string, paths: readonly string[], maxBytes: number, objectsDir: string): { path: string; mode: string; oid: string }[] | null {
  const out: { path: string; mode: string; oid: string }[] = [];
  for (const path of paths) {
    // Through the folder opened one component at a time without following a symlink: a folder
    // swapped for a symlink since the listing (by a job still running) cannot lead outside.
    const parts = path.split("/");
    const name = parts.pop()!;
    let content: Buffer;
    let mode: string;
    let dir: ConfinedDir | undefined;
    try {
      dir = ConfinedDir.open(root, parts, false);
      const abs = dir.entry(name);
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) {
        content = readlinkSync(abs, { encoding: "buffer" });
        mode = "120000";
      } else if (st.isFile()) {
        // Swapped for anything else since the lstat (a link, a FIFO, a bigger file): throws, and the entry is left out.
        const read = readRegularFile(abs, maxBytes, { noFollow: true });
        if (!read) return null;
        content = read.bytes;
        mode = read.mode & 0o100 ? "100755" : "100644";
      } else return null;
    } catch {
      return null;
    } finally {
      dir?.close();
    }
    out.push({ path, mode, oid: writeLooseBlob(objectsDir, content) });
  }
  return out;
}

/**
 * Whether a snapshot that failed may succeed when the work tree is listed again (a path that changed type meanwhile).
 * Not a FIFO held open where git reads its rules (shadowGit's CONFLICT): it is still there a moment later, and the
 * action should learn which file to remove within its wait, not after four more tries.
 */
function worthListingAgain(error: unknown): boolean {
  return !(isActionError(error) && error.code === "CONFLICT");
}

/** Write a blob as a loose object (zlib of "blob <size>\0" + bytes, named by its SHA-1), unless it is there; its id. */
function writeLooseBlob(objectsDir: string, content: Buffer): string {
  const header = Buffer.from(`blob ${content.length}\0`, "latin1");
  const oid = createHash("sha1").update(header).update(content).digest("hex");
  const dir = join(objectsDir, oid.slice(0, 2));
  const file = join(dir, oid.slice(2));
  if (existsSync(file)) return oid;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `tmp_${randomBytes(6).toString("hex")}`);
  writeFileSync(temp, deflateSync(Buffer.concat([header, content])), { mode: 0o444 });
  renameSync(temp, file);
  return oid;
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

const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");

/** The object ids of `entries` in hex, one per line (41 bytes each): the lookup's input. A loop, not 100,000 calls into Buffer. */
function oidLines(index: ParsedIndex, entries: readonly IndexEntry[]): Buffer {
  const out = Buffer.allocUnsafe(entries.length * 41);
  const bytes = index.bytes;
  let j = 0;
  for (const e of entries) {
    for (let k = e.oidOffset; k < e.oidOffset + 20; k++) {
      const b = bytes[k]!;
      out[j++] = HEX_DIGITS[b >> 4]!;
      out[j++] = HEX_DIGITS[b & 15]!;
    }
    out[j++] = 0x0a;
  }
  return out;
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
