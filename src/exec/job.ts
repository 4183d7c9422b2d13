import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { Writable } from "node:stream";
import { OutputLog, type LogLimits } from "./outputLog.js";
import { GroupWatch, signalGroup } from "./processGroup.js";
import { shellArgv, type SpawnArgv } from "./shell.js";
import type { SandboxRun } from "../sandbox/plan.js";
import { OutputDecoder } from "./textStream.js";

/**
 * Every status a job can have. `running` lasts until the shell AND every
 * process left in its group have ended. New statuses are added here (and to
 * ACTIVE_STATUSES when the job still holds a slot).
 */
export const JOB_STATUSES = ["running", "exited", "killed", "timed_out"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
/** Statuses that count against the job cap and can be killed. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ["running"];

export type StdinMode = "open" | "closed";

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
  /** Path prefix of the job's log files, inside the job table's private folder. */
  logPrefix: string;
  log?: LogLimits;
  /** "open": the command's stdin is a pipe fed by write_stdin; "closed" (default): /dev/null. */
  stdin?: StdinMode;
  /** What to start instead of `bash -c command` (e.g. the same wrapped in a sandbox). */
  argv?: SpawnArgv;
  /** How the command is sandboxed (for the answers). */
  sandbox?: SandboxRun;
}

/** After the group is gone, an escaped process may still hold the pipes open; do not wait for it longer than this. */
const PIPE_GRACE_MS = 250;

/**
 * One command: a shell in its own process group (so a signal reaches every
 * child), stdout and stderr captured into one line-numbered log, stdin
 * closed unless asked for. The job ends only when its whole group is gone:
 * `cmd &` keeps it running (and holding a slot) until the background
 * process ends, times out or is killed.
 */
export class Job {
  readonly id: string;
  readonly command: string;
  readonly startedAt = Date.now();
  readonly stdinMode: StdinMode;
  endedAt: number | null = null;
  status: JobStatus = "running";
  exitCode: number | null = null;
  signal: string | null = null;
  readonly log: OutputLog;
  /** The next default read of command_output starts after this line. */
  cursor = 0;
  /** Resolves when the group is gone and the output is collected. */
  readonly finished: Promise<void>;
  /** The shell has exited, but processes it started are still running (`cmd &`). */
  shellExited = false;
  private stdin: Writable | null = null;
  readonly sandbox: SandboxRun | undefined;
  private ending: "killed" | "timed_out" | null = null;
  private readonly pgid: number | null;
  private readonly watch: GroupWatch | null;
  private readonly timeout: NodeJS.Timeout;
  private readonly graceMs: number;

