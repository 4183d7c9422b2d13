/**
 * What a test needs from the machine. On a developer's clone a missing precondition
 * skips the suite with its reason (it never cancels other tests); under CI=true it is a
 * failure, because CI installs everything and must run every test.
 *
 * Put the options on the describe() that owns the before/after hooks: a skipped suite
 * runs none of its hooks, so a hook that would fail without the precondition (a chown
 * as a normal user) cannot cancel the tests around it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { test, type TestContext } from "node:test";
import { locateRipgrep } from "../src/search/locateRipgrep.js";
import { SHARED as SHARED_FOLDER } from "./helpers.js";

export interface Need {
  ok(): boolean;
  reason: string;
}

/** A need whose answer is worked out once per test process (probes run programs). */
export function need(reason: string, probe: () => boolean): Need {
  let answer: boolean | undefined;
  return { reason, ok: () => (answer ??= probe()) };
}

/** An executable file of this name in a PATH folder, or null (what a shell would run). */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export const ROOT: Need = need("needs root (runs the server as another user, chowns fixtures)", () => process.getuid?.() === 0);

export const BWRAP: Need = need(
  "needs a working bubblewrap (apt-get install bubblewrap)",
  () => spawnSync("bwrap", ["--ro-bind", "/", "/", "--unshare-all", "--", "true"], { timeout: 10_000 }).status === 0,
);

/** The project's shared folder beside the checkout (peer suites): a clone of the repository alone has none. */
export const SHARED: Need = need(`needs the project's shared folder beside the checkout (${SHARED_FOLDER}); a clone of the repository alone has none`, () =>
  existsSync(join(SHARED_FOLDER, "peers")),
);

/**
 * The browser the dashboard tests drive: CHATGPT_CODEX_CHROMIUM when set (an empty or missing
 * file counts as none), else chromium on PATH.
 */
export function chromiumPath(): string | null {
  const chosen = process.env.CHATGPT_CODEX_CHROMIUM;
  if (chosen !== undefined) return chosen !== "" && existsSync(chosen) ? chosen : null;
  return onPath("chromium") ?? onPath("chromium-browser");
}

export const CHROMIUM: Need = need("needs chromium for the dashboard in a real browser (apt-get install chromium, or CHATGPT_CODEX_CHROMIUM=/path)", () => chromiumPath() !== null);

/** ripgrep on PATH, ignoring the override variable the search tests set to pick an engine. */
export const RIPGREP: Need = need("needs ripgrep to compare it with the built-in engine (apt-get install ripgrep)", () => {
  const env = { ...process.env };
  delete env.CHATGPT_CODEX_RG;
  return locateRipgrep(env) !== null;
});

/** A C compiler, the C headers and make, for the everyday build a sandboxed command runs. */
export const CC: Need = need("needs a C compiler, its headers and make (apt-get install build-essential)", () =>
  onPath("cc") !== null && onPath("make") !== null && existsSync("/usr/include/stdio.h"),
);

/**
 * The package registry npm would install from answers. Probed once with `npm ping` and short
 * limits, so an offline machine costs seconds, not an install's timeout.
 */
export const REGISTRY: Need = need("needs the npm package registry (npm ping failed: offline or blocked)", () => {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const ping = spawnSync(npm, ["ping", "--fetch-timeout=5000", "--fetch-retries=0", "--no-update-notifier", "--loglevel=silent"], { stdio: "ignore", timeout: 20_000 });
  return ping.status === 0;
});

function missing(needs: Need[]): string | null {
  const reasons = needs.filter((need) => !need.ok()).map((need) => need.reason);
  return reasons.length === 0 ? null : reasons.join("; ");
}

/** Options for describe()/test(): `{}` when every need is met, else `{ skip: reason }` (a failing test under CI=true). */
export function requires(...needs: Need[]): { skip?: string } {
  const reason = missing(needs);
  if (reason === null) return {};
  if (process.env.CI === "true") {
    test(`precondition missing in CI: ${reason}`, () => assert.fail(`CI must provide this: ${reason}`));
  }
  return { skip: reason };
}

/**
 * Inside a running test (when the need shows only then): true when every need is met; else
 * the test is skipped with the reason and the caller returns — under CI=true it fails instead.
 */
export function skipUnless(t: TestContext, ...needs: Need[]): boolean {
  const reason = missing(needs);
  if (reason === null) return true;
  if (process.env.CI === "true") assert.fail(`CI must provide this: ${reason}`);
  t.skip(reason);
  return false;
}
