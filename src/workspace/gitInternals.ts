import { relative, sep } from "node:path";
import { ActionError } from "../ground/errors.js";
import { findRepository } from "../git/repo.js";
import type { InsidePath } from "./resolveInside.js";

/**
 * Writes never go into a git folder (as named, or where symlinks lead): its
 * config and hooks name programs that git — and so the user's next commit or a
 * read-only status call — would run. Reads stay allowed.
 *
 * "Named .git" is compared the way the file systems the workspace may live on
 * compare names (as git itself does for checkouts): case-insensitively
 * (`.GIT`, `.Git` on macOS and Windows), with trailing dots and spaces dropped
 * (`.git.`, `.git ` on Windows), with the code points HFS+ ignores removed
 * (`.g\u200cit` on macOS), and the Windows short name `GIT~1`. The repository's
 * actual git folder (which a `.git` file may place under any name) is refused too.
 */
const HFS_IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

export function isDotGitName(name: string): boolean {
  const folded = name.replace(HFS_IGNORABLE, "").replace(/[. ]+$/, "").toLowerCase();
  return folded === ".git" || folded === "git~1";
}

function refused(): ActionError {
  return new ActionError("OUTSIDE_WORKSPACE", "writing inside a .git folder is not allowed", {
    hint: "Change the repository with git commands through exec_command instead.",
  });
}

export function refuseGitInternals(root: string, target: InsidePath): void {
  for (const path of [target.relative, relative(root, target.real).split(sep).join("/")]) {
    if (path.split("/").some(isDotGitName)) throw refused();
  }
  // The repository's git folder under another name (a `.git` file saying `gitdir: meta`).
  const repo = repositoryOf(root);
  if (repo) {
    const rel = relative(repo.gitDir, target.real);
    if (rel === "" || (!rel.startsWith("..") && !rel.startsWith(sep) && rel !== "..")) throw refused();
  }
}

const REPO_TTL_MS = 1_000;
const repoCache = new Map<string, { at: number; repo: ReturnType<typeof findRepository> }>();

/** findRepository, re-checked at most once a second per root (a patch may write thousands of files). */
function repositoryOf(root: string): ReturnType<typeof findRepository> {
  const now = Date.now();
  const hit = repoCache.get(root);
  if (hit && now - hit.at < REPO_TTL_MS) return hit.repo;
  const repo = findRepository(root);
  if (repoCache.size > 64) repoCache.clear();
  repoCache.set(root, { at: now, repo });
  return repo;
}
