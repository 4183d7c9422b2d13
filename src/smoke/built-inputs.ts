import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AnyAction } from "../actions/define.js";
import { fail, type CheckRow } from "../verify/report.js";
import { describeReply } from "./client.js";
import { findAction, okRow, post, type SmokeContext } from "./context.js";

/**
 * Inputs for the actions that cannot carry a fixed `example`, because they
 * need something to exist first: a file, a second workspace, a running job.
 * Each runs in the fresh workspace the walk made active for it.
 */
export type InputBuilder = (ctx: SmokeContext, action: AnyAction, workspace: string) => Promise<CheckRow>;

const MARKER = "chatgpt-codex-smoke";

async function startJob(ctx: SmokeContext, command: string): Promise<{ jobId: string | number } | { problem: string }> {
  if (!findAction(ctx, "exec_command")) return { problem: "needs exec_command in the action list to get a job_id" };
  const reply = await post(ctx, "exec_command", { command, wait_seconds: 1 });
  if (reply.status !== 200) return { problem: `exec_command (to start a job) answered ${describeReply(reply)}` };
  const body = reply.json as { job_id?: unknown; status?: unknown };
  if (typeof body.job_id !== "string" && typeof body.job_id !== "number") {
    return { problem: `exec_command gave no job_id for a command still running (status ${String(body.status)})` };
  }
  return { jobId: body.job_id };
}

/** Write a new file through write_file and return the checkpoint its answer names. */
async function smokeCheckpoint(ctx: SmokeContext): Promise<string | { problem: string }> {
  if (!findAction(ctx, "write_file")) return { problem: "needs write_file in the action list to make a checkpoint" };
  const reply = await post(ctx, "write_file", { path: "smoke-checkpoint.txt", content: `${MARKER}\n` });
  const id = (reply.json as { checkpoint?: unknown } | null)?.checkpoint;
  if (reply.status !== 200 || typeof id !== "string") return { problem: `write_file gave no checkpoint: ${describeReply(reply)}` };
  return id;
}

export const BUILT_INPUTS: Readonly<Record<string, InputBuilder>> = {
  read_file: async (ctx, action, workspace) => {
    writeFileSync(join(workspace, "smoke.txt"), `first line\n${MARKER}\n`);
    const reply = await post(ctx, action.name, { path: "smoke.txt" });
    return okRow(action, reply, "built input: a file the smoke wrote", (out) =>
      typeof out.content === "string" && out.content.includes(MARKER) ? undefined : "the content is not the file's",
    );
  },

  switch_workspace: async (ctx, action) => {
    const other = ctx.sandbox.freshWorkspace("switch-target", false);
    const reply = await post(ctx, action.name, { name: other.name });
    return okRow(action, reply, "built input: a second temporary workspace", (out) =>
      out.active_workspace === other.name ? undefined : `active_workspace is ${String(out.active_workspace)}, not ${other.name}`,
    );
  },

  command_output: async (ctx, action) => {
    const job = await startJob(ctx, `sleep 2; echo ${MARKER}`);
    if ("problem" in job) return fail(`POST /${action.name}`, job.problem);
    const reply = await post(ctx, action.name, { job_id: job.jobId, wait_seconds: 15 });
    return okRow(action, reply, "built input: job_id of a running exec_command", (out) =>
      out.status === "exited" && typeof out.stdout === "string" && out.stdout.includes(MARKER)
        ? undefined
        : `expected status exited with the job's output, got status ${String(out.status)}`,
    );
  },

  kill_command: async (ctx, action) => {
    const job = await startJob(ctx, "sleep 30");
    if ("problem" in job) return fail(`POST /${action.name}`, job.problem);
    const reply = await post(ctx, action.name, { job_id: job.jobId });
    return okRow(action, reply, "built input: job_id of a running exec_command", (out) =>
      out.status === "killed" ? undefined : `expected status killed, got ${String(out.status)}`,
    );
  },

  write_stdin: async (ctx, action) => {
    if (!findAction(ctx, "exec_command")) return fail(`POST /${action.name}`, "needs exec_command in the action list to start a job with stdin open");
    const started = await post(ctx, "exec_command", { command: "read -r line; echo \"got $line\"", stdin: "open", wait_seconds: 1 });
    const jobId = (started.json as { job_id?: unknown }).job_id;
    if (started.status !== 200 || typeof jobId !== "string") return fail(`POST /${action.name}`, `exec_command (stdin open) answered ${describeReply(started)}`);
    const reply = await post(ctx, action.name, { job_id: jobId, input: `${MARKER}\n`, close: true, wait_seconds: 15 });
    return okRow(action, reply, "built input: a job started with stdin open", (out) =>
      typeof out.stdout === "string" && out.stdout.includes(`got ${MARKER}`) ? undefined : `the program did not get the input (stdout ${JSON.stringify(out.stdout)})`,
      );
    },
  // A checkpoint exists once a write went through; the smoke's own write makes one.
  checkpoint_diff: async (ctx, action) => {
    const id = await smokeCheckpoint(ctx);
    if (typeof id !== "string") return fail(`POST /${action.name}`, id.problem);
    return okRow(action, await post(ctx, action.name, { id }), "built input: the checkpoint of a write the smoke made", (out) =>
      Array.isArray(out.files) && out.files.length === 1 ? undefined : "expected exactly the one file the smoke wrote",
    );
  },
  restore_checkpoint: async (ctx, action) => {
    const id = await smokeCheckpoint(ctx);
    if (typeof id !== "string") return fail(`POST /${action.name}`, id.problem);
    return okRow(action, await post(ctx, action.name, { id }), "built input: the checkpoint of a write the smoke made", (out) =>
      Array.isArray(out.deleted) && out.deleted.includes("smoke-checkpoint.txt") ? undefined : "expected the smoke's file to be removed",
    );
  },

  // The fresh workspace is an empty git repository: both have only optional fields.
  git_status: async (ctx, action) => okRow(action, await post(ctx, action.name, {}), "built input: {} in an empty git repository"),
  git_diff: async (ctx, action) => okRow(action, await post(ctx, action.name, {}), "built input: {} in an empty git repository"),
};
