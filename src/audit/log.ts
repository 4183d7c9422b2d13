import { appendFileSync, chmodSync, existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { auditFile } from "../config/paths.js";
import { BatchedLines } from "../ground/batchedLines.js";
import { isOutcome, outcomeOf, type Outcome } from "../ground/outcome.js";
import { redactJsonText } from "../ground/redact.js";

/** Where a call came in: the Actions, /mcp, the stdio face, or the owner's dashboard. */
export type AuditFace = "http" | "mcp" | "stdio" | "dashboard";

export interface AuditRecord {
  time: string;
  action: string;
  workspace: string | null;
  /**
   * One word of the outcome vocabulary (ground/outcome.ts): ok | failed | timed_out | killed |
   * refused | denied | error. An exec_command whose command ended within the call carries the
   * command's outcome (a command that exited 3 is `failed`, not `ok`); a later event (the job
   * ending) has a line of its own.
   */
  outcome: Outcome;
  /** The command's exit code when it exited (with `failed`, and 0 with `ok`). */
  exit_code?: number;
  /** The error code the call was answered with (NOT_FOUND, BLOCKED_BY_POLICY, …): with `refused` and `error`. */
  error_code?: string;
  /** HTTP status of the call; absent for events after the answer (a job ending). */
  status?: number;
  duration_ms: number;
  /** "stdio": `chatgpt-codex mcp`; "dashboard": the owner's own clicks (kill, revoke, approve…). */
  face: AuditFace;
  /** The caller: "bearer (<agent>)" or "oauth:<client name> (<grant id>)"; never a header value verbatim. */
  client?: string;
  paths?: string[];
  command?: string;
  detail?: Record<string, string | number | boolean>;
}

let stampedAt = Number.NaN;
let stamp = "";

/** `new Date().toISOString()`, formatted once per millisecond: a busy server stamps many lines in each. */
export function isoNow(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stamp = new Date(now).toISOString();
    stampedAt = now;
  }
  return stamp;
}

/**
 * One line of the audit file as a record of today's vocabulary. Lines written before it
 * named a job's status ("exited", with detail.exit_code) or an error code as the outcome:
 * those read as the word they mean now, the code kept in error_code. null: not a record.
 */
export function readAuditLine(line: string): AuditRecord | null {
  let record: AuditRecord;
  try {
    record = JSON.parse(line) as AuditRecord;
  } catch {
    return null;
  }
  if (record === null || typeof record !== "object" || typeof record.action !== "string") return null;
  return isOutcome(record.outcome) ? record : upgraded(record);
}

function upgraded(record: AuditRecord): AuditRecord {
  const old = String(record.outcome);
  const { exit_code: oldExit, ...detail } = record.detail ?? {};
  const exitCode = typeof oldExit === "number" ? oldExit : undefined;
  if (old === "exited") return { ...record, outcome: outcomeOf({ status: "exited", exitCode }) ?? "error", ...(exitCode !== undefined ? { exit_code: exitCode } : {}), detail };
  if (old === "removed_planted_git_file") return { ...record, outcome: "ok", detail: { ...detail, event: old } };
  if (/^[A-Z][A-Z_]*$/.test(old)) return { ...record, outcome: outcomeOf({ errorCode: old }) ?? "error", error_code: old };
  return { ...record, outcome: "error", detail: { ...record.detail, old_outcome: old } };
}

const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
const KEEP_ROTATED = 2;

/**
 * One JSON line per action in the private config folder. Records names,
 * outcomes and paths, never file contents or the token. Lines are batched
 * per event-loop turn; rotates by size: audit.log → audit.log.1 → audit.log.2.
 */
export class AuditLog {
  readonly file: string;
  private readonly lines = new BatchedLines((lines) => this.append(lines));
  private size: number | undefined;
  /**
   * Bytes this log appended to its file: see followAuditFile. Counted per log, not per
   * process: another AuditLog on the same file (a stdio face in the same process) tells
   * none of this log's listeners of its lines, so a follower must not skip them as ours.
   */
  private appended = 0;
  private readonly listeners = new Set<(record: AuditRecord) => void>();

