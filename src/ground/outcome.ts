import type { ErrorCode } from "./errors.js";

/**
 * The one outcome vocabulary (contract v3 §16), the same in job answers, audit records,
 * `log` and the dashboard:
 * - `ok`: it did what was asked (a command: exit code 0);
 * - `failed`: the command ran and exited non-zero (shown with its `exit_code`);
 * - `timed_out`: the command hit its timeout_seconds and was stopped;
 * - `killed`: stopped (or withdrawn before approval) with kill_command or the dashboard;
 * - `refused`: the policy or a guard said no (BLOCKED_BY_POLICY, OUTSIDE_WORKSPACE, access, rate);
 * - `denied`: the owner denied a held command (local approvals), or nobody approved it in time;
 * - `error`: anything else that went wrong (NOT_FOUND, BAD_REQUEST, CONFLICT, INTERNAL, …).
 */
export const OUTCOMES = ["ok", "failed", "timed_out", "killed", "refused", "denied", "error"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The error codes by which a guard refuses a call; every other code is an `error`. */
export const REFUSAL_CODES: readonly ErrorCode[] = ["BLOCKED_BY_POLICY", "OUTSIDE_WORKSPACE", "ACCESS_EXPIRED", "UNAUTHORIZED", "FORBIDDEN_ORIGIN", "RATE_LIMITED"];

/** What is known of how something ended. */
export interface OutcomeFacts {
  /** A job's status (running, exited, killed, timed_out, awaiting_approval, denied), when there is a job. */
  status?: string | null;
  /** The job's exit code, when it exited. */
  exitCode?: number | null;
  /** The error code the call was answered with (BLOCKED_BY_POLICY, NOT_FOUND, …), when it failed. */
  errorCode?: string | null;
}

/**
 * The one mapping from (status, exit code, error code) to an outcome. An error code decides
 * first (the call itself failed); then a job's status; without either, the call succeeded: `ok`.
 * null while the job has not ended (running, or awaiting the owner's approval).
 */
export function outcomeOf(facts: OutcomeFacts): Outcome | null {
  if (facts.errorCode) return (REFUSAL_CODES as readonly string[]).includes(facts.errorCode) ? "refused" : "error";
  switch (facts.status) {
    case undefined:
    case null:
      return "ok";
    case "running":
    case "awaiting_approval":
      return null;
    case "exited":
      if (facts.exitCode === 0) return "ok";
      return typeof facts.exitCode === "number" ? "failed" : "error";
    case "timed_out":
    case "killed":
    case "denied":
      return facts.status;
    default:
      return "error";
  }
}

export function isOutcome(word: unknown): word is Outcome {
  return (OUTCOMES as readonly unknown[]).includes(word);
}
