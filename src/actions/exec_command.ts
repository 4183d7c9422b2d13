import { statSync } from "node:fs";
import { homedir } from "node:os";
import { z } from "zod";
import { accessState } from "../access/state.js";
import { holdForApproval } from "../approvals/held.js";
import type { HeldCommand } from "../approvals/queue.js";
import { ActionError } from "../ground/errors.js";
import { outcomeOf } from "../ground/outcome.js";
import { auditedCommand } from "../ground/redact.js";
import { boundedNumberWithDefault } from "../exec/bounds.js";
import { clamp } from "../ground/limits.js";
import { commandEnvironment } from "../exec/environment.js";
import type { Job } from "../exec/job.js";
import { JobOutput, viewJob } from "../exec/jobView.js";
import {
  DEFAULT_TIMEOUT_SECONDS,
  DEFAULT_WAIT_SECONDS,
  MAX_TIMEOUT_SECONDS,
  MAX_WAIT_SECONDS,
  QUIET_MS,
  IDLE_MS,
  jobTable,
  waitMs,
} from "../exec/jobs.js";
import { checkCommand } from "../policy/checkCommand.js";
import { layoutForCommand } from "../sandbox/facts/record.js";
import { ShellInput } from "../policy/shellProgram.js";
import { rememberShellInput } from "../exec/stdinGuard.js";
import { blockedByPolicy, commandPolicyOptions, OPEN_STDIN_SHELL_RULE, openStdinShellRefusal, policySandboxView } from "./policyAnswer.js";
import { realOr } from "../ground/realPath.js";
import { planCommand } from "../sandbox/plan.js";
import { commandShell } from "../exec/shell.js";
import { defineAction } from "./define.js";
import { joinBox, type Joined } from "../sandbox/box/join.js";
import { newJobId } from "../exec/jobManager.js";

