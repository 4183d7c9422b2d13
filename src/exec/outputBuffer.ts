import { fitJson, jsonSize } from "./jsonBudget.js";

/**
 * One output stream of a job, capped in memory: the first `headChars` and the
 * last `tailChars` are kept, the middle is dropped and shown as one
 * "[… N bytes omitted …]" marker. Positions count every character produced,
 * so a reader can continue where it stopped even after the middle is gone.
 */

export interface OutputLimits {
  headChars: number;
  tailChars: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = { headChars: 40_000, tailChars: 160_000 };

export interface OutputSlice {
  text: string;
  /** Position to read from next time. */
  next: number;
  /** Bytes dropped from memory inside this slice's range (shown as a marker in `text`). */
  omittedBytes: number;
  /** Kept output after `next` that did not fit the budget. */
  more: boolean;
}

const MERGE_CHUNKS = 64;

export class OutputBuffer {
  private head = "";
  private tail: string[] = [];
  private tailChars = 0;
  /** Position of the first kept tail character. */
  private tailStart = 0;
  private droppedBytes = 0;
  private produced = 0;

  constructor(private readonly limits: OutputLimits = DEFAULT_OUTPUT_LIMITS) {}

  /** Characters produced so far (kept or not). */
  get length(): number {
    return this.produced;
  }

  append(text: string): void {
    if (text.length === 0) return;
    this.produced += text.length;
    if (this.head.length < this.limits.headChars && this.tail.length === 0) {
      let take = Math.min(text.length, this.limits.headChars - this.head.length);
      if (take < text.length && isLowSurrogate(text.charCodeAt(take))) take--;
      this.head += text.slice(0, take);
      text = text.slice(take);
      this.tailStart = this.head.length;
      if (text.length === 0) return;
    }
    this.tail.push(text);
    this.tailChars += text.length;
    this.dropExcess();
    if (this.tail.length > MERGE_CHUNKS) this.tail = [this.tail.join("")];
  }

  private dropExcess(): void {
    while (this.tailChars > this.limits.tailChars) {
      const first = this.tail[0]!;
      const excess = this.tailChars - this.limits.tailChars;
      if (first.length <= excess) {
        this.tail.shift();
        this.forget(first);
      } else {
        let cut = excess;
        if (isLowSurrogate(first.charCodeAt(cut))) cut++;
        this.tail[0] = first.slice(cut);
        this.forget(first.slice(0, cut));
      }
    }
  }

  private forget(text: string): void {
    this.droppedBytes += Buffer.byteLength(text);
    this.tailStart += text.length;
    this.tailChars -= text.length;
  }

  /**
   * Output from position `from`, at most `budget` characters once
   * JSON-escaped. A dropped middle becomes a marker; a slice cut by the
   * budget says `more` and where to go on.
   */
  read(from: number, budget: number): OutputSlice {
    let pos = Math.max(0, Math.min(from, this.produced));
    let text = "";
    let left = budget;
    let omittedBytes = 0;
    if (pos < this.head.length) {
      const piece = this.head.slice(pos);
      const fit = fitJson(piece, left);
      text += piece.slice(0, fit);
      left -= jsonSize(piece.slice(0, fit));
      pos += fit;
      if (fit < piece.length) return { text, next: pos, omittedBytes, more: true };
    }
    if (pos < this.tailStart) {
      omittedBytes = this.omittedBetween(pos);
      const marker = `\n[… ${omittedBytes} bytes omitted …]\n`;
      if (jsonSize(marker) > left) return { text, next: pos, omittedBytes: 0, more: true };
      text += marker;
      left -= jsonSize(marker);
      pos = this.tailStart;
    }
    const kept = this.tail.length === 1 ? this.tail[0]! : this.tail.join("");
    if (this.tail.length > 1) this.tail = [kept];
    const piece = kept.slice(pos - this.tailStart);
    const fit = fitJson(piece, left);
    text += piece.slice(0, fit);
    pos += fit;
    return { text, next: pos, omittedBytes, more: pos < this.produced };
  }

  /** Bytes dropped between `from` and the kept tail (exact from the head's end, proportional inside the gap). */
  private omittedBetween(from: number): number {
    const gap = this.tailStart - this.head.length;
    if (gap <= 0) return 0;
    const share = (this.tailStart - Math.max(from, this.head.length)) / gap;
    return Math.round(this.droppedBytes * share);
  }
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
