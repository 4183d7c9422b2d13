/**
 * Fixtures for the tunnel, up and verify tests: the cloudflared SIMULATION
 * (test/fixtures/fake-cloudflared.mjs), long-running CLI processes, and checks
 * that nothing is left running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLI, tempDir, waitFor } from "./helpers.js";

/** Tests run from dist/test; the stand-in stays in the source tree. */
export const FAKE_CLOUDFLARED = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test", "fixtures", "fake-cloudflared.mjs");

export interface FakeState {
  pid: number;
  hostname: string | null;
  proxy: string;
  args: string[];
  token_in_env: boolean;
}

export interface FakeCloudflared {
  /** An executable that runs the stand-in with this Node (no reliance on `node` in PATH). */
  bin: string;
  stateDir: string;
  /** Environment for a CLI run that should use the stand-in. */
  env: Record<string, string>;
  /** One entry per stand-in process started so far, oldest first. */
  states(): FakeState[];
}

export function fakeCloudflared(mode = ""): FakeCloudflared {
  const dir = tempDir("cgc-fake-cf-");
  const stateDir = join(dir, "state");
  mkdirSync(stateDir);
  const bin = join(dir, "cloudflared");
  writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${FAKE_CLOUDFLARED}" "$@"\n`);
  chmodSync(bin, 0o755);
  const env: Record<string, string> = { CHATGPT_CODEX_CLOUDFLARED: bin, FAKE_CLOUDFLARED_STATE_DIR: stateDir };
  if (mode) env.FAKE_CLOUDFLARED_MODE = mode;
  return {
    bin,
    stateDir,
    env,
    states: () =>
      readdirSync(stateDir)
        .filter((name) => name.endsWith(".json"))
        .map((name) => {
          try {
            return JSON.parse(readFileSync(join(stateDir, name), "utf8")) as FakeState;
          } catch {
            return undefined; // being written right now
          }
        })
        .filter((state): state is FakeState => state !== undefined)
        .sort((a, b) => a.pid - b.pid),
  };
}

/** Whether a process still runs. A zombie (killed, not yet reaped by its new parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true; // no /proc (macOS): kill(0) is all we know
  }
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface LongRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Wait until stdout matches. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Send a signal and wait for the exit (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** A CLI command that keeps running (serve, tunnel, up) with its own config home. */
export function runLong(args: string[], home: string, env: Record<string, string> = {}): LongRun {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, CHATGPT_CODEX_HOME: home, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  let done = false;
  void exited.then(() => (done = true));
  const self: LongRun = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput: (pattern, timeoutMs = 20_000) =>
      waitFor(
        () => {
          const match = out.match(pattern);
          if (match) return match;
          if (done) throw new Error(`exited before printing ${pattern}; stdout=${out} stderr=${err}`);
          return undefined;
        },
        `${pattern} in stdout (stdout so far: ${out.slice(-500)} stderr: ${err.slice(-500)})`,
        timeoutMs,
      ),
    stop: async (signal = "SIGINT", timeoutMs = 10_000) => {
      if (!done) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  return self;
}

/** Read the stored config as the running processes see it. */
export function readConfig(home: string): { public_base_url: string | null; token: string } {
  return JSON.parse(readFileSync(join(home, "config.json"), "utf8"));
}
