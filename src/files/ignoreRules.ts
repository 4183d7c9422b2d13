import { join } from "node:path";
import ignore, { type Ignore } from "ignore";
import { readRegularFile } from "../fs/regularFile.js";
import { MAX_IGNORE_FILE_BYTES } from "./skipRules.js";
import { joinRel } from "./treeOrder.js";

/**
 * Ignore files, shared by list_files and both search engines.
 *
 * Semantics (kept identical to how we drive ripgrep, see search/ripgrepArgs.ts):
 * every `.gitignore` inside the workspace applies to its own subtree, whether or
 * not the workspace is a git repository; the deepest file that has an opinion
 * about a path decides (a `!pattern` re-includes). `.rgignore` files work the
 * same way and take precedence over every `.gitignore`, because ripgrep always
 * reads them. Files above the workspace, `.ignore`, `.git/info/exclude` and the
 * user's global excludes are not read, so the answer depends only on what is
 * inside the workspace.
 */
export type IgnoreKind = "gitignore" | "rgignore";

export const IGNORE_FILES: Readonly<Record<IgnoreKind, string>> = { gitignore: ".gitignore", rgignore: ".rgignore" };

export interface IgnoreLevel {
  kind: IgnoreKind;
  /** Folder of the ignore file, relative to the workspace root ("." for the root). */
  dir: string;
  /** Its raw text, kept so the ripgrep bridge can hand the same rules to rg. */
  text: string;
  matcher: Ignore;
  /**
   * Every rule is a bare name pattern (`*.log`, `build/`), which gitignore
   * matches against the last path segment: then the name alone is tested,
   * which keeps node-ignore's per-path cache small and skips its walk up the
   * parent folders (the walker has already pruned ignored folders).
   */
  namesOnly: boolean;
}

export type IgnoreVerdict = "ignored" | "unignored" | "none";

/** Read one ignore file when it is a regular file (a symlinked one could point outside: not followed). */
export function loadIgnoreLevel(file: string, relDir: string, kind: IgnoreKind = "gitignore"): IgnoreLevel | null {
  try {
    const read = readRegularFile(file, MAX_IGNORE_FILE_BYTES, { noFollow: true });
    if (!read) return null;
    const text = read.bytes.toString("utf8");
    return { kind, dir: relDir, text, matcher: ignore({ ignorecase: false }).add(text), namesOnly: onlyNamePatterns(text) };
  } catch {
    return null; // a link, a FIFO, a folder, too large
  }
}

/** The ignore files of one folder; `has(name)` says which exist, to spare an open() per folder and kind. */
export function loadFolderLevels(entryPath: (name: string) => string, relDir: string, has: (name: string) => boolean = () => true): IgnoreLevel[] {
  const levels: IgnoreLevel[] = [];
  for (const kind of ["gitignore", "rgignore"] as const) {
    if (!has(IGNORE_FILES[kind])) continue;
    const level = loadIgnoreLevel(entryPath(IGNORE_FILES[kind]), relDir, kind);
    if (level) levels.push(level);
  }
  return levels;
}

/** Whether no rule of an ignore text has a slash other than a trailing one (so none is anchored). */
export function onlyNamePatterns(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const body = (line.startsWith("!") ? line.slice(1) : line).replace(/\/+$/, "");
    if (body.includes("/") || body.includes("\\")) return false;
  }
  return true;
}

/** Path of `rel` as seen from `dir` (both workspace-relative; `rel` lies below `dir`). */
function below(dir: string, rel: string): string {
  return dir === "." ? rel : rel.slice(dir.length + 1);
}

/** The ignore files in force, from the workspace root down to the folder being walked. */
export class IgnoreStack {
  private readonly levels: IgnoreLevel[];

  constructor(initial: readonly IgnoreLevel[] = []) {
    this.levels = [...initial];
  }

  push(levels: readonly IgnoreLevel[]): void {
    this.levels.push(...levels);
  }

  pop(count: number): void {
    this.levels.length -= count;
  }

  /** `.rgignore` files first, then `.gitignore` files; within a kind the deepest file with a matching rule decides. */
  verdict(rel: string, isDir: boolean): IgnoreVerdict {
    return this.verdictOf("rgignore", rel, isDir) ?? this.verdictOf("gitignore", rel, isDir) ?? "none";
  }

  private verdictOf(kind: IgnoreKind, rel: string, isDir: boolean): IgnoreVerdict | null {
    for (let i = this.levels.length - 1; i >= 0; i--) {
      const level = this.levels[i]!;
      if (level.kind !== kind || rel === level.dir) continue;
      const sub = level.namesOnly ? rel.slice(rel.lastIndexOf("/") + 1) : below(level.dir, rel);
      const result = level.matcher.test(isDir ? `${sub}/` : sub);
      if (result.ignored) return "ignored";
      if (result.unignored) return "unignored";
    }
    return null;
  }
}

/**
 * The ignore files of the folders above `start` (inside the workspace),
 * root first. A file whose rules exclude `start` itself is left out: naming an
 * ignored folder explicitly lists or searches it, as `rg PATH` does.
 */
export function ancestorLevels(root: string, start: string): IgnoreLevel[] {
  if (start === "." || start === "") return [];
  const parts = start.split("/");
  const levels: IgnoreLevel[] = [];
  let rel = ".";
  for (let i = 0; i < parts.length; i++) {
    for (const level of loadFolderLevels((name) => join(root, rel, name), rel)) {
      if (!level.matcher.ignores(`${below(rel, start)}/`)) levels.push(level);
    }
    rel = joinRel(rel, parts[i]!);
  }
  return levels;
}
