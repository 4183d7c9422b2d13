import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { AnyAction } from "../actions/define.js";
import { redactToken } from "../access/token.js";
import type { RunResult } from "../core/runAction.js";
import { toOpenApiSchema } from "../server/openapi.js";

/**
 * One MCP tool per action, derived from the registry exactly like the OpenAPI
 * operations: same name (path without the slash), same description, and the
 * JSON Schema the OpenAPI document shows for the request body.
 */
export function toolFor(action: AnyAction): Tool {
  return {
    name: action.name,
    description: action.summary,
    inputSchema: toOpenApiSchema(action.input, "input") as Tool["inputSchema"],
    annotations: {
      readOnlyHint: action.readOnly,
      // MCP assumes "destructive" unless told otherwise, so the safe actions say false explicitly.
      destructiveHint: action.destructive,
    },
  };
}

export function toolList(actions: readonly AnyAction[]): Tool[] {
  return actions.map(toolFor);
}

/**
 * The MCP shape of a finished action. A refusal (policy, confinement, conflict,
 * bad arguments) is a tool result with isError, not a protocol error, so the
 * model sees the reason and can correct itself; its text starts with the code
 * and then carries the HTTP face's message verbatim.
 */
export function toolResult(result: RunResult, token: string | undefined): CallToolResult {
  if (result.ok) {
    // The body goes once, as text: tools declare no outputSchema, so structuredContent
    // would only double every answer on the wire (a 90 k read was 184 k).
    return { content: [{ type: "text", text: result.text }] };
  }
  const body = result.error.toBody();
  body.error.message = redactToken(body.error.message, token);
  if (body.error.hint !== undefined) body.error.hint = redactToken(body.error.hint, token);
  const lines = [`${body.error.code}: ${body.error.message}`];
  if (body.error.hint !== undefined) lines.push(`Hint: ${body.error.hint}`);
  return {
    isError: true,
    content: [{ type: "text", text: lines.join("\n") }],
    structuredContent: body as unknown as Record<string, unknown>,
  };
}
