import { existsSync, lstatSync, readdirSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { readSmallText } from "../fs/regularFile.js";
import { readGitFile } from "../git/repo.js";
import { realOr } from "../ground/realPath.js";

/**
 * What in a repository must stay read-only for a sandboxed command, so it
 * cannot plant code that git runs later OUTSIDE the sandbox (when the user
 * commits in their own terminal):
 * - hooks (`<common>/hooks`, and a `core.hooksPath` folder inside reach),
 * - config (`<common>/config`, `config.worktree`), which can name programs
 *   (core.fsmonitor, core.hooksPath, filters, diff drivers, aliases …),
 * - the pointers that choose WHICH git folder is used: a `.git` file
 *   (worktree, submodule) and a `commondir` file,
 * - config of hook managers that run from the working tree (husky, lefthook, pre-commit),
 * - the same for submodule git folders under `<common>/modules`.
 * Git's own data (objects, refs, index, logs) stays writable so
 * `git add` and `git commit` work.
 */
export interface GitProtection {
  /** Git folders that must be writable for add/commit (may lie outside the workspace). */
  writable: string[];
  readOnly: string[];
  /** Pointer files that do not exist yet; a command that creates one has planted it. */
  mustNotAppear: string[];
  /** Folders that do not exist yet and get an empty read-only mount (a missing .git/hooks). */
  emptyDirs: string[];
  /** The repository's top folder when it lies above the workspace: git must see it (read-only) to find the repository. */
  visible: string[];
  /** The git folder and common folder the pointers name now (null: no repository). */
  gitDir: string | null;
  commonDir: string | null;
}

const HOOK_MANAGER_FILES = [".husky", ".pre-commit-config.yaml", "lefthook.yml", ".lefthook.yml", "lefthook.yaml", ".lefthook.yaml", "lefthook-local.yml", ".lefthook-local.yml"];
const MAX_MODULE_DEPTH = 4;
const MAX_MODULES = 200;

/** Find the repository around `workspace` (the workspace itself or a parent) and what to protect. */
export function gitProtection(workspace: string): GitProtection {
  const empty = (): GitProtection => ({ writable: [], readOnly: [], mustNotAppear: [], emptyDirs: [], visible: [], gitDir: null, commonDir: null });
  const dotGit = findDotGit(workspace);
  if (!dotGit) return empty();
  const result = empty();
  let gitDir: string;
  const stat = lstatSync(dotGit.path);
  if (stat.isDirectory()) {
    gitDir = realpathSync(dotGit.path);
  } else if (stat.isFile()) {
    // A `.git` file is the command's to write: read without blocking, as a regular file only. It stays
    // read-only even when it names no folder we can use, so a command cannot turn it into a pointer.
    result.readOnly.push(dotGit.path);
    const target = readGitFile(dotGit.path, dirname(dotGit.path));
    if (!target) return result;
    try {
      gitDir = realpathSync(target);
    } catch {
      return result;
    }
  } else {
    return empty();
  }
  let commonDir = gitDir;
  const commonPointer = join(gitDir, "commondir");
  if (existsSync(commonPointer)) {
    // Anything but a small regular file (a FIFO would stall the server): read as naming no other folder.
    const text = readSmallText(commonPointer)?.trim() || ".";
    commonDir = realOr(isAbsolute(text) ? text : resolve(gitDir, text));
    result.readOnly.push(commonPointer);
  } else {
    result.mustNotAppear.push(commonPointer);
  }
  if (commonDir !== gitDir) {
    const mainPointer = join(commonDir, "commondir");
    if (!existsSync(mainPointer)) result.mustNotAppear.push(mainPointer);
  }
  result.gitDir = gitDir;
  result.commonDir = commonDir;
  // The git folders themselves are bound onto themselves: a mount point cannot be renamed away and replaced.
  result.writable.push(gitDir);
  if (commonDir !== gitDir) result.writable.push(commonDir);

  // Git reads hooks from the common folder only; a linked worktree's own folder gets no empty
  // hooks mount (that would create a folder in the user's repository for nothing).
  for (const dir of new Set([gitDir, commonDir])) protectGitDir(dir, result, dir === commonDir);
  protectModules(join(commonDir, "modules"), result, 0);

  const hooksPath = configuredHooksPath(join(commonDir, "config"));
  if (hooksPath) {
    const worktree = dirname(dotGit.path);
    const folder = realOr(isAbsolute(hooksPath) ? hooksPath : resolve(worktree, hooksPath));
    if (existsSync(folder)) result.readOnly.push(folder);
  }
  const worktree = dirname(dotGit.path);
  if (worktree !== workspace) result.visible.push(worktree);
  for (const name of HOOK_MANAGER_FILES) {
    const path = join(worktree, name);
    if (existsSync(path)) result.readOnly.push(path);
  }
  result.readOnly = [...new Set(result.readOnly)];
  return result;
}

function protectGitDir(dir: string, result: GitProtection, hooksRead = true): void {
  for (const name of ["config", "hooks", "config.worktree", "info/attributes"]) {
    const path = join(dir, name);
    if (existsSync(path)) result.readOnly.push(path);
    else if (name === "config.worktree") result.mustNotAppear.push(path);
    else if (name === "hooks" && hooksRead) result.emptyDirs.push(path);
  }
}

function protectModules(dir: string, result: GitProtection, depth: number): void {
  if (depth > MAX_MODULE_DEPTH || result.readOnly.length > MAX_MODULES) return;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const sub = join(dir, entry);
    if (existsSync(join(sub, "HEAD")) && existsSync(join(sub, "objects"))) {
      protectGitDir(sub, result, true);
      protectModules(join(sub, "modules"), result, depth + 1);
    } else {
      protectModules(sub, result, depth + 1); // submodule names may hold slashes
    }
  }
}

function findDotGit(start: string): { path: string } | null {
  let dir = start;
  for (;;) {
    const path = join(dir, ".git");
    if (existsSync(path)) return { path };
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** core.hooksPath from a config file (a small reader: section [core], key hookspath, case-insensitive). */
export function configuredHooksPath(configPath: string): string | null {
  const text = readSmallText(configPath);
  if (text === null) return null;
  let section = "";
  let found: string | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const header = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"[^"]*")?\s*\]/.exec(line);
    if (header) {
      section = header[1]!.toLowerCase();
      continue;
    }
    const entry = /^hookspath\s*=\s*(.*)$/i.exec(line);
    if (section === "core" && entry) found = entry[1]!.replace(/^"(.*)"$/, "$1").trim();
  }
  return found;
}

