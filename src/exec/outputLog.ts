import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { HighlightCollector } from "./highlights.js";

/**
 * A job's whole output as ONE merged, line-numbered log, kept on disk in the
 * job table's private folder (0700; files 0600).
 *
 * - stdout and stderr are split into lines separately; a line enters the log
 *   (and gets the next number) when its newline arrives, so lines of both
 *   streams interleave in the order they were completed. Each line keeps its
 *   stream. A line still being written (a prompt, a progress bar) is shown as
 *   a provisional last line and numbered once it is complete. A default read
 *   that showed such a line marks it (`markShown`); the part already shown
 *   is then known for the line (`shownPrefix`), so the next read shows only
 *   the rest: a prompt is shown once. A `\r` rewrite forgets the mark.
 * - `\r` rewrites collapse: the text after the last carriage return of a line
 *   replaces what was before (progress bars keep their last state); `\r\n`
 *   is a plain line end.
 * - A line longer than MAX_LINE_CHARS is split into several lines.
 * - The log is written in segments. Everything is kept up to
 *   `headSegments + tailSegments` segments (20 MiB by default); beyond that
 *   the head is kept and the oldest tail segment is dropped, so the start and
 *   the end stay readable and a marker names the lines that are gone.
 *
 * File format: one record per line, a stream tag (`o`/`e`) then the text then
 * `\n` (text never holds a newline). A sparse index (every INDEX_EVERY lines)
 * finds a line without reading the file from the start.
 */

export type Stream = "stdout" | "stderr";

export interface LogLine {
  line: number;
  stream: Stream;
  text: string;
  /** Not complete yet: may still grow or be rewritten. */
  partial?: boolean;
  /** The stream ended without a newline after this line. */
  unterminated?: boolean;
}

export interface LogLimits {
  /** Bytes per segment file. */
  segmentBytes: number;
  /** Segments kept from the start of the output, whatever comes later. */
  headSegments: number;
  /** Most recent segments kept after the head. */
  tailSegments: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { segmentBytes: 4 * 1024 * 1024, headSegments: 2, tailSegments: 3 };

export const MAX_LINE_CHARS = 16_000;
export const INDEX_EVERY = 64;
const WRITE_BUFFER_BYTES = 64 * 1024;
const READ_CHUNK_BYTES = 64 * 1024;

export interface SegmentInfo {
  path: string;
  firstLine: number;
  lines: number;
  /** Byte offset of line firstLine + k·INDEX_EVERY. */
  index: number[];
}

interface Segment extends SegmentInfo {
  bytes: number;
}

interface StreamState {
  pending: string;
  /** A carriage return was seen: the next text rewrites the line. */
  rewrite: boolean;
  /** Characters at the start of `pending` a read has already shown. */
  shown: number;
}

export class OutputLog {
  private readonly segments: Segment[] = [];
  private segmentsMade = 0;
  private fd: number | null = null;
  private written = 0;
  private buffer: string[] = [];
  private bufferBytes = 0;
  private committed = 0;
  private disposed = false;
  /** Storing failed (disk full, folder gone): later lines are counted and highlighted, not kept. */
  writeFailed = false;
  /** Lines dropped from the middle (inclusive range), and their size. */
  dropped: { from: number; to: number; bytes: number } | null = null;
  /** Bytes of text committed (whole output, kept or not). */
  totalBytes = 0;
  readonly highlights = new HighlightCollector();
  private readonly streams: Record<Stream, StreamState> = {
    stdout: { pending: "", rewrite: false, shown: 0 },
    stderr: { pending: "", rewrite: false, shown: 0 },
  };
  /** Complete lines whose start a read showed while they were being written: line → characters shown. */
  private readonly shownPrefixes = new Map<number, number>();
  /** Last lines of a stream that ended without a newline (at most one per stream). */
  private readonly unterminated = new Set<number>();
  /** Bumped on every bit of output (for "wait until quiet"). */
  version = 0;
  lastOutputAt = 0;

  constructor(
    private readonly pathPrefix: string,
    private readonly limits: LogLimits = DEFAULT_LOG_LIMITS,
  ) {}

  /** Complete lines so far. */
  get lines(): number {
    return this.committed;
  }

  /** Complete lines plus lines still being written. */
  get totalLines(): number {
    return this.committed + this.partials().length;
  }

