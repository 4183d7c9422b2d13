import type { Dirent } from "node:fs";
import { ConfinedDir } from "./confinedFs.js";
import { IGNORE_FILES, IgnoreStack, loadFolderLevels, type IgnoreLevel } from "./ignoreRules.js";
import { compareNames, comparePaths, isSameOrBelow, joinRel } from "./treeOrder.js";
import { decide, type VisibilityOptions } from "./visibility.js";

export type EntryKind = "file" | "dir" | "symlink";

export interface WalkEntry {
  /** Workspace-relative, `/`-separated. */
  rel: string;
  /** Where to open or stat it: through its open parent folder, valid until the next `next()`. */
  abs: string;
  kind: EntryKind;
}

export interface WalkOptions extends VisibilityOptions {
  /** Workspace root (real path). */
  root: string;
  /** Folder to walk, workspace-relative ("." for the root). */
  start: string;
  /** Its real path split below the root (from resolveInside's `real`). */
  startParts: string[];
  recursive: boolean;
  /** `.gitignore` files above `start` (see ancestorLevels). */
  ancestors: IgnoreLevel[];
  /** Resume here (tree order): entries before `path` are skipped, and `path` itself too when `inclusive`. */
  resume?: { path: string; inclusive: boolean } | null;
}

interface Frame {
  rel: string;
  dir: ConfinedDir;
  entries: Dirent[];
  index: number;
  /** Ignore files of this folder pushed on the stack. */
  pushedIgnore: number;
}

/**
 * A depth-first walk in tree order (see treeOrder.ts) that never follows
 * symlinks, honours the visibility rules and prunes ignored folders. Each
 * folder is opened without following symlinks and read through its open
 * handle (ConfinedDir), so a folder swapped for a symlink mid-walk is not
 * entered. Pull-based and synchronous per step: the caller decides when to
 * stop and when to let the event loop breathe, and must call close().
 */
export class TreeWalker {
  private readonly stack: Frame[] = [];
  private readonly ignores: IgnoreStack;
  /** The last path visited (shown or not): a cursor taken here resumes exactly after it. */
  lastVisited: string | null = null;

  constructor(private readonly options: WalkOptions) {
    this.ignores = new IgnoreStack(options.ancestors);
    this.enter(options.start, ConfinedDir.open(options.root, options.startParts, false));
  }

  next(): WalkEntry | undefined {
    const resume = this.options.resume ?? null;
    for (;;) {
      const frame = this.stack[this.stack.length - 1];
      if (!frame) return undefined;
      if (frame.index >= frame.entries.length) {
        this.pop();
        continue;
      }
      const dirent = frame.entries[frame.index++]!;
      const kind = kindOf(dirent);
      if (!kind) continue;
      const rel = joinRel(frame.rel, dirent.name);
      const isDir = kind === "dir";
      let skipped = false;
      if (resume !== null) {
        const order = comparePaths(rel, resume.path);
        if (order < 0 || (order === 0 && resume.inclusive)) {
          // Before the cursor: skip it, and its whole subtree unless the cursor lies inside.
          if (!(isDir && isSameOrBelow(resume.path, rel))) continue;
          skipped = true;
        }
      }
      const verdict = decide(rel, dirent.name, isDir, this.ignores, this.options);
      if (isDir && verdict.descend && this.options.recursive) {
        let child: ConfinedDir | null = null;
        try {
          child = frame.dir.child(dirent.name);
        } catch {
          // vanished, unreadable, or swapped for a symlink: not walked
        }
        if (child) this.enter(rel, child);
      }
      if (skipped) continue;
      this.lastVisited = rel;
      if (!verdict.show) continue;
      return { rel, abs: frame.dir.entry(dirent.name), kind };
    }
  }

  /** Release the open folders (a walk stopped early keeps some). */
  close(): void {
    while (this.stack.length > 0) this.pop();
  }

  private pop(): void {
    const frame = this.stack.pop();
    if (!frame) return;
    frame.dir.close();
    this.ignores.pop(frame.pushedIgnore);
  }

  private enter(rel: string, dir: ConfinedDir): void {
    let entries: Dirent[];
    try {
      entries = dir.list();
    } catch {
      dir.close();
      return; // unreadable or vanished folder: nothing to list
    }
    entries.sort((a, b) => compareNames(a.name, b.name));
    const present = new Set(entries.filter((e) => e.isFile() && (e.name === IGNORE_FILES.gitignore || e.name === IGNORE_FILES.rgignore)).map((e) => e.name));
    const levels = present.size > 0 ? loadFolderLevels((name) => dir.entry(name), rel, (name) => present.has(name)) : [];
    this.ignores.push(levels);
    this.stack.push({ rel, dir, entries, index: 0, pushedIgnore: levels.length });
  }
}

function kindOf(dirent: Dirent): EntryKind | null {
  if (dirent.isSymbolicLink()) return "symlink";
  if (dirent.isDirectory()) return "dir";
  if (dirent.isFile()) return "file";
  return null; // sockets, FIFOs, devices: reading one could block or mean nothing
}
