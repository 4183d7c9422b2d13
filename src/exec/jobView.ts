import { z } from "zod";
import { answerInt } from "./bounds.js";
import { MAX_HIGHLIGHTS } from "./highlights.js";
import { JOB_STATUSES, type Job } from "./job.js";
import { fitJson, jsonSize } from "./jsonBudget.js";
import type { LogLine, Stream } from "./outputLog.js";
import { searchLog } from "./search.js";
import { homedir } from "node:os";
import { sandboxHint } from "../sandbox/hints.js";
import { OUTCOMES, outcomeOf } from "../ground/outcome.js";

/**
 * What exec_command, command_output, kill_command and write_stdin answer
 * (one shape for all). How output is numbered: the job's stdout and stderr
 * form ONE log of lines, numbered 1, 2, 3 … in the order each line was
 * completed; every line keeps its stream. `stdout`/`stderr` show the new
 * lines of each stream (v1), `output` shows numbered lines of both streams
 * for line-range and pattern reads, `highlights` point into the same
 * numbering.
 */
export const JobOutput = z.object({
  status: z
    .enum([...JOB_STATUSES, "awaiting_approval", "denied"])
    .describe(
      "exited: finished by itself (see exit_code); running: still going, also while processes it started in the background live (call command_output); killed: stopped by kill_command; timed_out: hit timeout_seconds; awaiting_approval: not started, the owner must approve it (call command_output); denied: the owner refused it, it never ran.",
    ),
  outcome: z
    .enum(OUTCOMES)
    .optional()
    .describe("Once the command has ended, in one word (the same in the audit log and on the dashboard): ok (exit code 0), failed (exited non-zero, see exit_code), timed_out, killed, denied (the owner refused it). Absent while running or awaiting approval."),
  exit_code: answerInt(0).optional().describe("The command's exit code when status is exited (0 = success; 128+N = ended by signal N)."),
  stdout: z
    .string()
    .describe(
      "Standard output not read before (all of it with from_start), colour codes removed, progress-bar rewrites collapsed. A line without its newline yet (a prompt) is shown as it is; a later answer shows only what was added to it, so each prompt appears once. A long part in the middle is left out with a marker naming the line numbers to read. Empty in a start_line/end_line/pattern read: see output.",
    ),
  stderr: z.string().describe("Standard error, the same way as stdout."),
  truncated: z
    .boolean()
    .describe("true when this answer leaves out part of the output it covers (a marker or next_start_line says which lines; read them with command_output start_line/end_line or pattern)."),
  job_id: z.string().optional().describe("Id for command_output, write_stdin and kill_command."),
  duration_ms: answerInt(0).describe("Time since the command started, or its total run time once finished."),
  has_more_output: z.boolean().describe("A follow-up read continues this one: call command_output with the same job_id (and next_start_line when given)."),
  output_lines: answerInt(0).describe("Lines of output so far (stdout and stderr together, numbered 1 … output_lines in the order they were written)."),
  highlights: z
    .array(
      z.object({
        line: answerInt(1).describe("Line number in the whole output."),
        stream: z.enum(["stdout", "stderr"]),
        text: z.string().describe("The line (cut at 300 characters)."),
        old: z
          .boolean()
          .optional()
          .describe("true: printed before the previous answer for this job, which already covered it; it may be from an earlier run (a watcher's test run that failed, then passed) and not the current state. Absent on lines printed since."),
      }),
    )
    .describe(
      "Up to 20 lines from anywhere in the output that look like failures (not ok, FAIL, Error:, Traceback, npm ERR! …), ordered by line, also from parts this answer leaves out. Lines printed since the previous answer get the places first; earlier ones fill the rest and carry old: true. On a failure look here first, then read around a line with command_output start_line/end_line or pattern.",
    ),
  highlights_total: answerInt(0).describe("How many lines looked like failures in all. Beyond 20, highlights shows the first 14 and the last 6 (of the lines printed since the previous answer, when those alone are more than 20)."),
  output: z
    .string()
    .optional()
    .describe('For start_line/end_line and pattern reads: the lines, each as "N: text" (a pattern\'s match) or "N- text" (context); stderr lines carry "[stderr] "; "--" separates groups.'),
  next_start_line: answerInt(1).optional().describe("The read stopped early (answer size or search time): call command_output again with start_line set to this (same pattern) to continue."),
  matches: answerInt(0).optional().describe("Pattern reads: matching lines found in the searched range."),
  message: z.string().optional().describe("What to do next, for the model."),
  sandbox: z
    .object({
      active: z.boolean().describe("true: the command ran in an OS sandbox (workspace writable, rest of the disk read-only, secrets hidden)."),
      kind: z.enum(["bubblewrap", "seatbelt", "none"]),
      network: z.boolean().describe("Whether the command could reach the network."),
      note: z.string().optional().describe("Set when there is no sandbox: the command ran with the user's full rights."),
      warning: z.string().optional().describe("One line when the sandbox withheld something the workspace's files asked for (a git pointer that changed since the server started)."),
    })
    .optional()
    .describe("How the command ran."),
  hint: z.string().optional().describe("Set when the command seems to have failed because of the sandbox: why, and how the user can allow it."),
  box: z
    .object({ id: z.string(), started_at: z.string().describe("ISO 8601 time the box started.") })
    .optional()
    .describe("The workspace's sandbox box the command ran in: commands of a workspace share its loopback, processes, /tmp and tool caches."),
  background: z
    .array(z.object({ pid: answerInt(1).describe("Process id inside the box (kill PID works from a later command)."), command: z.string() }))
    .optional()
    .describe("Processes this command left running in the box (a server, a watcher): they keep running after the command ended; kill_command with this job_id stops them."),
  network_denied: z
    .array(z.object({ host: z.string(), port: answerInt(0), reason: z.string() }))
    .optional()
    .describe("Connections the sandbox's egress proxy refused for this command (up to 5, newest last), with the reason."),
});

