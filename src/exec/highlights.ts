/**
 * Lines that look like failures, so a model sees them even when the answer
 * leaves the middle of a huge output out. Tuned against false alarms: a
 * passing TAP line (`ok 12 - throws Error: …`), a pass mark (`✓ …`), and
 * zero counts (`0 failed`, `failed: 0`, `# fail 0`, `Errors: 0`) are not
 * failures.
 */

export interface Highlight {
  line: number;
  stream: "stdout" | "stderr";
  text: string;
}

/** Longest highlight text; the full line is readable with command_output start_line. */
export const HIGHLIGHT_TEXT_CHARS = 300;
/** At most this many highlights in an answer: the first ones (usually the cause) and the last ones (the summary). */
export const MAX_HIGHLIGHTS = 20;
const FIRST_KEPT = 14;
const LAST_KEPT = MAX_HIGHLIGHTS - FIRST_KEPT;
/** Only the start of a very long line is examined (keeps the cost per line bounded). */
const EXAMINED_CHARS = 2_000;

/** Passing lines that may still contain failure words in a test's name. */
const PASSING = /^\s*(?:ok\s+\d+\b|[✓✔√]|PASS\b|\[?\s*(?:OK|PASSED)\s*\]?\s)/;
/** "0 failed", "failed: 0", "# fail 0", "errors=0", "0 errors", "with 0 failures" … */
const ZERO_COUNT =
  /\b0\s+(?:tests?\s+)?(?:failed|failures?|failing|fails?|errors?)\b|\b(?:failed|failures?|failing|fails?|errors?)\b\s*[:=]?\s*0(?![\d.])/gi;

const FAILURE: readonly RegExp[] = [
  /^\s*not ok\b(?!.*#\s*(?:TODO|SKIP)\b)/i, // TAP failure (not a TODO/SKIP)
  /\bFAIL(?:ED|URE)?\b/, // jest "FAIL src/x.test.ts", pytest "FAILED …", "FAILURE"
  /^\s*[✗✘×✖]|[✗✘]/, // failure marks of mocha, vitest, ava … (× only at the start: "1920×1080" is no failure)
  /Error:/, // Error:, TypeError:, AssertionError: …
  /\bAssertionError\b/,
  /\bTraceback \(most recent call last\)/,
  /\bpanicked at\b/,
  /\berror TS\d+/, // tsc
  /\bnpm ERR!|\bnpm error\b/, // npm ≤ 9 and npm ≥ 10
  /\bERR_[A-Z0-9_]+/,
  /\bfailed\b/i,
  /\b[1-9]\d*\s+(?:failing|failures?|errors?)\b/i, // mocha "3 failing", "2 errors"
  /\b(?:fail|failures?|errors?)\b\s*[:=]?\s*[1-9]/i, // "# fail 3", "Failures: 2"
  /(?:^|:\s*|\s)(?:error|fatal)(?:\[[A-Z]?\d+\])?:/i, // gcc/rustc/git "error:", "error[E0308]:", "fatal:"
  /\bERROR\b/, // pytest "ERROR collecting", coverage thresholds
  /\bSegmentation fault\b|\bcore dumped\b/,
];

export function looksLikeFailure(text: string): boolean {
  const examined = text.length > EXAMINED_CHARS ? text.slice(0, EXAMINED_CHARS) : text;
  if (PASSING.test(examined)) return false;
  const cleaned = examined.replace(ZERO_COUNT, " ");
  return FAILURE.some((pattern) => pattern.test(cleaned));
}

/** A highlight as an answer shows it: `old` when an earlier answer already covered its line. */
export interface ShownHighlight extends Highlight {
  old?: true;
}

/**
 * Collects highlights as lines arrive: the first 14 and the last 20 of the
 * whole output, the first 14 since the last read (`mark`), and how many
 * there were in all and since that read.
 */
export class HighlightCollector {
  private readonly first: Highlight[] = [];
  private last: Highlight[] = [];
  private sinceMark: Highlight[] = [];
  /** Lines up to this one were covered by a read; -1 before any mark. */
  private markLine = -1;
  private countAtMark = 0;
  count = 0;

  consider(line: number, stream: Highlight["stream"], text: string): void {
    if (!looksLikeFailure(text)) return;
    this.count++;
    const item = { line, stream, text: text.length > HIGHLIGHT_TEXT_CHARS ? `${text.slice(0, HIGHLIGHT_TEXT_CHARS - 1)}…` : text };
    if (this.first.length < FIRST_KEPT) this.first.push(item);
    if (this.sinceMark.length < FIRST_KEPT) this.sinceMark.push(item);
    this.last.push(item);
    if (this.last.length > MAX_HIGHLIGHTS * 2) this.last = this.last.slice(-MAX_HIGHLIGHTS);
  }

  /** A read covered the output up to `line` (every line considered so far): what comes later is new. */
  mark(line: number): void {
    if (line === this.markLine) return;
    this.markLine = line;
    this.sinceMark = [];
    this.countAtMark = this.count;
  }

  /** Highlights on lines after `seenThrough`, counted (undefined when that is not the last mark, so not known). */
  countAfter(seenThrough: number): number | undefined {
    if (seenThrough <= 0) return this.count;
    return seenThrough === this.markLine ? this.count - this.countAtMark : undefined;
  }

  /** The first 14 and the last 6, in output order (what an answer shows when nothing was read before). */
  list(): Highlight[] {
    return this.select(0);
  }

  /**
   * At most 20, ordered by line. Lines after `seenThrough` (not in an earlier
   * answer) get the places first: all of them, or their first 14 and last 6.
   * Places left go to the earlier lines (their first and last ones), each
   * marked `old: true`.
   */
  select(seenThrough: number): ShownHighlight[] {
    const known = new Map<number, Highlight>();
    const sources = seenThrough > 0 && seenThrough === this.markLine ? [this.first, this.sinceMark, this.last] : [this.first, this.last];
    for (const source of sources) for (const item of source) known.set(item.line, item);
    const all = [...known.values()].sort((a, b) => a.line - b.line);
    const fresh = ends(
      all.filter((item) => item.line > seenThrough),
      MAX_HIGHLIGHTS,
    );
    const room = MAX_HIGHLIGHTS - fresh.length;
    const old = ends(
      all.filter((item) => item.line <= seenThrough),
      room,
    ).map((item): ShownHighlight => ({ ...item, old: true }));
    return [...old, ...fresh];
  }
}

/** At most `room` items: all, or the first ones and the last ones (about 70/30, as 14 and 6 of 20). */
function ends<T>(items: T[], room: number): T[] {
  if (items.length <= room) return items;
  if (room <= 0) return [];
  const tail = Math.floor((room * LAST_KEPT) / MAX_HIGHLIGHTS);
  return [...items.slice(0, room - tail), ...items.slice(items.length - tail)];
}
