import { randomBytes } from "node:crypto";
import type { Config } from "../config/schema.js";
import type { ConfigStore } from "../config/store.js";
import { AuthThrottle } from "../server/throttle.js";
import { grantStatus, GrantStore, type ClientRecord, type GrantRecord } from "./grants.js";
import { PairingGuesses, TRIES_PER_REQUEST } from "./guesses.js";
import { consumePairingCode, type PairingResult } from "./pairing.js";
import { redirectAllowed } from "./redirect.js";
import { parseScopes, scopeText, SCOPES, type Scope } from "./scopes.js";
import { channelOf, hashSecret, newSecret, s256, sameSecret } from "./secrets.js";
import { clientsToDrop, requestToReplace } from "./slots.js";

/**
 * The connector's authorization server: one owner, one protected resource
 * (`<public base URL>/mcp`). Authorization code + PKCE S256 only; opaque
 * random tokens looked up by hash (every call checks the grant and the access
 * state anyway, so self-contained tokens would buy nothing and could not be
 * revoked). Codes, consent requests and access tokens live in memory (a
 * restart just asks the client to refresh); clients and grants are persisted.
 */
export const MCP_RESOURCE_PATH = "/mcp";
export const REFRESH_TTL_MS = 30 * 24 * 3600_000;
const CONSENT_TTL_MS = 10 * 60_000;
/**
 * Registered clients without a grant (more only while they hold waiting
 * requests and came from another address than the one registering; slots.ts).
 * One address can register at most 360 in any 10 minutes (60 in any two
 * windows), so behind a tunnel, where the owner shares the stranger's address,
 * the owner's client outlives its 10-minute consent request.
 */
export const MAX_CLIENTS = 400;
/**
 * Consent requests waiting in memory. Never refused when full: the request of
 * whoever holds the most gives way (slots.ts), so the owner's first authorize
 * always gets a page. Twice MAX_CLIENTS, which that rule rests on.
 */
export const MAX_PENDING = 2 * MAX_CLIENTS;
/** Waiting requests per client: a sixth replaces that client's oldest, so one client cannot fill the table. */
export const MAX_PENDING_PER_CLIENT = 5;
/** Registrations allowed per address in two consecutive windows (the bound above rests on it). */
export const REGISTRATIONS_PER_ADDRESS = 60;
/** Registrations allowed in all in two consecutive windows (the guessing bound in guesses.ts rests on it). */
export const REGISTRATIONS_GLOBAL = 500;
/** Requests that ended early (used up, replaced), remembered until they would have expired so they can say why. */
const MAX_ENDED = 1024;
const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export type Principal =
  | { kind: "bearer" }
  | { kind: "oauth"; grant_id: string; client_id: string; client_name: string; scopes: Scope[] };

/** A short label for the audit log: who made the call. */
export function principalLabel(principal: Principal | undefined): string | undefined {
  if (!principal) return undefined;
  return principal.kind === "bearer" ? "bearer" : `oauth:${principal.client_name} (${principal.grant_id})`;
}

export interface OAuthError {
  status: number;
  body: { error: string; error_description: string };
}

function oauthError(error: string, description: string, status = 400): OAuthError {
  return { status, body: { error, error_description: description } };
}

export interface PendingConsent {
  id: string;
  client: ClientRecord;
  redirect_uri: string;
  state: string | undefined;
  code_challenge: string;
  resource: string;
  scopes: Scope[];
  csrf: string;
  cookie_hash: string;
  expires: number;
  /** Wrong pairing codes typed into this very request; at TRIES_PER_REQUEST it is dead. */
  wrong_tries: number;
  /** The address that opened it (for who gives way when the table is full). */
  from: string;
}

/** Why a request ended before it expired; it frees its slot at once and only this is kept. */
type EndedReason = "used_up" | "replaced";

interface CodeRecord {
  client_id: string;
  client_name: string;
  redirect_uri: string;
  code_challenge: string;
  resource: string;
  scopes: Scope[];
  channel: string;
  access_until: string | null;
  expires: number;
}

interface AccessRecord {
  grant_id: string;
  resource: string;
  scopes: Scope[];
  expires: number;
}

