import { spawn } from "node:child_process";
import { constants } from "node:os";
import { OutputBuffer, type OutputLimits } from "./outputBuffer.js";
import { groupAlive, signalGroup, waitForGroupGone } from "./processGroup.js";
import type { SandboxRun } from "../sandbox/plan.js";
import { commandShell } from "./shell.js";
import { OutputDecoder } from "./textStream.js";

export type JobStatus = "running" | "exited" | "killed" | "timed_out";

export interface JobOptions {
  id: string;
  command: string;
  /** Real folder the command starts in. */
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL. */
  graceMs: number;
  /** Text never shown in output (the access token). */
  secret: string;
  output: OutputLimits;
  /** The program to start instead of `bash -c command` (the sandbox's plan). */
  spawn?: { file: string; args: string[] };
  /** How the command is sandboxed (for the answers). */
  sandbox?: SandboxRun;
}

/** After the shell exits, background children may keep the pipes open; do not wait for them longer than this. */
const PIPE_GRACE_MS = 250;

/**
 * One command: a shell in its own process group (so a signal reaches every
 * child), stdin closed, stdout and stderr captured separately.
 */
export class Job {
  readonly id: string;
  readonly command: string;
  readonly startedAt = Date.now();
  endedAt: number | null = null;
  status: JobStatus = "running";
  exitCode: number | null = null;
  signal: string | null = null;
  readonly stdout: OutputBuffer;
  readonly stderr: OutputBuffer;
  /** Where the next command_output read starts, per stream. */
  readonly cursor = { stdout: 0, stderr: 0 };
  /** Resolves when the shell has exited and its output is collected. */
  readonly finished: Promise<void>;
  /** Processes of the group were still alive when the shell exited (started with `&`). */
  lingering = false;
  readonly sandbox: SandboxRun | undefined;
  private ending: "killed" | "timed_out" | null = null;
  private readonly pgid: number | null;
  private readonly timeout: NodeJS.Timeout;
  private readonly graceMs: number;

  constructor(options: JobOptions) {
    this.id = options.id;
    this.command = options.command;
    this.graceMs = options.graceMs;
    this.sandbox = options.sandbox;
    this.stdout = new OutputBuffer(options.output);
    this.stderr = new OutputBuffer(options.output);
    let done!: () => void;
    this.finished = new Promise((resolve) => (done = resolve));

    const child = spawn(options.spawn?.file ?? commandShell(), options.spawn?.args ?? ["-c", options.command], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.pgid = child.pid ?? null;

    let open = 2;
    let exited = false;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(this.timeout);
      this.endedAt = Date.now();
      this.status = this.ending ?? "exited";
      if (this.pgid !== null && groupAlive(this.pgid)) this.lingering = true;
      done();
    };
    const streamClosed = () => {
      open--;
      if (exited && open === 0) finish();
    };
    const outDecoder = new OutputDecoder(options.secret);
    const errDecoder = new OutputDecoder(options.secret);
    child.stdout.on("data", (chunk: Buffer) => this.stdout.append(outDecoder.push(chunk)));
    child.stderr.on("data", (chunk: Buffer) => this.stderr.append(errDecoder.push(chunk)));
    child.stdout.on("close", () => (this.stdout.append(outDecoder.end()), streamClosed()));
    child.stderr.on("close", () => (this.stderr.append(errDecoder.end()), streamClosed()));
    child.on("exit", (code, signal) => {
      exited = true;
      this.signal = signal;
      this.exitCode = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : null);
      if (open === 0) finish();
      else setTimeout(finish, PIPE_GRACE_MS).unref();
    });
    child.on("error", (error) => {
      // Spawning failed (no shell, folder gone): report it as the command's own error.
      this.stderr.append(`could not start the command: ${error.message}\n`);
      this.exitCode = 127;
      exited = true;
      finish();
    });

    this.timeout = setTimeout(() => void this.kill("timed_out"), options.timeoutMs);
    this.timeout.unref();
  }

  get running(): boolean {
    return this.status === "running";
  }

  durationMs(): number {
    return (this.endedAt ?? Date.now()) - this.startedAt;
  }

  /** Wait until the job finishes, `ms` pass, or `signal` aborts. */
  async wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (!this.running || ms <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    await Promise.race([
      this.finished,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
        onAbort = () => resolve();
        signal?.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }

  /**
   * SIGTERM to the whole group, SIGKILL to whatever is left after the grace
   * period; resolves once the group is gone. A finished job keeps its status
   * (its lingering background processes are still stopped).
   */
  async kill(reason: "killed" | "timed_out", graceMs = this.graceMs): Promise<void> {
    if (this.pgid === null) return;
    if (this.running) {
      this.ending ??= reason;
    } else if (!this.lingering) {
      return;
    }
    signalGroup(this.pgid, "SIGTERM");
    if (!(await waitForGroupGone(this.pgid, graceMs))) {
      signalGroup(this.pgid, "SIGKILL");
      await waitForGroupGone(this.pgid, 2_000);
    }
    this.lingering = false;
    await Promise.race([this.finished, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  }

  /** Last resort when the server process itself exits: no waiting is possible. */
  killNow(): void {
    if (this.pgid !== null && (this.running || this.lingering)) signalGroup(this.pgid, "SIGKILL");
  }
}
