/**
 * Checkpoints, against git itself on the same tree (CGC_BENCH_CP_FILES files,
 * default 100,000; 20000 for a quick run):
 * - the first checkpoint of a committed, clean git repository (and of the same
 *   tree without git), vs `git status --porcelain`; when the bench runs as
 *   root, also as a user who is not (uid 65534), for whom files are checked;
 * - a checkpoint when nothing changed, and right after a one-file write;
 * - restore of one file (with the checkpoint the restore takes first);
 * - exec_command `true` over HTTP right after a one-file write (the whole call:
 *   checkpoint and sandbox) vs `git status` + bare `bwrap … true`;
 * - the store's size on disk after 1,000 small edits (one checkpoint each).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { restoreFromTree } from "../src/checkpoints/service.js";
import { CheckpointStore } from "../src/checkpoints/store.js";
import { saveConfig } from "../src/config/store.js";
import { isolationArgs } from "../src/sandbox/bwrap.js";
import { sandboxAvailability } from "../src/sandbox/detect.js";
import { benchConfig, median, startServe, stopChild } from "./util.js";
import type { BenchContext, BenchRow } from "./types.js";

const RUNS = 7;
const EDITS = 1_000;
const FILES = Math.max(1_000, Number(process.env.CGC_BENCH_CP_FILES) || 100_000);
const PER_DIR = 40;

function makeTree(root: string, files: number): void {
  writeFileSync(join(root, ".gitignore"), "node_modules/\n*.log\n");
  for (let a = 0; a < Math.ceil(files / PER_DIR); a++) {
    const dir = join(root, `pkg${a % 50}`, `m${a}`);
    mkdirSync(dir, { recursive: true });
    for (let c = 0; c < PER_DIR; c++) writeFileSync(join(dir, `f${c}.ts`), `export const value${c} = ${a * PER_DIR + c};\n// ${"x".repeat(40)}\n`);
  }
}

function gitIn(cwd: string, ...args: string[]): void {
  execFileSync("git", ["-c", "user.name=b", "-c", "user.email=b@example.com", "-c", "commit.gpgsign=false", "-c", "gc.auto=0", ...args], {
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

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))));
  });
}

const NOBODY = 65534;
const STORE_MODULE = fileURLToPath(new URL("../src/checkpoints/store.js", import.meta.url));

/**
 * The first checkpoint of `ws` into `home` in a process of its own, as a server meets it (nothing else in its heap),
 * with `git status` timed three times beside it (the median); `prefix` runs it as another user.
 */
