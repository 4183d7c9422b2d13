import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ActionError } from "../ground/errors.js";
import { compileGlob } from "../files/globFilter.js";
import { ancestorLevels } from "../files/ignoreRules.js";
import { PathVisibility } from "../files/pathVisibility.js";
import { comparePaths, isSameOrBelow } from "../files/treeOrder.js";
import { gitEnvironment } from "../git/run.js";
import { invalidRegex } from "./matcher.js";
import { PageCollector } from "./page.js";
import { rebasedRules, ripgrepArgs } from "./ripgrepArgs.js";
import { RgEventReader, type FinishedFile } from "./rgEvents.js";
import { END_OF_FILE, type SearchPage, type SearchRequest } from "./types.js";

const STDERR_KEEP = 16 * 1024;
/** Past this many matching lines, the unsorted run gives way to a sorted one that can stop at a full page. */
const PARALLEL_MATCH_CAP = 5000;
/** An unsorted run must finish by then; a sorted run (which can hand out a cursor at any point) takes over. */
const PARALLEL_MAX_MS = 10_000;

/**
 * The ripgrep backend: `rg --json` (argument list, no shell, `--` before the
 * pattern). First rg runs unsorted, on all cores, and we sort its files into
 * result order ourselves - `--sort path` makes rg single-threaded and about
 * half as fast. When that run finds too many matches (a page needs only a
 * few), a sorted run streams results in order and is stopped as soon as the
 * page is full. A file rg flags as binary is dropped whole, and every file rg
 * reports is checked against the walker's own rules (PathVisibility), so both
 * engines answer from exactly the same files. Deep pages re-run rg from the
 * start and skip what the cursor already returned.
 */
export async function runRipgrep(rg: string, request: SearchRequest, budget: number): Promise<SearchPage> {
  const ancestors = request.startIsFile ? [] : ancestorLevels(request.root, request.start);
  const visibility = request.startIsFile
    ? null
    : new PathVisibility(request.root, request.start, ancestors, {
        includeHidden: false,
        glob: request.glob ? compileGlob(request.glob) : null,
        forbidden: request.forbidden,
      });
  const skipFile = (path: string) =>
    (request.after !== null && (comparePaths(path, request.after.path) < 0 || (path === request.after.path && request.after.line === END_OF_FILE))) ||
    request.forbidden.some((f) => isSameOrBelow(path, f)) ||
    (visibility !== null && !visibility.fileVisible(path));
  const rules = rebasedRules(ancestors);
  const scratch = rules ? mkdtempSync(join(tmpdir(), "cgc-rg-")) : null;
  const ignoreFile = scratch ? join(scratch, "ancestors.gitignore") : null;
  if (ignoreFile) writeFileSync(ignoreFile, rules, { mode: 0o600 });
  try {
    const unsorted = await runUnsorted(rg, ripgrepArgs(request, ignoreFile, false), request, budget, skipFile);
    if (unsorted) return unsorted;
    return await runSorted(rg, ripgrepArgs(request, ignoreFile, true), request, budget, skipFile);
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

/** All matching files, sorted here; null when there are too many matches or it takes too long. */
async function runUnsorted(rg: string, args: string[], request: SearchRequest, budget: number, skipFile: (path: string) => boolean): Promise<SearchPage | null> {
  const files: FinishedFile[] = [];
  let matchLines = 0;
  const completed = await runRg(rg, args, request, Math.min(request.softDeadline, Date.now() + PARALLEL_MAX_MS), skipFile, (file) => {
    matchLines += file.matchEvents;
    files.push(file);
    return matchLines <= PARALLEL_MATCH_CAP;
  });
  if (!completed || matchLines > PARALLEL_MATCH_CAP) return null;
  files.sort((a, b) => comparePaths(a.path, b.path));
  const collector = new PageCollector(request.limit, budget, request.after);
  for (const file of files) {
    for (const match of file.matches) if (!collector.offer(match)) return collector.page();
  }
  return collector.page();
}

/** Results streamed in order by `rg --sort path`, stopped at a full page or the soft deadline. */
async function runSorted(rg: string, args: string[], request: SearchRequest, budget: number, skipFile: (path: string) => boolean): Promise<SearchPage> {
  const collector = new PageCollector(request.limit, budget, request.after);
  let lastEnded: string | null = null;
  const completed = await runRg(rg, args, request, request.softDeadline, skipFile, (file) => {
    lastEnded = file.path;
    for (const match of file.matches) if (!collector.offer(match)) return false;
    return true;
  });
  if (!completed && !collector.full) collector.stopEarly(lastEnded ? { path: lastEnded, line: END_OF_FILE } : null);
  return collector.page();
}

/**
 * Run rg and hand each finished file to `onFile` until it returns false.
 * Resolves true when rg finished (or onFile stopped it), false at the deadline.
 */
function runRg(
  rg: string,
  args: string[],
  request: SearchRequest,
  deadline: number,
  skipFile: (path: string) => boolean,
  onFile: (file: FinishedFile) => boolean,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(rg, args, { cwd: request.root, env: gitEnvironment(), stdio: ["ignore", "pipe", "pipe"] });
    const reader = new RgEventReader({ contextLines: request.contextLines, cap: request.limit + 1, after: request.after, skipFile }, onFile);
    let done = false;
    let stderr = "";
    const finish = (outcome: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      outcome();
    };
    const timer = setTimeout(() => finish(() => resolve(false)), Math.max(0, deadline - Date.now()));
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      if (!done && !reader.write(chunk)) finish(() => resolve(true));
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      if (stderr.length < STDERR_KEEP) stderr += chunk;
    });
    child.on("error", (error) => finish(() => reject(new ActionError("INTERNAL", `could not run ripgrep: ${error.message}`))));
    child.on("close", (code) => {
      if (done) return;
      if (code === 2 && /regex parse error|error parsing|literal .* not allowed|regex.*(too big|exceeded)/i.test(stderr)) {
        return finish(() => reject(invalidRegex(cleanError(stderr, request.root))));
      }
      if (code !== 0 && code !== 1 && code !== 2) {
        return finish(() => reject(new ActionError("INTERNAL", `ripgrep failed: ${cleanError(stderr, request.root) || `exit ${code}`}`)));
      }
      // Exit 2 without a regex error means some files could not be read; the rest is a valid answer.
      finish(() => resolve(true));
    });
  });
}

/** rg's message without absolute paths of the workspace, on a few lines. */
function cleanError(stderr: string, root: string): string {
  return stderr.split(root).join(".").trim().split("\n").slice(0, 12).join("\n").slice(0, 800);
}
