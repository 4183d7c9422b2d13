import { spawn } from "node:child_process";
import { closeSync, lstatSync, readlinkSync, readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { ActionError } from "../ground/errors.js";
import { jsonCost, jsonStringCost } from "../files/budget.js";
import { isConfigTwin } from "../files/configTwins.js";
import { ConfinedDir } from "../files/confinedFs.js";
import { openEntry } from "../files/openInside.js";
import { runGitCapped } from "../files/gitCapped.js";
import { GIT_BASE_ARGS, gitInvocation, type GitInvocation } from "./run.js";

/**
 * git_diff's engine: every changed file listed with its counts, each file's
 * diff capped on its own (so one huge file cannot hide the others), untracked
 * files shown as added files (read by us through confined folder handles, never
 * through a symlink), and the whole answer kept inside the response budget.
 */
export interface DiffFileEntry {
  path: string;
  /** modified | added | deleted | renamed | copied | type_changed | unmerged | unknown */
  status: string;
  added: number;
  removed: number;
  /** This file's diff is not shown whole (per-file cap, answer budget or time). */
  truncated: boolean;
  orig_path?: string;
  binary?: boolean;
  untracked?: boolean;
}

export interface DiffRequest {
  root: string;
  /** Workspace-relative pathspec ("." for everything), taken literally. */
  pathspec: string;
  staged: boolean;
  context: number;
  includeUntracked: boolean;
  /** The tool's config folder: its files never appear, also not under another name. */
  home: string;
  /** Workspace-relative folders that are off limits (the config folder when inside). */
  forbidden: readonly string[];
  deadline: number;
  signal?: AbortSignal;
  /** Characters the answer may spend on the file list and the diff together (max_chars). */
  budget: number;
  /** A continuation (cursor): the pathspec's one tracked file, from this line of its diff on. */
  skipLines?: number;
  /** The exact call that shows more of a cut file; the action words it, since it knows its own arguments. */
  callFor: (more: MoreOf) => string;
}

/**
 * How to see more of a cut file: alone (several files shared the answer), the
 * rest of its diff (it had the answer to itself), or, for an untracked file
 * (its diff is its content), read_file from the first line not shown.
 */
export type MoreOf =
  | { kind: "alone"; path: string }
  | { kind: "rest"; path: string; skipLines: number }
  | { kind: "read"; path: string; startLine: number };

export interface DiffAnswer {
  diff: string;
  truncated: boolean;
  files: DiffFileEntry[];
  files_total: number;
  /** The first cut file's way on (each cut file's marker in the diff names its own). */
  more?: MoreOf;
}

/** One file's diff is kept up to this many characters while git streams (the answer budget may cut more). */
export const PER_FILE_CAP = 20_000;
/** At most this share of the answer goes to the file list. */
const FILES_SHARE = 1 / 3;
/** Untracked files read at most. */
const MAX_UNTRACKED = 2_000;
/** Bytes of an untracked file scanned for its line count. */
const COUNT_LIMIT = 64 * 1024 * 1024;
/** All kept sections together; beyond it, new sections keep only a little. */
const KEEP_TOTAL = 4 * 1024 * 1024;

const STATUS_NAMES: Record<string, string> = {
  M: "modified",
  A: "added",
  D: "deleted",
  R: "renamed",
  C: "copied",
  T: "type_changed",
  U: "unmerged",
};

interface Section {
  text: string;
  /** Cut while collecting (per-file cap, or git stopped). */
  cut: boolean;
  refused?: boolean;
  /** Its very first line was longer than the cap (a continuation can start at such a line), so text is empty. */
  overlong?: boolean;
}

export async function collectDiff(request: DiffRequest): Promise<DiffAnswer> {
  const invocation = await gitInvocation(request.root);
  const timeLeft = () => Math.max(1_000, request.deadline - Date.now() - 3_000);
  const common = [
    "--literal-pathspecs",
    "diff",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--relative",
    "--ignore-submodules=dirty",
    ...(request.staged ? ["--cached"] : []),
  ];
  const opts = () => ({ timeoutMs: Math.min(20_000, timeLeft()), signal: request.signal, invocation });
  const [names, counts, untrackedList] = await Promise.all([
    runGitCapped([...common, "--name-status", "-z", "--", request.pathspec], request.root, 16 * 1024 * 1024, opts()),
    runGitCapped([...common, "--numstat", "-z", "--", request.pathspec], request.root, 16 * 1024 * 1024, opts()),
    request.staged || !request.includeUntracked
      ? Promise.resolve(null)
      : runGitCapped(["--literal-pathspecs", "ls-files", "--others", "--exclude-standard", "-z", "--", request.pathspec], request.root, 8 * 1024 * 1024, opts()),
  ]);
  const tracked = parseNameStatus(names.stdout);
  applyNumstat(tracked, counts.stdout);
  const skipLines = request.skipLines ?? 0;
  if (skipLines > 0 && (tracked.length !== 1 || (untrackedList?.stdout ?? "") !== "")) {
    throw new ActionError("BAD_REQUEST", "invalid cursor: the diff it continues has changed (it no longer is one tracked file's)", {
      hint: "Call git_diff again without cursor.",
    });
  }
  const hidden = (path: string) => request.forbidden.some((folder) => path === folder || path.startsWith(`${folder}/`));
  const untracked = untrackedList
    ? untrackedList.stdout
        .split("\0")
        .filter((p) => p !== "" && !hidden(p))
        .sort()
    : [];
  // One file alone gets the whole answer; several share it, each capped.
  const perFileCap = tracked.length + untracked.length <= 1 ? request.budget : Math.min(PER_FILE_CAP, request.budget);

  // The patch itself, streamed: each file's part kept up to the cap.
  const sections = tracked.length > 0 ? await streamSections(common, request, invocation, perFileCap, Math.min(25_000, timeLeft()), skipLines) : [];
  const entries: DiffFileEntry[] = [];
  const texts: Section[] = [];
  for (let i = 0; i < tracked.length; i++) {
    const entry = tracked[i]!;
    if (hidden(entry.path)) continue;
    let section = sections[i] ?? { text: "", cut: true };
    if (isTwin(request.root, entry.path, request.home)) section = refusedSection(entry.path);
    entries.push(entry);
    texts.push(section);
  }

  {
    const paths = untracked;
    for (const path of paths.slice(0, MAX_UNTRACKED)) {
      const { entry, section } = untrackedFile(request, path, Date.now() < request.deadline - 4_000 ? perFileCap : 0);
      entries.push(entry);
      texts.push(section);
    }
    if (paths.length > MAX_UNTRACKED) {
      // Listed by count only: the rest are in git_status.
      for (const path of paths.slice(MAX_UNTRACKED)) {
        entries.push({ path, status: "added", added: 0, removed: 0, truncated: true, untracked: true });
        texts.push({ text: "", cut: true });
      }
    }
  }
  return assemble(entries, texts, names.cut || counts.cut || (untrackedList?.cut ?? false), request, skipLines);
}

function isTwin(root: string, path: string, home: string): boolean {
  try {
    return isConfigTwin(lstatSync(`${root}/${path}`), home);
  } catch {
    return false;
  }
}

function refusedSection(path: string): Section {
  return { text: `diff --git a/${path} b/${path}\n[not shown: this file is the tool's config file under another name]\n`, cut: false, refused: true };
}

/** `git diff --name-status -z`: status, path (and a second path for renames and copies). */
export function parseNameStatus(output: string): DiffFileEntry[] {
  const tokens = output.split("\0");
  const entries: DiffFileEntry[] = [];
  for (let i = 0; i < tokens.length; ) {
    const code = tokens[i++]!;
    if (code === "") continue;
    const letter = code[0]!;
    const status = STATUS_NAMES[letter] ?? "unknown";
    if (letter === "R" || letter === "C") {
      const from = tokens[i++] ?? "";
      const to = tokens[i++] ?? "";
      entries.push({ path: to, orig_path: from, status, added: 0, removed: 0, truncated: false });
    } else {
      entries.push({ path: tokens[i++] ?? "", status, added: 0, removed: 0, truncated: false });
    }
  }
  return entries;
}

/** `git diff --numstat -z`, in the same order as --name-status: fills in the counts ("-" for binary files). */
export function applyNumstat(entries: DiffFileEntry[], output: string): void {
  const tokens = output.split("\0");
  let n = 0;
  for (let i = 0; i < tokens.length && n < entries.length; ) {
    const record = tokens[i++]!;
    if (record === "") continue;
    const [added, removed, path] = record.split("\t");
    // A rename: "added\tremoved\t" then the two paths as their own records.
    if (path === "") i += 2;
    const entry = entries[n++]!;
    if (added === "-" || removed === "-") entry.binary = true;
    else {
      entry.added = Number(added) || 0;
      entry.removed = Number(removed) || 0;
    }
  }
}

/** Run the patch and split it into one section per file, each kept up to `cap` characters. */
function streamSections(common: string[], request: DiffRequest, invocation: GitInvocation, cap: number, timeoutMs: number, skipLines: number): Promise<Section[]> {
  return new Promise((resolve, reject) => {
    const args = [...GIT_BASE_ARGS, ...invocation.prefix, ...common, `--unified=${request.context}`, "--", request.pathspec];
    const child = spawn("git", args, { cwd: request.root, env: invocation.env, stdio: ["ignore", "pipe", "pipe"], signal: request.signal });
    const sections: Section[] = [];
    const decoder = new StringDecoder("utf8");
    let partial = "";
    let kept = 0;
    let stderr = "";
    let stopped = false;
    let settled = false;
    let skipped = 0;
    const take = (line: string) => {
      if (skipped < skipLines) {
        // A continuation: the lines an earlier answer showed (a piece without "\n" is part of a longer line).
        if (line.endsWith("\n")) skipped++;
        return;
      }
      if (line.startsWith("diff --git ") || sections.length === 0) sections.push({ text: "", cut: false });
      const section = sections.at(-1)!;
      if (section.cut) return;
      const limit = kept > KEEP_TOTAL ? Math.min(cap, 2_000) : cap;
      if (section.text.length + line.length > limit) {
        section.cut = true;
        if (section.text === "") section.overlong = true;
        return;
      }
      section.text += line;
      kept += line.length;
    };
    const timer = setTimeout(() => {
      stopped = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      const text = partial + decoder.write(chunk);
      let start = 0;
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
        take(text.slice(start, nl + 1));
        start = nl + 1;
      }
      partial = text.slice(start);
      // A single line longer than any cap: no need to hold it.
      if (partial.length > cap) {
        take(partial);
        partial = "";
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      if (stderr.length < 8192) stderr += chunk;
    });
    child.on("error", (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new ActionError("INTERNAL", `git diff failed: ${error.message}`));
    });
    child.on("close", (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const rest = partial + decoder.end();
      if (rest !== "") take(rest);
      if (stopped) {
        // Time ran out: the files git did not reach are listed without a diff.
        sections.at(-1) && (sections.at(-1)!.cut = true);
        return resolve(sections);
      }
      if (code !== 0) return reject(new ActionError("INTERNAL", `git diff failed: ${(stderr.trim().split("\n")[0] ?? "").slice(0, 300)}`));
      resolve(sections);
    });
  });
}

