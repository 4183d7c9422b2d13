import { createHash } from "node:crypto";
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, accessSync, constants } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { readGitFile } from "../git/repo.js";
import { readRegularFile } from "../fs/regularFile.js";

/**
 * Starting the shadow store of a git workspace from the user's own repository,
 * read-only: the user's index gives the stat data of every tracked file (so
 * the first checkpoint hashes only what differs from it, like `git status`),
 * and the user's objects are read until the store has copied the ones its
 * checkpoints need. Nothing here writes into the user's `.git`; their object
 * files are hard-linked (never opened for writing) so a `git gc` in the
 * repository cannot take them away before they are copied.
 */
export interface UserRepository {
  /** The work tree's git folder (`.git`, or `.git/worktrees/<name>` for a linked worktree). */
  gitDir: string;
  /** The folder with the objects and the shared config. */
  commonDir: string;
  indexFile: string;
  objectsDir: string;
  /** Something may convert file bytes on their way into the user's index (attributes, autocrlf, filters). */
  mayConvert: boolean;
}

/** The user's repository when the workspace is the top of its work tree and its index can seed ours; null otherwise. */
export function findUserRepository(root: string): UserRepository | null {
  const dotGit = join(root, ".git");
  let gitDir: string;
  try {
    const st = lstatSync(dotGit);
    if (st.isDirectory()) gitDir = dotGit;
    else if (st.isFile()) {
      const named = readGitFile(dotGit, root);
      if (!named) return null;
      gitDir = named;
    } else return null;
  } catch {
    return null;
  }
  let commonDir = gitDir;
  let config: string;
  let convert: boolean;
  try {
    const text = readText(join(gitDir, "commondir")).trim(); // "": not a linked worktree
    if (text) commonDir = isAbsolute(text) ? text : resolve(gitDir, text);
    config = readText(join(commonDir, "config")) + readText(join(gitDir, "config.worktree"));
    convert = mayConvert(config, gitDir, commonDir, root);
  } catch {
    return null; // a FIFO, a device or a huge file where git keeps a small file: not a repository to start from
  }
  // Another hash, a partial clone (objects fetched on demand), a work tree elsewhere, a sparse or split index: start from scratch.
  if (/^\s*objectformat\s*=\s*(?!sha1)/im.test(config)) return null;
  if (/^\s*(partialclone|promisor)\s*=/im.test(config)) return null;
  if (/^\s*worktree\s*=/im.test(config)) return null;
  if (/^\s*bare\s*=\s*true/im.test(config)) return null;
  const indexFile = join(gitDir, "index");
  const objectsDir = join(commonDir, "objects");
  if (!existsSync(indexFile) || !existsSync(objectsDir)) return null;
  return { gitDir, commonDir, indexFile, objectsDir, mayConvert: convert };
}

/**
 * A small file's text ("" when it does not exist). The workspace's `.git` is
 * the command's to write: a FIFO there would block a plain read (and the
 * server's whole event loop with it), so the file is opened without blocking
 * and must be a regular file of at most 1 MiB; anything else throws.
 */
function readText(file: string): string {
  return readRegularFile(file, 1024 * 1024)?.bytes.toString("utf8") ?? "";
}

/**
 * Whether the user's git may have stored other bytes than the files hold
 * (eol conversion, clean filters such as LFS, ident, encodings): then each
 * borrowed entry's object size is compared with the file's size first.
 */
