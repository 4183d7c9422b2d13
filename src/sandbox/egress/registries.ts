/**
 * The hosts of the registries the user's package managers are configured to use, asked
 * of the tools themselves at run time, so a mirror or private registry is found and no
 * registry name is written here.
 *
 * The tools run outside any workspace (in the home folder, or a fresh folder in the
 * temporary folder): a workspace's .npmrc or go.mod is written by the model and must not
 * choose what the proxy allows. cargo's built-in registry cannot be read from cargo
 * without writing its name down, so only registries a user's cargo config lists are found.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { normalizeHost } from "./hosts.js";

export type RegistryTool = "npm" | "pip" | "go" | "cargo";

export interface RegistrySource {
  tool: RegistryTool;
  hosts: string[];
}

export interface RegistryHosts {
  /** Every host once, in the order found. */
  hosts: string[];
  /** Which tool named which hosts (tools that named none are left out). */
  sources: RegistrySource[];
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/** Runs a program and gives its standard output, or null when it is missing, failed or timed out. */
export type ToolRunner = (command: string, args: readonly string[], options: RunOptions) => Promise<string | null>;

export interface RegistryOptions {
  /** The user's home folder (default os.homedir()); the tools run in it when it exists. */
  home?: string;
  /** The environment the tools start from (default process.env); CHATGPT_CODEX_* variables are removed. */
  env?: NodeJS.ProcessEnv;
  run?: ToolRunner;
  /** Reads a file, null when it cannot be read (cargo's config). */
  readFile?: (path: string) => string | null;
  now?: () => number;
}

const TOOL_TIMEOUT_MS = 3_000;
const CACHE_MS = 5 * 60_000;
const PIP_DEFAULT_INDEX = "from pip._internal.models.index import PyPI; print(PyPI.url, PyPI.file_storage_domain)";

const cache = new Map<string, { at: number; answer: Promise<RegistryHosts> }>();

/**
 * The registry hosts of npm, pip, go and cargo as configured for this user, found at most
 * once every five minutes. A tool that is missing or fails contributes nothing.
 */
export function defaultRegistryHosts(options: RegistryOptions = {}): Promise<RegistryHosts> {
  const home = options.home ?? homedir();
  const now = options.now ?? Date.now;
  const env = options.env ?? process.env;
  const key = `${home}\u0000${env.CARGO_HOME ?? ""}`;
  const cached = cache.get(key);
  if (cached && now() - cached.at < CACHE_MS) return cached.answer;
  const answer = collect(home, env, options.run ?? runTool, options.readFile ?? readText);
  cache.set(key, { at: now(), answer });
  answer.catch(() => cache.delete(key)); // a failure is not kept for five minutes
  return answer;
}

/** Forget what was found (tests, or after the user changed a tool's config). */
export function forgetRegistryHosts(): void {
  cache.clear();
}

async function collect(home: string, baseEnv: NodeJS.ProcessEnv, run: ToolRunner, readFile: (path: string) => string | null): Promise<RegistryHosts> {
  const { cwd, cleanup } = neutralFolder(home);
  const env = toolEnv(baseEnv);
  const options: RunOptions = { cwd, env, timeoutMs: TOOL_TIMEOUT_MS };
  const safe = (found: Promise<string[]>) => found.catch((): string[] => []);
  try {
    const [npm, pip, go] = await Promise.all([safe(npmHosts(run, options)), safe(pipHosts(run, options)), safe(goHosts(run, options))]);
    const cargo = cargoHosts(home, baseEnv, readFile);
    const sources: RegistrySource[] = [];
    const all = new Set<string>();
    for (const [tool, found] of [["npm", npm], ["pip", pip], ["go", go], ["cargo", cargo]] as const) {
      const hosts = [...new Set(found)];
      if (hosts.length === 0) continue;
      sources.push({ tool, hosts });
      for (const host of hosts) all.add(host);
    }
    return { hosts: [...all], sources };
  } finally {
    cleanup();
  }
}

/** npm's registry and the registries of its scopes (@scope:registry). */
async function npmHosts(run: ToolRunner, options: RunOptions): Promise<string[]> {
  const [registry, list] = await Promise.all([run("npm", ["config", "get", "registry"], options), run("npm", ["config", "list", "--json"], options)]);
  const urls = registry ? [registry.trim()] : [];
  if (list) {
    try {
      const config = JSON.parse(list) as Record<string, unknown>;
      for (const [name, value] of Object.entries(config)) {
        if ((name === "registry" || /^@[^:]+:registry$/.test(name)) && typeof value === "string") urls.push(value);
      }
    } catch {
      // Not JSON (an old npm): the plain registry above is still known.
    }
  }
  return hostsOf(urls);
}

/**
 * pip's configured indexes (index-url, extra-index-url, find-links) and its built-in
 * default index with the host its files are downloaded from, read from pip's own module.
 */