/** An untracked file as an added file: read through confined folder handles, never through a symlink. */
function untrackedFile(request: DiffRequest, path: string, cap: number): { entry: DiffFileEntry; section: Section } {
  const entry: DiffFileEntry = { path, status: "added", added: 0, removed: 0, truncated: false, untracked: true };
  const parts = path.split("/");
  const name = parts.pop()!;
  let dir: ConfinedDir;
  try {
    dir = ConfinedDir.open(request.root, parts, false);
  } catch {
    entry.truncated = true;
    return { entry, section: { text: "", cut: true } };
  }
  try {
    const stat = lstatSync(dir.entry(name));
    if (stat.isSymbolicLink()) {
      const target = readlinkSync(dir.entry(name));
      entry.added = 1;
      const text = `diff --git a/${path} b/${path}\nnew file mode 120000\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1 @@\n+${target}\n\\ No newline at end of file\n`;
      return { entry, section: { text, cut: false } };
    }
    const opened = openEntry(dir, name);
    if (!opened || !opened.stat.isFile()) {
      if (opened) closeSync(opened.fd);
      entry.truncated = true;
      return { entry, section: { text: "", cut: true } };
    }
    try {
      if (isConfigTwin(opened.stat, request.home)) {
        entry.truncated = true;
        return { entry, section: refusedSection(path) };
      }
      const mode = (opened.stat.mode & 0o111) !== 0 ? "100755" : "100644";
      return readUntracked(opened.fd, opened.stat.size, path, mode, cap, entry);
    } finally {
      closeSync(opened.fd);
    }
  } catch {
    entry.truncated = true;
    return { entry, section: { text: "", cut: true } };
  } finally {
    dir.close();
  }
}

