import { lstatSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { readSmallText } from "../fs/regularFile.js";

/**
 * Find the git repository of a workspace ourselves, so git never discovers one.
 *
 * Git's own discovery also accepts a folder that merely looks like a bare
 * repository (HEAD, objects/, refs/, config) — six write_file calls can build
 * one in the workspace, with a config naming any program and a work tree
 * anywhere. So we look only for what a real checkout has: a `.git` folder, or a
 * `.git` file ("gitdir: …", worktrees and submodules), in the workspace folder
 * or one of its parents, as git would. The folder itself is never taken as a
 * bare repository. Git then runs with --git-dir and --work-tree given
 * explicitly (see run.ts), so neither its discovery nor a `core.worktree` in a
 * config can move it elsewhere.
 */
export interface Repository {
  /** Real path of the git folder (where HEAD is). */
  gitDir: string;
  /** Real path of the folder that holds the `.git` entry: the work tree. */
  workTree: string;
}

/** Git reads a `.git` file of up to 1 MiB (setup.c, read_gitfile_gently); a larger one is no repository to git either. */
const MAX_GITFILE_BYTES = 1024 * 1024;

/** The repository `dir` is in, or null when neither it nor a parent has a usable `.git`. */
export function findRepository(dir: string): Repository | null {
  let current: string;
  try {
    current = realpathSync(dir);
  } catch {
    return null;
  }
  for (;;) {
    const found = repositoryAt(current);
    if (found) return found;
    const parent = dirname(current);
    if (parent === current) return null;
    current = parent;
  }
}

/** `folder/.git` as a repository, or null when there is none (or it is not a real git folder). */
function repositoryAt(folder: string): Repository | null {
  const entry = join(folder, ".git");
  let stat;
  try {
    stat = lstatSync(entry);
  } catch {
    return null;
  }
  let gitDir: string | null = null;
  if (stat.isDirectory()) gitDir = entry;
  else if (stat.isFile()) gitDir = readGitFile(entry, folder);
  else if (stat.isSymbolicLink()) {
    // Git follows a symlinked .git; so do we, to a folder only.
    try {
      if (statSync(entry).isDirectory()) gitDir = entry;
    } catch {
      gitDir = null;
    }
  }
  if (gitDir === null || !looksLikeGitDir(gitDir)) return null;
  try {
    return { gitDir: realpathSync(gitDir), workTree: folder };
  } catch {
    return null;
  }
}

/**
 * The folder a `.git` file names, read as git reads it: the file starts with "gitdir: ", and the
 * rest, without its trailing line ends, is the path (relative to the file's folder). Null when it
 * names none. Opened without blocking and read only when it is a regular file: a command may
 * swap a FIFO in after the caller looked, and a plain open of it would stall the server.
 */
export function readGitFile(file: string, folder: string): string | null {
  const text = readSmallText(file, MAX_GITFILE_BYTES);
  if (text === null || !text.startsWith("gitdir: ")) return null;
  const target = text.slice("gitdir: ".length).replace(/[\r\n]+$/, "");
  if (target === "" || target.includes("\0")) return null;
  return isAbsolute(target) ? target : resolve(folder, target);
}

/** What git itself checks before it accepts a folder as a git folder: HEAD, objects and refs (or a commondir). */
function looksLikeGitDir(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory()) return false;
    if (!statSync(join(dir, "HEAD")).isFile()) return false;
  } catch {
    return false;
  }
  const has = (name: string) => {
    try {
      return statSync(join(dir, name)).isDirectory();
    } catch {
      return false;
    }
  };
  if (has("objects") && has("refs")) return true;
  // A linked worktree's folder: its objects and refs live in the common folder.
  try {
    return statSync(join(dir, "commondir")).isFile();
  } catch {
    return false;
  }
}
