import type { ActionContext } from "../core/context.js";
import { ActionError } from "../ground/errors.js";
import { clamp } from "../ground/limits.js";
import type { Job } from "./job.js";
import { JobManager } from "./jobManager.js";

/** Helpers the command actions share: the job table, lookups and how long a request may wait. */

export const MAX_WAIT_SECONDS = 40;
export const DEFAULT_WAIT_SECONDS = 25;
export const DEFAULT_TIMEOUT_SECONDS = 600;
export const MAX_TIMEOUT_SECONDS = 4 * 60 * 60;
/** A job with open stdin answers once it printed something and then stayed quiet this long (it may wait for input). */
export const QUIET_MS = 400;
/** A job with open stdin that prints nothing answers after this long (it may be waiting for input without a prompt). */
export const IDLE_MS = 3_000;

/** Time kept free before the request deadline to build and send the answer. */
const ANSWER_MARGIN_MS = 1_500;

export function jobTable(ctx: ActionContext): JobManager {
  return ctx.resources.get("jobs", () => new JobManager());
}

export function findJob(ctx: ActionContext, id: string): Job {
  const job = jobTable(ctx).get(id);
  if (!job) {
    throw new ActionError("NOT_FOUND", `no command with job_id "${id}"`, {
      hint: "Job ids come from exec_command. Finished jobs are forgotten after an hour or when many newer ones finished, and all jobs end when the server restarts.",
    });
  }
  return job;
}

/** wait_seconds clamped to its maximum and to the time left before the request must be answered. */
export function waitMs(ctx: ActionContext, waitSeconds: number): number {
  const wanted = clamp(waitSeconds, 0, MAX_WAIT_SECONDS) * 1000;
  return Math.max(0, Math.min(wanted, ctx.deadline - Date.now() - ANSWER_MARGIN_MS));
}
