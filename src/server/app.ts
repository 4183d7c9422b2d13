import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { accessRefusal, accessState, publicAccess } from "../access/state.js";
import { verifyBearer } from "../access/token.js";
import type { AnyAction } from "../actions/define.js";
import { ACTIONS } from "../actions/registry.js";
import { clientLabel } from "../audit/client.js";
import { AuditLog, isoNow } from "../audit/log.js";
import { ConfigStore } from "../config/store.js";
import { ActionError, type ErrorCode } from "../ground/errors.js";
import { BatchedLines } from "../ground/batchedLines.js";
import { LIMITS } from "../ground/limits.js";
import { ResourceBag } from "../ground/resources.js";
import { runAction } from "../core/runAction.js";
import { redactable, redactError, redactText } from "../ground/redact.js";
import { NAME, VERSION } from "../ground/version.js";
import { MCP_PATH } from "../mcp/clientConfig.js";
import { hostAllowed, isMcpRequest } from "../mcp/host.js";
import { registerMcpRoute } from "../mcp/route.js";
import { ConnectorAuth, type Principal } from "../oauth/authServer.js";
import { isOAuthPath, registerOAuthRoutes } from "../oauth/routes.js";
import { buildOpenApi } from "./openapi.js";
import { privacyText } from "./privacy.js";
import { AuthThrottle, clientKey, type TrustedForwarding } from "./throttle.js";
import { recordLayoutsAtStart } from "../sandbox/facts/record.js";
import { serveOwnerRequests } from "../sandbox/box/ownerRequests.js";
import { realOr } from "../ground/realPath.js";

export interface ServerOptions {
  home: string;
  actions?: readonly AnyAction[];
  /** One line per request on this stream (never the token); null for silence. */
  requestLog?: NodeJS.WritableStream | null;
}

export interface CodexServer {
  app: FastifyInstance;
  store: ConfigStore;
  resources: ResourceBag;
  /** The URL the server listens on, after listen(). */
  localUrl(): string;
  /** Called by `up` once it started a tunnel in this process: that tunnel's forwarding header then names the client for throttling. */
  trustForwarding(tunnel: TrustedForwarding): void;
}

/** Hooks a later face (MCP) can reuse: the same gate as the Actions. */
export interface Gate {
  /** Origin → token → access. Sends the error and returns false when refused. */
  check(request: FastifyRequest, reply: FastifyReply): boolean;
  /** Who passed the gate on this request: the static bearer or an OAuth grant (only /mcp takes those). */
  principal(request: FastifyRequest): Principal | undefined;
}

declare module "fastify" {
  interface FastifyInstance {
    codex: { store: ConfigStore; resources: ResourceBag; audit: AuditLog; actions: readonly AnyAction[]; gate: Gate; connector: ConnectorAuth };
  }
  interface FastifyRequest {
    /** Set by the gate: who passed it on this request (see Gate.principal). */
    codexPrincipal: Principal | null;
  }
}

/** The static bearer, the same for every request that presents it. */
const BEARER: Principal = Object.freeze({ kind: "bearer" });

/** A path of one plain segment: no escape, dot segment, second slash, `;`, `#` or query. */
const PLAIN_PATH = /^\/[A-Za-z0-9_-]*$/;

/**
 * isMcpRequest, without its full decoding for the common case: a plain path (an
 * action's) is exactly what the router matched, so it is for /mcp only when it
 * says so or the route does. Anything else gets the full check.
 */
function forMcp(request: FastifyRequest): boolean {
  const url = request.url;
  if (PLAIN_PATH.test(url) && url.toLowerCase() !== MCP_PATH && !(request.routeOptions.url ?? "").toLowerCase().startsWith(MCP_PATH)) return false;
  return isMcpRequest(request, MCP_PATH);
}

/** The URL's path, without the query. */
function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/**
 * The URL's path as the request log and a 404 show it: without the token, also when the token
 * came percent-encoded, once or more (then the path is shown decoded that far, the token replaced).
 * Each escape is decoded on its own, so a stray `%` or a broken escape elsewhere in the path
 * cannot stop the decoding (the token is ASCII: byte-wise decoding finds it).
 */
