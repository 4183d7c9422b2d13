import { z } from "zod";
import { LIMITS } from "../ground/limits.js";
import { jsonCost } from "../files/budget.js";
import { parsePorcelainV2, type StatusEntry } from "../files/gitStatusParse.js";
import { gitInvocation, runGit } from "../git/run.js";
import { relative, sep } from "node:path";
import { defineAction } from "./define.js";

export default defineAction({
  name: "git_status",
  summary:
    "Show the git branch, commits ahead/behind its upstream, and changed, staged and untracked files of the active workspace (read-only). 400 NOT_A_GIT_REPO when the workspace is not in a git repository.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({
    branch: z.string().nullable().describe("Current branch; null when HEAD is detached."),
    ahead: z.number().int().nonnegative().describe("Commits on this branch not on its upstream (0 without upstream)."),
    behind: z.number().int().nonnegative().describe("Commits on the upstream not on this branch."),
    upstream: z.string().nullable().describe("Upstream branch, e.g. origin/main; null when none is set."),
    files: z
      .array(
        z.object({
          path: z.string().describe("Relative to the workspace root; an untracked folder ends with /."),
          status: z.string().describe('Two letters as in `git status --short`: staged then unstaged; "M " staged change, " M" unstaged, "A " added, " D" deleted, "R " renamed, "??" untracked, "UU" conflict.'),
          orig_path: z.string().optional().describe("Former path of a renamed or copied file."),
        }),
      )
      .describe("Changed files inside the workspace, in git's order."),
    truncated: z.boolean().describe("True when the list was cut to fit the answer; use git_diff with a path, or exec_command `git status`, for the rest."),
    total_files: z.number().int().nonnegative(),
  }),
  // No example: success needs a git repository; the smoke client's sandbox provides one.
  handler: async (_input, ctx) => {
    const root = ctx.workspace().root;
    const options = { timeoutMs: 20_000, signal: ctx.signal };
    const invocation = await gitInvocation(root);
    const status = await runGit(
      ["status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal", "--ignore-submodules=dirty", "--", "."],
      root,
      { ...options, invocation },
    );
    // The workspace may be a folder inside the repository: git's paths are relative to the work tree.
    const prefix = relative(invocation.repo.workTree, root).split(sep).join("/");
    const parsed = parsePorcelainV2(status.stdout, prefix === "" ? "" : `${prefix}/`);
    const files: StatusEntry[] = [];
    let cost = 0;
    for (const file of parsed.files) {
      cost += jsonCost(file);
      if (cost > LIMITS.payloadChars) break;
      files.push(file);
    }
    return {
      branch: parsed.branch,
      ahead: parsed.ahead,
      behind: parsed.behind,
      upstream: parsed.upstream,
      files,
      truncated: files.length < parsed.files.length,
      total_files: parsed.files.length,
    };
  },
});
