import { realpathSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { SECRET_PATHS } from "../sandbox/policy.js";

/**
 * Why a folder is too broad to be a workspace (API contract §14). Everything in a
 * workspace is readable by the GPT and writable by its commands, and the sandbox
 * hides secrets and the config folder only by their known paths: a workspace that
 * holds them, or the home folder they live in, hands them out by another road.
 */
export type TooBroad =
  | { kind: "root" }
  | { kind: "home" }
  /** An ancestor of the home folder (it holds every secret in it). */
  | { kind: "containsHome"; path: string }
  | { kind: "containsConfig"; path: string }
  | { kind: "containsSecret"; path: string }
  /** The secret folder itself or a folder inside it. */
  | { kind: "insideSecret"; path: string };

export interface BroadFacts {
  /** Real path of the user's home folder. */
  home: string;
  /** Real path of the tool's config folder (resolved through its nearest existing parent when new). */
  configHome: string;
  /** Whether a path is a folder (stat follows links); injectable for tests. */
  isFolder?: (path: string) => boolean;
}

/** `folder` must already be a real path. Returns null when it may be registered. */
export function whyTooBroad(folder: string, facts: BroadFacts): TooBroad | null {
  const isFolder = facts.isFolder ?? folderExists;
  if (dirname(folder) === folder) return { kind: "root" };
  if (folder === facts.home) return { kind: "home" };
  if (isWithin(folder, facts.home)) return { kind: "containsHome", path: facts.home };
  if (isWithin(folder, facts.configHome)) return { kind: "containsConfig", path: facts.configHome };
  for (const rel of SECRET_PATHS.map((p) => p.slice(2))) {
    const secret = join(facts.home, rel);
    if (isWithin(secret, folder)) return { kind: "insideSecret", path: secret };
    if (isWithin(folder, secret)) return { kind: "containsSecret", path: secret };
  }
  // A folder that directly holds a secret *folder* (`.ssh`, `.aws`, `.config/gh`, …) is someone's
  // home, e.g. another user's when the server runs as root, whose secrets the sandbox does not
  // know about. Secret *files* do not count: a project's own `.npmrc` is ordinary.
  for (const rel of SECRET_PATHS.map((p) => p.slice(2))) {
    const secret = join(folder, rel);
    if (isFolder(secret)) return { kind: "containsSecret", path: secret };
  }
  return null;
}

/** The facts of this process: HOME and the config folder, by real path. */
export function broadFacts(configHome: string, userHome: string): BroadFacts {
  return { home: realPathOf(userHome), configHome: realPathOf(configHome) };
}

/** Real path of `p`; for a path that does not exist yet, its nearest existing parent's real path plus the rest. */
export function realPathOf(p: string): string {
  const absolute = resolve(p);
  try {
    return realpathSync(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute ? absolute : join(realPathOf(parent), basename(absolute));
  }
}

/** `inner` is `outer` or below it. */
function isWithin(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === "" || (!isAbsolute(rel) && rel !== ".." && !rel.startsWith(`..${sep}`));
}

function folderExists(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
