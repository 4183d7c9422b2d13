import { z } from "zod";
import { actionEffects, type AnyAction } from "../actions/define.js";
import type { Config } from "../config/schema.js";
import { LIMITS } from "../ground/limits.js";
import { NAME, VERSION } from "../ground/version.js";

type JsonObject = Record<string, unknown>;

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) for a zod schema, tidied for GPT Builder. */
export function toOpenApiSchema(schema: z.ZodType, io: "input" | "output"): JsonObject {
  const json = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any" }) as JsonObject;
  delete json.$schema;
  const tidied = tidy(json) as JsonObject;
  if (io === "input") {
    boundStrings(tidied);
    // runAction refuses unknown fields (naming them), so the document says so too.
    if (tidied.type === "object") tidied.additionalProperties = false;
  }
  return tidied;
}

/**
 * Every string a request may carry gets a maxLength: its field's own, else
 * LIMITS.inputStringChars. runAction enforces exactly what this writes
 * (src/core/inputCheck.ts reads the same document), so the two cannot differ.
 */
function boundStrings(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(boundStrings);
  if (node === null || typeof node !== "object") return;
  const schema = node as JsonObject;
  const isString = schema.type === "string" || (Array.isArray(schema.type) && schema.type.includes("string"));
  // An enum already bounds its strings.
  if (isString && schema.enum === undefined && typeof schema.maxLength !== "number") schema.maxLength = LIMITS.inputStringChars;
  for (const value of Object.values(schema)) boundStrings(value);
}

/**
 * Builder wants `properties` on every object schema. Zod's `.int()` writes
 * the safe-integer range (±9007199254740991) as bounds; those say nothing a
 * model can use, so they are dropped and only the bounds an action declared
 * (`.min(1)`, `.nonnegative()`) stay. Integers above a documented maximum are
 * clamped, not refused, so maximums live in descriptions, not in `maximum`.
 */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (node === null || typeof node !== "object") return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node as JsonObject)) {
    if ((key === "minimum" || key === "maximum") && Math.abs(value as number) === Number.MAX_SAFE_INTEGER) continue;
    out[key] = tidy(value);
  }
  if (out.type === "object" && out.properties === undefined) out.properties = {};
  return out;
}

/**
 * Whether ChatGPT should ask before each call: the user's override, else the
 * action's default from actionEffects (the same function the MCP annotations use).
 */
export function isConsequential(action: AnyAction, config: Config): boolean {
  return config.consequential[action.name] ?? actionEffects(action).consequential;
}

export function serverUrl(config: Config, localUrl: string): string {
  return config.public_base_url?.replace(/\/+$/, "") ?? localUrl;
}

const errorSchema = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: {
        code: { type: "string", description: "Stable error code, e.g. OUTSIDE_WORKSPACE, CONFLICT, PATCH_FAILED." },
        message: { type: "string", description: "What went wrong, for the model and the user." },
        hint: { type: "string", description: "What to do next." },
        details: { description: "Extra structured facts, when useful." },
      },
      required: ["code", "message"],
    },
  },
  required: ["error"],
};

function errorResponse(description: string) {
  return { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
}

function publicGet(operationId: string, summary: string, contentType: string, schema: JsonObject) {
  return {
    get: {
      operationId,
      summary,
      security: [],
      "x-openai-isConsequential": false,
      responses: { "200": { description: "OK", content: { [contentType]: { schema } } } },
    },
  };
}

/** The OpenAPI 3.1.0 document GPT Builder imports, generated from the action registry. */
export function buildOpenApi(actions: readonly AnyAction[], config: Config, localUrl: string): JsonObject {
  if (actions.length + 3 > LIMITS.maxOperations) {
    throw new Error(`too many operations for GPT Builder: ${actions.length + 3} > ${LIMITS.maxOperations}`);
  }
  const paths: JsonObject = {
    "/health": publicGet("health", "Check that the local server is running and whether access is active.", "application/json", {
      type: "object",
      properties: { ok: { type: "boolean" }, name: { type: "string" }, version: { type: "string" }, active_workspace: { type: ["string", "null"] } },
    }),
  };
  for (const action of actions) {
    paths[`/${action.name}`] = {
      post: {
        operationId: action.name, // one name: the path, the operationId and the MCP tool are the same
        summary: action.summary,
        "x-openai-isConsequential": isConsequential(action, config),
        requestBody: {
          required: true,
          content: { "application/json": { schema: toOpenApiSchema(action.input, "input") } },
        },
        responses: {
          "200": { description: "OK", content: { "application/json": { schema: toOpenApiSchema(action.output, "output") } } },
          "400": errorResponse("Bad request"),
          "401": errorResponse("Missing or wrong bearer token"),
          "403": errorResponse("Access expired or revoked, path outside the workspace, or command blocked by policy"),
          "404": errorResponse("Not found"),
          "409": errorResponse("Conflict: file changed on disk, or patch did not apply"),
        },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: NAME,
      version: VERSION,
      description:
        "Work on code in a workspace on the user's own computer: list, read, search, write and patch files, run commands. Paths are relative to the active workspace.",
    },
    servers: [{ url: serverUrl(config, localUrl) }],
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } },
    },
    security: [{ bearerAuth: [] }],
  };
}
