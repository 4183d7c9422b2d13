import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { lstatSync } from "node:fs";
import { EventEmitter } from "node:events";
import { dirname } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { bwrapArgs, type BwrapFeatures } from "../bwrap.js";
import { isInside } from "../policy.js";
import type { SandboxPolicy } from "../types.js";
import { encodeFrame, FrameReader, type FromAgent, type Proc, type ToAgent } from "./protocol.js";

/** The agent's compiled file, beside this one. */
const AGENT = fileURLToPath(new URL("./agent.js", import.meta.url));
/** How long a new box may take to say it is ready. */
const READY_MS = 15_000;
/** Output of the agent itself (not of commands) kept for the crash message. */
const AGENT_ERR_CHARS = 2_000;

export interface BoxOptions {
  /** The workspace (real path): one box each. */
  workspace: string;
  /** The mounts every command of this box gets (cwd and network of a command do not matter here). */
  policy: SandboxPolicy;
  program: string;
  features: BwrapFeatures;
  tmpBytes: number;
  /** The egress proxy's socket on the host, bound read-only into the box; null: no bridge (network "on" or none). */
  proxySocket: string | null;
  /** The box's own home for tool caches (writable), or null. */
  cacheHome: string | null;
  /** The box shares the host's network (config sandbox.network "on"). */
  hostNetwork: boolean;
}

export interface BoxSpawn {
  id: string;
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  stdin: boolean;
}

/**
 * One command in a box, shaped like the parts of a ChildProcess a job uses.
 * Events: spawn(pid) · exit(code, signal, background) · closed() (its pipes are
 * drained) · gone() (no process of the job is left) · failed(message) (it could
 * not start, or the box ended under it).
 */
export class BoxCommand extends EventEmitter {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin: Writable | null;
  pid: number | null = null;
  exited = false;
  gone = false;

  constructor(
    private readonly box: Box,
    readonly id: string,
    wantsStdin: boolean,
  ) {
    super();
    this.stdin = wantsStdin
      ? new Writable({
          write: (chunk: Buffer, _encoding, callback) => {
            box.send({ t: "stdin", id, data: Buffer.from(chunk).toString("base64") });
            callback();
          },
          final: (callback) => {
            box.send({ t: "stdin", id, data: "", end: true });
            callback();
          },
        })
      : null;
  }

  signal(signal: "SIGTERM" | "SIGKILL"): void {
    this.box.send({ t: "signal", id: this.id, signal });
  }
}

export type BoxEnd = "reset" | "idle" | "stopped" | "crashed" | "replaced";

/**
 * A workspace's box: one long-lived bubblewrap sandbox whose first program is
 * the agent. Commands join it (one shared loopback, process table and /tmp)
 * instead of each paying for a fresh sandbox; it ends on reset, idle time,
 * server stop, or when its mounts no longer match the workspace.
 */
export class Box extends EventEmitter {
  readonly id = `box_${randomBytes(4).toString("hex")}`;
  readonly startedAt = Date.now();
  /** When the last command started (for the idle end). */
  lastUsedAt = Date.now();
  /** Port of the bridge to the egress proxy on the box's loopback (0: none). */
  bridgePort = 0;
  ended: BoxEnd | null = null;
  /** Why the box ended when it crashed (the agent's last words). */
  crashReason = "";
  private readonly child: ChildProcess;
  private readonly commands = new Map<string, BoxCommand>();
  private readonly pendingPs = new Map<number, (answer: { procs: Proc[]; tmp_bytes: number | null }) => void>();
  private nextReq = 1;
  private agentErr = "";
  private readonly ready: Promise<void>;

