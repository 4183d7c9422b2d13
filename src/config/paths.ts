import { join } from "node:path";
import { TOOL_ROOT } from "../core/version.js";

/** The private config folder: `.chatgpt-codex/` at the tool's root, or $CHATGPT_CODEX_HOME. */
export function configHome(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.CHATGPT_CODEX_HOME;
  return override && override.trim() !== "" ? override : join(TOOL_ROOT, ".chatgpt-codex");
}

export function configFile(home: string): string {
  return join(home, "config.json");
}

export function auditFile(home: string): string {
  return join(home, "audit.log");
}