  push(stream: Stream, text: string): void {
    if (text.length === 0 || this.disposed) return;
    this.version++;
    this.lastOutputAt = Date.now();
    const state = this.streams[stream];
    const separators = /[\r\n]/g;
    let at = 0;
    for (let match = separators.exec(text); ; match = separators.exec(text)) {
      const end = match ? match.index : text.length;
      if (end > at) {
        if (state.rewrite) {
          state.pending = "";
          state.rewrite = false;
          state.shown = 0;
        }
        state.pending += text.slice(at, end);
        while (state.pending.length > MAX_LINE_CHARS) {
          let cut = MAX_LINE_CHARS;
          if (isHighSurrogate(state.pending.charCodeAt(cut - 1))) cut--;
          this.commit(stream, state.pending.slice(0, cut), Math.min(state.shown, cut));
          state.pending = state.pending.slice(cut);
          state.shown = Math.max(0, state.shown - cut);
        }
      }
      if (!match) break;
      if (match[0] === "\n") {
        this.commit(stream, state.pending, state.shown);
        state.pending = "";
        state.rewrite = false;
        state.shown = 0;
      } else {
        state.rewrite = true;
      }
      at = match.index + 1;
    }
  }

  /** The stream closed: its unfinished line becomes a line. */
  end(stream: Stream): void {
    const state = this.streams[stream];
    if (state.pending.length > 0) {
      this.commit(stream, state.pending, state.shown);
      this.unterminated.add(this.committed);
    }
    state.pending = "";
    state.rewrite = false;
    state.shown = 0;
  }

  /** A read showed the lines still being written, as they are now. */
  markShown(): void {
    for (const state of Object.values(this.streams)) state.shown = state.pending.length;
  }

  /** Characters at the start of complete line `line` shown while it was being written (0: none). */
  shownPrefix(line: number): number {
    return this.shownPrefixes.get(line) ?? 0;
  }

  /** Characters at the start of a line still being written that a read has shown. */
  shownPending(stream: Stream): number {
    return this.streams[stream].shown;
  }

  /** Forget what was shown of lines up to `line` (a read covered them). */
  forgetShown(line: number): void {
    for (const key of this.shownPrefixes.keys()) if (key <= line) this.shownPrefixes.delete(key);
  }

  /** Lines still being written, numbered after the complete ones. */
  partials(): LogLine[] {
    const out: LogLine[] = [];
    for (const stream of ["stdout", "stderr"] as const) {
      const pending = this.streams[stream].pending;
      if (pending.length > 0) out.push({ line: this.committed + out.length + 1, stream, text: pending, partial: true });
    }
    return out;
  }

  private commit(stream: Stream, text: string, shown = 0): void {
    if (this.disposed) return;
    const line = ++this.committed;
    if (shown > 0) this.shownPrefixes.set(line, shown);
    this.highlights.consider(line, stream, text);
    const record = `${stream === "stdout" ? "o" : "e"}${text}\n`;
    const bytes = Buffer.byteLength(record);
    this.totalBytes += bytes - 2;
    if (this.writeFailed) return;
    try {
      let segment = this.segments.at(-1);
      if (!segment || segment.bytes >= this.limits.segmentBytes) segment = this.openSegment(line);
      if (segment.lines % INDEX_EVERY === 0) segment.index.push(segment.bytes);
      segment.lines++;
      segment.bytes += bytes;
      this.buffer.push(record);
      this.bufferBytes += bytes;
      if (this.bufferBytes >= WRITE_BUFFER_BYTES) this.flush();
    } catch {
      // Disk full or the folder removed underneath: keep counting lines, stop storing them (never crash the server).
      this.writeFailed = true;
      this.buffer = [];
      this.bufferBytes = 0;
    }
  }

  private openSegment(firstLine: number): Segment {
    this.flush();
    if (this.fd !== null) closeQuietly(this.fd);
    this.fd = null;
    const segment: Segment = { path: `${this.pathPrefix}.${this.segmentsMade++}.log`, firstLine, lines: 0, index: [], bytes: 0 };
    this.fd = openSync(segment.path, "w", 0o600);
    this.written = 0;
    this.segments.push(segment);
    this.dropOld();
    return segment;
  }

  /** Beyond head + tail segments, the oldest segment after the head goes. */
  private dropOld(): void {
    const { headSegments, tailSegments } = this.limits;
    while (this.segments.length > headSegments + tailSegments) {
      const [gone] = this.segments.splice(headSegments, 1);
      rmSync(gone!.path, { force: true });
      const last = gone!.firstLine + gone!.lines - 1;
      this.dropped = this.dropped
        ? { from: this.dropped.from, to: last, bytes: this.dropped.bytes + gone!.bytes }
        : { from: gone!.firstLine, to: last, bytes: gone!.bytes };
    }
  }

