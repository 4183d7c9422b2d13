import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { ActionError } from "../ground/errors.js";
import { outcomeOf } from "../ground/outcome.js";
import { runAction, type RunEnvironment } from "../core/runAction.js";
import { scopeOf } from "../oauth/scopes.js";
import { NAME, VERSION } from "../ground/version.js";
import type { McpCaller, McpFace } from "./face.js";
import { toolResult } from "./tools.js";

export type { McpCaller, McpFace } from "./face.js";

const INSTRUCTIONS =
  "Tools for one workspace on the user's computer. Call workspace_status first; every path is relative to the active workspace. " +
  "When exec_command answers status \"running\", call command_output with its job_id until it finishes. " +
  "A refusal (BLOCKED_BY_POLICY, OUTSIDE_WORKSPACE, CONFLICT, PATCH_FAILED) comes back as an error result: read it and adjust, do not try to get around it.";

/**
 * A protocol server for one connection: one HTTP exchange, or a whole stdio
 * session. We use the low-level Server rather than McpServer because the
 * tools already exist as our own actions: their
 * JSON Schema comes from the registry and runAction validates the arguments,
 * so bad arguments get the same BAD_REQUEST message as on the HTTP face.
 */
export function createMcpServer(face: McpFace, caller: McpCaller = { allowed: () => true }): Server {
  const server = new Server(
    { name: NAME, version: VERSION },
    { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS },
  );
  const byName = new Map(face.actions.map((action) => [action.name, action]));

  // Tools outside the grant are not even listed.
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: face.tools.filter((tool) => caller.allowed(tool.name)) }));

  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const action = byName.get(request.params.name);
    if (action && !caller.allowed(action.name)) {
      return toolResult({ ok: false, status: 403, error: new ActionError("BLOCKED_BY_POLICY", `${action.name} is outside what the owner granted this connector (scope ${scopeOf(action)})`, { hint: "The owner can connect again and tick the permission it needs." }) }, face.token());
    }
    if (!action) {
      throw new McpError(ErrorCode.InvalidParams, `unknown tool: ${request.params.name}; see tools/list`);
    }
    // Access (revoke, TTL) is checked at every call, so a long-lived session ends with it.
    const client = caller.client?.();
    const env: RunEnvironment = client === undefined ? face.env : { ...face.env, client };
    const refusal = face.admit?.();
    if (refusal) {
      // No HTTP log stands in front of this face: the owner sees the refusal in the audit log.
      const outcome = outcomeOf({ errorCode: refusal.code }) ?? "error";
      env.audit.write({ time: new Date().toISOString(), action: action.name, workspace: null, outcome, error_code: refusal.code, status: refusal.status, duration_ms: 0, face: env.face, ...(client ? { client } : {}) });
      return toolResult({ ok: false, status: refusal.status, error: refusal }, face.token());
    }
    const result = await runAction(action, request.params.arguments ?? {}, env);
    return toolResult(result, face.token());
  });

  return server;
}
