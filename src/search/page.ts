import { jsonCost } from "../files/budget.js";
import { comparePositions } from "./position.js";
import type { Position, SearchMatch, SearchPage } from "./types.js";

/**
 * Builds one page of results from matches offered in result order, by either
 * engine: skips what a cursor already returned, stops at the limit or the
 * character budget, and knows where the next page starts.
 */
export class PageCollector {
  private readonly matches: SearchMatch[] = [];
  private cost = 0;
  private truncated = false;
  private next: Position | null = null;
  private stoppedForTime = false;

  constructor(
    private readonly limit: number,
    private readonly budget: number,
    private readonly after: Position | null,
  ) {}

  /** Whether `position` was already returned by an earlier page. */
  isBeforeCursor(position: Position): boolean {
    return this.after !== null && comparePositions(position, this.after) <= 0;
  }

  /** Offer the next match in order; false once the page is full (the caller stops searching). */
  offer(match: SearchMatch): boolean {
    if (this.truncated) return false;
    if (this.isBeforeCursor(match)) return true;
    const cost = jsonCost(match);
    if (this.matches.length >= this.limit || (this.matches.length > 0 && this.cost + cost > this.budget)) {
      this.truncated = true;
      this.next = this.lastPosition();
      return false;
    }
    this.matches.push(match);
    this.cost += cost;
    return true;
  }

  /** Stop before the search finished (time limit): the next page resumes after `scanned` (or the last match). */
  stopEarly(scanned: Position | null): void {
    if (this.truncated) return;
    this.truncated = true;
    this.stoppedForTime = true;
    const candidates = [this.lastPosition(), scanned, this.after].filter((p): p is Position => p !== null);
    candidates.sort(comparePositions);
    this.next = candidates.at(-1) ?? null;
  }

  get full(): boolean {
    return this.truncated;
  }

  page(): SearchPage {
    return { matches: this.matches, truncated: this.truncated, next: this.next, stoppedForTime: this.stoppedForTime };
  }

  private lastPosition(): Position | null {
    const last = this.matches.at(-1);
    return last ? { path: last.path, line: last.line } : null;
  }
}
