/**
 * What a test needs from the machine. On a developer's clone a missing precondition
 * skips the suite with its reason (it never cancels other tests); under CI=true it is a
 * failure, because CI installs everything and must run every test.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

export interface Need {
  ok(): boolean;
  reason: string;
}

let bwrapWorks: boolean | undefined;

export const ROOT: Need = { ok: () => process.getuid?.() === 0, reason: "needs root (runs the server as another user, chowns fixtures)" };
export const BWRAP: Need = {
  ok: () => (bwrapWorks ??= spawnSync("bwrap", ["--ro-bind", "/", "/", "--unshare-all", "--", "true"]).status === 0),
  reason: "needs a working bubblewrap (apt-get install bubblewrap)",
};

/** Options for describe()/test(): `{}` when every need is met, else `{ skip: reason }` (a failing test under CI=true). */
export function requires(...needs: Need[]): { skip?: string } {
  const missing = needs.filter((need) => !need.ok()).map((need) => need.reason);
  if (missing.length === 0) return {};
  const reason = missing.join("; ");
  if (process.env.CI === "true") {
    test(`precondition missing in CI: ${reason}`, () => assert.fail(`CI must provide this: ${reason}`));
  }
  return { skip: reason };
}
