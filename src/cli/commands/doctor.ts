import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { accessState } from "../../access/state.js";
import type { Config } from "../../config/schema.js";
import { configFile } from "../../config/paths.js";
import { ConfigError, loadConfig } from "../../config/store.js";
import { sandboxStatus } from "../../sandbox/status.js";
import { DEFAULT_SANDBOX_SETTINGS } from "../../sandbox/types.js";
import { home, print, printJson } from "../io.js";

type Level = "ok" | "warn" | "fail";
interface Check {
  name: string;
  level: Level;
  detail: string;
  fix?: string;
}

function which(command: string): string | null {
  try {
    const out = execFileSync(process.platform === "win32" ? "where" : "which", [command], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return out.split("\n")[0]!.trim() || null;
  } catch {
    return null;
  }
}

function modeCheck(name: string, path: string, wanted: number): Check {
  if (process.platform === "win32") return { name, level: "ok", detail: "permissions not checked on Windows" };
  const mode = statSync(path).mode & 0o777;
  return mode === wanted
    ? { name, level: "ok", detail: `${path} is ${mode.toString(8)}` }
    : { name, level: "fail", detail: `${path} is ${mode.toString(8)}, should be ${wanted.toString(8)}`, fix: `chmod ${wanted.toString(8)} ${path}` };
}

function gitIgnoreCheck(folder: string): Check {
  const name = "config folder ignored by git";
  try {
    execFileSync("git", ["-C", dirname(folder), "rev-parse", "--is-inside-work-tree"], { stdio: "ignore" });
  } catch {
    return { name, level: "ok", detail: "config folder is not inside a git repository" };
  }
  try {
    execFileSync("git", ["-C", dirname(folder), "check-ignore", "-q", folder], { stdio: "ignore" });
    return { name, level: "ok", detail: "git ignores it" };
  } catch {
    return { name, level: "fail", detail: `${folder} is inside a git repository and NOT ignored: the token could be committed`, fix: "add `.chatgpt-codex/` to .gitignore" };
  }
}

async function portCheck(config: Config): Promise<Check> {
  const name = "server port";
  const url = `http://${config.server.host}:${config.server.port}`;
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1500) });
    const body = (await response.json()) as { name?: string };
    if (body.name === "chatgpt-codex") return { name, level: "ok", detail: `our server answers at ${url}` };
    return { name, level: "fail", detail: `another program answers at ${url}`, fix: "stop it, or use serve --port P" };
  } catch {
    const { createServer } = await import("node:net");
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(false));
      probe.listen(config.server.port, config.server.host, () => probe.close(() => resolve(true)));
    });
    return free
      ? { name, level: "ok", detail: `${url} is free (server not running)`, fix: "start it: chatgpt-codex serve" }
      : { name, level: "fail", detail: `port ${config.server.port} is taken by a program that is not chatgpt-codex`, fix: "stop it, or use serve --port P" };
  }
}

function toolCheck(command: string, purpose: string, install: string, required: boolean): Check {
  const found = which(command);
  if (found) return { name: command, level: "ok", detail: `found at ${found}` };
  return { name: command, level: required ? "fail" : "warn", detail: `not found (${purpose})`, fix: install };
}

export async function runDoctor(configHome: string): Promise<Check[]> {
  const checks: Check[] = [];
  const file = configFile(configHome);
  let config: Config | undefined;
  try {
    config = loadConfig(configHome);
    checks.push({ name: "config file", level: "ok", detail: `${file} is valid` });
  } catch (error) {
    const missing = error instanceof ConfigError && error.kind === "missing";
    checks.push({
      name: "config file",
      level: "fail",
      detail: (error as Error).message,
      fix: missing ? "chatgpt-codex up --workspace /path/to/project" : "fix the file by hand (it is never overwritten)",
    });
  }
  if (existsSync(configHome)) checks.push(modeCheck("config folder mode", configHome, 0o700));
  if (existsSync(file)) checks.push(modeCheck("config file mode", file, 0o600));
  if (existsSync(configHome)) checks.push(gitIgnoreCheck(configHome));
  if (config) {
    checks.push(
      /^[A-Za-z0-9_-]{43,}$/.test(config.token)
        ? { name: "token", level: "ok", detail: "set (256-bit)" }
        : { name: "token", level: "fail", detail: "missing or too short", fix: "chatgpt-codex rotate-token" },
    );
    const url = config.public_base_url;
    checks.push(
      url === null
        ? { name: "public URL", level: "fail", detail: "not set: GPT Builder needs an absolute https:// URL in servers", fix: "chatgpt-codex tunnel, or chatgpt-codex set-public-url https://…" }
        : url.startsWith("https://")
          ? { name: "public URL", level: "ok", detail: url }
          : { name: "public URL", level: "fail", detail: `${url} is not https (GPT Builder refuses it)`, fix: "use an https:// tunnel or route" },
    );
    if (config.workspaces.length === 0) {
      checks.push({ name: "workspaces", level: "fail", detail: "none registered", fix: "chatgpt-codex workspace add --name N --path /abs/path --activate" });
    }
    for (const w of config.workspaces) {
      const ok = existsSync(w.path) && statSync(w.path).isDirectory();
      checks.push(ok ? { name: `workspace ${w.name}`, level: "ok", detail: w.path } : { name: `workspace ${w.name}`, level: "fail", detail: `${w.path} does not exist`, fix: `chatgpt-codex workspace remove ${w.name}` });
    }
    const state = accessState(config);
    checks.push(state.active ? { name: "access", level: "ok", detail: state.expires_at ? `active until ${state.expires_at}` : "active, no expiry" } : { name: "access", level: "warn", detail: state.reason ?? state.state, fix: "chatgpt-codex channel renew" });
    checks.push(await portCheck(config));
  }
  const sandbox = await sandboxStatus(config?.sandbox ?? DEFAULT_SANDBOX_SETTINGS);
  checks.push({ name: "command sandbox", level: sandbox.active ? "ok" : sandbox.commands === "refused" ? "fail" : "warn", detail: sandbox.summary, ...(sandbox.fix ? { fix: sandbox.fix } : {}) });
  checks.push(toolCheck("git", "git_status, git_diff, faster list_files", "install git (Debian/Ubuntu: apt-get install git; macOS: xcode-select --install)", false));
  checks.push(toolCheck("rg", "fast search_text; the built-in search is used without it", "install ripgrep (apt-get install ripgrep / brew install ripgrep)", false));
  checks.push(toolCheck("cloudflared", "quick tunnel for a public HTTPS URL", "install cloudflared from Cloudflare's downloads page or `brew install cloudflared`; or use --tunnel ngrok / custom", false));
  return checks;
}

export function register(program: Command): void {
  program
    .command("doctor")
    .description("Check the setup: config and its permissions, token, public URL, workspaces, port, tools")
    .option("--json", "print one JSON document")
    .action(async (opts: { json?: boolean }) => {
      const checks = await runDoctor(home());
      const ok = checks.every((c) => c.level !== "fail");
      if (opts.json) printJson({ ok, checks });
      else {
        for (const c of checks) {
          print(`${c.level === "ok" ? "OK  " : c.level === "warn" ? "WARN" : "FAIL"}  ${c.name}: ${c.detail}`);
          if (c.fix && c.level !== "ok") print(`      → ${c.fix}`);
        }
        print(ok ? "\nAll essential checks passed." : "\nSome checks failed; see the → lines.");
      }
      if (!ok) process.exitCode = 1;
    });
}