function readUntracked(fd: number, size: number, path: string, mode: string, cap: number, entry: DiffFileEntry): { entry: DiffFileEntry; section: Section } {
  const header = `diff --git a/${path} b/${path}\nnew file mode ${mode}\n`;
  const chunk = Buffer.alloc(256 * 1024);
  let offset = 0;
  let lines = 0;
  let lastByte = -1;
  const kept: Buffer[] = [];
  let keptBytes = 0;
  const keepBytes = cap * 4;
  while (offset < Math.min(size, COUNT_LIMIT)) {
    const n = readSync(fd, chunk, 0, chunk.length, offset);
    if (n <= 0) break;
    const piece = chunk.subarray(0, n);
    if (offset === 0 && piece.subarray(0, 8000).includes(0)) {
      entry.binary = true;
      return { entry, section: { text: `${header}Binary files /dev/null and b/${path} differ\n`, cut: false } };
    }
    for (let i = piece.indexOf(10); i !== -1; i = piece.indexOf(10, i + 1)) lines++;
    lastByte = piece[n - 1]!;
    if (keptBytes < keepBytes) {
      const take = piece.subarray(0, Math.min(n, keepBytes - keptBytes));
      kept.push(Buffer.from(take));
      keptBytes += take.length;
    }
    offset += n;
  }
  const noFinalNewline = offset > 0 && lastByte !== 10;
  entry.added = lines + (noFinalNewline ? 1 : 0);
  if (offset < size) entry.truncated = true;
  if (entry.added === 0) return { entry, section: { text: header, cut: false } };
  let body = `${header}--- /dev/null\n+++ b/${path}\n@@ -0,0 +1${entry.added === 1 ? "" : `,${entry.added}`} @@\n`;
  const content = Buffer.concat(kept).toString("utf8");
  const contentLines = content.split("\n");
  if (content.endsWith("\n")) contentLines.pop();
  let cut = keptBytes < Math.min(size, COUNT_LIMIT);
  for (let i = 0; i < contentLines.length; i++) {
    // The last kept line may be cut in the middle when more follows: leave it out.
    if (cut && i === contentLines.length - 1) break;
    const line = `+${contentLines[i]}\n`;
    if (body.length + line.length > cap) {
      cut = true;
      break;
    }
    body += line;
    if (i === contentLines.length - 1 && noFinalNewline && !cut) body += "\\ No newline at end of file\n";
  }
  return { entry, section: { text: body, cut } };
}

