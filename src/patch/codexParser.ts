import { patchSyntaxError } from "./errors.js";
import { finalNewlineField, sidesWithoutNewline, type Chunk, type ChunkLine, type PatchOp } from "./types.js";

/**
 * Parser for the Codex `*** Begin Patch` format. It accepts what the Codex
 * tool accepts (marker lines padded with whitespace, a blank line inside a
 * chunk as an empty context line, the first chunk without `@@`) plus a few
 * things models write that upstream would reject but that cannot be read two
 * ways: blank lines between file sections, a blank line inside an Add File
 * body, several `@@` lines in a row, a unified range (`@@ -3,4 +3,5 @@`) as a
 * chunk marker, and a `*** Move to:` with no chunks (a pure rename).
 *
 * Unlike upstream, an update keeps the file's final-newline state; a
 * `\ No newline at end of file` line (borrowed from unified diffs, after the
 * line it is about) is how a patch changes it.
 */

const BEGIN = "*** Begin Patch";
const END = "*** End Patch";
const ADD = "*** Add File:";
const DELETE = "*** Delete File:";
const UPDATE = "*** Update File:";
const MOVE = "*** Move to:";
const END_OF_FILE = "*** End of File";
const UNIFIED_RANGE = /^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@ ?(.*)$/;

export function isCodexPatch(lines: readonly string[]): boolean {
  return lines.length > 0 && lines[0]!.trim() === BEGIN;
}

/**
 * `lines` is the patch from `*** Begin Patch` to `*** End Patch` inclusive;
 * `firstLine` is the 1-based patch line number of lines[0].
 */
export function parseCodexPatch(lines: readonly string[], firstLine: number): PatchOp[] {
  const lineNo = (i: number) => firstLine + i;
  if (lines.length === 0 || lines[0]!.trim() !== BEGIN) {
    throw patchSyntaxError(lineNo(0), `the first line must be '${BEGIN}'`);
  }
  const last = lines.length - 1;
  if (last === 0 || lines[last]!.trim() !== END) {
    throw patchSyntaxError(lineNo(last), `the last line must be '${END}' (got '${clip(lines[last]!)}')`);
  }
  const ops: PatchOp[] = [];
  let i = 1;
  while (i < last) {
    const header = lines[i]!.trim();
    if (header === "") {
      i++;
      continue;
    }
    const start = i;
    if (header.startsWith(ADD)) {
      const path = pathOf(header, ADD, lineNo(i));
      i++;
      const content: string[] = [];
      let finalNewline = true;
      while (i < last) {
        const line = lines[i]!;
        if (line.startsWith("+")) {
          content.push(line.slice(1));
          i++;
        } else if (line.startsWith("\\") && content.length > 0) {
          finalNewline = false;
          i++;
        } else if (line.trim() === "" && nextNonBlankStartsWithPlus(lines, i, last)) {
          // A blank line between '+' lines: the model dropped the '+' of an empty line.
          content.push("");
          i++;
        } else break;
      }
      ops.push({ kind: "add", path, lines: content, finalNewline, patchLine: lineNo(start) });
      continue;
    }
    if (header.startsWith(DELETE)) {
      ops.push({ kind: "delete", path: pathOf(header, DELETE, lineNo(i)), patchLine: lineNo(start) });
      i++;
      continue;
    }
    if (header.startsWith(UPDATE)) {
      const path = pathOf(header, UPDATE, lineNo(i));
      i++;
      let moveTo: string | undefined;
      if (i < last && lines[i]!.trim().startsWith(MOVE)) {
        moveTo = pathOf(lines[i]!.trim(), MOVE, lineNo(i));
        i++;
      }
      const chunks: Chunk[] = [];
      const lacks = { old: false, new: false };
      while (i < last) {
        const line = lines[i]!;
        if (line.trim() === "" && chunks.length === 0) {
          i++;
          continue;
        }
        if (line.startsWith("***")) break;
        const parsed = parseChunk(lines, i, last, chunks.length === 0, lineNo);
        chunks.push(parsed.chunk);
        lacks.old ||= parsed.lacks.old;
        lacks.new ||= parsed.lacks.new;
        i = parsed.next;
      }
      if (chunks.length === 0 && moveTo === undefined) {
        const needs = "it needs at least one chunk ('@@' then ' ', '-', '+' lines)";
        throw patchSyntaxError(lineNo(start), `the Update File section for '${path}' is empty: ${needs}`);
      }
      ops.push({ kind: "update", path, ...(moveTo === undefined ? {} : { moveTo }), chunks, ...finalNewlineField(lacks.old, lacks.new), patchLine: lineNo(start) });
      continue;
    }
    throw patchSyntaxError(
      lineNo(i),
      `'${clip(header)}' is not a valid file header; expected '${ADD} PATH', '${DELETE} PATH' or '${UPDATE} PATH'`,
    );
  }
  if (ops.length === 0) throw patchSyntaxError(null, "the patch contains no file operations (nothing between Begin Patch and End Patch)");
  return ops;
}

