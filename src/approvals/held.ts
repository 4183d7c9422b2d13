import type { ActionContext } from "../core/context.js";
import { ActionError } from "../ground/errors.js";
import { outcomeOf } from "../ground/outcome.js";
import type { ResourceBag } from "../ground/resources.js";
import type { JobOutput } from "../exec/jobView.js";
import { ApprovalQueue, NoApprover, TooManyPending, type HeldCommand, type HoldRequest } from "./queue.js";

/** The server's one approval queue (lives in its resource bag, like the job table). */
export function approvalQueue(resources: ResourceBag): ApprovalQueue {
  return resources.get("approvals", () => new ApprovalQueue());
}

/**
 * For a process where nobody can approve (the stdio face: stdin carries the protocol and
 * there is no dashboard): commands that need local approval are refused at once, never
 * left waiting for an answer that cannot come, and never run without one.
 */
export function refuseLocalApprovals(resources: ResourceBag, reason: string): void {
  resources.get("approvals", () => new ApprovalQueue(reason));
}

/** Hold a command for the owner and answer the model at once with status awaiting_approval. */
export function holdForApproval(ctx: ActionContext, request: HoldRequest): JobOutput {
  let held: HeldCommand;
  try {
    held = approvalQueue(ctx.resources).hold(request);
  } catch (error) {
    if (error instanceof NoApprover) {
      throw new ActionError("BLOCKED_BY_POLICY", error.message, { hint: "Tell the user: with local approvals on, commands run only through `chatgpt-codex serve` or `up`, where the owner approves them." });
    }
    if (error instanceof TooManyPending) {
      throw new ActionError("RATE_LIMITED", error.message, { hint: "Wait for the owner to answer the commands already waiting (command_output shows each one's status)." });
    }
    throw error;
  }
  ctx.audit.detail = { job_id: held.id, approval: "awaiting" };
  ctx.audit.job = { status: held.status, exitCode: null };
  return heldView(held);
}

/** The answer for a held command that has not started (waiting, denied or withdrawn). */
export function heldView(held: HeldCommand): JobOutput {
  const call = `call command_output with {"job_id": "${held.id}"}`;
  const message =
    held.status === "awaiting_approval"
      ? `The command has NOT started: it waits for the owner of the computer to approve it (local approvals are on). Tell the user it needs their approval on the chatgpt-codex dashboard or in the terminal, then ${call} to learn the decision and read its output.`
      : held.status === "killed"
        ? "The command was withdrawn with kill_command before it was approved; it never ran."
        : `The command was NOT run: ${held.reason ?? "denied"}. Tell the user; do not retry it unless they ask you to.`;
  const status = held.status === "killed" ? "killed" : held.status === "started" ? "running" : held.status;
  const outcome = outcomeOf({ status, errorCode: held.error_code });
  return {
    status,
    ...(outcome !== null ? { outcome } : {}),
    stdout: "",
    stderr: "",
    truncated: false,
    job_id: held.id,
    duration_ms: Math.max(0, Date.now() - Date.parse(held.created_at)),
    has_more_output: false,
    output_lines: 0,
    highlights: [],
    highlights_total: 0,
    message,
  };
}

/** For command_output / kill_command: the held command with this id, if it never became a job. */
export function heldCommand(ctx: ActionContext, id: string): HeldCommand | undefined {
  const held = approvalQueue(ctx.resources).get(id);
  return held && held.status !== "started" ? held : undefined;
}