export type JobOutput = z.input<typeof JobOutput>;

/** Output characters an answer spends by default (head + tail + highlights): the model's context is the scarce resource. */
export const DEFAULT_OUTPUT_CHARS = 24_000;
/** The most an answer may spend on output when asked (max_chars), keeping the whole answer under ChatGPT's 100,000. */
export const MAX_OUTPUT_CHARS = 80_000;
export const MIN_OUTPUT_CHARS = 2_000;
/** Share of a cut stream given to its start; the rest goes to its end (where summaries are). */
const HEAD_SHARE = 1 / 3;
/** Matches a pattern read collects before it stops (and offers next_start_line). */
const MAX_MATCHES = 400;
/** Lines at the end of the output the sandbox's failure hint looks at. */
const HINT_LINES = 60;

type Base = Omit<JobOutput, "stdout" | "stderr" | "truncated" | "has_more_output">;

/** The answer's fields besides output; highlights on lines up to `seenThrough` (covered by an earlier answer) are marked old. */
function base(job: Job, seenThrough = job.cursor): { view: Base; highlightCost: number } {
  const highlights = job.log.highlights.select(seenThrough);
  const outcome = outcomeOf({ status: job.status, exitCode: job.exitCode });
  const view: Base = {
    status: job.status,
    ...(outcome !== null ? { outcome } : {}),
    job_id: job.id,
    duration_ms: job.durationMs(),
    output_lines: job.log.totalLines,
    highlights,
    highlights_total: job.log.highlights.count,
  };
  if (job.status === "exited" && job.exitCode !== null) view.exit_code = job.exitCode;
  if (job.sandbox) {
    view.sandbox = { ...job.sandbox.info, ...(job.sandbox.note ? { note: job.sandbox.note } : {}) };
    const denied = job.egress()?.denied ?? [];
    if (denied.length > 0) view.network_denied = uniqueDenials(denied).slice(-5);
    if (!(job.status === "exited" && job.exitCode === 0)) {
      const hint = sandboxHint(recentText(job), job.sandbox, homedir()) ?? (denied.length > 0 ? deniedHint(denied) : undefined) ?? stalledNetworkHint(job);
      if (hint) view.hint = hint;
    }
  }
  if (job.box) view.box = { id: job.box.id, started_at: new Date(job.box.startedAt).toISOString() };
  if (job.background.length > 0) view.background = job.background.slice(0, 20).map(({ pid, command }) => ({ pid, command }));
  return { view, highlightCost: JSON.stringify(highlights).length };
}