function mayConvert(config: string, gitDir: string, commonDir: string, root: string): boolean {
  const home = homedir();
  const xdg = process.env.XDG_CONFIG_HOME || join(home, ".config");
  const configs = [config, readText(join(home, ".gitconfig")), readText(join(xdg, "git", "config")), readText("/etc/gitconfig")].join("\n");
  if (/^\s*(autocrlf|eol|attributesfile)\s*=/im.test(configs) || /^\s*\[filter\b/im.test(configs)) return true;
  if (readText(join(xdg, "git", "attributes")).trim() || readText(join(commonDir, "info", "attributes")).trim() || readText(join(gitDir, "info", "attributes")).trim()) return true;
  return existsSync(join(root, ".gitattributes"));
}

export interface IndexEntry {
  path: string;
  mode: number;
  /** The file's owner when git last looked. */
  uid: number;
  /** The file's size when git last looked (modulo 2^32). */
  size: number;
  /** Where the entry's object id (20 bytes) sits in the index bytes. */
  oidOffset: number;
  stage: number;
  /** assume-unchanged, skip-worktree or intent-to-add: git would not look at the file. */
  special: boolean;
  /** intent-to-add: not part of any tree git writes. */
  hidden: boolean;
}

export interface ParsedIndex {
  bytes: Buffer;
  version: number;
  entries: IndexEntry[];
  /** Tree ids of the index's cache-tree (valid folders only). */
  trees: string[];
  /** The whole index's tree, when the cache-tree has it. */
  rootTree: string | null;
}

/**
 * Parse a git index (versions 2–4, SHA-1). Null for what the seed does not
 * handle (split or sparse index, another hash, damage) and for an index that
 * git would read otherwise than this does or that names paths git would never
 * write: the workspace's `.git` is hostile ground, and the shadow git reads
 * this very file. So each name's length must be the one its flags give (git
 * goes by those), the entries must be in git's order without duplicates, no
 * path may leave the work tree or enter a `.git` (`..`, `/x`, `a//b`), and
 * every valid folder of the cache-tree must be the tree its entries make.
 */
export function parseIndex(buf: Buffer): ParsedIndex | null {
  if (buf.length < 12 + 20 || buf.toString("latin1", 0, 4) !== "DIRC") return null;
  const version = buf.readUInt32BE(4);
  if (version < 2 || version > 4) return null;
  const count = buf.readUInt32BE(8);
  const end = buf.length - 20;
  const entries: IndexEntry[] = [];
  // The previous name, for the order check: its bytes in `buf` (versions 2 and 3), or a Buffer of its own (version 4).
  let previousName: Buffer | null = null;
  let previousStart = -1;
  let previousEnd = -1;
  let at = 12;
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 0; i < count; i++) {
    if (at + 62 > end) return null;
    const mode = buf.readUInt32BE(at + 24);
    const uid = buf.readUInt32BE(at + 28);
    const size = buf.readUInt32BE(at + 36);
    const oidOffset = at + 40;
    const flags = buf.readUInt16BE(at + 60);
    let p = at + 62;
    let extended = 0;
    if (flags & 0x4000) {
      if (version < 3) return null;
      extended = buf.readUInt16BE(p);
      p += 2;
    }
    // Versions 2 and 3 read the name where it lies (no Buffer per entry: 100,000 of them cost more than the rest).
    let name: Buffer | null = null;
    let nameStart = p;
    let nameEnd: number;
    if (version === 4) {
      let c = buf[p++]!;
      let strip = c & 127;
      for (let bytes = 1; c & 128; bytes++) {
        if (bytes >= 4 || p >= end) return null; // a prefix longer than any path
        c = buf[p++]!;
        strip = ((strip + 1) << 7) | (c & 127);
      }
      const nul = buf.indexOf(0, p);
      if (nul < 0 || nul >= end || strip > previous.length) return null;
      name = previous = Buffer.concat([previous.subarray(0, previous.length - strip), buf.subarray(p, nul)]);
      nameStart = 0;
      nameEnd = name.length;
      at = nul + 1;
    } else {
      const nul = buf.indexOf(0, p);
      if (nul < 0 || nul >= end) return null;
      nameEnd = nul;
      at = at + ((p - at + (nul - p) + 8) & ~7);
    }
    const nameLength = nameEnd - nameStart;
    // Git takes a name's length from the flags (12 bits; all ones: up to the NUL) and finds the next entry by it.
    const length = flags & 0xfff;
    if (length === 0xfff ? nameLength < 0xfff : nameLength !== length) return null;
    const stage = (flags >> 12) & 3;
    if (i > 0) {
      const order = name
        ? Buffer.compare(previousName!, name)
        : buf.compare(buf, nameStart, nameEnd, previousStart, previousEnd); // the previous name compared with this one
      if (order > 0 || (order === 0 && entries.at(-1)!.stage >= stage)) return null;
    }
    if (name) previousName = name;
    previousStart = nameStart;
    previousEnd = nameEnd;
    const path = name ? name.toString("utf8") : buf.toString("utf8", nameStart, nameEnd);
    if (!safePath(path)) return null;
    entries.push({
      path,
      mode,
      uid,
      size,
      oidOffset,
      stage,
      special: (flags & 0x8000) !== 0 || (extended & 0x6000) !== 0,
      hidden: (extended & 0x2000) !== 0,
    });
  }
  let cacheTree: CacheTreeRecord[] = [];
  while (at + 8 <= end) {
    const signature = buf.toString("latin1", at, at + 4);
    const size = buf.readUInt32BE(at + 4);
    const data = buf.subarray(at + 8, at + 8 + size);
    if (signature === "link" || signature === "sdir") return null;
    if (signature === "TREE") {
      const records = readCacheTree(data);
      if (!records) return null;
      cacheTree = records;
    }
    at += 8 + size;
  }
  const index: ParsedIndex = { bytes: buf, version, entries, trees: [], rootTree: null };
  if (!cacheTreeHolds(index, cacheTree)) return null;
  index.trees = cacheTree.map((r) => r.oid);
  index.rootTree = cacheTree.find((r) => r.path === "")?.oid ?? null;
  return index;
}

