import { chmodSync, cpSync, existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, sep } from "node:path";
import { TOOL_ROOT } from "../ground/version.js";

/** Why the config folder is where it is: shown by `status` and `doctor`. */
export type ConfigSource = "env" | "checkout" | "user";

export interface ConfigLocation {
  home: string;
  source: ConfigSource;
}

export interface LocationFacts {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  userHome: string;
  toolRoot: string;
}

function currentFacts(): LocationFacts {
  return { env: process.env, platform: process.platform, userHome: homedir(), toolRoot: TOOL_ROOT };
}

/**
 * A git checkout of this project (the brief's setup) keeps its config beside the code;
 * an installed package (npm i -g, npx) never does: npm replaces that folder on upgrade.
 */
export function isProjectCheckout(toolRoot: string): boolean {
  if (toolRoot.split(/[\\/]/).includes("node_modules")) return false;
  return existsSync(join(toolRoot, ".git"));
}

/** The user's config folder for this tool (XDG on Linux and macOS, %APPDATA% on Windows). */
export function userConfigHome(facts: Pick<LocationFacts, "env" | "platform" | "userHome">): string {
  if (facts.platform === "win32") {
    const appData = facts.env.APPDATA?.trim();
    return join(appData ? appData : join(facts.userHome, "AppData", "Roaming"), "chatgpt-codex");
  }
  const xdg = facts.env.XDG_CONFIG_HOME?.trim();
  // XDG says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg && xdg.startsWith("/") ? xdg : join(facts.userHome, ".config");
  return join(base, "chatgpt-codex");
}

/** Where the config lives: $CHATGPT_CODEX_HOME, else the checkout's `.chatgpt-codex/`, else the user's config folder. */
export function configLocation(facts: LocationFacts = currentFacts()): ConfigLocation {
  const override = facts.env.CHATGPT_CODEX_HOME;
  if (override && override.trim() !== "") return { home: override, source: "env" };
  if (isProjectCheckout(facts.toolRoot)) return { home: join(facts.toolRoot, ".chatgpt-codex"), source: "checkout" };
  return { home: userConfigHome(facts), source: "user" };
}

/** The private config folder in use. */
export function configHome(env: NodeJS.ProcessEnv = process.env): string {
  return configLocation({ ...currentFacts(), env }).home;
}

export function configFile(home: string): string {
  return join(home, "config.json");
}

export function auditFile(home: string): string {
  return join(home, "audit.log");
}

/**
 * Versions before 0.2 kept the config inside the package folder even when installed with
 * npm or npx. If the folder in use has no config but that old one does, copy it over once
 * (the old copy stays, so nothing is lost) and return the old folder so the caller can say so.
 */
export function migrateOldConfig(location: ConfigLocation, facts: LocationFacts = currentFacts()): string | null {
  if (location.source !== "user") return null;
  const old = join(facts.toolRoot, ".chatgpt-codex");
  if (old === location.home || existsSync(configFile(location.home)) || !existsSync(configFile(old))) return null;
  try {
    if (!statSync(old).isDirectory()) return null;
    cpSync(old, location.home, { recursive: true, force: false, preserveTimestamps: true });
    // cpSync keeps the files' modes (0600); the folder itself must be private too.
    if (facts.platform !== "win32") chmodSync(location.home, 0o700);
    return old.endsWith(sep) ? old.slice(0, -1) : old;
  } catch {
    return null;
  }
}