  constructor(options: JobOptions) {
    this.id = options.id;
    this.command = options.command;
    this.graceMs = options.graceMs;
    this.stdinMode = options.stdin ?? "closed";
    this.sandbox = options.sandbox;
    this.log = new OutputLog(options.logPrefix, options.log);
    let done!: () => void;
    this.finished = new Promise((resolve) => (done = resolve));

    // The one place a command is started.
    const { file, args } = options.argv ?? shellArgv(options.command);
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [this.stdinMode === "open" ? "pipe" : "ignore", "pipe", "pipe"],
      detached: true,
    });
    this.pgid = child.pid ?? null;
    this.watch = this.pgid === null ? null : new GroupWatch(this.pgid);
    if (child.stdin) {
      this.stdin = child.stdin;
      child.stdin.on("error", () => (this.stdin = null)); // EPIPE: the program stopped reading
    }

    let open = 2;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(this.timeout);
      this.log.seal();
      this.endedAt = Date.now();
      this.status = this.ending ?? "exited";
      this.closeStdin();
      child.stdout?.destroy();
      child.stderr?.destroy();
      done();
    };
    const groupGone = () => {
      if (open === 0) finish();
      else setTimeout(finish, PIPE_GRACE_MS).unref();
    };
    const streamClosed = () => {
      open--;
      if (open === 0 && this.shellExited && !this.watch?.alive()) finish();
    };
    const outDecoder = new OutputDecoder(options.secret);
    const errDecoder = new OutputDecoder(options.secret);
    child.stdout!.on("data", (chunk: Buffer) => this.log.push("stdout", outDecoder.push(chunk)));
    child.stderr!.on("data", (chunk: Buffer) => this.log.push("stderr", errDecoder.push(chunk)));
    child.stdout!.on("close", () => (this.log.push("stdout", outDecoder.end()), this.log.end("stdout"), streamClosed()));
    child.stderr!.on("close", () => (this.log.push("stderr", errDecoder.end()), this.log.end("stderr"), streamClosed()));
    child.on("exit", (code, signal) => {
      this.shellExited = true;
      this.signal = signal;
      this.exitCode = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : null);
      void this.untilGroupGone().then(groupGone);
    });
    child.on("error", (error) => {
      // Spawning failed (no shell, folder gone): report it as the command's own error.
      this.log.push("stderr", `could not start the command: ${error.message}\n`);
      this.exitCode = 127;
      this.shellExited = true;
      finish();
    });

    this.timeout = setTimeout(() => void this.kill("timed_out"), options.timeoutMs);
    this.timeout.unref();
  }

  get running(): boolean {
    return ACTIVE_STATUSES.includes(this.status);
  }

  /** Whether write_stdin can still reach the program. */
  get stdinOpen(): boolean {
    return this.stdin !== null && this.running;
  }

  durationMs(): number {
    return (this.endedAt ?? Date.now()) - this.startedAt;
  }

  /** Polls (25 ms at first, then slower) until no process of the group is left. */
  private async untilGroupGone(): Promise<void> {
    if (!this.watch) return;
    for (let delay = 25; this.watch.alive(); delay = Math.min(delay * 2, 500)) {
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
  }

  /** Send text to the program's stdin; `close` ends its input (EOF) afterwards. */
  async writeStdin(input: string, close: boolean): Promise<void> {
    const stdin = this.stdin;
    if (!stdin) return;
    if (input.length > 0) {
      await new Promise<void>((resolve) => {
        const ok = stdin.write(input, () => resolve());
        // A program that does not read leaves the pipe full; do not hold the answer for it.
        if (!ok) setTimeout(resolve, 1_000).unref();
      });
    }
    if (close) this.closeStdin();
  }

  private closeStdin(): void {
    const stdin = this.stdin;
    this.stdin = null;
    stdin?.end();
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
   * For programs that talk with the model (stdin open): wait until the job
   * ends, or it printed something and then went quiet for `quietMs` (it may
   * be waiting for input), or printed nothing at all for `idleMs`, or `ms` pass.
   */
  async waitQuiet(ms: number, quietMs: number, signal?: AbortSignal, idleMs = Infinity): Promise<void> {
    const started = Date.now();
    const until = started + ms;
    const startVersion = this.log.version;
    while (this.running && !signal?.aborted && Date.now() < until) {
      if (this.log.version !== startVersion && Date.now() - this.log.lastOutputAt >= quietMs) return;
      if (this.log.version === startVersion && Date.now() - started >= idleMs) return;
      await this.wait(Math.min(50, until - Date.now()), signal);
    }
  }

  /**
   * SIGTERM to the whole group, SIGKILL to whatever is left after the grace
   * period; resolves once the group is gone. A finished job keeps its status.
   */
  async kill(reason: "killed" | "timed_out", graceMs = this.graceMs): Promise<void> {
    if (this.pgid === null || !this.running) return;
    this.ending ??= reason;
    signalGroup(this.pgid, "SIGTERM");
    if (!(await this.groupGoneWithin(graceMs))) {
      signalGroup(this.pgid, "SIGKILL");
      await this.groupGoneWithin(2_000);
    }
    await Promise.race([this.finished, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  }

  private async groupGoneWithin(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (this.watch?.alive()) {
      if (Date.now() >= until) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return true;
  }

  /** Last resort when the server process itself exits: no waiting is possible. */
  killNow(): void {
    if (this.pgid !== null && this.running) signalGroup(this.pgid, "SIGKILL");
  }
}
