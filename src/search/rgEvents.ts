import { columnOf, contextText, matchText } from "./lineText.js";
import type { Position, SearchMatch } from "./types.js";

/** rg reports paths and lines as text, or base64 bytes when they are not UTF-8. */
interface RgData {
  text?: string;
  bytes?: string;
}

interface OpenFile {
  path: string;
  skip: boolean;
  lines: Map<number, string>;
  matches: SearchMatch[];
  lastKept: number;
}

/** One file as rg finished it: matches in line order with their context filled in. */
export interface FinishedFile {
  path: string;
  /** rg found a NUL byte: the whole file is dropped, as the built-in engine skips binary files. */
  binary: boolean;
  matches: SearchMatch[];
  /** Match lines rg reported (before the per-file cap). */
  matchEvents: number;
}

export interface RgEventOptions {
  contextLines: number;
  /** Matches kept per file (the page needs one more than its limit). */
  cap: number;
  /** Continue after this position (from a cursor). */
  after: Position | null;
  /** Files whose events are dropped unparsed: before the cursor, or not visible to the walker. */
  skipFile(path: string): boolean;
}

/**
 * Turns `rg --json` output, one record per line, into finished files. rg
 * writes each file's records together (also when searching in parallel), so a
 * file is complete at its `end` record.
 */
export class RgEventReader {
  private file: OpenFile | null = null;
  private pending = "";
  /** Match records of the current file, including those past the per-file cap. */
  private matchEvents = 0;

  constructor(
    private readonly options: RgEventOptions,
    /** Called for every finished file that is not skipped; false stops reading. */
    private readonly onFile: (file: FinishedFile) => boolean,
  ) {}

  /** Feed a chunk of stdout; false once onFile asked to stop. */
  write(chunk: string): boolean {
    this.pending += chunk;
    let start = 0;
    for (let nl = this.pending.indexOf("\n"); nl !== -1; nl = this.pending.indexOf("\n", start)) {
      const record = this.pending.slice(start, nl);
      start = nl + 1;
      if (!this.record(record)) {
        this.pending = "";
        return false;
      }
    }
    this.pending = this.pending.slice(start);
    return true;
  }

  private record(record: string): boolean {
    const file = this.file;
    const isEnd = record.startsWith('{"type":"end"');
    // Events of skipped files, and lines of the cursor's file no later match needs,
    // are dropped without parsing: deep pages re-read a lot of them.
    if (file?.skip && !isEnd) return true;
    const after = this.options.after;
    if (file && after && file.path === after.path && !isEnd) {
      const at = record.indexOf('"line_number":');
      if (at !== -1 && Number.parseInt(record.slice(at + 14, at + 34), 10) < after.line + 1 - this.options.contextLines) return true;
    }
    const event = JSON.parse(record) as { type: string; data: Record<string, unknown> };
    switch (event.type) {
      case "begin": {
        const path = normalizePath(rawBytes(event.data.path as RgData).toString("utf8"));
        this.file = { path, skip: this.options.skipFile(path), lines: new Map(), matches: [], lastKept: 0 };
        this.matchEvents = 0;
        return true;
      }
      case "match":
      case "context":
        if (file) this.line(file, event.type, event.data as never);
        return true;
      case "end":
        this.file = null;
        if (!file || file.skip) return true;
        return this.onFile(this.finish(file, event.data.binary_offset !== null && event.data.binary_offset !== undefined));
      default:
        return true;
    }
  }

  private line(file: OpenFile, kind: "match" | "context", data: { line_number: number; lines: RgData; submatches?: { start: number }[] }): void {
    const number = data.line_number;
    const { cap, contextLines, after } = this.options;
    if (kind === "match") this.matchEvents++;
    const full = file.matches.length >= cap;
    if (full && number > file.lastKept + contextLines) return;
    const bytes = rawBytes(data.lines);
    const line = stripNewline(bytes.toString("utf8"));
    if (contextLines > 0) file.lines.set(number, contextText(line));
    if (kind !== "match" || full) return;
    if (after && file.path === after.path && number <= after.line) return;
    const index = bytes.subarray(0, data.submatches?.[0]?.start ?? 0).toString("utf8").length;
    file.matches.push({ path: file.path, line: number, column: columnOf(line, index), text: matchText(line, index) });
    file.lastKept = number;
  }

  private finish(file: OpenFile, binary: boolean): FinishedFile {
    const context = this.options.contextLines;
    if (context > 0 && !binary) {
      for (const match of file.matches) {
        match.before = neighbours(file.lines, match.line - context, match.line - 1);
        match.after = neighbours(file.lines, match.line + 1, match.line + context);
      }
    }
    return { path: file.path, binary, matches: binary ? [] : file.matches, matchEvents: this.matchEvents };
  }
}

function rawBytes(data: RgData | undefined): Buffer {
  if (data?.text !== undefined) return Buffer.from(data.text, "utf8");
  return Buffer.from(data?.bytes ?? "", "base64");
}

function stripNewline(line: string): string {
  return line.endsWith("\n") ? line.slice(0, -1) : line;
}

function normalizePath(path: string): string {
  return path.startsWith("./") ? path.slice(2) : path;
}

function neighbours(lines: Map<number, string>, from: number, to: number): string[] {
  const out: string[] = [];
  for (let n = Math.max(1, from); n <= to; n++) {
    const text = lines.get(n);
    if (text !== undefined) out.push(text);
  }
  return out;
}
