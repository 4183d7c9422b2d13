import { z } from "zod";
import { clamp } from "../core/limits.js";
import { forbiddenInside } from "../files/forbidden.js";
import { collectDiff } from "../git/diffFiles.js";
import { defineAction } from "./define.js";

const MAX_CONTEXT = 100;

const FileEntry = z.object({
  path: z.string().describe("Relative to the workspace root."),
  status: z.string().describe("modified, added, deleted, renamed, copied, type_changed or unmerged; untracked files are added."),
  added: z.number().int().min(0).describe("Lines added."),
  removed: z.number().int().min(0).describe("Lines removed."),
  truncated: z.boolean().describe("True when this file's diff is not shown whole: ask git_diff with this path alone."),
  orig_path: z.string().optional().describe("Former path of a renamed or copied file."),
  binary: z.boolean().optional(),
  untracked: z.boolean().optional().describe("A new file git does not track yet (shown as added)."),
});

export default defineAction({
  name: "git_diff",
  summary:
    "Show the git diff of the workspace (unstaged changes plus untracked files as added; staged:true for staged ones), optionally for one path. Lists every changed file with counts; each file's diff is capped on its own (a marker says so).",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({
    path: z.string().nullish().describe("File or folder to diff, relative to the workspace root (default: the whole workspace)."),
    staged: z.boolean().default(false).describe("Diff the staged changes (index vs HEAD) instead of the working tree vs the index."),
    context_lines: z.number().int().min(0).default(3).describe(`Unchanged lines around each change, 0 or more; at most ${MAX_CONTEXT} (larger values are reduced).`),
    include_untracked: z.boolean().default(true).describe("Show files git does not track yet as added files (not with staged)."),
  }),
  output: z.object({
    diff: z.string().describe("Unified diff; empty when nothing changed. A file cut short ends with a [… diff of PATH cut here …] line."),
    truncated: z.boolean().describe("True when any file's diff or the file list was cut: ask git_diff with one path at a time."),
    files: z.array(FileEntry).describe("Every changed file (up to the answer's room), in diff order, untracked ones last."),
    files_total: z.number().int().min(0).describe("Changed files in all (more than files lists when the list was cut)."),
  }),
  // No example: success needs a git repository; the smoke client's sandbox provides one.
  handler: async (input, ctx) => {
    const root = ctx.workspace().root;
    const target = ctx.resolvePath(input.path ?? ".");
    ctx.audit.paths = [target.relative];
    const answer = await collectDiff({
      root,
      pathspec: target.relative,
      staged: input.staged,
      context: clamp(input.context_lines, 0, MAX_CONTEXT),
      includeUntracked: input.include_untracked,
      home: ctx.store.home,
      forbidden: forbiddenInside(root, [ctx.store.home]),
      deadline: ctx.deadline,
      signal: ctx.signal,
    });
    ctx.audit.detail = { files: answer.files_total, truncated: answer.truncated };
    return answer;
  },
});
