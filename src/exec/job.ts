import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { Writable } from "node:stream";
import { OutputLog, type LogLimits } from "./outputLog.js";
import { GroupWatch, signalGroup } from "./processGroup.js";
import { shellArgv, type SpawnArgv } from "./shell.js";
import type { SandboxRun } from "../sandbox/plan.js";
import type { BoxCommand } from "../sandbox/box/box.js";
import type { Proc } from "../sandbox/box/protocol.js";
import type { EgressReport } from "../sandbox/box/boxes.js";
import { OutputDecoder } from "./textStream.js";
import { auditedCommand } from "../ground/redact.js";

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
  /** Run inside the workspace's box instead of a process of its own: starts the command there. */
  box?: BoxLaunch;
}

/** How a job joins a box: `start` sends the command to the box's agent. */
export interface BoxLaunch {
  /** The job's id, fixed before it starts (its proxy credentials carry it). */
  jobId: string;
  /** The box's id. */
  id: string;
  startedAt: number;
  start(request: { id: string; file: string; args: string[]; cwd: string; env: Record<string, string>; stdin: boolean }): BoxCommand;
  /** Called once no process of the job is left in the box (its proxy credentials end). */
  onGone?(): void;
  /** Where the job's connections went through the egress proxy, and what was refused. */
  egress?(): EgressReport | undefined;
  /** The job is forgotten: its records can go. */
  onForget?(): void;
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
  /** The command as audit lines about this job keep it: the token of the call that asked for it removed, then cut (a later token cannot be in it). */
  readonly audited: string;
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
  /** Set when the job runs in a workspace's box. */
  readonly box: { id: string; startedAt: number } | null;
  private readonly boxCommand: BoxCommand | null;
  /**
   * Box jobs only: processes the command left running when its shell exited
   * (`server &`, a watcher). They outlive the job's status: kill_command ends them.
   */
  background: Proc[] = [];
  /** Box jobs: the connections and refusals of the egress proxy for this job. */
  readonly egress: () => EgressReport | undefined;
  private readonly onForget: (() => void) | undefined;
  private readonly timeout: NodeJS.Timeout;
  private readonly graceMs: number;

  constructor(options: JobOptions) {
    this.id = options.id;
    this.command = options.command;
    this.audited = auditedCommand(options.command, options.secret);
    this.graceMs = options.graceMs;
    this.stdinMode = options.stdin ?? "closed";
    this.sandbox = options.sandbox;
    this.log = new OutputLog(options.logPrefix, options.log);
    let done!: () => void;
    this.finished = new Promise((resolve) => (done = resolve));

    this.box = options.box ? { id: options.box.id, startedAt: options.box.startedAt } : null;
    this.egress = options.box?.egress ?? (() => undefined);
    this.onForget = options.box?.onForget;
    if (options.box) {
      this.pgid = null;
      this.watch = null;
      this.boxCommand = this.startInBox(options, options.box, done);
    } else {
      this.boxCommand = null;
      const started = this.startLocal(options, done);
      this.pgid = started.pgid;
      this.watch = started.watch;
    }

    this.timeout = setTimeout(() => void this.kill("timed_out"), options.timeoutMs);
    this.timeout.unref();
  }

