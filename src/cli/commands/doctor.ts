import { execFileSync } from "node:child_process";
import { existsSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname } from "node:path";
import type { Command } from "commander";
import { accessState } from "../../access/state.js";
import type { Config } from "../../config/schema.js";
import { configFile } from "../../config/paths.js";
import { ConfigError, loadConfig } from "../../config/store.js";
import { t } from "../i18n/index.js";
import { configBroken } from "../configText.js";
import { configInUse, home, print, printJson } from "../io.js";
import { stateLabel, type CheckState } from "../checkState.js";
import { forbiddenWritable, loadLayouts, reconcile } from "../../sandbox/facts/gitLayout.js";
import { gitProtection } from "../../sandbox/git.js";
import { guardedPaths } from "../../sandbox/policy.js";
import { sandboxStatus } from "../../sandbox/status.js";
import { runningServer } from "../../server/instanceLock.js";
import { DEFAULT_SANDBOX_SETTINGS } from "../../sandbox/types.js";
import { sandboxSummary } from "../sandboxText.js";
import { tooBroadReason } from "../workspaces.js";

type Level = Exclude<CheckState, "skip">;
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
  if (process.platform === "win32") return { name, level: "ok", detail: t("doctor.modeWindows") };
  const mode = statSync(path).mode & 0o777;
  return mode === wanted
    ? { name, level: "ok", detail: t("doctor.modeOk", { path, mode: mode.toString(8) }) }
    : { name, level: "fail", detail: t("doctor.modeBad", { path, mode: mode.toString(8), wanted: wanted.toString(8) }), fix: `chmod ${wanted.toString(8)} ${path}` };
}

function gitIgnoreCheck(folder: string): Check {
  const name = t("doctor.gitIgnore");
  try {
    execFileSync("git", ["-C", dirname(folder), "rev-parse", "--is-inside-work-tree"], { stdio: "ignore" });
  } catch {
    return { name, level: "ok", detail: t("doctor.notInRepo") };
  }
  try {
    execFileSync("git", ["-C", dirname(folder), "check-ignore", "-q", folder], { stdio: "ignore" });
    return { name, level: "ok", detail: t("doctor.ignored") };
  } catch {
    return { name, level: "fail", detail: t("doctor.notIgnored", { folder }), fix: t("doctor.notIgnoredFix") };
  }
}

async function portCheck(configHome: string, config: Config): Promise<Check> {
  const name = t("doctor.port");
  // The server that holds this config folder (serve --port 0 may listen elsewhere than the config says).
  const running = runningServer(configHome);
  if (running?.url) {
    try {
      const response = await fetch(`${running.url}/health`, { signal: AbortSignal.timeout(1500) });
      const body = (await response.json()) as { name?: string };
      if (body.name === "chatgpt-codex") return { name, level: "ok", detail: t("doctor.portRunning", { url: running.url, pid: running.pid }) };
    } catch {
      // not answering: said below
    }
    return { name, level: "fail", detail: t("doctor.portSilent", { url: running.url, pid: running.pid }), fix: t("doctor.portSilentFix", { pid: running.pid }) };
  }
  const url = `http://${config.server.host}:${config.server.port}`;
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1500) });
    const body = (await response.json()) as { name?: string };
    if (body.name === "chatgpt-codex") return { name, level: "ok", detail: t("doctor.portOurs", { url }) };
    return { name, level: "fail", detail: t("doctor.portOther", { url }), fix: t("doctor.portFix") };
  } catch {
    const { createServer } = await import("node:net");
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(false));
      probe.listen(config.server.port, config.server.host, () => probe.close(() => resolve(true)));
    });
    return free
      ? { name, level: "ok", detail: t("doctor.portFree", { url }), fix: t("doctor.portFreeFix") }
      : { name, level: "fail", detail: t("doctor.portTaken", { port: config.server.port }), fix: t("doctor.portFix") };
  }
}

function toolCheck(command: string, purpose: string, install: string, required: boolean): Check {
  const found = which(command);
  if (found) return { name: command, level: "ok", detail: t("doctor.found", { path: found }) };
  return { name: command, level: required ? "fail" : "warn", detail: t("doctor.notFound", { purpose }), fix: install };
}

