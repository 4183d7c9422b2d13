import { httpsCheck, isLoopbackUrl } from "./base-url.js";
import { fail, pass, type CheckRow } from "./report.js";
import { readReply } from "../ground/httpJson.js";
import { t } from "../cli/i18n/index.js";

export interface VerifyOptions {
  /** The route to check, without a trailing slash. */
  baseUrl: string;
  /** The bearer token from the config; undefined when there is no config. */
  token?: string;
  /** The public URL in the config, for a check made through a loopback address. */
  configuredPublicUrl?: string | null;
  timeoutMs?: number;
}

interface Answer {
  status: number;
  text: string;
  json: unknown;
}

type Outcome = { ok: true; answer: Answer } | { ok: false; problem: string };

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<Outcome> {
  try {
    const response = await fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    const { status, text, json } = await readReply(response);
    return { ok: true, answer: { status, text, json } };
  } catch (error) {
    return { ok: false, problem: describeFetchError(error) };
  }
}

/** fetch() hides the reason in `cause`; say it in words. */
function describeFetchError(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError") return t("vfy.timeout");
  const code = err.cause?.code;
  if (code === "ECONNREFUSED") return t("vfy.refused");
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return t("vfy.noResolve");
  if (code?.startsWith("ERR_TLS") || code?.includes("CERT")) return t("vfy.tls", { code });
  return err.cause?.message ?? err.message;
}

function errorCode(answer: Answer): string | undefined {
  const body = answer.json as { error?: { code?: unknown } } | undefined;
  return typeof body?.error?.code === "string" ? body.error.code : undefined;
}

function describeAnswer(answer: Answer): string {
  const code = errorCode(answer);
  return `HTTP ${answer.status}${code ? ` ${code}` : ""}`;
}

/**
 * Check a route end to end, as ChatGPT will use it: https, the public GETs
 * GPT Builder reads, and that POSTs need the token and work with it.
 */
export async function runVerify(options: VerifyOptions): Promise<CheckRow[]> {
  const base = options.baseUrl.replace(/\/+$/, "");
  const url = new URL(base);
  const loopback = isLoopbackUrl(url);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const rows: CheckRow[] = [httpsCheck(url)];
  const routeFix = loopback
    ? t("vfy.routeFixLocal", { base })
    : t("vfy.routeFixPublic");

  // /health first: when nothing answers, the other checks would only repeat it.
  const health = await call(`${base}/health`, {}, timeoutMs);
  if (!health.ok) {
    rows.push(fail("GET /health", `${base}: ${health.problem}`, routeFix));
    for (const name of ["GET /openapi.json", "GET /privacy", "POST without token", "POST with token"]) {
      rows.push(fail(name, t("vfy.notChecked")));
    }
    return rows;
  }
  rows.push(healthRow(health.answer, base, loopback));
  rows.push(await openApiRow(base, loopback, options.configuredPublicUrl ?? null, timeoutMs));
  rows.push(await privacyRow(base, timeoutMs));
  rows.push(await withoutTokenRow(base, timeoutMs));
  rows.push(await withTokenRow(base, options.token, timeoutMs));
  return rows;
}

function healthRow(answer: Answer, base: string, loopback: boolean): CheckRow {
  const name = "GET /health";
  const body = answer.json as { name?: unknown; version?: unknown; active_workspace?: unknown; access?: { active?: unknown } } | undefined;
  if (answer.status === 200 && body?.name === "chatgpt-codex") {
    const access = body.access?.active === false ? t("vfy.accessInactive") : t("vfy.accessActive");
    return pass(name, t("vfy.health", { version: String(body.version), workspace: String(body.active_workspace), access }));
  }
  if (answer.status === 502 || answer.status === 503 || answer.status === 504 || answer.status === 530) {
    return fail(
      name,
      t("vfy.badGateway", { status: answer.status }),
      t("vfy.badGatewayFix"),
    );
  }
  return fail(
    name,
    t("vfy.notOurs", { answer: describeAnswer(answer), base }),
    loopback ? t("vfy.notOursLocalFix") : t("vfy.notOursPublicFix"),
  );
}

