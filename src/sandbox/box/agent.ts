/**
 * The agent: the first program of a workspace's box (run by node inside
 * bubblewrap). It starts the commands the server sends, relays their output,
 * reports what they leave running, and bridges the box's loopback to the
 * server's egress proxy. It has no more rights than the commands beside it —
 * the server trusts nothing it says beyond "this is what the box reports".
 *
 * Usage (by the server only): node agent.js '{"proxySocket": "/path/or/null"}'
 * Frames in on stdin, frames out on stdout (protocol.ts); nothing else is written to stdout.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, statfsSync } from "node:fs";
import { connect, createServer } from "node:net";
import { encodeFrame, FrameReader, JOB_VARIABLE, type FromAgent, type Proc, type ToAgent } from "./protocol.js";

const WATCH_MS = 200;
/** After the shell exits, its pipes may still hold its last output: wait this long for them before reporting the exit. */
const DRAIN_MS = 150;
const COMMAND_CHARS = 200;

interface Running {
  id: string;
  child: ChildProcess;
  pid: number;
  exited: boolean;
  open: number;
  watching: boolean;
}

const jobs = new Map<string, Running>();
const options = JSON.parse(process.argv[2] ?? "{}") as { proxySocket?: string | null };

function send(message: FromAgent): void {
  process.stdout.write(encodeFrame(message));
}

function procStat(pid: number): { state: string; session: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", session: Number(fields[4]) };
  } catch {
    return null;
  }
}

function jobOfEnvironment(pid: number): string | null {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, "latin1");
    const prefix = `${JOB_VARIABLE}=`;
    for (const entry of environ.split("\0")) if (entry.startsWith(prefix)) return entry.slice(prefix.length);
  } catch {
    // gone, or not readable
  }
  return null;
}

function commandLine(pid: number): string {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").filter(Boolean).join(" ");
    return text.length > COMMAND_CHARS ? `${text.slice(0, COMMAND_CHARS - 1)}…` : text;
  } catch {
    return "";
  }
}

/** Every live process of the box but its init (pid 1) and this agent, with the job each belongs to. */
function processes(): Proc[] {
  const sessions = new Map<number, string>();
  for (const job of jobs.values()) sessions.set(job.pid, job.id);
  const found: Proc[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    const stat = procStat(pid);
    if (!stat || stat.state === "Z") continue;
    const job = jobOfEnvironment(pid) ?? sessions.get(stat.session) ?? null;
    found.push({ pid, job, command: commandLine(pid) });
  }
  return found;
}

function processesOf(id: string): Proc[] {
  return processes().filter((proc) => proc.job === id);
}

function signalJob(id: string, signal: NodeJS.Signals): void {
  const job = jobs.get(id);
  if (job && !job.exited) {
    try {
      process.kill(-job.pid, signal);
    } catch {
      // the group is gone
    }
  }
  for (const proc of processesOf(id)) {
    try {
      process.kill(proc.pid, signal);
    } catch {
      // already gone
    }
  }
}

function watch(id: string): void {
  const job = jobs.get(id);
  if (!job || job.watching) return;
  job.watching = true;
  const tick = () => {
    if (job.exited && processesOf(id).length === 0) {
      jobs.delete(id);
      send({ t: "gone", id });
      return;
    }
    setTimeout(tick, WATCH_MS);
  };
  tick();
}

function start(message: Extract<ToAgent, { t: "spawn" }>): void {
  let child: ChildProcess;
  try {
    child = spawn(message.file, message.args, {
      cwd: message.cwd,
      env: { ...message.env, [JOB_VARIABLE]: message.id },
      stdio: [message.stdin ? "pipe" : "ignore", "pipe", "pipe"],
      detached: true,
    });
  } catch (error) {
    send({ t: "spawn_error", id: message.id, message: (error as Error).message });
    return;
  }
  child.on("error", (error) => {
    if (child.pid === undefined) send({ t: "spawn_error", id: message.id, message: error.message });
  });
  if (child.pid === undefined) return; // the error event reports it
  const job: Running = { id: message.id, child, pid: child.pid, exited: false, open: 2, watching: false };
  jobs.set(job.id, job);
  send({ t: "spawned", id: job.id, pid: job.pid });
  child.stdin?.on("error", () => undefined);
  for (const [stream, fd] of [[child.stdout!, 1], [child.stderr!, 2]] as const) {
    stream.on("data", (chunk: Buffer) => send({ t: "out", id: job.id, fd, data: chunk.toString("base64") }));
    stream.on("close", () => {
      job.open--;
      if (job.open === 0) send({ t: "closed", id: job.id });
    });
  }
  child.on("exit", (code, signal) => {
    const report = () => {
      job.exited = true;
      const background = processesOf(job.id);
      send({ t: "exit", id: job.id, code, signal, background });
      watch(job.id);
    };
    if (job.open === 0) report();
    else {
      let done = false;
      const once = () => {
        if (!done) (done = true), report();
      };
      setTimeout(once, DRAIN_MS);
      const check = () => (job.open === 0 ? once() : undefined);
      child.stdout!.once("close", check);
      child.stderr!.once("close", check);
    }
  });
}

function tmpBytes(): number | null {
  try {
    const fs = statfsSync("/tmp");
    return (fs.blocks - fs.bfree) * fs.bsize;
  } catch {
    return null;
  }
}

function handle(raw: unknown): void {
  const message = raw as ToAgent;
  switch (message?.t) {
    case "spawn":
      return start(message);
    case "stdin": {
      const stdin = jobs.get(message.id)?.child.stdin;
      if (!stdin || stdin.destroyed) return;
      if (message.data.length > 0) stdin.write(Buffer.from(message.data, "base64"));
      if (message.end) stdin.end();
      return;
    }
    case "signal":
      return signalJob(message.id, message.signal);
    case "watch":
      return watch(message.id);
    case "ps":
      return send({ t: "ps", req: message.req, procs: processes(), tmp_bytes: tmpBytes() });
    case "shutdown":
      for (const id of jobs.keys()) signalJob(id, "SIGKILL");
      process.exit(0);
  }
}

/** The bridge: TCP on the box's own loopback → the server's egress proxy (a Unix socket bound into the box). */
function startBridge(socketPath: string, ready: (port: number) => void): void {
  const server = createServer((client) => {
    const upstream = connect(socketPath);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.on("error", (error) => {
    process.stderr.write(`bridge: ${error.message}\n`);
    process.exit(71);
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    ready(typeof address === "object" && address ? address.port : 0);
  });
}

process.on("uncaughtException", (error) => {
  process.stderr.write(`agent: ${error.stack ?? error.message}\n`);
  process.exit(70);
});
process.stdout.on("error", () => process.exit(0)); // the server is gone
const reader = new FrameReader(handle);
process.stdin.on("data", (chunk: Buffer) => reader.push(chunk));
process.stdin.on("end", () => {
  for (const id of jobs.keys()) signalJob(id, "SIGKILL");
  process.exit(0);
});
const announce = (port: number) => send({ t: "ready", port, pid: process.pid });
if (options.proxySocket) startBridge(options.proxySocket, announce);
else announce(0);
