import { z } from "zod";
import { clamp } from "../ground/limits.js";
import { nextCall, unlessDefault } from "../ground/nextCall.js";
import { decodeCursor, encodeCursor, queryKey } from "../files/cursor.js";
import { forbiddenInside } from "../files/forbidden.js";
import { collectDiff, type MoreOf } from "../git/diffFiles.js";
import { DEFAULT_CHARS, NextCallField, maxCharsInput } from "./answerBudget.js";
import { defineAction } from "./define.js";

const MAX_CONTEXT = 100;
const DEFAULT_CONTEXT = 3;

const FileEntry = z.object({
  path: z.string().describe("Relative to the workspace root."),
  status: z.string().describe("modified, added, deleted, renamed, copied, type_changed or unmerged; untracked files are added."),
  added: z.number().int().min(0).describe("Lines added."),
  removed: z.number().int().min(0).describe("Lines removed."),
  truncated: z.boolean().describe("True when this file's diff is not shown whole: its marker in diff names the call that shows the rest."),
  orig_path: z.string().optional().describe("Former path of a renamed or copied file."),
  binary: z.boolean().optional(),
  untracked: z.boolean().optional().describe("A new file git does not track yet (shown as added)."),
});

export default defineAction({
  name: "git_diff",
  summary:
    "Show the git diff of the workspace (unstaged changes plus untracked files as added; staged:true for staged ones), optionally for one path. Lists every changed file with counts; each file's diff is capped on its own, and a cut names the call that shows the rest (next_call).",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({
    path: z.string().nullish().describe("File or folder to diff, relative to the workspace root (default: the whole workspace)."),
    staged: z.boolean().default(false).describe("Diff the staged changes (index vs HEAD) instead of the working tree vs the index."),
    context_lines: z.number().int().min(0).default(DEFAULT_CONTEXT).describe(`Unchanged lines around each change, 0 or more; at most ${MAX_CONTEXT} (larger values are reduced).`),
    include_untracked: z.boolean().default(true).describe("Show files git does not track yet as added files (not with staged)."),
    max_chars: maxCharsInput("file list and diff"),
    cursor: z.string().nullish().describe("next_cursor of the previous answer: the rest of one file's diff that did not fit (same other arguments)."),
  }),
  output: z.object({
    diff: z.string().describe("Unified diff; empty when nothing changed. A file cut short ends with a [… diff of PATH cut here …] line naming the call for the rest."),
    truncated: z.boolean().describe("True when any file's diff or the file list was cut: next_call shows more."),
    files: z.array(FileEntry).describe("Every changed file (up to the answer's room), in diff order, untracked ones last."),
    files_total: z.number().int().min(0).describe("Changed files in all (more than files lists when the list was cut)."),
    next_cursor: z.string().optional().describe("Set when the one file shown was cut: pass it as cursor (same other arguments) for the rest."),
    next_call: NextCallField,
  }),
  // No example: success needs a git repository; the smoke client's sandbox provides one.
  handler: async (input, ctx) => {
    const root = ctx.workspace().root;
    const target = ctx.resolvePath(input.path ?? ".");
    ctx.audit.paths = [target.relative];
    const context = clamp(input.context_lines, 0, MAX_CONTEXT);
    // A cursor continues one file's diff, so it is tied to that file's path (the call that uses it names the file).
    const keyFor = (path: string) => queryKey({ path, staged: input.staged, ctx: context, untracked: input.include_untracked });
    const cursorOf = (path: string, skipLines: number) => encodeCursor("git_diff", keyFor(path), skipLines);
    // The same arguments the model chose, with the way on for one file.
    const callFor = (more: MoreOf): string => {
      if (more.kind === "read") return nextCall("read_file", { path: more.path, start_line: more.startLine, max_chars: unlessDefault(input.max_chars, DEFAULT_CHARS) });
      return nextCall("git_diff", {
        path: more.path,
        staged: unlessDefault(input.staged, false),
        context_lines: unlessDefault(context, DEFAULT_CONTEXT),
        include_untracked: unlessDefault(input.include_untracked, true),
        max_chars: unlessDefault(input.max_chars, DEFAULT_CHARS),
        cursor: more.kind === "rest" ? cursorOf(more.path, more.skipLines) : undefined,
      });
    };
    const answer = await collectDiff({
      root,
      pathspec: target.relative,
      staged: input.staged,
      context,
      includeUntracked: input.include_untracked,
      home: ctx.store.home,
      forbidden: forbiddenInside(root, [ctx.store.home]),
      deadline: ctx.deadline,
      signal: ctx.signal,
      budget: input.max_chars,
      ...(input.cursor ? { skipLines: decodeCursor("git_diff", keyFor(target.relative), input.cursor, z.number().int().min(1)) } : {}),
      callFor,
    });
    ctx.audit.detail = { files: answer.files_total, truncated: answer.truncated };
    const { more, ...shown } = answer;
    return {
      ...shown,
      ...(more?.kind === "rest" ? { next_cursor: cursorOf(more.path, more.skipLines) } : {}),
      ...(more ? { next_call: callFor(more) } : {}),
    };
  },
});
