import { isCodexPatch, parseCodexPatch } from "./codexParser.js";
import { patchSyntaxError } from "./errors.js";
import type { ParsedPatch } from "./types.js";
import { looksLikeUnifiedDiff, parseUnifiedDiff } from "./unifiedParser.js";

/** Heredoc opener as pasted from a shell call: `<<'EOF'`, `<<"EOF"`, `<<EOF`, optionally after `apply_patch`. */
const HEREDOC_OPEN = /^(?:apply_patch\s+)?<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1$/;
const FENCE_OPEN = /^```[A-Za-z0-9_-]*$/;

/**
 * Parse patch text in either format. Before parsing, drop what commonly
 * wraps a patch in a model's output without being part of it: CRLF line
 * ends, blank lines around it, a shell heredoc (`<<'EOF'` … `EOF`, which the
 * Codex tool also accepts) and a Markdown code fence.
 */
export function parsePatchText(patch: string): ParsedPatch {
  const all = patch.replace(/\r\n/g, "\n").split("\n");
  let first = 0;
  let last = all.length - 1;
  const trimBlank = () => {
    while (first <= last && all[first]!.trim() === "") first++;
    while (last >= first && all[last]!.trim() === "") last--;
  };
  trimBlank();
  if (first > last) throw patchSyntaxError(null, "the patch is empty");
  for (let round = 0; round < 2; round++) {
    const open = all[first]!.trim();
    const close = all[last]!.trim();
    const heredoc = HEREDOC_OPEN.exec(open);
    const wrapped = (heredoc && close === heredoc[2]) || (FENCE_OPEN.test(open) && close === "```" && last > first);
    if (!wrapped) break;
    first++;
    last--;
    trimBlank();
    if (first > last) throw patchSyntaxError(null, "the patch is empty");
  }
  const lines = all.slice(first, last + 1);
  const firstLine = first + 1;
  if (isCodexPatch(lines)) return { format: "codex", ops: parseCodexPatch(lines, firstLine) };
  if (looksLikeUnifiedDiff(lines)) return { format: "unified", ops: parseUnifiedDiff(lines, firstLine) };
  throw patchSyntaxError(firstLine, `expected '*** Begin Patch' (or a unified diff starting with '--- a/PATH'), got '${lines[0]!.slice(0, 120)}'`);
}
