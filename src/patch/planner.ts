import { createHash } from "node:crypto";
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, statSync, type Stats } from "node:fs";
import { changedDuringRequest } from "../files/confinedFs.js";
import { finalNewlineShape, shapeChange } from "../files/textShape.js";
import { dirname } from "node:path";
import type { InsidePath } from "../workspace/resolveInside.js";
import { applyChunks } from "./applyChunks.js";
import type { MatchLevel } from "./normalize.js";
import { patchFailed } from "./errors.js";
import { countLines, decodeText, hasFinalNewline, joinText, splitText } from "./text.js";
import type { PatchOp, ParsedPatch } from "./types.js";

/** Confines a patch path to the workspace (throws 403 OUTSIDE_WORKSPACE). */
export type Resolve = (userPath: string) => InsidePath;

/** A file the patch touches, as it is on disk and as it will be. */
export interface PlannedFile {
  real: string;
  relative: string;
  /** Bytes on disk when planning started; null when there was no file. Doubles as the rollback copy. */
  original: Buffer | null;
  /** Permission bits on disk, null when there was no file. */
  originalMode: number | null;
  /** Bytes after the patch; null when the file will not exist. */
  next: Buffer | null;
  /** Mode for a file that is created by a move or copy: the source's. */
  carryMode: number | null;
}

/** How loosely a file's chunks matched: contract §8 names. */
export type Fuzz = "exact" | "whitespace" | "unicode";

export function fuzzOf(level: MatchLevel): Fuzz {
  return level === 0 ? "exact" : level === 3 ? "unicode" : "whitespace";
}

export interface FileSummary {
  path: string;
  op: "add" | "update" | "delete" | "move";
  moved_to?: string;
  added_lines: number;
  removed_lines: number;
  sha256?: string;
  fuzz: Fuzz;
  /** Added lines written in the file's indentation instead of the patch's (only when some were). */
  reindented_lines?: number;
  /** The file's last line gained or lost its newline (only when it did: a patch keeps it unless it says otherwise). */
  final_newline?: "added" | "removed";
}

export interface Plan {
  files: FileSummary[];
  /** Files whose bytes or existence change, in the order the patch first named them. */
  changes: PlannedFile[];
  /** Line counts over the whole patch, for the audit log. */
  totals: { added: number; removed: number };
  /**
   * The patch is already on disk: every section either leaves its file exactly
   * as it is (an Add File of the content already there) or only inserts lines
   * that are already where it would insert them.
   */
  alreadyApplied: boolean;
}

/** Files above this are refused: the whole patch is computed in memory. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Compute the whole patch in memory against a virtual copy of the touched
 * files, so later sections see earlier ones (Add then Update of the same
 * file works, as it does upstream) and nothing is written unless everything
 * applies.
 */
export function planPatch(parsed: ParsedPatch, resolve: Resolve, signal?: AbortSignal): Plan {
  const vfs = new VirtualFiles(resolve);
  const files: Array<FileSummary & { target: PlannedFile }> = [];
  const totals = { added: 0, removed: 0 };
  let alreadyApplied = parsed.ops.length > 0;
  for (const op of parsed.ops) {
    if (signal?.aborted) throw patchFailed("the patch took too long to compute");
    const before = op.kind === "delete" || (op.kind === "update" && op.moveTo !== undefined) ? null : vfs.get(op.path).next;
    const summary = planOp(op, vfs);
    const unchanged = before !== null && summary.target.next !== null && before.equals(summary.target.next);
    if (!unchanged && !summary.alreadyHere) alreadyApplied = false;
    delete summary.alreadyHere;
    totals.added += summary.added_lines;
    totals.removed += summary.removed_lines;
    files.push(summary);
  }
  return {
    files: files.map(({ target, ...summary }) => {
      // The hash of the file as it is after the whole patch (what read_file would report next).
      if (summary.op !== "delete" && target.next) summary.sha256 = sha256(target.next);
      return summary;
    }),
    changes: vfs.changes(),
    totals,
    alreadyApplied,
  };
}