/** A path git itself would write into an index: relative, no empty, `.` or `..` component, none named `.git` in any case. */
function safePath(path: string): boolean {
  return path !== "" && !path.includes("\0") && !UNSAFE_PART.test(path);
}

/** An empty, `.` or `..` component, or one named `.git` in any case (one test instead of a split per path). */
const UNSAFE_PART = /(?:^|\/)(?:\.{0,2}|\.git)(?:\/|$)/i;

interface CacheTreeRecord {
  /** The folder ("" for the top). */
  path: string;
  oid: string;
  /** How many index entries the folder holds, at any depth: git skips that many entries when it takes this tree as it is. */
  entries: number;
}

const FOLDER_MODE = Buffer.from("40000 ", "latin1");
const modeTexts = new Map<number, Buffer>();

/** An entry's mode as a tree line starts with it ("100644 "). */
function modeText(mode: number): Buffer {
  let text = modeTexts.get(mode);
  if (!text) modeTexts.set(mode, (text = Buffer.from(`${mode.toString(8)} `, "latin1")));
  return text;
}

/** The valid folders of a TREE extension (records in pre-order: name, entry count, subtree count, id if valid); null if damaged. */
function readCacheTree(data: Buffer): CacheTreeRecord[] | null {
  const records: CacheTreeRecord[] = [];
  /** Folders whose subtrees are still being read, with how many are left. */
  const open: { path: string; left: number }[] = [];
  let at = 0;
  while (at < data.length) {
    const nul = data.indexOf(0, at);
    if (nul < 0) return null;
    const nl = data.indexOf(0x0a, nul);
    if (nl < 0) return null;
    const name = data.toString("utf8", at, nul);
    const m = /^(-?\d+) (\d+)$/.exec(data.toString("latin1", nul + 1, nl));
    if (!m) return null;
    const parent = open.at(-1);
    if (parent) parent.left--;
    else if (at > 0 || name !== "") return null; // one top record, first
    const path = parent ? (parent.path ? `${parent.path}/${name}` : name) : "";
    at = nl + 1;
    if (Number(m[1]) >= 0) {
      if (at + 20 > data.length) return null;
      records.push({ path, oid: data.toString("hex", at, at + 20), entries: Number(m[1]) });
      at += 20;
    }
    open.push({ path, left: Number(m[2]) });
    while (open.length > 0 && open.at(-1)!.left === 0) open.pop();
    if (open.length === 0 && at < data.length) return null;
  }
  return open.length === 0 ? records : null;
}

/**
 * Whether every valid record of the cache-tree is the tree git would write
 * for the entries under its folder, and counts as many entries as the folder
 * holds. Git trusts these records as they are (write-tree takes them, status
 * compares through them, and skips a record's count of entries when it takes
 * its tree), so one that names another tree or another count would make a
 * checkpoint hold other files than the work tree. Hashing the trees here costs
 * far less than writing them.
 */
