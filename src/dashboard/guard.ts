import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * The dashboard's gate, small and pure so it can be tested hard:
 * Host must name this listener on loopback (DNS rebinding), Origin must be the
 * dashboard's own, the session cookie must be one this server issued, and a
 * state-changing request must carry its session's CSRF token.
 */

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** `host` is a loopback name with exactly our port (a bare host[:port], nothing else). */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host || host.length > 64) return false;
  const match = /^(\[::1\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(host);
  if (!match) return false;
  return LOOPBACK_NAMES.has(match[1]!.toLowerCase()) && Number(match[2]) === port;
}

/** The page's own origin for a request whose Host passed hostAllowed. */
function ownOrigin(host: string): string {
  return `http://${host.toLowerCase()}`;
}

/** An Origin header is acceptable when it is exactly the page's own (absent only on GETs). */
export function originAllowed(origin: string | undefined, host: string, stateChanging: boolean): boolean {
  if (origin === undefined) return !stateChanging;
  return origin.toLowerCase() === ownOrigin(host);
}

export function cookieName(port: number): string {
  return `cgc_dashboard_${port}`;
}

export interface Session {
  csrf: string;
  lang: "en" | "zh" | null;
  createdAt: number;
}

const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const MAX_SESSIONS = 32;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** Sessions live in the server's memory only: a restart logs everyone out. Stored by hash of the id. */
export class Sessions {
  private readonly byHash = new Map<string, Session>();

  create(lang: Session["lang"], now = Date.now()): { id: string; session: Session } {
    this.prune(now);
    while (this.byHash.size >= MAX_SESSIONS) this.byHash.delete(this.byHash.keys().next().value!);
    const id = randomBytes(32).toString("base64url");
    const session: Session = { csrf: randomBytes(32).toString("base64url"), lang, createdAt: now };
    this.byHash.set(hash(id), session);
    return { id, session };
  }

  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (!id || !SESSION_ID.test(id)) return undefined;
    const session = this.byHash.get(hash(id));
    if (!session) return undefined;
    if (now - session.createdAt > SESSION_TTL_MS) {
      this.byHash.delete(hash(id));
      return undefined;
    }
    return session;
  }

  destroy(id: string | undefined): void {
    if (id) this.byHash.delete(hash(id));
  }

  private prune(now: number): void {
    for (const [key, session] of this.byHash) if (now - session.createdAt > SESSION_TTL_MS) this.byHash.delete(key);
  }
}

export function csrfMatches(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== "string") return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function hash(id: string): string {
  return createHash("sha256").update(id).digest("hex");
}

/** The page language: the login link's choice, else the browser's first preference. */
export function pickLang(sessionLang: Session["lang"], acceptLanguage: string | undefined): "en" | "zh" {
  if (sessionLang) return sessionLang;
  const first = (acceptLanguage ?? "").split(",")[0]?.trim().toLowerCase() ?? "";
  return first.startsWith("zh") ? "zh" : "en";
}
