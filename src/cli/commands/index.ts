import type { Command } from "commander";

export interface CommandModule {
  register(program: Command): void;
}

export interface CommandGroup {
  /** The top-level command names the module registers. */
  names: readonly string[];
  load: () => Promise<CommandModule>;
}

/**
 * Every CLI command group. A call loads only the module of the command it names, so
 * `--version` or `status` never loads the server, the tunnel code or the MCP SDK.
 */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  { names: ["init"], load: () => import("./init.js") },
  { names: ["channel"], load: () => import("./channel.js") },
  { names: ["serve", "up"], load: () => import("./serve.js") },
  { names: ["tunnel"], load: () => import("./tunnel.js") },
  { names: ["route-options"], load: () => import("./route-options.js") },
  { names: ["api-smoke"], load: () => import("./api-smoke.js") },
  { names: ["verify"], load: () => import("./verify.js") },
  { names: ["status", "set-public-url", "openapi", "gpt-instructions"], load: () => import("./info.js") },
  { names: ["chatgpt-preflight"], load: () => import("./preflight.js") },
  { names: ["access"], load: () => import("./access.js") },
  { names: ["token", "rotate-token"], load: () => import("./token.js") },
  { names: ["workspace"], load: () => import("./workspace.js") },
  { names: ["doctor"], load: () => import("./doctor.js") },
  { names: ["log"], load: () => import("./log.js") },
  { names: ["mcp-config"], load: () => import("./mcp-config.js") },
  { names: ["mcp"], load: () => import("./mcp.js") },
  { names: ["ai-commands", "agent-brief"], load: () => import("./agents.js") },
  { names: ["completion"], load: () => import("./completion.js") },
  { names: ["dashboard"], load: () => import("./dashboard.js") },
  { names: ["sandbox"], load: () => import("./sandbox.js") },
  { names: ["history", "undo"], load: () => import("./history.js") },
  { names: ["connector"], load: () => import("./connector.js") },
];

/** The first word on the command line that is not an option (nor an option's value): the command's name. */
export function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--lang") {
      i++;
      continue;
    }
    if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/** The groups to load for this call: the named command's, or all of them (help, unknown commands). */
export function groupsFor(args: readonly string[]): readonly CommandGroup[] {
  const name = commandName(args);
  const group = name === undefined ? undefined : COMMAND_GROUPS.find((g) => g.names.includes(name));
  return group ? [group] : COMMAND_GROUPS;
}
