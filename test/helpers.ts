/** Shared test fixtures: temp folders, a real config home, a real server, real CLI runs. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { auditFile } from "../src/config/paths.js";
import type { Config } from "../src/config/schema.js";
import { newConfig, saveConfig } from "../src/config/store.js";
import { readReply } from "../src/ground/httpJson.js";
import { listen, type RunningServer } from "../src/server/listen.js";

export const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "cli", "main.js");
export const SHARED = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "shared");

/**
 * Polls `check` every 25 ms until it gives a value (not undefined or false) and returns it;
 * throws naming `what` after `timeoutMs` (20 s unless given). The bound is generous on purpose: a loaded CI machine
 * can be many times slower than a laptop, and a condition that holds returns at once.
 */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Whether `condition` comes to hold within `timeoutMs`, polled like waitFor (for a test that asserts it with its own message). */
export async function comesTrue(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  return waitFor(condition, "", timeoutMs).then(
    () => true,
    () => false,
  );
}

/** One audit record as a test reads it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AuditRecordLine = Record<string, any>;

/** The audit log's records as they are now ([] before its first line). */
export function auditRecords(home: string): AuditRecordLine[] {
  const file = auditFile(home);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditRecordLine);
}

/** The last audit record `match` finds, once it is there: the log is written in batches, once per event-loop turn. */
export function auditRecord(home: string, match: (record: AuditRecordLine) => boolean, what = "the audit record"): Promise<AuditRecordLine> {
  return waitFor(() => auditRecords(home).filter(match).at(-1), what);
}

const cleanups: string[] = [];

/** A fresh temp folder (real path), removed at process exit. */
export function tempDir(prefix = "cgc-test-"): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  cleanups.push(dir);
  return dir;
}
process.on("exit", () => {
  for (const dir of cleanups) rmSync(dir, { recursive: true, force: true });
});

// The sandbox boxes keep tool caches under $XDG_CACHE_HOME/chatgpt-codex: tests keep theirs in a temp folder, never the user's.
process.env.XDG_CACHE_HOME = tempDir("cgc-cache-");

export interface Fixture {
  home: string;
  token: string;
  workspace: string;
  config: Config;
}

/**
 * A config home with one workspace ("ws", a fresh folder unless given) and a
 * fresh token. `change` may adjust the config before it is saved.
 */
export function makeHome(options: { workspace?: string; change?: (config: Config) => void } = {}): Fixture {
  const root = tempDir();
  const home = join(root, "home");
  const workspace = options.workspace ?? join(root, "ws");
  mkdirSync(workspace, { recursive: true });
  const config = newConfig();
  config.workspaces.push({ name: "ws", path: workspace });
  config.active_workspace = "ws";
  config.public_base_url = "https://example-tunnel.trycloudflare.com";
  config.server.auth_fail_limit = 50;
  options.change?.(config);
  saveConfig(home, config);
  return { home, token: config.token, workspace, config };
}

/**
 * A fixture whose commands run without the OS sandbox: for tests that read the host's
 * process table (`$$`, ps), which a sandbox's PID namespace hides. test/sandbox/ covers
 * the same guarantees inside the sandbox.
 */
export function unsandboxedHome(): Fixture {
  return makeHome({ change: (c) => void (c.sandbox.mode = "off") });
}

export interface TestServer extends Fixture {
  server: RunningServer;
  url: string;
  post(action: string, body?: unknown, options?: PostOptions): Promise<Reply>;
  close(): Promise<void>;
}

export interface PostOptions {
  token?: string | null;
  headers?: Record<string, string>;
  rawBody?: string;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** A real server on 127.0.0.1:0 over a fresh fixture (or the one given). */
export async function startServer(fixture: Fixture = makeHome()): Promise<TestServer> {
  const server = await listen({ home: fixture.home, host: "127.0.0.1", port: 0, requestLog: null });
  const url = `http://127.0.0.1:${server.port}`;
  const self: TestServer = {
    ...fixture,
    server,
    url,
    // Reads self.token at call time, so a test that rotates the token can update it.
    post: (action, body = {}, options = {}) => postJson(url, action, body, { token: self.token, ...options }),
    close: () => server.close(),
  };
  return self;
}

export async function postJson(base: string, action: string, body: unknown, options: PostOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${base}/${action}`, {
    method: "POST",
    headers,
    body: options.rawBody ?? JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  return toReply(response);
}

export async function getPath(base: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(30_000) });
  return toReply(response);
}

/** An answer read by rawRequest: status, headers, text and the JSON in it (undefined when it is not JSON). */
export interface RawReply {
  status: number;
  headers: Record<string, unknown>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: Record<string, any> | undefined;
}

/**
 * A request through node:http, where fetch would not do: the path goes out exactly as given
 * (no normalising of `..`, `%2f` or `//`) and any Host header is sent. `body` is written when given.
 */
export function rawRequest(base: string, path: string, headers: Record<string, string>, body?: string, method = "POST"): Promise<RawReply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method, headers, timeout: 30_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        let json: RawReply["json"];
        try {
          json = JSON.parse(text) as RawReply["json"];
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function toReply(response: Response): Promise<Reply> {
  return (await readReply(response)) as Reply;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI's language follows the locale; tests read its English text unless they ask for --lang. */
export const PLAIN_ENGLISH = { LC_ALL: "", LC_MESSAGES: "", LANG: "C.UTF-8" };

/** Run the real CLI synchronously with a private config home. */
export function runCli(args: string[], home: string, env: Record<string, string> = {}, cwd?: string): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, ...PLAIN_ENGLISH, CHATGPT_CODEX_HOME: home, NO_COLOR: "1", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Run the real CLI without blocking the event loop (needed when it talks to a server in this process). */
export function runCliAsync(args: string[], home: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...PLAIN_ENGLISH, CHATGPT_CODEX_HOME: home, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