function planOp(op: PatchOp, vfs: VirtualFiles): FileSummary & { target: PlannedFile; alreadyHere?: boolean } {
  switch (op.kind) {
    case "add": {
      const file = vfs.get(op.path);
      vfs.mustBeWritable(file, "Add File");
      const text = splitText(op.lines.length ? `${op.lines.join("\n")}\n` : "");
      const removed = file.next ? countLines(file.next) : 0;
      const before = file.next;
      file.next = joinText(text, op.finalNewline);
      vfs.claimParents(file);
      return { path: file.relative, op: "add", added_lines: op.lines.length, removed_lines: removed, fuzz: "exact", ...newlineChange(before, file.next), target: file };
    }
    case "delete": {
      const file = vfs.existing(op.path, "Delete File", { deletes: true });
      let removed = countLines(file.next!);
      let level: MatchLevel = 0;
      if (op.expect) {
        const text = vfs.text(file);
        const result = applyChunks(text, op.expect, file.relative);
        if (result.text.lines.length > 0) {
          throw fileFailed(
            file,
            `${file.relative}: the diff deletes the file but shows only ${result.removed} of its ${text.lines.length} lines; ` +
              `re-read it, or use '*** Delete File: ${file.relative}'`,
          );
        }
        removed = result.removed;
        level = result.level;
      }
      file.next = null;
      return { path: file.relative, op: "delete", added_lines: 0, removed_lines: removed, fuzz: fuzzOf(level), target: file };
    }
    case "update": {
      const source = vfs.existing(op.path, "Update File", { deletes: op.moveTo !== undefined && !op.copy });
      // A pure rename (no chunks) moves the bytes untouched, so it works for any file.
      let bytes = source.next!;
      let counts: Pick<FileSummary, "added_lines" | "removed_lines" | "fuzz" | "reindented_lines" | "final_newline"> = { added_lines: 0, removed_lines: 0, fuzz: "exact" };
      let lineCount = countLines(bytes);
      let alreadyHere = false;
      if (op.chunks.length > 0) {
        const text = vfs.text(source);
        const result = applyChunks(text, op.chunks, source.relative);
        bytes = joinText(result.text, op.finalNewline ?? hasFinalNewline(text));
        counts = {
          added_lines: result.added,
          removed_lines: result.removed,
          fuzz: fuzzOf(result.level),
          ...(result.reindented > 0 ? { reindented_lines: result.reindented } : {}),
        };
        alreadyHere = result.alreadyHere;
        lineCount = result.text.lines.length;
      }
      Object.assign(counts, newlineChange(source.next, bytes));
      const dest = op.moveTo === undefined ? source : vfs.get(op.moveTo);
      if (dest === source) {
        source.next = bytes;
        return { path: source.relative, op: "update", ...counts, target: source, alreadyHere };
      }
      vfs.mustBeWritable(dest, "Move to");
      dest.next = bytes;
      dest.carryMode = source.originalMode ?? source.carryMode;
      vfs.claimParents(dest);
      if (op.copy) return { path: dest.relative, op: "add", added_lines: lineCount, removed_lines: 0, fuzz: counts.fuzz, target: dest };
      source.next = null;
      return { path: source.relative, op: "move", moved_to: dest.relative, ...counts, target: dest };
    }
  }
}

/** `final_newline` for a file that had `before` and now has `after` (nothing when either is missing or empty). */
function newlineChange(before: Buffer | null, after: Buffer | null): Pick<FileSummary, "final_newline"> {
  const change = before && after ? shapeChange(finalNewlineShape(before), finalNewlineShape(after)).final_newline : undefined;
  return change ? { final_newline: change } : {};
}

type Kind = "file" | "dir" | "missing" | "other";

/** The touched files, keyed by real path so two names of one file are one entry. */
class VirtualFiles {
  private readonly files = new Map<string, PlannedFile & { kind: Kind; lexical: string }>();
  /** Folders that planned files will need (so "Add a/b" then "Add a" is caught before writing). */
  private readonly folders = new Set<string>();

  constructor(private readonly resolve: Resolve) {}

  get(userPath: string): PlannedFile & { kind: Kind; lexical: string } {
    const inside = this.resolve(userPath);
    if (inside.relative === ".") throw patchFailed(`'${userPath}' names the workspace folder itself, not a file`);
    const known = this.files.get(inside.real);
    if (known) return known;
    let kind: Kind = "missing";
    let original: Buffer | null = null;
    let mode: number | null = null;
    const found = readWhereResolved(inside.real);
    if (found) {
      const { stat, read } = found;
      kind = stat.isFile() ? "file" : stat.isDirectory() ? "dir" : "other";
      if (kind === "file") {
        if (stat.size > MAX_FILE_BYTES) {
          throw fileFailed(inside, `${inside.relative} is too large for apply_patch (${stat.size} bytes); use write_file or a command`);
        }
        original = read();
        mode = stat.mode & 0o7777;
      }
    }
    const file = {
      real: inside.real,
      lexical: inside.lexical,
      relative: inside.relative,
      kind,
      original,
      originalMode: mode,
      next: original,
      carryMode: null,
    };
    this.files.set(inside.real, file);
    return file;
  }