  /** A command as a process of its own (no sandbox, Seatbelt, or bwrap per command): the job ends when its whole group is gone. */
  private startLocal(options: JobOptions, done: () => void): { pgid: number | null; watch: GroupWatch | null } {
    // The one place a command is started.
    const { file, args } = options.argv ?? shellArgv(options.command);
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [this.stdinMode === "open" ? "pipe" : "ignore", "pipe", "pipe"],
      detached: true,
    });
    const pgid = child.pid ?? null;
    const watch = pgid === null ? null : new GroupWatch(pgid);
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
      if (open === 0 && this.shellExited && !watch?.alive()) finish();
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
      void this.untilGroupGone(watch).then(groupGone);
    });
    child.on("error", (error) => {
      // Spawning failed (no shell, folder gone): report it as the command's own error.
      this.log.push("stderr", `could not start the command: ${error.message}\n`);
      this.exitCode = 127;
      this.shellExited = true;
      finish();
    });

    return { pgid, watch };
  }

  /**
   * A command in the workspace's box: the job ends when its shell exits. What
   * the shell left running stays in the box (listed in `background`, its output
   * still collected) until it ends, kill_command stops it, or the box ends.
   */
  private startInBox(options: JobOptions, launch: BoxLaunch, done: () => void): BoxCommand {
    const { file, args } = options.argv ?? shellArgv(options.command);
    const command = launch.start({ id: this.id, file, args, cwd: options.cwd, env: options.env, stdin: this.stdinMode === "open" });
    if (command.stdin) {
      this.stdin = command.stdin;
      command.stdin.on("error", () => (this.stdin = null));
    }
    const outDecoder = new OutputDecoder(options.secret);
    const errDecoder = new OutputDecoder(options.secret);
    let sealed = false;
    const seal = () => {
      if (sealed) return;
      sealed = true;
      this.log.push("stdout", outDecoder.end());
      this.log.push("stderr", errDecoder.end());
      this.log.seal();
    };
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(this.timeout);
      this.endedAt = Date.now();
      this.status = this.ending ?? "exited";
      this.closeStdin();
      done();
    };
    let gone = false;
    const allGone = () => {
      if (gone) return;
      gone = true;
      this.background = [];
      seal();
      launch.onGone?.();
    };
    command.stdout.on("data", (chunk: Buffer) => this.log.push("stdout", outDecoder.push(chunk)));
    command.stderr.on("data", (chunk: Buffer) => this.log.push("stderr", errDecoder.push(chunk)));
    command.on("exit", (code: number | null, signal: string | null, background: Proc[]) => {
      this.shellExited = true;
      this.signal = signal;
      this.exitCode = code ?? (signal ? 128 + (constants.signals[signal as NodeJS.Signals] ?? 0) : null);
      this.background = background;
      finish();
    });
    command.on("closed", () => {
      if (this.shellExited && this.background.length === 0) seal();
    });
    command.on("gone", allGone);
    command.on("failed", (message: string) => {
      this.log.push("stderr", `${message}\n`);
      if (!this.shellExited) {
        this.shellExited = true;
        if (this.exitCode === null && this.ending === null) this.ending = command.pid === null ? null : "killed";
        if (command.pid === null) this.exitCode = 127;
      }
      finish();
      allGone();
    });
    return command;
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
  private async untilGroupGone(watch: GroupWatch | null): Promise<void> {
    if (!watch) return;
    for (let delay = 25; watch.alive(); delay = Math.min(delay * 2, 500)) {
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
    if (this.boxCommand) return await this.killInBox(this.boxCommand, reason, graceMs);
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

  /**
   * In a box: SIGTERM to the shell's group and to every process the job left
   * (background ones too), SIGKILL after the grace. A job that had ended keeps
   * its status; only its background processes are stopped.
   */
  private async killInBox(command: BoxCommand, reason: "killed" | "timed_out", graceMs: number): Promise<void> {
    if (command.gone || (!this.running && this.background.length === 0)) return;
    if (this.running) this.ending ??= reason;
    const gone = new Promise<void>((resolve) => (command.gone ? resolve() : command.once("gone", () => resolve())));
    const within = (ms: number) => Promise.race([gone.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
    command.signal("SIGTERM");
    if (!(await within(graceMs))) {
      command.signal("SIGKILL");
      await within(2_000);
    }
    await Promise.race([this.finished, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  }

  /** Processes of this job still alive in its box (the shell's own, or what it left in the background). */
  get hasProcesses(): boolean {
    return this.boxCommand !== null && !this.boxCommand.gone && (this.running || this.background.length > 0);
  }

  /** The job table forgets this job: its log files and its proxy records go. */
  dispose(): void {
    this.log.dispose();
    this.onForget?.();
  }

  /** Last resort when the server process itself exits: no waiting is possible. */
  killNow(): void {
    if (this.boxCommand) this.boxCommand.signal("SIGKILL");
    else if (this.pgid !== null && this.running) signalGroup(this.pgid, "SIGKILL");
  }
}