/** The proxy's refusals, one per host and port (the latest reason kept). */
function uniqueDenials(denied: { host: string; port: number; reason: string }[]): { host: string; port: number; reason: string }[] {
  const byTarget = new Map<string, { host: string; port: number; reason: string }>();
  for (const { host, port, reason } of denied) {
    const key = `${host}:${port}`;
    byTarget.delete(key);
    byTarget.set(key, { host, port, reason });
  }
  return [...byTarget.values()];
}

function deniedHint(denied: { host: string; reason: string }[]): string {
  const last = denied[denied.length - 1]!;
  return `The sandbox's network proxy refused ${last.host}: ${last.reason}.`;
}

/** Commands that reach the network, whose quiet wait without it is the network being refused or absent. */
const NETWORK_TOOL = new RegExp(
  String.raw`(?:^|[;&|(])\s*(?:` +
    [
      String.raw`(?:npm|pnpm|yarn|bun)\s+(?:install|i|ci|add|update|upgrade)\b`,
      String.raw`(?:pip3?|python3?\s+-m\s+pip|uv\s+pip|poetry)\s+(?:install|download)\b`,
      String.raw`cargo\s+(?:fetch|build|install|update|run|test)\b`,
      String.raw`go\s+(?:mod\s+download|get|install|build|test)\b`,
      String.raw`git\s+(?:clone|fetch|pull|push|ls-remote|submodule)\b`,
      String.raw`(?:curl|wget)\s`,
    ].join("|") +
    ")",
);
/** How long a known network tool may run quietly without network before the running answer says why. */
export const STALL_HINT_MS = 15_000;

/**
 * The early hint: a command known to need the network, started without it, still
 * running after STALL_HINT_MS (most tools retry for minutes before they fail).
 */
export function stalledNetworkHint(job: Pick<Job, "running" | "sandbox" | "durationMs" | "command" | "id">): string | undefined {
  if (!job.running || !job.sandbox?.info.active || job.sandbox.info.network) return undefined;
  if (job.durationMs() < STALL_HINT_MS || !NETWORK_TOOL.test(job.command)) return undefined;
  const retry = JSON.stringify({ command: job.command, network: true });
  return `This command usually needs the network, and it runs without it (the sandbox's default), so it is probably waiting on connections that cannot succeed. Stop it with kill_command {"job_id": "${job.id}"} and call exec_command ${retry}; the user approves that call in ChatGPT.`;
}

/** The last lines of the output (where a failing command says why), for the sandbox's hint. */
function recentText(job: Job): string {
  const lines = [...job.log.read(Math.max(1, job.log.lines - HINT_LINES + 1), job.log.lines), ...job.log.partials()];
  return lines.map((line) => line.text).join("\n");
}

function lineCost(line: LogLine): number {
  return jsonSize(line.text) + (line.partial || line.unterminated ? 0 : 2);
}

interface StreamPart {
  head: LogLine[];
  tail: LogLine[];
  /** Lines left out between head and tail (first and last line number), when cut. */
  gap: { from: number; to: number } | null;
}

/**
 * The default read: each stream's lines after the read cursor (all with
 * fromStart), whole when they fit, else head + marker + tail; the cursor
 * moves to the end.
 */
