/** One row of the `npm run bench` table: ours against a baseline, measured in the same run. */
export interface BenchRow {
  /** What was measured, e.g. "search_text (ripgrep backend) vs rg". */
  name: string;
  /** Our figure with unit, e.g. "182 ms" or "12,300 req/s". */
  ours: string;
  /** The baseline's figure with unit, or "-" when there is none. */
  baseline: string;
  /** ours / baseline as a cost ratio (time: higher is slower; throughput rows say so in `goal`). null when not comparable. */
  ratio: number | null;
  /** The goal from the issue, e.g. "≤ 1.3×". */
  goal: string;
  /** Whether the goal was met (null when the row has no goal). */
  met: boolean | null;
  note?: string;
}

export interface BenchContext {
  /** A scratch folder for this run (removed afterwards). */
  tmp: string;
  /** Print progress to stderr. */
  progress(message: string): void;
}

/** A bench module's default export. */
export type BenchSuite = (ctx: BenchContext) => Promise<BenchRow[]>;
