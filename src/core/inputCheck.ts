import type { AnyAction } from "../actions/define.js";
import { toOpenApiSchema } from "../server/openapi.js";
import { ActionError } from "../ground/errors.js";
import { nearestField } from "../ground/nearestField.js";

type JsonObject = Record<string, unknown>;

/**
 * Two request checks done once for every action, before its zod schema, on
 * both faces: fields the action does not have, and strings over their
 * maxLength. Zod would strip an unknown field silently and then complain that
 * the real one is missing (`path: … received undefined`); a model learns more
 * from its own word named with the nearest known field. Lengths are checked
 * against the very document the model was given (openapi.ts writes a
 * maxLength on every input string), and before anything runs, so nothing is
 * written when one is over.
 */
export function checkRequest(action: AnyAction, raw: unknown): void {
  if (!isPlainObject(raw)) return; // not an object: the schema's own message says so
  const schema = inputSchema(action);
  const properties = (schema.properties ?? {}) as Record<string, JsonObject>;
  const known = Object.keys(properties);
  const unknown = Object.keys(raw).filter((key) => !Object.hasOwn(properties, key));
  if (unknown.length > 0) throw unknownFields(action, unknown, known, new Set(Object.keys(raw)));
  for (const [key, value] of Object.entries(raw)) {
    const over = overLong(properties[key]!, value, key);
    if (over) throw tooLong(action, over);
  }
}

const schemas = new WeakMap<AnyAction, JsonObject>();

function inputSchema(action: AnyAction): JsonObject {
  let schema = schemas.get(action);
  if (!schema) {
    schema = toOpenApiSchema(action.input, "input");
    schemas.set(action, schema);
  }
  return schema;
}

function unknownFields(action: AnyAction, unknown: string[], known: string[], taken: Set<string>): ActionError {
  const suggestions = new Map<string, string>();
  for (const key of unknown) {
    const near = nearestField(key, known, new Set([...taken, ...suggestions.values()]));
    if (near !== null) suggestions.set(key, near);
  }
  const named = unknown.map((key) => `\`${key}\``);
  let message: string;
  if (unknown.length === 1) {
    const near = suggestions.get(unknown[0]!);
    message = `unknown field ${named[0]}${near ? ` — did you mean \`${near}\`?` : ""}`;
  } else {
    const each = unknown.map((key, i) => (suggestions.has(key) ? `${named[i]} (did you mean \`${suggestions.get(key)}\`?)` : named[i]));
    message = `unknown fields ${each.join(", ")}`;
  }
  const first = unknown.find((key) => suggestions.has(key));
  return new ActionError("BAD_REQUEST", `invalid ${action.name} request: ${message}`, {
    hint: known.length > 0 ? `${action.name} takes only: ${known.join(", ")}. Nothing was done.` : `${action.name} takes no fields: send {}. Nothing was done.`,
    details: {
      unknown,
      ...(first !== undefined ? { suggestion: suggestions.get(first) } : {}),
      ...(suggestions.size > 1 ? { suggestions: Object.fromEntries(suggestions) } : {}),
    },
  });
}

interface OverLong {
  field: string;
  length: number;
  limit: number;
}

/** The first string inside `value` longer than its schema allows (arrays and objects are walked). */
function overLong(schema: JsonObject | undefined, value: unknown, field: string): OverLong | null {
  if (!schema) return null;
  const variant = variantFor(schema, value);
  if (typeof value === "string") {
    const limit = variant.maxLength;
    return typeof limit === "number" && value.length > limit ? { field, length: value.length, limit } : null;
  }
  if (Array.isArray(value)) {
    const items = variant.items as JsonObject | undefined;
    for (let i = 0; i < value.length; i++) {
      const found = overLong(items, value[i], `${field}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (isPlainObject(value)) {
    const properties = (variant.properties ?? {}) as Record<string, JsonObject>;
    for (const [key, inner] of Object.entries(value)) {
      const found = overLong(properties[key], inner, `${field}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

/** The member of an `anyOf` that describes a value of this JSON type (nullable fields are written that way). */
function variantFor(schema: JsonObject, value: unknown): JsonObject {
  const options = schema.anyOf as JsonObject[] | undefined;
  if (!Array.isArray(options)) return schema;
  const type = Array.isArray(value) ? "array" : value === null ? "null" : typeof value === "object" ? "object" : typeof value;
  return options.find((option) => option.type === type || (Array.isArray(option.type) && option.type.includes(type))) ?? schema;
}

function tooLong(action: AnyAction, over: OverLong): ActionError {
  return new ActionError(
    "BAD_REQUEST",
    `invalid ${action.name} request: \`${over.field}\` is ${over.length.toLocaleString("en-US")} characters long; the limit is ${over.limit.toLocaleString("en-US")}. Nothing was done.`,
    {
      hint: action.tooLongHint ?? `Send \`${over.field}\` in parts of at most ${over.limit.toLocaleString("en-US")} characters, or shorten it.`,
      details: { field: over.field, length: over.length, max_length: over.limit },
    },
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
