/**
 * Checkpoints, against git itself on the same tree:
 * - the checkpoint taken before `exec_command true` on a 20,000-file tree when
 *   nothing changed, and when one file changed, vs `git status --porcelain`;
 * - exec_command `true` over HTTP on that tree (the whole call, checkpoint included);
 * - the store's size on disk after 1,000 small edits (one checkpoint each).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CheckpointStore } from "../src/checkpoints/store.js";
import { benchConfig, median, startServe, stopChild } from "./util.js";
import type { BenchContext, BenchRow } from "./types.js";

const RUNS = 7;
const EDITS = 1_000;

function makeTree(root: string, dirs: number, perDir: number): void {
  writeFileSync(join(root, ".gitignore"), "node_modules/\n*.log\n");
  for (let a = 0; a < dirs; a++) {
    const dir = join(root, `pkg${a}`);
    mkdirSync(dir, { recursive: true });
    for (let c = 0; c < perDir; c++) writeFileSync(join(dir, `f${c}.ts`), `export const value${c} = ${a * perDir + c};\n// ${"x".repeat(40)}\n`);
  }
}

function gitIn(cwd: string, ...args: string[]): void {
  execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@example.com", "-c", "commit.gpgsign=false", ...args], {
    cwd,
    stdio: "ignore",
    env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" },
  });
}

function duBytes(dir: string): number {
  let total = 0;
  const visit = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(join(p, name));
    else total += st.blocks * 512;
  };
  visit(dir);
  return total;
}

async function timed(runs: number, before: (i: number) => void, once: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    before(i);
    const start = performance.now();
    await once();
    times.push(performance.now() - start);
  }
  return median(times);
}

const ms = (v: number) => `${v.toFixed(0)} ms`;
const mb = (v: number) => `${(v / 1024 / 1024).toFixed(1)} MB`;

export default async function checkpointBench(ctx: BenchContext): Promise<BenchRow[]> {
  const ws = join(ctx.tmp, "ws");
  const home = join(ctx.tmp, "home");
  mkdirSync(ws, { recursive: true });
  ctx.progress("making a 20,000-file git repository");
  makeTree(ws, 500, 40);
  gitIn(ws, "init", "-q");
  gitIn(ws, "add", "-A");
  gitIn(ws, "commit", "-q", "-m", "tree");
  const config = benchConfig(home, ws);
  const store = new CheckpointStore(home, ws);
  ctx.progress("first checkpoint (stores every file)");
  const firstStart = performance.now();
  await store.locked(() => store.checkpoint("exec_command", "first"));
  const first = performance.now() - firstStart;
  await store.locked(() => store.maintain());

  const gitStatus = () => spawnSync("git", ["status", "--porcelain"], { cwd: ws, stdio: "ignore" });
  ctx.progress("git status --porcelain");
  const status = await timed(RUNS, () => undefined, gitStatus);
  ctx.progress("checkpoint, nothing changed");
  const same = await timed(RUNS, () => undefined, () => store.locked(() => store.checkpoint("exec_command", "$ true")));
  ctx.progress("checkpoint, one file changed");
  const one = await timed(RUNS, (i) => writeFileSync(join(ws, "pkg7", "f3.ts"), `changed ${i}\n`), () => store.locked(() => store.checkpoint("exec_command", "$ true")));
  const statusOne = await timed(RUNS, (i) => writeFileSync(join(ws, "pkg7", "f4.ts"), `changed ${i}\n`), gitStatus);
  const bigStore = duBytes(join(home, "checkpoints"));

  ctx.progress("exec_command true over HTTP on the same tree");
  const { child, port } = await startServe(home);
  let http = 0;
  try {
    const headers = { authorization: `Bearer ${config.token}`, "content-type": "application/json" };
    http = await timed(RUNS, () => undefined, async () => {
      const answer = (await (await fetch(`http://127.0.0.1:${port}/exec_command`, { method: "POST", headers, body: JSON.stringify({ command: "true" }) })).json()) as { checkpoint?: string };
      if (!answer.checkpoint) throw new Error(`no checkpoint in ${JSON.stringify(answer)}`);
    });
  } finally {
    await stopChild(child);
  }

  ctx.progress(`${EDITS} small edits, one checkpoint each (200-file workspace)`);
  const small = join(ctx.tmp, "small");
  const smallHome = join(ctx.tmp, "small-home");
  mkdirSync(small, { recursive: true });
  makeTree(small, 10, 20);
  const smallStore = new CheckpointStore(smallHome, small);
  for (let i = 0; i < EDITS; i++) {
    writeFileSync(join(small, `pkg${i % 10}`, `f${i % 20}.ts`), `export const edited = ${i};\n// ${"y".repeat(40)}\n`);
    await smallStore.locked(() => smallStore.checkpoint("write_file", `edit ${i}`));
    if (smallStore.needsMaintenance()) await smallStore.locked(() => smallStore.maintain());
  }
  const editsStore = duBytes(join(smallHome, "checkpoints"));

  const ratioSame = same / status;
  const ratioOne = one / statusOne;
  return [
    { name: "checkpoint, nothing changed (20k files) vs git status --porcelain", ours: ms(same), baseline: ms(status), ratio: ratioSame, goal: "≤ 2×", met: ratioSame <= 2 },
    { name: "checkpoint, one file changed (20k files) vs git status --porcelain", ours: ms(one), baseline: ms(statusOne), ratio: ratioOne, goal: "≤ 2×", met: ratioOne <= 2 },
    { name: "exec_command true over HTTP, 20k-file tree (checkpoint included)", ours: ms(http), baseline: "-", ratio: null, goal: "-", met: null },
    { name: "first checkpoint of the 20k-file tree; store size after it", ours: ms(first), baseline: mb(bigStore), ratio: null, goal: "-", met: null, note: "the first checkpoint stores every file once (one pack); later ones cost stats" },
    { name: `store size after ${EDITS} small edits (one checkpoint each)`, ours: mb(editsStore), baseline: "-", ratio: null, goal: "a few MB", met: editsStore <= 8 * 1024 * 1024 },
  ];
}
