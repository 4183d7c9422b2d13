import { chmodSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { accessState } from "../access/state.js";
import type { Config } from "../config/schema.js";
import { writeFileAtomicSync } from "../fs/atomic.js";
import type { Scope } from "./scopes.js";
import { channelOf } from "./secrets.js";

/** A client registered through RFC 7591 (anyone may register; only allow-listed redirect URIs). */
export interface ClientRecord {
  client_id: string;
  client_name: string;
  redirect_uris: string[];
  token_endpoint_auth_method: "none" | "client_secret_post" | "client_secret_basic";
  /** SHA-256 of the client secret, for confidential clients. */
  secret_hash?: string;
  created_at: string;
}

/** What the owner approved: one client, one resource, some scopes, one refresh-token family. */
export interface GrantRecord {
  id: string;
  client_id: string;
  client_name: string;
  redirect_uri: string;
  scopes: Scope[];
  resource: string;
  /** Fingerprint of the bearer token at approval; `channel revoke` rotates the token and so ends the grant. */
  channel: string;
  /** The access expiry at approval: a TTL ends the grant for good, even after a later renew. */
  access_until: string | null;
  created_at: string;
  refreshed_at: string | null;
  /** SHA-256 of the one refresh token that is valid now. */
  refresh_hash: string;
  refresh_expires_at: string;
  /** Hashes of refresh tokens already used: presenting one again ends the grant (stolen token). */
  used_refresh: string[];
}

interface GrantsFile {
  version: 1;
  clients: ClientRecord[];
  grants: GrantRecord[];
}

export function grantsFile(home: string): string {
  return join(home, "connector-grants.json");
}

export type GrantStatus = "active" | "ended";

/** Whether a grant still stands under the current access state, and why not. */
export function grantStatus(grant: GrantRecord, config: Config, now = new Date()): { status: GrantStatus; reason: string | null } {
  if (grant.channel !== channelOf(config.token)) return { status: "ended", reason: "the channel was revoked or its token rotated" };
  if (grant.access_until !== null && Date.parse(grant.access_until) <= now.getTime()) {
    return { status: "ended", reason: `access expired at ${grant.access_until}` };
  }
  const access = accessState(config, now);
  if (!access.active) return { status: "ended", reason: access.reason };
  if (Date.parse(grant.refresh_expires_at) <= now.getTime()) return { status: "ended", reason: "not used for too long" };
  return { status: "active", reason: null };
}

/**
 * The connector's persistent state: registered clients and grants, in a 0600
 * file in the config folder, secrets only as hashes. Read again whenever the
 * file changed, so `connector revoke` in another terminal applies at once.
 */
export class GrantStore {
  private cached: GrantsFile | undefined;
  private stamp = "";

  constructor(readonly home: string) {}

  get file(): string {
    return grantsFile(this.home);
  }

  read(): GrantsFile {
    let stamp = "";
    try {
      const s = statSync(this.file);
      stamp = `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
    } catch {
      this.cached = undefined;
      this.stamp = "";
      return { version: 1, clients: [], grants: [] };
    }
    if (this.cached && stamp === this.stamp) return this.cached;
    let parsed: GrantsFile;
    try {
      const raw = JSON.parse(readFileSync(this.file, "utf8")) as Partial<GrantsFile>;
      parsed = { version: 1, clients: Array.isArray(raw.clients) ? raw.clients : [], grants: Array.isArray(raw.grants) ? raw.grants : [] };
    } catch {
      // A damaged file grants nothing (fail closed); the next write replaces it.
      parsed = { version: 1, clients: [], grants: [] };
    }
    this.cached = parsed;
    this.stamp = stamp;
    return parsed;
  }

  /** Read fresh, change, write atomically (0600). Returns what `change` returned. */
  update<T>(change: (data: GrantsFile) => T): T {
    this.cached = undefined;
    this.stamp = "";
    const data = structuredClone(this.read());
    const result = change(data);
    mkdirSync(this.home, { recursive: true, mode: 0o700 });
    if (process.platform !== "win32") chmodSync(this.home, 0o700);
    writeFileAtomicSync(this.file, `${JSON.stringify(data, null, 2)}\n`, 0o600);
    this.cached = undefined;
    return result;
  }

  client(clientId: string): ClientRecord | undefined {
    return this.read().clients.find((c) => c.client_id === clientId);
  }

  grant(id: string): GrantRecord | undefined {
    return this.read().grants.find((g) => g.id === id);
  }

  /** Remove one grant (and so every token of it). True when it existed. */
  revoke(id: string): boolean {
    return this.update((data) => {
      const before = data.grants.length;
      data.grants = data.grants.filter((g) => g.id !== id);
      return data.grants.length < before;
    });
  }

  /** Grants that stand now (for /health, access status). */
  activeCount(config: Config, now = new Date()): number {
    return this.read().grants.filter((g) => grantStatus(g, config, now).status === "active").length;
  }
}

/** A grant as `connector list --json` shows it: no hashes. */
export function grantView(grant: GrantRecord, config: Config, now = new Date()) {
  const { status, reason } = grantStatus(grant, config, now);
  return {
    id: grant.id,
    client_id: grant.client_id,
    client_name: grant.client_name,
    redirect_uri: grant.redirect_uri,
    scopes: grant.scopes,
    resource: grant.resource,
    created_at: grant.created_at,
    refreshed_at: grant.refreshed_at,
    status,
    reason,
  };
}
