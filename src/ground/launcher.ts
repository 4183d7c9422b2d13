import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * How the user started this tool, so every hint shows a command they can paste:
 * `npm run cli -- …` from a checkout, `npx chatgpt-codex …`, or the installed `chatgpt-codex …`.
 */
export function launcherPrefix(env: NodeJS.ProcessEnv = process.env, script: string = process.argv[1] ?? ""): string {
  const event = env.npm_lifecycle_event;
  if (event === "cli") return "npm run cli --";
  if (event === "start") return "npm run cli --";
  if (/[\\/]_npx[\\/]/.test(script) || env.npm_command === "exec") return "npx chatgpt-codex";
  return "chatgpt-codex";
}

let cached: string | undefined;

/** `chatgpt-codex <args>` written the way this process was launched. */
export function cliCommand(args: string): string {
  cached ??= launcherPrefix();
  return args ? `${cached} ${args}` : cached;
}

/** This copy's CLI entry point (dist/src/cli/main.js), by absolute path. */
function cliEntryPoint(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "cli", "main.js");
}

/**
 * How an MCP client on this computer starts the stdio face: this Node binary and
 * this copy's entry point, both absolute, because desktop clients launch commands
 * without the user's shell PATH (a version manager's `node` is often not on it).
 */
export function stdioLaunch(): { command: string; args: string[] } {
  return { command: process.execPath, args: [cliEntryPoint(), "mcp"] };
}
