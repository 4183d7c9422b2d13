import { z } from "zod";
import { ActionError } from "../core/errors.js";
import { boundedNumberWithDefault } from "../exec/bounds.js";
import { JobOutput, viewJob } from "../exec/jobView.js";
import { MAX_WAIT_SECONDS, QUIET_MS, findJob, waitMs } from "../exec/jobs.js";
import { defineAction } from "./define.js";

const DEFAULT_STDIN_WAIT_SECONDS = 10;
export const MAX_STDIN_CHARS = 100_000;

export default defineAction({
  name: "write_stdin",
  summary:
    'Type into a running command started with exec_command {stdin: "open"}: sends input to its stdin (end it with \\n to press Enter; close: true ends the input), then answers like command_output once the program printed and went quiet.',
  readOnly: false,
  consequential: true,
  destructive: false,
  input: z.object({
    job_id: z.string().min(1).describe('The job_id of a command started with stdin: "open".'),
    input: z
      .string()
      .max(MAX_STDIN_CHARS)
      .describe('Text sent to the program\'s stdin exactly as given: add "\\n" to press Enter. May be empty (e.g. with close: true).'),
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
    await job.writeStdin(input.input, input.close);
    await job.waitQuiet(waitMs(ctx, input.wait_seconds), QUIET_MS, ctx.signal);
    return viewJob(job);
  },
});
