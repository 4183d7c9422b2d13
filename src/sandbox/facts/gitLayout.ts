import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { writeFileAtomicSync } from "../../fs/atomic.js";
import type { Closable } from "../../ground/resources.js";
import { gitProtection, type GitProtection } from "../git.js";

/**
 * The git layout of a workspace as the OWNER last saw it: which git folders outside
 * the workspace a sandboxed command may write (a linked worktree's git folder and
 * its common folder, the repository of a workspace that is a sub-folder).
 *
 * Why a record: a command can write `.git` (a `gitdir:` file) and `.git/commondir`
 * inside the workspace. Reading them at command time let a command choose which
 * folders the NEXT command gets read-write — `$HOME`, the tool's config folder.
 * So the layout is captured only at the owner's acts (server start, registration,
 * a config change that adds the workspace), and at command time a pointer that
 * names anything else gets nothing writable outside the workspace.
 */
export interface GitLayout {
  workspace: string;
  captured_at: string;
  /** The git folder and common folder the pointers named at capture (null: not a repository). */
  git_dir: string | null;
  common_dir: string | null;
  /** Git folders outside the workspace that commands may write (passed `forbiddenWritable`). */
  writable: string[];
  /** Read-only folders above a workspace in /tmp that git must see (the repository's top). */
  visible: string[];
  /** Git folders the pointers named that are never made writable (home, config folder, secrets …). */
  refused: string[];
}

/** What a writable git folder may never be, whatever a pointer or a record says. */
export interface Guarded {
  home: string;
  configHome: string;
  /** Real paths of every hidden path (secrets, system sockets, sandbox.hide, the config folder). */
  hidden: readonly string[];
  workspace: string;
}

/**
 * Why `dir` may not become writable, or null. Never `/`, the home folder, the config
 * folder, a hidden path, or an ancestor of any of them (or of the workspace); never
 * inside the config folder or a hidden path; never a dot-folder of the home folder
 * other than a `.git` (`~/.local/bin`, `~/.config/…` hold programs and settings the
 * user runs outside the sandbox).
 */
export function forbiddenWritable(dir: string, guarded: Guarded): string | null {
  if (dir === "/" || dir === "") return "the root folder";
  const keep = [guarded.home, guarded.configHome, guarded.workspace, ...guarded.hidden];
  for (const path of keep) {
    if (isInside(path, dir)) return path === guarded.workspace ? "a folder that contains the workspace" : "a folder that contains the home folder, the tool's config folder or a hidden path";
  }
  for (const path of [guarded.configHome, ...guarded.hidden]) {
    if (isInside(dir, path)) return "inside the tool's config folder or a hidden path";
  }
  if (isInside(dir, guarded.home)) {
    const parts = relative(guarded.home, dir).split(sep);
    if (parts.some((part) => part.startsWith(".") && part !== ".git")) return "a hidden folder of the home folder";
  }
  return null;
}

/** Read the layout of `workspace` now (on the host, at an owner's act). */
export function captureGitLayout(workspace: string, guarded: Guarded, now = new Date()): GitLayout {
  const found = gitProtection(workspace);
  const layout: GitLayout = {
    workspace,
    captured_at: now.toISOString(),
    git_dir: found.gitDir,
    common_dir: found.commonDir,
    writable: [],
    visible: found.visible,
    refused: [],
  };
  for (const dir of found.writable) {
    if (isInside(dir, workspace)) continue;
    if (forbiddenWritable(dir, guarded) !== null || !looksLikeGitFolder(dir)) layout.refused.push(dir);
    else layout.writable.push(dir);
  }
  return layout;
}

/** What the sandbox may use of the current scan, given the record. */
export interface Reconciled {
  protection: GitProtection;
  /** Git folders a pointer names now that the record does not allow: nothing of them is writable. */
  untrusted: string[];
}

/**
 * Narrow a scan made at command time to what the record allows: writable git folders
 * outside the workspace only when recorded (and still not forbidden); protections
 * that create or delete something (empty hooks mounts, planted pointers removed after
 * the run) only inside what is writable. Read-only binds of existing paths stay (they
 * only narrow).
 */
export function reconcile(current: GitProtection, layout: GitLayout | null, guarded: Guarded): Reconciled {
  const workspace = guarded.workspace;
  const allowed = new Set(layout?.workspace === workspace ? layout.writable : []);
  const writable: string[] = [];
  const untrusted: string[] = [];
  for (const dir of current.writable) {
    if (isInside(dir, workspace)) writable.push(dir);
    else if (allowed.has(dir) && forbiddenWritable(dir, guarded) === null) writable.push(dir);
    else untrusted.push(dir);
  }
  const inWritable = (path: string) => isInside(path, workspace) || writable.some((dir) => isInside(path, dir));
  const recordedVisible = new Set(layout?.workspace === workspace ? layout.visible : []);
  return {
    protection: {
      ...current,
      writable,
      emptyDirs: current.emptyDirs.filter(inWritable),
      mustNotAppear: current.mustNotAppear.filter(inWritable),
      visible: current.visible.filter((path) => recordedVisible.has(path)),
    },
    untrusted,
  };
}

function looksLikeGitFolder(dir: string): boolean {
  return existsSync(join(dir, "HEAD")) && (existsSync(join(dir, "objects")) || existsSync(join(dir, "commondir")));
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

const FILE = "git-layouts.json";

/** The records, kept in the config folder (hidden from commands), for `doctor` and later starts. */
export function loadLayouts(configHome: string): Record<string, GitLayout> {
  try {
    const parsed = JSON.parse(readFileSync(join(configHome, FILE), "utf8")) as { layouts?: Record<string, GitLayout> };
    return parsed.layouts && typeof parsed.layouts === "object" ? parsed.layouts : {};
  } catch {
    return {};
  }
}

export function saveLayout(configHome: string, layout: GitLayout): void {
  const layouts = { ...loadLayouts(configHome), [layout.workspace]: layout };
  try {
    if (!existsSync(configHome)) mkdirSync(configHome, { recursive: true, mode: 0o700 });
    writeFileAtomicSync(join(configHome, FILE), `${JSON.stringify({ version: 1, layouts }, null, 2)}\n`, 0o600);
  } catch {
    // A read-only config folder: the record in memory still rules this server.
  }
}

export const GIT_LAYOUTS = "git-layouts";

/** The server's records, one per workspace, captured at start and when a workspace first appears. */
export class GitLayouts implements Closable {
  private readonly records = new Map<string, GitLayout>();

  constructor(private readonly configHome: string) {}

  /** Capture (the owner's act: server start, a config change), remember and store. */
  capture(workspace: string, guarded: Guarded): GitLayout {
    const layout = captureGitLayout(workspace, guarded);
    this.records.set(workspace, layout);
    saveLayout(this.configHome, layout);
    return layout;
  }

  /**
   * The record for a workspace: this server's own, else the one stored when the workspace
   * was registered, else captured now (a workspace added to the config while the server runs).
   */
  get(workspace: string, guarded: Guarded): GitLayout {
    const known = this.records.get(workspace);
    if (known) return known;
    const registered = loadLayouts(this.configHome)[workspace];
    if (registered?.workspace === workspace) {
      this.records.set(workspace, registered);
      return registered;
    }
    return this.capture(workspace, guarded);
  }

  close(): void {
    this.records.clear();
  }
}