/**
 * The answer: the file list first (cut to its share), then every listed file's
 * diff, the budget shared so that small diffs stay whole and big ones get an
 * equal share (max-min fairness), each cut at a line boundary with a marker
 * that names the call showing the rest.
 */
function assemble(entries: DiffFileEntry[], sections: Section[], listCut: boolean, request: DiffRequest, skipLines: number): DiffAnswer {
  const filesBudget = Math.floor(request.budget * FILES_SHARE);
  let filesCost = 0;
  let listed = 0;
  for (const entry of entries) {
    // Count each entry as if truncated were true (its longest form).
    const cost = jsonCost({ ...entry, truncated: true });
    if (filesCost + cost > filesBudget) break;
    filesCost += cost;
    listed++;
  }
  const files = entries.slice(0, listed);
  const shown = sections.slice(0, listed);
  // A file with the answer to itself is paged (cursor); files sharing it are each shown more when asked alone.
  const alone = entries.length === 1;
  const budget = request.budget - filesCost;
  const sizes = shown.map((s, i) => jsonStringCost(s.text) + (s.cut ? markerRoom(files[i]!) : 0));
  const alloc = new Array<number>(shown.length).fill(0);
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[a]! - sizes[b]!);
  let remaining = budget;
  order.forEach((index, k) => {
    const share = Math.floor(remaining / (order.length - k));
    alloc[index] = Math.min(sizes[index]!, share);
    remaining -= alloc[index]!;
  });
  let diff = skipLines > 0 && files[0] ? `[… diff of ${shortPath(files[0].path)} continued from its line ${skipLines + 1} …]\n` : "";
  let anyCut = listCut || listed < entries.length;
  let more: MoreOf | undefined;
  shown.forEach((section, i) => {
    const entry = files[i]!;
    const fits = jsonStringCost(section.text) + (section.cut ? markerRoom(entry) : 0) <= alloc[i]!;
    if (fits && !section.cut) {
      diff += section.text;
      return;
    }
    entry.truncated = true;
    anyCut = true;
    if (section.refused) {
      diff += section.text;
      return;
    }
    const room = alloc[i]! - markerRoom(entry);
    if (room <= 0 && !alone) {
      more ??= wayOn(entry, false, "", false, 0);
      return;
    }
    const kept = room > 0 ? cutLines(section.text, room) : "";
    const stuck = kept === "" && (section.text !== "" || section.overlong === true);
    const way = wayOn(entry, stuck, kept, alone, skipLines);
    more ??= way;
    diff += kept + marker(entry, way, request.callFor(way), stuck ? skipLines + 1 : null);
  });
  for (const entry of files) if (entry.truncated) anyCut = true;
  // Files left out of the list: the first of them, asked for alone.
  if (more === undefined && listed < entries.length) more = { kind: "alone", path: entries[listed]!.path };
  return { diff, truncated: anyCut, files, files_total: entries.length, ...(more ? { more } : {}) };
}