  constructor(
    home: string,
    private readonly maxBytes = DEFAULT_MAX_BYTES,
    /**
     * The access token as it is now, for redaction: a server's log removes it from every
     * record, also from those whose writer passed no token (the dashboard's own lines, a
     * refusal on the MCP face), so no new writer can forget it.
     */
    private readonly currentToken?: () => string | undefined,
  ) {
    this.file = auditFile(home);
  }

  /**
   * Queue one record. The token is removed from every field first (paths, command,
   * details): the one the writer passed (the token at the start of its call) and the
   * log's own currentToken (the token now, should it have changed meanwhile). A record
   * without either is serialized once and passed to the listeners as it is.
   */
  write(record: AuditRecord, token?: string): void {
    const plain = JSON.stringify(record);
    const now = this.currentToken?.();
    let text = redactJsonText(plain, token);
    if (now !== token) text = redactJsonText(text, now);
    if (text !== plain) record = JSON.parse(text) as AuditRecord;
    this.lines.push(`${text}\n`);
    this.notify(record);
  }

  private notify(record: AuditRecord): void {
    for (const listener of this.listeners) {
      try {
        listener(record);
      } catch (error) {
        process.stderr.write(`audit listener failed: ${(error as Error).message}\n`);
      }
    }
  }

  /**
   * Tell the listeners of a record another process wrote to the same file (a
   * stdio face beside a running server), without writing it again.
   */
  relay(record: AuditRecord): void {
    this.notify(record);
  }

  /** Be told of every record as it is written (the dashboard's live feed). Returns the unsubscribe. */
  subscribe(listener: (record: AuditRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How many bytes this log has appended to its file so far. */
  appendedBytes(): number {
    return this.appended;
  }

  /** Write what is queued now (also called on shutdown). */
  flush(): void {
    this.lines.flush();
  }

  private append(lines: string[]): void {
    try {
      // The batch's size is counted as it grows: measuring the whole batch again for
      // every line made a busy turn's write quadratic in its number of lines.
      let batch = "";
      let batchBytes = 0;
      for (const line of lines) {
        const bytes = Buffer.byteLength(line);
        if (this.currentSize() + batchBytes + bytes > this.maxBytes) {
          this.appendText(batch, batchBytes);
          batch = "";
          batchBytes = 0;
          // Another process (a stdio face beside the server) may have rotated the file
          // meanwhile: rotate only when the file on disk really is full.
          this.size = undefined;
          if (this.currentSize() + bytes > this.maxBytes) this.rotate();
        }
        batch += line;
        batchBytes += bytes;
      }
      this.appendText(batch, batchBytes);
    } catch (error) {
      // An audit failure must not break the user's call; say so on stderr.
      this.size = undefined;
      process.stderr.write(`audit log write failed: ${(error as Error).message}\n`);
    }
  }

  private currentSize(): number {
    if (this.size === undefined) {
      try {
        this.size = statSync(this.file).size;
      } catch {
        this.size = 0;
      }
    }
    return this.size;
  }

  private appendText(text: string, bytes: number): void {
    if (text === "") return;
    const fresh = !existsSync(this.file);
    if (fresh) mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    appendFileSync(this.file, text, { mode: 0o600 });
    this.appended += bytes;
    if (fresh && process.platform !== "win32") chmodSync(this.file, 0o600);
    this.size = this.currentSize() + bytes;
  }

  private rotate(): void {
    for (let i = KEEP_ROTATED; i >= 1; i--) {
      const from = i === 1 ? this.file : `${this.file}.${i - 1}`;
      if (existsSync(from)) renameSync(from, `${this.file}.${i}`);
    }
    this.size = 0;
  }
}
