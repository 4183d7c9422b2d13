import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { ActionError } from "../core/errors.js";

export interface GitResult {
  stdout: string;
  stderr: string;
}

/**
 * Run git with an argument list (never a shell) in `cwd`. Prompts and pagers are
 * off so it can never wait for a person. Rejects with NOT_A_GIT_REPO outside a
 * repository, and with INTERNAL for other failures.
 */
export function runGit(
  args: string[],
  cwd: string,
  options: { timeoutMs?: number; maxBytes?: number; signal?: AbortSignal } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      [...GIT_BASE_ARGS, ...args],
      {
        cwd,
        encoding: "utf8",
        timeout: options.timeoutMs ?? 20_000,
        maxBuffer: options.maxBytes ?? 64 * 1024 * 1024,
        signal: options.signal,
        env: gitChildEnvironment(),
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        if (/not a git repository/i.test(stderr)) {
          return reject(new ActionError("NOT_A_GIT_REPO", "the active workspace is not inside a git repository"));
        }
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
          return reject(new ActionError("INTERNAL", "git is not installed on this computer", { hint: "Install git and try again." }));
        }
        reject(new ActionError("INTERNAL", `git ${args[0] ?? ""} failed: ${stderr.trim().split("\n")[0] ?? error.message}`));
      },
    );
  });
}

/**
 * Options for every git we run: no pager, plain paths, no colour, and no
 * fsmonitor hook — a repository's config (which write_file can change) could
 * name any program there, and read-only actions must not start it.
 */
export const GIT_BASE_ARGS: readonly string[] = ["--no-pager", "-c", "core.quotepath=off", "-c", "color.ui=false", "-c", "core.fsmonitor=false"];

/** Environment for git: ours removed, never a prompt, no optional index locks. */
export function gitChildEnvironment(): NodeJS.ProcessEnv {
  return { ...gitEnvironment(), GIT_TERMINAL_PROMPT: "0", GIT_OPTIONAL_LOCKS: "0" };
}

/** The user's environment without our own variables (the token must never reach a child). */
export function gitEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("CHATGPT_CODEX")) env[key] = value;
  }
  return env;
}

export interface GitSummary {
  branch: string | null;
  dirty_files: number;
}

/** Branch and count of changed files, or null when the folder is not in a git repository. */
export async function gitSummary(cwd: string): Promise<GitSummary | null> {
  try {
    const { stdout } = await runGit(["status", "--porcelain=v1", "--branch", "--untracked-files=normal"], cwd, {
      timeoutMs: 10_000,
    });
    const lines = stdout.split("\n").filter((line) => line.length > 0);
    const head = lines[0]?.startsWith("## ") ? lines.shift()!.slice(3) : "";
    return { branch: parseBranch(head), dirty_files: lines.length };
  } catch (error) {
    if (error instanceof ActionError && error.code === "NOT_A_GIT_REPO") return null;
    throw error;
  }
}

/** `## main...origin/main [ahead 1]` → `main`; `## No commits yet on main` → `main`; detached → null. */
export function parseBranch(head: string): string | null {
  if (head.startsWith("No commits yet on ")) return head.slice("No commits yet on ".length).trim();
  if (head.startsWith("HEAD (no branch)")) return null;
  const name = head.split("...")[0]!.split(" ")[0]!.trim();
  return name.length > 0 ? name : null;
}

/** Whether `dir` or a parent holds `.git` (a folder or a worktree file), without spawning git. */
export function insideGitRepo(dir: string): boolean {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, ".git"))) return true;
    if (dirname(current) === current) return false;
  }
}

const SUMMARY_TTL_MS = 2_000;
const summaryCache = new Map<string, { at: number; value: Promise<GitSummary | null> }>();

/**
 * gitSummary for status answers, shared for two seconds per folder: a model
 * polling workspace_status must not fork git on every call. Actions that can
 * change files clear it (see runAction), so the model sees its own changes at
 * once; changes made by hand show within two seconds.
 */
export function gitSummaryCached(cwd: string): Promise<GitSummary | null> {
  const now = Date.now();
  const hit = summaryCache.get(cwd);
  if (hit && now - hit.at < SUMMARY_TTL_MS) return hit.value;
  const value = insideGitRepo(cwd) ? gitSummary(cwd) : Promise.resolve(null);
  summaryCache.set(cwd, { at: now, value });
  value.catch(() => summaryCache.delete(cwd));
  return value;
}

/** Forget cached summaries: called after any action that may change files. */
export function forgetGitSummaries(): void {
  summaryCache.clear();
}
