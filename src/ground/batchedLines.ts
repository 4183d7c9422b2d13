/**
 * Collects lines and hands them to `sink` once per event-loop turn, so a busy
 * server makes one write for many requests instead of one each.
 */
export class BatchedLines {
  private queue: string[] = [];
  private scheduled = false;

  constructor(private readonly sink: (lines: string[]) => void) {}

  push(line: string): void {
    this.queue.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const lines = this.queue;
    this.queue = [];
    this.sink(lines);
  }
}
