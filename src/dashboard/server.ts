import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import cookie from "@fastify/cookie";
import helmet from "@fastify/helmet";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import type { AuditRecord } from "../audit/log.js";
import { ConfigError } from "../config/errors.js";
import { STYLES } from "./styles.js";
import { consumeTicket } from "./tickets.js";
import { cookieName, csrfMatches, hostAllowed, originAllowed, pickLang, Sessions, type Session } from "./guard.js";
import { loginPage, pageHtml } from "./page.js";
import type { DashboardSources } from "./sources.js";

export interface DashboardOptions {
  home: string;
  sources: DashboardSources;
  host?: string;
  port: number;
}

export interface DashboardServer {
  app: FastifyInstance;
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The security headers of every answer, including 401/403 and the event stream: @fastify/helmet
 * sets the standard ones (CSP, frame, sniffing, referrer, cross-origin policies) with this CSP;
 * the rest are ours.
 */
const CONTENT_SECURITY_POLICY = {
  "default-src": ["'none'"],
  "script-src": ["'self'"],
  "style-src": ["'self'"],
  "img-src": ["'self'", "data:"],
  "connect-src": ["'self'"],
  "base-uri": ["'none'"],
  "form-action": ["'none'"],
  "frame-ancestors": ["'none'"],
};
const OWN_HEADERS: Record<string, string> = {
  "cache-control": "no-store",
  "permissions-policy": "camera=(), microphone=(), geolocation=()",
  "x-chatgpt-codex-dashboard": "1",
};

/** The front end: compiled from src/dashboard/web/ next to this file; nothing else is served from disk. */
const SCRIPTS = new Map([
  ["/assets/app.js", "app.js"],
  ["/assets/i18n.js", "i18n.js"],
]);
const WEB = new URL("./web/", import.meta.url);

const MAX_STREAMS = 16;
const TICK_MS = 1_000;

interface Authed {
  session: Session;
  sessionId: string;
}

declare module "fastify" {
  interface FastifyRequest {
    dashboard?: Authed;
  }
}

function fail(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).type("application/json").send({ error: { code, message } });
}