/** What the authorize endpoint does with a request. */
export type AuthorizeOutcome =
  | { kind: "consent"; pending: PendingConsent; cookie: string }
  /** Shown on our page: the redirect URI is unknown, so nothing is sent anywhere. */
  | { kind: "error"; status: number; message: string }
  /** The redirect URI is registered: the error goes back to the client (RFC 6749 §4.1.2.1). */
  | { kind: "redirect"; location: string };

export type ConsentOutcome =
  | { kind: "redirect"; location: string }
  | { kind: "retry"; pending: PendingConsent; status: number; message: string; retryAfter?: number }
  | { kind: "error"; status: number; message: string };

export class ConnectorAuth {
  readonly grants: GrantStore;
  /** Oldest first (Map order): the order slots.ts reads as age. */
  private readonly pending = new Map<string, PendingConsent>();
  private readonly ended = new Map<string, { reason: EndedReason; expires: number }>();
  /** Which address registered each client without a grant, while this server runs (slots.ts). */
  private readonly registeredFrom = new Map<string, string>();
  private readonly codes = new Map<string, CodeRecord>();
  /** Codes already exchanged (hash → grant made from it), kept until they would have expired anyway. */
  private readonly usedCodes = new Map<string, { grant_id: string; expires: number }>();
  private readonly accessTokens = new Map<string, AccessRecord>();
  private readonly registrations = new AuthThrottle(() => REGISTRATIONS_PER_ADDRESS, 60_000, REGISTRATIONS_GLOBAL);
  private readonly guesses = new PairingGuesses();

  constructor(
    private readonly store: ConfigStore,
    /** The public base URL (or the local one before a tunnel is set), without a trailing slash. */
    private readonly base: () => string,
  ) {
    this.grants = new GrantStore(store.home);
  }

  private config(): Config {
    return this.store.current();
  }

  issuer(): string {
    return this.base();
  }

  resource(): string {
    return `${this.base()}${MCP_RESOURCE_PATH}`;
  }

  protectedResourceMetadataUrl(): string {
    return `${this.base()}/.well-known/oauth-protected-resource${MCP_RESOURCE_PATH}`;
  }

  protectedResourceMetadata() {
    return {
      resource: this.resource(),
      authorization_servers: [this.issuer()],
      scopes_supported: [...SCOPES],
      bearer_methods_supported: ["header"],
      resource_name: "chatgpt-codex workspace",
    };
  }

  authorizationServerMetadata() {
    const base = this.issuer();
    return {
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      registration_endpoint: `${base}/oauth/register`,
      scopes_supported: [...SCOPES],
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token"],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["none", "client_secret_post", "client_secret_basic"],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: false,
    };
  }