function shownPath(url: string, token: string | undefined): string {
  const path = pathOf(url);
  const secret = redactable(token);
  if (secret === null) return path;
  let decoded = path;
  for (let round = 0; round < 8 && decoded.includes("%") && !decoded.includes(secret); round++) {
    const next = decoded.replace(/%([0-9A-Fa-f]{2})/g, (_escape, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (next === decoded) break;
    decoded = next;
  }
  return decoded.includes(secret) ? redactText(decoded, token) : path;
}

function sendError(reply: FastifyReply, code: ErrorCode, message: string, extra: { hint?: string; headers?: Record<string, string> } = {}) {
  const error = new ActionError(code, message, { hint: extra.hint });
  for (const [key, value] of Object.entries(extra.headers ?? {})) reply.header(key, value);
  return reply.code(error.status).type("application/json").send(error.toBody());
}

export function buildServer(options: ServerOptions): CodexServer {
  const store = new ConfigStore(options.home);
  const initial = store.current();
  const actions = options.actions ?? ACTIONS;
  const resources = new ResourceBag();
  // The git layouts commands may rely on are read now, at the owner's act, never from a command's writes.
  recordLayoutsAtStart(resources, realOr(options.home), initial);
  const audit = new AuditLog(options.home, undefined, () => store.tokenNow());
  // `sandbox status` / `sandbox reset` of the owner's CLI reach this server's boxes through the config folder.
  serveOwnerRequests(resources, realOr(options.home), () => safeConfig()?.sandbox.box_idle_minutes ?? 30);
  const throttle = new AuthThrottle(() => Math.min(50, safeConfig()?.server.auth_fail_limit ?? 20));
  let trustedForwarding: TrustedForwarding = null;
  const log = options.requestLog === undefined ? process.stderr : options.requestLog;
  // Request log: method, path, status, time. Headers (and so the token) are never written; the path without the token.
  const requestLog = log ? new BatchedLines((lines) => log.write(lines.join(""))) : null;
  const logRequest = (method: string, url: string, status: number, ms: number) =>
    requestLog?.push(`${isoNow()} ${method} ${shownPath(url, store.tokenNow())} ${status} ${ms.toFixed(0)}ms\n`);

  const app = Fastify({
    logger: false,
    bodyLimit: initial.server.body_limit_bytes,
    // ChatGPT waits 45 s at most; nothing of ours should hold a socket longer than that plus slack.
    requestTimeout: 60_000,
    return503OnClosing: true,
    forceCloseConnections: true,
    // A path Fastify cannot decode (a broken %-escape): answered here, in the contract's shape and without
    // the token, not by Fastify's own 400, which repeats the path as it came. No hook runs for it.
    frameworkErrors: (_error, request, reply) => {
      sendError(reply, "BAD_REQUEST", `malformed URL path: ${shownPath(request.url, store.tokenNow()).slice(0, 200)}`, {
        hint: "Percent-encode the path correctly, or call the action by its plain name.",
      });
      logRequest(request.method, request.url, 400, 0);
    },
  });

  function safeConfig() {
    try {
      return store.current();
    } catch {
      return undefined;
    }
  }

  let listeningUrl = `http://${initial.server.host}:${initial.server.port}`;
  // The ChatGPT connector's OAuth server (§11); its resource is <public base URL>/mcp.
  const connector = new ConnectorAuth(store, () => safeConfig()?.public_base_url ?? listeningUrl);

  /** Token → access, for a request already known to be (or not be) for /mcp. */
  function admit(request: FastifyRequest, reply: FastifyReply, isMcp: boolean): boolean {
    let config;
    try {
      // A file that broke while we run gives the last good config, with access suspended
      // when the broken text may have meant to take it away (ConfigStore, config/broken.ts).
      config = store.current();
    } catch {
      // Fail closed: a config we cannot read at all must not leave any token valid.
      sendError(reply, "INTERNAL", "config unavailable");
      return false;
    }
    let oauthRefusal: string | undefined;
    if (verifyBearer(request.headers.authorization, config.token)) {
      request.codexPrincipal = BEARER;
    } else if (isMcp && /^Bearer cgo_/.test(request.headers.authorization ?? "")) {
      const verdict = connector.verifyAccessToken(request.headers.authorization!.slice(7));
      if ("principal" in verdict) request.codexPrincipal = verdict.principal;
      else oauthRefusal = verdict.error;
    }
    if (request.codexPrincipal === null) {
      // On /mcp, say where to get a token (RFC 9728 §5.1), so OAuth clients can start.
      const challenge = `Bearer resource_metadata="${connector.protectedResourceMetadataUrl()}"${oauthRefusal ? ', error="invalid_token"' : ""}`;
      const wait = throttle.recordFailure(clientKey(request.socket.remoteAddress, request.headers, trustedForwarding));
      if (wait > 0) {
        sendError(reply, "RATE_LIMITED", "too many failed authentication attempts; wait and retry", {
          headers: { "retry-after": String(wait) },
        });
      } else {
        sendError(reply, "UNAUTHORIZED", oauthRefusal ? `access token refused: ${oauthRefusal}` : "missing or wrong bearer token", {
          hint: "Send Authorization: Bearer <token>. In GPT Builder: Authentication → API Key → Bearer.",
          headers: isMcp ? { "www-authenticate": challenge } : {},
        });
      }
      return false;
    }
    const refusal = accessRefusal(config);
    if (refusal) {
      sendError(reply, refusal.code, refusal.message, { hint: refusal.hint });
      return false;
    }
    return true;
  }

  const gate: Gate = {
    check: (request, reply) => admit(request, reply, forMcp(request)),
    principal: (request) => request.codexPrincipal ?? undefined,
  };

  app.decorate("codex", { store, resources, audit, actions, gate, connector });
  app.decorateRequest("codexPrincipal", null);

  // Bodies: JSON only; an empty body is `{}` (actions without fields).
  app.removeAllContentTypeParsers();
  const parseBody = (request: FastifyRequest, body: string | Buffer, done: (error: Error | null, body?: unknown) => void) => {
    const type = String(request.headers["content-type"] ?? "");
    const text = String(body);
    if (text.trim() === "") return done(null, {});
    if (type !== "" && !/^application\/(.+\+)?json\b/i.test(type)) {
      return done(new ActionError("BAD_REQUEST", `send JSON (Content-Type: application/json), not ${type.split(";")[0]}`), undefined);
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new ActionError("BAD_REQUEST", `malformed JSON body: ${(error as Error).message}`), undefined);
    }
  };
  // JSON by name as well as under "*": Fastify caches the parser it finds for a Content-Type,
  // but not the catch-all, which it reached by parsing the header again on every request.
  app.addContentTypeParser("application/json", { parseAs: "string" }, parseBody);
  app.addContentTypeParser("*", { parseAs: "string" }, parseBody);

  // Both hooks below take a callback: on the path of every request, an async hook costs a
  // promise and a microtask more for nothing. A hook that answered does not call done().
  if (requestLog) {
    app.addHook("onResponse", (request, reply, done) => {
      logRequest(request.method, request.url, reply.statusCode, reply.elapsedTime);
      done();
    });
    app.addHook("onClose", async () => requestLog.flush());
  }

  // Origin first, on every request: browsers are not our callers.
  app.addHook("onRequest", (request, reply, done) => {
    // The connector's OAuth endpoints check their own callers (the consent form is posted by a browser).
    if (isOAuthPath(pathOf(request.url))) return done();
    const origin = request.headers.origin;
    if (origin !== undefined) {
      const allowed = safeConfig()?.server.allowed_origins ?? [];
      if (!allowed.includes(origin)) {
        sendError(reply, "FORBIDDEN_ORIGIN", "requests from a browser origin are not allowed");
        return;
      }
    }
    const isMcp = forMcp(request);
    // DNS-rebinding protection for the MCP face, before the token like the Origin check.
    if (isMcp && !hostAllowed(request.headers.host, safeConfig()?.public_base_url)) {
      sendError(reply, "FORBIDDEN_ORIGIN", "the Host header names neither this computer (loopback) nor the public URL");
      return;
    }
    if (request.method === "POST" && !admit(request, reply, isMcp)) return;
    done();
  });

  app.setErrorHandler((caught, _request, reply) => {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    // An ActionError may quote what the caller sent (a Content-Type, a field): never the token.
    if (error instanceof ActionError) return reply.code(error.status).send(redactError(error, store.tokenNow()).toBody());
    const fastifyCode = (error as { code?: string }).code;
    const statusCode = (error as { statusCode?: number }).statusCode;
    if (fastifyCode === "FST_ERR_CTP_BODY_TOO_LARGE" || statusCode === 413) {
      return sendError(reply, "TOO_LARGE", `request body over the limit of ${safeConfig()?.server.body_limit_bytes ?? LIMITS.bodyLimitBytes} bytes`, {
        hint: "Send large files in parts or use apply_patch with a smaller patch.",
      });
    }
    if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
      return sendError(reply, "BAD_REQUEST", error.message);
    }
    process.stderr.write(`internal error: ${redactText(String(error.stack ?? error), store.tokenNow())}\n`);
    return sendError(reply, "INTERNAL", "internal error; see the server's terminal");
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, "NOT_FOUND", `no such endpoint: ${request.method} ${shownPath(request.url, store.tokenNow()).slice(0, 200)}`, {
      hint: "See /openapi.json for the available actions.",
    }),
  );

  app.get("/health", async () => {
    const config = safeConfig();
    const access = config ? publicAccess(accessState(config)) : { active: false, expires_at: null, reason: "config file invalid" };
    let active: string | null = config?.active_workspace ?? null;
    if (config && active === null) active = config.workspaces[0]?.name ?? null;
    const connectors = config ? { grants: connector.grants.activeCount(config) } : { grants: 0 };
    return { ok: true, name: NAME, version: VERSION, active_workspace: active, access, connectors };
  });

  app.get("/openapi.json", async (_request, reply) => {
    const config = safeConfig();
    if (!config) return sendError(reply, "INTERNAL", "the server's config file is invalid");
    return buildOpenApi(actions, config, listeningUrl);
  });

  app.get("/privacy", async (_request, reply) => reply.type("text/plain; charset=utf-8").send(privacyText()));

  // Every Action call passed the gate with the static bearer (OAuth tokens are for /mcp only).
  const env = { store, resources, audit, face: "http" as const, client: "bearer" };
  for (const action of actions) {
    app.post(`/${action.name}`, async (request, reply) => {
      // The caller as the audit line names it: how it authenticated, and what it says it is.
      const agent = clientLabel(request.headers["user-agent"]);
      const result = await runAction(action, request.body, { ...env, client: agent ? `bearer (${agent})` : "bearer" });
      if (result.ok) return reply.type("application/json").send(result.text);
      const body = result.error.toBody();
      body.error.message = redactText(body.error.message, store.tokenNow());
      return reply.code(result.status).send(body);
    });
    app.route({
      method: ["GET", "PUT", "DELETE", "PATCH"],
      url: `/${action.name}`,
      handler: async (request, reply) =>
        sendError(reply, "METHOD_NOT_ALLOWED", `${request.method} is not allowed on /${action.name}; use POST with a JSON body`),
    });
  }

  registerMcpRoute(app);
  registerOAuthRoutes(app, connector, {
    clientKey: (request) => clientKey(request.socket.remoteAddress, request.headers, trustedForwarding),
    workspaces: () => safeConfig()?.workspaces.map((w) => w.name) ?? [],
    secure: () => (safeConfig()?.public_base_url ?? listeningUrl).startsWith("https://"),
  });

  app.addHook("onClose", async () => {
    await resources.closeAll();
    audit.flush();
    store.close();
  });
  app.addHook("onListen", async () => {
    const address = app.server.address();
    if (address && typeof address === "object") {
      const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
      listeningUrl = `http://${host}:${address.port}`;
    }
  });

  return {
    app,
    store,
    resources,
    localUrl: () => listeningUrl,
    trustForwarding: (tunnel) => {
      trustedForwarding = tunnel;
    },
  };
}

