/** Pieces every bench suite needs: a private config, our server in its own process, medians. */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { newConfig, saveConfig } from "../src/config/store.js";
import type { Config } from "../src/config/schema.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median wall time (ms) of `runs` calls after `warmup` unmeasured ones (page cache, JIT). */
export async function medianTime(runs: number, warmup: number, once: () => unknown): Promise<number> {
  for (let i = 0; i < warmup; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await once();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** A config home with one workspace "ws" at `ws` and a fresh token. */
export function benchConfig(home: string, ws: string): Config {
  const config = newConfig();
  config.workspaces.push({ name: "ws", path: ws });
  config.active_workspace = "ws";
  config.public_base_url = "https://bench.example.com";
  saveConfig(home, config);
  return config;
}

/** Resolves with the port once a child prints `Port: N` (our `serve`, or a baseline server). */
export function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /Port: (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

/** SIGTERM and wait for the exit (at once if it already ended, by code or by signal). */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** `chatgpt-codex serve --port 0` in a process of its own, as the user runs it. */
export async function startServe(home: string, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0"], {
    env: { ...process.env, CHATGPT_CODEX_HOME: home, ...env },
    stdio: ["ignore", "pipe", "ignore"],
  });
  try {
    return { child, port: await waitForPort(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}
