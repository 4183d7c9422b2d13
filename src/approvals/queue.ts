import { randomBytes } from "node:crypto";
import { isActionError } from "../ground/errors.js";
import type { Closable } from "../ground/resources.js";

/**
 * Local approvals (`approvals.commands: "local"`): a command that passed the
 * policy waits here, not started, until the owner approves it (dashboard or
 * the `up` terminal) or denies it, or until it expires. The model polls it
 * with command_output like any job; its id is the id the job gets on approval.
 */

export type HeldStatus = "awaiting_approval" | "denied" | "killed" | "started";

export interface HoldRequest {
  command: string;
  /** The command as audit lines keep it: the token of the call that asked for it removed, then cut (a later token cannot be in it). */
  audited: string;
  /** Folder relative to the workspace root ("." for the root). */
  cwd: string;
  workspace: string;
  /** Unanswered for this long: denied as expired (the job's own timeout). */
  expiresInMs: number;
  /** What is known about how it will run (the sandbox branch fills these in). */
  sandbox?: string | null;
  network?: boolean | null;
  /** "open": the model will type into the program (write_stdin) after it starts; the owner sees this on the card. */
  stdin?: "open" | "closed";
  /** Starts the real job under `id`; throws (with a message for the model) when it cannot start now. */
  start: (id: string) => void;
  /** Told once when the command ends without becoming a job: denied, expired, withdrawn, or unable to start. */
  ended?: (held: HeldCommand) => void;
}

export interface HeldCommand {
  id: string;
  command: string;
  cwd: string;
  workspace: string;
  sandbox: string | null;
  network: boolean | null;
  /** "open": the model may type into the program once it runs (write_stdin). */
  stdin: "open" | "closed";
  created_at: string;
  expires_at: string;
  status: HeldStatus;
  /** Why it was denied / withdrawn, written for the model to relay. */
  reason: string | null;
  /** Approved but unable to start: the error's code (ACCESS_EXPIRED, RATE_LIMITED, …); null otherwise. */
  error_code: string | null;
  decided_by: "dashboard" | "terminal" | "timeout" | "kill_command" | "shutdown" | null;
}

export type Decision = { ok: true; held: HeldCommand } | { ok: false; held: HeldCommand | undefined; message: string };

const MAX_PENDING = 20;
/** Decided entries stay visible to command_output for this long. */
const KEEP_DECIDED_MS = 60 * 60 * 1000;

interface Entry {
  held: HeldCommand;
  start: (id: string) => void;
  ended: ((held: HeldCommand) => void) | undefined;
  audited: string;
  timer: NodeJS.Timeout;
  waiters: Set<() => void>;
  decidedAt: number | null;
}

export class ApprovalQueue implements Closable {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(held: HeldCommand) => void>();
  private closed = false;

  /** `unattended`: nobody can answer in this process (the stdio face); every hold is refused with this reason. */
  constructor(private readonly unattended?: string) {}

