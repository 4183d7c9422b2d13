/**
 * Files and search, measured in one run on generated data (ours vs the tool a
 * developer would use instead):
 * - search_text over HTTP vs `rg` on the same query, 50,000-file tree, with
 *   the ripgrep backend and with the built-in engine;
 * - list_files of the whole tree (every page, over HTTP) vs `git ls-files`;
 * - read_file of lines 1-200 of a 1 GB file: time (it hashes the whole file,
 *   so `sha256sum` is the baseline) and peak RSS, in a child process of its own.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchConfig, median, medianTime, startServe, stopChild } from "./util.js";
import { locateRipgrep } from "../src/search/locateRipgrep.js";
import type { BenchContext, BenchRow } from "./types.js";

const ROOT_DIST = fileURLToPath(new URL("..", import.meta.url));
const TOP_DIRS = 50;
const SUB_DIRS = 25;
const FILES_PER_DIR = 40;
const RUNS = 5;
const QUERY = "zebra_needle";
const GIG = 1024 * 1024 * 1024;

/** A deterministic tree of TOP_DIRS × SUB_DIRS × FILES_PER_DIR small source-like files. */
function makeTree(root: string): number {
  const words = ["const", "let", "return", "import", "export", "function", "value", "result", "index", "data", "item", "list"];
  let state = 7;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let count = 0;
  writeFileSync(join(root, ".gitignore"), "*.log\nbuild/\n");
  for (let a = 0; a < TOP_DIRS; a++) {
    for (let b = 0; b < SUB_DIRS; b++) {
      const dir = join(root, `pkg${String(a).padStart(2, "0")}`, `mod${String(b).padStart(2, "0")}`);
      mkdirSync(dir, { recursive: true });
      for (let c = 0; c < FILES_PER_DIR; c++) {
        const lines: string[] = [];
        for (let l = 0; l < 30; l++) lines.push(Array.from({ length: 8 }, () => words[Math.floor(next() * words.length)]).join(" "));
        if (count % 500 === 0) lines[10] = `const ${QUERY} = ${count};`;
        writeFileSync(join(dir, `file${String(c).padStart(2, "0")}.ts`), `${lines.join("\n")}\n`);
        count++;
      }
    }
  }
  return count;
}

function makeBigFile(file: string): void {
  const line = `${"lorem ipsum dolor sit amet ".repeat(3)}${"x".repeat(18)}\n`; // 100 bytes
  const block = Buffer.from(line.repeat(80_000)); // 8,000,000 bytes
  const fd = openSync(file, "w");
  try {
    for (let written = 0; written < GIG; written += block.length) writeSync(fd, block);
  } finally {
    closeSync(fd);
  }
}


/** Median wall time of `RUNS` runs after one warm-up (page cache, JIT). */
function timeIt(run: () => Promise<unknown> | unknown): Promise<number> {
  return medianTime(RUNS, 1, run);
}

function runTool(command: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "ignore"] });
    let bytes = 0;
    child.stdout.on("data", (chunk: Buffer) => (bytes += chunk.length));
    child.on("error", reject);
    child.on("close", () => resolve(bytes));
  });
}


interface Server {
  post(action: string, body: unknown): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  stop(): Promise<void>;
}

/** Our server in a process of its own, as the user runs it; `rg` picks the search engine. */
async function startServer(home: string, token: string, rg: string): Promise<Server> {
  const { child, port } = await startServe(home, { CHATGPT_CODEX_RG: rg });
  return {
    async post(action, body) {
      const response = await fetch(`http://127.0.0.1:${port}/${action}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const json = await response.json();
      if (response.status !== 200) throw new Error(`${action}: ${response.status} ${JSON.stringify(json).slice(0, 200)}`);
      return json;
    },
    stop: () => stopChild(child),
  };
}

function row(name: string, ours: number, baseline: number, baselineName: string, goal: number | null, note?: string): BenchRow {
  const ratio = ours / baseline;
  return {
    name,
    ours: `${ours.toFixed(0)} ms`,
    baseline: `${baseline.toFixed(0)} ms ${baselineName}`,
    ratio,
    goal: goal === null ? "-" : `≤ ${goal}×`,
    met: goal === null ? null : ratio <= goal,
    ...(note ? { note } : {}),
  };
}

/** read_file of lines 1-200 through the real action pipeline, in a fresh process: its time and peak RSS. */
function readInChild(home: string): { ms: number; rssMb: number; loadedMb: number; totalLines: number } {
  const script = `
    const { ConfigStore } = await import(${JSON.stringify(join(ROOT_DIST, "src/config/store.js"))});
    const { ResourceBag } = await import(${JSON.stringify(join(ROOT_DIST, "src/ground/resources.js"))});
    const { AuditLog } = await import(${JSON.stringify(join(ROOT_DIST, "src/audit/log.js"))});
    const { runAction } = await import(${JSON.stringify(join(ROOT_DIST, "src/core/runAction.js"))});
    const { findAction } = await import(${JSON.stringify(join(ROOT_DIST, "src/actions/registry.js"))});
    const home = process.argv[1];
    const env = { store: new ConfigStore(home), resources: new ResourceBag(), audit: new AuditLog(home), face: "http" };
    const loadedMb = process.memoryUsage().rss / 1048576;
    const start = performance.now();
    const result = await runAction(findAction("read_file"), { path: "big.txt", start_line: 1, end_line: 200 }, env);
    const ms = performance.now() - start;
    if (!result.ok) throw new Error(result.error.message);
    console.log(JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024, loadedMb, totalLines: result.body.total_lines }));
    process.exit(0);`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script, home], { encoding: "utf8", timeout: 120_000 });
  if (run.status !== 0) throw new Error(`read_file child failed: ${run.stderr.slice(0, 500)}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!);
}

