import { z } from "zod";
import { approvalQueue, heldCommand, heldView } from "../approvals/held.js";
import type { Job } from "../exec/job.js";
import { JobOutput, OUTPUT_BUDGET_CHARS, viewJob } from "../exec/jobView.js";
import { DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS, findJob, waitMs } from "../exec/jobs.js";
import { jsonSize } from "../exec/jsonBudget.js";
import { defineAction } from "./define.js";

export default defineAction({
  name: "command_output",
  summary:
    "Get new output and the status of a command started by exec_command (by job_id). Waits up to wait_seconds for it to finish. Call it again while status is running or has_more_output is true.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({
    job_id: z.string().min(1).describe("The job_id exec_command returned."),
    wait_seconds: z
      .number()
      .min(0)
      .default(DEFAULT_WAIT_SECONDS)
      .describe(`How long to wait for the command to finish before answering (default ${DEFAULT_WAIT_SECONDS}, max ${MAX_WAIT_SECONDS}; larger values are clamped). Answers at once when unread output fills a page.`),
    from_start: z
      .boolean()
      .default(false)
      .describe("true: return the output from the beginning (all that was kept) instead of only what is new since the previous read."),
  }),
  output: JobOutput,
  handler: async (input, ctx) => {
    const held = heldCommand(ctx, input.job_id);
    if (held) {
      ctx.audit.command = held.command;
      if (held.status === "awaiting_approval") await approvalQueue(ctx.resources).wait(held.id, waitMs(ctx, input.wait_seconds), ctx.signal);
      // Approved meanwhile: it is a job now, read below like any other.
      if (held.status !== "started") return heldView(held);
    }
    const job = findJob(ctx, input.job_id);
    ctx.audit.command = job.command;
    ctx.audit.detail = { job_id: job.id };
    if (input.from_start) job.cursor.stdout = job.cursor.stderr = 0;
    // A full page already waiting is worth returning now; otherwise give the command time to finish.
    if (unreadSize(job) < OUTPUT_BUDGET_CHARS) await job.wait(waitMs(ctx, input.wait_seconds), ctx.signal);
    return viewJob(job);
  },
});

function unreadSize(job: Job): number {
  return jsonSize(job.stdout.read(job.cursor.stdout, OUTPUT_BUDGET_CHARS).text) + jsonSize(job.stderr.read(job.cursor.stderr, OUTPUT_BUDGET_CHARS).text);
}