  private constructor(readonly options: BoxOptions) {
    super();
    const agentFiles = dirname(AGENT);
    const policy: SandboxPolicy = {
      ...options.policy,
      // A path that went away since the plan (a planted pointer removed) needs no mount, and bwrap would refuse to start.
      readOnly: options.policy.readOnly.filter(exists),
      hidden: options.policy.hidden.filter((hidden) => exists(hidden.path)),
      cwd: options.workspace,
      network: options.hostNetwork,
      writable: [...options.policy.writable, ...(options.cacheHome ? [options.cacheHome] : [])],
      // The agent, node and the proxy socket must be visible even where the private /tmp covers them (a checkout under /tmp).
      visible: [
        ...options.policy.visible.filter(exists),
        ...[agentFiles, dirname(process.execPath), ...(options.proxySocket ? [dirname(options.proxySocket)] : [])].filter((path) => isInside(path, "/tmp")),
      ],
    };
    const args = bwrapArgs(policy, { file: process.execPath, args: [AGENT, JSON.stringify({ proxySocket: options.proxySocket })] }, options.features, {
      tmpBytes: options.tmpBytes,
    });
    this.child = spawn(options.program, args, {
      stdio: ["pipe", "pipe", "pipe"],
      // The agent needs nothing of the server's environment; each command brings its own.
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: process.env.LANG ?? "C.UTF-8" },
      detached: true,
    });
    this.child.stdin!.on("error", () => undefined);
    this.child.stderr!.on("data", (chunk: Buffer) => {
      this.agentErr = (this.agentErr + chunk.toString("utf8")).slice(-AGENT_ERR_CHARS);
    });
    let readyResolve!: () => void;
    let readyReject!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => ((readyResolve = resolve), (readyReject = reject)));
    const reader = new FrameReader((message) => {
      const frame = message as FromAgent;
      if (frame?.t === "ready") {
        this.bridgePort = Number.isInteger(frame.port) ? frame.port : 0;
        readyResolve();
      } else this.onFrame(frame);
    });
    this.child.stdout!.on("data", (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (error) {
        this.crashReason = `the box broke its protocol (${(error as Error).message})`;
        this.kill();
      }
    });
    this.child.on("error", (error) => {
      this.crashReason = error.message;
      readyReject(error);
    });
    this.child.on("exit", (code, signal) => {
      if (this.ended === null) {
        this.ended = "crashed";
        this.crashReason ||= `it exited (${signal ?? `code ${code}`})${this.agentErr.trim() ? `: ${this.agentErr.trim().split("\n").slice(-3).join(" ")}` : ""}`;
      }
      readyReject(new Error(`the sandbox did not start: ${this.crashReason || this.agentErr.trim() || `exit ${code ?? signal}`}`));
      for (const command of this.commands.values()) {
        if (!command.exited || !command.gone) command.emit("failed", `the box ended (${this.ended}${this.ended === "crashed" ? `: ${this.crashReason}` : ""})`);
      }
      this.commands.clear();
      for (const resolve of this.pendingPs.values()) resolve({ procs: [], tmp_bytes: null });
      this.pendingPs.clear();
      this.emit("end", this.ended);
    });
  }

  static async start(options: BoxOptions): Promise<Box> {
    const box = new Box(options);
    const timer = setTimeout(() => {
      box.crashReason = `it did not answer within ${READY_MS / 1000} s`;
      box.kill();
    }, READY_MS);
    try {
      await box.ready;
    } finally {
      clearTimeout(timer);
    }
    return box;
  }

  /** Commands whose shell has not exited yet. */
  activeCommands(): number {
    let count = 0;
    for (const command of this.commands.values()) if (!command.exited) count++;
    return count;
  }

  get alive(): boolean {
    return this.ended === null;
  }

  send(message: ToAgent): void {
    if (this.ended !== null) return;
    this.child.stdin!.write(encodeFrame(message));
  }

  spawn(request: BoxSpawn): BoxCommand {
    const command = new BoxCommand(this, request.id, request.stdin);
    this.lastUsedAt = Date.now();
    if (this.ended !== null) {
      queueMicrotask(() => command.emit("failed", `the box ended (${this.ended})`));
      return command;
    }
    this.commands.set(request.id, command);
    this.send({ t: "spawn", ...request });
    return command;
  }

  /** Every process of the box (its init and the agent left out), and how full its /tmp is. */
  async ps(): Promise<{ procs: Proc[]; tmp_bytes: number | null }> {
    if (this.ended !== null) return { procs: [], tmp_bytes: null };
    const req = this.nextReq++;
    return await new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingPs.delete(req);
        resolve({ procs: [], tmp_bytes: null });
      }, 5_000);
      this.pendingPs.set(req, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.send({ t: "ps", req });
    });
  }

  /** Ends the box: every process in it is killed (its PID namespace goes with its init) and its /tmp is gone. */
  async end(reason: BoxEnd): Promise<void> {
    if (this.ended !== null) return;
    this.ended = reason;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.kill();
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3_000).unref())]);
  }

  private kill(): void {
    try {
      // bwrap is pid 1 of the box: when it dies, the kernel kills every process of the namespace.
      if (this.child.pid !== undefined) process.kill(-this.child.pid, "SIGKILL");
    } catch {
      this.child.kill("SIGKILL");
    }
  }

  private onFrame(frame: FromAgent): void {
    if (frame?.t === "ps") {
      const resolve = this.pendingPs.get(frame.req);
      this.pendingPs.delete(frame.req);
      resolve?.({ procs: Array.isArray(frame.procs) ? frame.procs.slice(0, 4096).map(cleanProc) : [], tmp_bytes: typeof frame.tmp_bytes === "number" ? frame.tmp_bytes : null });
      return;
    }
    const command = typeof (frame as { id?: unknown })?.id === "string" ? this.commands.get((frame as { id: string }).id) : undefined;
    if (!command) return;
    switch (frame.t) {
      case "spawned":
        command.pid = Number.isInteger(frame.pid) ? frame.pid : null;
        command.emit("spawn", command.pid);
        return;
      case "spawn_error":
        this.commands.delete(command.id);
        command.emit("failed", `could not start the command: ${String(frame.message).slice(0, 500)}`);
        return;
      case "out":
        if (typeof frame.data === "string") (frame.fd === 2 ? command.stderr : command.stdout).write(Buffer.from(frame.data, "base64"));
        return;
      case "exit":
        command.exited = true;
        command.emit("exit", typeof frame.code === "number" ? frame.code : null, typeof frame.signal === "string" ? frame.signal : null, Array.isArray(frame.background) ? frame.background.slice(0, 200).map(cleanProc) : []);
        return;
      case "closed":
        command.stdout.end();
        command.stderr.end();
        command.emit("closed");
        return;
      case "gone":
        command.gone = true;
        this.commands.delete(command.id);
        command.stdout.end();
        command.stderr.end();
        command.emit("gone");
        return;
    }
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** What the box says about a process, kept to the fields and sizes an answer can show. */
function cleanProc(raw: unknown): Proc {
  const proc = (raw ?? {}) as Partial<Proc>;
  return {
    pid: Number.isInteger(proc.pid) ? (proc.pid as number) : 0,
    job: typeof proc.job === "string" ? proc.job.slice(0, 64) : null,
    command: typeof proc.command === "string" ? proc.command.slice(0, 200) : "",
  };
}
