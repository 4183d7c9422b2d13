/**
 * A world for sandbox tests: a HOME full of canaries (reached through a
 * symlink, as on machines with /home on another disk), a folder outside the
 * workspace, a config folder, a workspace that is a git repository — all
 * under /var/tmp (NOT /tmp, whose private copy would hide them by accident),
 * owned by the user the server runs as. The server is the real CLI `serve`,
 * started as root or (through setpriv) as an unprivileged user.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../src/config/schema.js";
import { newConfig, saveConfig, updateConfig } from "../../src/config/store.js";
import { CLI, comesTrue, postJson, type Reply } from "../helpers.js";

export const NOBODY = 65534;

const cleanups: string[] = [];
process.on("exit", () => {
  for (const dir of cleanups) rmSync(dir, { recursive: true, force: true });
});

export interface World {
  root: string;
  /** $HOME as the server sees it: a symlink to the real home folder. */
  home: string;
  realHome: string;
  configHome: string;
  workspace: string;
  outside: string;
  token: string;
  /** Text of every secret canary; none may ever show up in a command's output. */
  secret: string;
  /** Text of the canary outside the workspace (readable, never writable). */
  outsideText: string;
  uid: number | null;
}

/** Secret files (relative to the home folder) the world plants, all holding `secret`. */
export const SECRET_FILES = [
  ".ssh/id_rsa",
  ".ssh/config",
  ".gnupg/private-keys-v1.d/key",
  ".config/gh/hosts.yml",
  ".config/gcloud/credentials.db",
  ".kube/config",
  ".docker/config.json",
  ".git-credentials",
  ".netrc",
  ".npmrc",
  "private-notes.txt",
  "vault/key.txt",
];

export function makeWorld(options: { uid?: number | null; change?: (config: Config) => void; tmpWorkspace?: boolean } = {}): World {
  const uid = options.uid ?? null;
  const root = realpathSync(mkdtempSync("/var/tmp/cgc-sbx-"));
  cleanups.push(root);
  const realHome = join(root, "real-home");
  const home = join(root, "home");
  mkdirSync(realHome);
  symlinkSync(realHome, home);
  const secret = `CANARY-SECRET-${randomBytes(8).toString("hex")}`;
  const outsideText = `CANARY-OUTSIDE-${randomBytes(8).toString("hex")}`;
  // ~/.aws is a symlink into a dotfiles folder: the target is what must be hidden.
  mkdirSync(join(root, "dotfiles", "aws"), { recursive: true });
  writeFileSync(join(root, "dotfiles", "aws", "credentials"), `${secret}\n`);
  symlinkSync(join(root, "dotfiles", "aws"), join(realHome, ".aws"));
  for (const file of SECRET_FILES) {
    mkdirSync(join(realHome, file, ".."), { recursive: true });
    writeFileSync(join(realHome, file), `${secret}\n`);
  }
  writeFileSync(join(realHome, ".bashrc"), "# bashrc\n");
  const outside = join(root, "outside");
  mkdirSync(join(outside, "dir"), { recursive: true });
  writeFileSync(join(outside, "canary.txt"), `${outsideText}\n`);
  const workspace = options.tmpWorkspace ? realpathSync(mkdtempSync("/tmp/cgc-sbx-ws-")) : join(root, "ws");
  if (options.tmpWorkspace) cleanups.push(workspace);
  mkdirSync(workspace, { recursive: true });
  const git = (...args: string[]) => execFileSync("git", ["-C", workspace, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { stdio: "ignore" });
  git("init", "-q");
  writeFileSync(join(workspace, "README.md"), "hello\n");
  git("add", "-A");
  git("commit", "-qm", "first");
  const configHome = join(root, "config");
  const config = newConfig();
  config.workspaces.push({ name: "ws", path: workspace });
  config.active_workspace = "ws";
  config.public_base_url = "https://example-tunnel.trycloudflare.com";
  config.server.auth_fail_limit = 50;
  config.sandbox.hide = ["~/private-notes.txt", join(realHome, "vault")];
  options.change?.(config);
  saveConfig(configHome, config);
  if (uid !== null) {
    execFileSync("chown", ["-R", `${uid}:${uid}`, root, workspace]);
    chmodSync(root, 0o755);
  }
  return { root, home, realHome, configHome, workspace, outside, token: config.token, secret, outsideText, uid };
}

export interface CliServer {
  url: string;
  pid: number;
  child: ChildProcess;
  output(): string;
  post(action: string, body?: unknown): Promise<Reply>;
  close(): Promise<number | null>;
}

/** The real `serve` in its own process, as the world's user, with HOME pointing at the canaries. */
export async function startCliServer(world: World, env: Record<string, string> = {}, options: { inheritedFds?: number } = {}): Promise<CliServer> {
  const node = process.execPath;
  const args = [CLI, "serve", "--port", "0"];
  const command = world.uid === null ? node : "setpriv";
  const argv = world.uid === null ? args : [`--reuid=${world.uid}`, `--regid=${world.uid}`, "--clear-groups", node, ...args];
  const child = spawn(command, argv, {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: world.home, CHATGPT_CODEX_HOME: world.configHome, NO_COLOR: "1", LANG: "C.UTF-8", ...env },
    // inheritedFds: extra open pipes the server inherits (as from a supervisor); commands must never see them.
    stdio: ["ignore", "pipe", "pipe", ...Array.from({ length: options.inheritedFds ?? 0 }, () => "pipe" as const)],
  });
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000);
    const look = () => {
      const match = /Port: (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on("data", look);
    child.on("exit", () => reject(new Error(`serve exited: ${out}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    pid: child.pid!,
    child,
    output: () => out,
    post: (action, body = {}) => postJson(url, action, body, { token: world.token }),
    close: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Host pids whose command line is exactly `argv` (found in /proc: the sandbox's processes are visible from outside). */
export function pidsRunning(argv: string[]): number[] {
  const want = `${argv.join("\u0000")}\u0000`;
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const state = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (cmdline === want && state.slice(state.lastIndexOf(")") + 2, state.lastIndexOf(")") + 3) !== "Z") found.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/** Wait (bounded) until no process has this command line. */
export function noneRunning(argv: string[], timeoutMs = 8_000): Promise<boolean> {
  return comesTrue(() => pidsRunning(argv).length === 0, timeoutMs);
}

/** Wait (bounded) until some process has this command line. */
export function someRunning(argv: string[], timeoutMs = 8_000): Promise<boolean> {
  return comesTrue(() => pidsRunning(argv).length > 0, timeoutMs);
}

/** A sleep duration nobody else uses, so its processes can be found by command line. */
export function uniqueSleep(): string {
  return `${300 + Math.floor(Math.random() * 1000)}.${randomBytes(3).readUIntBE(0, 3)}`;
}

/**
 * The command policy refuses some of the corpus too (config-folder globs, /proc of other processes).
 * To test the sandbox on its own, the test then allows that exact command in the config and sends it again.
 */
export function allowExactly(configHome: string, command: string, uid: number | null = null): void {
  updateConfig(configHome, (config) => {
    if (!config.policy.allow.includes(command)) config.policy.allow.push(command);
  });
  // The server may run as another user: the rewritten file must stay theirs.
  if (uid !== null) chownSync(join(configHome, "config.json"), uid, uid);
}
