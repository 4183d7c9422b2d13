import type { AnyAction } from "../actions/define.js";
import { fail, pass, type CheckRow } from "../verify/report.js";
import { describeReply, getPath } from "./client.js";

/** The GETs GPT Builder reads without a token; the schema must list every action under test. */
export async function publicGetRows(base: string, actions: readonly AnyAction[]): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  const health = await getPath(base, "/health");
  const body = health.json as { ok?: unknown; name?: unknown } | undefined;
  rows.push(
    health.status === 200 && body?.ok === true && body.name === "chatgpt-codex"
      ? pass("GET /health", "200, ok")
      : fail("GET /health", describeReply(health)),
  );

  const openapi = await getPath(base, "/openapi.json");
  const doc = openapi.json as { openapi?: unknown; paths?: Record<string, unknown> } | undefined;
  if (openapi.status !== 200 || doc?.openapi !== "3.1.0") {
    rows.push(fail("GET /openapi.json", openapi.status === 200 ? `openapi is ${String(doc?.openapi)}, not 3.1.0` : describeReply(openapi)));
  } else {
    const missing = actions.filter((action) => !doc.paths?.[`/${action.name}`]).map((action) => action.name);
    rows.push(
      missing.length === 0
        ? pass("GET /openapi.json", `3.1.0, lists all ${actions.length} actions`)
        : fail("GET /openapi.json", `does not list: ${missing.join(", ")}`),
    );
  }

  const privacy = await getPath(base, "/privacy");
  rows.push(privacy.status === 200 && privacy.text.trim() !== "" ? pass("GET /privacy", "200") : fail("GET /privacy", describeReply(privacy)));
  return rows;
}
