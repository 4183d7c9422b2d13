/**
 * `npm run bench`: every suite in this folder, measured in one run, printed as
 * one table of ratios against a baseline (ripgrep, git, a bare Node server…).
 * Benchmarks are not tests: nothing here fails the build.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchRow, BenchSuite } from "./types.js";

const here = dirname(fileURLToPath(import.meta.url));
// Light suites first: the heavy ones (a 50,000-file tree, a 1 GB file) leave the page cache and this process bigger.
const ORDER = ["startup", "server", "exec", "sandbox", "patch", "files", "checkpoints"];
const only = process.argv.slice(2);

function suiteNames(): string[] {
  const found = readdirSync(here)
    .filter((f) => f.endsWith(".js") && !["run.js", "types.js", "util.js"].includes(f))
    .map((f) => f.slice(0, -3));
  return found.sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b));
}

function formatRatio(row: BenchRow): string {
  return row.ratio === null ? "-" : `${row.ratio.toFixed(2)}×`;
}

function printTable(rows: BenchRow[]): void {
  const header = ["benchmark", "ours", "baseline", "ratio", "goal", "met"];
  const body = rows.map((r) => [r.name, r.ours, r.baseline, formatRatio(r), r.goal, r.met === null ? "-" : r.met ? "yes" : "NO"]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((line) => line[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const cells of body) console.log(line(cells));
  const notes = rows.filter((r) => r.note);
  if (notes.length) {
    console.log("");
    for (const r of notes) console.log(`- ${r.name}: ${r.note}`);
  }
}

const rows: BenchRow[] = [];
for (const name of suiteNames()) {
  if (only.length > 0 && !only.includes(name)) continue;
  const tmp = mkdtempSync(join(tmpdir(), `cgc-bench-${name}-`));
  const progress = (message: string) => process.stderr.write(`[bench ${name}] ${message}\n`);
  try {
    const suite = (await import(pathToFileURL(join(here, `${name}.js`)).href)).default as BenchSuite;
    progress("running…");
    rows.push(...(await suite({ tmp, progress })));
  } catch (error) {
    rows.push({ name: `${name} suite`, ours: "error", baseline: "-", ratio: null, goal: "-", met: false, note: String((error as Error).message ?? error) });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
console.log(`\nchatgpt-codex bench — node ${process.version}, ${new Date().toISOString()}\n`);
printTable(rows);
