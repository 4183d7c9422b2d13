import { join, posix } from "node:path";
import { IgnoreStack, loadFolderLevels, type IgnoreLevel } from "./ignoreRules.js";
import { decide, type VisibilityOptions } from "./visibility.js";

interface DirState {
  /** The walk would enter it. */
  walked: boolean;
  /** Ignore files in force inside it, outermost first. */
  levels: IgnoreLevel[];
}

/**
 * The walker's verdict for one path without walking: used to hold ripgrep's
 * results to exactly the files the built-in walk would search (rg lets a
 * `--glob` match override `.gitignore` and hidden-ness; we do not).
 * Folder verdicts and ignore files are cached, so checking every file rg
 * reports costs a few lookups each.
 */
export class PathVisibility {
  private readonly dirs = new Map<string, DirState>();

  constructor(
    private readonly root: string,
    private readonly start: string,
    ancestors: IgnoreLevel[],
    private readonly options: VisibilityOptions,
  ) {
    this.dirs.set(start, { walked: true, levels: [...ancestors, ...loadFolderLevels((name) => join(root, start, name), start)] });
  }

  /** Whether the walk from `start` would search the file `rel` (workspace-relative, below `start`). */
  fileVisible(rel: string): boolean {
    const parent = this.dirState(posix.dirname(rel));
    if (!parent?.walked) return false;
    return decide(rel, posix.basename(rel), false, new IgnoreStack(parent.levels), this.options).show;
  }

  private dirState(dir: string): DirState | null {
    const known = this.dirs.get(dir);
    if (known) return known;
    if (dir === "." || dir === "" || !dir.startsWith(this.start === "." ? "" : `${this.start}/`)) return null;
    const parent = this.dirState(posix.dirname(dir));
    let state: DirState;
    if (!parent?.walked) {
      state = { walked: false, levels: [] };
    } else {
      const verdict = decide(dir, posix.basename(dir), true, new IgnoreStack(parent.levels), this.options);
      const own = verdict.descend ? loadFolderLevels((name) => join(this.root, dir, name), dir) : [];
      state = { walked: verdict.descend, levels: own.length > 0 ? [...parent.levels, ...own] : parent.levels };
    }
    this.dirs.set(dir, state);
    return state;
  }
}