function cacheTreeHolds(index: ParsedIndex, records: readonly CacheTreeRecord[]): boolean {
  if (records.length === 0) return true;
  const computed = new Map<string, { oid: string | null; entries: number }>();
  /**
   * Folders being built, outermost first: their path and their tree's lines so far, each an
   * entry's number in the index or a sub-folder's name and tree id (null: git writes no tree
   * for the folder). One Buffer per folder is made at its end, not one per entry.
   */
  const stack: { path: string; lines: (number | { name: string; oid: Buffer })[] | null; entries: number }[] = [{ path: "", lines: [], entries: 0 }];
  const entries = index.entries;
  const bytes = index.bytes;
  // One tree's body at a time, written into a buffer that grows as needed and is hashed in place.
  let body = Buffer.allocUnsafe(64 * 1024);
  let at = 0;
  const room = (more: number) => {
    if (at + more <= body.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(body.length * 2, at + more));
    body.copy(bigger, 0, 0, at);
    body = bigger;
  };
  /** "<mode in octal> <name>\0<20-byte id>", the id copied from `from` at `offset`. */
  const line = (mode: Buffer, name: string, from: Buffer, offset: number) => {
    room(mode.length + name.length * 3 + 21);
    at += mode.copy(body, at);
    at += body.write(name, at, "utf8");
    body[at++] = 0;
    at += from.copy(body, at, offset, offset + 20);
  };
  const close = () => {
    const done = stack.pop()!;
    let oid: string | null = null;
    if (done.lines) {
      at = 0;
      for (const item of done.lines) {
        if (typeof item === "number") {
          const e = entries[item]!;
          line(modeText(e.mode), e.path.slice(e.path.lastIndexOf("/") + 1), bytes, e.oidOffset);
        } else line(FOLDER_MODE, item.name, item.oid, 0);
      }
      oid = createHash("sha1").update(`tree ${at}\0`, "latin1").update(body.subarray(0, at)).digest("hex");
    }
    computed.set(done.path, { oid, entries: done.entries });
    const parent = stack.at(-1);
    if (!parent) return;
    parent.entries += done.entries;
    if (oid === null || parent.lines === null) parent.lines = null;
    else parent.lines.push({ name: done.path.slice(done.path.lastIndexOf("/") + 1), oid: Buffer.from(oid, "hex") });
  };
  // The folder of the entry before (entries are sorted, so a folder's entries come one after another).
  let folder = "";
  entries.forEach((e, n) => {
    const slash = e.path.lastIndexOf("/");
    if (slash !== folder.length || (slash > 0 && !e.path.startsWith(folder))) {
      folder = slash < 0 ? "" : e.path.slice(0, slash);
      while (stack.length > 1 && folder !== stack.at(-1)!.path && !folder.startsWith(`${stack.at(-1)!.path}/`)) close();
      // Open the folders between the innermost open one and the entry's.
      const top = stack.at(-1)!.path;
      const rest = top === "" ? folder : folder.slice(top.length + 1);
      if (rest !== "") {
        let path = top;
        for (const part of rest.split("/")) {
          path = path ? `${path}/${part}` : part;
          stack.push({ path, lines: [], entries: 0 });
        }
      }
    }
    stack.at(-1)!.entries++;
    // An unmerged or intent-to-add entry: git writes no tree for its folders.
    if (e.stage !== 0 || e.hidden) for (const s of stack) s.lines = null;
    else stack.at(-1)!.lines?.push(n);
  });
  while (stack.length > 0) close();
  return records.every((r) => {
    const folder = computed.get(r.path);
    return folder !== undefined && folder.oid === r.oid && folder.entries === r.entries;
  });
}

/** The user's index, read once (a git that replaces it renames a new file in, so this is one consistent version), and its mtime. */
export function readUserIndex(file: string): { bytes: Buffer; mtimeMs: number } | null {
  try {
    return readRegularFile(file, 512 * 1024 * 1024);
  } catch {
    return null;
  }
}

/**
 * Entries of the user's index the shadow must not take over as they are:
 * what a fresh shadow would not store (over max_file_bytes, unreadable, a
 * nested repository or a submodule, a path beyond a symlink, `.git`, the
 * tool's config folder) and what git would not look at (unmerged,
 * assume-unchanged, skip-worktree, intent-to-add). Dropped entries are found
 * again by the snapshot's own walk and handled as for a new file.
 */
