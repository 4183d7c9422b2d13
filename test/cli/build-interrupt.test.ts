/**
 * A build interrupted by Ctrl-C must never leave a dist/ that the next `npm start` or
 * `npm test` trusts: the first run compiles into its own folder and swaps it in whole,
 * with a completion stamp written last. Runs scripts/prepare.mjs on a copy of the
 * project (sources only, the real node_modules linked), interrupts it mid-compile the
 * way a terminal does (SIGINT to the process group), then runs it again.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

const root = join(import.meta.dirname, "..", "..", "..");
const copy = mkdtempSync(join(tmpdir(), "cgc-build-"));
after(() => rmSync(copy, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 }));

function count(dir: string, ending: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) n += count(join(dir, entry.name), ending);
    else if (entry.name.endsWith(ending) && !entry.name.endsWith(".d.ts")) n++;
  }
  return n;
}

/** Some process still compiles into this copy (its command line names the copy's build folder). */
function compilerRunning(dir: string): boolean {
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`${dir}/dist.building-`)) return true;
    } catch {
      // ended while we looked
    }
  }
  return false;
}

describe("an interrupted first build", { timeout: 180_000 }, () => {
  test("Ctrl-C mid-compile leaves no half-built dist/; the next run builds it whole", async () => {
    for (const name of ["src", "test", "bench", "scripts", "tsconfig.json", "package.json", "package-lock.json"]) cpSync(join(root, name), join(copy, name), { recursive: true });
    symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
    const child = spawn(process.execPath, [join(copy, "scripts", "prepare.mjs")], { cwd: copy, detached: true, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    // Interrupt as soon as the compiler starts writing (it writes after type-checking; bounded wait).
    for (let i = 0; i < 12_000 && child.exitCode === null && !readdirSync(copy).some((name) => name.startsWith("dist.building-")); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(readdirSync(copy).some((name) => name.startsWith("dist.building-")), `the build did not start: ${err}`);
    process.kill(-child.pid!, "SIGINT");
    await new Promise((resolve) => child.on("exit", resolve));
    assert.match(err, /compiling TypeScript/);
    assert.ok(!existsSync(join(copy, "dist", "src", "cli", "main.js")), "no dist/ to trust after the interruption");

    // The native compiler may finish its writes after the interrupt; wait (bounded) until it is gone.
    for (let i = 0; i < 600 && compilerRunning(copy); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!existsSync(join(copy, "dist", ".build-complete")), "the interrupted output never became dist/");
    const again = spawnSync(process.execPath, [join(copy, "scripts", "prepare.mjs")], { cwd: copy, encoding: "utf8", timeout: 150_000 });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /compiling TypeScript/);
    assert.ok(existsSync(join(copy, "dist", ".build-complete")));
    assert.ok(existsSync(join(copy, "dist", "src", "cli", "main.js")));
    assert.equal(count(join(copy, "dist", "test"), ".js"), count(join(copy, "test"), ".ts"), "every test file is built");
    assert.deepEqual(readdirSync(copy).filter((name) => name.startsWith("dist.")), [], "leftovers of the interrupted run are gone");

    const third = spawnSync(process.execPath, [join(copy, "scripts", "prepare.mjs")], { cwd: copy, encoding: "utf8", timeout: 60_000 });
    assert.equal(third.status, 0);
    assert.doesNotMatch(third.stderr, /compiling/, "a complete build is trusted as it is");
  });
});
