import { randomBytes } from "node:crypto";
import { ActionError } from "../core/errors.js";
import type { Closable } from "../core/resources.js";
import type { SandboxRun } from "../sandbox/plan.js";
import { Job } from "./job.js";
import { DEFAULT_OUTPUT_LIMITS, type OutputLimits } from "./outputBuffer.js";

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
  output: OutputLimits;
}

export const DEFAULT_JOB_LIMITS: JobLimits = {
  maxRunning: 8,
  keepFinished: 50,
  finishedTtlMs: 60 * 60 * 1000,
  graceMs: 2_000,
  shutdownGraceMs: 500,
  output: DEFAULT_OUTPUT_LIMITS,
};

export interface StartOptions {
  command: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  secret: string;
  spawn?: { file: string; args: string[] };
  sandbox?: SandboxRun;
}

/**
 * The server's table of commands. Lives in the server's resource bag, so
 * closing the server kills every job; a last-chance exit hook SIGKILLs the
 * groups if the process ends without closing.
 */
export class JobManager implements Closable {
  private readonly jobs = new Map<string, Job>();
  private closed = false;
  private readonly onProcessExit = () => {
    for (const job of this.jobs.values()) job.killNow();
  };

  constructor(private readonly limits: JobLimits = DEFAULT_JOB_LIMITS) {
    process.on("exit", this.onProcessExit);
  }

  start(options: StartOptions): Job {
    if (this.closed) throw new ActionError("INTERNAL", "the server is shutting down; no new commands are started");
    this.prune();
    const running = [...this.jobs.values()].filter((job) => job.running);
    if (running.length >= this.limits.maxRunning) {
      throw new ActionError("RATE_LIMITED", `${running.length} commands are already running (the limit is ${this.limits.maxRunning})`, {
        hint: `Wait for one to finish (command_output) or stop one with kill_command. Running: ${running.map((j) => j.id).join(", ")}`,
      });
    }
    const job = new Job({ ...options, id: newJobId(), graceMs: this.limits.graceMs, output: this.limits.output });
    this.jobs.set(job.id, job);
    return job;
  }

  get(id: string): Job | undefined {
    this.prune();
    return this.jobs.get(id);
  }

  /** Drop finished jobs past their time, then the oldest finished ones beyond the count. */
  private prune(): void {
    const now = Date.now();
    const finished = [...this.jobs.values()].filter((job) => !job.running && !job.lingering);
    for (const job of finished) {
      if (now - (job.endedAt ?? now) > this.limits.finishedTtlMs) this.jobs.delete(job.id);
    }
    const kept = finished.filter((job) => this.jobs.has(job.id)).sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0));
    for (const job of kept.slice(0, Math.max(0, kept.length - this.limits.keepFinished))) this.jobs.delete(job.id);
  }

  async close(): Promise<void> {
    this.closed = true;
    process.off("exit", this.onProcessExit);
    const jobs = [...this.jobs.values()];
    await Promise.allSettled(jobs.map((job) => job.kill("killed", this.limits.shutdownGraceMs)));
    this.jobs.clear();
  }
}

function newJobId(): string {
  return `job_${randomBytes(6).toString("hex")}`;
}