export async function runDoctor(configHome: string): Promise<Check[]> {
  const checks: Check[] = [];
  const file = configFile(configHome);
  let config: Config | undefined;
  const location = configInUse();
  checks.push({
    name: t("doctor.folder"),
    level: "ok",
    detail: t("doctor.folderDetail", { home: configHome, source: t(`status.source.${location.home === configHome ? location.source : "env"}`) }),
  });
  try {
    config = loadConfig(configHome);
    checks.push({ name: t("doctor.configFile"), level: "ok", detail: t("doctor.configValid", { file }) });
  } catch (error) {
    const missing = error instanceof ConfigError && error.kind === "missing";
    checks.push({
      name: t("doctor.configFile"),
      level: "fail",
      detail: missing ? t("config.missing", { file }) : error instanceof ConfigError ? configBroken(error) : (error as Error).message,
      fix: missing ? t("doctor.configMissingFix") : t("doctor.configFixByHand"),
    });
  }
  if (existsSync(configHome)) checks.push(modeCheck(t("doctor.folderMode"), configHome, 0o700));
  if (existsSync(file)) checks.push(modeCheck(t("doctor.fileMode"), file, 0o600));
  if (existsSync(configHome)) checks.push(gitIgnoreCheck(configHome));
  if (config) {
    checks.push(
      /^[A-Za-z0-9_-]{43,}$/.test(config.token)
        ? { name: t("doctor.token"), level: "ok", detail: t("doctor.tokenOk") }
        : { name: t("doctor.token"), level: "fail", detail: t("doctor.tokenBad"), fix: t("doctor.tokenFix") },
    );
    const url = config.public_base_url;
    checks.push(
      url === null
        ? // A local-only setup (route-options' "local"/"stdio" routes) works without one: warn, never fail.
          { name: t("doctor.publicUrl"), level: "warn", detail: t("doctor.urlUnset"), fix: t("doctor.urlUnsetFix") }
        : url.startsWith("https://")
          ? { name: t("doctor.publicUrl"), level: "ok", detail: url }
          : { name: t("doctor.publicUrl"), level: "fail", detail: t("doctor.urlNotHttps", { url }), fix: t("doctor.urlNotHttpsFix") },
    );
    if (config.workspaces.length === 0) {
      checks.push({ name: t("doctor.workspaces"), level: "fail", detail: t("doctor.noWorkspaces"), fix: t("doctor.noWorkspacesFix") });
    }
    for (const w of config.workspaces) {
      const ok = existsSync(w.path) && statSync(w.path).isDirectory();
      const name = t("doctor.workspace", { name: w.name });
      const broad = ok ? tooBroadReason(w.path) : null;
      checks.push(
        !ok
          ? { name, level: "fail", detail: t("doctor.workspaceGone", { path: w.path }), fix: t("doctor.workspaceGoneFix", { name: w.name }) }
          : broad
            ? { name, level: "fail", detail: t("doctor.workspaceBroad", { path: w.path, why: broad }), fix: t("doctor.workspaceGoneFix", { name: w.name }) }
            : { name, level: "ok", detail: w.path },
      );
    }
    for (const w of config.workspaces) {
      const layout = gitLayoutCheck(w.name, w.path, configHome, config);
      if (layout) checks.push(layout);
    }
    const state = accessState(config);
    checks.push(
      state.active
        ? { name: t("doctor.access"), level: "ok", detail: state.expires_at ? t("doctor.accessUntil", { time: state.expires_at }) : t("doctor.accessNoExpiry") }
        : { name: t("doctor.access"), level: "warn", detail: state.reason ?? state.state, fix: t("doctor.accessFix") },
    );
    checks.push(await portCheck(configHome, config));
  }
  const sandbox = await sandboxStatus(config?.sandbox ?? DEFAULT_SANDBOX_SETTINGS);
  checks.push({ name: t("doctor.sandbox"), level: sandbox.active ? "ok" : sandbox.commands === "refused" ? "fail" : "warn", detail: sandboxSummary(sandbox), ...(sandbox.fix ? { fix: sandbox.fix } : {}) });
  checks.push(toolCheck("git", t("doctor.gitPurpose"), t("doctor.gitInstall"), false));
  checks.push(toolCheck("rg", t("doctor.rgPurpose"), t("doctor.rgInstall"), false));
  checks.push(toolCheck("cloudflared", t("doctor.cfPurpose"), t("doctor.cfInstall"), false));
  return checks;
}

/** The workspace's git pointers against the layout the server recorded (API contract §14). */
function gitLayoutCheck(name: string, path: string, configHome: string, config: Config): Check | null {
  let root: string;
  try {
    root = realpathSync(path);
  } catch {
    return null; // reported above as gone
  }
  const title = t("doctor.gitLayout", { name });
  const recorded = loadLayouts(realpathSync(configHome))[root] ?? null;
  const guarded = guardedPaths({ workspace: root, home: homedir(), configHome: realpathSync(configHome), hide: config.sandbox.hide });
  const { untrusted } = reconcile(gitProtection(root), recorded, guarded);
  if (untrusted.length > 0) {
    const refused = untrusted.filter((dir) => forbiddenWritable(dir, guarded) !== null);
    const detail = refused.length === untrusted.length
      ? t("doctor.gitLayoutRefused", { dirs: untrusted.join(", ") })
      : t("doctor.gitLayoutChanged", { dirs: untrusted.join(", "), time: recorded?.captured_at ?? "-" });
    return { name: title, level: "warn", detail, fix: t("doctor.gitLayoutFix") };
  }
  if (!recorded) return { name: title, level: "ok", detail: t("doctor.gitLayoutNone") };
  return { name: title, level: "ok", detail: t("doctor.gitLayoutOk", { time: recorded.captured_at }) };
}

export function register(program: Command): void {
  program
    .command("doctor")
    .description(t("doctor.desc"))
    .option("--json", t("opt.json"))
    .addHelpText("after", t("doctor.example"))
    .action(async (opts: { json?: boolean }) => {
      const checks = await runDoctor(home());
      const ok = checks.every((c) => c.level !== "fail");
      if (opts.json) printJson({ ok, checks });
      else {
        for (const c of checks) {
          print(`${stateLabel(c.level)}  ${c.name}: ${c.detail}`);
          if (c.fix && c.level !== "ok") print(`      → ${c.fix}`);
        }
        print(`\n${ok ? t("doctor.allOk") : t("doctor.someFailed")}`);
      }
      if (!ok) process.exitCode = 1;
    });
}
