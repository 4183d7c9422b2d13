import { closeSync, readSync } from "node:fs";
import { isConfigTwin } from "../files/configTwins.js";
import { ConfinedDir } from "../files/confinedFs.js";
import { openEntry } from "../files/openInside.js";
import { isSameOrBelow } from "../files/treeOrder.js";
import { contextText, displayLine } from "./lineText.js";
import type { SearchMatch, SearchPage, SearchRequest } from "./types.js";

/**
 * The search engines (ripgrep, or the built-in walker) open files by path, so
 * a folder swapped for a symlink while they run could make them read a file
 * outside the workspace. Before a page is answered, every reported file is
 * opened again through confined folder handles (each folder opened without
 * following a symlink, from the workspace root down), and every line we are
 * about to send — match and context — must be found, at that line number, in
 * that confined file. What was read elsewhere is dropped: the answer only ever
 * holds text that is in the workspace. Files of the tool's config folder (also
 * under another name: a hard link) are dropped too.
 *
 * Why the text and not the file's identity (device, inode, size, mtime): rg
 * reports paths, never what it opened. A folder swapped for a symlink and back
 * while rg reads leaves the confined file exactly as it was - same inode,
 * size and times before and after - so only the text proves where an answered
 * line came from. The check is cheap all the same: it reads each answered
 * file only up to its last answered line, into one buffer reused for every
 * file, and the folder handles of one file are reused by the next one in the
 * same folders (results arrive in tree order).
 */
const MAX_FILE_BYTES = 32 * 1024 * 1024;
const MAX_PAGE_BYTES = 128 * 1024 * 1024;

export interface VerifyResult {
  page: SearchPage;
  /** Matches dropped because the file did not hold them (changed or swapped during the search). */
  dropped: number;
}

export function verifyPage(page: SearchPage, request: SearchRequest, home: string): VerifyResult {
  const byFile = new Map<string, SearchMatch[]>();
  for (const match of page.matches) {
    const list = byFile.get(match.path);
    if (list) list.push(match);
    else byFile.set(match.path, [match]);
  }
  let budget = MAX_PAGE_BYTES;
  const kept = new Set<SearchMatch>();
  const folders = new FolderChain(request.root);
  try {
    for (const [path, matches] of byFile) {
      if (request.forbidden.some((folder) => isSameOrBelow(path, folder))) continue;
      const parts = realParts(path, request);
      if (parts === null) continue;
      const needed = new Set<number>();
      for (const match of matches) {
        for (let line = match.line - (match.before?.length ?? 0); line <= match.line + (match.after?.length ?? 0); line++) needed.add(line);
      }
      const read = readLines(folders, parts, needed, home, Math.min(MAX_FILE_BYTES, budget));
      if (read === null) continue;
      budget -= read.bytes;
      for (const match of matches) if (holds(match, read.lines)) kept.add(match);
    }
  } finally {
    folders.close();
  }
  const matches = page.matches.filter((match) => kept.has(match));
  return { page: { ...page, matches }, dropped: page.matches.length - matches.length };
}

/**
 * Where a reported path really is, as components below the root: the search
 * start is given to the engines as the user named it (it may be a symlink
 * into the workspace), so its part of the path is replaced by the real
 * location resolveInside found. Below it, engines never follow symlinks.
 */
function realParts(path: string, request: SearchRequest): string[] | null {
  const start = request.start === "." ? "" : request.start;
  if (start === "") return path.split("/");
  if (path === start) return request.startIsFile ? [...request.startParts] : null;
  if (!path.startsWith(`${start}/`)) return null;
  return [...request.startParts, ...path.slice(start.length + 1).split("/")];
}

/**
 * The confined handles of the folders leading to the file being checked,
 * root first. The next file keeps the handles of the folders it shares with
 * this one and opens only the rest, each without following a symlink, from
 * its parent's handle (so it is as confined as ConfinedDir.open from the root).
 */
class FolderChain {
  /** The root's handle, then one per name in `names`. */
  private readonly dirs: ConfinedDir[] = [];
  private readonly names: string[] = [];

  constructor(private readonly root: string) {}

