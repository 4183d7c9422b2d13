import type { CallToolResult, Tool, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import { actionEffects, type AnyAction } from "../actions/define.js";
import { redactText } from "../ground/redact.js";
import type { RunResult } from "../core/runAction.js";
import { toOpenApiSchema } from "../server/openapi.js";

/**
 * One MCP tool per action, derived from the registry exactly like the OpenAPI
 * operations: same name (path without the slash), same description, and the
 * JSON Schema the OpenAPI document shows for the request body.
 *
 * No outputSchema: the SDK client (1.x) validates `structuredContent` against it
 * even on an `isError` result, where ours is the error body, so declaring one
 * would turn every refusal into a client-side exception. The OpenAPI document
 * keeps the answers' schemas (test/mcp-agrees.test.ts checks answers against them).
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

/** The answer as an object, read back from its text so both carry exactly the same JSON. */
function structured(text: string): Record<string, unknown> | undefined {
  const value: unknown = JSON.parse(text);
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * The MCP shape of a finished action.
 *
 * Success: the HTTP face's body twice, as `structuredContent` and as one text
 * block with the same compact JSON. Clients read one or the other (Codex,
 * Claude Code and Cursor hand the model `structuredContent` when it is there,
 * others only read text), so each must carry the whole answer.
 *
 * A refusal (policy, confinement, conflict, bad arguments) is a tool result
 * with isError, not a protocol error, so the model sees the reason and can
 * correct itself; its text starts with the code and then carries the HTTP
 * face's message verbatim, and `structuredContent` is the error body.
 */
export function toolResult(result: RunResult, token: string | undefined): CallToolResult {
  if (result.ok) {
    const structuredContent = structured(result.text);
    return { content: [{ type: "text", text: result.text }], ...(structuredContent ? { structuredContent } : {}) };
  }
  const body = result.error.toBody();
  body.error.message = redactText(body.error.message, token);
  if (body.error.hint !== undefined) body.error.hint = redactText(body.error.hint, token);
  const lines = [`${body.error.code}: ${body.error.message}`];
  if (body.error.hint !== undefined) lines.push(`Hint: ${body.error.hint}`);
  return {
    isError: true,
    content: [{ type: "text", text: lines.join("\n") }],
    structuredContent: body as unknown as Record<string, unknown>,
  };
}
