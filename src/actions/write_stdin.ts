import { z } from "zod";
import type { ActionContext } from "../core/context.js";
import { ActionError } from "../ground/errors.js";
import { boundedNumberWithDefault } from "../exec/bounds.js";
import { JobOutput, viewJob } from "../exec/jobView.js";
import { MAX_WAIT_SECONDS, QUIET_MS, findJob, waitMs } from "../exec/jobs.js";
import { commandEnvironment } from "../exec/environment.js";
import type { Job } from "../exec/job.js";
import { rememberShellInput, shellInputOf } from "../exec/stdinGuard.js";
import { ShellInput } from "../policy/shellProgram.js";
import { defineAction } from "./define.js";
import { blockedByPolicy, commandPolicyOptions, DO_NOT_GET_AROUND, OPEN_STDIN_SHELL_RULE, openStdinShellRefusal } from "./policyAnswer.js";

const DEFAULT_STDIN_WAIT_SECONDS = 10;
export const MAX_STDIN_CHARS = 100_000;

export default defineAction({
  name: "write_stdin",
  summary:
    'Type into a command started with exec_command {stdin: "open"} (\\n presses Enter; close: true ends the input); answers like command_output once the program printed and went quiet. Input to a shell (bash, sh …) is checked by the command policy like an exec_command line; a refused line is not sent.',
  readOnly: false,
  consequential: true,
  destructive: false,
  input: z.object({
    job_id: z.string().min(1).describe('The job_id of a command started with stdin: "open".'),
    input: z
      .string()
      .max(MAX_STDIN_CHARS)
      .describe('Text sent to the program\'s stdin exactly as given: add "\\n" to press Enter. May be empty (e.g. with close: true). To a shell, send whole commands (a multi-line one like for … done in one call), with only printable text and \\n.'),
    close: z.boolean().default(false).describe("true: close stdin after the input (end of input, like Ctrl-D); later write_stdin calls are refused."),
    wait_seconds: boundedNumberWithDefault(0, MAX_WAIT_SECONDS, DEFAULT_STDIN_WAIT_SECONDS).describe(
      `Longest wait for the program's answer (default ${DEFAULT_STDIN_WAIT_SECONDS}, max ${MAX_WAIT_SECONDS}); it answers earlier once the program printed something and went quiet, or ended.`,
    ),
  }),
  output: JobOutput,
  handler: async (input, ctx) => {
    const job = findJob(ctx, input.job_id);
    ctx.audit.command = job.command;
    ctx.audit.detail = { job_id: job.id, input_chars: input.input.length, close: input.close };
    if (job.stdinMode !== "open") {
      throw new ActionError("BAD_REQUEST", `write_stdin needs a job started with stdin: "open"; job ${job.id} was started with stdin closed, so it never waits for input`, {
        hint: 'To talk with an interactive program, start it with exec_command {"command": "…", "stdin": "open"}. Better still, pass the answers as arguments or flags (e.g. --yes) so no input is needed.',
        details: { rule: "stdin_closed" },
      });
    }
    if (!job.running) {
      throw new ActionError("BAD_REQUEST", `job ${job.id} has already ended (status ${job.status}); its stdin is closed`, {
        hint: "Read its output with command_output; start the program again if it needs more input.",
        details: { rule: "job_ended" },
      });
    }
    if (!job.stdinOpen) {
      throw new ActionError("BAD_REQUEST", `the stdin of job ${job.id} is closed (close: true was sent, or the program stopped reading)`, {
        hint: "Read its output with command_output, or stop it with kill_command.",
        details: { rule: "stdin_closed_by_close" },
      });
    }
    const shell = shellInputFor(job, ctx);
    if (shell) {
      if (ctx.config.approvals.commands === "local") {
        ctx.audit.detail = { ...ctx.audit.detail, rule: OPEN_STDIN_SHELL_RULE };
        throw openStdinShellRefusal();
      }
      // Checked, then handed over with no wait in between: two calls cannot interleave their text.
      const checked = shell.check(input.input, ctx.config.policy);
      if (!checked.verdict.allowed) {
        const { rule, reason } = checked.verdict;
        ctx.audit.detail = { ...ctx.audit.detail, rule, shell_input: true };
        const held = shell.unfinished;
        throw blockedByPolicy(rule, `${reason} (in the input to the shell of job ${job.id}; nothing was sent)`, {
          hint: `${held ? `The shell already holds the unfinished text ${JSON.stringify(held.slice(-200))}; what you send next is checked together with it. ` : ""}${DO_NOT_GET_AROUND}`,
          details: { shell_input: true },
        });
      }
      checked.commit();
      ctx.audit.detail = { ...ctx.audit.detail, shell_input: true };
    }
    await job.writeStdin(input.input, input.close);
    await job.waitQuiet(waitMs(ctx, input.wait_seconds), QUIET_MS, ctx.signal);
    return viewJob(job);
  },
});

/** The checker exec_command left for the job; a job it never looked at is read here (with the active workspace) and remembered. */
function shellInputFor(job: Job, ctx: ActionContext): ShellInput | null {
  const known = shellInputOf(job);
  if (known !== undefined) return known;
  const root = ctx.workspace().root;
  const made = ShellInput.forCommand(job.command, commandPolicyOptions(ctx, root, root, commandEnvironment([ctx.config.token])));
  rememberShellInput(job, made);
  return made;
}
