import { readlinkSync, realpathSync, statSync } from "node:fs";
import { configTwinError, isConfigTwin } from "../files/configTwins.js";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ActionError } from "../ground/errors.js";

export interface InsidePath {
  /** The path as the user named it, joined onto the workspace root (symlinks not followed). */
  lexical: string;
  /** Where it really lands: symlinks followed; for a path that does not exist yet, its nearest existing parent's real path plus the rest. */
  real: string;
  /** `/`-separated path relative to the workspace root, as shown to the model ("." for the root). */
  relative: string;
}

const MAX_LINK_HOPS = 40;

function outside(message = "path is outside the active workspace"): ActionError {
  return new ActionError("OUTSIDE_WORKSPACE", message, {
    hint: "Use a path relative to the workspace root (see workspace_status); switch_workspace for another project.",
  });
}

function isWithin(root: string, candidate: string): boolean {
  if (candidate === root) return true;
  const rel = relative(root, candidate);
  return rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel);
}

/**
 * Real path of `p`, also for paths that do not exist yet: the nearest existing
 * parent's real path plus the missing rest. A dangling symlink is followed to
 * where it points (it is not "a new file": writing through it would land there).
 *
 * The tree may change while we look (a folder swapped for a symlink): the link
 * is read with one readlink call instead of lstat-then-readlink, and every
 * file-system error ends as an ActionError whose message holds no path.
 */
function realish(p: string, hops = 0): string {
  if (hops > MAX_LINK_HOPS) throw outside("too many levels of symbolic links");
  try {
    return realpathSync(p);
  } catch (error) {
    const code = errnoOf(error);
    if (code === "ELOOP") throw outside("too many levels of symbolic links");
    // EINVAL: a link was replaced while realpath read it; look again (bounded by the hop count).
    if (code === "EINVAL") return realish(p, hops + 1);
    if (code !== "ENOENT" && code !== "ENOTDIR") throw unresolvable(code);
  }
  let target: string | null = null;
  try {
    target = readlinkSync(p);
  } catch (error) {
    // EINVAL: not a symlink (any more); ENOENT/ENOTDIR: does not exist (yet).
    const code = errnoOf(error);
    if (code !== "EINVAL" && code !== "ENOENT" && code !== "ENOTDIR") throw unresolvable(code);
  }
  const parent = dirname(p);
  if (target !== null) return realish(resolve(realish(parent, hops + 1), target), hops + 1);
  if (parent === p) return p;
  return join(realish(parent, hops), basename(p));
}

function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? "EUNKNOWN";
}

/** A path we cannot resolve for another reason than its absence; never echoes the path. */
function unresolvable(code: string): ActionError {
  if (code === "ENAMETOOLONG") return new ActionError("BAD_REQUEST", "path is too long");
  if (code === "EACCES" || code === "EPERM") return new ActionError("BAD_REQUEST", "permission denied while resolving the path");
  return new ActionError("BAD_REQUEST", `cannot resolve the path (${code})`);
}

/**
 * Confine a user-given path to the workspace. Relative paths resolve against
 * `root` (which must already be a real path); absolute paths are accepted only
 * when inside it. Refuses NUL bytes, home-relative `~` paths, anything whose
 * real location (symlinks followed, also dangling ones) is outside the root,
 * and the tool's own config folder when `forbidden` names it.
 */
export function resolveInside(root: string, userPath: string, forbidden: readonly string[] = []): InsidePath {
  if (typeof userPath !== "string") throw new ActionError("BAD_REQUEST", "path must be a string");
  if (userPath.includes("\0")) throw outside("path contains a NUL byte");
  // A Windows-style separator is a separator for us too, so `..\..\x` cannot sneak past.
  const normalized = userPath.replace(/\\/g, "/").trim() || ".";
  if (normalized === "~" || normalized.startsWith("~/") || /^~[^/]*($|\/)/.test(normalized)) {
    throw outside("home-relative paths (~) are not allowed; use a path relative to the workspace");
  }
  const lexical = isAbsolute(normalized) ? resolve(normalized) : resolve(root, normalized);
  const real = realish(lexical);
  if (!isWithin(root, real)) throw outside();
  // An absolute path must also name the workspace lexically or through its real path.
  const lexicalInside = isWithin(root, lexical);
  if (!lexicalInside && isAbsolute(normalized) && !isWithin(root, realish(dirname(lexical)))) throw outside();
  for (const folder of forbidden) {
    const forbiddenReal = realOrResolved(folder);
    if (isWithin(forbiddenReal, real) || isWithin(forbiddenReal, lexical)) {
      throw outside("the tool's own config folder is off limits");
    }
  }
  // The config folder's files under another name (a hard link made by a command).
  if (forbidden.length > 0) refuseTwin(real, forbidden);
  const shown = lexicalInside ? lexical : real;
  const rel = relative(root, shown).split(sep).join("/");
  return { lexical: lexicalInside ? lexical : real, real, relative: rel === "" ? "." : rel };
}

/** A folder's real path, or its plain absolute path when it does not exist (yet). */
export function realOrResolved(folder: string): string {
  try {
    return realpathSync(folder);
  } catch {
    return resolve(folder);
  }
}

function refuseTwin(real: string, forbidden: readonly string[]): void {
  let stat;
  try {
    stat = statSync(real);
  } catch {
    return;
  }
  if (!stat.isFile() || stat.nlink <= 1) return;
  for (const folder of forbidden) {
    if (isConfigTwin(stat, realOrResolved(folder))) throw configTwinError();
  }
}
