import { existsSync, realpathSync, statSync } from "node:fs";
import { basename, isAbsolute, resolve } from "node:path";
import type { Config } from "../config/schema.js";
import { t } from "./i18n/index.js";
import { UsageError } from "./io.js";

/** A folder given on the command line: must exist and be a directory. Returns its absolute path. */
export function checkWorkspaceFolder(path: string, mustBeAbsolute: boolean): string {
  if (mustBeAbsolute && !isAbsolute(path)) throw new UsageError(t("usage.absolutePath", { path }));
  const absolute = resolve(path);
  if (!existsSync(absolute) || !statSync(absolute).isDirectory()) throw new UsageError(t("usage.notFolder", { path: absolute }));
  return realpathSync(absolute);
}

/** A workspace name from a folder: its base name with unsafe characters replaced. */
export function nameFromFolder(folder: string): string {
  const name = basename(folder).replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 64);
  return name.length > 0 && name !== "." && name !== ".." ? name : "workspace";
}

export function checkWorkspaceName(name: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new UsageError(t("usage.workspaceName", { name }));
  return name;
}

/**
 * Add a workspace or update the one with the same name (or, without a given
 * name, the same folder). Returns the name used.
 */
export function upsertWorkspace(config: Config, folder: string, name?: string): string {
  const byPath = name === undefined ? config.workspaces.find((w) => w.path === folder) : undefined;
  const chosen = name ?? byPath?.name ?? uniqueName(config, nameFromFolder(folder));
  const existing = config.workspaces.find((w) => w.name === chosen);
  if (existing) existing.path = folder;
  else config.workspaces.push({ name: chosen, path: folder });
  return chosen;
}

function uniqueName(config: Config, base: string): string {
  let candidate = base;
  for (let i = 2; config.workspaces.some((w) => w.name === candidate); i++) candidate = `${base}-${i}`;
  return candidate;
}