export default async function filesBench(ctx: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const ws = join(ctx.tmp, "ws");
  const home = join(ctx.tmp, "home");
  mkdirSync(ws, { recursive: true });
  ctx.progress("generating the tree…");
  const files = makeTree(ws);
  ctx.progress(`${files} files; committing them for git ls-files…`);
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: ws });
  execFileSync("git", ["add", "-A"], { cwd: ws });
  execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "tree"], { cwd: ws });
  const config = benchConfig(home, ws);

  const rg = locateRipgrep();
  const tree = `${files.toLocaleString("en-US")}-file tree`;
  const rgTime = rg ? await timeIt(() => runTool(rg, ["-i", "-F", "--", QUERY, "."], ws)) : null;
  for (const engine of ["ripgrep", "builtin"] as const) {
    if (engine === "ripgrep" && !rg) {
      rows.push({ name: "search_text (ripgrep backend) vs rg", ours: "-", baseline: "-", ratio: null, goal: "≤ 1.3×", met: null, note: "rg is not installed" });
      continue;
    }
    ctx.progress(`search_text with the ${engine} engine…`);
    const server = await startServer(home, config.token, engine === "ripgrep" ? rg! : "none");
    try {
      let matches = 0;
      const ms = await timeIt(async () => {
        const answer = await server.post("search_text", { query: QUERY });
        matches = answer.matches.length;
        if (answer.engine !== engine) throw new Error(`expected engine ${engine}, got ${answer.engine}`);
      });
      if (rgTime !== null) {
        rows.push(row(`search_text (${engine === "ripgrep" ? "ripgrep backend" : "built-in engine"}) vs rg, ${tree}`, ms, rgTime, "rg -i -F", engine === "ripgrep" ? 1.3 : 4, `${matches} matches; over HTTP, median of ${RUNS}`));
      } else {
        rows.push({ name: `search_text (built-in engine), ${tree}`, ours: `${ms.toFixed(0)} ms`, baseline: "-", ratio: null, goal: "≤ 4× rg", met: null, note: "rg not installed: no baseline" });
      }
      if (engine === "builtin") {
        ctx.progress("list_files over the whole tree…");
        let entries = 0;
        let pages = 0;
        const listMs = await timeIt(async () => {
          entries = 0;
          pages = 0;
          let cursor: string | undefined;
          for (let page = 0; page < 10_000; page++) {
            const answer = await server.post("list_files", { limit: 2000, ...(cursor ? { cursor } : {}) });
            entries += answer.entries.length;
            pages++;
            if (!answer.truncated) break;
            cursor = answer.next_cursor;
          }
        });
        // The largest answer budget, so that the one call really walks the whole tree (the default one stops a third of the way).
        let walked = 0;
        const walkMs = await timeIt(async () => {
          const answer = await server.post("list_files", { glob: `**/file00.ts`, limit: 2000, max_chars: 80_000 });
          if (answer.truncated) throw new Error("list_files full walk: the answer was cut; the row would time a partial walk");
          walked = answer.entries.length;
        });
        const gitMs = await timeIt(() => runTool("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], ws));
        rows.push(row(`list_files full walk (one call walks the whole tree), ${tree}`, walkMs, gitMs, "git ls-files", 1.5, `glob **/file00.ts, max_chars 80,000: every folder is read, 1 file in 40 is returned (${walked.toLocaleString("en-US")}); over HTTP`));
        rows.push(row(`list_files every page of the whole tree over HTTP, ${tree}`, listMs, gitMs, "git ls-files", null, `${entries.toLocaleString("en-US")} entries in ${pages} pages of the default answer budget, each with sizes (lstat): output-bound, shown for scale`));
      }
    } finally {
      await server.stop();
    }
  }

  ctx.progress("writing a 1 GB file…");
  makeBigFile(join(ws, "big.txt"));
  const shaMs = await timeIt(() => runTool("sha256sum", ["big.txt"], ws));
  readInChild(home); // warm the page cache
  const reads = Array.from({ length: 3 }, () => readInChild(home));
  const readMs = median(reads.map((r) => r.ms));
  const rss = Math.max(...reads.map((r) => r.rssMb));
  rows.push(row("read_file lines 1–200 of a 1 GB file (hashes all of it)", readMs, shaMs, "sha256sum", null, `total_lines ${reads[0]!.totalLines.toLocaleString("en-US")}; fresh process per read`));
  rows.push({
    name: "read_file lines 1–200 of a 1 GB file: peak RSS",
    ours: `${rss.toFixed(0)} MB`,
    baseline: "-",
    ratio: null,
    goal: "< 100 MB",
    met: rss < 100,
    note: `whole process, process.resourceUsage().maxRSS; ${Math.max(...reads.map((r) => r.loadedMb)).toFixed(0)} MB of it is node with every action module loaded, before the read`,
  });
  return rows;
}
