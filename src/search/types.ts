/** What both search engines receive and produce. */
export interface SearchRequest {
  /** Workspace root (real path): ripgrep's working folder, the base of every result path. */
  root: string;
  /** Workspace-relative file or folder to search ("." for everything). */
  start: string;
  /** Its resolved location, split into components below the root. */
  startParts: string[];
  startIsFile: boolean;
  pattern: string;
  regex: boolean;
  caseSensitive: boolean;
  glob: string | null;
  contextLines: number;
  limit: number;
  /** Continue after this match (from a cursor). */
  after: Position | null;
  /** Workspace-relative folders never searched (the tool's config folder). */
  forbidden: string[];
  /** Epoch ms at which to stop and answer with what was found so far. */
  softDeadline: number;
}

/** A place in the result order: a line of a file. `line` = END_OF_FILE means "after the whole file". */
export interface Position {
  path: string;
  line: number;
}

export const END_OF_FILE = Number.MAX_SAFE_INTEGER;

export interface SearchMatch {
  path: string;
  line: number;
  column: number;
  text: string;
  before?: string[];
  after?: string[];
}

export interface SearchPage {
  matches: SearchMatch[];
  truncated: boolean;
  /** Where the next page starts (after this position); null when complete. */
  next: Position | null;
  /** Stopped by the time limit rather than a full page. */
  stoppedForTime: boolean;
}
