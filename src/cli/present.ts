import { createHash } from "node:crypto";
import { accessState } from "../access/state.js";
import type { Config } from "../config/schema.js";
import { configFile } from "../config/paths.js";
import { print, printJson } from "./io.js";

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
  print("GPT Builder → Configure → Actions:");
  print(`  Import from URL (schema): ${base}/openapi.json`);
  print("  Authentication:           API Key, Auth Type: Bearer");
  if (options.token) print(`  API Key:                  ${options.token}`);
  print(`  Privacy policy URL:       ${base}/privacy`);
  print("  Instructions text:        chatgpt-codex gpt-instructions");
  printConnectorFields(base);
  if (!config.public_base_url) {
    print("");
    print("  Note: no public HTTPS URL is set yet; ChatGPT cannot reach 127.0.0.1.");
    print("  Start a tunnel (chatgpt-codex tunnel) or set one: chatgpt-codex set-public-url https://…");
  } else if (!config.public_base_url.startsWith("https://")) {
    print("");
    print("  Note: GPT Builder needs an https:// URL; the public URL is not https.");
  }
}

/** The ChatGPT connector (OAuth on /mcp), printed beside the GPT Builder fields. */
export function printConnectorFields(base: string): void {
  print("");
  print("ChatGPT → Settings → Apps & Connectors → (Developer mode) → Create:");
  print(`  MCP server URL:           ${base}/mcp`);
  print("  Authentication:           OAuth");
  print("  Approve on the page that opens with a code from: chatgpt-codex connector code");
}

export interface StatusView {
  config_file: string;
  public_base_url: string | null;
  active_workspace: string | null;
  workspaces: { name: string; path: string; active: boolean }[];
  access: { state: string; active: boolean; expires_at: string | null; reason: string | null };
  token: { set: boolean; fingerprint: string };
  server: { host: string; port: number };
}

export function statusView(home: string, config: Config): StatusView {
  const state = accessState(config);
  const active = config.active_workspace ?? config.workspaces[0]?.name ?? null;
  return {
    config_file: configFile(home),
    public_base_url: config.public_base_url,
    active_workspace: active,
    workspaces: config.workspaces.map((w) => ({ name: w.name, path: w.path, active: w.name === active })),
    access: { state: state.state, active: state.active, expires_at: state.expires_at, reason: state.reason },
    token: { set: config.token.length > 0, fingerprint: tokenFingerprint(config.token) },
    server: { host: config.server.host, port: config.server.port },
  };
}

/** The body of `status` and `channel status`: text, or one JSON document with --json. */
export function showStatus(home: string, config: Config, json: boolean | undefined): void {
  const view = statusView(home, config);
  if (json) printJson(view);
  else printStatus(view);
}

export function printStatus(view: StatusView): void {
  print(`Config:           ${view.config_file}`);
  print(`Public URL:       ${view.public_base_url ?? "(not set)"}`);
  print(`Active workspace: ${view.active_workspace ?? "(none)"}`);
  for (const w of view.workspaces) print(`  ${w.active ? "*" : " "} ${w.name}  ${w.path}`);
  const expiry = view.access.expires_at ? `, expires ${view.access.expires_at}` : ", no expiry";
  print(`Access:           ${view.access.state}${view.access.active ? expiry : ` (${view.access.reason ?? ""})`}`);
  print(`Token:            set (${view.token.fingerprint}); print it with: chatgpt-codex token`);
  print(`Server address:   http://${view.server.host}:${view.server.port}`);
}
