import { createHash } from "node:crypto";
import type { z } from "zod";
import { ActionError } from "../ground/errors.js";

/**
 * Opaque continuation tokens: base64url JSON holding where the last page
 * stopped and a fingerprint of the query, so a cursor is only ever used to
 * continue the listing or search it came from.
 */
export function queryKey(query: unknown): string {
  return createHash("sha256").update(JSON.stringify(query)).digest("base64url").slice(0, 16);
}

export function encodeCursor(kind: string, key: string, position: unknown): string {
  return Buffer.from(JSON.stringify({ v: 1, t: kind, k: key, p: position }), "utf8").toString("base64url");
}

export function decodeCursor<T extends z.ZodType>(kind: string, key: string, cursor: string, position: T): z.output<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw badCursor("it is not a cursor this server produced");
  }
  if (typeof parsed !== "object" || parsed === null) throw badCursor("it is not a cursor this server produced");
  const record = parsed as Record<string, unknown>;
  if (record.v !== 1 || record.t !== kind) throw badCursor(`it does not belong to ${kind}`);
  if (record.k !== key) throw badCursor("it belongs to a different query; repeat the same arguments with the cursor");
  const parsedPosition = position.safeParse(record.p);
  if (!parsedPosition.success) throw badCursor("it is damaged");
  return parsedPosition.data;
}

function badCursor(reason: string): ActionError {
  return new ActionError("BAD_REQUEST", `invalid cursor: ${reason}`, {
    hint: "Pass next_cursor exactly as returned, with the same other arguments, or omit cursor to start over.",
  });
}
