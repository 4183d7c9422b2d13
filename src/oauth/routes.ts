import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ConnectorAuth } from "./authServer.js";
import { consentPage, errorPage, type Page } from "./page.js";

/** Paths of the connector's OAuth endpoints; the app's global token gate leaves them alone. */
export function isOAuthPath(path: string): boolean {
  return path.startsWith("/oauth/") || path.startsWith("/.well-known/");
}

const FORM_LIMIT = 16 * 1024;

/** Form bodies (what browsers and OAuth clients send) as name → value or values. */
function parseForm(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const prior = out[key];
    out[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return out;
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of String(request.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function cookieName(requestId: string): string {
  return `cgc_consent_${requestId.replace(/[^A-Za-z0-9]/g, "").slice(0, 12)}`;
}

function sendPage(reply: FastifyReply, status: number, page: Page) {
  for (const [key, value] of Object.entries(page.headers)) reply.header(key, value);
  return reply.code(status).send(page.html);
}

function sendOAuth(reply: FastifyReply, result: { status: number; body: object }) {
  return reply.code(result.status).header("cache-control", "no-store").header("pragma", "no-cache").type("application/json").send(result.body);
}

/**
 * The connector's public OAuth surface (API-CONTRACT §11): metadata, client
 * registration, the consent page and the token endpoint. The app's Origin
 * rule and token gate do not apply here (these endpoints are reached without
 * the bearer, and the consent form is posted by a browser); each route checks
 * what it needs itself.
 */
export function registerOAuthRoutes(
  app: FastifyInstance,
  auth: ConnectorAuth,
  deps: { clientKey(request: FastifyRequest): string; workspaces(): string[]; secure(): boolean },
): void {
  const prm = async () => auth.protectedResourceMetadata();
  app.get("/.well-known/oauth-protected-resource", prm);
  app.get("/.well-known/oauth-protected-resource/mcp", prm);
  app.get("/.well-known/oauth-authorization-server", async () => auth.authorizationServerMetadata());

  app.register(async (scope) => {
    scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: FORM_LIMIT }, (_request, body, done) => {
      done(null, parseForm(String(body)));
    });

    scope.post("/oauth/register", { bodyLimit: FORM_LIMIT }, async (request, reply) => sendOAuth(reply, auth.register(request.body, deps.clientKey(request))));

    scope.get("/oauth/authorize", async (request, reply) => {
      const outcome = auth.authorize((request.query ?? {}) as Record<string, unknown>, deps.clientKey(request));
      if (outcome.kind === "error") return sendPage(reply, outcome.status, errorPage(outcome.message));
      if (outcome.kind === "redirect") return reply.code(302).header("cache-control", "no-store").header("location", outcome.location).send();
      const secure = deps.secure() ? "; Secure" : "";
      reply.header("set-cookie", `${cookieName(outcome.pending.id)}=${outcome.cookie}; Path=/oauth/authorize; HttpOnly; SameSite=Strict; Max-Age=600${secure}`);
      return sendPage(reply, 200, consentPage(outcome.pending, deps.workspaces()));
    });

    scope.post("/oauth/authorize", { bodyLimit: FORM_LIMIT }, async (request, reply) => {
      // A browser posting the form says where the page came from: only our own page may.
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== new URL(auth.issuer()).origin) {
        return sendPage(reply, 403, errorPage("the form was sent from another site; nothing was approved"));
      }
      if (request.headers["sec-fetch-site"] === "cross-site") {
        return sendPage(reply, 403, errorPage("the form was sent from another site; nothing was approved"));
      }
      const form = (request.body ?? {}) as Record<string, unknown>;
      const requestId = typeof form.request === "string" ? form.request : "";
      const outcome = auth.consent(form, cookie(request, cookieName(requestId)), deps.clientKey(request));
      if (outcome.kind === "error") return sendPage(reply, outcome.status, errorPage(outcome.message));
      if (outcome.kind === "retry") {
        if (outcome.retryAfter !== undefined) reply.header("retry-after", String(outcome.retryAfter));
        return sendPage(reply, outcome.status, consentPage(outcome.pending, deps.workspaces(), outcome.message));
      }
      reply.header("set-cookie", `${cookieName(requestId)}=; Path=/oauth/authorize; HttpOnly; SameSite=Strict; Max-Age=0`);
      return reply.code(302).header("cache-control", "no-store").header("location", outcome.location).send();
    });

    scope.post("/oauth/token", { bodyLimit: FORM_LIMIT }, async (request, reply) => {
      const form = (request.body ?? {}) as Record<string, unknown>;
      return sendOAuth(reply, auth.token(form, request.headers.authorization));
    });
  });
}