  /** The folder `root/parts...`, or null when it cannot be opened (missing, or a symlink on the way). */
  open(parts: readonly string[]): ConfinedDir | null {
    let common = 0;
    while (common < this.names.length && common < parts.length && this.names[common] === parts[common]) common++;
    while (this.names.length > common) {
      this.dirs.pop()!.close();
      this.names.pop();
    }
    try {
      if (this.dirs.length === 0) this.dirs.push(ConfinedDir.open(this.root, [], false));
      for (let i = common; i < parts.length; i++) {
        this.dirs.push(this.dirs[this.dirs.length - 1]!.child(parts[i]!));
        this.names.push(parts[i]!);
      }
      const dir = this.dirs[this.dirs.length - 1]!;
      // Without /proc (not Linux) the handles are paths: check that the folder is still where it was.
      dir.verify();
      return dir;
    } catch {
      this.close();
      return null;
    }
  }

  close(): void {
    while (this.dirs.length > 0) this.dirs.pop()!.close();
    this.names.length = 0;
  }
}

interface ReadLines {
  lines: Map<number, string>;
  bytes: number;
}

const CHUNK_BYTES = 256 * 1024;
/** One read buffer for every file (verifyPage is synchronous); only the bytes a read returned are ever looked at. */
let chunk: Buffer | null = null;

/** The wanted lines (1-based) of the file, opened through confined handles; null when it cannot be (or must not be) read. */
function readLines(folders: FolderChain, parts: string[], needed: Set<number>, home: string, maxBytes: number): ReadLines | null {
  if (parts.length === 0 || parts.some((p) => p === "" || p === "." || p === "..")) return null;
  const name = parts[parts.length - 1]!;
  const dir = folders.open(parts.slice(0, -1));
  if (dir === null) return null;
  let fd: number | null = null;
  try {
    const opened = openEntry(dir, name);
    if (!opened) return null;
    fd = opened.fd;
    if (!opened.stat.isFile() || isConfigTwin(opened.stat, home)) return null;
    let last = 0;
    for (const line of needed) if (line > last) last = line;
    const lines = new Map<number, string>();
    chunk ??= Buffer.allocUnsafe(CHUNK_BYTES);
    let pending: Buffer[] = [];
    let lineNo = 1;
    let offset = 0;
    const finishLine = (piece: Buffer, start: number, end: number) => {
      if (needed.has(lineNo)) {
        lines.set(lineNo, pending.length === 0 ? piece.toString("utf8", start, end) : Buffer.concat([...pending, piece.subarray(start, end)]).toString("utf8"));
      }
      pending = [];
      lineNo++;
    };
    while (lineNo <= last) {
      if (offset >= maxBytes) return null;
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, maxBytes - offset), offset);
      if (n <= 0) break;
      offset += n;
      const piece = chunk.subarray(0, n);
      let start = 0;
      for (let nl = piece.indexOf(10); nl !== -1 && lineNo <= last; nl = piece.indexOf(10, start)) {
        finishLine(piece, start, nl);
        start = nl + 1;
      }
      // Keep the unfinished line (copied: the buffer is reused) only when it is one we need.
      if (start < n && needed.has(lineNo)) pending.push(Buffer.from(piece.subarray(start)));
    }
    if (lineNo <= last && pending.length > 0) finishLine(Buffer.alloc(0), 0, 0);
    return { lines, bytes: offset };
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Whether every line a match would show is the confined file's line at that number. */
function holds(match: SearchMatch, lines: Map<number, string>): boolean {
  const line = lines.get(match.line);
  if (line === undefined || !sameShown(match.text, displayLine(line))) return false;
  const before = match.before ?? [];
  for (let i = 0; i < before.length; i++) {
    const actual = lines.get(match.line - before.length + i);
    if (actual === undefined || contextText(actual) !== before[i]) return false;
  }
  const after = match.after ?? [];
  for (let i = 0; i < after.length; i++) {
    const actual = lines.get(match.line + 1 + i);
    if (actual === undefined || contextText(actual) !== after[i]) return false;
  }
  return true;
}

/** A shown line equals the real one, or (a window of a long line, marked with …) is a part of it. */
function sameShown(shown: string, actual: string): boolean {
  if (shown === actual) return true;
  const inner = shown.replace(/^…/, "").replace(/…$/, "");
  return inner !== shown && inner.length > 0 && actual.includes(inner);
}
