import { closestRegion } from "./closest.js";
import { detectFileStyle, reindentAdded, type FileIndentStyle } from "./indent.js";
import { patchFailed, REREAD_HINT, showExpected, showRegion } from "./errors.js";
import { LineIndex, type SeekResult } from "./matcher.js";
import type { MatchLevel } from "./normalize.js";
import type { FileText } from "./text.js";
import { oldSide, type Chunk, type ChunkLine } from "./types.js";

export interface ChunkResult {
  text: FileText;
  added: number;
  removed: number;
  /** The loosest level any chunk (or its @@ line) needed: 0 when everything matched exactly. */
  level: MatchLevel;
  /** Added lines whose indentation was rewritten to the file's style. */
  reindented: number;
  /**
   * Every chunk only inserts lines, and those lines are already where it
   * would insert them: applying would duplicate them (a re-sent patch).
   */
  alreadyHere: boolean;
}

interface Replacement {
  start: number;
  /** Old lines covered: the body's context and '-' lines. */
  remove: number;
  body: readonly ChunkLine[];
}

/**
 * Apply one file's chunks in memory, the way the Codex tool does: each chunk
 * is searched from where the previous one ended (after its `@@` lines), and
 * replaced as a whole. Throws PATCH_FAILED naming the chunk, the lines it
 * looked for and the closest region of the file.
 */
export function applyChunks(file: FileText, chunks: readonly Chunk[], path: string): ChunkResult {
  const index = new LineIndex(file.lines);
  const replacements: Replacement[] = [];
  let cursor = 0;
  let added = 0;
  let removed = 0;
  let level: MatchLevel = 0;
  let reindented = 0;
  let style: FileIndentStyle | null = null;
  let alreadyHere = chunks.length > 0;
  chunks.forEach((chunk, i) => {
    const where: Where = {
      label: `${path}: chunk ${i + 1} of ${chunks.length} (patch line ${chunk.patchLine})`,
      details: { path, chunk: i + 1, chunks: chunks.length, patch_line: chunk.patchLine },
    };
    let contextAt = -1;
    for (const context of chunk.contexts) {
      const found = index.seek([context], cursor);
      if (!found) throw contextMissing(where, context, cursor, index);
      if (found.level > level) level = found.level;
      contextAt = found.start;
      cursor = found.start + 1;
    }
    let body = chunk.lines;
    let old = oldSide(body);
    if (old.length === 0) {
      // Upstream rule: a chunk of added lines only goes at the end of the file.
      const end = file.lines.length;
      const at = chunk.insertAt === undefined ? end : Math.min(Math.max(chunk.insertAt, cursor), end);
      // Appended at the end the first time, the lines end the file; inserted at a line, they start there.
      const texts = body.map((l) => l.text);
      if (!telling(body) || !index.matchesAtAnyLevel(texts, chunk.insertAt === undefined ? end - texts.length : at)) alreadyHere = false;
      replacements.push({ start: at, remove: 0, body });
      added += body.length;
      return;
    }
    const seek = (pattern: string[]): SeekResult | null => {
      const options = { eof: chunk.eof, ...(chunk.near === undefined ? {} : { near: chunk.near }) };
      // A model often repeats the `@@` line as the chunk's first context line: also try from the @@ line itself.
      return index.seek(pattern, cursor, options) ?? (contextAt >= 0 ? index.seek(pattern, contextAt, options) : null);
    };
    let found = seek(old);
    if (!found && old[old.length - 1] === "") {
      // Upstream retry: blank lines that trail a chunk are often just the gap before the next file header.
      const trimmed = dropTrailingBlank(body);
      if (oldSide(trimmed).length > 0) {
        const retry = seek(oldSide(trimmed));
        if (retry) {
          body = trimmed;
          old = oldSide(trimmed);
          found = retry;
        }
      }
    }
    if (!found) throw bodyMissing(where, chunk.lines, old, cursor, chunk.eof, index);
    if (found.level > level) level = found.level;
    if (found.level >= 2) {
      // Leading whitespace differed: write the added lines the way the file indents the lines they matched.
      style ??= detectFileStyle(file.lines);
      const result = reindentFor(body, found.start, file.lines, style);
      body = result.body;
      reindented += result.changed;
    }
    if (body.some((l) => l.tag === "-") || !telling(body) || !index.matchesAtAnyLevel(newSide(body), found.start)) alreadyHere = false;
    replacements.push({ start: found.start, remove: old.length, body });
    for (const line of body) {
      if (line.tag === "+") added++;
      else if (line.tag === "-") removed++;
    }
    cursor = found.start + old.length;
  });
  return { text: splice(file, replacements), added, removed, level, reindented, alreadyHere };
}

function newSide(body: readonly ChunkLine[]): string[] {
  return body.filter((l) => l.tag !== "-").map((l) => l.text);
}

/** Added lines that say something (a blank line or a lone brace could be there by chance). */
function telling(body: readonly ChunkLine[]): boolean {
  return body.some((l) => l.tag === "+" && /[A-Za-z0-9]/.test(l.text));
}

