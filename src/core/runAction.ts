import { z } from "zod";
import type { AnyAction } from "../actions/define.js";
import type { AuditFace, AuditLog, AuditRecord } from "../audit/log.js";
import { REDACTED, redactError, redactRecord, redactable } from "../ground/redact.js";
import type { ConfigStore } from "../config/store.js";
import { activeWorkspace, type ActionContext, type AuditNote } from "./context.js";
import { ActionError, isActionError } from "../ground/errors.js";
import { checkRequest } from "./inputCheck.js";
import { LIMITS } from "../ground/limits.js";
import { outcomeOf } from "../ground/outcome.js";
import type { ResourceBag } from "../ground/resources.js";
import { refuseGitInternals } from "../workspace/gitInternals.js";
import { resolveInside } from "../workspace/resolveInside.js";
import { forgetGitSummaries } from "../git/run.js";
import { runWithCheckpoint } from "../checkpoints/hook.js";

export interface RunEnvironment {
  store: ConfigStore;
  resources: ResourceBag;
  audit: AuditLog;
  face: AuditFace;
  /** Who called, in a word, for the audit line (see clientLabel). */
  client?: string;
}

export type RunResult =
  | { ok: true; status: 200; body: unknown; text: string }
  | { ok: false; status: number; error: ActionError };

/** Zod issues as one human line: `path: problem; path: problem`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 8)
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "body"}: ${issue.message}`)
    .join("; ");
}

/**
 * The one pipeline every face uses after it has checked origin, token and
 * access: validate (unknown fields and lengths, then the schema) → handler
 * (with a deadline) → response budget → audit.
 */
export async function runAction(action: AnyAction, rawInput: unknown, env: RunEnvironment): Promise<RunResult> {
  const started = performance.now();
  const config = env.store.current();
  const note: AuditNote = {};
  const deadline = Date.now() + LIMITS.answerWithinMs;
  // Most actions never look at the signal; build it (and its timer) only on demand.
  let timer: NodeJS.Timeout | undefined;
  let signal: AbortSignal | undefined;
  let workspaceName: string | null = config.active_workspace;
  const ctx: ActionContext = {
    config,
    store: env.store,
    workspace: () => {
      const ws = activeWorkspace(config);
      workspaceName = ws.name;
      return ws;
    },
    resolvePath: (userPath) => resolveInside(ctx.workspace().root, userPath, [env.store.home]),
    resolveWritePath: (userPath) => {
      const target = ctx.resolvePath(userPath);
      refuseGitInternals(ctx.workspace().root, target);
      return target;
    },
    get signal() {
      if (signal === undefined) {
        const controller = new AbortController();
        timer = setTimeout(() => controller.abort(), Math.max(0, deadline - Date.now()));
        signal = controller.signal;
      }
      return signal;
    },
    deadline,
    resources: env.resources,
    audit: note,
    auditLater: (event) =>
      env.audit.write(redactRecord({ time: new Date().toISOString(), action: action.name, workspace: workspaceName, face: env.face, ...(env.client ? { client: env.client } : {}), ...event }, currentToken(env))),
  };

  let result: RunResult;
  try {
    checkRequest(action, rawInput ?? {});
    const parsed = action.input.safeParse(rawInput ?? {});
    if (!parsed.success) {
      throw new ActionError("BAD_REQUEST", `invalid ${action.name} request: ${describeIssues(parsed.error)}`);
    }
    if (!action.readOnly) forgetGitSummaries();
    const output = action.checkpoint
      ? await runWithCheckpoint(action.checkpoint, action.name, parsed.data, ctx, () => action.handler(parsed.data, ctx))
      : await action.handler(parsed.data, ctx);
    if (!action.readOnly) forgetGitSummaries();
    let text = JSON.stringify(output);
    let body: unknown = output;
    // The token never leaves in an answer, whatever file or output carried it.
    const secret = redactable(config.token);
    if (secret !== null && text.includes(secret)) {
      text = text.split(secret).join(REDACTED);
      body = JSON.parse(text);
    }
    if (text.length >= LIMITS.responseChars) {
      // A bug in the action: it must cut its own output. Never send an oversized answer.
      throw new ActionError("INTERNAL", `${action.name} produced an answer over the response budget; please report this`);
    }
    result = { ok: true, status: 200, body, text };
  } catch (error) {
    const actionError = isActionError(error)
      ? error
      : new ActionError("INTERNAL", `${action.name} failed unexpectedly: ${safeMessage(error)}`);
    if (!isActionError(error)) process.stderr.write(`[${action.name}] internal error: ${String((error as Error)?.stack ?? error)}\n`);
    result = { ok: false, status: actionError.status, error: redactError(actionError, config.token) };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }

  // The call's outcome; a call that ran a command that already ended has the command's (exit 3: failed).
  // A job still running (or awaiting approval) leaves the call ok: its end gets a line of its own.
  const job = result.ok ? note.job : undefined;
  const exited = job?.status === "exited" && job.exitCode !== null ? job.exitCode : undefined;
  const ended = job === undefined || outcomeOf(job) !== null;
  const detail = ended ? note.detail : { ...note.detail, job_status: job.status };
  const record: AuditRecord = {
    time: new Date().toISOString(),
    action: action.name,
    workspace: workspaceName,
    outcome: (result.ok ? outcomeOf({ ...job }) : outcomeOf({ errorCode: result.error.code })) ?? "ok",
    ...(exited !== undefined ? { exit_code: exited } : {}),
    ...(result.ok ? {} : { error_code: result.error.code }),
    status: result.status,
    duration_ms: Math.round(performance.now() - started),
    face: env.face,
    ...(env.client ? { client: env.client } : {}),
    ...(note.paths ? { paths: note.paths.slice(0, 50) } : {}),
    ...(note.command !== undefined ? { command: note.command.slice(0, 2000) } : {}),
    ...(detail ? { detail } : {}),
  };
  env.audit.write(redactRecord(record, config.token));
  return result;
}

/** An unexpected error's message, first line only, without paths to our own source. */
function safeMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.slice(0, 300);
}

function currentToken(env: RunEnvironment): string | undefined {
  try {
    return env.store.current().token;
  } catch {
    return undefined;
  }
}
