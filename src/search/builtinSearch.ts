import { StringDecoder } from "node:string_decoder";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { ConfinedDir } from "../files/confinedFs.js";
import { compileGlob } from "../files/globFilter.js";
import { ancestorLevels } from "../files/ignoreRules.js";
import { TreeWalker } from "../files/walker.js";
import { FileScanner } from "./fileScanner.js";
import { buildMatcher, type LineMatcher } from "./matcher.js";
import type { PageCollector } from "./page.js";
import { END_OF_FILE, type SearchRequest } from "./types.js";

/** Files up to this size are read whole; larger ones are streamed in chunks of CHUNK bytes. */
const WHOLE_FILE_BYTES = 8 * 1024 * 1024;
const CHUNK = 1024 * 1024;

/**
 * The built-in engine: the same walk as list_files (tree order, `.gitignore`,
 * hidden names and skipped folders as ripgrep treats them) and a line-by-line
 * JavaScript match. A file with a NUL byte anywhere is binary and skipped, as
 * the ripgrep backend drops files rg flags as binary. Synchronous: it runs in
 * a worker thread (see builtin.ts) so a slow regex cannot stall the server.
 */
export function builtinSearch(request: SearchRequest, collector: PageCollector): void {
  const matcher = buildMatcher(request.pattern, request.regex, request.caseSensitive);
  const cap = request.limit + 1;
  const after = request.after;
  const search = (abs: string, rel: string): boolean => {
    const skipThrough = after && after.path === rel ? after.line : 0;
    const found = searchFile(abs, rel, matcher, request.contextLines, cap, skipThrough, request.softDeadline);
    if (found === "timeout") return false;
    for (const match of found) if (!collector.offer(match)) return false;
    return true;
  };

  if (request.startIsFile) {
    const dir = ConfinedDir.open(request.root, request.startParts.slice(0, -1), false);
    try {
      if (!search(dir.entry(request.startParts.at(-1)!), request.start) && !collector.full) collector.stopEarly(null);
    } finally {
      dir.close();
    }
    return;
  }

  const walker = new TreeWalker({
    root: request.root,
    start: request.start,
    startParts: request.startParts,
    recursive: true,
    includeHidden: false,
    glob: request.glob ? compileGlob(request.glob) : null,
    forbidden: request.forbidden,
    ancestors: ancestorLevels(request.root, request.start),
    resume: after ? { path: after.path, inclusive: after.line === END_OF_FILE } : null,
  });
  let lastDone: string | null = null;
  let counter = 0;
  try {
    for (let entry = walker.next(); entry; entry = walker.next()) {
      if (entry.kind !== "file") continue;
      if ((++counter & 63) === 0 && Date.now() > request.softDeadline) {
        collector.stopEarly(lastDone ? { path: lastDone, line: END_OF_FILE } : null);
        return;
      }
      if (!search(entry.abs, entry.rel)) {
        if (!collector.full) collector.stopEarly(lastDone ? { path: lastDone, line: END_OF_FILE } : null);
        return;
      }
      lastDone = entry.rel;
    }
  } finally {
    walker.close();
  }
}

/** Never through a symlink swapped in after the walk saw a file; never blocking on a FIFO. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

type FileResult = FileScanner["found"] | "timeout";

function searchFile(abs: string, rel: string, matcher: LineMatcher, contextLines: number, cap: number, skipThrough: number, deadline: number): FileResult {
  let fd: number;
  try {
    fd = openSync(abs, OPEN_FLAGS);
  } catch {
    return []; // vanished or unreadable: nothing to report, as rg with --no-messages
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return [];
    const size = stat.size;
    const scanner = new FileScanner(rel, matcher.line, contextLines, cap, skipThrough);
    if (size <= WHOLE_FILE_BYTES) {
      const bytes = readAll(fd, size);
      if (bytes.includes(0)) return [];
      const text = bytes.toString("utf8");
      if (matcher.whole && !matcher.whole.test(text)) return [];
      feedLines(text, scanner, true);
      return scanner.found;
    }
    return streamFile(fd, scanner, deadline);
  } finally {
    closeSync(fd);
  }
}

function readAll(fd: number, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    const n = readSync(fd, buffer, filled, size - filled, filled);
    if (n === 0) break;
    filled += n;
  }
  return buffer.subarray(0, filled);
}

/** Feed `text` line by line; the piece after the last `\n` is a line only at the end of the file. */
function feedLines(text: string, scanner: FileScanner, final: boolean): string {
  let start = 0;
  for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
    if (scanner.wantsMore) scanner.push(text.slice(start, nl));
    start = nl + 1;
  }
  const rest = text.slice(start);
  if (final && rest.length > 0 && scanner.wantsMore) scanner.push(rest);
  return rest;
}

/** Large files: constant memory; still read to the end, since a NUL anywhere makes the file binary. */
function streamFile(fd: number, scanner: FileScanner, deadline: number): FileResult {
  const buffer = Buffer.allocUnsafe(CHUNK);
  const decoder = new StringDecoder("utf8");
  let carry = "";
  let position = 0;
  for (;;) {
    const n = readSync(fd, buffer, 0, CHUNK, position);
    if (n === 0) break;
    position += n;
    const chunk = buffer.subarray(0, n);
    if (chunk.includes(0)) return [];
    if (Date.now() > deadline) return "timeout";
    if (scanner.wantsMore) carry = feedLines(carry + decoder.write(chunk), scanner, false);
  }
  if (scanner.wantsMore) feedLines(carry + decoder.end(), scanner, true);
  return scanner.found;
}
