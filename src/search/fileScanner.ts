import { columnOf, contextText, matchText } from "./lineText.js";
import type { SearchMatch } from "./types.js";

/**
 * Feeds one file's lines (without `\n`) through the matcher and keeps the
 * matches with their context, the way the ripgrep backend reports them:
 * one result per matching line, its first match's column, `before`/`after`
 * holding the neighbouring lines whatever they are.
 */
export class FileScanner {
  readonly found: SearchMatch[] = [];
  private lineNo = 0;
  private readonly ring: string[] = [];
  private pending: { match: SearchMatch; missing: number }[] = [];

  constructor(
    private readonly path: string,
    private readonly matcher: RegExp,
    private readonly contextLines: number,
    /** Keep at most this many matches (the page needs one more than its limit). */
    private readonly cap: number,
    /** Lines up to this number were returned by an earlier page. */
    private readonly skipThrough: number,
  ) {}

  /** Whether more lines could still change the result (false once full and no context is pending). */
  get wantsMore(): boolean {
    return this.found.length < this.cap || this.pending.length > 0;
  }

  push(line: string): void {
    this.lineNo++;
    if (this.pending.length > 0) {
      const shown = contextText(line);
      for (const item of this.pending) {
        item.match.after!.push(shown);
        item.missing--;
      }
      this.pending = this.pending.filter((item) => item.missing > 0);
    }
    if (this.found.length < this.cap && this.lineNo > this.skipThrough) {
      const hit = this.matcher.exec(line);
      if (hit) {
        const match: SearchMatch = {
          path: this.path,
          line: this.lineNo,
          column: columnOf(line, hit.index),
          text: matchText(line, hit.index),
        };
        if (this.contextLines > 0) {
          match.before = [...this.ring];
          match.after = [];
          this.pending.push({ match, missing: this.contextLines });
        }
        this.found.push(match);
      }
    }
    if (this.contextLines > 0) {
      this.ring.push(contextText(line));
      if (this.ring.length > this.contextLines) this.ring.shift();
    }
  }
}
