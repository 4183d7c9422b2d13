import { httpsCheck, isLoopbackUrl } from "./base-url.js";
import { fail, pass, type CheckRow } from "./report.js";
import { readReply } from "../core/httpJson.js";

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
  if (err.name === "TimeoutError") return "no answer in time";
  const code = err.cause?.code;
  if (code === "ECONNREFUSED") return "connection refused (nothing listens there)";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "the hostname does not resolve (the tunnel behind it is gone, or no network)";
  if (code?.startsWith("ERR_TLS") || code?.includes("CERT")) return `TLS problem (${code})`;
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
    ? `start the server: chatgpt-codex up (or chatgpt-codex serve) and check the port in ${base}`
    : "start the route: chatgpt-codex up (or serve + tunnel). A quick-tunnel URL stops working when its cloudflared stops and a restart gets a new one: see chatgpt-codex status, then verify again";

  // /health first: when nothing answers, the other checks would only repeat it.
  const health = await call(`${base}/health`, {}, timeoutMs);
  if (!health.ok) {
    rows.push(fail("GET /health", `${base}: ${health.problem}`, routeFix));
    for (const name of ["GET /openapi.json", "GET /privacy", "POST without token", "POST with token"]) {
      rows.push(fail(name, "not checked: the route does not answer"));
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
    const access = body.access?.active === false ? "access NOT active" : "access active";
    return pass(name, `chatgpt-codex ${String(body.version)}, workspace ${String(body.active_workspace)}, ${access}`);
  }
  if (answer.status === 502 || answer.status === 503 || answer.status === 504 || answer.status === 530) {
    return fail(
      name,
      `HTTP ${answer.status}: the route answers but cannot reach the local server`,
      "start the server (chatgpt-codex serve, or use chatgpt-codex up), and make sure the tunnel forwards to its port",
    );
  }
  return fail(
    name,
    `${describeAnswer(answer)}: something other than chatgpt-codex answers at ${base}`,
    loopback ? "another program uses this port: start chatgpt-codex on another one (--port)" : "point the route at the chatgpt-codex server's port",
  );
}

async function openApiRow(base: string, loopback: boolean, configured: string | null, timeoutMs: number): Promise<CheckRow> {
  const name = "GET /openapi.json";
  const got = await call(`${base}/openapi.json`, {}, timeoutMs);
  if (!got.ok) return fail(name, got.problem, "check the route and the server's terminal");
  const doc = got.answer.json as { openapi?: unknown; servers?: { url?: unknown }[] } | undefined;
  if (got.answer.status !== 200 || doc === undefined) return fail(name, describeAnswer(got.answer), "check the server's terminal for errors");
  if (doc.openapi !== "3.1.0") return fail(name, `openapi is ${String(doc.openapi)}, GPT Builder needs 3.1.0`, "update chatgpt-codex");
  const server = doc.servers?.[0]?.url;
  if (server === base) return pass(name, `OpenAPI 3.1.0, servers[0].url is ${base}`);
  if (loopback && configured !== null && server === configured.replace(/\/+$/, "")) {
    return pass(name, `OpenAPI 3.1.0, servers[0].url is the configured public URL ${String(server)} (checked through a loopback address)`);
  }
  return fail(
    name,
    `servers[0].url is ${String(server)}, not ${base}: ChatGPT would call the wrong address`,
    `if ${base} is the current route, store it: chatgpt-codex set-public-url ${base} (a running up/tunnel stores its URL itself), then re-import the schema in GPT Builder`,
  );
}

async function privacyRow(base: string, timeoutMs: number): Promise<CheckRow> {
  const name = "GET /privacy";
  const got = await call(`${base}/privacy`, {}, timeoutMs);
  if (!got.ok) return fail(name, got.problem, "check the route and the server's terminal");
  if (got.answer.status === 200 && got.answer.text.trim().length > 0) return pass(name, `privacy policy (${got.answer.text.length} characters)`);
  return fail(name, describeAnswer(got.answer), "GPT Builder needs a privacy policy URL to share a GPT; check the server's terminal");
}

function post(base: string, token: string | undefined, timeoutMs: number): Promise<Outcome> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return call(`${base}/workspace_status`, { method: "POST", headers, body: "{}" }, timeoutMs);
}

async function withoutTokenRow(base: string, timeoutMs: number): Promise<CheckRow> {
  const name = "POST without token";
  const got = await post(base, undefined, timeoutMs);
  if (!got.ok) return fail(name, got.problem, "check the route");
  if (got.answer.status === 401) return pass(name, "401 UNAUTHORIZED, as it must be");
  if (got.answer.status >= 200 && got.answer.status < 300) {
    return fail(name, `HTTP ${got.answer.status}: an action ran WITHOUT a token`, "stop this route now (Ctrl-C): what answers there is not protected by chatgpt-codex's token");
  }
  if (got.answer.status === 429) return fail(name, "429: too many failed attempts from here", "wait a minute, then verify again");
  return fail(name, `${describeAnswer(got.answer)}, expected 401`, "check that the route reaches chatgpt-codex");
}

async function withTokenRow(base: string, token: string | undefined, timeoutMs: number): Promise<CheckRow> {
  const name = "POST with token";
  if (token === undefined) {
    return fail(name, "no token: this computer has no chatgpt-codex config", "run chatgpt-codex up --workspace /path/to/project (or set CHATGPT_CODEX_HOME to the server's config folder)");
  }
  const got = await post(base, token, timeoutMs);
  if (!got.ok) return fail(name, got.problem, "check the route");
  const answer = got.answer;
  if (answer.status === 200) {
    const body = answer.json as { active_workspace?: unknown } | undefined;
    return pass(name, `workspace_status 200, active workspace ${String(body?.active_workspace)}`);
  }
  if (answer.status === 401) {
    return fail(
      name,
      "401: the server does not accept this config's token",
      "the server uses another config or an older token: check CHATGPT_CODEX_HOME, restart the server, and paste the current token (chatgpt-codex token) into GPT Builder",
    );
  }
  if (answer.status === 403 && errorCode(answer) === "ACCESS_EXPIRED") {
    return fail(name, "403 ACCESS_EXPIRED: access is revoked or its TTL passed", "reactivate it: chatgpt-codex channel renew (optionally --ttl-minutes N)");
  }
  return fail(name, `${describeAnswer(answer)}, expected 200`, "see the server's terminal and chatgpt-codex doctor");
}
