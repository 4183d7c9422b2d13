import type { AnyAction } from "../actions/define.js";
import { describeIssues } from "../core/runAction.js";
import { fail, pass, type CheckRow } from "../verify/report.js";
import { describeReply, postAction, type SmokeReply } from "./client.js";
import type { Sandbox } from "./sandbox.js";

/** What every smoke step needs: the temporary server, its token and sandbox, the actions under test. */
export interface SmokeContext {
  base: string;
  token: string;
  sandbox: Sandbox;
  actions: readonly AnyAction[];
}

export function findAction(ctx: SmokeContext, name: string): AnyAction | undefined {
  return ctx.actions.find((action) => action.name === name);
}

/** POST with the sandbox token, or with no Authorization header when `token` is null. */
export function post(ctx: SmokeContext, action: string, body: unknown, token: string | null = ctx.token): Promise<SmokeReply> {
  return postAction(ctx.base, action, body, token ?? undefined);
}

/**
 * The row for a call that must succeed: 200 and a body the action's own output
 * schema accepts (so a handler that drifts from its declared shape fails here,
 * not in ChatGPT). `check` may add a condition on the parsed output.
 */
export function okRow(
  action: AnyAction,
  reply: SmokeReply,
  how: string,
  check?: (output: Record<string, unknown>) => string | undefined,
): CheckRow {
  const name = `POST /${action.name}`;
  if (reply.status !== 200) return fail(name, `${describeReply(reply)} (${how})`);
  const parsed = action.output.safeParse(reply.json);
  if (!parsed.success) return fail(name, `200, but the answer does not match the output schema: ${describeIssues(parsed.error)} (${how})`);
  const problem = check?.(parsed.data as Record<string, unknown>);
  if (problem) return fail(name, `200, but ${problem} (${how})`);
  return pass(name, `200, output matches its schema (${how})`);
}
