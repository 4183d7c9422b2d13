/**
 * The listing as it was before the walk was made faster (commit da251fd:
 * files/walker.ts, visibility.ts and globFilter.ts, and list_files' lstat of
 * every entry), kept verbatim in logic as the oracle for
 * listing-equivalence.test.ts: the fast walk must answer exactly this.
 * Not used by the product.
 */
import { lstatSync, type Dirent } from "node:fs";
import picomatch from "picomatch";
import { ConfinedDir } from "../../src/files/confinedFs.js";
import { IGNORE_FILES, IgnoreStack, loadFolderLevels, type IgnoreLevel } from "../../src/files/ignoreRules.js";
import { SKIPPED_DIRS } from "../../src/files/skipRules.js";
import { compareNames, comparePaths, isSameOrBelow, joinRel } from "../../src/files/treeOrder.js";

export interface OldGlob {
  readonly negated: boolean;
  matches(rel: string, isDir: boolean): boolean;
}

export function oldCompileGlob(glob: string): OldGlob {
  const negated = glob.startsWith("!");
  let body = negated ? glob.slice(1) : glob;
  const dirOnly = body.endsWith("/") && !body.endsWith("\\/");
  if (dirOnly) body = body.replace(/\/+$/, "");
  const anchored = body.includes("/");
  if (body.startsWith("/")) body = body.replace(/^\/+/, "");
  const test = picomatch(anchored ? body : `**/${body}`, { dot: true });
  return { negated, matches: (rel, isDir) => (!dirOnly || isDir) && test(rel) };
}

interface OldOptions {
  includeHidden: boolean;
  glob: OldGlob | null;
  forbidden: readonly string[];
}

const HIDE = { show: false, descend: false };

export function oldDecide(rel: string, name: string, isDir: boolean, ignores: IgnoreStack, options: OldOptions): { show: boolean; descend: boolean } {
  if (isDir && (SKIPPED_DIRS.has(name) || options.forbidden.includes(rel))) return HIDE;
  const glob = options.glob;
  const globHit = glob ? glob.matches(rel, isDir) : true;
  if (glob?.negated && globHit) return HIDE;
  const verdict = ignores.verdict(rel, isDir);
  if (verdict === "ignored") return HIDE;
  if (verdict === "none" && !options.includeHidden && name.startsWith(".")) return HIDE;
  const show = !glob || glob.negated || globHit;
  return { show, descend: isDir };
}

export interface OldWalkOptions extends OldOptions {
  root: string;
  start: string;
  startParts: string[];
  recursive: boolean;
  ancestors: IgnoreLevel[];
  resume?: { path: string; inclusive: boolean } | null;
}

export interface OldEntry {
  path: string;
  type: "file" | "dir" | "symlink";
  size: number | null;
}

/** Every entry the old walker returned, with the size list_files reported, and the last path it visited. */
export function oldWalk(options: OldWalkOptions): { entries: OldEntry[]; lastVisited: string | null } {
  interface Frame {
    rel: string;
    dir: ConfinedDir;
    entries: Dirent[];
    index: number;
    pushedIgnore: number;
  }
  const stack: Frame[] = [];
  const ignores = new IgnoreStack(options.ancestors);
  let lastVisited: string | null = null;
  const enter = (rel: string, dir: ConfinedDir) => {
    let entries: Dirent[];
    try {
      entries = dir.list();
    } catch {
      dir.close();
      return;
    }
    entries.sort((a, b) => compareNames(a.name, b.name));
    const present = new Set(entries.filter((e) => e.isFile() && (e.name === IGNORE_FILES.gitignore || e.name === IGNORE_FILES.rgignore)).map((e) => e.name));
    const levels = present.size > 0 ? loadFolderLevels((name) => dir.entry(name), rel, (name) => present.has(name)) : [];
    ignores.push(levels);
    stack.push({ rel, dir, entries, index: 0, pushedIgnore: levels.length });
  };
  const pop = () => {
    const frame = stack.pop();
    if (!frame) return;
    frame.dir.close();
    ignores.pop(frame.pushedIgnore);
  };
  const sizeOf = (abs: string) => {
    try {
      return lstatSync(abs).size;
    } catch {
      return null;
    }
  };
  const out: OldEntry[] = [];
  enter(options.start, ConfinedDir.open(options.root, options.startParts, false));
  const resume = options.resume ?? null;
  try {
    for (;;) {
      const frame = stack[stack.length - 1];
      if (!frame) break;
      if (frame.index >= frame.entries.length) {
        pop();
        continue;
      }
      const dirent = frame.entries[frame.index++]!;
      const kind = dirent.isSymbolicLink() ? "symlink" : dirent.isDirectory() ? "dir" : dirent.isFile() ? "file" : null;
      if (!kind) continue;
      const rel = joinRel(frame.rel, dirent.name);
      const isDir = kind === "dir";
      let skipped = false;
      if (resume !== null) {
        const order = comparePaths(rel, resume.path);
        if (order < 0 || (order === 0 && resume.inclusive)) {
          if (!(isDir && isSameOrBelow(resume.path, rel))) continue;
          skipped = true;
        }
      }
      const verdict = oldDecide(rel, dirent.name, isDir, ignores, options);
      const abs = frame.dir.entry(dirent.name);
      if (isDir && verdict.descend && options.recursive) {
        let child: ConfinedDir | null = null;
        try {
          child = frame.dir.child(dirent.name);
        } catch {
          // not walked
        }
        if (child) enter(rel, child);
      }
      if (skipped) continue;
      lastVisited = rel;
      if (!verdict.show) continue;
      out.push({ path: rel, type: kind, size: kind === "dir" ? null : sizeOf(abs) });
    }
  } finally {
    while (stack.length > 0) pop();
  }
  return { entries: out, lastVisited };
}
