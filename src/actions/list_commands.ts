import { z } from "zod";
import { answerInt } from "../exec/bounds.js";
import { JOB_STATUSES } from "../exec/job.js";
import { describeJob } from "../exec/jobManager.js";
import { jobTable } from "../exec/jobs.js";
import { OUTCOMES } from "../ground/outcome.js";
import { defineAction } from "./define.js";

/** At most this many jobs are listed. */
const LISTED = 50;

export default defineAction({
  name: "list_commands",
  summary:
    "List the commands started by exec_command: running first, then finished ones that left processes running (background), then the most recently finished (at most 50), with job_id, command, status, start time and exit code. Use it to find a job_id again or see what still runs.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({
    commands: z
      .array(
        z.object({
          job_id: z.string(),
          command: z.string().describe("The command line (cut at 200 characters)."),
          status: z.enum(JOB_STATUSES),
          outcome: z.enum(OUTCOMES).optional().describe("Once ended: ok (exit 0), failed (non-zero exit_code), timed_out or killed."),
          started_at: z.string().describe("ISO 8601 time the command started."),
          duration_ms: answerInt(0).describe("Run time so far, or in all once finished."),
          exit_code: answerInt(0).optional().describe("When status is exited."),
          background: z
            .array(z.object({ pid: answerInt(1), command: z.string() }))
            .optional()
            .describe("Processes the command left running in the workspace's box, the first 3 (command_output with this job_id lists up to 20; kill_command stops them all)."),
        }),
      )
      .describe("Running first (newest first), then finished commands that left processes running, then the other finished ones (most recent first)."),
  }),
  example: {},
  handler: async (_input, ctx) => ({ commands: jobTable(ctx).list(LISTED).map(describeJob) }),
});
