/**
 * A new user's clone (API-CONTRACT §18): the committed HEAD cloned into an empty temporary
 * folder (no shared folder beside it), built and tested by an unprivileged user (uid 65534)
 * with an empty home, a PATH without bubblewrap, chromium, ripgrep or a C compiler, and a
 * package registry that does not answer. `npm test` on a fast subset that holds every kind
 * of precondition must pass: each test whose precondition is missing skips with its reason;
 * none fails, none is cancelled.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, realpathSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "../helpers.js";
import { requires, ROOT } from "../preconditions.js";

const REPO = join(import.meta.dirname, "..", "..", "..");
const NOBODY = 65534;
/** Programs a new user may well not have: the clone's PATH leaves them out. */
const HIDDEN = new Set(["bwrap", "rg", "chromium", "chromium-browser", "google-chrome", "cc", "gcc", "c99", "clang", "make"]);
/** One test file per kind of precondition: bubblewrap, root, the shared folder, chromium, the registry, ripgrep. */
const SUBSET = ["sandbox/hostile", "sandbox/boundary.test", "patch-scenarios", "dashboard/browser", "cli/pack", "search-engines"];
const LIMIT_MS = 240_000;

/** A folder of links to every program on this PATH except the hidden ones. */
function pathWithout(bin: string): string {
  mkdirSync(bin);
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    if (!dir.startsWith("/") || !existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (HIDDEN.has(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return bin;
}

/** A registry address that takes connections and drops them: npm fails at once, offline or not. */
async function deadRegistry(): Promise<{ url: string; close(): void }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

describe("a fresh clone, as a normal user without the optional tools", requires(ROOT), () => {
  it("npm test on the fast subset passes: every missing precondition is a skip with its reason", { timeout: LIMIT_MS + 60_000 }, async () => {
    const top = tempDir("cgc-fresh-");
    const clone = join(top, "repo");
    execFileSync("git", ["clone", "--quiet", "--no-hardlinks", REPO, clone], { stdio: "pipe", timeout: 60_000 });
    assert.ok(!existsSync(join(clone, "dist")), "the clone starts unbuilt");
    assert.ok(!existsSync(join(top, "shared")), "no shared folder beside the clone");
    // Dependencies come from this checkout (the test must not reach the registry for them).
    symlinkSync(realpathSync(join(REPO, "node_modules")), join(clone, "node_modules"));
    const home = join(top, "home");
    mkdirSync(home);
    const bin = pathWithout(join(top, "bin"));
    for (const name of HIDDEN) assert.ok(!existsSync(join(bin, name)), `${name} is hidden`);
    execFileSync("chown", ["-R", `${NOBODY}:${NOBODY}`, top]);

    const registry = await deadRegistry();
    let out = "";
    let code: number | null;
    try {
      const child = spawn(
        "setpriv",
        [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "env", "-i", `PATH=${bin}`, `HOME=${home}`, "LANG=C.UTF-8", `npm_config_registry=${registry.url}`, "npm_config_update_notifier=false", "npm", "test", "--", ...SUBSET],
        { cwd: clone, stdio: ["ignore", "pipe", "pipe"], detached: true },
      );
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
      const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), LIMIT_MS);
      code = await new Promise<number | null>((resolve) => child.on("close", (exit) => resolve(exit)));
      clearTimeout(timer);
    } finally {
      registry.close();
    }
    const tail = out.slice(-6000);
    assert.match(out, /\[prepare\] first run: compiling TypeScript/, tail);
    // The test command's reporter (spec): a summary line per count, a skipped test as `﹣ name (time) # reason`.
    assert.match(out, /^ℹ pass [1-9]/m, tail);
    assert.match(out, /^ℹ fail 0$/m, tail);
    assert.match(out, /^ℹ cancelled 0$/m, tail);
    assert.equal(code, 0, tail);
    for (const reason of [
      "needs a working bubblewrap",
      "needs root (runs the server as another user",
      "needs the project's shared folder beside the checkout",
      "needs chromium",
      "needs the npm package registry",
      "needs ripgrep",
    ]) {
      assert.ok(out.split("\n").some((line) => /^\s*﹣ .* # /.test(line) && line.includes(` # ${reason}`)), `a skip with its reason: ${reason}\n${tail}`);
    }
  });
});
