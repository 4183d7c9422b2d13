import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PLAIN_ENGLISH } from "../helpers.js";
import { REGISTRY, requires } from "../preconditions.js";

const root = join(import.meta.dirname, "..", "..", "..");
const tmp = mkdtempSync(join(tmpdir(), "cgc-pack-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** The environment of a user who installed the package: no override, a HOME of their own. */
function userEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...PLAIN_ENGLISH, HOME: home, NO_COLOR: "1" };
  delete env.CHATGPT_CODEX_HOME;
  delete env.XDG_CONFIG_HOME;
  for (const key of Object.keys(env)) if (key.startsWith("npm_")) delete env[key];
  return env;
}

describe("npm pack → install → run (contract §13)", { timeout: 240_000 }, () => {
  let tarball = "";
  const prefix = join(tmp, "prefix");
  const home = join(tmp, "home");
  const bin = join(prefix, "node_modules", ".bin", "chatgpt-codex");
  // --prefix would also move npm's global config to <prefix>/etc/npmrc: keep the machine's (its CA file, proxy, registry).
  const globalconfig = () => execFileSync(npm, ["config", "get", "globalconfig"], { cwd: tmp, env: userEnv(home), encoding: "utf8", timeout: 30_000 }).trim();
  const install = () =>
    execFileSync(npm, ["install", "--prefix", prefix, "--globalconfig", globalconfig(), "--prefer-offline", "--no-audit", "--no-fund", "--omit=optional", tarball], {
      cwd: tmp,
      env: userEnv(home),
      stdio: "pipe",
      timeout: 180_000,
    });

  it("packs a working package: built dist, bin, LICENSE, READMEs, the skill file; no tests, no dangling source maps", () => {
    const out = execFileSync(npm, ["pack", "--json", "--pack-destination", tmp], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
    const [info] = JSON.parse(out) as [{ filename: string; files: { path: string }[] }];
    tarball = join(tmp, info.filename);
    const files = info.files.map((f) => f.path);
    for (const wanted of ["LICENSE", "README.md", "README.zh-CN.md", "SECURITY.md", "package.json", "dist/src/cli/main.js", "skills/chatgpt-codex/SKILL.md"]) {
      assert.ok(files.includes(wanted), `${wanted} is in the package`);
    }
    assert.equal(files.filter((f) => f.endsWith(".map")).length, 0, "no source maps that point at unshipped sources");
    assert.equal(files.filter((f) => f.startsWith("dist/test/") || f.startsWith("dist/bench/") || f.startsWith("src/")).length, 0);
  });

  it("installs into a prefix, runs the bin, keeps the config in the user's config folder, and a reinstall keeps the token", requires(REGISTRY), () => {
    mkdirSync(home, { recursive: true });
    install();
    assert.ok(existsSync(bin));
    const env = userEnv(home);
    const version = spawnSync(bin, ["--version"], { env, encoding: "utf8" });
    assert.equal(version.stdout.trim(), (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version);
    const ws = mkdtempSync(join(tmp, "ws-"));
    const init = spawnSync(bin, ["init", "--workspace", ws], { env, encoding: "utf8" });
    assert.equal(init.status, 0, init.stderr);
    const configFile = join(home, ".config", "chatgpt-codex", "config.json");
    assert.ok(existsSync(configFile), "config in ~/.config/chatgpt-codex");
    assert.equal(existsSync(join(prefix, "node_modules", "chatgpt-codex", ".chatgpt-codex")), false, "nothing inside the package folder");
    const token = (JSON.parse(readFileSync(configFile, "utf8")) as { token: string }).token;
    const status = spawnSync(bin, ["status", "--json"], { env, encoding: "utf8" });
    const view = JSON.parse(status.stdout) as { config_home: string; config_source: string };
    assert.equal(view.config_source, "user");
    assert.equal(view.config_home, join(home, ".config", "chatgpt-codex"));
    assert.ok(!status.stdout.includes(token));
    install();
    assert.equal((JSON.parse(readFileSync(configFile, "utf8")) as { token: string }).token, token, "the reinstall kept the token");
    const brief = spawnSync(bin, ["agent-brief"], { env, encoding: "utf8" });
    assert.match(brief.stdout, /Setting up chatgpt-codex/);
  });
});