function firstInFreshProcess(ws: string, home: string, prefix: string[] = [], env: NodeJS.ProcessEnv = {}): { ours: number; status: number } {
  const code = `const { CheckpointStore } = await import(${JSON.stringify(STORE_MODULE)});
    const { spawnSync } = await import("node:child_process");
    const times = [];
    for (let i = 0; i < 3; i++) { const t = performance.now(); spawnSync("git", ["status", "--porcelain"], { stdio: "ignore" }); times.push(performance.now() - t); }
    const store = new CheckpointStore(${JSON.stringify(home)}, ${JSON.stringify(ws)});
    const t = performance.now();
    await store.locked(() => store.checkpoint("exec_command", "first"));
    process.stdout.write(JSON.stringify({ ours: performance.now() - t, status: times.sort((a, b) => a - b)[1] }));`;
  const [file, ...args] = [...prefix, process.execPath, "--input-type=module", "-e", code];
  const out = execFileSync(file!, args, {
    cwd: ws,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", ...env },
    timeout: 300_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return JSON.parse(out) as { ours: number; status: number };
}

/**
 * The same as uid 65534, for a bench run as root: root reads every file without a check, a user does not. The tree
 * is handed to that user first (chown, then one git status as them, which refreshes the index's stat data as the
 * user's own git would). Runs last: the tree is theirs afterwards.
 */
function firstAsUser(ctx: BenchContext, ws: string): { ours: number; status: number } | string {
  if (process.getuid?.() !== 0) return "the bench is not root: the first row is already a user's";
  const setpriv = ["setpriv", "--reuid", String(NOBODY), "--regid", String(NOBODY), "--clear-groups"];
  try {
    chmodSync(ctx.tmp, 0o755);
    const home = join(ctx.tmp, "user-home");
    mkdirSync(home, { mode: 0o700 });
    execFileSync("chown", ["-R", `${NOBODY}:${NOBODY}`, ws, home], { timeout: 300_000 });
    execFileSync(setpriv[0]!, [...setpriv.slice(1), "git", "status", "--porcelain"], {
      cwd: ws,
      env: { ...process.env, HOME: ctx.tmp, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" },
      timeout: 300_000,
      stdio: "ignore",
    });
    return firstInFreshProcess(ws, home, setpriv, { HOME: ctx.tmp });
  } catch (error) {
    return `not measured: ${((error as { stderr?: string }).stderr || (error as Error).message).trim().split("\n")[0]}`;
  }
}

const ms = (v: number) => `${v.toFixed(0)} ms`;
const mb = (v: number) => `${(v / 1024 / 1024).toFixed(1)} MB`;
const k = `${Math.round(FILES / 1000)}k`;

export default async function checkpointBench(ctx: BenchContext): Promise<BenchRow[]> {
  const ws = join(ctx.tmp, "ws");
  const home = join(ctx.tmp, "home");
  mkdirSync(ws, { recursive: true });
  ctx.progress(`making a committed ${FILES}-file git repository`);
  makeTree(ws, FILES);
  const plain = join(ctx.tmp, "plain");
  cpSync(ws, plain, { recursive: true });
  gitIn(ws, "init", "-q");
  gitIn(ws, "add", "-A");
  gitIn(ws, "commit", "-q", "-m", "tree");
  gitIn(ws, "gc", "-q");
  const gitStatus = () => spawnSync("git", ["status", "--porcelain"], { cwd: ws, stdio: "ignore", env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null" } });
  gitStatus(); // page cache, and the index's stat data as git status leaves it
  const config = benchConfig(home, ws);
  const store = new CheckpointStore(home, ws);

  ctx.progress("first checkpoint of the git repository");
  const { ours: first, status: statusFirst } = firstInFreshProcess(ws, home);
  ctx.progress("housekeeping after it (makes the store self-contained where that applies)");
  const settleStart = performance.now();
  await store.locked(() => store.maintain());
  const settle = performance.now() - settleStart;

  // Each row times git status and ours in turns, on the same state (the load of a shared machine moves both alike).
  const paired = async (before: (i: number) => void, ours: () => Promise<number | void>): Promise<{ ours: number; status: number }> => {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      before(i);
      let start = performance.now();
      gitStatus();
      a.push(performance.now() - start);
      start = performance.now();
      const own = await ours();
      b.push(typeof own === "number" ? own - start : performance.now() - start);
    }
    return { ours: median(b), status: median(a) };
  };
  ctx.progress("checkpoint, nothing changed");
  const steady = await paired(() => undefined, () => store.locked(() => store.checkpoint("exec_command", "$ true")).then(() => undefined));
  const same = steady.ours;
  const status = steady.status;
  ctx.progress("checkpoint, one file changed");
  // What exec_command waits for: the files read into the shadow index (its tree and record follow while the command runs).
  const fullTimes: number[] = [];
  const oneRow = await paired(
    (i) => writeFileSync(join(ws, "pkg7", "m7", "f3.ts"), `changed ${i}\n`),
    async () => {
      const start = performance.now();
      let waited = 0;
      await store.locked(async () => {
        const listed = await store.checkpointListed("exec_command", "$ true", store.reserve().seq);
        waited = performance.now();
        await listed.done;
      });
      fullTimes.push(performance.now() - start);
      return waited;
    },
  );
  const one = oneRow.ours;
  const statusOne = oneRow.status;
  const oneFull = median(fullTimes);
  ctx.progress("restore of one file");
  const target = store.records().at(-1)!;
  const restoreRow = await paired(
    (i) => writeFileSync(join(ws, "pkg7", "m7", "f3.ts"), `spoiled ${i}\n`),
    () =>
      store.locked(async () => {
        const snap = await store.snapshot();
        await store.record("restore_checkpoint", "restore one file", snap);
        const answer = await restoreFromTree(store, target, snap.tree, ["pkg7/m7/f3.ts"], false);
        if (answer.restored_total !== 1) throw new Error(`restore wrote ${answer.restored_total} files`);
      }),
  );
  const restore = restoreRow.ours;
  const statusRestore = restoreRow.status;
  const bigStore = duBytes(join(home, "checkpoints"));

  ctx.progress("exec_command true over HTTP right after a one-file write");
  let http: number | null = null;
  let bare: number | null = null;
  const available = await sandboxAvailability();
  if (available.available && available.kind === "bubblewrap") {
    const bwrapTrue = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--", "true"];
    bare = await timed(RUNS, () => undefined, () => run(available.program!, [...isolationArgs(available.features!, false), ...bwrapTrue]));
    saveConfig(home, config);
    const { child, port } = await startServe(home);
    try {
      const headers = { authorization: `Bearer ${config.token}`, "content-type": "application/json" };
      const call = async () => {
        const answer = (await (await fetch(`http://127.0.0.1:${port}/exec_command`, { method: "POST", headers, body: JSON.stringify({ command: "true" }) })).json()) as { checkpoint?: string };
        if (!answer.checkpoint) throw new Error(`no checkpoint in ${JSON.stringify(answer)}`);
      };
      await call(); // the box starts once per workspace
      // A pause before each call, as between two calls of a GPT: the previous checkpoint's tree and record (written
      // after its answer) are done by then. Not timed.
      const settle = () => new Promise((resolve) => setTimeout(resolve, 500));
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        writeFileSync(join(ws, "pkg9", "m9", "f1.ts"), `http ${i}\n`);
        await settle();
        const start = performance.now();
        await call();
        times.push(performance.now() - start);
      }
      http = median(times);
    } finally {
      await stopChild(child);
    }
  }

  ctx.progress(`first checkpoint of the same ${FILES} files without git`);
  const plainStore = new CheckpointStore(join(ctx.tmp, "plain-home"), plain);
  const plainStart = performance.now();
  await plainStore.locked(() => plainStore.checkpoint("exec_command", "first"));
  const plainFirst = performance.now() - plainStart;

  ctx.progress(`${EDITS} small edits, one checkpoint each (200-file workspace)`);
  const small = join(ctx.tmp, "small");
  const smallHome = join(ctx.tmp, "small-home");
  mkdirSync(small, { recursive: true });
  makeTree(small, 200);
  const smallStore = new CheckpointStore(smallHome, small);
  for (let i = 0; i < EDITS; i++) {
    writeFileSync(join(small, `pkg${i % 5}`, `m${i % 5}`, `f${i % 20}.ts`), `export const edited = ${i};\n// ${"y".repeat(40)}\n`);
    await smallStore.locked(() => smallStore.checkpoint("write_file", `edit ${i}`));
    if (smallStore.needsMaintenance()) await smallStore.locked(() => smallStore.maintain());
  }
  const editsStore = duBytes(join(smallHome, "checkpoints"));

  ctx.progress(`first checkpoint of the ${FILES}-file repository as a user who is not root (uid ${NOBODY})`);
  const asUser = firstAsUser(ctx, ws);

  const ratioFirst = first / statusFirst;
  const ratioSame = same / status;
  const ratioOne = one / statusOne;
  const ratioRestore = restore / statusRestore;
  const rows: BenchRow[] = [
    {
      name: `first checkpoint, committed clean ${k}-file repository vs git status`,
      ours: ms(first),
      baseline: ms(statusFirst),
      ratio: ratioFirst,
      goal: "< 5 s (aim: ≈ 1×)",
      met: first < 5_000,
      note: `in a process of its own, as a server meets it, as ${process.getuid?.() === 0 ? "root (reads every file without a check)" : `uid ${process.getuid?.()}`}; before the shadow's own git status, the user's index is read and each entry checked (once, in this process); then housekeeping (background, after the answer) ${ms(settle)}; store ${mb(bigStore)} after the runs below`,
    },
    { name: `checkpoint, nothing changed (${k} files) vs git status`, ours: ms(same), baseline: ms(status), ratio: ratioSame, goal: "≤ 1.5×", met: ratioSame <= 1.5 },
    {
      name: `checkpoint after a one-file write (${k} files), until the command may start, vs git status`,
      ours: ms(one),
      baseline: ms(statusOne),
      ratio: ratioOne,
      goal: "≤ 1.5×",
      met: ratioOne <= 1.5,
      note: `with its tree and record (written while the command runs) ${ms(oneFull)}`,
    },
    { name: `restore of one file, its checkpoint included (${k} files) vs git status`, ours: ms(restore), baseline: ms(statusRestore), ratio: ratioRestore, goal: "≤ 2×", met: ratioRestore <= 2 },
  ];
  if (http !== null && bare !== null) {
    const ratio = http / (statusOne + bare);
    rows.push({ name: `exec_command true over HTTP after a one-file write (${k}) vs git status + bare bwrap`, ours: ms(http), baseline: `${ms(statusOne)} + ${ms(bare)}`, ratio, goal: "≤ 1.5×", met: ratio <= 1.5 });
  }
  if (typeof asUser === "string") {
    rows.push({ name: `first checkpoint (${k}) as a user who is not root`, ours: "-", baseline: "-", ratio: null, goal: "-", met: null, note: asUser });
  } else {
    rows.push({
      name: `first checkpoint (${k}) as a user who is not root (uid ${NOBODY}) vs their git status`,
      ours: ms(asUser.ours),
      baseline: ms(asUser.status),
      ratio: asUser.ours / asUser.status,
      goal: "< 5 s (aim: ≈ 1×)",
      met: asUser.ours < 5_000,
      note: "a user's own files are not checked one by one (git read them when it wrote their stat data); files of another owner are",
    });
  }
  rows.push(
    { name: `first checkpoint, the same ${k} files without git`, ours: ms(plainFirst), baseline: "-", ratio: null, goal: "-", met: null, note: "no index to start from: every file is read once; an action waits at most 5 s for it" },
    { name: `store size after ${EDITS} small edits (one checkpoint each)`, ours: mb(editsStore), baseline: "-", ratio: null, goal: "a few MB", met: editsStore <= 8 * 1024 * 1024 },
  );
  return rows;
}