async function pipHosts(run: ToolRunner, options: RunOptions): Promise<string[]> {
  const [config, builtIn] = await Promise.all([run("python3", ["-m", "pip", "config", "list"], options), run("python3", ["-c", PIP_DEFAULT_INDEX], options)]);
  const urls: string[] = [];
  for (const line of (config ?? "").split("\n")) {
    // Lines look like  global.index-url='https://…'  or  :env:.extra-index-url='a b'
    const match = /^[^=]*\.(index-url|extra-index-url|find-links)=(.*)$/.exec(line.trim());
    if (match) urls.push(...unquote(match[2] ?? "").split(/\s+/));
  }
  const hosts = hostsOf(urls);
  const [index, files] = (builtIn ?? "").trim().split(/\s+/);
  if (index) hosts.push(...hostsOf([index]));
  const fileHost = files ? normalizeHost(files) : null;
  if (fileHost) hosts.push(fileHost);
  return hosts;
}

/** go's module proxies and checksum database ("direct" and "off" name no host). */
async function goHosts(run: ToolRunner, options: RunOptions): Promise<string[]> {
  const out = await run("go", ["env", "GOPROXY", "GOSUMDB"], options);
  if (!out) return [];
  const [proxy = "", sumdb = ""] = out.split("\n").map((line) => line.trim());
  const urls: string[] = [];
  for (const entry of proxy.split(/[,|]/)) {
    if (entry === "" || entry === "direct" || entry === "off") continue;
    urls.push(entry.includes("://") ? entry : `https://${entry}`);
  }
  // GOSUMDB is "off", "name", "name+key" or "name+key url".
  const [name = "", url] = sumdb.split(/\s+/);
  if (name !== "" && name !== "off") urls.push(url ?? `https://${name.split("+")[0] ?? ""}`);
  return hostsOf(urls);
}

/**
 * The registries a user's cargo config lists: [registries.*] index URLs and [source.*]
 * registry URLs (the targets of replace-with). Only the lines of that form are read.
 */
function cargoHosts(home: string, env: NodeJS.ProcessEnv, readFile: (path: string) => string | null): string[] {
  const cargoHome = env.CARGO_HOME || join(home, ".cargo");
  const text = readFile(join(cargoHome, "config.toml")) ?? readFile(join(cargoHome, "config"));
  if (text === null) return [];
  const urls: string[] = [];
  let table = "";
  for (const raw of text.split("\n")) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    const header = /^\[([^\[\]]+)\]$/.exec(line);
    if (header) {
      table = (header[1] ?? "").replace(/["'\s]/g, "");
      continue;
    }
    const inRegistries = table === "registries" || table.startsWith("registries.");
    const inSources = table.startsWith("source.");
    if (!inRegistries && !inSources) continue;
    // index = "…" / registry = "…", also inside an inline table: name = { index = "…" }
    for (const match of line.matchAll(/\b(index|registry)\s*=\s*["']([^"']+)["']/g)) urls.push(match[2] ?? "");
  }
  return hostsOf(urls.map((url) => url.replace(/^(sparse|registry|git)\+/, "")));
}

/** The hosts of the http(s) URLs among these strings. */
function hostsOf(urls: readonly string[]): string[] {
  const hosts: string[] = [];
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url.trim());
    } catch {
      continue;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") continue;
    const host = normalizeHost(parsed.hostname);
    if (host) hosts.push(host);
  }
  return hosts;
}

/** A Python repr of a string, back to the string (pip prints config values with repr). */
function unquote(value: string): string {
  const match = /^(['"])(.*)\1$/.exec(value.trim());
  return match ? (match[2] ?? "") : value.trim();
}

/**
 * Where the tools run: the home folder, or a fresh private folder when there is none (a
 * shared folder such as /tmp itself could hold a planted pip/ package for python -m).
 */
function neutralFolder(home: string): { cwd: string; cleanup: () => void } {
  try {
    if (statSync(home).isDirectory()) return { cwd: home, cleanup: () => {} };
  } catch {
    // No home folder: use a fresh one.
  }
  const cwd = mkdtempSync(join(tmpdir(), "chatgpt-codex-registries-"));
  return { cwd, cleanup: () => rmSync(cwd, { recursive: true, force: true }) };
}

/** The environment without this program's own variables, and with the tools kept quiet and offline. */
function toolEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) if (!name.startsWith("CHATGPT_CODEX_")) env[name] = value;
  env.NO_UPDATE_NOTIFIER = "1"; // npm: no version check over the network
  env.npm_config_update_notifier = "false";
  env.GOTOOLCHAIN = "local"; // go: never download another toolchain to answer
  env.PYTHONSAFEPATH = "1"; // python: the current folder is not put on the module path
  env.PIP_DISABLE_PIP_VERSION_CHECK = "1";
  return env;
}

const runTool: ToolRunner = (command, args, options) =>
  new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, killSignal: "SIGKILL", encoding: "utf8", maxBuffer: 4 * 1024 * 1024, windowsHide: true },
      (error, stdout) => resolve(error ? null : stdout),
    );
  });

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}
