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

/** Collects highlights as lines arrive: the first 14 and the last 6, and how many there were in all. */
export class HighlightCollector {
  private readonly first: Highlight[] = [];
  private last: Highlight[] = [];
  count = 0;

  consider(line: number, stream: Highlight["stream"], text: string): void {
    if (!looksLikeFailure(text)) return;
    this.count++;
    const item = { line, stream, text: text.length > HIGHLIGHT_TEXT_CHARS ? `${text.slice(0, HIGHLIGHT_TEXT_CHARS - 1)}…` : text };
    if (this.first.length < FIRST_KEPT) {
      this.first.push(item);
      return;
    }
    this.last.push(item);
    if (this.last.length > LAST_KEPT) this.last = this.last.slice(-LAST_KEPT);
  }

  list(): Highlight[] {
    return [...this.first, ...this.last];
  }
}
