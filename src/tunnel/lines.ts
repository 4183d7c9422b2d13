import type { Readable } from "node:stream";

/**
 * Call `onLine` for every complete line a stream writes (CR/LF stripped).
 * A child's output arrives in arbitrary chunks; a URL split across two chunks
 * must still be seen whole. A last line without a newline is delivered at end.
 */
export function readLines(stream: Readable, onLine: (line: string) => void): void {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf("\n");
    while (newline !== -1) {
      onLine(pending.slice(0, newline).replace(/\r$/, ""));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
    // A child that never prints a newline must not grow this without bound.
    if (pending.length > 64 * 1024) {
      onLine(pending);
      pending = "";
    }
  });
  stream.on("end", () => {
    if (pending.length > 0) onLine(pending.replace(/\r$/, ""));
    pending = "";
  });
}

/** The last `size` lines seen, to show when a child fails. */
export class LineTail {
  private readonly lines: string[] = [];

  constructor(private readonly size = 15) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.shift();
  }

  text(indent = "  "): string {
    return this.lines.map((line) => `${indent}${line}`).join("\n");
  }
}