  /** RFC 7591 registration, limited to the redirect allow list. */
  register(body: unknown, clientKey: string, now = new Date()): { status: number; body: object } {
    if (this.registrations.recordFailure(clientKey, now.getTime()) > 0) {
      return oauthError("too_many_requests", "too many client registrations from this address; wait a minute", 429);
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) return oauthError("invalid_client_metadata", "send a JSON object");
    const meta = body as Record<string, unknown>;
    const uris = meta.redirect_uris;
    if (!Array.isArray(uris) || uris.length === 0 || uris.length > 10 || !uris.every((u) => typeof u === "string")) {
      return oauthError("invalid_redirect_uri", "redirect_uris must be a list of 1 to 10 URIs");
    }
    const allow = this.config().oauth.redirect_allow;
    const refused = (uris as string[]).find((u) => !redirectAllowed(u, allow));
    if (refused !== undefined) {
      return oauthError("invalid_redirect_uri", `redirect URI not on this server's allow list: ${JSON.stringify(refused.slice(0, 200))}`);
    }
    const method = meta.token_endpoint_auth_method ?? "client_secret_basic";
    if (method !== "none" && method !== "client_secret_post" && method !== "client_secret_basic") {
      return oauthError("invalid_client_metadata", "token_endpoint_auth_method must be none, client_secret_post or client_secret_basic");
    }
    const grantTypes = meta.grant_types ?? ["authorization_code", "refresh_token"];
    if (!Array.isArray(grantTypes) || grantTypes.some((g) => g !== "authorization_code" && g !== "refresh_token")) {
      return oauthError("invalid_client_metadata", "grant_types may hold only authorization_code and refresh_token");
    }
    const responseTypes = meta.response_types ?? ["code"];
    if (!Array.isArray(responseTypes) || responseTypes.some((r) => r !== "code")) {
      return oauthError("invalid_client_metadata", "response_types may hold only code");
    }
    const name = typeof meta.client_name === "string" ? cleanName(meta.client_name) : "";
    const record: ClientRecord = {
      client_id: `cgc-client-${randomBytes(12).toString("base64url")}`,
      client_name: name || "(unnamed client)",
      redirect_uris: [...new Set(uris as string[])],
      token_endpoint_auth_method: method,
      created_at: now.toISOString(),
    };
    const secret = method === "none" ? undefined : newSecret("cgs_");
    if (secret) record.secret_hash = hashSecret(secret);
    this.sweep(now.getTime());
    this.registeredFrom.set(record.client_id, clientKey);
    const dropped = this.grants.update((data) => {
      data.clients.push(record);
      // Registration is open to anyone who can reach the URL: keep the clients without a grant
      // bounded, taking room from the address that registered the most (slots.ts).
      const granted = new Set(data.grants.map((g) => g.client_id));
      const waiting = new Set([...this.pending.values()].map((p) => p.client.client_id));
      const ungranted = data.clients
        .filter((c) => !granted.has(c.client_id))
        .map((c) => ({ client_id: c.client_id, from: this.registeredFrom.get(c.client_id) ?? "", waiting: waiting.has(c.client_id) }));
      const drop = new Set(clientsToDrop(ungranted, record.client_id, clientKey, MAX_CLIENTS));
      data.clients = data.clients.filter((c) => !drop.has(c.client_id));
      // Bounded by the table: forget addresses of clients no longer in it.
      const kept = new Set(data.clients.map((c) => c.client_id));
      for (const id of this.registeredFrom.keys()) if (!kept.has(id)) this.registeredFrom.delete(id);
      return drop;
    });
    // A dropped client's waiting requests go with it, so they count against no one.
    for (const [id, p] of this.pending) if (dropped.has(p.client.client_id)) this.endRequest(id, "replaced");
    return {
      status: 201,
      body: {
        client_id: record.client_id,
        client_id_issued_at: Math.floor(now.getTime() / 1000),
        ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
        client_name: record.client_name,
        redirect_uris: record.redirect_uris,
        token_endpoint_auth_method: method,
        grant_types: grantTypes,
        response_types: ["code"],
        scope: scopeText([...SCOPES]),
      },
    };
  }

  /** GET /oauth/authorize: validate, then either show the consent page or report the error. */
  authorize(query: Record<string, unknown>, clientKey: string, now = Date.now()): AuthorizeOutcome {
    const param = (name: string): string | undefined => {
      const value = query[name];
      return typeof value === "string" ? value : undefined;
    };
    for (const name of Object.keys(query)) {
      if (Array.isArray(query[name])) return { kind: "error", status: 400, message: `the parameter ${name} is given more than once` };
    }
    const clientId = param("client_id");
    const client = clientId ? this.grants.client(clientId) : undefined;
    if (!client) return { kind: "error", status: 400, message: "unknown client: register it first (dynamic client registration)" };
    const asked = param("redirect_uri");
    const redirectUri = asked ?? (client.redirect_uris.length === 1 ? client.redirect_uris[0] : undefined);
    // Exact match against the registration, and still allowed by today's config.
    if (!redirectUri || !client.redirect_uris.includes(redirectUri) || !redirectAllowed(redirectUri, this.config().oauth.redirect_allow)) {
      return { kind: "error", status: 400, message: "the redirect URI is not registered for this client; nothing was sent to it" };
    }
    const state = param("state");
    const back = (error: string, description: string): AuthorizeOutcome => ({
      kind: "redirect",
      location: withParams(redirectUri, { error, error_description: description, state, iss: this.issuer() }),
    });
    if (param("response_type") !== "code") return back("unsupported_response_type", "only response_type=code is supported");
    const challenge = param("code_challenge");
    if (!challenge || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) return back("invalid_request", "PKCE is required: code_challenge (S256)");
    if (param("code_challenge_method") !== "S256") return back("invalid_request", "code_challenge_method must be S256");
    const resource = param("resource") ?? this.resource();
    if (!sameResource(resource, this.resource())) return back("invalid_target", `this server protects only ${this.resource()}`);
    const { scopes: requested, unknown } = parseScopes(param("scope") ?? scopeText([...SCOPES]));
    if (unknown.length > 0 && requested.length === 0) return back("invalid_scope", `unknown scope: ${unknown.join(" ")}`);
    const scopes = requested.length > 0 ? requested : [...SCOPES];

    this.sweep(now);
    this.makeRoom(client.client_id);
    const cookie = randomBytes(24).toString("base64url");
    const pending: PendingConsent = {
      id: randomBytes(18).toString("base64url"),
      client,
      redirect_uri: redirectUri,
      state,
      code_challenge: challenge,
      resource: this.resource(),
      scopes,
      csrf: randomBytes(24).toString("base64url"),
      cookie_hash: hashSecret(cookie),
      expires: now + CONSENT_TTL_MS,
      wrong_tries: 0,
      from: clientKey,
    };
    this.pending.set(pending.id, pending);
    return { kind: "consent", pending, cookie };
  }