export function entriesToDrop(root: string, index: ParsedIndex, maxFileBytes: number, forbidden: readonly string[]): string[] {
  const drop = new Set<string>();
  const folders = new Map<string, boolean>();
  const folderOk = (folder: string): boolean => {
    if (folder === "") return true;
    const hit = folders.get(folder);
    if (hit !== undefined) return hit;
    const at = folder.lastIndexOf("/");
    let ok = folderOk(at < 0 ? "" : folder.slice(0, at));
    if (ok) ok = lstatSync(join(root, folder), { throwIfNoEntry: false })?.isDirectory() === true && !isRepository(join(root, folder));
    folders.set(folder, ok);
    return ok;
  };
  // The folder of the entry before, and its verdict (entries are sorted: a folder's entries come one after another).
  let folder = "";
  let inGoodFolder = true;
  for (const e of index.entries) {
    const type = e.mode & 0o170000;
    const p = e.path;
    const slash = p.lastIndexOf("/");
    if (!(slash > 0 && slash === folder.length && p.startsWith(folder))) {
      folder = slash < 0 ? "" : p.slice(0, slash);
      inGoodFolder = folderOk(folder);
    }
    if (
      e.stage !== 0 ||
      e.special ||
      (type !== 0o100000 && type !== 0o120000) ||
      (forbidden.length > 0 && forbidden.some((f) => p === f || p.startsWith(`${f}/`))) ||
      !inGoodFolder
    ) {
      drop.add(p);
      continue;
    }
    if (type !== 0o100000) continue;
    if (e.size > maxFileBytes) {
      drop.add(p);
      continue;
    }
    if (e.size === 0) {
      // Empty, or "racily clean" (git zeroes the size it cannot trust): look at the file itself.
      try {
        if (lstatSync(join(root, p)).size > maxFileBytes) drop.add(p);
      } catch {
        // gone: the snapshot's walk sees it deleted
      }
    }
    if (!canRead(join(root, p), e.uid)) drop.add(p);
  }
  return [...drop];
}

const ourUid = typeof process.getuid === "function" ? process.getuid() : -1;

/**
 * Whether the shadow may take over an entry as readable. Root reads
 * everything. A file of our own needs no look of its own: git read it (to
 * hash or to compare it) when it wrote the stat data this entry carries, and
 * a change of its mode or ACL since changes its ctime, so the shadow's status
 * lists it and the snapshot checks it as a new file (the shadow pins
 * core.trustctime and core.checkStat). A file of another owner (written by
 * `sudo`, a container) is checked here: git may have read it as root.
 */
function canRead(path: string, owner: number): boolean {
  if (ourUid === 0 || owner === ourUid) return true;
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT";
  }
}

/** A folder with its own repository (a `.git` folder with a HEAD, or a `.git` file pointing at one), as git's untracked walk sees it. */
function isRepository(folder: string): boolean {
  const dotGit = join(folder, ".git");
  const st = lstatSync(dotGit, { throwIfNoEntry: false });
  if (!st) return false;
  if (st.isDirectory()) return existsSync(join(dotGit, "HEAD"));
  return st.isFile() && readText(dotGit).startsWith("gitdir:");
}

/**
 * Hard-link the user's object files (packs, their indexes, loose objects) into
 * `into` (an objects folder of our own). Links share the files, never change
 * them; a `git gc` that deletes the user's names leaves ours. False when
 * linking is not possible here (another file system): then the caller copies
 * the objects before the action goes ahead.
 */
export function pinObjects(objectsDir: string, into: string): boolean {
  try {
    mkdirSync(join(into, "pack"), { recursive: true, mode: 0o700 });
    for (const name of safeList(join(objectsDir, "pack"))) {
      if (!/^pack-[0-9a-f]+\.(pack|idx)$/.test(name)) continue;
      linkQuiet(join(objectsDir, "pack", name), join(into, "pack", name));
    }
    for (const dir of safeList(objectsDir)) {
      if (!/^[0-9a-f]{2}$/.test(dir)) continue;
      const names = safeList(join(objectsDir, dir));
      if (names.length === 0) continue;
      mkdirSync(join(into, dir), { recursive: true, mode: 0o700 });
      for (const name of names) linkQuiet(join(objectsDir, dir, name), join(into, dir, name));
    }
    return true;
  } catch {
    return false;
  }
}

export function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Link, tolerating a file that went away meanwhile or is linked already; anything else (EXDEV, EPERM) is thrown. */
function linkQuiet(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "EEXIST") throw error;
  }
}