  /** Hold a command; throws when too many are already waiting, or when nobody could answer. */
  hold(request: HoldRequest): HeldCommand {
    this.prune();
    if (this.unattended !== undefined) throw new NoApprover(this.unattended);
    if (this.closed) throw new Error("the server is shutting down");
    if (this.pending().length >= MAX_PENDING) throw new TooManyPending(MAX_PENDING);
    const now = Date.now();
    const held: HeldCommand = {
      id: `job_${randomBytes(6).toString("hex")}`,
      command: request.command,
      cwd: request.cwd,
      workspace: request.workspace,
      sandbox: request.sandbox ?? null,
      network: request.network ?? null,
      stdin: request.stdin ?? "closed",
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + request.expiresInMs).toISOString(),
      status: "awaiting_approval",
      reason: null,
      error_code: null,
      decided_by: null,
    };
    const timer = setTimeout(
      () => this.deny(held.id, "timeout", `nobody approved the command within ${Math.round(request.expiresInMs / 1000)} s; it was not run`),
      request.expiresInMs,
    );
    timer.unref();
    this.entries.set(held.id, { held, start: request.start, ended: request.ended, audited: request.audited, timer, waiters: new Set(), decidedAt: null });
    this.emit(held);
    return held;
  }

  /** The held command as audit lines keep it (see HoldRequest.audited). */
  audited(id: string): string | undefined {
    return this.entries.get(id)?.audited;
  }

  get(id: string): HeldCommand | undefined {
    this.prune();
    return this.entries.get(id)?.held;
  }

  /** Commands still waiting, oldest first. */
  pending(): HeldCommand[] {
    return [...this.entries.values()].map((e) => e.held).filter((h) => h.status === "awaiting_approval");
  }

  approve(id: string, by: "dashboard" | "terminal"): Decision {
    const entry = this.entries.get(id);
    if (!entry || entry.held.status !== "awaiting_approval") return notPending(entry?.held, id);
    try {
      entry.start(id);
    } catch (error) {
      // Could not start now (access revoked meanwhile, too many jobs): the model learns why.
      entry.held.error_code = isActionError(error) ? error.code : "INTERNAL";
      this.settle(entry, "denied", by, `approved, but it could not start: ${(error as Error).message}`);
      return { ok: false, held: entry.held, message: entry.held.reason! };
    }
    this.settle(entry, "started", by, null);
    return { ok: true, held: entry.held };
  }

  deny(id: string, by: HeldCommand["decided_by"] & string, reason?: string): Decision {
    const entry = this.entries.get(id);
    if (!entry || entry.held.status !== "awaiting_approval") return notPending(entry?.held, id);
    const status: HeldStatus = by === "kill_command" ? "killed" : "denied";
    this.settle(entry, status, by, reason ?? "the owner of the computer denied this command; it was not run");
    return { ok: true, held: entry.held };
  }

  /** Resolves when `id` is decided, `ms` pass, or `signal` aborts. */
  async wait(id: string, ms: number, signal?: AbortSignal): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry || entry.held.status !== "awaiting_approval" || ms <= 0 || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        entry.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      entry.waiters.add(done);
    });
  }

  /** Be told whenever a command is held or decided. Returns the unsubscribe. */
  subscribe(listener: (held: HeldCommand) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) {
      if (entry.held.status === "awaiting_approval") this.settle(entry, "denied", "shutdown", "the server stopped before the command was approved; it was not run");
      clearTimeout(entry.timer);
    }
    this.listeners.clear();
  }

  private settle(entry: Entry, status: HeldStatus, by: NonNullable<HeldCommand["decided_by"]>, reason: string | null): void {
    clearTimeout(entry.timer);
    entry.held.status = status;
    entry.held.decided_by = by;
    entry.held.reason = reason;
    entry.decidedAt = Date.now();
    for (const wake of [...entry.waiters]) wake();
    if (status !== "started") {
      try {
        entry.ended?.(entry.held);
      } catch (failure) {
        process.stderr.write(`approval end listener failed: ${(failure as Error).message}\n`);
      }
    }
    this.emit(entry.held);
  }

  private emit(held: HeldCommand): void {
    for (const listener of this.listeners) {
      try {
        listener(held);
      } catch (error) {
        process.stderr.write(`approval listener failed: ${(error as Error).message}\n`);
      }
    }
  }

  private prune(): void {
    const now = Date.now();
    for (const [id, entry] of this.entries) {
      if (entry.decidedAt !== null && now - entry.decidedAt > KEEP_DECIDED_MS) this.entries.delete(id);
    }
  }
}

/** Local approvals are on, but this process has no dashboard or terminal to ask. */
export class NoApprover extends Error {}

export class TooManyPending extends Error {
  constructor(readonly limit: number) {
    super(`${limit} commands are already waiting for the owner's approval`);
  }
}

function notPending(held: HeldCommand | undefined, id: string): Decision {
  if (!held) return { ok: false, held, message: `no command waiting for approval with id "${id}"` };
  return { ok: false, held, message: `the command was already decided (${held.status})` };
}
