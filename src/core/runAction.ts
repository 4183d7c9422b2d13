import { z } from "zod";
import type { AnyAction } from "../actions/define.js";
import { isoNow, type AuditFace, type AuditLog, type AuditRecord } from "../audit/log.js";
import { auditedCommand, redactError, redactJsonText, redactText } from "../ground/redact.js";
import type { Config } from "../config/schema.js";
import type { ConfigStore } from "../config/store.js";
import { activeWorkspace, type ActionContext, type ActiveWorkspace, type AuditNote } from "./context.js";
import { ActionError, isActionError } from "../ground/errors.js";
import { checkRequest } from "./inputCheck.js";
import { LIMITS } from "../ground/limits.js";
import { outcomeOf } from "../ground/outcome.js";
import type { ResourceBag } from "../ground/resources.js";
import { refuseGitInternals } from "../workspace/gitInternals.js";
import { resolveInside, type InsidePath } from "../workspace/resolveInside.js";
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
  const deadline = Date.now() + LIMITS.answerWithinMs;
  /**
   * A command as this call's audit lines keep it: both tokens removed before the cut, the one of
   * the call's start and the one now (rotated meanwhile: a later line, a job's end, may come
   * long after), since a token the cut leaves half of can no longer be found.
   */
  const auditCommand = (command: string) => auditedCommand(redactText(command, env.store.tokenNow()), config.token);
  const auditLater = (event: Parameters<ActionContext["auditLater"]>[0]) => {
    const command = event.command === undefined ? {} : { command: auditCommand(event.command) };
    env.audit.write({ time: isoNow(), action: action.name, workspace: ctx.workspaceName, face: env.face, ...(env.client ? { client: env.client } : {}), ...event, ...command }, config.token);
  };
  const ctx = new CallContext(config, env, deadline, auditLater);
  const note = ctx.audit;

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
    const plain = JSON.stringify(output);
    // The token never leaves in an answer, whatever file or output carried it.
    const text = redactJsonText(plain, config.token);
    const body: unknown = text === plain ? output : JSON.parse(text);
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
    ctx.settle();
  }

  // The call's outcome; a call that ran a command that already ended has the command's (exit 3: failed).
  // A job still running (or awaiting approval) leaves the call ok: its end gets a line of its own.
  const job = result.ok ? note.job : undefined;
  const exited = job?.status === "exited" && job.exitCode !== null ? job.exitCode : undefined;
  const ended = job === undefined || outcomeOf(job) !== null;
  const detail = ended ? note.detail : { ...note.detail, job_status: job.status };
  // One literal, its absent fields undefined (JSON leaves them out): spreading a small object for
  // each optional field cost more than the rest of the line.
  const record: AuditRecord = {
    time: isoNow(),
    action: action.name,
    workspace: ctx.workspaceName,
    outcome: (result.ok ? outcomeOf(job ?? {}) : outcomeOf({ errorCode: result.error.code })) ?? "ok",
    exit_code: exited,
    error_code: result.ok ? undefined : result.error.code,
    status: result.status,
    duration_ms: Math.round(performance.now() - started),
    face: env.face,
    client: env.client || undefined,
    paths: note.paths?.slice(0, 50),
    command: note.command === undefined ? undefined : auditCommand(note.command),
    detail,
  };
  // Redacted and serialized once, by the log.
  env.audit.write(record, config.token);
  return result;
}

/**
 * One call's ActionContext. A class rather than an object literal: a literal with a
 * getter (the lazy `signal`) is built through the runtime on every call, which cost
 * more than the rest of a workspace_status call together.
 */
class CallContext implements ActionContext {
  readonly store: ConfigStore;
  readonly resources: ResourceBag;
  readonly audit: AuditNote = {};
  /** The workspace the call used, for its audit line. */
  workspaceName: string | null;
  private timer: NodeJS.Timeout | undefined;
  private abort: AbortSignal | undefined;

  constructor(
    readonly config: Config,
    env: RunEnvironment,
    readonly deadline: number,
    readonly auditLater: ActionContext["auditLater"],
  ) {
    this.store = env.store;
    this.resources = env.resources;
    this.workspaceName = config.active_workspace;
  }

  // Arrow fields, as before: a handler may pass these on without their `this`.
  workspace = (): ActiveWorkspace => {
    const ws = activeWorkspace(this.config);
    this.workspaceName = ws.name;
    return ws;
  };
  resolvePath = (userPath: string): InsidePath => resolveInside(this.workspace().root, userPath, [this.store.home]);
  resolveWritePath = (userPath: string): InsidePath => {
    const target = this.resolvePath(userPath);
    refuseGitInternals(this.workspace().root, target);
    return target;
  };

  /** Most actions never look at the signal; it (and its timer) is built on first read. */
  get signal(): AbortSignal {
    if (this.abort === undefined) {
      const controller = new AbortController();
      this.timer = setTimeout(() => controller.abort(), Math.max(0, this.deadline - Date.now()));
      this.abort = controller.signal;
    }
    return this.abort;
  }

  /** The call is over: its deadline timer goes. */
  settle(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}

/** An unexpected error's message, first line only, without paths to our own source. */
function safeMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.slice(0, 300);
}
