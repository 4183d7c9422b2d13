import { z } from "zod";
import { LIMITS, clamp } from "../core/limits.js";
import { jsonCost, jsonStringCost } from "../files/budget.js";
import { runGitCapped } from "../files/gitCapped.js";
import { defineAction } from "./define.js";

const MAX_CONTEXT = 100;
/** Room for the diff itself; the rest of the budget holds the file list of a cut diff. */
const DIFF_BUDGET = LIMITS.payloadChars - 10_000;
const FILES_BUDGET = 8_000;

/**
 * Read-only and literal: pathspecs are never globs or magic, and no external
 * diff driver or textconv filter runs (a repository's config could name any
 * program there; runGit already turns the fsmonitor hook off).
 */
const SAFE = ["--literal-pathspecs"];

export default defineAction({
  name: "git_diff",
  summary:
    "Show the git diff of the workspace (unstaged changes; staged ones with staged:true), optionally for one file or folder. Paths in the diff are relative to the workspace. A diff too big for one answer is cut: then ask per path.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({
    path: z.string().nullish().describe("File or folder to diff, relative to the workspace root (default: the whole workspace)."),
    staged: z.boolean().default(false).describe("Diff the staged changes (index vs HEAD) instead of the working tree vs the index."),
    context_lines: z.number().int().min(0).default(3).describe(`Unchanged lines around each change, 0 or more; at most ${MAX_CONTEXT} (larger values are reduced).`),
  }),
  output: z.object({
    diff: z.string().describe("Unified diff; empty when nothing changed."),
    truncated: z.boolean().describe("True when the diff was cut: `files` lists what changed, diff them one path at a time."),
    files: z.array(z.string()).optional().describe("With a cut diff: the changed files, to request one by one."),
  }),
  // No example: success needs a git repository; the smoke client's sandbox provides one.
  handler: async (input, ctx) => {
    const root = ctx.workspace().root;
    const target = ctx.resolvePath(input.path ?? ".");
    ctx.audit.paths = [target.relative];
    const context = clamp(input.context_lines, 0, MAX_CONTEXT);
    const common = ["--no-color", "--no-ext-diff", "--no-textconv", "--relative", ...(input.staged ? ["--cached"] : [])];
    // Two git runs at most, both inside the answer deadline together.
    const options = () => ({ timeoutMs: Math.max(1_000, Math.min(20_000, ctx.deadline - Date.now() - 2_000)), signal: ctx.signal });
    const output = await runGitCapped([...SAFE, "diff", ...common, `--unified=${context}`, "--", target.relative], root, DIFF_BUDGET * 4, options());
    const diff = cutToBudget(output.stdout, DIFF_BUDGET);
    const truncated = output.cut || diff.length < output.stdout.length;
    if (!truncated) return { diff, truncated };
    const names = await runGitCapped([...SAFE, "diff", ...common, "--name-only", "-z", "--", target.relative], root, FILES_BUDGET * 4, options());
    const files: string[] = [];
    let cost = 0;
    for (const name of names.stdout.split("\0")) {
      if (name === "") continue;
      cost += jsonCost(name);
      if (cost > FILES_BUDGET) break;
      files.push(name);
    }
    return { diff, truncated, files };
  },
});

/** Whole lines of `text` whose JSON form fits `budget` characters. */
function cutToBudget(text: string, budget: number): string {
  if (jsonStringCost(text) <= budget) return text;
  let used = 0;
  let end = 0;
  for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", end)) {
    const cost = jsonStringCost(text.slice(end, nl + 1));
    if (used + cost > budget) break;
    used += cost;
    end = nl + 1;
  }
  return text.slice(0, end);
}