export function viewJob(job: Job, options: { fromStart?: boolean; budget?: number } = {}): JobOutput {
  const seenThrough = job.cursor;
  const { view, highlightCost } = base(job, seenThrough);
  const budget = Math.max(MIN_OUTPUT_CHARS / 2, (options.budget ?? DEFAULT_OUTPUT_CHARS) - highlightCost);
  const log = job.log;
  const from = options.fromStart ? 1 : seenThrough + 1;
  const to = log.lines;
  // What an earlier answer showed of a line while it was being written (a prompt) is not shown again.
  const unseen = options.fromStart ? (line: LogLine) => line : (line: LogLine) => unshownPart(log, line);
  const partials = log.partials().map(unseen).filter((line) => line.text.length > 0);

  // One forward pass measures both streams (up to the whole budget each) and keeps their heads.
  const seen: Record<Stream, { lines: LogLine[]; cost: number }> = { stdout: { lines: [], cost: 0 }, stderr: { lines: [], cost: 0 } };
  const full = (stream: Stream) => seen[stream].cost > budget;
  log.read(from, to, (raw) => {
    const line = unseen(raw);
    const entry = seen[line.stream];
    if (entry.cost <= budget) {
      entry.lines.push(line);
      entry.cost += lineCost(line);
    }
    return full("stdout") && full("stderr");
  });
  for (const partial of partials) {
    seen[partial.stream].lines.push(partial);
    seen[partial.stream].cost += lineCost(partial);
  }
  const [outBudget, errBudget] = shareBudget(seen.stdout.cost, seen.stderr.cost, budget);
  const parts: Record<Stream, StreamPart> = {
    stdout: cutStream(job, "stdout", seen.stdout, outBudget, from, to, partials, unseen),
    stderr: cutStream(job, "stderr", seen.stderr, errBudget, from, to, partials, unseen),
  };
  const newFailures = log.highlights.countAfter(seenThrough);
  job.cursor = to;
  log.highlights.mark(to);
  log.markShown();
  log.forgetShown(to);

  const dropped = log.dropped && log.dropped.to >= from ? log.dropped : null;
  const truncated = parts.stdout.gap !== null || parts.stderr.gap !== null || dropped !== null;
  const result: JobOutput = {
    ...view,
    stdout: renderStream(job, parts.stdout),
    stderr: renderStream(job, parts.stderr),
    truncated,
    has_more_output: false,
  };
  const gaps = [parts.stdout.gap, parts.stderr.gap].filter((gap) => gap !== null);
  const message = nextStep(job, result, gaps.length > 0 ? { from: Math.min(...gaps.map((g) => g.from)), to: Math.max(...gaps.map((g) => g.to)) } : null);
  const printedSince = to - seenThrough + partials.length;
  const onlyOld = newFailures === 0 && printedSince > 0 && view.highlights.length > 0 && !options.fromStart;
  const note = onlyOld
    ? `No line printed since the previous answer looks like a failure; the highlights marked old are from earlier output (lines up to ${seenThrough}) and may no longer apply.`
    : undefined;
  if (message || note) result.message = [note, message].filter(Boolean).join(" ");
  return result;
}

/** The line without the start an earlier answer showed while it was being written. */
function unshownPart(log: Job["log"], line: LogLine): LogLine {
  const shown = line.partial ? log.shownPending(line.stream) : log.shownPrefix(line.line);
  return shown > 0 ? { ...line, text: line.text.slice(shown) } : line;
}

