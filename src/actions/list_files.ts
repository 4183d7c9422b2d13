import { lstatSync } from "node:fs";
import { z } from "zod";
import { clamp } from "../ground/limits.js";
import { nextCall, unlessDefault } from "../ground/nextCall.js";
import { jsonCost, makeYielder } from "../files/budget.js";
import { decodeCursor, encodeCursor, queryKey } from "../files/cursor.js";
import { forbiddenInside } from "../files/forbidden.js";
import { compileGlob } from "../files/globFilter.js";
import { ancestorLevels } from "../files/ignoreRules.js";
import { partsBelow } from "../files/openInside.js";
import { isSymlink, statInside } from "../files/statPath.js";
import { TreeWalker, type EntryKind } from "../files/walker.js";
import { DEFAULT_CHARS, NextCallField, maxCharsInput } from "./answerBudget.js";
import { defineAction } from "./define.js";

const MAX_LIMIT = 2000;
const DEFAULT_LIMIT = 500;
/** Stop walking this long before the answer deadline and hand out a cursor instead. */
const WALK_MARGIN_MS = 8000;

const Entry = z.object({
  path: z.string().describe("Relative to the workspace root, `/`-separated."),
  type: z.enum(["file", "dir", "symlink"]).describe("Symlinks are reported as such and never followed."),
  size: z.number().int().nonnegative().nullable().describe("Bytes; null for folders."),
});

const Output = z.object({
  path: z.string().describe("The listed folder, relative to the workspace root."),
  entries: z.array(Entry),
  truncated: z.boolean().describe("True when more entries exist: call again with cursor = next_cursor."),
  next_cursor: z.string().optional(),
  next_call: NextCallField,
});

type Item = z.infer<typeof Entry>;

export default defineAction({
  name: "list_files",
  summary:
    "List files and folders of the workspace (recursive by default), in a stable tree order. Honours .gitignore; skips .git, node_modules and similar folders; hides dotfiles unless include_hidden. Page with cursor when truncated.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({
    path: z.string().default(".").describe("Folder to list, relative to the workspace root (default: the root). A file path lists just that file."),
    recursive: z.boolean().default(true).describe("false lists only the folder's direct entries."),
    glob: z
      .string()
      .nullish()
      .describe(
        "Only entries whose workspace-relative path matches, gitignore style: `*.ts` matches at any depth, `src/**/*.test.ts` is anchored at the root, a leading `!` excludes instead. Filters only: ignored and hidden entries stay hidden.",
      ),
    include_hidden: z.boolean().default(false).describe("Also list names starting with a dot (.gitignore, .github, ...)."),
    limit: z.number().int().min(1).default(DEFAULT_LIMIT).describe(`Entries per page, 1 or more; at most ${MAX_LIMIT} are returned (larger values are reduced). Pages are also cut to fit the response size.`),
    cursor: z.string().nullish().describe("next_cursor of the previous page, to continue the same listing."),
    max_chars: maxCharsInput("entries"),
  }),
  output: Output,
  example: {},
  handler: async (input, ctx) => {
    const workspace = ctx.workspace();
    const target = ctx.resolvePath(input.path);
    ctx.audit.paths = [target.relative];
    const stat = statInside(target);
    if (!stat.isDirectory()) {
      const type: EntryKind = isSymlink(target.lexical) ? "symlink" : "file";
      const size = type === "symlink" ? sizeOf(target.lexical) : stat.size;
      return { path: target.relative, entries: [{ path: target.relative, type, size }], truncated: false };
    }

    const limit = clamp(input.limit, 1, MAX_LIMIT);
    const glob = input.glob ? input.glob : null;
    const key = queryKey({ path: target.relative, recursive: input.recursive, glob, hidden: input.include_hidden });
    const after = input.cursor ? decodeCursor("list_files", key, input.cursor, z.string().min(1)) : null;
    const walker = new TreeWalker({
      root: workspace.root,
      start: target.relative,
      startParts: partsBelow(workspace.root, target),
      recursive: input.recursive,
      includeHidden: input.include_hidden,
      glob: glob ? compileGlob(glob) : null,
      forbidden: forbiddenInside(workspace.root, [ctx.store.home]),
      ancestors: ancestorLevels(workspace.root, target.relative),
      resume: after ? { path: after, inclusive: true } : null,
    });

    const entries: Item[] = [];
    let cost = 0;
    let truncated = false;
    let resumeAfter: string | null = null;
    const yielder = makeYielder();
    const stopAt = ctx.deadline - WALK_MARGIN_MS;
    try {
      for (;;) {
        if (Date.now() > stopAt || ctx.signal.aborted) {
          truncated = true;
          resumeAfter = walker.lastVisited ?? entries.at(-1)?.path ?? after;
          break;
        }
        const entry = walker.next();
        if (!entry) break;
        const item: Item = { path: entry.rel, type: entry.kind, size: entry.kind === "dir" ? null : sizeOf(entry.abs) };
        const itemCost = jsonCost(item);
        if (entries.length >= limit || cost + itemCost > input.max_chars) {
          truncated = true;
          resumeAfter = entries.at(-1)?.path ?? after;
          break;
        }
        entries.push(item);
        cost += itemCost;
        const pause = yielder.tick();
        if (pause) await pause;
      }
    } finally {
      walker.close();
    }
    const next = truncated && resumeAfter !== null ? encodeCursor("list_files", key, resumeAfter) : undefined;
    return {
      path: target.relative,
      entries,
      truncated,
      ...(next !== undefined
        ? {
            next_cursor: next,
            next_call: nextCall("list_files", {
              path: unlessDefault(target.relative, "."),
              recursive: unlessDefault(input.recursive, true),
              glob: glob ?? undefined,
              include_hidden: unlessDefault(input.include_hidden, false),
              limit: unlessDefault(input.limit, DEFAULT_LIMIT),
              max_chars: unlessDefault(input.max_chars, DEFAULT_CHARS),
              cursor: next,
            }),
          }
        : {}),
    };
  },
});

function sizeOf(abs: string): number | null {
  try {
    return lstatSync(abs).size;
  } catch {
    return null;
  }
}
