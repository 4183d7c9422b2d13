import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { AnyAction } from "../actions/define.js";
import { runAction, type RunEnvironment } from "../core/runAction.js";
import { NAME, VERSION } from "../core/version.js";
import { toolResult } from "./tools.js";

const INSTRUCTIONS =
  "Tools for one workspace on the user's computer. Call workspace_status first; every path is relative to the active workspace. " +
  "When exec_command answers status \"running\", call command_output with its job_id until it finishes. " +
  "A refusal (BLOCKED_BY_POLICY, OUTSIDE_WORKSPACE, CONFLICT, PATCH_FAILED) comes back as an error result: read it and adjust, do not try to get around it.";

export interface McpFace {
  actions: readonly AnyAction[];
  /** Built once from the registry; the same list for every connection. */
  tools: Tool[];
  env: RunEnvironment;
  /** The current token, only to scrub it from error texts. */
  token(): string | undefined;
}

/**
 * A protocol server for one HTTP exchange. We use the low-level Server rather
 * than McpServer because the tools already exist as our own actions: their
 * JSON Schema comes from the registry and runAction validates the arguments,
 * so bad arguments get the same BAD_REQUEST message as on the HTTP face.
 */
export function createMcpServer(face: McpFace): Server {
  const server = new Server(
    { name: NAME, version: VERSION },
    { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS },
  );
  const byName = new Map(face.actions.map((action) => [action.name, action]));

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: face.tools }));

  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const action = byName.get(request.params.name);
    if (!action) {
      throw new McpError(ErrorCode.InvalidParams, `unknown tool: ${request.params.name}; see tools/list`);
    }
    const result = await runAction(action, request.params.arguments ?? {}, face.env);
    return toolResult(result, face.token());
  });

  return server;
}
