import { z } from "zod";
import { ActionError } from "../ground/errors.js";
import { clamp } from "../ground/limits.js";
import { nextCall, unlessDefault } from "../ground/nextCall.js";
import { decodeCursor, encodeCursor, queryKey } from "../files/cursor.js";
import { forbiddenInside } from "../files/forbidden.js";
import { partsBelow } from "../files/openInside.js";
import { statInside } from "../files/statPath.js";
import { BuiltinSearchWorkers } from "../search/builtin.js";
import { locateRipgrep } from "../search/locateRipgrep.js";
import { runRipgrep } from "../search/ripgrep.js";
import { verifyPage } from "../search/verify.js";
import type { SearchRequest } from "../search/types.js";
import { DEFAULT_CHARS, NextCallField, maxCharsInput } from "./answerBudget.js";
import { defineAction } from "./define.js";

const MAX_LIMIT = 1000;
/** A query is one line of text to find; longer ones are refused (400) by the shared request check. */
const MAX_QUERY = 10_000;
const DEFAULT_LIMIT = 200;
const MAX_CONTEXT = 10;
/** Stop searching this long before the answer deadline and hand out a cursor. */
const SEARCH_MARGIN_MS = 8000;
/** A runaway regex in the built-in engine is cut off this long before the deadline. */
const HARD_MARGIN_MS = 2000;

const Match = z.object({
  path: z.string().describe("File relative to the workspace root."),
  line: z.number().int().min(1).describe("1-based line number."),
  column: z.number().int().min(1).describe("1-based column (in characters) of the first match on the line."),
  text: z.string().describe("The line without its line break; very long lines are cut to a window around the match, marked with …"),
  before: z.array(z.string()).optional().describe("Up to context_lines lines before the match."),
  after: z.array(z.string()).optional().describe("Up to context_lines lines after the match."),
});

const Output = z.object({
  matches: z.array(Match).describe("One entry per matching line, ordered by path (tree order) then line."),
  truncated: z.boolean().describe("True when more matches exist: call again with the same arguments and cursor = next_cursor."),
  next_cursor: z.string().optional(),
  engine: z.enum(["ripgrep", "builtin"]).describe("ripgrep when installed (Rust regex syntax), else the built-in engine (JavaScript regex syntax)."),
  note: z.string().optional().describe("Why the page stopped early, when it did."),
  next_call: NextCallField,
});

const CursorPosition = z.object({ path: z.string().min(1), line: z.number().int().nonnegative() });

