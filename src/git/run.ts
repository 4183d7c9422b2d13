import { execFile } from "node:child_process";
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
      ["--no-pager", "-c", "core.quotepath=off", "-c", "color.ui=false", ...args],
      {
        cwd,
        encoding: "utf8",
        timeout: options.timeoutMs ?? 20_000,
        maxBuffer: options.maxBytes ?? 64 * 1024 * 1024,
        signal: options.signal,
        env: { ...gitEnvironment(), GIT_TERMINAL_PROMPT: "0", GIT_OPTIONAL_LOCKS: "0" },
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
