import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../config/schema.js";
import { loadConfig, newConfig, saveConfig, updateConfig } from "../config/store.js";

/** The deny rule the smoke adds to its own config, to see the policy refuse a harmless command. */
export const SMOKE_BLOCKED_COMMAND = "echo chatgpt-codex-smoke-blocked";

/**
 * Everything api-smoke touches lives in one temporary folder: its own config
 * home (token, workspaces, audit log) and one fresh workspace per check. The
 * user's config is never read or written.
 */
export class Sandbox {
  readonly root: string;
  readonly home: string;
  private readonly gitAvailable: boolean;
  private count = 0;

  private constructor(root: string) {
    this.root = root;
    this.home = join(root, "home");
    this.gitAvailable = hasGit();
  }

  static create(): Sandbox {
    const sandbox = new Sandbox(realpathSync(mkdtempSync(join(tmpdir(), "chatgpt-codex-smoke-"))));
    const config: Config = newConfig();
    config.server.auth_fail_limit = 50;
    config.policy.deny.push({ name: "smoke-test-rule", pattern: "chatgpt-codex-smoke-blocked" });
    saveConfig(sandbox.home, config);
    return sandbox;
  }

  get token(): string {
    return loadConfig(this.home).token;
  }

  /** Change the sandbox config; the running server sees it on its next request. */
  update(change: (config: Config) => void): void {
    updateConfig(this.home, change);
  }

  /**
   * A new empty workspace, registered and (unless told otherwise) active. It is
   * an empty git repository when git is installed, so git actions work too;
   * .git is invisible to the file actions.
   */
  freshWorkspace(label: string, activate = true): { name: string; path: string } {
    this.count += 1;
    const name = `${String(this.count).padStart(2, "0")}-${label}`.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 64);
    const path = join(this.root, name);
    mkdirSync(path);
    if (this.gitAvailable) execFileSync("git", ["init", "-q", path], { stdio: "ignore" });
    updateConfig(this.home, (c) => {
      c.workspaces.push({ name, path });
      if (activate) c.active_workspace = name;
    });
    return { name, path };
  }

  /** A file next to the workspaces, i.e. outside every one of them. */
  writeOutside(fileName: string, content: string): void {
    writeFileSync(join(this.root, fileName), content);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

function hasGit(): boolean {
  try {
    execFileSync("git", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