/** The chunk body with its '+' lines in the file's indentation (old lines are paired with the file lines they matched). */
function reindentFor(body: ChunkLine[], start: number, lines: readonly string[], style: FileIndentStyle): { body: ChunkLine[]; changed: number } {
  let at = start;
  const paired = body.map((line) => (line.tag === "+" ? line : { ...line, fileText: lines[at++] }));
  const { texts, changed } = reindentAdded(paired, style);
  if (changed === 0) return { body, changed };
  let next = 0;
  return { body: body.map((line) => (line.tag === "+" ? { tag: line.tag, text: texts[next++]! } : line)), changed };
}

function dropTrailingBlank(lines: readonly ChunkLine[]): ChunkLine[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.tag !== "+" && lines[end - 1]!.text === "") end--;
  return lines.slice(0, end);
}

/**
 * Build the new line list in one pass (replacements never overlap: each
 * search starts after the previous match). Context lines keep the file's own
 * text and ending: when a chunk matched loosely (say, with different
 * indentation), the model did not ask to change them. Upstream writes the
 * patch's copy instead; for exact matches the two are the same.
 */
function splice(file: FileText, replacements: Replacement[]): FileText {
  const ordered = replacements.map((r, order) => ({ ...r, order })).sort((a, b) => a.start - b.start || a.order - b.order);
  const lines: string[] = [];
  const eols: string[] = [];
  let at = 0;
  for (const r of ordered) {
    for (; at < r.start; at++) {
      lines.push(file.lines[at]!);
      eols.push(file.eols[at]!);
    }
    let old = r.start;
    for (const line of r.body) {
      if (line.tag === "+") {
        lines.push(line.text);
        eols.push(file.eol);
      } else {
        if (line.tag === " ") {
          lines.push(file.lines[old]!);
          eols.push(file.eols[old]!);
        }
        old++;
      }
    }
    at = Math.max(at, r.start + r.remove);
  }
  for (; at < file.lines.length; at++) {
    lines.push(file.lines[at]!);
    eols.push(file.eols[at]!);
  }
  return { lines, eols, bom: file.bom, eol: file.eol };
}

interface Where {
  label: string;
  details: Record<string, unknown>;
}

/** Lines shown around the closest region, so the model sees where it sits. */
const MARGIN = 2;

function contextMissing(where: Where, context: string, cursor: number, index: LineIndex) {
  const after = cursor > 0 ? ` after line ${cursor}` : "";
  const parts = [`${where.label} did not apply: its '@@ ${context.trim()}' line was not found${after} in the file (${index.length} lines)`];
  const region = closestRegion(index, [context], cursor);
  if (region) {
    parts.push(`Closest line, ${region.start + 1}:`);
    parts.push(showRegion(index.lines, region.start - MARGIN, region.start + 1 + MARGIN));
  }
  return patchFailed(parts.join("\n"), { ...where.details, closest_line: region ? region.start + 1 : null }, REREAD_HINT);
}

function bodyMissing(where: Where, body: readonly ChunkLine[], expected: readonly string[], cursor: number, eof: boolean, index: LineIndex) {
  const place = eof ? "at the end of the file (*** End of File)" : cursor > 0 ? `after line ${cursor}` : "anywhere";
  const what = expected.length === 1 ? "this line (its context and '-' lines) was" : `these ${expected.length} lines (its context and '-' lines) were`;
  const parts = [`${where.label} did not apply: ${what} not found ${place} in the file (${index.length} lines):`, showExpected(expected)];
  const applied = appliedAt(body, cursor, eof, index);
  if (applied !== null) {
    const newSide = body.filter((l) => l.tag !== "-").length;
    parts.push(
      `This chunk looks already applied: its result (context and '+' lines) is in the file at lines ${applied + 1}-${applied + newSide}. ` +
        "If an earlier attempt of this patch went through, leave this chunk out.",
    );
  }
  if (cursor > 0 && !eof) {
    const earlier = index.seek(expected, 0);
    if (earlier && earlier.start < cursor) {
      parts.push(
        `They do occur at line ${earlier.start + 1}, before where the previous chunk or @@ line matched (line ${cursor}); ` +
          "chunks must follow the file's order.",
      );
    }
  }
  const region = closestRegion(index, expected, cursor);
  if (region) {
    const end = Math.min(region.start + expected.length, index.length);
    parts.push(`Closest region of the file, lines ${region.start + 1}-${end} (with ${MARGIN} lines around it):`);
    parts.push(showRegion(index.lines, region.start - MARGIN, end + MARGIN));
  } else {
    parts.push("No similar lines were found in the file.");
  }
  return patchFailed(
    parts.join("\n"),
    { ...where.details, closest_line: region ? region.start + 1 : null, ...(applied !== null ? { chunk_already_applied: true } : {}) },
    REREAD_HINT,
  );
}

/**
 * Where a chunk that did not apply shows its result instead: its new side
 * (context and '+' lines) found from the cursor on. Only for chunks that add
 * or remove something and whose new side has a line to find.
 */
export function appliedAt(body: readonly ChunkLine[], cursor: number, eof: boolean, index: LineIndex): number | null {
  const newSide = body.filter((l) => l.tag !== "-").map((l) => l.text);
  if (newSide.length === 0 || !body.some((l) => l.tag !== " ")) return null;
  return index.seek(newSide, cursor, { eof })?.start ?? null;
}