function cutStream(
  job: Job,
  stream: Stream,
  seen: { lines: LogLine[]; cost: number },
  budget: number,
  from: number,
  to: number,
  partials: LogLine[],
  unseen: (line: LogLine) => LogLine,
): StreamPart {
  if (seen.cost <= budget) return { head: seen.lines, tail: [], gap: null };
  // Head: the first lines within its share (a single huge line is cut to fit).
  const headBudget = Math.floor(budget * HEAD_SHARE);
  const head: LogLine[] = [];
  let used = 0;
  for (const line of seen.lines) {
    if (line.partial) break;
    const cost = lineCost(line);
    if (used + cost > headBudget) {
      if (head.length === 0) head.push(cutLine(line, headBudget));
      break;
    }
    head.push(line);
    used += cost;
  }
  // Tail: the last lines, read backwards, within the rest.
  const tailBudget = budget - headBudget - 260; // room for the marker
  const tail: LogLine[] = [];
  let tailUsed = 0;
  const partial = partials.find((line) => line.stream === stream);
  if (partial) {
    const cost = lineCost(partial);
    tail.push(cost > tailBudget ? cutLine(partial, tailBudget, true) : partial);
    tailUsed += Math.min(cost, tailBudget);
  }
  const headEnd = head.at(-1)?.line ?? from - 1;
  job.log.readBackward(headEnd + 1, to, (raw) => {
    if (raw.stream !== stream) return false;
    const line = unseen(raw);
    const cost = lineCost(line);
    if (tailUsed + cost > tailBudget) {
      if (tail.length === 0) tail.unshift(cutLine(line, tailBudget, true));
      return true;
    }
    tail.unshift(line);
    tailUsed += cost;
    return false;
  });
  const firstTail = tail[0]?.line ?? to + 1;
  const gap = firstTail - 1 >= headEnd + 1 ? { from: headEnd + 1, to: firstTail - 1 } : null;
  return { head, tail, gap };
}

/** A line cut to `budget` characters (its start, or its end for a tail line). */
function cutLine(line: LogLine, budget: number, keepEnd = false): LogLine {
  const room = Math.max(0, budget - 40);
  if (keepEnd) {
    const reversed = [...line.text].reverse().join("");
    const fit = fitJson(reversed, room);
    return { ...line, text: `[… line cut …]${[...reversed.slice(0, fit)].reverse().join("")}` };
  }
  return { ...line, text: `${line.text.slice(0, fitJson(line.text, room))}[… line cut …]` };
}

function renderStream(job: Job, part: StreamPart): string {
  const text = (lines: LogLine[]) => lines.map((line) => (line.partial || line.unterminated ? line.text : `${line.text}\n`)).join("");
  if (!part.gap) return text(part.head);
  const { from, to } = part.gap;
  const marker = `[… output lines ${from}–${to} are not shown here; read them with command_output {"job_id": "${job.id}", "start_line": ${from}, "end_line": ${Math.min(to, from + 199)}} or search them with "pattern" …]\n`;
  return text(part.head) + marker + text(part.tail);
}

/** Split the budget between two streams: whichever needs less than half gets what it needs, the other the rest. */
function shareBudget(outNeed: number, errNeed: number, budget: number): [number, number] {
  if (outNeed + errNeed <= budget) return [outNeed, errNeed];
  if (errNeed <= budget / 2) return [budget - errNeed, errNeed];
  if (outNeed <= budget / 2) return [outNeed, budget - outNeed];
  return [Math.floor(budget / 2), Math.floor(budget / 2)];
}

function numbered(line: LogLine, match: boolean): string {
  return `${line.line}${match ? ":" : "-"} ${line.stream === "stderr" ? "[stderr] " : ""}${line.text}`;
}

