import type { CallToolResult, Tool, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import { actionEffects, type AnyAction } from "../actions/define.js";
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
    annotations: toolAnnotations(action),
  };
}

/**
 * The MCP hints, from the same actionEffects as `x-openai-isConsequential`.
 * MCP assumes a tool is destructive and open-world unless told otherwise, so
 * both are always stated; idempotentHint (default false) only where it is true.
 */
export function toolAnnotations(action: AnyAction): ToolAnnotations {
  const effects = actionEffects(action);
  return {
    readOnlyHint: effects.readOnly,
    destructiveHint: effects.destructive,
    ...(effects.idempotent ? { idempotentHint: true } : {}),
    openWorldHint: effects.openWorld,
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
