import type { LineIndex } from "./matcher.js";
import { lineKey } from "./normalize.js";

/**
 * Where in the file a chunk that did not apply was most likely aimed, so the
 * error can show the model the real lines. Runs only on failure, so it may
 * look at the whole file once.
 */
export interface Region {
  /** 0-based first line of the region the pattern most resembles. */
  start: number;
  /** How many of the pattern's distinctive lines were found there (for wording only). */
  agreeing: number;
}

/** Lines too common or too short to say anything about location. */
function distinctive(key: string): boolean {
  return key.length >= 3 && /[A-Za-z0-9]/.test(key);
}

const MAX_OCCURRENCES = 64;

export function closestRegion(index: LineIndex, pattern: readonly string[], from: number): Region | null {
  if (index.length === 0 || pattern.length === 0) return null;
  // Vote: each distinctive pattern line found (loosely) at line p votes for a start at p - j.
  const votes = new Map<number, number>();
  for (let j = 0; j < pattern.length; j++) {
    const key = lineKey(pattern[j]!, 3);
    if (!distinctive(key)) continue;
    const hits = index.occurrences(key, 3);
    if (hits.length > MAX_OCCURRENCES) continue;
    for (const p of hits) votes.set(p - j, (votes.get(p - j) ?? 0) + 1);
  }
  let best: Region | null = null;
  for (const [start, count] of votes) {
    if (
      !best ||
      count > best.agreeing ||
      (count === best.agreeing && distance(start, from) < distance(best.start, from))
    ) {
      best = { start, agreeing: count };
    }
  }
  if (best) return { start: Math.max(0, best.start), agreeing: best.agreeing };
  return similarLine(index, pattern, from);
}

function distance(start: number, from: number): number {
  // Prefer regions after the cursor (where the chunk was searched), then nearer ones.
  return start >= from ? start - from : from - start + 1_000_000;
}

/** How many file lines the similarity fallback compares, around the search start (keeps huge files fast). */
const SIMILARITY_WINDOW = 100_000;

/** No line matched even loosely: fall back to the file line most similar to a pattern line. */
function similarLine(index: LineIndex, pattern: readonly string[], from: number): Region | null {
  const keys = index.keysAt(3);
  const first = Math.max(0, Math.min(from - SIMILARITY_WINDOW / 2, keys.length - SIMILARITY_WINDOW));
  const last = Math.min(keys.length, first + SIMILARITY_WINDOW);
  let best: { start: number; score: number } | null = null;
  const probes = pattern
    .map((line, j) => ({ j, key: lineKey(line, 3) }))
    .filter((p) => distinctive(p.key))
    .slice(0, 3);
  for (const probe of probes) {
    const grams = bigrams(probe.key);
    for (let i = first; i < last; i++) {
      const key = keys[i]!;
      // Cheap length filter: Dice similarity cannot reach the best score with very different lengths.
      if (best && (2 * Math.min(key.length, probe.key.length)) / (key.length + probe.key.length) <= best.score) continue;
      const score = dice(grams, key);
      if (!best || score > best.score) best = { start: Math.max(0, i - probe.j), score };
    }
  }
  return best && best.score > 0.3 ? { start: best.start, agreeing: 0 } : null;
}

function bigrams(text: string): Map<string, number> {
  const grams = new Map<string, number>();
  for (let i = 0; i < text.length - 1; i++) {
    const g = text.slice(i, i + 2);
    grams.set(g, (grams.get(g) ?? 0) + 1);
  }
  return grams;
}

function dice(grams: Map<string, number>, text: string): number {
  const total = Math.max(0, text.length - 1);
  let size = 0;
  for (const c of grams.values()) size += c;
  if (size + total === 0) return 0;
  const left = new Map(grams);
  let shared = 0;
  for (let i = 0; i < text.length - 1; i++) {
    const g = text.slice(i, i + 2);
    const c = left.get(g);
    if (c) {
      shared++;
      left.set(g, c - 1);
    }
  }
  return (2 * shared) / (size + total);
}
