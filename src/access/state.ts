import type { Config } from "../config/schema.js";
import { ActionError } from "../ground/errors.js";
import { cliCommand } from "../ground/launcher.js";

export type AccessStateName = "active" | "expired" | "revoked" | "suspended";

export interface AccessState {
  active: boolean;
  state: AccessStateName;
  expires_at: string | null;
  reason: string | null;
}

const SUSPENDED = Symbol("access suspended");
type Suspendable = Config & { [SUSPENDED]?: string };

/**
 * The config a running server uses while its file is broken in a way that may take access
 * away (src/config/broken.ts): the last good settings with access off until the file loads.
 * `revoked_at` is set as well, so a copy of the view, or code that reads the field instead
 * of calling accessState, sees access off too.
 */
export function suspendedView(config: Config, since: string, reason: string): Config {
  const view: Suspendable = { ...config, access: { ...config.access, revoked_at: since } };
  view[SUSPENDED] = reason;
  return view;
}

/** Whether POST actions are allowed now. Pure: config and clock in, state out. */
export function accessState(config: Config, now: Date = new Date()): AccessState {
  const expiresAt = config.access.expires_at;
  const suspended = (config as Suspendable)[SUSPENDED];
  if (suspended !== undefined) return { active: false, state: "suspended", expires_at: expiresAt, reason: suspended };
  if (config.access.revoked_at) {
    return {
      active: false,
      state: "revoked",
      expires_at: expiresAt,
      reason: `revoked at ${config.access.revoked_at}; run \`${cliCommand("channel renew")}\` to reactivate`,
    };
  }
  if (expiresAt && Date.parse(expiresAt) <= now.getTime()) {
    return {
      active: false,
      state: "expired",
      expires_at: expiresAt,
      // Shown by doctor and status too: each command with the prefix the tool was launched with.
      reason: `expired at ${expiresAt}; run \`${cliCommand("channel renew --ttl-minutes N")}\` or \`${cliCommand("access grant")}\``,
    };
  }
  return { active: true, state: "active", expires_at: expiresAt, reason: null };
}

/** The refusal every face gives while access is off (403 ACCESS_EXPIRED); undefined while it is on. */
export function accessRefusal(config: Config, now: Date = new Date()): ActionError | undefined {
  const access = accessState(config, now);
  if (access.active) return undefined;
  return new ActionError("ACCESS_EXPIRED", `access is ${access.state}: ${access.reason ?? ""}`.trim(), {
    hint:
      access.state === "suspended"
        ? "The user must fix the config file on the computer; `chatgpt-codex doctor` names the error."
        : "The user can reactivate it on the computer with `chatgpt-codex channel renew`.",
  });
}

/** The public view of the access state (/health, workspace_status). */
export function publicAccess(state: AccessState): { active: boolean; expires_at: string | null; reason: string | null } {
  return { active: state.active, expires_at: state.expires_at, reason: state.reason };
}

export function expiryFromTtl(ttlMinutes: number | undefined, now: Date = new Date()): string | null {
  if (ttlMinutes === undefined) return null;
  return new Date(now.getTime() + ttlMinutes * 60_000).toISOString();
}
