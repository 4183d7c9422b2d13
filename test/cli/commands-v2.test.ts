import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ALL_GROUPS, commandName, groupsFor } from "../../src/cli/commands/index.js";
import { launcherPrefix } from "../../src/ground/launcher.js";
import { colourEnabled } from "../../src/cli/style.js";
import { CLI, makeHome, runCli } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "cgc-cli2-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("CLI commands of the original system (contract §13)", () => {
  const home = join(tmp, "home");
  const ws = mkdtempSync(join(tmp, "ws-"));

  it("init creates a private config and registers the workspace without printing the token", () => {
    const result = runCli(["init", "--workspace", ws, "--workspace-name", "demo", "--public-base-url", "https://actions.example.com"], home);
    assert.equal(result.code, 0, result.stderr);
    const config = JSON.parse(readFileSync(join(home, "config.json"), "utf8")) as { token: string; active_workspace: string; public_base_url: string };
    assert.equal(config.active_workspace, "demo");
    assert.equal(config.public_base_url, "https://actions.example.com");
    assert.ok(!result.stdout.includes(config.token));
    assert.match(result.stdout, /Next: chatgpt-codex up/);
    const again = runCli(["init", "--workspace", ws], home);
    assert.equal(again.code, 0);
    assert.equal((JSON.parse(readFileSync(join(home, "config.json"), "utf8")) as { token: string }).token, config.token, "init keeps the token");
    // Without --workspace: the folder it runs in (contract §18).
    const here = mkdtempSync(join(tmp, "here-"));
    const bare = runCli(["init", "--workspace-name", "here"], home, {}, here);
    assert.equal(bare.code, 0, bare.stderr);
    const after = JSON.parse(readFileSync(join(home, "config.json"), "utf8")) as { active_workspace: string; workspaces: { name: string; path: string }[] };
    assert.equal(after.active_workspace, "here");
    assert.deepEqual(after.workspaces.find((w) => w.name === "here"), { name: "here", path: here });
  });

  it("chatgpt-preflight reports Builder prerequisites and fields, never the token", () => {
    const token = (JSON.parse(readFileSync(join(home, "config.json"), "utf8")) as { token: string }).token;
    const result = runCli(["chatgpt-preflight", "--json"], home);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      chatgpt_login: { required: boolean };
      builder_automation: { fully_configurable_by_local_api: boolean };
      builder_fields: { authentication: string; schema_import_url: string };
      connector_fields: { mcp_server_url: string };
    };
    assert.equal(report.ok, true);
    assert.equal(result.code, 0);
    assert.equal(report.chatgpt_login.required, true);
    assert.equal(report.builder_automation.fully_configurable_by_local_api, false);
    assert.equal(report.builder_fields.authentication, "API key / Bearer");
    assert.equal(report.builder_fields.schema_import_url, "https://actions.example.com/openapi.json");
    assert.equal(report.connector_fields.mcp_server_url, "https://actions.example.com/mcp");
    assert.ok(!result.stdout.includes(token));
    const text = runCli(["chatgpt-preflight"], home);
    assert.match(text.stdout, /OK\s+the public URL is https/);
    const none = runCli(["chatgpt-preflight"], join(tmp, "no-config"));
    assert.equal(none.code, 1);
  });

  it("route-options lists every route with readiness; ai-commands is a JSON catalog; agent-brief prints the skill", () => {
    const routes = JSON.parse(runCli(["route-options", "--json"], home).stdout) as { routes: { route: string; ready: boolean }[] };
    assert.deepEqual(routes.routes.map((r) => r.route), ["cloudflared", "cloudflared-named", "ngrok", "custom", "tailscale-funnel", "local", "stdio", "secure-mcp-tunnel"]);
    assert.equal(routes.routes.find((r) => r.route === "custom")!.ready, true, "https://actions.example.com is a custom route");
    assert.equal(routes.routes.find((r) => r.route === "ngrok")!.ready, false);
    const catalog = JSON.parse(runCli(["ai-commands", "--json"], home).stdout) as Record<string, string[]>;
    for (const group of ["setup", "workspace", "inspect", "routing", "access", "chatgpt_builder", "language"]) assert.ok(catalog[group]?.length, group);
    assert.ok(catalog.setup!.includes("chatgpt-codex init --workspace <path>"));
    assert.ok(catalog.chatgpt_builder!.includes("chatgpt-codex chatgpt-preflight --json"));
    const brief = runCli(["agent-brief"], home);
    assert.match(brief.stdout, /Never paste the token/);
    assert.doesNotMatch(brief.stdout, /^---/, "front matter is for agents' loaders, not the brief");
    assert.match(runCli(["--lang", "zh", "agent-brief"], home).stdout, /绝不要把 token/);
  });

  it("completion scripts for bash, zsh and fish name every command; bash parses them", () => {
    const bash = runCli(["completion", "bash"], home);
    assert.equal(bash.code, 0);
    for (const name of ALL_GROUPS.flatMap((g) => g.names)) assert.ok(bash.stdout.includes(` ${name}`) || bash.stdout.includes(`${name}:`), name);
    const file = join(tmp, "completion.bash");
    writeFileSync(file, bash.stdout);
    const check = spawnSync("bash", ["-n", file], { encoding: "utf8" });
    assert.equal(check.status, 0, check.stderr);
    const probe = spawnSync("bash", ["-c", `source ${file}; COMP_WORDS=(chatgpt-codex wor); COMP_CWORD=1; _chatgpt_codex; echo "\${COMPREPLY[@]}"`], { encoding: "utf8" });
    assert.equal(probe.stdout.trim(), "workspace");
    const sub = spawnSync("bash", ["-c", `source ${file}; COMP_WORDS=(chatgpt-codex channel re); COMP_CWORD=2; _chatgpt_codex; echo "\${COMPREPLY[@]}"`], { encoding: "utf8" });
    assert.deepEqual(sub.stdout.trim().split(" ").sort(), ["register", "renew", "revoke"]);
    assert.match(runCli(["completion", "zsh"], home).stdout, /^#compdef chatgpt-codex/);
    assert.match(runCli(["completion", "fish"], home).stdout, /complete -c chatgpt-codex -n '__fish_use_subcommand' -a 'doctor'/);
    assert.equal(runCli(["completion", "tcsh"], home).code, 2);
  });

  it("verify and api-smoke take --json", () => {
    const noUrl = runCli(["verify", "--json"], join(tmp, "empty"));
    assert.equal(noUrl.code, 1);
    const body = JSON.parse(noUrl.stdout) as { ok: boolean; checks: { name: string; result: string }[] };
    assert.equal(body.ok, false);
    assert.equal(body.checks[0]!.result, "fail");
    const smoke = runCli(["api-smoke", "--json"], join(tmp, "smoke"));
    const checks = JSON.parse(smoke.stdout) as { ok: boolean; checks: { name: string; result: string }[] };
    assert.equal(checks.ok, true, smoke.stdout);
    assert.equal(smoke.code, 0);
    assert.ok(checks.checks.length > 10);
  });

  it("every command has an example in its --help", () => {
    for (const args of [["init"], ["status"], ["doctor"], ["up"], ["channel", "register"], ["workspace", "add"], ["verify"], ["completion"], ["route-options"]]) {
      const help = runCli([...args, "--help"], home);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /Examples?:\n\s+\$ chatgpt-codex /, args.join(" "));
    }
  });
});

