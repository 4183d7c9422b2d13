/**
 * Broad workspaces refused through the real CLI (API contract §14, §18): every way to
 * register a folder (init, workspace add, channel register, up) refuses `/`, the home
 * folder, a folder that holds the home or config folder, and a folder that holds a secret
 * folder: exit 2, a clear message, the config's bytes unchanged. A config written before
 * the refusal existed does not start a server. `init` without --workspace takes the
 * folder it runs in.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Config } from "../../src/config/schema.js";
import { loadConfig, newConfig, saveConfig } from "../../src/config/store.js";
import { serverLockFile } from "../../src/server/instanceLock.js";
import { runCli, runCliAsync, tempDir } from "../helpers.js";

/** A user whose HOME is a temp folder with an ~/.ssh, a config folder outside it, and a project. */
function user() {
  const root = tempDir("cgc-broad-cli-");
  const home = join(root, "users", "me");
  mkdirSync(join(home, ".ssh"), { recursive: true });
  const configParent = join(root, "state");
  const config = join(configParent, "cgc");
  const project = join(root, "code", "app");
  mkdirSync(project, { recursive: true });
  const bob = join(root, "users", "bob");
  mkdirSync(join(bob, ".ssh"), { recursive: true });
  const env = { HOME: home, XDG_CONFIG_HOME: "" };
  return { root, home, config, configParent, project, bob, env };
}

const REGISTER: Record<string, (folder: string) => string[]> = {
  init: (folder) => ["init", "--workspace", folder],
  "workspace add": (folder) => ["workspace", "add", "--name", "w", "--path", folder],
  "channel register": (folder) => ["channel", "register", "--workspace", folder, "--public-base-url", "https://a.example.com"],
  up: (folder) => ["up", "--workspace", folder, "--tunnel", "none", "--port", "0", "--dashboard-port", "0"],
};

describe("broad workspaces are refused (exit 2, nothing written)", () => {
  it("by every registration command, for /, HOME, an ancestor of HOME, a folder holding the config folder, and a folder holding .ssh", async () => {
    const u = user();
    // A config with an ordinary project, registered the ordinary way: the precondition that
    // these commands do write the config.
    const first = runCli(REGISTER.init!(u.project), u.config, u.env);
    assert.equal(first.code, 0, first.stderr);
    const file = join(u.config, "config.json");
    const bytes = readFileSync(file);
    assert.ok(existsSync(join(u.bob, ".ssh")), "precondition: bob's folder holds a secret folder");
    const broad: [string, RegExp][] = [
      ["/", /root of the file system/],
      [u.home, /your home folder/],
      [join(u.root, "users"), /contains your home folder/],
      [u.configParent, /contains this tool's config folder/],
      [u.bob, /contains the secret folder .*bob\/\.ssh/],
      [join(u.home, ".ssh"), /secret folder/],
    ];
    for (const [command, args] of Object.entries(REGISTER)) {
      for (const [folder, why] of broad) {
        const result = await runCliAsync(args(folder), u.config, u.env);
        const label = `${command} ${folder}`;
        assert.equal(result.code, 2, `${label}: ${result.stdout}${result.stderr}`);
        assert.match(result.stderr, /too broad to be a workspace/, label);
        assert.match(result.stderr, why, label);
        assert.match(result.stderr, /Nothing was written/, label);
        assert.deepEqual(readFileSync(file), bytes, `${label}: config bytes unchanged`);
        assert.equal(existsSync(serverLockFile(u.config)), false, `${label}: no lock left`);
      }
    }
    // The same commands with another ordinary folder do change the config.
    const other = join(u.root, "code", "lib");
    mkdirSync(other);
    assert.equal(runCli(REGISTER["workspace add"]!(other), u.config, u.env).code, 0);
    assert.notDeepEqual(readFileSync(file), bytes);
  });

  it("creates no config when the first registration is refused, and says so in Chinese too", () => {
    const u = user();
    const result = runCli(["--lang", "zh", "init", "--workspace", u.home], u.config, u.env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /已拒绝：.* 范围太大，不能作为 workspace：它是你的主目录/);
    assert.match(result.stderr, /没有写入任何内容/);
    assert.equal(existsSync(u.config), false, "no config folder created");
  });

  it("compares by real path: a symlink to HOME is HOME", () => {
    const u = user();
    const link = join(u.root, "looks-fine");
    // A linked or relative spelling must not slip past the comparison.
    symlinkSync(u.home, link);
    const result = runCli(["init", "--workspace", link], u.config, u.env);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /your home folder/);
    const relative = runCli(["init", "--workspace", "../../users/me"], u.config, u.env, u.project);
    assert.equal(relative.code, 2, relative.stderr);
    assert.equal(existsSync(u.config), false);
  });
});

