import type { AccessStateName } from "../access/state.js";
import { createHash } from "node:crypto";
import { accessState } from "../access/state.js";
import type { Config } from "../config/schema.js";
import { configFile } from "../config/paths.js";
import { runningServer } from "../server/instanceLock.js";
import { t } from "./i18n/index.js";
import { configInUse, print, printJson } from "./io.js";
import { bold, yellow } from "./style.js";

/** The base URL GPT Builder should use: the public one, else the local one (with a warning elsewhere). */
export function baseUrl(config: Config, localUrl?: string): string {
  return config.public_base_url ?? localUrl ?? `http://127.0.0.1:${config.server.port}`;
}

/** A short, non-reversible fingerprint so users can tell tokens apart without seeing them. */
export function tokenFingerprint(token: string): string {
  return `sha256:${createHash("sha256").update(token).digest("hex").slice(0, 12)}`;
}

/**
 * What to paste into GPT Builder. Prints the token only when `token` is given:
 * callers are the few commands the contract allows to print it.
 */
export function printBuilderFields(config: Config, options: { token?: string; localUrl?: string } = {}): void {
  const base = baseUrl(config, options.localUrl);
  print("");
  print(bold(t("builder.title")));
  print(t("builder.schema", { url: `${base}/openapi.json` }));
  print(t("builder.auth"));
  if (options.token) print(t("builder.apiKey", { token: options.token }));
  print(t("builder.privacy", { url: `${base}/privacy` }));
  print(t("builder.instructions"));
  printConnectorFields(base);
  if (!config.public_base_url) {
    print("");
    print(yellow(t("builder.noPublicUrl")));
  } else if (!config.public_base_url.startsWith("https://")) {
    print("");
    print(yellow(t("builder.notHttps")));
  }
}

/** The ChatGPT connector (OAuth on /mcp), printed beside the GPT Builder fields. */
export function printConnectorFields(base: string): void {
  print("");
  print(bold(t("connectorFields.title")));
  print(t("connectorFields.url", { url: `${base}/mcp` }));
  print(t("connectorFields.auth"));
  print(t("connectorFields.approve"));
}

export interface StatusView {
  config_file: string;
  /** The config folder in use and why it is there: env ($CHATGPT_CODEX_HOME), checkout or user. */
  config_home: string;
  config_source: string;
  public_base_url: string | null;
  active_workspace: string | null;
  workspaces: { name: string; path: string; active: boolean }[];
  access: { state: AccessStateName; active: boolean; expires_at: string | null; reason: string | null };
  token: { set: boolean; fingerprint: string };
  /** `running`: the server that holds this config folder (its lock), or null. */
  server: { host: string; port: number; running: { pid: number; url: string | null } | null };
}

export function statusView(home: string, config: Config): StatusView {
  const state = accessState(config);
  const active = config.active_workspace ?? config.workspaces[0]?.name ?? null;
  const location = configInUse();
  const running = runningServer(home);
  return {
    config_file: configFile(home),
    config_home: home,
    config_source: location.home === home ? location.source : "env",
    public_base_url: config.public_base_url,
    active_workspace: active,
    workspaces: config.workspaces.map((w) => ({ name: w.name, path: w.path, active: w.name === active })),
    access: { state: state.state, active: state.active, expires_at: state.expires_at, reason: state.reason },
    token: { set: config.token.length > 0, fingerprint: tokenFingerprint(config.token) },
    server: { host: config.server.host, port: config.server.port, running: running ? { pid: running.pid, url: running.url } : null },
  };
}

/** The body of `status` and `channel status`: text, or one JSON document with --json. */
export function showStatus(home: string, config: Config, json: boolean | undefined): void {
  const view = statusView(home, config);
  if (json) printJson(view);
  else printStatus(view);
}

export function printStatus(view: StatusView): void {
  print(t("status.config", { file: view.config_file, source: t(`status.source.${view.config_source as "env" | "checkout" | "user"}`) }));
  print(t("status.publicUrl", { url: view.public_base_url ?? t("common.notSet") }));
  print(t("status.activeWorkspace", { name: view.active_workspace ?? t("common.none") }));
  for (const w of view.workspaces) print(`  ${w.active ? "*" : " "} ${w.name}  ${w.path}`);
  const expiry = view.access.expires_at ? t("status.expires", { time: view.access.expires_at }) : t("status.noExpiry");
  print(t("status.access", { state: accessWord(view.access.state), more: view.access.active ? expiry : ` (${view.access.reason ?? ""})` }));
  print(t("status.token", { fingerprint: view.token.fingerprint }));
  const running = view.server.running;
  print(
    t("status.server", {
      url: running?.url ?? `http://${view.server.host}:${view.server.port}`,
      state: running ? t("status.serverRunning", { pid: running.pid }) : t("status.serverStopped"),
    }),
  );
}

/** The access state as a word of the output language (`--json` keeps the contract's value). */
export function accessWord(state: AccessStateName): string {
  return t(`accessWord.${state}`);
}