export default defineAction({
  name: "exec_command",
  summary:
    "Run a shell command (bash) in the workspace: tests, builds, git. A long command answers status running + job_id: call command_output. Output is head + tail; on a failure look at highlights, then command_output with pattern. Destructive commands are refused by a policy.",
  readOnly: false,
  consequential: true,
  destructive: true,
  input: z.object({
    command: z
      .string()
      .min(1)
      .max(100_000)
      .describe(
        "The command line, run by bash without a terminal and with stdin closed (see stdin); no editor can open (git commit needs -m). Pipes, && and quoting work as in a terminal. Commands that would destroy work (rm -rf outside the workspace, git reset --hard, sudo, curl | sh …) are refused with 403 BLOCKED_BY_POLICY.",
      ),
    cwd: z.string().default(".").describe("Folder to run in, relative to the workspace root (default: the root). Must stay inside the workspace."),
    wait_seconds: boundedNumberWithDefault(0, MAX_WAIT_SECONDS, DEFAULT_WAIT_SECONDS)
      .describe(`How long to wait for the command before answering status running (default ${DEFAULT_WAIT_SECONDS}, max ${MAX_WAIT_SECONDS}; larger values are clamped). The command keeps running afterwards.`),
    timeout_seconds: boundedNumberWithDefault(1, MAX_TIMEOUT_SECONDS, DEFAULT_TIMEOUT_SECONDS)
      .describe(
        `Hard limit after which the command and all its children are killed, background ones included (default ${DEFAULT_TIMEOUT_SECONDS}, max ${MAX_TIMEOUT_SECONDS}). Processes it left running after it ended by itself (a server started with &) keep running in the workspace's box until kill_command.`,
      ),
    stdin: z
      .enum(["closed", "open"])
      .default("closed")
      .describe('"closed" (default): the command reads nothing, so it never waits for input. "open": an interactive program; answer its prompts with write_stdin; this call returns once it printed something and went quiet (or printed nothing for 3 s).'),
    network: z
      .boolean()
      .default(false)
      .describe(
        "Set true only when the command needs the internet (npm install, pip install, git fetch, curl). Commands run in a sandbox without network by default; with true they reach public hosts through the sandbox's proxy (never this computer's own services or private addresses). The user sees this field when approving.",
      ),
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
    // The policy sees the sandbox's view: its private /tmp is not "outside the workspace".
    const policyOptions = commandPolicyOptions(ctx, workspace.root, cwd.real, env, await policySandboxView(ctx, workspace.root));
    const verdict = checkCommand(input.command, policyOptions);
    if (!verdict.allowed) {
      ctx.audit.detail = { ...ctx.audit.detail, rule: verdict.rule };
      throw blockedByPolicy(verdict.rule, verdict.reason);
    }
    // Text written later to a shell's stdin is code: write_stdin checks it with this (null: no shell reads the stdin).
    const shellInput = input.stdin === "open" ? ShellInput.forCommand(input.command, policyOptions) : null;
    if (shellInput && ctx.config.approvals.commands === "local") {
      // The owner would approve the shell once, and every line typed into it later would run unseen.
      ctx.audit.detail = { ...ctx.audit.detail, rule: OPEN_STDIN_SHELL_RULE };
      throw openStdinShellRefusal();
    }
    // The sandbox plan is made now, so a refusal (sandbox required but missing, network off) answers at once.
    const plan = await planCommand({
      command: input.command,
      shell: commandShell(),
      cwd: cwd.real,
      workspace: workspace.root,
      home: homedir(),
      configHome: realOr(ctx.store.home),
      settings: ctx.config.sandbox,
      networkRequested: input.network,
      layout: layoutForCommand(ctx.resources, realOr(ctx.store.home), workspace.root, ctx.config, process.env),
    });
    const sandboxNote = { sandbox: plan.run.info.kind, network: plan.run.info.network, ...(plan.run.info.warning ? { git_pointer_untrusted: true } : {}) };
    ctx.audit.detail = { ...ctx.audit.detail, ...sandboxNote };
    const timeoutMs = clamp(input.timeout_seconds, 1, MAX_TIMEOUT_SECONDS) * 1000;
    // A command of a box joins the workspace's long-lived sandbox (started now, so a failure answers at once).
    let joined: Joined | null = null;
    if (plan.box) {
      joined = await joinBox(ctx, { workspace: workspace.root, plan: plan.box, settings: ctx.config.sandbox, configHome: realOr(ctx.store.home) });
      ctx.audit.detail = { ...ctx.audit.detail, box: joined.box.id };
    }
    const launch = (id?: string): Job => {
      let job: Job;
      const jobId = id ?? newJobId();
      try {
        job = jobTable(ctx).start({
          id: jobId,
          command: input.command,
          cwd: cwd.real,
          env: { ...env, ...plan.env, ...(joined ? joined.envFor(jobId) : {}) },
          timeoutMs,
          secret: ctx.config.token,
          stdin: input.stdin,
          argv: plan.box && joined ? plan.box.command : { file: plan.file, args: plan.args },
          sandbox: joined ? { ...plan.run, ...(joined.note ? { boxNote: joined.note } : {}) } : plan.run,
          ...(joined ? { box: joined.launch(jobId) } : {}),
        });
      } catch (error) {
        joined?.abandon(jobId);
        plan.afterRun(); // nothing ran; frees what the plan made (macOS: its temporary folder)
        throw error;
      }
      if (input.stdin === "open") rememberShellInput(job, shellInput);
      void job.finished.then(() => {
        const planted = plan.afterRun();
        if (planted.length > 0) ctx.auditLater({ outcome: "ok", duration_ms: 0, command: input.command, detail: { event: "removed_planted_git_file", job_id: job.id, files: planted.length } });
      });
      return job;
    };
    // The job's end (exit, timeout, kill) after the answer gets an audit line of its own.
    const auditEnd = (job: Job) =>
      void job.finished.then(() =>
        ctx.auditLater({
          outcome: outcomeOf({ status: job.status, exitCode: job.exitCode }) ?? "error",
          ...(job.status === "exited" && job.exitCode !== null ? { exit_code: job.exitCode } : {}),
          duration_ms: job.durationMs(),
          command: input.command,
          detail: { event: "job_end", job_id: job.id, ...sandboxNote, ...egressNote(job) },
        }),
      );
    // A held command that never became a job (denied, expired, withdrawn, or approved but unable to start) ends here.
    const heldEnd = (held: HeldCommand) =>
      ctx.auditLater({
        outcome: outcomeOf({ status: held.status, errorCode: held.error_code }) ?? "error",
        ...(held.error_code !== null ? { error_code: held.error_code } : {}),
        duration_ms: Math.max(0, Date.now() - Date.parse(held.created_at)),
        command: input.command,
        detail: { event: "job_end", job_id: held.id, ...(held.decided_by ? { decided_by: held.decided_by } : {}) },
      });
    if (ctx.config.approvals.commands === "local") {
      return holdForApproval(ctx, {
        command: input.command,
        audited: auditedCommand(input.command, ctx.config.token),
        cwd: cwd.relative === "" ? "." : cwd.relative,
        workspace: workspace.name,
        expiresInMs: timeoutMs,
        sandbox: plan.run.info.kind,
        network: plan.run.info.network,
        stdin: input.stdin,
        start: (id) => {
          // The policy passed when the command was asked for; access must still be on when it starts.
          if (!accessState(ctx.store.current()).active) throw new ActionError("ACCESS_EXPIRED", "access was revoked or expired before the approval");
          auditEnd(launch(id));
        },
        ended: heldEnd,
      });
    }
    const job = launch();
    ctx.audit.detail = { ...ctx.audit.detail, job_id: job.id, ...sandboxNote, ...(verdict.explicitlyAllowed ? { explicit_allow: true } : {}), ...(input.stdin === "open" ? { stdin: "open" } : {}) };
    if (input.stdin === "open") await job.waitQuiet(waitMs(ctx, input.wait_seconds), QUIET_MS, ctx.signal, IDLE_MS);
    else await job.wait(waitMs(ctx, input.wait_seconds), ctx.signal);
    // The call's audit line carries the command's outcome when it ended within the wait (exit 3: failed).
    ctx.audit.job = { status: job.status, exitCode: job.exitCode };
    if (job.running) auditEnd(job);
    else ctx.audit.detail = { ...ctx.audit.detail, ...egressNote(job) };
    return viewJob(job);
  },
});

/** Where the job's network went through the proxy (so far), for its audit line: hosts, bytes, refusals. */
function egressNote(job: Job): Record<string, string | number> {
  const report = job.egress();
  if (!report || (report.connections.length === 0 && report.denied.length === 0)) return {};
  const note: Record<string, string | number> = {
    egress_connections: report.connections.length,
    egress_bytes_up: report.connections.reduce((sum, c) => sum + c.bytes_up, 0),
    egress_bytes_down: report.connections.reduce((sum, c) => sum + c.bytes_down, 0),
  };
  const hosts = [...new Set(report.connections.map((c) => `${c.host}:${c.port}`))];
  if (hosts.length > 0) note.egress_hosts = hosts.slice(0, 20).join(" ");
  if (report.denied.length > 0) note.egress_denied = [...new Set(report.denied.map((d) => `${d.host}:${d.port} (${d.reason})`))].slice(-5).join("; ");
  return note;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
