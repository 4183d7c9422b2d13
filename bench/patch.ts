/**
 * apply_patch row: a 1,000-chunk patch on a 100,000-line file, applied by our
 * engine in this process, against `git apply` of the equivalent unified diff
 * on the same file (git pays a process start; so it is reported as is).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyPatch } from "../src/patch/engine.js";
import { resolveInside } from "../src/workspace/resolveInside.js";
import type { BenchContext, BenchRow, BenchSuite } from "./types.js";
import { median } from "./util.js";

const LINES = 100_000;
const CHUNKS = 1_000;
const CONTEXT = 3;
const RUNS = 5;
const GOAL_MS = 1_000;

/** Source-like lines with realistic repeats (blank lines, braces) so the matcher meets ambiguity. */
function makeFile(): string[] {
  return Array.from({ length: LINES }, (_, i) => {
    if (i % 10 === 9) return "}";
    if (i % 10 === 0) return "";
    return `  const value${i} = compute(${i}, "item-${i % 97}");`;
  });
}

/** The changed line of chunk k, spread evenly over the file. */
const target = (k: number) => Math.floor(((k + 0.5) * LINES) / CHUNKS);

function codexPatch(lines: readonly string[]): string {
  const out = ["*** Begin Patch", "*** Update File: big.ts"];
  for (let k = 0; k < CHUNKS; k++) {
    const t = target(k);
    out.push("@@");
    for (let i = t - CONTEXT; i < t; i++) out.push(` ${lines[i]}`);
    out.push(`-${lines[t]}`, `+${lines[t]} // changed ${k}`);
    for (let i = t + 1; i <= t + CONTEXT; i++) out.push(` ${lines[i]}`);
  }
  out.push("*** End Patch");
  return `${out.join("\n")}\n`;
}

function unifiedDiff(lines: readonly string[]): string {
  const out = ["--- a/big.ts", "+++ b/big.ts"];
  for (let k = 0; k < CHUNKS; k++) {
    const t = target(k);
    const size = 2 * CONTEXT + 1;
    out.push(`@@ -${t - CONTEXT + 1},${size} +${t - CONTEXT + 1},${size} @@`);
    for (let i = t - CONTEXT; i < t; i++) out.push(` ${lines[i]}`);
    out.push(`-${lines[t]}`, `+${lines[t]} // changed ${k}`);
    for (let i = t + 1; i <= t + CONTEXT; i++) out.push(` ${lines[i]}`);
  }
  return `${out.join("\n")}\n`;
}


/** Median wall time of `run` over RUNS fresh copies of the file. */
function time(dir: string, original: string, run: () => void): number {
  const samples: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    writeFileSync(join(dir, "big.ts"), original);
    const started = performance.now();
    run();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

function gitAvailable(): boolean {
  return spawnSync("git", ["--version"], { stdio: "ignore" }).status === 0;
}

const suite: BenchSuite = async (ctx: BenchContext): Promise<BenchRow[]> => {
  mkdirSync(join(ctx.tmp, "ws"), { recursive: true });
  const dir = realpathSync(join(ctx.tmp, "ws"));
  const lines = makeFile();
  const original = `${lines.join("\n")}\n`;
  const codex = codexPatch(lines);
  const unified = unifiedDiff(lines);
  writeFileSync(join(ctx.tmp, "big.diff"), unified);
  const resolve = (p: string) => resolveInside(dir, p);

  // Same bytes from both engines, or the comparison means nothing.
  writeFileSync(join(dir, "big.ts"), original);
  applyPatch(codex, { root: dir, resolve, dryRun: false });
  const ours = readFileSync(join(dir, "big.ts"), "utf8");
  let gitSame: boolean | null = null;
  if (gitAvailable()) {
    writeFileSync(join(dir, "big.ts"), original);
    const check = spawnSync("git", ["apply", join(ctx.tmp, "big.diff")], { cwd: dir, env: { ...process.env, GIT_CEILING_DIRECTORIES: ctx.tmp } });
    gitSame = check.status === 0 && readFileSync(join(dir, "big.ts"), "utf8") === ours;
  }

  ctx.progress(`${CHUNKS} chunks on ${LINES.toLocaleString("en-US")} lines, ${RUNS} runs each`);
  const dry = time(dir, original, () => applyPatch(codex, { root: dir, resolve, dryRun: true }));
  const real = time(dir, original, () => applyPatch(codex, { root: dir, resolve, dryRun: false }));
  const realUnified = time(dir, original, () => applyPatch(unified, { root: dir, resolve, dryRun: false }));
  const git = gitSame
    ? time(dir, original, () => {
        const result = spawnSync("git", ["apply", join(ctx.tmp, "big.diff")], { cwd: dir, env: { ...process.env, GIT_CEILING_DIRECTORIES: ctx.tmp } });
        if (result.status !== 0) throw new Error(`git apply failed: ${result.stderr}`);
      })
    : null;

  const ms = (v: number) => `${Math.round(v)} ms`;
  const baseline = git === null ? "-" : ms(git);
  const ratio = (v: number) => (git === null ? null : Math.round((v / git) * 100) / 100);
  const note =
    git === null
      ? gitSame === false
        ? "git apply produced different bytes; no baseline"
        : "git not installed; no baseline"
      : "baseline: git apply of the same change as a unified diff (includes git's process start)";
  return [
    {
      name: "apply_patch 1,000 chunks × 100k lines (Codex format, write)",
      ours: ms(real),
      baseline,
      ratio: ratio(real),
      goal: `< ${GOAL_MS} ms`,
      met: real < GOAL_MS,
      note,
    },
    {
      name: "apply_patch 1,000 chunks × 100k lines (dry run)",
      ours: ms(dry),
      baseline,
      ratio: ratio(dry),
      goal: `< ${GOAL_MS} ms`,
      met: dry < GOAL_MS,
    },
    {
      name: "apply_patch 1,000 hunks × 100k lines (unified diff, write)",
      ours: ms(realUnified),
      baseline,
      ratio: ratio(realUnified),
      goal: `< ${GOAL_MS} ms`,
      met: realUnified < GOAL_MS,
    },
  ];
};

export default suite;