/** Lines start..end (1-based, inclusive; complete lines and lines still being written) numbered, within the budget. */
export function viewLines(job: Job, options: { start: number; end?: number; budget?: number }): JobOutput {
  const { view, highlightCost } = base(job);
  const budget = Math.max(MIN_OUTPUT_CHARS / 2, (options.budget ?? DEFAULT_OUTPUT_CHARS) - highlightCost);
  const log = job.log;
  const total = log.totalLines;
  const end = Math.min(options.end ?? total, total);
  const pieces: string[] = [];
  let used = 0;
  let next: number | undefined;
  let dropNoted = false;
  const take = (line: LogLine): boolean => {
    if (log.dropped && !dropNoted && line.line > log.dropped.to && options.start <= log.dropped.to) {
      dropNoted = true;
      const note = `[lines ${log.dropped.from}–${log.dropped.to} were not kept: the output passed the size kept per job; its start and end are kept]`;
      pieces.push(note);
      used += jsonSize(note) + 2;
    }
    let text = numbered(line, true);
    const cost = jsonSize(text) + 2;
    if (used + cost > budget) {
      if (pieces.length > 0) {
        next = line.line;
        return true;
      }
      text = `${text.slice(0, fitJson(text, budget - 40))}[… line cut …]`;
    }
    pieces.push(text);
    used += cost;
    return false;
  };
  let stopped = false;
  if (options.start <= log.lines) log.read(options.start, Math.min(end, log.lines), (line) => (stopped = take(line)));
  if (!stopped) for (const line of log.partials()) if (line.line >= options.start && line.line <= end && take(line)) break;
  const result: JobOutput = {
    ...view,
    stdout: "",
    stderr: "",
    output: pieces.join("\n"),
    truncated: next !== undefined || dropNoted,
    has_more_output: next !== undefined,
  };
  if (next !== undefined) result.next_start_line = next;
  if (options.start > total) result.message = `The output has ${total} lines so far; start_line ${options.start} is past its end.`;
  else {
    const message = nextStep(job, result, null, next !== undefined ? `{"job_id": "${job.id}", "start_line": ${next}${options.end !== undefined ? `, "end_line": ${options.end}` : ""}}` : undefined);
    if (message) result.message = message;
  }
  return result;
}

/** Lines matching `pattern` (case-insensitive) in start..end, each with `context` lines around it, within the budget. */
export async function viewPattern(
  job: Job,
  options: { pattern: string; start: number; end?: number; context: number; budget?: number; timeLeftMs: number },
): Promise<JobOutput> {
  const log = job.log;
  const total = log.totalLines;
  const end = Math.min(options.end ?? total, total);
  const partials = log.partials();
  const found = await searchLog(
    {
      segments: log.segmentInfo(),
      extra: partials.map((line) => ({ line: line.line, text: line.text })),
      pattern: options.pattern,
      from: options.start,
      to: end,
      maxMatches: MAX_MATCHES,
    },
    options.timeLeftMs,
  );
  const { view, highlightCost } = base(job); // after the search: the freshest state
  const budget = Math.max(MIN_OUTPUT_CHARS / 2, (options.budget ?? DEFAULT_OUTPUT_CHARS) - highlightCost);

  const pieces: string[] = [];
  let used = 0;
  let next: number | undefined;
  let lastShown = 0;
  const matchSet = new Set(found.matches);
  const lineAt = (from: number, to: number): LogLine[] => [
    ...(from <= log.lines ? log.read(from, Math.min(to, log.lines)) : []),
    ...partials.filter((line) => line.line >= from && line.line <= to),
  ];
  for (let i = 0; i < found.matches.length; i++) {
    const match = found.matches[i]!;
    if (match <= lastShown) continue;
    // The group: this match's context, extended while the next match's context touches it.
    const groupStart = Math.max(lastShown + 1, match - options.context, 1);
    let groupEnd = Math.min(match + options.context, total);
    for (let j = i + 1; j < found.matches.length && found.matches[j]! - options.context <= groupEnd + 1; j++) {
      groupEnd = Math.min(found.matches[j]! + options.context, total);
    }
    const lines = lineAt(groupStart, groupEnd).map((line) => numbered(line, matchSet.has(line.line)));
    if (lastShown > 0 && groupStart > lastShown + 1) lines.unshift("--");
    const cost = lines.reduce((sum, text) => sum + jsonSize(text) + 2, 0);
    if (used + cost > budget) {
      if (pieces.length === 0) {
        // One group larger than the whole answer: show it cut, go on after it.
        const fitted: string[] = [];
        let room = budget;
        for (const text of lines) {
          const piece = jsonSize(text) + 2 > room ? `${text.slice(0, fitJson(text, Math.max(0, room - 40)))}[… cut …]` : text;
          fitted.push(piece);
          room -= jsonSize(piece) + 2;
          if (room <= 40) break;
        }
        pieces.push(...fitted);
        lastShown = groupEnd;
        next = found.matches.find((m) => m > groupEnd);
      } else {
        next = match;
      }
      break;
    }
    pieces.push(...lines);
    used += cost;
    lastShown = groupEnd;
  }
  if (next === undefined && found.matches.length < found.total) next = found.matches.find((m) => m > lastShown) ?? found.matches.at(-1)! + 1;
  if (next === undefined && !found.complete) next = found.scannedTo + 1;

  const result: JobOutput = {
    ...view,
    stdout: "",
    stderr: "",
    output: pieces.join("\n"),
    matches: found.total,
    truncated: next !== undefined,
    has_more_output: next !== undefined,
  };
  if (next !== undefined) result.next_start_line = next;
  const more =
    next !== undefined
      ? `{"job_id": "${job.id}", "pattern": ${JSON.stringify(options.pattern)}, "start_line": ${next}${options.end !== undefined ? `, "end_line": ${options.end}` : ""}}`
      : undefined;
  let message = nextStep(job, result, null, more);
  if (found.total === 0) message = `No line matches /${options.pattern}/i in lines ${options.start}–${end}.${message ? ` ${message}` : ""}`;
  else if (!found.complete) message = `The search stopped at line ${found.scannedTo} to answer in time (${found.total} matches so far). ${message ?? ""}`.trim();
  if (message) result.message = message;
  return result;
}

