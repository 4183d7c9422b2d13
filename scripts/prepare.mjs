// Makes a fresh clone runnable: installs locked dependencies when they are
// missing, then compiles TypeScript when any source is newer than the build.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    const time = entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs;
    if (time > newest) newest = time;
  }
  return newest;
}

if (!existsSync(join(root, "node_modules", ".package-lock.json"))) {
  console.error("[prepare] installing dependencies (npm ci)…");
  execFileSync(npm, ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
}

const marker = join(root, "dist", "src", "cli", "main.js");
const sources = Math.max(
  newestMtime(join(root, "src")),
  newestMtime(join(root, "test")),
  newestMtime(join(root, "bench")),
  statSync(join(root, "tsconfig.json")).mtimeMs,
  statSync(join(root, "package-lock.json")).mtimeMs,
);
if (!existsSync(marker) || statSync(marker).mtimeMs < sources) {
  const started = Date.now();
  console.error("[prepare] compiling TypeScript (first run, or sources changed)…");
  try {
    execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], {
      cwd: root,
      stdio: "inherit",
    });
  } catch {
    console.error("[prepare] TypeScript reported the errors above; nothing was started.");
    process.exit(1);
  }
  console.error(`[prepare] compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // tsc does not touch an unchanged output file's mtime; mark the build fresh.
  const now = new Date();
  (await import("node:fs")).utimesSync(marker, now, now);
}
