import type { GlobFilter } from "./globFilter.js";
import type { IgnoreStack } from "./ignoreRules.js";
import { SKIPPED_DIRS } from "./skipRules.js";

export interface VisibilityOptions {
  /** Show names starting with a dot (list_files only; searches skip them like rg). */
  includeHidden: boolean;
  glob: GlobFilter | null;
  /** Workspace-relative folders that are off limits (the tool's config folder). */
  forbidden: readonly string[];
}

export interface Verdict {
  /** List it (list_files) or search it (files). */
  show: boolean;
  /** For folders: walk into it. */
  descend: boolean;
}

const HIDE: Verdict = Object.freeze({ show: false, descend: false });
const SHOW_FILE: Verdict = Object.freeze({ show: true, descend: false });
const SHOW_DIR: Verdict = Object.freeze({ show: true, descend: true });
const WALK_DIR: Verdict = Object.freeze({ show: false, descend: true });

/**
 * Whether an entry below the walk's starting folder is shown and walked into:
 * skipped folders and the config folder never; then `.gitignore` (the deepest
 * rule decides; a `!` re-include also overrides hidden-ness, as in rg); then
 * names starting with a dot. The glob only filters on top of that: a `!glob`
 * hides what it matches (folders with their contents), a plain glob shows
 * only matching entries but never reveals an ignored or hidden file.
 * A file a plain glob does not match is hidden whatever the ignore rules say,
 * so they are not consulted for it (the common case of a glob walk).
 */
export function decide(rel: string, name: string, isDir: boolean, ignores: IgnoreStack, options: VisibilityOptions): Verdict {
  if (isDir && (SKIPPED_DIRS.has(name) || options.forbidden.includes(rel))) return HIDE;
  const glob = options.glob;
  const globHit = glob ? glob.matches(rel, isDir) : true;
  if (glob && (glob.negated ? globHit : !globHit && !isDir)) return HIDE;
  const verdict = ignores.verdict(rel, isDir);
  if (verdict === "ignored") return HIDE;
  if (verdict === "none" && !options.includeHidden && name.startsWith(".")) return HIDE;
  const show = !glob || glob.negated || globHit;
  return isDir ? (show ? SHOW_DIR : WALK_DIR) : show ? SHOW_FILE : HIDE;
}
