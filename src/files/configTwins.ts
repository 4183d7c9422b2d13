import { lstatSync, readdirSync, type Stats } from "node:fs";
import { join } from "node:path";
import { ActionError } from "../ground/errors.js";

/**
 * The tool's config folder holds the access token. Paths into it are refused
 * by resolveInside; this catches the same files under another name: a hard
 * link made by a command somewhere in the workspace has the same device and
 * inode. Only files with more than one link can be such a twin, so the check
 * costs nothing for ordinary files.
 */
const TTL_MS = 1_000;
const MAX_ENTRIES = 256;
let cached: { home: string; at: number; ids: Set<string> } | null = null;

function idOf(stat: Pick<Stats, "dev" | "ino">): string {
  return `${stat.dev}:${stat.ino}`;
}

/** Device:inode of every file in the config folder and its direct sub-folders (re-read at most once a second). */
export function configFileIds(home: string): Set<string> {
  const now = Date.now();
  if (cached && cached.home === home && now - cached.at < TTL_MS) return cached.ids;
  const ids = new Set<string>();
  const visit = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.slice(0, MAX_ENTRIES)) {
      let stat: Stats;
      try {
        stat = lstatSync(join(dir, name));
      } catch {
        continue;
      }
      if (stat.isFile()) ids.add(idOf(stat));
      else if (stat.isDirectory() && depth < 2) visit(join(dir, name), depth + 1);
    }
  };
  visit(home, 0);
  cached = { home, at: now, ids };
  return ids;
}

/** Whether a file (by its stat) is one of the config folder's files under another name. */
export function isConfigTwin(stat: Pick<Stats, "dev" | "ino" | "nlink">, home: string): boolean {
  if (stat.nlink <= 1) return false;
  return configFileIds(home).has(idOf(stat));
}

export function configTwinError(): ActionError {
  return new ActionError("OUTSIDE_WORKSPACE", "this file is the tool's own config file (or another file of its config folder) under another name; it is off limits", {
    hint: "A hard link to the config folder cannot be read, searched or diffed.",
  });
}

/** Throw OUTSIDE_WORKSPACE when `stat` is a config-folder file under another name. */
export function refuseConfigTwin(stat: Pick<Stats, "dev" | "ino" | "nlink">, home: string): void {
  if (isConfigTwin(stat, home)) throw configTwinError();
}