async function openApiRow(base: string, loopback: boolean, configured: string | null, timeoutMs: number): Promise<CheckRow> {
  const name = "GET /openapi.json";
  const got = await call(`${base}/openapi.json`, {}, timeoutMs);
  if (!got.ok) return fail(name, got.problem, t("vfy.checkRouteTerminal"));
  const doc = got.answer.json as { openapi?: unknown; servers?: { url?: unknown }[] } | undefined;
  if (got.answer.status !== 200 || doc === undefined) return fail(name, describeAnswer(got.answer), t("vfy.checkTerminal"));
  if (doc.openapi !== "3.1.0") return fail(name, t("vfy.openapiVersion", { version: String(doc.openapi) }), t("vfy.update"));
  const server = doc.servers?.[0]?.url;
  if (server === base) return pass(name, t("vfy.openapiOk", { base }));
  if (loopback && configured !== null && server === configured.replace(/\/+$/, "")) {
    return pass(name, t("vfy.openapiConfigured", { server: String(server) }));
  }
  return fail(
    name,
    t("vfy.wrongServer", { server: String(server), base }),
    t("vfy.wrongServerFix", { base }),
  );
}

async function privacyRow(base: string, timeoutMs: number): Promise<CheckRow> {
  const name = "GET /privacy";
  const got = await call(`${base}/privacy`, {}, timeoutMs);
  if (!got.ok) return fail(name, got.problem, t("vfy.checkRouteTerminal"));
  if (got.answer.status === 200 && got.answer.text.trim().length > 0) return pass(name, t("vfy.privacyOk", { chars: got.answer.text.length }));
  return fail(name, describeAnswer(got.answer), t("vfy.privacyFix"));
}

function post(base: string, token: string | undefined, timeoutMs: number): Promise<Outcome> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return call(`${base}/workspace_status`, { method: "POST", headers, body: "{}" }, timeoutMs);
}

async function withoutTokenRow(base: string, timeoutMs: number): Promise<CheckRow> {
  const name = "POST without token";
  const got = await post(base, undefined, timeoutMs);
  if (!got.ok) return fail(name, got.problem, t("vfy.checkRoute"));
  if (got.answer.status === 401) return pass(name, t("vfy.unauthorizedOk"));
  if (got.answer.status >= 200 && got.answer.status < 300) {
    return fail(name, t("vfy.openRoute", { status: got.answer.status }), t("vfy.openRouteFix"));
  }
  if (got.answer.status === 429) return fail(name, t("vfy.throttled"), t("vfy.throttledFix"));
  return fail(name, t("vfy.expected", { answer: describeAnswer(got.answer), status: 401 }), t("vfy.reachesUs"));
}

async function withTokenRow(base: string, token: string | undefined, timeoutMs: number): Promise<CheckRow> {
  const name = "POST with token";
  if (token === undefined) {
    return fail(name, t("vfy.noToken"), t("vfy.noTokenFix"));
  }
  const got = await post(base, token, timeoutMs);
  if (!got.ok) return fail(name, got.problem, t("vfy.checkRoute"));
  const answer = got.answer;
  if (answer.status === 200) {
    const body = answer.json as { active_workspace?: unknown } | undefined;
    return pass(name, t("vfy.tokenOk", { workspace: String(body?.active_workspace) }));
  }
  if (answer.status === 401) {
    return fail(
      name,
      t("vfy.tokenRejected"),
      t("vfy.tokenRejectedFix"),
    );
  }
  if (answer.status === 403 && errorCode(answer) === "ACCESS_EXPIRED") {
    return fail(name, t("vfy.expired"), t("vfy.expiredFix"));
  }
  return fail(name, t("vfy.expected", { answer: describeAnswer(answer), status: 200 }), t("vfy.seeDoctor"));
}
