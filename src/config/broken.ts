import type { Config } from "./schema.js";

/**
 * Why a running server pauses access while its config file does not load, instead of
 * serving on with the last good config:
 * - `gone`: the file was deleted or moved away;
 * - `unreadable`: the file exists but cannot be read;
 * - `token`: the text no longer holds the last good token, or names another one;
 * - `access`: `revoked_at` or `expires_at` is written with another value than the last good one;
 * - `workspaces`: a registered workspace's folder is no longer in the text.
 */
export type PauseReason = "gone" | "unreadable" | "token" | "access" | "workspaces";

/**
 * Whether a config text that does not load may take away access the last good config
 * gives. We cannot know what the owner meant by a broken edit, so a change that might
 * narrow access counts as one (fail closed): a revoke, an earlier expiry, a new token, a
 * removed workspace. A change that can only widen access (a removed expiry, a new
 * workspace) waits until the file loads, which keeps the narrower last good value.
 * Everything else (policy, sandbox, approvals…) keeps its last good value until then.
 *
 * The text is read as written: a key counts wherever its name stands quoted (or bare
 * before a colon), and every such place must carry the last good value, so a second,
 * later `"token": …` or `"revoked_at": …` is caught too. A value spelled another way
 * (escapes, single quotes) counts as changed. A field that merely holds one of these
 * words as a string value (a workspace named "token") also pauses access: a false alarm
 * that fails closed.
 */
export function mayNarrowAccess(text: string, lastGood: Config): PauseReason | null {
  if (!text.includes(lastGood.token) || !valuesOf(text, "token").every((value) => value === JSON.stringify(lastGood.token))) return "token";
  for (const key of ["revoked_at", "expires_at"] as const) {
    const wanted = JSON.stringify(lastGood.access[key]);
    if (!valuesOf(text, key).every((value) => value === wanted)) return "access";
  }
  for (const workspace of lastGood.workspaces) {
    if (!text.includes(JSON.stringify(workspace.path))) return "workspaces";
  }
  return null;
}

/** The raw value written after every place `key` stands as a key; "?" where none can be read. */
function valuesOf(text: string, key: string): string[] {
  const values: string[] = [];
  // Quoted anywhere ("token", 'token'), or bare and followed by a colon (token: …).
  const place = new RegExp(`(["'])${key}\\1|(?<![A-Za-z0-9_$-])${key}(?=\\s*:)`, "g");
  for (const match of text.matchAll(place)) {
    const rest = text.slice(match.index + match[0].length);
    const value = /^\s*:\s*("[^"\n]*"|[^\s,}\]]+)/.exec(rest);
    values.push(value ? value[1]! : "?");
  }
  return values;
}