  /** A file that must exist now (in the patch's own sequence), for Update, Delete or a move's source. */
  existing(userPath: string, section: string, options: { deletes: boolean }): PlannedFile & { kind: Kind } {
    const file = this.get(userPath);
    if (file.kind === "dir" || this.folders.has(file.real)) {
      throw fileFailed(file, `${section}: ${file.relative} is a directory; apply_patch changes files only`);
    }
    if (file.kind === "other") throw fileFailed(file, `${section}: ${file.relative} is not a regular file`);
    if (file.next === null) {
      const hint = section === "Update File" ? " (use '*** Add File:' to create it)" : "";
      throw fileFailed(file, `${section}: ${file.relative} does not exist${hint}`);
    }
    if (options.deletes && isSymlink(file.lexical)) {
      // Removing the target would leave a dangling link; removing the link would not match what was read.
      throw fileFailed(file, `${section}: ${file.relative} is a symbolic link; apply_patch does not delete or move links`);
    }
    return file;
  }

  mustBeWritable(file: PlannedFile & { kind: Kind }, section: string): void {
    if (file.kind === "dir" || this.folders.has(file.real)) {
      throw fileFailed(file, `${section}: ${file.relative} is a directory`);
    }
    if (file.kind === "other") throw fileFailed(file, `${section}: ${file.relative} is not a regular file`);
    for (let dir = dirname(file.real); dir !== dirname(dir); dir = dirname(dir)) {
      const planned = this.files.get(dir);
      if (planned && planned.next !== null) {
        throw fileFailed(file, `${section}: ${file.relative} needs ${planned.relative} to be a folder, but it is a file`);
      }
      if (planned) continue; // a file the patch deletes: its place can become a folder
      let stat;
      try {
        stat = statSync(dir);
      } catch {
        continue; // missing: created when writing
      }
      if (stat.isDirectory()) return;
      throw fileFailed(file, `${section}: ${file.relative} needs a folder where a file exists`);
    }
  }

  claimParents(file: PlannedFile): void {
    for (let dir = dirname(file.real); dir !== dirname(dir) && !this.folders.has(dir); dir = dirname(dir)) {
      this.folders.add(dir);
    }
  }

  text(file: PlannedFile) {
    const text = decodeText(file.next!);
    if (!text) throw fileFailed(file, `${file.relative} is not UTF-8 text; apply_patch edits text files only`);
    return text;
  }

  changes(): PlannedFile[] {
    const out: PlannedFile[] = [];
    for (const file of this.files.values()) {
      const same = file.original === null ? file.next === null : file.next !== null && file.original.equals(file.next);
      if (!same) out.push(file);
    }
    return out;
  }
}

/** PATCH_FAILED about one file, with its path in `details` for the model. */
function fileFailed(file: { relative: string }, message: string) {
  return patchFailed(message, { path: file.relative });
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const PROC_FD = process.platform === "linux" && existsSync("/proc/self/fd");

/**
 * Stat (and, for a regular file, read) what the resolver said the path is — and only that:
 * the last part is opened without following a link, and on Linux the descriptor's real
 * place is compared with the resolved path, so a folder on the way swapped for a link
 * between resolving and reading cannot make a patch read (and quote) a file outside.
 * Null when nothing is there.
 */
function readWhereResolved(real: string): { stat: Stats; read: () => Buffer } | null {
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    if (code === "ELOOP") throw changedDuringRequest();
    throw error;
  }
  try {
    if (PROC_FD && readlinkSync(`/proc/self/fd/${fd}`) !== real) throw changedDuringRequest();
    const stat = fstatSync(fd);
    const data = stat.isFile() && stat.size <= MAX_FILE_BYTES ? readFileSync(fd) : Buffer.alloc(0);
    return { stat, read: () => data };
  } finally {
    closeSync(fd);
  }
}