/** The owner's dashboard on its own loopback listener. */
export async function startDashboard(options: DashboardOptions): Promise<DashboardServer> {
  const { sources, home } = options;
  const sessions = new Sessions();
  const streams = new Set<{ res: ServerResponse; sessionId: string }>();
  let port = options.port;
  let lastState = "";
  let pendingState: NodeJS.Timeout | undefined;

  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, forceCloseConnections: true, return503OnClosing: true });

  // Headers first (helmet's hook is registered before ours), then Host → Origin / fetch site → login cookie → CSRF.
  // Nothing is answered before the Host check. Plain HTTP on loopback: no HSTS, no upgrade-insecure-requests.
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
    crossOriginOpenerPolicy: { policy: "same-origin" },
    crossOriginResourcePolicy: { policy: "same-origin" },
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: false,
  });
  await app.register(cookie);
  app.addHook("onRequest", async (request, reply) => {
    reply.headers(OWN_HEADERS);
    const host = request.headers.host;
    if (!hostAllowed(host, port)) {
      return fail(reply, 403, "FORBIDDEN_ORIGIN", "the dashboard answers only to http://127.0.0.1, localhost or [::1] on its own port");
    }
    const stateChanging = request.method !== "GET" && request.method !== "HEAD";
    const origin = request.headers.origin;
    if (!originAllowed(Array.isArray(origin) ? origin[0] : origin, host!, stateChanging) || request.headers["sec-fetch-site"] === "cross-site") {
      return fail(reply, 403, "FORBIDDEN_ORIGIN", "requests from another origin are refused");
    }
    const path = request.url.split("?")[0]!;
    if (path === "/login" && request.method === "GET") return;
    // The stylesheet holds nothing of the owner's: the login pages use it before any session.
    if (path === "/assets/app.css" && request.method === "GET") return;
    const sessionId = request.cookies[cookieName(port)];
    const session = sessions.get(sessionId);
    if (!session) {
      if (path === "/" && request.method === "GET") {
        // A cookie this server no longer knows: the login ended (expired, logged out, server restarted).
        const why = sessionId ? "expired" : "login";
        return reply.code(401).type("text/html; charset=utf-8").send(loginPage(pickLang(null, request.headers["accept-language"]), why));
      }
      return fail(reply, 401, "UNAUTHORIZED", "log in first: run `chatgpt-codex dashboard` on this computer");
    }
    if (stateChanging && !csrfMatches(request.headers["x-csrf-token"], session.csrf)) {
      return fail(reply, 403, "CSRF_FAILED", "missing or wrong CSRF token; reload the page");
    }
    request.dashboard = { session, sessionId: sessionId! };
  });

  app.setErrorHandler((error, _request, reply) => {
    // Revoke, Renew or Switch on a config file that does not load: nothing was written (the banner says why).
    if (error instanceof ConfigError) return fail(reply, 409, "CONFIG_INVALID", error.message);
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 400 && status < 500) return fail(reply, status, "BAD_REQUEST", (error as Error).message);
    process.stderr.write(`dashboard: ${String((error as Error).stack ?? error)}\n`);
    return fail(reply, 500, "INTERNAL", "internal error; see the server's terminal");
  });
  app.setNotFoundHandler((request, reply) => fail(reply, 404, "NOT_FOUND", `no such dashboard path: ${request.method} ${request.url.split("?")[0]}`));

  app.get("/login", async (request, reply) => {
    const query = request.query as { ticket?: unknown; lang?: unknown };
    const lang = query.lang === "zh" || query.lang === "en" ? query.lang : null;
    if (!consumeTicket(home, query.ticket)) {
      return reply.code(401).type("text/html; charset=utf-8").send(loginPage(pickLang(lang, request.headers["accept-language"]), "invalid"));
    }
    const { id } = sessions.create(lang);
    reply.setCookie(cookieName(port), id, { httpOnly: true, sameSite: "strict", path: "/", maxAge: 43_200 });
    // Off the URL with the (now spent) ticket, so it is not left in the address bar.
    return reply.code(303).header("location", "/").send();
  });

  app.get("/", async (request, reply) => {
    const { session } = request.dashboard!;
    return reply.type("text/html; charset=utf-8").send(pageHtml(pickLang(session.lang, request.headers["accept-language"]), session.csrf));
  });

  app.get("/assets/app.css", async (_request, reply) => reply.type("text/css; charset=utf-8").send(STYLES));
  for (const [path, file] of SCRIPTS) {
    const text = readFileSync(new URL(file, WEB), "utf8").replace(/\n\/\/# sourceMappingURL=.*$/m, "");
    app.get(path, async (_request, reply) => reply.type("text/javascript; charset=utf-8").send(text));
  }

  app.get("/api/state", async () => snapshot());

  app.get("/api/events", (request, reply) => {
    if (streams.size >= MAX_STREAMS) return fail(reply, 429, "RATE_LIMITED", "too many open dashboard pages");
    reply.hijack();
    const res = reply.raw;
    // Hijacked: the headers helmet and our hook set on the reply are carried over by hand.
    const headers = Object.fromEntries(Object.entries(reply.getHeaders()).filter((entry): entry is [string, string | number | string[]] => entry[1] !== undefined));
    res.writeHead(200, { ...headers, "content-type": "text/event-stream; charset=utf-8", connection: "keep-alive" });
    const stream = { res, sessionId: request.dashboard!.sessionId };
    streams.add(stream);
    res.on("close", () => streams.delete(stream));
    send(stream.res, "hello", { feed: sources.feed.recent(100) });
    void snapshot().then((state) => send(stream.res, "state", state));
  });

  app.post("/api/logout", async (request, reply) => {
    sessions.destroy(request.dashboard!.sessionId);
    for (const stream of streams) if (stream.sessionId === request.dashboard!.sessionId) stream.res.end();
    return reply.clearCookie(cookieName(port), { httpOnly: true, sameSite: "strict", path: "/" }).send({ ok: true });
  });

  app.post("/api/jobs/:id/kill", async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!(await sources.jobs.kill(id))) return fail(reply, 404, "NOT_FOUND", `no job "${id}"`);
    changed();
    return { ok: true };
  });

  app.post("/api/boxes/:id/reset", async (request, reply) => {
    if (!sources.boxes) return notAvailable(reply, "workspace boxes");
    const { id } = request.params as { id: string };
    if (!(await sources.boxes.reset(id))) return fail(reply, 404, "NOT_FOUND", `no running box "${id}" (it may have ended already)`);
    changed();
    return { ok: true };
  });

  app.post("/api/access/revoke", async () => {
    const access = sources.access.revoke();
    changed();
    return { ok: true, access };
  });

  app.post("/api/access/renew", async (request, reply) => {
    const body = (request.body ?? {}) as { ttl_minutes?: unknown };
    const ttl = body.ttl_minutes ?? null;
    if (ttl !== null && (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 1 || ttl > 525_600)) {
      return fail(reply, 400, "BAD_REQUEST", "ttl_minutes must be a whole number of minutes from 1 to 525600, or null for no expiry");
    }
    const access = sources.access.renew(ttl as number | null);
    changed();
    return { ok: true, access };
  });

  app.post("/api/workspaces/switch", async (request, reply) => {
    const { name } = (request.body ?? {}) as { name?: unknown };
    if (typeof name !== "string") return fail(reply, 400, "BAD_REQUEST", "name is required");
    try {
      const workspaces = sources.workspaces.switchTo(name);
      changed();
      return { ok: true, workspaces };
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      return fail(reply, 404, "NOT_FOUND", (error as Error).message);
    }
  });

  for (const verb of ["approve", "deny"] as const) {
    app.post(`/api/approvals/:id/${verb}`, async (request, reply) => {
      const { id } = request.params as { id: string };
      const result = sources.approvals[verb](id);
      changed();
      if (!result.ok) return fail(reply, 409, "CONFLICT", result.message ?? "not pending");
      return { ok: true };
    });
  }

  app.post("/api/token/reveal", async () => ({ token: sources.publicFields.token() }));

  app.get("/api/checkpoints", async (_request, reply) => {
    if (!sources.checkpoints) return notAvailable(reply, "checkpoints");
    return sources.checkpoints.list(30);
  });
  app.get("/api/checkpoints/:id/diff", async (request, reply) => {
    if (!sources.checkpoints) return notAvailable(reply, "checkpoints");
    return sources.checkpoints.diff((request.params as { id: string }).id);
  });
  app.post("/api/checkpoints/:id/restore", async (request, reply) => {
    if (!sources.checkpoints) return notAvailable(reply, "checkpoints");
    const result = await sources.checkpoints.restore((request.params as { id: string }).id);
    changed();
    return { ok: true, ...result };
  });
  app.get("/api/grants", async (_request, reply) => {
    if (!sources.grants) return notAvailable(reply, "grants");
    return { grants: await sources.grants.list() };
  });
  app.post("/api/grants/:id/revoke", async (request, reply) => {
    if (!sources.grants) return notAvailable(reply, "grants");
    const { id } = request.params as { id: string };
    if (!(await sources.grants.revoke(id))) return fail(reply, 404, "NOT_FOUND", `no grant "${id}"`);
    changed();
    return { ok: true };
  });

  function notAvailable(reply: FastifyReply, what: string) {
    return fail(reply, 404, "NOT_AVAILABLE", `${what} are not available in this build`);
  }

  async function snapshot() {
    let sandbox = null;
    try {
      sandbox = sources.sandbox ? await sources.sandbox.status() : null;
    } catch {
      sandbox = null;
    }
    // null: not available in this build; [] : no box runs now.
    let boxes = null;
    try {
      boxes = sources.boxes ? await sources.boxes.list() : null;
    } catch (error) {
      process.stderr.write(`dashboard: box status failed: ${(error as Error).message}\n`);
      boxes = null;
    }
    return {
      now: new Date().toISOString(),
      workspaces: sources.workspaces.list(),
      access: sources.access.state(),
      jobs: sources.jobs.list(),
      boxes,
      approvals: { mode: sources.approvals.mode(), pending: sources.approvals.pending() },
      public: sources.publicFields.fields(),
      panels: { checkpoints: Boolean(sources.checkpoints), grants: Boolean(sources.grants), sandbox },
      // The page's banner: the config file does not load and the server runs on the last good one.
      config_problem: sources.configHealth.problem(),
    };
  }

  /** Push the state to every open page if it differs from the last one sent. */
  async function pushState(force = false) {
    // A page whose session ended (expired, logged out) stops getting anything.
    for (const stream of streams) {
      if (!sessions.get(stream.sessionId)) {
        stream.res.end();
        streams.delete(stream);
      }
    }
    if (streams.size === 0) return;
    let state;
    try {
      state = await snapshot();
    } catch (error) {
      process.stderr.write(`dashboard: state failed: ${(error as Error).message}\n`);
      return;
    }
    const { now: _now, ...rest } = state;
    const key = JSON.stringify(rest);
    if (!force && key === lastState) return;
    lastState = key;
    for (const stream of streams) send(stream.res, "state", state);
  }

  /** Something changed: push soon (several changes in one burst make one push). */
  function changed() {
    if (pendingState) return;
    pendingState = setTimeout(() => {
      pendingState = undefined;
      void pushState();
    }, 50);
  }

  const offFeed = sources.feed.subscribe((record: AuditRecord) => {
    for (const stream of streams) send(stream.res, "audit", record);
    changed();
  });
  const offApprovals = sources.approvals.subscribe(() => changed());
  // Job output and TTLs change without an event: look once a second while a page is open.
  const ticker = setInterval(() => void pushState(), TICK_MS);
  ticker.unref();
  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.res.write(": keep-alive\n\n");
  }, 15_000);
  heartbeat.unref();

  app.addHook("onClose", async () => {
    clearInterval(ticker);
    clearInterval(heartbeat);
    clearTimeout(pendingState);
    offFeed();
    offApprovals();
    for (const stream of streams) stream.res.end();
    streams.clear();
  });

  await app.listen({ host: options.host ?? "127.0.0.1", port: options.port });
  const address = app.server.address();
  port = typeof address === "object" && address ? address.port : options.port;
  const url = `http://127.0.0.1:${port}`;
  return { app, url, port, close: () => app.close() };
}

function send(res: ServerResponse, event: string, data: unknown): void {
  if (res.writableEnded) return;
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

