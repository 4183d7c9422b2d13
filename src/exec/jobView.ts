import { z } from "zod";
import { homedir } from "node:os";
import { sandboxHint } from "../sandbox/hints.js";
import type { Job } from "./job.js";
import { jsonSize } from "./jsonBudget.js";

/** The answer of exec_command, command_output and kill_command (API contract: one shape for all three). */
export const JobOutput = z.object({
  status: z
    .enum(["exited", "running", "killed", "timed_out"])
    .describe("exited: finished by itself (see exit_code); running: still going (call command_output); killed: stopped by kill_command; timed_out: hit timeout_seconds."),
  exit_code: z.number().int().optional().describe("The command's exit code when status is exited (0 = success; 128+N = ended by signal N)."),
  stdout: z.string().describe("Standard output since the previous read of this job (colour codes removed)."),
  stderr: z.string().describe("Standard error since the previous read of this job."),
  truncated: z
    .boolean()
    .describe("true when this answer does not hold all output: the rest is readable with command_output (has_more_output), or the middle of a huge output was not kept (a marker says how many bytes)."),
  job_id: z.string().optional().describe("Id for command_output (more output, final status) and kill_command."),
  duration_ms: z.number().int().describe("Time since the command started, or its total run time once finished."),
  has_more_output: z.boolean().describe("More output is already waiting: call command_output with job_id."),
  message: z.string().optional().describe("What to do next, for the model."),
  sandbox: z
    .object({
      active: z.boolean().describe("true: the command ran in an OS sandbox (workspace writable, rest of the disk read-only, secrets hidden)."),
      kind: z.enum(["bubblewrap", "seatbelt", "none"]),
      network: z.boolean().describe("Whether the command could reach the network."),
      note: z.string().optional().describe("Set when there is no sandbox: the command ran with the user's full rights."),
    })
    .optional()
    .describe("How the command ran."),
  hint: z.string().optional().describe("Set when the command seems to have failed because of the sandbox: why, and how the user can allow it."),
});

export type JobOutput = z.input<typeof JobOutput>;

/** What stdout and stderr together may take in one answer, JSON-escaped (the response limit is 100,000 characters). */
export const OUTPUT_BUDGET_CHARS = 80_000;

/**
 * Build the answer for a job and move its read cursors past what is shown.
 * The budget is shared: a stream needing less than half leaves the rest to the other.
 */
export function viewJob(job: Job, options: { fromStart?: boolean; budget?: number } = {}): JobOutput {
  if (options.fromStart) {
    job.cursor.stdout = 0;
    job.cursor.stderr = 0;
  }
  const budget = options.budget ?? OUTPUT_BUDGET_CHARS;
  const [outBudget, errBudget] = shareBudget(
    jsonSize(job.stdout.read(job.cursor.stdout, Infinity).text),
    jsonSize(job.stderr.read(job.cursor.stderr, Infinity).text),
    budget,
  );
  const stdout = job.stdout.read(job.cursor.stdout, outBudget);
  const stderr = job.stderr.read(job.cursor.stderr, errBudget);
  job.cursor.stdout = stdout.next;
  job.cursor.stderr = stderr.next;

  const more = stdout.more || stderr.more;
  const omitted = stdout.omittedBytes + stderr.omittedBytes > 0;
  const view: JobOutput = {
    status: job.status,
    stdout: stdout.text,
    stderr: stderr.text,
    truncated: more || omitted,
    job_id: job.id,
    duration_ms: job.durationMs(),
    has_more_output: more,
  };
  if (job.status === "exited" && job.exitCode !== null) view.exit_code = job.exitCode;
  const message = nextStep(job, more);
  if (message) view.message = message;
  if (job.sandbox) {
    view.sandbox = { ...job.sandbox.info, ...(job.sandbox.note ? { note: job.sandbox.note } : {}) };
    const hint = sandboxHint(`${stdout.text}\n${stderr.text}`, job.sandbox, homedir());
    if (hint && !(job.status === "exited" && job.exitCode === 0)) view.hint = hint;
  }
  return view;
}

function nextStep(job: Job, more: boolean): string | undefined {
  const call = `call command_output with {"job_id": "${job.id}"}`;
  if (more) return `More output is waiting: ${call} to read it${job.running ? " (the command is still running)" : ""}.`;
  if (job.running) {
    return `The command is still running. It does not report back by itself: ${call} to get new output and the final status, or kill_command to stop it.`;
  }
  return undefined;
}

/** Split the budget between two streams: whichever needs less than half gets what it needs, the other the rest. */
function shareBudget(outNeed: number, errNeed: number, budget: number): [number, number] {
  if (outNeed + errNeed <= budget) return [outNeed, errNeed];
  if (errNeed <= budget / 2) return [budget - errNeed, errNeed];
  if (outNeed <= budget / 2) return [outNeed, budget - outNeed];
  return [Math.floor(budget / 2), Math.floor(budget / 2)];
}
