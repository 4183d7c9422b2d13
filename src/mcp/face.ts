import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { AnyAction } from "../actions/define.js";
import type { AuditLog } from "../audit/log.js";
import type { ConfigStore } from "../config/store.js";
import type { ActionError } from "../ground/errors.js";
import type { ResourceBag } from "../ground/resources.js";
import type { RunEnvironment } from "../core/runAction.js";
import { toolList } from "./tools.js";

/**
 * What an MCP transport carries: the tools (built once from the action registry)
 * and the pipeline they run through. The HTTP face (/mcp) and the stdio face
 * (`chatgpt-codex mcp`) each build one with mcpFace and differ only in how a
 * caller gets in; neither keeps a tool list of its own.
 */
export interface McpFace {
  actions: readonly AnyAction[];
  /** Built once from the registry; the same list for every connection. */
  tools: Tool[];
  env: RunEnvironment;
  /** The current token, only to scrub it from error texts. */
  token(): string | undefined;
  /**
   * Checked before every tool call; an error refuses the call. The stdio face has no
   * HTTP gate in front of it, so the access state (revoke, TTL) is checked here.
   */
  admit?(): ActionError | undefined;
}

/** What one connection may use: the tool names its credentials grant (all for the owner). */
export interface McpCaller {
  allowed(name: string): boolean;
  /** The audit log's name for the caller; read at each call (a stdio client names itself during the handshake). */
  client?(): string | undefined;
}

export interface McpFaceParts {
  actions: readonly AnyAction[];
  store: ConfigStore;
  resources: ResourceBag;
  audit: AuditLog;
  face: "mcp" | "stdio";
  admit?: () => ActionError | undefined;
}

/** The one builder both MCP transports use. */
export function mcpFace(parts: McpFaceParts): McpFace {
  const { actions, store, resources, audit, face, admit } = parts;
  return {
    actions,
    tools: toolList(actions),
    env: { store, resources, audit, face },
    token: () => store.tokenNow(),
    ...(admit ? { admit } : {}),
  };
}
