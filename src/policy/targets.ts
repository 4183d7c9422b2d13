import { basename, dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { isKnown, knownPrefix, type Field } from "./expand.js";
import type { ShellState } from "./state.js";

/**
 * Where a path argument of a destructive command lands, judged against the
 * workspace: the check behind "recursive delete outside the workspace" and
 * "chmod -R outside the workspace". Paths are compared lexically (the cwd
 * and workspace root are real paths already); a symlink inside the
 * workspace that points out is not followed (a documented gap).
 *
 * When the command runs in a sandbox with folders of its own (bubblewrap's
 * private tmpfs /tmp and /dev/shm), a path in one of them is the sandbox's,
 * not this computer's, and is not "outside the workspace" — unless it is, or
 * holds, a folder the sandbox mounts there from this computer (the workspace
 * when it lives under /tmp, git folders, the box's cache): see `privateVerdict`.
 */

export interface Places {
  /** Real path of the active workspace. */
  workspaceRoot: string;
  /** The user's home folder. */
  home: string;
  /** This tool's config folder (holds the token), if known. */
  configHome: string | null;
  /**
   * Folders that are the sandbox's own, not this computer's (bubblewrap: its private /tmp and
   * /dev/shm); empty or absent when the command runs on the host's file system.
   */
  privateRoots?: readonly string[];
  /** This computer's folders the sandbox mounts inside a private root (the workspace, git folders, the box's cache). */
  mounted?: readonly string[];
}

export interface Verdict {
  rule: "tool-config" | null;
  /** Why the target is refused, naming it as the user wrote it. */
  reason: string;
}

export function within(root: string, candidate: string): boolean {
  if (candidate === root) return true;
  const rel = relative(root, candidate);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** Judge a target of a recursive delete; null when it is a folder or file inside the workspace. */
export function judgeDeleteTarget(field: Field, state: ShellState, places: Places): Verdict | null {
  return judge(field, state, places, "delete");
}

/** Judge a target of chmod/chown -R: only places outside the workspace are refused. */
export function judgePermissionTarget(field: Field, state: ShellState, places: Places): Verdict | null {
  return judge(field, state, places, "permissions");
}

type Purpose = "delete" | "permissions";

function judge(field: Field, state: ShellState, places: Places, purpose: Purpose): Verdict | null {
  const shown = `\`${field.source || field.value}\``;
  if (!isKnown(field)) return judgeComputed(field, state, places, purpose, shown);
  if (field.glob) return judgeGlob(field, state, places, purpose, shown);
  const absolute = absoluteFrom(state, field.value);
  if (absolute === null) return { rule: null, reason: `${shown} is relative to a folder computed at run time (an earlier cd)` };
  return judgePath(absolute, places, purpose, shown);
}

function absoluteFrom(state: ShellState, path: string): string | null {
  if (isAbsolute(path)) return resolve(path);
  return state.cwd === null ? null : resolve(state.cwd, path);
}

function judgePath(absolute: string, places: Places, purpose: Purpose, shown: string): Verdict | null {
  const { workspaceRoot, home, configHome } = places;
  if (absolute === "/") return { rule: null, reason: `${shown} is the root of the file system` };
  if (absolute === home || (within(absolute, home) && !within(workspaceRoot, absolute))) {
    return { rule: null, reason: `${shown} is your home folder or holds it` };
  }
  if (configHome && (within(configHome, absolute) || within(absolute, configHome))) {
    return { rule: "tool-config", reason: `${shown} is (or holds) this tool's config folder` };
  }
  if (!within(workspaceRoot, absolute)) {
    const own = privateVerdict(absolute, places, purpose, shown);
    return own === undefined ? { rule: null, reason: `${shown} is outside the workspace` } : own;
  }
  if (purpose === "permissions") return null;
  if (absolute === workspaceRoot) return { rule: null, reason: `${shown} is the workspace root itself` };
  if (basename(absolute) === ".git" && dirname(absolute) === workspaceRoot) {
    return { rule: null, reason: `${shown} is the repository's history (.git)` };
  }
  return null;
}

/** The private root (of the sandbox) that holds `absolute`, or null. */
function privateRootOf(absolute: string, places: Places): string | null {
  return places.privateRoots?.find((root) => within(root, absolute)) ?? null;
}

/**
 * A path outside the workspace, judged as the sandbox sees it: undefined when it is
 * not in a private root (or is this computer's there), so the caller refuses it as
 * outside; null when it is the sandbox's own; a verdict for the careful cases.
 *
 * - `/tmp/x` (and below): the sandbox's own tmpfs, allowed.
 * - `/tmp` itself: refused for a delete. It is a mount point, so `rm -rf /tmp`
 *   cannot succeed (it empties it and then fails), and written on a host that line
 *   is a disaster; `/tmp/*` says "empty it" and is judged as a glob.
 * - A folder that holds a mounted one (`/tmp/<the workspace's parent>`): refused, the
 *   delete would go through the mount into this computer's files.
 * - Inside a mounted folder other than the workspace (a git folder, the box's cache):
 *   this computer's files, undefined (outside the workspace).
 */
function privateVerdict(absolute: string, places: Places, purpose: Purpose, shown: string): Verdict | null | undefined {
  const root = privateRootOf(absolute, places);
  if (root === null) return undefined;
  const mounted = places.mounted ?? [];
  if (mounted.some((folder) => within(folder, absolute))) return undefined;
  const held = mounted.find((folder) => within(absolute, folder));
  if (held !== undefined) return { rule: null, reason: `${shown} holds ${mountedName(held, places)}, which the sandbox mounts from this computer into its private ${root}` };
  if (absolute === root && purpose === "delete") {
    return { rule: null, reason: `${shown} is the sandbox's private ${root} itself (a mount point: name what is inside, \`${root}/*\` or \`${root}/name\`)` };
  }
  return null;
}

/** A mounted folder inside the sandbox's own folders that `base` (there) holds, or null. */
function mountHeldBy(base: string, places: Places): string | null {
  if (privateRootOf(base, places) === null || within(places.workspaceRoot, base)) return null;
  const mounted = places.mounted ?? [];
  if (mounted.some((folder) => within(folder, base))) return null;
  return mounted.find((folder) => within(base, folder)) ?? null;
}

function mountedName(folder: string, places: Places): string {
  return folder === places.workspaceRoot ? "the workspace" : `\`${folder}\``;
}

/**
 * A target with a computed piece. `build/$name` stays below `build/` (unless
 * the computed text climbs with `..`, which the policy cannot see), so it is
 * allowed when that folder is inside the workspace; anything else is refused.
 */
function judgeComputed(field: Field, state: ShellState, places: Places, purpose: Purpose, shown: string): Verdict | null {
  const prefix = knownPrefix(field);
  const slash = prefix.lastIndexOf("/");
  if (slash > 0 && !prefix.slice(0, slash).split("/").includes("..")) {
    const folder = absoluteFrom(state, prefix.slice(0, slash));
    if (folder !== null && folder !== places.workspaceRoot && judgePath(folder, places, purpose, shown) === null) return null;
  }
  if (purpose === "permissions" && slash >= 0) {
    const folder = absoluteFrom(state, prefix.slice(0, slash) || "/");
    if (folder !== null && judgePath(folder, places, purpose, shown) === null) return null;
  }
  return { rule: null, reason: `${shown} is computed at run time, so where it lands cannot be checked` };
}

/** Components of a glob pattern, with backslash escapes kept (they tell quoted * from a wildcard). */
function patternComponents(pattern: string): string[] {
  return pattern.split("/");
}

function unescape(component: string): string {
  return component.replace(/\\(.)/g, "$1");
}

function hasWildcard(component: string): boolean {
  return /(^|[^\\])[*?[]/.test(component);
}

/** Matches everything at its level: only wildcards and dots (`*`, `.*`, `*.*`, `?*`). */
function isSweeping(component: string): boolean {
  return /^(\*|\?|\.|\[[^\]]*\])+$/.test(component) && hasWildcard(component);
}

/** Could the component match `..`? bash before 5.2 lets `.*` do so; a leading dot must be literal. */
function mayMatchParent(component: string): boolean {
  if (!component.startsWith(".")) return false;
  let regex = "";
  for (let i = 0; i < component.length; i++) {
    const ch = component[i]!;
    if (ch === "\\" && i + 1 < component.length) regex += escapeRegex(component[++i]!);
    else if (ch === "*") regex += ".*";
    else if (ch === "?") regex += ".";
    else if (ch === "[") {
      const close = component.indexOf("]", i + 2);
      if (close < 0) regex += "\\[";
      else {
        const body = component.slice(i + 1, close).replace(/^!/, "^").replace(/\\/g, "\\\\");
        regex += `[${body}]`;
        i = close;
      }
    } else regex += escapeRegex(ch);
  }
  try {
    return new RegExp(`^${regex}$`).test("..");
  } catch {
    return true;
  }
}

function escapeRegex(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function judgeGlob(field: Field, state: ShellState, places: Places, purpose: Purpose, shown: string): Verdict | null {
  // `*/` matches the same entries as `*` (folders only).
  const parts = patternComponents(field.pattern.length > 1 ? field.pattern.replace(/\/+$/, "") : field.pattern);
  const index = parts.findIndex(hasWildcard);
  if (index < 0) {
    const absolute = absoluteFrom(state, unescape(field.pattern));
    return absolute === null ? { rule: null, reason: `${shown} is relative to a folder computed at run time` } : judgePath(absolute, places, purpose, shown);
  }
  const baseText = parts.slice(0, index).map(unescape).join("/") || (field.pattern.startsWith("/") ? "/" : ".");
  const base = absoluteFrom(state, baseText);
  if (base === null) return { rule: null, reason: `${shown} is relative to a folder computed at run time` };
  const component = parts[index]!;
  const last = index === parts.length - 1;
  // The folder the wildcard searches must itself be a fine place to work in.
  const baseVerdict = judgePath(base, places, "permissions", shown);
  if (baseVerdict) {
    const held = mountHeldBy(base, places);
    if (held !== null) return { rule: null, reason: `${shown} searches \`${base}\`, which holds ${mountedName(held, places)} (mounted from this computer into the sandbox)` };
    return { rule: baseVerdict.rule, reason: `${shown} matches entries outside the workspace` };
  }
  if (purpose === "permissions") return null;
  if (mayMatchParent(component)) {
    const parent = dirname(base);
    if ((!within(places.workspaceRoot, parent) && judgePath(parent, places, "delete", shown) !== null) || parent === places.workspaceRoot) {
      return { rule: null, reason: `${shown} may match \`..\` and reach above the workspace` };
    }
  }
  if (last && isSweeping(component) && base === places.workspaceRoot) {
    return { rule: null, reason: `${shown} matches everything at the workspace root` };
  }
  return null;
}