/**
 * How to see the rest of a cut file. An untracked file's diff is its content,
 * so read_file goes on from its first line not shown; a file alone in the
 * answer continues after the diff lines shown (when not even its next line
 * fits, `stuck`, that line is stepped over and the marker says so); a file
 * that shared the answer is asked for alone.
 */
function wayOn(entry: DiffFileEntry, stuck: boolean, kept: string, alone: boolean, skipLines: number): MoreOf {
  if (entry.untracked) return { kind: "read", path: entry.path, startLine: contentLinesIn(kept) + 1 };
  if (!alone) return { kind: "alone", path: entry.path };
  return { kind: "rest", path: entry.path, skipLines: skipLines + (stuck ? 1 : lineCount(kept)) };
}

/** Lines of an untracked file's content in a (cut) diff of it: those after its one `@@` line. */
function contentLinesIn(diff: string): number {
  const hunk = diff.indexOf("\n@@ ");
  if (hunk === -1) return 0;
  const body = diff.indexOf("\n", hunk + 1) + 1;
  return body === 0 ? 0 : lineCount(diff.slice(body));
}

function lineCount(text: string): number {
  let count = 0;
  for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", nl + 1)) count++;
  return count;
}

/** Room a file's marker takes: the words, a cursor, and the path twice (once cut short, once whole in the call). */
function markerRoom(entry: DiffFileEntry): number {
  return 500 + 2 * jsonStringCost(entry.path);
}

function shortPath(path: string): string {
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

function marker(entry: DiffFileEntry, way: MoreOf, call: string, overlongLine: number | null): string {
  const path = shortPath(entry.path);
  if (overlongLine !== null) {
    return `[… line ${overlongLine} of the diff of ${path} is too long for this answer and is left out (read_file shows the file); the rest: ${call} …]\n`;
  }
  const more = way.kind === "read" ? "its lines not shown here" : "the rest";
  return `[… diff of ${path} cut here (${entry.added} added, ${entry.removed} removed lines in all); ${more}: ${call} …]\n`;
}

/** Whole lines of `text` whose JSON form fits `budget` characters. */
function cutLines(text: string, budget: number): string {
  let used = 0;
  let end = 0;
  for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", end)) {
    const cost = jsonStringCost(text.slice(end, nl + 1));
    if (used + cost > budget) break;
    used += cost;
    end = nl + 1;
  }
  return text.slice(0, end);
}