describe("init without --workspace", () => {
  it("registers the folder it runs in (by real path) and makes it active", () => {
    const u = user();
    const result = runCli(["init"], u.config, u.env, u.project);
    assert.equal(result.code, 0, result.stderr);
    const config = loadConfig(u.config);
    assert.deepEqual(config.workspaces, [{ name: "app", path: u.project }]);
    assert.equal(config.active_workspace, "app");
    assert.match(result.stdout, /Registered workspace "app" → .*code\/app/);
  });

  it("run in the home folder is refused (exit 2) and writes nothing", () => {
    const u = user();
    const result = runCli(["init"], u.config, u.env, u.home);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /your home folder/);
    assert.match(result.stderr, /init inside the project folder/);
    assert.equal(existsSync(u.config), false);
  });

  it("--help says so, with an example", () => {
    const help = runCli(["init", "--help"], tempDir());
    assert.equal(help.code, 0);
    assert.match(help.stdout, /default: the current folder/);
    assert.match(help.stdout, /\$ chatgpt-codex init\s+# run in the project folder/);
  });
});

describe("a config that already holds a broad workspace", () => {
  function oldConfig(u: ReturnType<typeof user>): Buffer {
    const config: Config = newConfig();
    config.workspaces.push({ name: "app", path: u.project }, { name: "everything", path: u.home });
    config.active_workspace = "app";
    saveConfig(u.config, config);
    return readFileSync(join(u.config, "config.json"));
  }

  it("serve and up refuse to start, name the workspace and the fix, and change nothing", async () => {
    const u = user();
    const bytes = oldConfig(u);
    for (const args of [
      ["serve", "--port", "0", "--dashboard-port", "0", "--ttl-minutes", "5"],
      ["up", "--tunnel", "none", "--port", "0", "--dashboard-port", "0"],
      ["up", "--workspace", u.project, "--tunnel", "none", "--port", "0", "--dashboard-port", "0"],
    ]) {
      const result = await runCliAsync(args, u.config, u.env);
      const label = args.join(" ");
      assert.equal(result.code, 2, `${label}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, /not starting: workspace "everything" \(.*\) is too broad to serve: it is your home folder/, label);
      assert.match(result.stderr, /workspace remove everything/, label);
      assert.doesNotMatch(result.stdout, /listening on/, label);
      assert.deepEqual(readFileSync(join(u.config, "config.json")), bytes, `${label}: config unchanged`);
      assert.equal(existsSync(serverLockFile(u.config)), false, `${label}: no lock left`);
    }
    const doctor = JSON.parse(runCli(["doctor", "--json"], u.config, u.env).stdout) as { checks: { name: string; level: string; detail: string; fix?: string }[] };
    const check = doctor.checks.find((c) => c.name === "workspace everything")!;
    assert.equal(check.level, "fail");
    assert.match(check.detail, /too broad/);
    assert.match(check.fix!, /workspace remove everything/);
    assert.equal(doctor.checks.find((c) => c.name === "workspace app")!.level, "ok");
    // The fix the message names works: removing it is allowed, and then doctor is content with it.
    assert.equal(runCli(["workspace", "remove", "everything"], u.config, u.env).code, 0);
    assert.deepEqual(loadConfig(u.config).workspaces.map((w) => w.name), ["app"]);
  });
});