/** What the model should do next; undefined when there is nothing to say. */
function nextStep(job: Job, view: JobOutput, gap: { from: number; to: number } | null, more?: string): string | undefined {
  const notes: string[] = [];
  const id = `"job_id": "${job.id}"`;
  if (job.sandbox?.boxNote) notes.push(job.sandbox.boxNote);
  if (!job.running && job.background.length > 0) {
    const count = job.background.length;
    notes.push(
      `The command ended but left ${count === 1 ? "1 process" : `${count} processes`} running in the workspace's box (see background): ${count === 1 ? "it keeps" : "they keep"} running and can be reached on 127.0.0.1 by later commands. Stop ${count === 1 ? "it" : "them"} with kill_command {${id}} (or kill PID in a later command).`,
    );
  }
  if (more) notes.push(`More lines: call command_output with ${more}.`);
  if (gap) {
    const failed = (view.status === "exited" && view.exit_code !== 0) || view.status === "timed_out";
    notes.push(
      `Output lines ${gap.from}–${gap.to} are left out of this answer.${
        failed || view.highlights.length > 0
          ? ` To find what failed: look at highlights, then call command_output with {${id}, "pattern": "not ok|FAIL|Error", "context_lines": 5} or with start_line/end_line around a highlighted line.`
          : ` Read them with command_output start_line/end_line or search with pattern.`
      }`,
    );
  }
  if (job.running) {
    if (job.shellExited) {
      notes.push(
        `The shell has exited${job.exitCode !== null ? ` (code ${job.exitCode})` : ""} but processes it started in the background are still running, so the job is still running (and holds a slot) until they end; kill_command stops them.`,
      );
    }
    if (job.stdinOpen) notes.push(`If it is waiting for input, answer with write_stdin {${id}, "input": "…\\n"}.`);
    notes.push(`The command is still running. It does not report back by itself: call command_output with {${id}} to get new output and the final status, or kill_command to stop it.`);
  }
  if (view.highlights_total > MAX_HIGHLIGHTS && !gap) notes.push(`${view.highlights_total} lines look like failures; highlights shows 20. Search for the rest with command_output pattern.`);
  return notes.length > 0 ? notes.join(" ") : undefined;
}