  /** Write buffered lines to the current segment file. */
  flush(): void {
    if (this.buffer.length === 0 || this.fd === null) return;
    const data = Buffer.from(this.buffer.join(""));
    this.buffer = [];
    this.bufferBytes = 0;
    try {
      let done = 0;
      while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, this.written + done);
      this.written += data.length;
    } catch {
      this.writeFailed = true;
    }
  }

  /** Segment files and their line ranges (for a search in another thread; flushes first). */
  segmentInfo(): SegmentInfo[] {
    this.flush();
    return this.segments.map(({ path, firstLine, lines, index }) => ({ path, firstLine, lines, index: [...index] }));
  }

  /**
   * Complete lines `from`..`to` (1-based, inclusive) that are kept, in order;
   * lines in the dropped middle are skipped (see `dropped`). `stop` ends the
   * read early (return true to stop after that line).
   */
  read(from: number, to: number, stop?: (line: LogLine) => boolean): LogLine[] {
    const out: LogLine[] = [];
    this.flush();
    const last = Math.min(to, this.committed);
    for (const segment of this.segments) {
      const segLast = segment.firstLine + segment.lines - 1;
      if (segLast < from || segment.firstLine > last) continue;
      if (readSegment(segment, Math.max(from, segment.firstLine), Math.min(last, segLast), (line) => {
        if (this.unterminated.has(line.line)) line.unterminated = true;
        out.push(line);
        return stop?.(line) ?? false;
      })) break;
    }
    return out;
  }

  /** Like read, but from `to` down to `from`, one index block at a time; `stop` ends it. */
  readBackward(from: number, to: number, stop: (line: LogLine) => boolean): void {
    this.flush();
    const last = Math.min(to, this.committed);
    for (let s = this.segments.length - 1; s >= 0; s--) {
      const segment = this.segments[s]!;
      const segLast = segment.firstLine + segment.lines - 1;
      if (segLast < from || segment.firstLine > last) continue;
      const low = Math.max(from, segment.firstLine);
      let high = Math.min(last, segLast);
      while (high >= low) {
        const blockStart = Math.max(low, segment.firstLine + Math.floor((high - segment.firstLine) / INDEX_EVERY) * INDEX_EVERY);
        const block: LogLine[] = [];
        readSegment(segment, blockStart, high, (line) => {
          if (this.unterminated.has(line.line)) line.unterminated = true;
          block.push(line);
          return false;
        });
        for (let i = block.length - 1; i >= 0; i--) if (stop(block[i]!)) return;
        high = blockStart - 1;
      }
    }
  }

  /** Close the file (the job ended); the text stays readable. */
  seal(): void {
    this.end("stdout");
    this.end("stderr");
    this.flush();
    if (this.fd !== null) closeQuietly(this.fd);
    this.fd = null;
  }

  /** Delete the files (the job is forgotten). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.fd !== null) closeQuietly(this.fd);
    this.fd = null;
    this.buffer = [];
    for (const segment of this.segments) rmSync(segment.path, { force: true });
  }

  /** Bytes on disk (for the job table's total budget). */
  get diskBytes(): number {
    return this.segments.reduce((sum, segment) => sum + segment.bytes, 0);
  }
}

/**
 * Lines `from`..`to` of one segment, read from the nearest index point.
 * Returns true when `each` asked to stop.
 */
export function readSegment(segment: SegmentInfo, from: number, to: number, each: (line: LogLine) => boolean): boolean {
  const block = Math.floor((from - segment.firstLine) / INDEX_EVERY);
  let position = segment.index[block] ?? 0;
  let line = segment.firstLine + block * INDEX_EVERY;
  let fd: number;
  try {
    fd = openSync(segment.path, "r");
  } catch {
    return false; // dropped or disposed meanwhile
  }
  try {
    const decoder = new TextDecoder("utf-8");
    const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let rest = "";
    for (;;) {
      const got = readSync(fd, chunk, 0, chunk.length, position);
      position += got;
      rest += got > 0 ? decoder.decode(chunk.subarray(0, got), { stream: true }) : decoder.decode();
      let newline = rest.indexOf("\n");
      let start = 0;
      while (newline >= 0) {
        if (line >= from) {
          const record = rest.slice(start, newline);
          if (each({ line, stream: record[0] === "e" ? "stderr" : "stdout", text: record.slice(1) })) return true;
        }
        if (line >= to) return false;
        line++;
        start = newline + 1;
        newline = rest.indexOf("\n", start);
      }
      rest = rest.slice(start);
      if (got === 0) return false;
    }
  } finally {
    closeSync(fd);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
