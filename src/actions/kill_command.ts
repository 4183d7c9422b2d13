import { z } from "zod";
import { approvalQueue, heldCommand, heldView } from "../approvals/held.js";
import { JobOutput, viewJob } from "../exec/jobView.js";
import { findJob } from "../exec/jobs.js";
import { defineAction } from "./define.js";

export default defineAction({
  name: "kill_command",
  summary:
    "Stop a command (job_id) and every process it started, also those it left running after it ended (a server started with &): SIGTERM, then SIGKILL after a short grace. Returns its last output and highlights; status killed, or its final status if it had ended.",
  readOnly: false,
  consequential: false,
  destructive: false,
  input: z.object({
    job_id: z.string().min(1).describe("The job_id exec_command returned (list_commands shows them all)."),
  }),
  output: JobOutput,
  handler: async (input, ctx) => {
    const held = heldCommand(ctx, input.job_id);
    if (held) {
      // Not started yet: withdraw it (a decided one keeps its status).
      approvalQueue(ctx.resources).deny(held.id, "kill_command");
      ctx.audit.command = held.command;
      return heldView(held);
    }
    const job = findJob(ctx, input.job_id);
    ctx.audit.command = job.command;
    ctx.audit.detail = { job_id: job.id, was_running: job.running };
    await job.kill("killed");
    return viewJob(job);
  },
});
