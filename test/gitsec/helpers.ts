/** Canaries for the git hardening tests: scripts that record that they ran, outside the workspace. */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers.js";

export interface Canary {
  /** Folder outside every workspace. */
  dir: string;
  /** File each script appends its name to. */
  log: string;
  /** A script that records `name` and passes stdin through (a working filter). */
  script(name: string): string;
  /** Names of the scripts that ran. */
  ran(): string[];
  reset(): void;
}

export function makeCanary(): Canary {
  const dir = tempDir("cgc-canary-");
  const log = join(dir, "ran.log");
  return {
    dir,
    log,
    script(name) {
      const path = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.sh`);
      writeFileSync(path, `#!/bin/sh\necho '${name}' >> '${log}'\ncat\n`);
      chmodSync(path, 0o755);
      return path;
    },
    ran() {
      return existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
    },
    reset() {
      rmSync(log, { force: true });
    },
  };
}

/** Plain git as a user would run it (their discovery, their config), for proving a trap is armed. */
export function plainGit(cwd: string, ...args: string[]): string {
  try {
    return execFileSync("git", args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_PAGER: "cat", PAGER: "cat" },
    });
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? "");
  }
}

/** Run git to set a fixture up (identity given, no user config). */
export function setupGit(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
  });
}
