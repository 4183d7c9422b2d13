// Makes a fresh clone runnable: installs locked dependencies when they are
// missing, then compiles TypeScript when any source is newer than the build.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
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

// The build is complete only when its stamp says so: tsc writes into a fresh folder that
// replaces dist/ in one rename, and the stamp (the newest source time it was built from)
// is written last. An interrupted build (Ctrl-C) leaves the old dist/ or none, never half
// of one, and the next run builds again.
const dist = join(root, "dist");
const stamp = join(dist, ".build-complete");
const sources = Math.max(
  newestMtime(join(root, "src")),
  newestMtime(join(root, "test")),
  newestMtime(join(root, "bench")),
  statSync(join(root, "tsconfig.json")).mtimeMs,
  statSync(join(root, "package-lock.json")).mtimeMs,
);
function builtFrom() {
  try {
    return Number(readFileSync(stamp, "utf8").trim());
  } catch {
    return -1;
  }
}
for (const entry of readdirSync(root)) {
  if (!/^dist\.(building|old)-/.test(entry)) continue;
  try {
    rmSync(join(root, entry), { recursive: true, force: true, maxRetries: 20, retryDelay: 100 }); // left by an interrupted run
  } catch {
    // still being written by a compiler that outlived its run: the next run tries again
  }
}
if (builtFrom() < sources) {
  const started = Date.now();
  console.error(existsSync(dist) ? "[prepare] sources changed: compiling TypeScript…" : "[prepare] first run: compiling TypeScript (a few seconds)…");
  const building = join(root, `dist.building-${process.pid}`);
  try {
    execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json", "--outDir", building], {
      cwd: root,
      stdio: "inherit",
    });
  } catch (error) {
    // The native compiler may still be writing for a moment after Ctrl-C: its folder is left
    // to the next run, which removes leftovers first. It never becomes dist/.
    if (error && error.signal) {
      console.error(`[prepare] the build was interrupted (${error.signal}); the next run builds again.`);
      process.exit(130);
    }
    console.error("[prepare] TypeScript reported the errors above; nothing was started.");
    process.exit(1);
  }
  writeFileSync(join(building, ".build-complete"), `${sources}\n`);
  const old = join(root, `dist.old-${process.pid}`);
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(building, dist);
  rmSync(old, { recursive: true, force: true });
  console.error(`[prepare] compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
