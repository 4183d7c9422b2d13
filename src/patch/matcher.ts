import { lineKey, type MatchLevel } from "./normalize.js";

export interface SeekOptions {
  /** The match must end at the file's last line (`*** End of File`). */
  eof?: boolean;
  /** Prefer the match closest to this 0-based line instead of the first one (unified hunks carry a line number). */
  near?: number;
}

export interface SeekResult {
  start: number;
  level: MatchLevel;
}

const LEVELS: readonly MatchLevel[] = [0, 1, 2, 3];

/**
 * Finds a run of lines in a file. Lines are indexed by key (per match level,
 * built lazily) so a seek costs about the number of places the pattern's
 * rarest line occurs, not the file's length: a thousand chunks against a
 * hundred thousand lines stay linear.
 */
export class LineIndex {
  readonly lines: readonly string[];
  private readonly keys: (string[] | undefined)[] = [];
  private readonly positions: (Map<string, number[]> | undefined)[] = [];

  constructor(lines: readonly string[]) {
    this.lines = lines;
  }

  get length(): number {
    return this.lines.length;
  }

  keysAt(level: MatchLevel): string[] {
    let keys = this.keys[level];
    if (!keys) {
      keys = level === 0 ? (this.lines as string[]) : this.lines.map((line) => lineKey(line, level));
      this.keys[level] = keys;
    }
    return keys;
  }

  /** Ascending 0-based line numbers whose key at `level` is `key`. */
  occurrences(key: string, level: MatchLevel): readonly number[] {
    let map = this.positions[level];
    if (!map) {
      map = new Map();
      const keys = this.keysAt(level);
      for (let i = 0; i < keys.length; i++) {
        const list = map.get(keys[i]!);
        if (list) list.push(i);
        else map.set(keys[i]!, [i]);
      }
      this.positions[level] = map;
    }
    return map.get(key) ?? [];
  }

  /**
   * First start ≥ `from` where `pattern` matches, trying each level in turn
   * over the whole range before loosening (so an exact match further down
   * wins over a fuzzy one nearby, as upstream does). null when none.
   */
  seek(pattern: readonly string[], from: number, options: SeekOptions = {}): SeekResult | null {
    const m = pattern.length;
    const n = this.lines.length;
    if (m === 0) return { start: Math.min(from, n), level: 0 };
    if (m > n) return null;
    for (const level of LEVELS) {
      const start = options.eof
        ? n - m >= from && this.matchesAt(pattern, n - m, level)
          ? n - m
          : -1
        : this.seekAt(pattern, from, level, options.near);
      if (start >= 0) return { start, level };
    }
    return null;
  }

  /** Whether `pattern` sits at `start` at any level (for the "already applied" check). */
  matchesAtAnyLevel(pattern: readonly string[], start: number): boolean {
    if (start < 0 || start + pattern.length > this.lines.length) return false;
    return LEVELS.some((level) => this.matchesAt(pattern, start, level));
  }

  private matchesAt(pattern: readonly string[], start: number, level: MatchLevel): boolean {
    const keys = this.keysAt(level);
    for (let j = 0; j < pattern.length; j++) {
      if (keys[start + j] !== lineKey(pattern[j]!, level)) return false;
    }
    return true;
  }

  private seekAt(pattern: readonly string[], from: number, level: MatchLevel, near: number | undefined): number {
    const m = pattern.length;
    const last = this.lines.length - m;
    if (from > last) return -1;
    const wanted = pattern.map((line) => lineKey(line, level));
    // Anchor on the pattern line with the fewest candidate positions in range.
    let anchor = -1;
    let anchorList: readonly number[] = [];
    let lo = 0;
    let hi = 0;
    for (let j = 0; j < m; j++) {
      const list = this.occurrences(wanted[j]!, level);
      const a = lowerBound(list, from + j);
      const b = lowerBound(list, last + j + 1);
      if (b - a === 0) return -1;
      if (anchor < 0 || b - a < hi - lo) {
        anchor = j;
        anchorList = list;
        lo = a;
        hi = b;
      }
    }
    const keys = this.keysAt(level);
    const verify = (start: number): boolean => {
      for (let j = 0; j < m; j++) if (j !== anchor && keys[start + j] !== wanted[j]) return false;
      return true;
    };
    if (near === undefined) {
      for (let k = lo; k < hi; k++) {
        const start = anchorList[k]! - anchor;
        if (verify(start)) return start;
      }
      return -1;
    }
    // Closest to `near`: walk outwards from where `near` would sit in the list.
    const mid = lowerBound(anchorList, near + anchor);
    let left = Math.min(Math.max(mid - 1, lo - 1), hi - 1);
    let right = Math.max(mid, lo);
    while (left >= lo || right < hi) {
      const dl = left >= lo ? near - (anchorList[left]! - anchor) : Infinity;
      const dr = right < hi ? anchorList[right]! - anchor - near : Infinity;
      if (dl <= dr) {
        if (verify(anchorList[left]! - anchor)) return anchorList[left]! - anchor;
        left--;
      } else {
        if (verify(anchorList[right]! - anchor)) return anchorList[right]! - anchor;
        right++;
      }
    }
    return -1;
  }
}

/** First index in the ascending `list` whose value is ≥ `value`. */
function lowerBound(list: readonly number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
