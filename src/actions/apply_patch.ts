import { z } from "zod";
import { LIMITS } from "../ground/limits.js";
import { applyParsed, parsePatchText, type FileSummary } from "../patch/engine.js";
import { defineAction } from "./define.js";

const PATCH_DESCRIPTION = `The patch, in this format:
*** Begin Patch
*** Add File: dir/new.txt
+first line
*** Update File: src/app.py
*** Move to: src/main.py   (optional rename)
@@ def handler():   (optional: a line just above the change)
 context line, copied exactly
-line to remove
+line to add
*** Delete File: old.txt
*** End Patch
Paths are relative to the workspace. Give about 3 context lines around each change; chunks in file order. A chunk of only '+' lines appends at the end of the file. A file keeps its final newline (or lack of one) unless a '\\ No newline at end of file' line follows its new last line. A unified diff (--- a/f, +++ b/f, @@) also works.`;

/** Requests are bounded (LIMITS.inputStringChars); a bigger change goes in several patches. */
const MAX_PATCH = LIMITS.inputStringChars;

const FileResult = z.object({
  path: z.string().describe("File the section named, relative to the workspace."),
  op: z.enum(["add", "update", "delete", "move"]),
  moved_to: z.string().optional().describe("New path of a moved file."),
  added_lines: z.number().int().nonnegative(),
  removed_lines: z.number().int().nonnegative(),
  sha256: z.string().optional().describe("SHA-256 of the file after the patch (absent for deleted files)."),
  fuzz: z
    .enum(["exact", "whitespace", "unicode"])
    .describe(
      "How loosely this file's chunks matched: exact; whitespace (indentation or trailing spaces differed: added lines were written in the file's own indentation); unicode (typographic quotes/dashes also folded). Check non-exact files with read_file.",
    ),
  reindented_lines: z.number().int().min(1).optional().describe("Added lines whose indentation was changed to the file's style (tabs stay tabs)."),
  final_newline: z
    .enum(["added", "removed"])
    .optional()
    .describe("Set when the patch added or removed the newline at the end of the file's last line (kept otherwise)."),
});

export default defineAction({
  name: "apply_patch",
  summary:
    "Add, update, delete or move files with one patch ('*** Begin Patch' or unified diff). All or nothing: if a chunk does not fit, nothing changes and the error shows the closest lines. Per file, fuzz says how loosely it matched. A re-sent patch answers 409 'already applied'.",
  readOnly: false,
  consequential: true,
  destructive: true,
  input: z.object({
    patch: z.string().min(1).max(MAX_PATCH).describe(PATCH_DESCRIPTION),
    dry_run: z
      .boolean()
      .default(false)
      .describe("true: check that the whole patch applies and return the same summary, without writing anything."),
  }),
  output: z.object({
    dry_run: z.boolean(),
    files: z.array(FileResult).describe("One entry per file section of the patch, in patch order."),
    truncated: z.boolean().optional().describe("true when the list was cut to fit the response; all files were still patched."),
    files_total: z.number().int().nonnegative().optional(),
  }),
  example: {
    patch: "*** Begin Patch\n*** Add File: smoke-patch.txt\n+written by apply_patch\n*** End Patch\n",
    dry_run: false,
  },
  // Digits grouped by hand, not with toLocaleString: that pages ICU's locale data into every server at load time.
  tooLongHint: `Split the change into several apply_patch calls of at most ${String(MAX_PATCH).replace(/\B(?=(\d{3})+$)/g, ",")} characters each (one file or a few chunks per patch); a new long file is written with write_file (mode "append" for its later parts).`,
  checkpoint: { summary: (input) => (input.dry_run ? null : patchSummary(input.patch)), lock: "action" },
  handler: async (input, ctx) => {
    const parsed = parsePatchText(input.patch);
    // Named before applying, so a refused patch is still logged with what it aimed at.
    ctx.audit.paths = parsed.ops.flatMap((op) => (op.kind === "update" && op.moveTo ? [op.path, op.moveTo] : [op.path]));
    ctx.audit.detail = { format: parsed.format, dry_run: input.dry_run, sections: parsed.ops.length };
    const result = applyParsed(parsed, { root: ctx.workspace().root, resolve: (p) => ctx.resolveWritePath(p), dryRun: input.dry_run, signal: ctx.signal });
    ctx.audit.paths = result.files.flatMap((f) => (f.moved_to ? [f.path, f.moved_to] : [f.path]));
    ctx.audit.detail = {
      ...ctx.audit.detail,
      files_written: result.written,
      added_lines: result.totals.added,
      removed_lines: result.totals.removed,
      changes: describeChanges(result.files),
    };
    return { dry_run: input.dry_run, ...fitFiles(result.files) };
  },
});

/** "update a.ts +3 -1; move b.ts→c.ts +0 -0" — paths and counts only, never contents. */
function describeChanges(files: readonly FileSummary[]): string {
  const text = files
    .map((f) => `${f.op} ${f.path}${f.moved_to ? `→${f.moved_to}` : ""} +${f.added_lines} -${f.removed_lines}${f.fuzz === "exact" ? "" : ` (${f.fuzz})`}${f.final_newline ? ` (final newline ${f.final_newline})` : ""}`)
    .join("; ");
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/** Keep the answer under the response budget even for a patch touching thousands of files. */
function fitFiles(files: FileSummary[]): { files: FileSummary[]; truncated?: boolean; files_total?: number } {
  let size = 0;
  for (let i = 0; i < files.length; i++) {
    size += JSON.stringify(files[i]).length + 1;
    if (size > LIMITS.payloadChars) return { files: files.slice(0, i), truncated: true, files_total: files.length };
  }
  return { files };
}

/** "patch: update a.ts, add b.ts" from the section headers, without parsing the whole patch. */
function patchSummary(patch: string): string {
  const parts: string[] = [];
  for (const m of patch.matchAll(/^\*\*\* (Add|Update|Delete) File: (.+)$|^\+\+\+ (?:b\/)?(.+)$/gm)) {
    parts.push(m[1] ? `${m[1].toLowerCase()} ${m[2]!.trim()}` : `update ${m[3]!.trim()}`);
    if (parts.length >= 20) break;
  }
  return `patch: ${parts.join(", ") || "(no file sections)"}`;
}
