import { parsePatch, type StructuredPatch, type StructuredPatchHunk } from "diff";
import { patchSyntaxError } from "./errors.js";
import { finalNewlineField, sidesWithoutNewline, type Chunk, type ChunkLine, type PatchOp } from "./types.js";

/**
 * Adapter for unified diffs (`diff -u`, `git diff`): the `diff` package parses
 * them, and this turns each file into the same operations as the Codex
 * format. `/dev/null` (or git's new/deleted file mode) means add/delete; git
 * rename and copy headers mean a move or a copy. Hunk line numbers only break
 * ties between equal matches: like the Codex format, hunks are found by their
 * content, so a diff made against a slightly older file still applies.
 */

const HUNK_HEADER = /^@@(?: -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@)?(.*)$/;
const SECTION_START = /^(?:diff --git |diff -|Index: )/;

interface HunkInfo {
  /** 1-based patch line of the `@@` header. */
  line: number;
  /** Whether the header carried line numbers (models sometimes write a bare `@@`). */
  numbered: boolean;
}

export function looksLikeUnifiedDiff(lines: readonly string[]): boolean {
  return lines.some((line) => /^(?:--- |\+\+\+ |diff --git |@@ -\d)/.test(line));
}

export function parseUnifiedDiff(lines: readonly string[], firstLine: number): PatchOp[] {
  const { text, hunks } = recountHunks(lines, firstLine);
  let files: StructuredPatch[];
  try {
    files = parsePatch(text);
  } catch (error) {
    throw patchSyntaxError(null, `unified diff: ${(error as Error).message}`);
  }
  const ops: PatchOp[] = [];
  let hunkNo = 0;
  for (const file of files) {
    const infos = file.hunks.map(() => hunks[hunkNo++] ?? { line: firstLine, numbered: false });
    const op = toOp(file, infos);
    if (op) ops.push(op);
  }
  if (ops.length === 0) throw patchSyntaxError(null, "the unified diff contains no file changes (no '--- a/PATH' / '+++ b/PATH' with hunks)");
  return ops;
}

/**
 * Rewrite every hunk header with the counts its body really has. Models
 * routinely get `@@ -12,7 +12,8 @@` counts wrong (and the Codex format has
 * none), while the `diff` package rightly insists they be exact.
 */
function recountHunks(lines: readonly string[], firstLine: number): { text: string; hunks: HunkInfo[] } {
  const out: string[] = [];
  const hunks: HunkInfo[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const header = line.startsWith("@@") ? HUNK_HEADER.exec(line) : null;
    if (!header) {
      out.push(line);
      i++;
      continue;
    }
    let end = i + 1;
    while (end < lines.length && isBodyLine(lines, end)) end++;
    // Blank lines that trail a hunk are a gap before the next section, not context.
    while (end > i + 1 && lines[end - 1] === "") end--;
    let oldCount = 0;
    let newCount = 0;
    for (let j = i + 1; j < end; j++) {
      const tag = lines[j]![0] ?? " ";
      if (tag === " " || tag === "-") oldCount++;
      if (tag === " " || tag === "+") newCount++;
    }
    const numbered = header[1] !== undefined;
    const oldStart = Number(header[1] ?? 1) || (oldCount === 0 ? 0 : 1);
    const newStart = Number(header[2] ?? 1) || (newCount === 0 ? 0 : 1);
    const tail = header[3] ?? "";
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@${tail.startsWith(" ") || tail === "" ? tail : ` ${tail}`}`);
    hunks.push({ line: firstLine + i, numbered });
    for (let j = i + 1; j < end; j++) out.push(lines[j]!);
    i = end;
  }
  return { text: `${out.join("\n")}\n`, hunks };
}

function isBodyLine(lines: readonly string[], j: number): boolean {
  const line = lines[j]!;
  if (line === "") return true;
  if (line.startsWith("@@") || SECTION_START.test(line)) return false;
  // `--- x` followed by `+++ y` is the next file's header, not a removed line.
  if (line.startsWith("--- ") && (lines[j + 1] ?? "").startsWith("+++ ")) return false;
  const tag = line[0];
  return tag === " " || tag === "-" || tag === "+" || tag === "\\";
}

function stripPrefix(name: string | undefined, prefix: string, strip: boolean): string | undefined {
  if (name === undefined || name === "/dev/null") return name;
  return strip && name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

function toOp(file: StructuredPatch, infos: HunkInfo[]): PatchOp | null {
  const rawOld = file.oldFileName;
  const rawNew = file.newFileName;
  if (rawOld === undefined && rawNew === undefined) {
    if (file.hunks.length === 0) return null;
    throw patchSyntaxError(infos[0]?.line ?? null, "a unified diff hunk has no '--- a/PATH' / '+++ b/PATH' header naming its file");
  }
  if (file.isBinary) throw patchSyntaxError(null, `binary diffs are not supported (${rawNew ?? rawOld})`);
  const strip =
    file.isGit === true ||
    ((rawOld === "/dev/null" || rawOld?.startsWith("a/") === true) && (rawNew === "/dev/null" || rawNew?.startsWith("b/") === true));
  const oldName = stripPrefix(rawOld, "a/", strip);
  const newName = stripPrefix(rawNew, "b/", strip);
  const converted = file.hunks.map((hunk, k) => toChunk(hunk, infos[k]!));
  const chunks = converted.map((c) => c.chunk);
  const patchLine = infos[0]?.line ?? 1;
  const newLacksNewline = converted.some((c) => c.newLacksNewline);
  const oldLacksNewline = converted.some((c) => c.oldLacksNewline);

  if (oldName === "/dev/null" || (file.isCreate === true && !file.isRename && !file.isCopy)) {
    const path = newName ?? oldName!;
    const content = chunks.flatMap((c) => c.lines.filter((l) => l.tag !== "-").map((l) => l.text));
    return { kind: "add", path, lines: content, finalNewline: !newLacksNewline, patchLine };
  }
  if (newName === "/dev/null" || file.isDelete === true) {
    return { kind: "delete", path: oldName ?? newName!, ...(chunks.length ? { expect: chunks } : {}), patchLine };
  }
  const path = oldName ?? newName!;
  const moveTo = newName !== undefined && newName !== path ? newName : undefined;
  if (chunks.length === 0 && moveTo === undefined) return null; // mode-only change: modes are kept as they are
  return {
    kind: "update",
    path,
    ...(moveTo === undefined ? {} : { moveTo }),
    ...(file.isCopy ? { copy: true } : {}),
    chunks,
    ...finalNewlineField(oldLacksNewline, newLacksNewline),
    patchLine,
  };
}

function toChunk(
  hunk: StructuredPatchHunk,
  info: HunkInfo,
): { chunk: Chunk; oldLacksNewline: boolean; newLacksNewline: boolean } {
  const lines: ChunkLine[] = [];
  let oldLacksNewline = false;
  let newLacksNewline = false;
  for (const raw of hunk.lines) {
    const tag = raw[0] ?? " ";
    if (tag === "\\") {
      const sides = sidesWithoutNewline(lines[lines.length - 1]);
      oldLacksNewline ||= sides.old;
      newLacksNewline ||= sides.new;
      continue;
    }
    lines.push({ tag: tag as ChunkLine["tag"], text: raw.slice(1) });
  }
  const chunk: Chunk = { contexts: [], lines, eof: oldLacksNewline, patchLine: info.line };
  if (info.numbered) {
    chunk.near = Math.max(0, hunk.oldStart - 1);
    if (hunk.oldLines === 0) chunk.insertAt = Math.max(0, hunk.oldStart - 1);
  }
  return { chunk, oldLacksNewline, newLacksNewline };
}
