import { existsSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, isAbsolute, resolve } from "node:path";
import type { Config } from "../config/schema.js";
import { recordLayoutAtRegistration } from "../sandbox/facts/record.js";
import { broadFacts, realPathOf, whyTooBroad, type TooBroad } from "../workspace/broadFolder.js";
import { t } from "./i18n/index.js";
import { CliError, home, UsageError } from "./io.js";

/**
 * A folder given on the command line: must exist, be a directory and not be too broad
 * (`/`, the home folder, a folder holding the config or a secret folder). Returns its real path.
 * Every registration path calls this before the config is touched, so a refusal writes nothing.
 */
export function checkWorkspaceFolder(path: string, mustBeAbsolute: boolean): string {
  if (mustBeAbsolute && !isAbsolute(path)) throw new UsageError(t("usage.absolutePath", { path }));
  const absolute = resolve(path);
  if (!existsSync(absolute) || !statSync(absolute).isDirectory()) throw new UsageError(t("usage.notFolder", { path: absolute }));
  const folder = realpathSync(absolute);
  const why = whyTooBroad(folder, broadFacts(home(), homedir()));
  if (why) throw new UsageError(`${t("workspace.tooBroad", { folder, why: tooBroadText(why) })}\n${t("workspace.tooBroadFix")}`);
  return folder;
}

/**
 * A config written before the refusal existed (or edited by hand) may hold a broad
 * workspace: the server does not start with it (exit 2) and says which one and how to fix it.
 */
export function refuseBroadWorkspaces(config: Config): void {
  const facts = broadFacts(home(), homedir());
  for (const workspace of config.workspaces) {
    const why = whyTooBroad(realPathOf(workspace.path), facts);
    if (why) throw new CliError(t("workspace.tooBroadServe", { name: workspace.name, folder: workspace.path, why: tooBroadText(why) }), 2);
  }
}

/** Why a registered workspace is too broad, in words (for `doctor`), or null. */
export function tooBroadReason(path: string): string | null {
  const why = whyTooBroad(realPathOf(path), broadFacts(home(), homedir()));
  return why ? tooBroadText(why) : null;
}

function tooBroadText(why: TooBroad): string {
  switch (why.kind) {
    case "root":
      return t("tooBroad.root");
    case "home":
      return t("tooBroad.home");
    case "containsHome":
      return t("tooBroad.containsHome", { path: why.path });
    case "containsConfig":
      return t("tooBroad.containsConfig", { path: why.path });
    case "containsSecret":
      return t("tooBroad.containsSecret", { path: why.path });
    case "insideSecret":
      return t("tooBroad.insideSecret", { path: why.path });
  }
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
  // Registration is the owner's act: the git layout a sandbox may rely on is recorded now.
  recordLayoutAtRegistration(home(), folder, config);
  return chosen;
}

function uniqueName(config: Config, base: string): string {
  let candidate = base;
  for (let i = 2; config.workspaces.some((w) => w.name === candidate); i++) candidate = `${base}-${i}`;
  return candidate;
}
