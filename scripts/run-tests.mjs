// Runs every compiled test file with Node's built-in test runner.
// Usage: npm test [-- name-filter ...]
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const testDir = join(root, "dist", "test");
const filters = process.argv.slice(2);
const files = readdirSync(testDir)
  .filter((name) => name.endsWith(".test.js"))
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort()
  .map((name) => join(testDir, name));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...files], {
  cwd: root,
  stdio: "inherit",
});
process.exit(result.status ?? 1);
