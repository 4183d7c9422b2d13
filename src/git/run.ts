import { execFile } from "node:child_process";
import { ActionError } from "../ground/errors.js";
import { GIT_BASE_ARGS, blankFilters, filterOverrides, gitChildEnvironment } from "./harden.js";
import { findRepository, type Repository } from "./repo.js";

export interface GitResult {
  stdout: string;
  stderr: string;
}

/** How to run git for one folder: the repository found by us, never by git. */
export interface GitInvocation {
  repo: Repository;
  /** --git-dir/--work-tree, after GIT_BASE_ARGS. */
  prefix: string[];
  env: NodeJS.ProcessEnv;
}

function notARepo(): ActionError {
  return new ActionError("NOT_A_GIT_REPO", "the active workspace is not inside a git repository", {
    hint: "Only folders inside a repository (a .git folder or file in the workspace or a parent folder) have git actions.",
  });
}

/**
 * Find the repository of `cwd` ourselves (repo.ts) and build the arguments and
 * environment for git: explicit --git-dir/--work-tree, the hardening of
 * harden.ts, and every configured filter driver blanked. Throws NOT_A_GIT_REPO
 * when there is no repository: git is then not started at all.
 */
export async function gitInvocation(cwd: string, timeoutMs = 10_000): Promise<GitInvocation> {
  const repo = findRepository(cwd);
  if (!repo) throw notARepo();
  const prefix = ["--git-dir", repo.gitDir, "--work-tree", repo.workTree];
  const base = gitChildEnvironment(repo);
  let overrides: Record<string, string>;
  try {
    overrides = await filterOverrides(prefix, base, cwd, timeoutMs);
  } catch (error) {
    throw gitFailure("config", (error as { stderr?: string }).stderr ?? "", error as Error);
  }
  return { repo, prefix, env: { ...base, ...overrides } };
}

function gitFailure(command: string, stderr: string, error: Error): ActionError {
  if ((error as NodeJS.ErrnoException).code === "ENOENT") {
    return new ActionError("INTERNAL", "git is not installed on this computer", { hint: "Install git and try again." });
  }
  if (/not a git repository/i.test(stderr)) return notARepo();
  return new ActionError("INTERNAL", `git ${command} failed: ${(stderr.trim().split("\n")[0] || error.message).slice(0, 300)}`);
}

/**
 * Run git with an argument list (never a shell) in `cwd`, on the repository we
 * found for it (see gitInvocation). Prompts, pagers, hooks and filters are off
 * so it can never wait for a person or start a program. Rejects with
 * NOT_A_GIT_REPO outside a repository, and with INTERNAL for other failures.
 */
export async function runGit(
  args: string[],
  cwd: string,
  options: { timeoutMs?: number; maxBytes?: number; signal?: AbortSignal; invocation?: GitInvocation } = {},
): Promise<GitResult> {
  const git = options.invocation ?? (await gitInvocation(cwd, options.timeoutMs));
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      [...GIT_BASE_ARGS, ...git.prefix, ...args],
      {
        cwd,
        encoding: "utf8",
        timeout: options.timeoutMs ?? 20_000,
        maxBuffer: options.maxBytes ?? 64 * 1024 * 1024,
        signal: options.signal,
        env: git.env,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ stdout, stderr });
        reject(gitFailure(args[0] ?? "", stderr, error));
      },
    );
  });
}

export { GIT_BASE_ARGS, blankFilters, filterOverrides, gitChildEnvironment };

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
    const { stdout } = await runGit(["status", "--porcelain=v1", "--branch", "--untracked-files=normal", "--ignore-submodules=dirty"], cwd, {
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

/** Whether `dir` is in a repository we would use (see repo.ts), without spawning git. */
export function insideGitRepo(dir: string): boolean {
  return findRepository(dir) !== null;
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