describe("how the CLI loads and speaks", () => {
  it("loads only the named command's module (help and unknown commands load all)", () => {
    assert.equal(commandName(["--lang", "zh", "status", "--json"]), "status");
    assert.equal(groupsFor(["status"]).length, 1);
    assert.deepEqual(groupsFor(["up", "--workspace", "x"])[0]!.names, ["serve", "up"]);
    assert.equal(groupsFor(["--help"]).length, ALL_GROUPS.length);
    assert.equal(groupsFor(["nonsense"]).length, ALL_GROUPS.length);
    const names = ALL_GROUPS.flatMap((g) => g.names);
    assert.equal(new Set(names).size, names.length, "each command belongs to one group");
  });

  it("status and --version load no action, policy or sandbox module and not the server; openapi loads the actions", () => {
    const dir = mkdtempSync(join(tmpdir(), "cgc-loads-"));
    try {
      const seen = join(dir, "seen.txt");
      // A module hook that writes down every module this process loads.
      writeFileSync(join(dir, "hooks.mjs"), `import { appendFileSync } from "node:fs";\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(seen)}, url + "\\n"); return next(url, context); }\n`);
      writeFileSync(join(dir, "register.mjs"), `import { register } from "node:module";\nregister(${JSON.stringify(`file://${join(dir, "hooks.mjs")}`)});\n`);
      const fixture = makeHome();
      const loads = (args: string[]): string[] => {
        rmSync(seen, { force: true });
        const run = spawnSync(process.execPath, ["--import", join(dir, "register.mjs"), CLI, ...args], { env: { ...process.env, CHATGPT_CODEX_HOME: fixture.home }, encoding: "utf8" });
        assert.equal(run.status, 0, run.stderr);
        return readFileSync(seen, "utf8").split("\n").filter((url) => url.includes("/dist/src/"));
      };
      // (server/instanceLock, which says whether a server runs, is small and status needs it.)
      const heavy = /\/dist\/src\/((actions|policy|sandbox|exec|patch|search|checkpoints|mcp|tunnel|dashboard)\/|server\/(app|listen|openapi)\.js)/;
      for (const args of [["status", "--json"], ["--version"]]) {
        const loaded = loads(args);
        assert.ok(loaded.some((url) => url.endsWith("/cli/main.js")), `the hook saw the CLI start (${args.join(" ")})`);
        assert.deepEqual(loaded.filter((url) => heavy.test(url)), [], args.join(" "));
      }
      assert.ok(loads(["openapi"]).some((url) => url.endsWith("/actions/registry.js")), "the check can see a heavy module when one is loaded");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("prints hints the way the user launched the tool", () => {
    assert.equal(launcherPrefix({ npm_lifecycle_event: "cli" }, "/x/dist/src/cli/main.js"), "npm run cli --");
    assert.equal(launcherPrefix({}, "/home/u/.npm/_npx/abc/node_modules/.bin/chatgpt-codex"), "npx chatgpt-codex");
    assert.equal(launcherPrefix({}, "/usr/local/bin/chatgpt-codex"), "chatgpt-codex");
  });

  it("colours only a terminal, never with NO_COLOR or in a pipe", () => {
    assert.equal(colourEnabled({ isTTY: true }, {}), true);
    assert.equal(colourEnabled({ isTTY: true }, { NO_COLOR: "1" }), false);
    assert.equal(colourEnabled({ isTTY: false }, {}), false);
    assert.equal(colourEnabled({ isTTY: true }, { TERM: "dumb" }), false);
    assert.equal(colourEnabled({ isTTY: false }, { FORCE_COLOR: "1" }), true);
  });
});
