// Runs every compiled test file with Node's built-in test runner.
// Usage: npm test [-- name-filter ...]
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const testDir = join(root, "dist", "test");
const filters = process.argv.slice(2);
// Test files live in dist/test and in one folder per concern below it (dist/test/sandbox/…).
function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(full);
    return entry.name.endsWith(".test.js") ? [full] : [];
  });
}
const files = testFiles(testDir)
  .filter((full) => filters.length === 0 || filters.some((f) => relative(testDir, full).includes(f)))
  .sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
// The spec reporter ends with the list of failing tests and their errors, so the last lines of
// a long run (all a CI log may keep) name what failed.
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=2", "--test-reporter=spec", ...files], {
  cwd: root,
  stdio: "inherit",
  // An action waits 5 s for its checkpoint, then answers 409 CONFLICT (details.checkpoint_pending).
  // A loaded CI machine can take that long for a fresh workspace's first checkpoint, which would
  // fail tests about something else; the tests of that answer set their own wait. 30 s stays
  // within what the server allows (it keeps 5 s of the 40 s answer time for the action).
  env: { CHATGPT_CODEX_CHECKPOINT_WAIT_MS: "30000", ...process.env },
});
process.exit(result.status ?? 1);