function parseChunk(
  lines: readonly string[],
  start: number,
  last: number,
  mayOmitMarker: boolean,
  lineNo: (i: number) => number,
): { chunk: Chunk; next: number; lacks: { old: boolean; new: boolean } } {
  let i = start;
  const contexts: string[] = [];
  let marked = false;
  while (i < last) {
    const marker = chunkMarker(lines[i]!);
    if (marker === null) break;
    marked = true;
    if (marker !== "") contexts.push(marker);
    i++;
  }
  if (!marked && !mayOmitMarker) {
    throw patchSyntaxError(lineNo(i), `expected a chunk to start with '@@' or '@@ <context line>', got '${clip(lines[i]!)}'`);
  }
  const body: ChunkLine[] = [];
  const lacks = { old: false, new: false };
  let eof = false;
  for (; i < last; i++) {
    const line = lines[i]!;
    if (line.trimEnd() === END_OF_FILE) {
      eof = true;
      i++;
      break;
    }
    const tag = line[0];
    if (tag === "\\" && body.length > 0) {
      const sides = sidesWithoutNewline(body[body.length - 1]);
      lacks.old ||= sides.old;
      lacks.new ||= sides.new;
      // The old side ends the file there, so the chunk must match at the end.
      if (sides.old) eof = true;
    } else if (line === "") body.push({ tag: " ", text: "" });
    else if (tag === " " || tag === "-" || tag === "+") body.push({ tag, text: line.slice(1) });
    else if (body.length === 0) {
      throw patchSyntaxError(
        lineNo(i),
        `unexpected line '${clip(line)}' in an update chunk: every line must start with ' ' (context), '-' (remove) or '+' (add)`,
      );
    } else break;
  }
  if (body.length === 0) throw patchSyntaxError(lineNo(start), "an update chunk has no lines");
  return { chunk: { contexts, lines: body, eof, patchLine: lineNo(start) }, next: i, lacks };
}

/** The context of a chunk marker line ("" for a bare `@@`), or null when the line is not one. */
function chunkMarker(line: string): string | null {
  const trimmed = line.trim();
  if (trimmed === "@@") return "";
  const range = UNIFIED_RANGE.exec(trimmed);
  if (range) return range[1]!.trim();
  if (trimmed.startsWith("@@ ")) return line.trimStart().slice(3);
  return null;
}

function nextNonBlankStartsWithPlus(lines: readonly string[], from: number, last: number): boolean {
  for (let j = from; j < last; j++) {
    if (lines[j]!.trim() !== "") return lines[j]!.startsWith("+");
  }
  return false;
}

function pathOf(header: string, prefix: string, line: number): string {
  const path = header.slice(prefix.length).trim();
  if (path === "") throw patchSyntaxError(line, `'${prefix}' needs a path`);
  return path;
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
