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
 * Every CLI command group but `completion`. A call loads only the module of the command it
 * names, so `--version` or `status` never loads the server, the tunnel code or the MCP SDK.
 * `completion` describes these (and itself): it imports this list, and its own loader sits in
 * commands/index.ts, so no module reaches itself through the other's imports.
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
  { names: ["dashboard"], load: () => import("./dashboard.js") },
  { names: ["sandbox"], load: () => import("./sandbox.js") },
  { names: ["history", "undo"], load: () => import("./history.js") },
  { names: ["connector"], load: () => import("./connector.js") },
];
