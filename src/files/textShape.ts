/**
 * The two facts about a text file's line breaks that an edit can change
 * without the model noticing: LF or CRLF, and whether the last line ends with
 * a newline. Write answers report a change of either, so a model that wrote
 * LF over a CRLF file (or dropped the final newline) hears about it at once
 * instead of from a noisy diff later.
 */

export type LineEndings = "lf" | "crlf" | "mixed";

export interface TextShape {
  /** null: no line break at all (one line, or empty). */
  endings: LineEndings | null;
  /** null: the file is empty. */
  finalNewline: boolean | null;
}

/** What an edit changed about the shape; empty when nothing (or when either side is not text). */
export interface ShapeChange {
  line_endings?: { before: LineEndings; after: LineEndings };
  final_newline?: "added" | "removed";
}

/** Streams a file's bytes (in chunks, as they are hashed) into its TextShape. */
export class ShapeScan {
  private crlf = 0;
  private lf = 0;
  private lastByte = -1;
  private binary = false;

  update(chunk: Uint8Array): void {
    if (chunk.length === 0 || this.binary) return;
    if (chunk.includes(0)) {
      this.binary = true; // not text: line breaks mean nothing there
      return;
    }
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let nl = bytes.indexOf(10); nl !== -1; nl = bytes.indexOf(10, nl + 1)) {
      const before = nl > 0 ? bytes[nl - 1] : this.lastByte;
      if (before === 13) this.crlf++;
      else this.lf++;
    }
    this.lastByte = bytes[bytes.length - 1]!;
  }

  /** The shape, or null for a file that is not text (a NUL byte). */
  result(): TextShape | null {
    if (this.binary) return null;
    const endings = this.crlf === 0 && this.lf === 0 ? null : this.crlf === 0 ? "lf" : this.lf === 0 ? "crlf" : "mixed";
    return { endings, finalNewline: this.lastByte === -1 ? null : this.lastByte === 10 };
  }
}

/** Only the final-newline half of the shape (no scan: the last byte says it). */
export function finalNewlineShape(bytes: Uint8Array): TextShape {
  return { endings: null, finalNewline: bytes.length === 0 ? null : bytes[bytes.length - 1] === 10 };
}

export function shapeOf(bytes: Uint8Array): TextShape | null {
  const scan = new ShapeScan();
  scan.update(bytes);
  return scan.result();
}

/**
 * What changed from `before` to `after`. Only real changes count: a side that
 * is missing, binary, empty or without any line break has no state to lose.
 */
export function shapeChange(before: TextShape | null, after: TextShape | null): ShapeChange {
  if (!before || !after) return {};
  const change: ShapeChange = {};
  if (before.endings !== null && after.endings !== null && before.endings !== after.endings) {
    change.line_endings = { before: before.endings, after: after.endings };
  }
  if (before.finalNewline !== null && after.finalNewline !== null && before.finalNewline !== after.finalNewline) {
    change.final_newline = after.finalNewline ? "added" : "removed";
  }
  return change;
}
