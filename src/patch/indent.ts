/**
 * Added lines in the file's own indentation style. When a chunk matched only
 * with its leading whitespace ignored, the model wrote the indentation
 * differently from the file (spaces for tabs, 4 spaces for 2, a block copied
 * one level shallower). Its context lines are kept as the file has them;
 * this module rewrites the indentation of its '+' lines the same way, by
 * learning from the chunk's own matched lines how the patch's indentation
 * maps to the file's.
 *
 * Per added line, in order of preference:
 * 1. old lines (context or '-') of the chunk with the same patch
 *    indentation: use the file indentation most of them have (ties: the
 *    nearest line's);
 * 2. otherwise, indentation levels: the patch's unit (e.g. 4 spaces) and the
 *    file's unit (a tab, or N spaces) turn the line's depth relative to its
 *    nearest old line into file indentation; alignment spaces beyond whole
 *    levels are kept;
 * 3. when neither is determinable, the line stays as the patch wrote it.
 */

/** Columns a tab advances to, for measuring depth only (never written). */
const TAB = 4;

export interface IndentPair {
  /** Leading whitespace of the patch's line. */
  patch: string;
  /** Leading whitespace of the file line it matched. */
  file: string;
}

export function leadingWhitespace(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

function isBlank(line: string): boolean {
  return line.trim() === "";
}

/** Visual width of an indentation string, tabs to the next multiple of TAB. */
function width(indent: string): number {
  let col = 0;
  for (const c of indent) col = c === "\t" ? col + TAB - (col % TAB) : col + 1;
  return col;
}

/** The most common positive step between consecutive indentation widths, or null. */
function commonStep(widths: readonly number[]): number | null {
  const counts = new Map<number, number>();
  for (let i = 1; i < widths.length; i++) {
    const step = Math.abs(widths[i]! - widths[i - 1]!);
    if (step > 0) counts.set(step, (counts.get(step) ?? 0) + 1);
  }
  let best: number | null = null;
  let bestCount = 0;
  for (const [step, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== null && step < best)) {
      best = step;
      bestCount = count;
    }
  }
  return best;
}

/** How the file indents: a tab, or a number of spaces per level (null when it cannot be told). */
export interface FileIndentStyle {
  unit: "\t" | number | null;
}

/** Detect a file's indentation unit from its lines (tabs if most indented lines start with one). */
export function detectFileStyle(lines: readonly string[]): FileIndentStyle {
  let tabs = 0;
  let spaces = 0;
  const widths: number[] = [];
  for (const line of lines) {
    if (isBlank(line)) continue;
    const indent = leadingWhitespace(line);
    if (indent.startsWith("\t")) tabs++;
    else if (indent.startsWith(" ")) {
      spaces++;
      widths.push(indent.length);
    } else widths.push(0);
  }
  if (tabs === 0 && spaces === 0) return { unit: null };
  if (tabs >= spaces) return { unit: "\t" };
  return { unit: commonStep(widths) };
}

/**
 * Re-indent the '+' lines of one matched chunk.
 * `body` is the chunk in order with, for each old line, the file line it matched.
 * Returns the new texts of the '+' lines (same order) and how many changed.
 */
export function reindentAdded(
  body: ReadonlyArray<{ tag: " " | "-" | "+"; text: string; fileText?: string }>,
  fileStyle: FileIndentStyle,
): { texts: string[]; changed: number } {
  const old: Array<{ index: number; pair: IndentPair }> = [];
  body.forEach((line, index) => {
    if (line.tag !== "+" && line.fileText !== undefined && !isBlank(line.text)) {
      old.push({ index, pair: { patch: leadingWhitespace(line.text), file: leadingWhitespace(line.fileText) } });
    }
  });
  const texts: string[] = [];
  let changed = 0;
  if (old.length === 0 || old.every((o) => o.pair.patch === o.pair.file)) {
    for (const line of body) if (line.tag === "+") texts.push(line.text);
    return { texts, changed };
  }
  const patchStep = commonStep(body.filter((l) => !isBlank(l.text)).map((l) => width(leadingWhitespace(l.text))));
  const fileStep = fileStyle.unit === "\t" ? TAB : fileStyle.unit;

  const nearest = (index: number, accept: (pair: IndentPair) => boolean): IndentPair | null => {
    let best: { distance: number; pair: IndentPair } | null = null;
    for (const o of old) {
      if (!accept(o.pair)) continue;
      // Prefer lines above the added line (it usually continues them) on equal distance.
      const distance = o.index < index ? (index - o.index) * 2 : (o.index - index) * 2 + 1;
      if (!best || distance < best.distance) best = { distance, pair: o.pair };
    }
    return best?.pair ?? null;
  };

  /** The file indentation most old lines with this patch indentation have (ties: the nearest line's). */
  const mostCommon = (index: number, patchIndent: string): string | null => {
    const counts = new Map<string, number>();
    for (const o of old) if (o.pair.patch === patchIndent) counts.set(o.pair.file, (counts.get(o.pair.file) ?? 0) + 1);
    if (counts.size === 0) return null;
    const top = Math.max(...counts.values());
    return nearest(index, (pair) => pair.patch === patchIndent && counts.get(pair.file) === top)!.file;
  };

  body.forEach((line, index) => {
    if (line.tag !== "+") return;
    const text = reindentOne(line.text, index);
    if (text !== line.text) changed++;
    texts.push(text);
  });
  return { texts, changed };

  function reindentOne(text: string, index: number): string {
    if (isBlank(text)) return text;
    const indent = leadingWhitespace(text);
    const rest = text.slice(indent.length);
    const same = mostCommon(index, indent);
    if (same !== null) return same + rest;
    const anchor = nearest(index, () => true);
    if (!anchor || !patchStep || !fileStep) return text;
    // Depth relative to the anchor, in the patch's levels; the remainder is alignment.
    const delta = width(indent) - width(anchor.patch);
    const levels = Math.floor(delta / patchStep);
    const align = delta - levels * patchStep;
    const anchorWidth = width(anchor.file);
    const targetWidth = anchorWidth + levels * fileStep;
    if (targetWidth < 0 || align < 0) return text;
    if (levels >= 0) return anchor.file + unit(levels) + " ".repeat(align) + rest;
    // Shallower than the anchor: rebuild from whole levels of the file's unit.
    const depth = Math.floor(targetWidth / fileStep);
    return unit(depth) + " ".repeat(targetWidth - depth * fileStep + align) + rest;
  }

  function unit(levels: number): string {
    return fileStyle.unit === "\t" ? "\t".repeat(levels) : " ".repeat(levels * (fileStep ?? 0));
  }
}
