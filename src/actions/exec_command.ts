import { realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { z } from "zod";
import { ActionError } from "../core/errors.js";
import { clamp } from "../core/limits.js";
import { commandEnvironment } from "../exec/environment.js";
import { JobOutput, viewJob } from "../exec/jobView.js";
import {
  DEFAULT_TIMEOUT_SECONDS,
  DEFAULT_WAIT_SECONDS,
  MAX_TIMEOUT_SECONDS,
  MAX_WAIT_SECONDS,
  jobTable,
  waitMs,
} from "../exec/jobs.js";
import { checkCommand } from "../policy/checkCommand.js";
import { defineAction } from "./define.js";

export default defineAction({
  name: "exec_command",
  operationId: "execCommand",
  summary:
    "Run a shell command (bash) in the workspace, e.g. tests, builds, git. Waits up to wait_seconds; a longer command answers status running + job_id: then call command_output. Destructive commands are refused by a policy.",
  readOnly: false,
  consequential: true,
  destructive: true,
  input: z.object({
    command: z
      .string()
      .min(1)
      .max(100_000)
      .describe(
        "The command line, run by bash with stdin closed and no terminal (no interactive prompts). Pipes, && and quoting work as in a terminal. Commands that would destroy work (rm -rf outside the workspace, git reset --hard, sudo, curl | sh …) are refused with 403 BLOCKED_BY_POLICY.",
      ),
    cwd: z.string().default(".").describe("Folder to run in, relative to the workspace root (default: the root). Must stay inside the workspace."),
    wait_seconds: z
      .number()
      .min(0)
      .default(DEFAULT_WAIT_SECONDS)
      .describe(`How long to wait for the command before answering status running (default ${DEFAULT_WAIT_SECONDS}, max ${MAX_WAIT_SECONDS}; larger values are clamped). The command keeps running afterwards.`),
    timeout_seconds: z
      .number()
      .min(1)
      .default(DEFAULT_TIMEOUT_SECONDS)
      .describe(`Hard limit after which the command and all its children are killed (default ${DEFAULT_TIMEOUT_SECONDS}, max ${MAX_TIMEOUT_SECONDS}).`),
  }),
  output: JobOutput,
  example: { command: "echo smoke" },
  checkpoint: { summary: (input) => `$ ${input.command}`, lock: "snapshot" },
  handler: async (input, ctx) => {
    ctx.audit.command = input.command;
    const workspace = ctx.workspace();
    const cwd = ctx.resolvePath(input.cwd);
    if (!isFolder(cwd.real)) {
      throw new ActionError("NOT_FOUND", `cwd "${cwd.relative}" is not a folder in the workspace`, { hint: "Use a folder that exists (see list_files), or omit cwd for the workspace root." });
    }
    const env = commandEnvironment([ctx.config.token]);
    const verdict = checkCommand(input.command, {
      workspaceRoot: workspace.root,
      cwd: cwd.real,
      home: homedir(),
      configHome: realOrSame(ctx.store.home),
      env,
      policy: ctx.config.policy,
    });
    if (!verdict.allowed) {
      ctx.audit.detail = { rule: verdict.rule };
      throw new ActionError(
        "BLOCKED_BY_POLICY",
        `Blocked by the command policy, rule "${verdict.rule}": ${verdict.reason}. The policy is a guardrail against destructive commands, not a sandbox.`,
        {
          hint: "Do not try to get around it. If this is really intended, tell the user what the command does and ask them to run it themselves in their own terminal (or to add an explicit allow to the policy in the tool's config).",
          details: { rule: verdict.rule },
        },
      );
    }
    const job = jobTable(ctx).start({
      command: input.command,
      cwd: cwd.real,
      env,
      timeoutMs: clamp(input.timeout_seconds, 1, MAX_TIMEOUT_SECONDS) * 1000,
      secret: ctx.config.token,
    });
    ctx.audit.detail = { job_id: job.id, ...(verdict.explicitlyAllowed ? { explicit_allow: true } : {}) };
    await job.wait(waitMs(ctx, input.wait_seconds), ctx.signal);
    if (job.running) {
      // The answer is logged now; how the job ends (exit, timeout, kill) gets a line of its own.
      void job.finished.then(() =>
        ctx.auditLater({
          outcome: job.status,
          duration_ms: job.durationMs(),
          command: input.command,
          detail: { event: "job_end", job_id: job.id, ...(job.exitCode !== null ? { exit_code: job.exitCode } : {}) },
        }),
      );
    }
    return viewJob(job);
  },
});

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function realOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
