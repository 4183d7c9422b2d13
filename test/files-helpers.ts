/** Fixtures for the file and search tests: trees from data, git repos, engine switching, snapshots. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TestContext } from "node:test";
import { newConfig, saveConfig } from "../src/config/store.js";
import { locateRipgrep } from "../src/search/locateRipgrep.js";
import { tempDir, type Fixture } from "./helpers.js";
import { RIPGREP, skipUnless } from "./preconditions.js";

/** A file's content, a symlink (target as written), or an empty folder. */
export type Node = string | Buffer | { link: string } | { dir: true };

/** Create every entry of `spec` (paths relative to `root`, `/`-separated) with its parent folders. */
export function makeTree(root: string, spec: Record<string, Node>): void {
  for (const [rel, node] of Object.entries(spec)) {
    const abs = join(root, rel);
    if (typeof node === "object" && "dir" in node) {
      mkdirSync(abs, { recursive: true });
      continue;
    }
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof node === "object" && "link" in node) symlinkSync(node.link, abs);
    else writeFileSync(abs, node);
  }
}

/** Run git with a fixed identity and no user config, so tests behave the same on every machine. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" },
  });
}

export function gitInit(dir: string): void {
  git(dir, "init", "-q", "-b", "main");
}

/**
 * A repository at `dir` with `spec` committed. The identity goes into its config too, so
 * commands run in it (git commit --amend) work; `packed`: its objects gc'd into one pack.
 */
export function committedRepo(dir: string, spec: Record<string, Node>, packed = true): void {
  gitInit(dir);
  git(dir, "config", "user.name", "Test");
  git(dir, "config", "user.email", "test@example.com");
  git(dir, "config", "commit.gpgsign", "false");
  makeTree(dir, spec);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "one");
  if (packed) git(dir, "gc", "-q");
}

/** The ripgrep binary on PATH (ignoring our override variable), or null. */
export function ripgrepOnPath(): string | null {
  const env = { ...process.env };
  delete env.CHATGPT_CODEX_RG;
  return locateRipgrep(env);
}

/**
 * Pick the search engine for the requests that follow (the server runs in this
 * process and reads CHATGPT_CODEX_RG on every search).
 */
export function useEngine(engine: "ripgrep" | "builtin"): void {
  if (engine === "builtin") process.env.CHATGPT_CODEX_RG = "none";
  else {
    const rg = ripgrepOnPath();
    assert.ok(rg, "ripgrep is not installed");
    process.env.CHATGPT_CODEX_RG = rg;
  }
}

/**
 * Tests comparing both engines need ripgrep: in CI (CI=true) its absence is a
 * failure, elsewhere the test is skipped with the reason (test/preconditions.ts).
 */
export function requireRipgrep(t: TestContext): boolean {
  return skipUnless(t, RIPGREP);
}

/** Everything under `dir`: type, size, link target and content hash per path. Any change shows. */
export function snapshot(dir: string): string {
  const lines: string[] = [];
  const visit = (abs: string, rel: string) => {
    const stat = lstatSync(abs);
    if (stat.isSymbolicLink()) lines.push(`${rel} -> ${readlinkSync(abs)}`);
    else if (stat.isDirectory()) {
      lines.push(`${rel}/ mode=${(stat.mode & 0o7777).toString(8)}`);
      for (const name of readdirSync(abs).sort()) visit(join(abs, name), rel ? `${rel}/${name}` : name);
    } else {
      const hash = createHash("sha256").update(readFileSync(abs)).digest("hex");
      lines.push(`${rel} ${stat.size} ${hash} mode=${(stat.mode & 0o7777).toString(8)} mtime=${stat.mtimeMs}`);
    }
  };
  visit(dir, "");
  return lines.join("\n");
}

/** A fixture whose config folder lies inside the workspace (as when the workspace is the tool's own repo). */
export function makeHomeInside(): Fixture {
  const workspace = join(tempDir(), "ws");
  mkdirSync(workspace, { recursive: true });
  const home = join(workspace, ".chatgpt-codex");
  const config = newConfig();
  config.workspaces.push({ name: "ws", path: workspace });
  config.active_workspace = "ws";
  config.public_base_url = "https://example-tunnel.trycloudflare.com";
  config.server.auth_fail_limit = 50;
  saveConfig(home, config);
  return { home, token: config.token, workspace, config };
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
