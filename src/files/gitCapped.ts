import { spawn } from "node:child_process";
import { ActionError } from "../ground/errors.js";
import { GIT_BASE_ARGS, gitInvocation, type GitInvocation } from "../git/run.js";

export interface CappedOutput {
  stdout: string;
  /** git had more to say than `maxBytes`; it was stopped. */
  cut: boolean;
}

/**
 * Run git (argument list, no shell, no prompts, no pager) and keep at most
 * `maxBytes` of its output, stopping it once that is reached: a diff of a huge
 * change must not be read whole only to be cut down to the response budget.
 */
export async function runGitCapped(
  args: string[],
  cwd: string,
  maxBytes: number,
  options: { timeoutMs?: number; signal?: AbortSignal; invocation?: GitInvocation } = {},
): Promise<CappedOutput> {
  const git = options.invocation ?? (await gitInvocation(cwd, options.timeoutMs));
  return new Promise((resolve, reject) => {
    const child = spawn("git", [...GIT_BASE_ARGS, ...git.prefix, ...args], {
      cwd,
      env: git.env,
      stdio: ["ignore", "pipe", "pipe"],
      signal: options.signal,
    });
    const chunks: Buffer[] = [];
    let kept = 0;
    let cut = false;
    let stderr = "";
    let settled = false;
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.stdout.on("data", (chunk: Buffer) => {
      if (cut) return;
      const room = maxBytes - kept;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        kept = maxBytes;
        cut = true;
        child.kill("SIGKILL");
        return;
      }
      chunks.push(chunk);
      kept += chunk.length;
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      if (stderr.length < 8192) stderr += chunk;
    });
    child.on("error", (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        reject(new ActionError("INTERNAL", "git is not installed on this computer", { hint: "Install git and try again." }));
      } else {
        reject(new ActionError("INTERNAL", `git ${args.find((a) => !a.startsWith("-")) ?? ""} failed: ${error.message}`));
      }
    });
    child.on("close", (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (cut || code === 0) return resolve({ stdout: Buffer.concat(chunks).toString("utf8"), cut });
      if (/not a git repository/i.test(stderr)) {
        return reject(new ActionError("NOT_A_GIT_REPO", "the active workspace is not inside a git repository"));
      }
      const reason = stderr.trim().split("\n")[0] || (code === null ? "timed out" : `exit ${code}`);
      reject(new ActionError("INTERNAL", `git failed: ${reason.slice(0, 300)}`));
    });
  });
}
