import { readReply } from "../ground/httpJson.js";
/** Minimal HTTP client for the smoke: JSON in, status and JSON out, bounded time. */
export interface SmokeReply {
  status: number;
  json: unknown;
  text: string;
}

export async function postAction(base: string, action: string, body: unknown, token: string | undefined): Promise<SmokeReply> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base}/${action}`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
    // Every action answers within 40 s by contract; a little slack, never forever.
    signal: AbortSignal.timeout(50_000),
  });
  return toReply(response);
}

export async function getPath(base: string, path: string): Promise<SmokeReply> {
  return toReply(await fetch(`${base}${path}`, { signal: AbortSignal.timeout(15_000) }));
}

async function toReply(response: Response): Promise<SmokeReply> {
  const { status, json, text } = await readReply(response);
  return { status, json, text };
}

/** "HTTP 500 INTERNAL: message" for a FAIL row. */
export function describeReply(reply: SmokeReply): string {
  const error = (reply.json as { error?: { code?: string; message?: string } } | undefined)?.error;
  if (error?.code) return `HTTP ${reply.status} ${error.code}: ${error.message ?? ""}`.trim();
  return `HTTP ${reply.status}${reply.text ? `: ${reply.text.slice(0, 120)}` : ""}`;
}

export function errorCodeOf(reply: SmokeReply): string | undefined {
  const code = (reply.json as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === "string" ? code : undefined;
}
