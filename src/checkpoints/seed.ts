import { closeSync, existsSync, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, accessSync, constants } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

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
    else if (st.isFile() && st.size < 4096) {
      const m = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, "utf8"));
      if (!m) return null;
      gitDir = resolve(root, m[1]!.trim());
    } else return null;
  } catch {
    return null;
  }
  let commonDir = gitDir;
  try {
    const text = readFileSync(join(gitDir, "commondir"), "utf8").trim();
    if (text) commonDir = isAbsolute(text) ? text : resolve(gitDir, text);
  } catch {
    // not a linked worktree
  }
  const config = readText(join(commonDir, "config")) + readText(join(gitDir, "config.worktree"));
  // Another hash, a partial clone (objects fetched on demand), a work tree elsewhere, a sparse or split index: start from scratch.
  if (/^\s*objectformat\s*=\s*(?!sha1)/im.test(config)) return null;
  if (/^\s*(partialclone|promisor)\s*=/im.test(config)) return null;
  if (/^\s*worktree\s*=/im.test(config)) return null;
  if (/^\s*bare\s*=\s*true/im.test(config)) return null;
  const indexFile = join(gitDir, "index");
  const objectsDir = join(commonDir, "objects");
  if (!existsSync(indexFile) || !existsSync(objectsDir)) return null;
  return { gitDir, commonDir, indexFile, objectsDir, mayConvert: mayConvert(config, gitDir, commonDir, root) };
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
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
  /** The file's size when git last looked (modulo 2^32). */
  size: number;
  /** Where the entry's object id sits in the index (see oidAt). */
  oidOffset: number;
  stage: number;
  /** assume-unchanged, skip-worktree or intent-to-add: git would not look at the file. */
  special: boolean;
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

/** Parse a git index (versions 2–4, SHA-1). Null for what the seed does not handle (split or sparse index, another hash, damage). */
export function parseIndex(buf: Buffer): ParsedIndex | null {
  if (buf.length < 12 + 20 || buf.toString("latin1", 0, 4) !== "DIRC") return null;
  const version = buf.readUInt32BE(4);
  if (version < 2 || version > 4) return null;
  const count = buf.readUInt32BE(8);
  const end = buf.length - 20;
  const entries: IndexEntry[] = [];
  let at = 12;
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 0; i < count; i++) {
    if (at + 62 > end) return null;
    const mode = buf.readUInt32BE(at + 24);
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
    let path: string;
    if (version === 4) {
      let c = buf[p++]!;
      let strip = c & 127;
      while (c & 128) {
        c = buf[p++]!;
        strip = ((strip + 1) << 7) | (c & 127);
      }
      const nul = buf.indexOf(0, p);
      if (nul < 0 || nul >= end || strip > previous.length) return null;
      previous = Buffer.concat([previous.subarray(0, previous.length - strip), buf.subarray(p, nul)]);
      path = previous.toString("utf8");
      at = nul + 1;
    } else {
      const nul = buf.indexOf(0, p);
      if (nul < 0 || nul >= end) return null;
      path = buf.toString("utf8", p, nul);
      at = at + ((p - at + (nul - p) + 8) & ~7);
    }
    entries.push({
      path,
      mode,
      size,
      oidOffset,
      stage: (flags >> 12) & 3,
      special: (flags & 0x8000) !== 0 || (extended & 0x6000) !== 0,
    });
  }
  const trees: string[] = [];
  let rootTree: string | null = null;
  while (at + 8 <= end) {
    const signature = buf.toString("latin1", at, at + 4);
    const size = buf.readUInt32BE(at + 4);
    const data = buf.subarray(at + 8, at + 8 + size);
    if (signature === "link" || signature === "sdir") return null;
    if (signature === "TREE") rootTree = readCacheTree(data, trees);
    at += 8 + size;
  }
  return { bytes: buf, version, entries, trees, rootTree };
}

/** The object id of an entry, as hex. */
export function oidOf(index: ParsedIndex, entry: IndexEntry): string {
  return index.bytes.toString("hex", entry.oidOffset, entry.oidOffset + 20);
}

/** Collect the valid trees of a TREE extension into `trees`; returns the root's (the first record), if valid. */
function readCacheTree(data: Buffer, trees: string[]): string | null {
  let root: string | null = null;
  let at = 0;
  while (at < data.length) {
    const nul = data.indexOf(0, at);
    if (nul < 0) break;
    const nl = data.indexOf(0x0a, nul);
    if (nl < 0) break;
    const [count] = data.toString("latin1", nul + 1, nl).split(" ");
    const first = at === 0;
    at = nl + 1;
    if (Number(count) >= 0) {
      if (at + 20 > data.length) break;
      const oid = data.toString("hex", at, at + 20);
      trees.push(oid);
      if (first) root = oid;
      at += 20;
    }
  }
  return root;
}

/** The user's index, read once (a git that replaces it renames a new file in, so this is one consistent version), and its mtime. */
export function readUserIndex(file: string): { bytes: Buffer; mtimeMs: number } | null {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (st.size > 512 * 1024 * 1024) return null;
    const bytes = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, bytes, got, st.size - got, got);
      if (n <= 0) return null;
      got += n;
    }
    return { bytes, mtimeMs: st.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

export type DropReason = "too_large" | "unreadable" | "not_a_file" | "outside";

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
  for (const e of index.entries) {
    const type = e.mode & 0o170000;
    const p = e.path;
    const slash = p.lastIndexOf("/");
    const folder = slash < 0 ? "" : p.slice(0, slash);
    if (
      e.stage !== 0 ||
      e.special ||
      (type !== 0o100000 && type !== 0o120000) ||
      GIT_PART.test(p) ||
      (forbidden.length > 0 && forbidden.some((f) => p === f || p.startsWith(`${f}/`))) ||
      !folderOk(folder)
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
    if (!canRead(join(root, p))) drop.add(p);
  }
  return [...drop];
}

/** A path component named `.git` in any letter case. */
const GIT_PART = /(^|\/)\.git(\/|$)/i;

const runningAsRoot = typeof process.getuid === "function" && process.getuid() === 0;

function canRead(path: string): boolean {
  if (runningAsRoot) return true;
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

function safeList(dir: string): string[] {
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
