import { ActionError } from "../ground/errors.js";

/**
 * How apply_patch fails. Two kinds, each telling the model exactly what to
 * fix: a patch that does not parse (400 BAD_REQUEST, with the patch line) and
 * a patch that parses but does not fit the files (409 PATCH_FAILED, naming
 * the file and the chunk, with the lines it looked for and the closest region
 * of the file). Either way nothing in the workspace changed.
 */

const FORMAT_HINT =
  "Format: '*** Begin Patch', then per file '*** Add File: PATH' (+ lines), '*** Delete File: PATH', or '*** Update File: PATH' " +
  "(optional '*** Move to: NEW') followed by chunks that start with '@@' and whose lines start with ' ' (context), '-' (remove) or '+' (add); " +
  "last line '*** End Patch'. A unified diff (--- a/x, +++ b/x, @@ -1,2 +1,2 @@) is accepted too.";

/** For a chunk that did not fit: the model's copy of the file is stale or inexact. */
export const REREAD_HINT =
  "Re-read the file around the lines shown (read_file with start_line/end_line), copy the context and '-' lines exactly, and send the whole patch again.";
const FIX_HINT = "Fix that section (list_files shows what exists) and send the whole patch again.";

/** Cuts a line for display: messages must stay far below the response budget. */
const MAX_LINE_CHARS = 200;
const MAX_SHOWN_LINES = 30;

export function patchSyntaxError(line: number | null, problem: string): ActionError {
  const where = line === null ? "" : `line ${line}: `;
  return new ActionError("BAD_REQUEST", `the patch does not parse: ${where}${problem}. Nothing was changed.`, {
    hint: FORMAT_HINT,
    ...(line === null ? {} : { details: { patch_line: line } }),
  });
}

export function patchFailed(message: string, details?: Record<string, unknown>, hint = FIX_HINT): ActionError {
  const text = message.includes("\n")
    ? `${message}\nNothing was changed: the patch is all-or-nothing.`
    : `${message.replace(/[.:]$/, "")}. Nothing was changed.`;
  return new ActionError("PATCH_FAILED", text, { hint, ...(details ? { details } : {}) });
}

function clip(text: string): string {
  return text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}… (${text.length} chars)` : text;
}

/** The lines a chunk looked for, as a quoted block. */
export function showExpected(lines: readonly string[]): string {
  const shown = lines.slice(0, MAX_SHOWN_LINES).map((l) => `  |${clip(l)}`);
  if (lines.length > MAX_SHOWN_LINES) shown.push(`  … ${lines.length - MAX_SHOWN_LINES} more lines`);
  return shown.join("\n");
}

/** Lines [start, end) of a file with 1-based numbers. */
export function showRegion(lines: readonly string[], start: number, end: number): string {
  const from = Math.max(0, start);
  const to = Math.min(lines.length, end, from + MAX_SHOWN_LINES);
  const width = String(to).length;
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(`  ${String(i + 1).padStart(width)}|${clip(lines[i]!)}`);
  return out.join("\n");
}
