import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchConfig, medianTime } from "./util.js";
import type { BenchContext, BenchRow } from "./types.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const RUNS = 15;

function row(name: string, ours: number, base: number, unit: string, goal: number, note?: string): BenchRow {
  const ratio = ours / base;
  return { name, ours: `${ours.toFixed(unit === "MB" ? 1 : 0)} ${unit}`, baseline: `${base.toFixed(unit === "MB" ? 1 : 0)} ${unit}`, ratio, goal: `≤ ${goal}×`, met: ratio <= goal, ...(note ? { note } : {}) };
}

/** What a CLI call costs, next to bare Node doing nothing. */
export default async function startupBench(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const run = (args: string[]) => () => spawnSync(process.execPath, args, { stdio: "ignore" });
  ctx.progress("--version vs node -e 0");
  const version = await medianTime(RUNS, 2, run([CLI, "--version"]));
  const bare = await medianTime(RUNS, 2, run(["-e", "0"]));
  rows.push(row("chatgpt-codex --version vs node -e 0", version, bare, "ms", 3));
  const home = join(ctx.tmp, "home");
  const ws = join(ctx.tmp, "ws");
  mkdirSync(ws, { recursive: true });
  benchConfig(home, ws);
  const status = await medianTime(RUNS, 2, () => spawnSync(process.execPath, [CLI, "status"], { stdio: "ignore", env: { ...process.env, CHATGPT_CODEX_HOME: home } }));
  rows.push(row("chatgpt-codex status vs node -e 0", status, bare, "ms", 3));

  // The idle server's memory is measured beside its throughput, in server.ts.
  return rows;
}