export default defineAction({
  name: "search_text",
  summary:
    "Search file contents in the workspace, line by line (literal text by default, regex optional; case-insensitive by default). Honours .gitignore, skips hidden and binary files. Results ordered by path then line; page with cursor when truncated.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({
    query: z.string().min(1).max(MAX_QUERY).describe("Text to find on a line (no line breaks). Literal unless regex is true."),
    regex: z
      .boolean()
      .default(false)
      .describe(
        "Treat query as a regular expression. Syntax is ripgrep's (Rust) when engine is ripgrep, JavaScript's otherwise; the common subset (. * + ? | () [] {n,m} ^ $ \\b \\d \\s \\w) works in both, but \\w \\d \\b cover non-ASCII letters and digits only with ripgrep. An invalid regex is answered with 400 and the reason.",
      ),
    case_sensitive: z.boolean().default(false).describe("Match upper/lower case exactly (default: ignore case)."),
    path: z.string().default(".").describe("File or folder to search, relative to the workspace root (default: everything)."),
    glob: z
      .string()
      .nullish()
      .describe(
        "Only files whose workspace-relative path matches, gitignore style: `*.py` at any depth, `src/**/*.ts` anchored at the root, `!*.min.js` to exclude. Filters only: ignored and hidden files stay out.",
      ),
    context_lines: z.number().int().min(0).default(0).describe(`Lines of context before and after each match, 0 or more; at most ${MAX_CONTEXT} are given (larger values are reduced).`),
    limit: z.number().int().min(1).default(DEFAULT_LIMIT).describe(`Matching lines per page, 1 or more; at most ${MAX_LIMIT} (larger values are reduced); pages are also cut to fit the response size.`),
    cursor: z.string().nullish().describe("next_cursor of the previous page, to continue the same search."),
    max_chars: maxCharsInput("matches"),
  }),
  output: Output,
  example: { query: "TODO" },
  handler: async (input, ctx) => {
    if (/[\r\n]/.test(input.query)) {
      throw new ActionError("BAD_REQUEST", "query must be on one line: the search matches line by line", {
        hint: "Search for one line of the text, then read_file around the match.",
      });
    }
    const workspace = ctx.workspace();
    const target = ctx.resolvePath(input.path);
    ctx.audit.paths = [target.relative];
    const stat = statInside(target);
    if (!stat.isFile() && !stat.isDirectory()) throw new ActionError("BAD_REQUEST", `"${target.relative}" is not a regular file or folder`);

    const contextLines = clamp(input.context_lines, 0, MAX_CONTEXT);
    const glob = input.glob ? input.glob : null;
    const key = queryKey({ q: input.query, re: input.regex, cs: input.case_sensitive, path: target.relative, glob, ctx: contextLines });
    const request: SearchRequest = {
      root: workspace.root,
      start: target.relative,
      startParts: partsBelow(workspace.root, target),
      startIsFile: stat.isFile(),
      pattern: input.query,
      regex: input.regex,
      caseSensitive: input.case_sensitive,
      glob,
      contextLines,
      limit: clamp(input.limit, 1, MAX_LIMIT),
      after: input.cursor ? decodeCursor("search_text", key, input.cursor, CursorPosition) : null,
      forbidden: forbiddenInside(workspace.root, [ctx.store.home]),
      softDeadline: ctx.deadline - SEARCH_MARGIN_MS,
    };
    const rg = locateRipgrep();
    const budget = input.max_chars;
    const found = rg
      ? await runRipgrep(rg, request, budget)
      : await ctx.resources.get("search.builtin-workers", () => new BuiltinSearchWorkers()).run(request, budget, ctx.deadline - HARD_MARGIN_MS);
    // Every line answered is re-read through confined folder handles first (see search/verify.ts).
    const { page, dropped } = verifyPage(found, request, ctx.store.home);
    ctx.audit.detail = { engine: rg ? "ripgrep" : "builtin", matches: page.matches.length, ...(dropped > 0 ? { dropped } : {}) };
    const next = page.truncated && page.next ? encodeCursor("search_text", key, page.next) : undefined;
    return {
      matches: page.matches,
      truncated: page.truncated,
      ...(next !== undefined ? { next_cursor: next, next_call: repeatWith(input, target.relative, next) } : {}),
      engine: rg ? ("ripgrep" as const) : ("builtin" as const),
      ...(page.stoppedForTime
        ? { note: "The search stopped at the time limit before covering every file; continue with next_cursor, or narrow path or glob." }
        : dropped > 0
          ? { note: `${dropped} match(es) were left out because their file changed (or was moved) during the search; search again.` }
          : {}),
    };
  },
});

type Input = { query: string; regex: boolean; case_sensitive: boolean; glob?: string | null; context_lines: number; limit: number; max_chars: number };

/** The same search from the cursor on: every argument the cursor is tied to, plus the page size the model chose. */
function repeatWith(input: Input, path: string, cursor: string): string {
  return nextCall("search_text", {
    query: input.query,
    regex: unlessDefault(input.regex, false),
    case_sensitive: unlessDefault(input.case_sensitive, false),
    path: unlessDefault(path, "."),
    glob: input.glob ? input.glob : undefined,
    context_lines: unlessDefault(input.context_lines, 0),
    limit: unlessDefault(input.limit, DEFAULT_LIMIT),
    max_chars: unlessDefault(input.max_chars, DEFAULT_CHARS),
    cursor,
  });
}