  /** POST /oauth/authorize: the owner's answer on the consent page. */
  consent(form: Record<string, unknown>, cookie: string | undefined, clientKey: string, now = new Date()): ConsentOutcome {
    const field = (name: string): string | undefined => {
      const value = form[name];
      return typeof value === "string" ? value : undefined;
    };
    this.sweep(now.getTime());
    const requestId = field("request") ?? "";
    const pending = this.pending.get(requestId);
    if (!pending) {
      const ended = this.ended.get(requestId)?.reason;
      return { kind: "error", status: 400, message: ended === "used_up" ? USED_UP : ended === "replaced" ? REPLACED : "this sign-in request expired or was already answered; start again from ChatGPT" };
    }
    // CSRF: the form's token and the cookie set with the page must both match this request.
    if (!sameSecret(field("csrf") ?? "", pending.csrf) || !sameSecret(hashSecret(cookie ?? ""), pending.cookie_hash)) {
      return { kind: "error", status: 403, message: "the form did not come from this page (CSRF check failed); start again from ChatGPT" };
    }
    if (!this.grants.client(pending.client.client_id)) {
      this.endRequest(pending.id, "replaced");
      return { kind: "error", status: 400, message: REPLACED };
    }
    if (field("decision") === "deny") {
      this.pending.delete(pending.id);
      return { kind: "redirect", location: withParams(pending.redirect_uri, { error: "access_denied", error_description: "the owner declined", state: pending.state, iss: this.issuer() }) };
    }
    const chosenRaw = form.scope;
    const chosenList = Array.isArray(chosenRaw) ? chosenRaw : chosenRaw === undefined ? [] : [chosenRaw];
    const chosen = pending.scopes.filter((s) => chosenList.includes(s));
    if (chosen.length === 0) return { kind: "retry", pending, status: 400, message: "tick at least one permission" };

    // Keyed on the request's own client, never on a form field: a stranger's tries land on his client, not the owner's.
    const clientId = pending.client.client_id;
    const verdict = this.guesses.check(clientId, clientKey, now.getTime());
    if (!verdict.allowed) {
      const who = verdict.reason === "client" ? "too many wrong codes from this app" : "many wrong codes are being tried on this server right now";
      return {
        kind: "retry",
        pending,
        status: 429,
        retryAfter: verdict.retryAfter,
        message: `${who}; wait ${verdict.retryAfter} s and try again (the pairing code stays valid until it expires)`,
      };
    }
    const result: PairingResult = consumePairingCode(this.store.home, field("pairing_code") ?? "", now);
    // Only a guess at a waiting code counts: with no code, or an expired one, there is nothing to guess.
    if (result === "wrong") {
      pending.wrong_tries++;
      this.guesses.recordWrong(clientId, clientKey, now.getTime());
      if (pending.wrong_tries >= TRIES_PER_REQUEST) {
        // Dead: its slot is free at once; only why it ended is kept (so it keeps saying so).
        this.endRequest(pending.id, "used_up");
        return { kind: "error", status: 400, message: `wrong pairing code; ${USED_UP}` };
      }
      const left = TRIES_PER_REQUEST - pending.wrong_tries;
      return { kind: "retry", pending, status: 400, message: `wrong pairing code; check it and try again (${left} ${left === 1 ? "try" : "tries"} left on this page)` };
    }
    if (result !== "ok") return { kind: "retry", pending, status: 400, message: pairingMessage(result) };

    this.pending.delete(pending.id);
    const config = this.config();
    const code = newSecret("");
    this.codes.set(hashSecret(code), {
      client_id: pending.client.client_id,
      client_name: pending.client.client_name,
      redirect_uri: pending.redirect_uri,
      code_challenge: pending.code_challenge,
      resource: pending.resource,
      scopes: chosen,
      channel: channelOf(config.token),
      access_until: config.access.expires_at,
      expires: now.getTime() + config.oauth.code_seconds * 1000,
    });
    return { kind: "redirect", location: withParams(pending.redirect_uri, { code, state: pending.state, iss: this.issuer() }) };
  }

