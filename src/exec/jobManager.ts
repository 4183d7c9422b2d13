import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ActionError } from "../ground/errors.js";
import { outcomeOf, type Outcome } from "../ground/outcome.js";
import type { Closable } from "../ground/resources.js";
import { Job, type BoxLaunch, type StdinMode } from "./job.js";
import type { SpawnArgv } from "./shell.js";
import { DEFAULT_LOG_LIMITS, type LogLimits } from "./outputLog.js";
import type { SandboxRun } from "../sandbox/plan.js";

export interface JobLimits {
  /** Jobs running at once; one more is refused until one ends. */
  maxRunning: number;
  /** Finished jobs kept for command_output; the oldest go first. */
  keepFinished: number;
  /** Finished jobs older than this are forgotten. */
  finishedTtlMs: number;
  /** SIGTERM → SIGKILL grace for kill_command and timeouts. */
  graceMs: number;
  /** SIGTERM → SIGKILL grace when the server shuts down (it must exit quickly). */
  shutdownGraceMs: number;
  /** How each job's output log is kept on disk. */
  log: LogLimits;
  /** Disk all finished jobs' logs may take together; the oldest finished jobs are forgotten beyond it. */
  finishedDiskBytes: number;
}

export const DEFAULT_JOB_LIMITS: JobLimits = {
  maxRunning: 8,
  keepFinished: 50,
  finishedTtlMs: 60 * 60 * 1000,
  graceMs: 2_000,
  shutdownGraceMs: 500,
  log: DEFAULT_LOG_LIMITS,
  finishedDiskBytes: 256 * 1024 * 1024,
};

export interface StartOptions {
  command: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  secret: string;
  stdin?: StdinMode;
  argv?: SpawnArgv;
  sandbox?: SandboxRun;
  box?: BoxLaunch;
}

/**
 * Background processes a listing row shows (50 rows must stay far below ChatGPT's 100,000
 * characters); command_output of that job lists up to 20.
 */
const LISTED_BACKGROUND = 3;

/** The longest command text a listing shows. */
const LISTED_COMMAND_CHARS = 200;

/**
 * The server's table of commands. Lives in the server's resource bag, so
 * closing the server kills every job; a last-chance exit hook SIGKILLs the
 * groups if the process ends without closing. Output logs live in one
 * private temporary folder (0700), removed at shutdown; a job's files go
 * when the job is forgotten.
 */
export class JobManager implements Closable {
  private readonly jobs = new Map<string, Job>();
  private closed = false;
  private folder: string | null = null;
  private readonly onProcessExit = () => {
    for (const job of this.jobs.values()) job.killNow();
    this.removeFolder();
  };

  constructor(private readonly limits: JobLimits = DEFAULT_JOB_LIMITS) {
    process.on("exit", this.onProcessExit);
  }

  /** `id`: the id a held command (local approvals) was given before it started. */
  start(options: StartOptions & { id?: string }): Job {
    if (this.closed) throw new ActionError("INTERNAL", "the server is shutting down; no new commands are started");
    this.prune();
    const running = [...this.jobs.values()].filter((job) => job.running);
    if (running.length >= this.limits.maxRunning) {
      const listed = running.map((job) => describeJob(job));
      throw new ActionError("RATE_LIMITED", `${running.length} commands are already running (the limit is ${this.limits.maxRunning})`, {
        hint: `Wait for one to finish (command_output) or stop one you no longer need with kill_command. Running: ${listed.map((j) => `${j.job_id} (${Math.round(j.duration_ms / 1000)} s): ${j.command}`).join("; ")}`,
        details: { running: listed },
      });
    }
    const id = options.id ?? options.box?.jobId ?? newJobId();
    const job = new Job({ ...options, id, graceMs: this.limits.graceMs, log: this.limits.log, logPrefix: join(this.ensureFolder(), id) });
    this.jobs.set(job.id, job);
    return job;
  }

  get(id: string): Job | undefined {
    this.prune();
    return this.jobs.get(id);
  }

  /**
   * Running jobs first (newest first), then finished jobs that left processes
   * running in the box, then the other finished ones (most recently finished
   * first); at most `limit`.
   */
  list(limit = 50): Job[] {
    this.prune();
    const jobs = [...this.jobs.values()];
    const running = jobs.filter((job) => job.running).sort((a, b) => b.startedAt - a.startedAt);
    const byEnd = (a: Job, b: Job) => (b.endedAt ?? 0) - (a.endedAt ?? 0);
    const lingering = jobs.filter((job) => !job.running && job.background.length > 0).sort(byEnd);
    const finished = jobs.filter((job) => !job.running && job.background.length === 0).sort(byEnd);
    return [...running, ...lingering, ...finished].slice(0, limit);
  }

  /** Drop finished jobs past their time, then the oldest finished ones beyond the count or the disk budget. */
  private prune(): void {
    const now = Date.now();
    // A job whose background processes still run stays: kill_command must reach them.
    const finished = [...this.jobs.values()].filter((job) => !job.running && !job.hasProcesses);
    for (const job of finished) {
      if (now - (job.endedAt ?? now) > this.limits.finishedTtlMs) this.forget(job);
    }
    const kept = finished.filter((job) => this.jobs.has(job.id)).sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0));
    let disk = kept.reduce((sum, job) => sum + job.log.diskBytes, 0);
    let count = kept.length;
    for (const job of kept) {
      if (count <= this.limits.keepFinished && disk <= this.limits.finishedDiskBytes) break;
      disk -= job.log.diskBytes;
      count--;
      this.forget(job);
    }
  }

  private forget(job: Job): void {
    this.jobs.delete(job.id);
    job.dispose();
  }

  private ensureFolder(): string {
    if (this.folder === null) {
      this.folder = mkdtempSync(join(tmpdir(), "chatgpt-codex-jobs-"));
      chmodSync(this.folder, 0o700);
    }
    return this.folder;
  }

  private removeFolder(): void {
    if (this.folder !== null) rmSync(this.folder, { recursive: true, force: true });
    this.folder = null;
  }

  async close(): Promise<void> {
    this.closed = true;
    process.off("exit", this.onProcessExit);
    const jobs = [...this.jobs.values()];
    await Promise.allSettled(jobs.map((job) => job.kill("killed", this.limits.shutdownGraceMs)));
    for (const job of jobs) job.dispose();
    this.jobs.clear();
    this.removeFolder();
  }
}

/** One row of list_commands (and of the 429 listing). */
export function describeJob(job: Job): {
  job_id: string;
  command: string;
  status: Job["status"];
  outcome?: Outcome;
  started_at: string;
  duration_ms: number;
  exit_code?: number;
  background?: { pid: number; command: string }[];
} {
  const outcome = outcomeOf({ status: job.status, exitCode: job.exitCode });
  const row: ReturnType<typeof describeJob> = {
    job_id: job.id,
    command: job.command.length > LISTED_COMMAND_CHARS ? `${job.command.slice(0, LISTED_COMMAND_CHARS - 1)}…` : job.command,
    status: job.status,
    ...(outcome !== null ? { outcome } : {}),
    started_at: new Date(job.startedAt).toISOString(),
    duration_ms: job.durationMs(),
  };
  if (job.status === "exited" && job.exitCode !== null) row.exit_code = job.exitCode;
  if (job.background.length > 0) row.background = job.background.slice(0, LISTED_BACKGROUND).map(({ pid, command }) => ({ pid, command }));
  return row;
}

export function newJobId(): string {
  return `job_${randomBytes(6).toString("hex")}`;
}