  /** POST /oauth/token. */
  token(form: Record<string, unknown>, authorization: string | undefined, now = new Date()): { status: number; body: object } {
    const field = (name: string): string | undefined => {
      const value = form[name];
      return typeof value === "string" ? value : undefined;
    };
    const client = this.authenticateClient(field("client_id"), field("client_secret"), authorization);
    if ("error" in client) return client.error;
    const grantType = field("grant_type");
    if (grantType === "authorization_code") return this.exchangeCode(client.record, field, now);
    if (grantType === "refresh_token") return this.refresh(client.record, field, now);
    return oauthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token");
  }

  private authenticateClient(bodyId: string | undefined, bodySecret: string | undefined, authorization: string | undefined): { record: ClientRecord } | { error: OAuthError } {
    let id = bodyId;
    let secret = bodySecret;
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(authorization ?? "");
    if (basic) {
      const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0) return { error: oauthError("invalid_client", "malformed Basic credentials", 401) };
      try {
        id = decodeURIComponent(decoded.slice(0, colon));
        secret = decodeURIComponent(decoded.slice(colon + 1));
      } catch {
        return { error: oauthError("invalid_client", "malformed Basic credentials", 401) };
      }
      if (bodyId !== undefined && bodyId !== id) return { error: oauthError("invalid_client", "two different client ids", 401) };
    }
    const record = id ? this.grants.client(id) : undefined;
    if (!record) return { error: oauthError("invalid_client", "unknown client", 401) };
    if (record.token_endpoint_auth_method !== "none") {
      if (!secret || !record.secret_hash || !sameSecret(hashSecret(secret), record.secret_hash)) {
        return { error: oauthError("invalid_client", "wrong or missing client secret", 401) };
      }
    }
    return { record };
  }

  private exchangeCode(client: ClientRecord, field: (name: string) => string | undefined, now: Date): { status: number; body: object } {
    const code = field("code") ?? "";
    const key = hashSecret(code);
    const used = this.usedCodes.get(key);
    if (used) {
      // A code presented twice was stolen or replayed: end what it produced (RFC 6749 §4.1.2).
      this.usedCodes.delete(key);
      this.grants.revoke(used.grant_id);
      this.forgetGrantTokens(used.grant_id);
      return oauthError("invalid_grant", "this code was already used; the grant made from it has been revoked");
    }
    const record = this.codes.get(key);
    this.codes.delete(key);
    if (!record) return oauthError("invalid_grant", "unknown or expired code");
    if (record.expires <= now.getTime()) return oauthError("invalid_grant", "the code expired; sign in again");
    if (record.client_id !== client.client_id) return oauthError("invalid_grant", "the code was issued to another client");
    const redirectUri = field("redirect_uri");
    if (redirectUri !== undefined && redirectUri !== record.redirect_uri) return oauthError("invalid_grant", "redirect_uri differs from the authorization request");
    const verifier = field("code_verifier");
    if (!verifier || !PKCE_VERIFIER.test(verifier)) return oauthError("invalid_request", "code_verifier is required (PKCE)");
    if (!sameSecret(s256(verifier), record.code_challenge)) return oauthError("invalid_grant", "PKCE verification failed");
    const resource = field("resource");
    if (resource !== undefined && !sameResource(resource, record.resource)) return oauthError("invalid_target", "resource differs from the authorization request");
    const config = this.config();
    if (record.channel !== channelOf(config.token) || !sameResource(record.resource, this.resource())) {
      return oauthError("invalid_grant", "the channel changed since approval; sign in again");
    }
    const refresh = newSecret("cgr_");
    const grant: GrantRecord = {
      id: randomBytes(4).toString("hex"),
      client_id: client.client_id,
      client_name: record.client_name,
      redirect_uri: record.redirect_uri,
      scopes: record.scopes,
      resource: record.resource,
      channel: record.channel,
      access_until: record.access_until,
      created_at: now.toISOString(),
      refreshed_at: null,
      refresh_hash: hashSecret(refresh),
      refresh_expires_at: this.refreshExpiry(record.access_until, now),
      used_refresh: [],
    };
    const standing = grantStatus(grant, config, now);
    if (standing.status !== "active") return oauthError("invalid_grant", `access to this computer is not active: ${standing.reason ?? ""}`.trim());
    this.grants.update((data) => {
      // Ended grants (revoked channel, past TTL) can never come back: drop them here.
      data.grants = data.grants.filter((g) => grantStatus(g, config, now).status === "active");
      data.grants.push(grant);
    });
    this.usedCodes.set(key, { grant_id: grant.id, expires: record.expires + 60_000 });
    return { status: 200, body: this.issueAccess(grant, grant.scopes, refresh, now) };
  }

  private refresh(client: ClientRecord, field: (name: string) => string | undefined, now: Date): { status: number; body: object } {
    const presented = hashSecret(field("refresh_token") ?? "");
    const config = this.config();
    type Outcome = { error: OAuthError } | { grant: GrantRecord; refresh: string; scopes: Scope[] };
    const outcome = this.grants.update((data): Outcome => {
      const reused = data.grants.find((g) => g.used_refresh.includes(presented));
      if (reused) {
        // Rotation: an old refresh token came back, so two parties hold the family. End it.
        data.grants = data.grants.filter((g) => g.id !== reused.id);
        return { error: oauthError("invalid_grant", "this refresh token was already used; the grant has been revoked") };
      }
      const grant = data.grants.find((g) => g.refresh_hash === presented);
      if (!grant) return { error: oauthError("invalid_grant", "unknown refresh token") };
      if (grant.client_id !== client.client_id) return { error: oauthError("invalid_grant", "the refresh token belongs to another client") };
      const status = grantStatus(grant, config, now);
      if (status.status !== "active") return { error: oauthError("invalid_grant", `the grant has ended: ${status.reason ?? ""}`.trim()) };
      const resource = field("resource");
      if (resource !== undefined && !sameResource(resource, grant.resource)) return { error: oauthError("invalid_target", "resource differs from the grant") };
      if (!sameResource(grant.resource, this.resource())) return { error: oauthError("invalid_grant", "the public URL changed; connect again") };
      const asked = field("scope");
      let scopes = grant.scopes;
      if (asked !== undefined) {
        const parsed = parseScopes(asked);
        if (parsed.unknown.length > 0 || parsed.scopes.some((s) => !grant.scopes.includes(s))) {
          return { error: oauthError("invalid_scope", "a refresh cannot add scopes the owner did not grant") };
        }
        if (parsed.scopes.length > 0) scopes = parsed.scopes;
      }
      const refresh = newSecret("cgr_");
      grant.used_refresh = [...grant.used_refresh.slice(-49), grant.refresh_hash];
      grant.refresh_hash = hashSecret(refresh);
      grant.refreshed_at = now.toISOString();
      grant.refresh_expires_at = this.refreshExpiry(grant.access_until, now);
      return { grant, refresh, scopes };
    });
    if ("error" in outcome) return outcome.error;
    // Access tokens of the old refresh step stay valid until they expire (short); only reuse ends them.
    return { status: 200, body: this.issueAccess(outcome.grant, outcome.scopes, outcome.refresh, now) };
  }

  private refreshExpiry(accessUntil: string | null, now: Date): string {
    const rolling = now.getTime() + REFRESH_TTL_MS;
    const cap = accessUntil === null ? rolling : Math.min(rolling, Date.parse(accessUntil));
    return new Date(cap).toISOString();
  }

  private issueAccess(grant: GrantRecord, scopes: Scope[], refresh: string, now: Date) {
    const seconds = this.config().oauth.access_token_seconds;
    const token = newSecret("cgo_");
    this.accessTokens.set(hashSecret(token), { grant_id: grant.id, resource: grant.resource, scopes, expires: now.getTime() + seconds * 1000 });
    if (this.accessTokens.size > 5_000) this.sweep(now.getTime());
    return { access_token: token, token_type: "Bearer", expires_in: seconds, refresh_token: refresh, scope: scopeText(scopes) };
  }

  private forgetGrantTokens(grantId: string): void {
    for (const [key, record] of this.accessTokens) if (record.grant_id === grantId) this.accessTokens.delete(key);
  }

  /**
   * Check an access token presented on /mcp: known, not expired, issued for
   * this very resource (audience), and its grant still stands. The access
   * state (revoked/expired) is checked by the caller, like for the bearer.
   */
  verifyAccessToken(token: string, now = new Date()): { principal: Principal & { kind: "oauth" } } | { error: string } {
    const key = hashSecret(token);
    const record = this.accessTokens.get(key);
    if (!record) return { error: "unknown access token" };
    if (record.expires <= now.getTime()) {
      this.accessTokens.delete(key);
      return { error: "the access token expired; refresh it" };
    }
    if (!sameResource(record.resource, this.resource())) return { error: `the token was issued for another resource, not ${this.resource()}` };
    const grant = this.grants.grant(record.grant_id);
    if (!grant) {
      this.accessTokens.delete(key);
      return { error: "the grant was revoked" };
    }
    const config = this.config();
    if (grant.channel !== channelOf(config.token)) return { error: "the channel was revoked; connect again" };
    // Within the same access window the gate answers 403 ACCESS_EXPIRED like for the bearer;
    // once the window was renewed, a grant from the old one is over for good.
    if (grant.access_until !== null && grant.access_until !== config.access.expires_at && Date.parse(grant.access_until) <= now.getTime()) {
      return { error: "access expired since this connector was approved; connect again" };
    }
    return { principal: { kind: "oauth", grant_id: grant.id, client_id: grant.client_id, client_name: grant.client_name, scopes: record.scopes } };
  }

  /**
   * Room for one more request of `clientId`: its own oldest goes past MAX_PENDING_PER_CLIENT, and
   * a full table replaces a request of whoever holds the most (slots.ts) instead of refusing.
   */
  private makeRoom(clientId: string): void {
    const mine = [...this.pending.values()].filter((p) => p.client.client_id === clientId);
    for (const p of mine.slice(0, Math.max(0, mine.length - MAX_PENDING_PER_CLIENT + 1))) this.endRequest(p.id, "replaced");
    while (this.pending.size >= MAX_PENDING) {
      const victim = requestToReplace([...this.pending.values()].map((p) => ({ id: p.id, client_id: p.client.client_id, from: p.from })));
      if (victim === undefined) break;
      this.endRequest(victim, "replaced");
    }
  }

  private endRequest(id: string, reason: EndedReason): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (this.ended.size >= MAX_ENDED) {
      const oldest = this.ended.keys().next().value;
      if (oldest !== undefined) this.ended.delete(oldest);
    }
    this.ended.set(id, { reason, expires: pending.expires });
  }

  /** Consent requests waiting now (for tests and diagnostics). */
  get waitingRequests(): number {
    return this.pending.size;
  }

  private sweep(now: number): void {
    for (const [key, p] of this.pending) if (p.expires <= now) this.pending.delete(key);
    for (const [key, e] of this.ended) if (e.expires <= now) this.ended.delete(key);
    for (const [key, c] of this.codes) if (c.expires <= now) this.codes.delete(key);
    for (const [key, u] of this.usedCodes) if (u.expires <= now) this.usedCodes.delete(key);
    for (const [key, a] of this.accessTokens) if (a.expires <= now) this.accessTokens.delete(key);
  }
}

const REPLACED = "this sign-in request was replaced by newer ones and cannot be approved any more; start the connection again from ChatGPT";
const USED_UP = `this sign-in request used up its ${TRIES_PER_REQUEST} tries and cannot be approved any more; start the connection again from ChatGPT (the pairing code itself still works there)`;

function pairingMessage(result: PairingResult): string {
  switch (result) {
    case "none":
      return "no pairing code is waiting; on the computer run: chatgpt-codex connector code";
    case "expired":
      return "the pairing code expired; on the computer run: chatgpt-codex connector code";
    default:
      return "wrong pairing code; check it and try again";
  }
}

/** Printable client names only: no control characters, bounded. */
function cleanName(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, "").trim().slice(0, 100);
}

/** Resource URIs compare exactly, except for one trailing slash. */
function sameResource(a: string, b: string): boolean {
  return a.replace(/\/$/, "") === b.replace(/\/$/, "");
}

function withParams(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}
