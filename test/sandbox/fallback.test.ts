/**
 * Where there is no sandbox (no bwrap on PATH, a bwrap that cannot create
 * namespaces): `auto` runs with the policy only and says so everywhere,
 * `required` refuses with the command that fixes it. Plus the network modes
 * and sandbox.mode "off".
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { Config } from "../../src/config/schema.js";
import { comesTrue, makeHome, runCli, startServer, tempDir, type TestServer } from "../helpers.js";
import { BWRAP, requires } from "../preconditions.js";
import { makeWorld, startCliServer, type CliServer } from "./harness.js";

const realPath = process.env.PATH;
/** A PATH without bwrap (commands inside use shell builtins only). */
const emptyBin = tempDir("cgc-nobin-");
/** A PATH whose bwrap fails the way it does with user namespaces disabled. */
const brokenBin = tempDir("cgc-badbwrap-");
// git stays reachable (checkpoints need it); only bwrap is missing or broken.
const git = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
for (const bin of [emptyBin, brokenBin]) symlinkSync(git, join(bin, "git"));
writeFileSync(join(brokenBin, "bwrap"), "#!/bin/sh\necho 'bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n");
chmodSync(join(brokenBin, "bwrap"), 0o755);

after(() => {
  process.env.PATH = realPath;
});

async function outputShows(server: CliServer, pattern: RegExp): Promise<void> {
  await comesTrue(() => pattern.test(server.output()));
}

async function withPath<T>(path: string, change: (c: Config) => void, run: (server: TestServer) => Promise<T>): Promise<T> {
  process.env.PATH = path;
  const server = await startServer(makeHome({ change }));
  try {
    return await run(server);
  } finally {
    await server.close();
    process.env.PATH = realPath;
  }
}

describe("no bwrap on PATH", () => {
  test("auto: the command runs, and the answer says loudly that it was not sandboxed", async () => {
    await withPath(emptyBin, () => {}, async (server) => {
      const reply = await server.post("exec_command", { command: "echo ran" });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json.stdout, "ran\n");
      assert.deepEqual({ ...reply.json.sandbox, note: undefined }, { active: false, kind: "none", network: true, note: undefined });
      assert.match(reply.json.sandbox.note, /full rights/);
      assert.match(reply.json.sandbox.note, /sudo apt-get install bubblewrap/);
    });
  });

  test("required: refused with 403 naming the one command that fixes it; nothing runs", async () => {
    const marker = join(tempDir(), "ran");
    await withPath(emptyBin, (c) => void (c.sandbox.mode = "required"), async (server) => {
      const reply = await server.post("exec_command", { command: `echo x > ${marker}` });
      assert.equal(reply.status, 403, reply.text);
      assert.equal(reply.json.error.code, "BLOCKED_BY_POLICY");
      assert.match(reply.json.error.message, /required/);
      assert.match(reply.json.error.message, /sudo apt-get install bubblewrap/);
      assert.match(reply.json.error.hint, /sudo apt-get install bubblewrap/);
    });
    assert.ok(!existsSync(marker), "the command did not run");
  });

  test("sandbox status and doctor say it, with the fix; up/serve print the warning", () => {
    const fixture = makeHome();
    const env = { PATH: emptyBin };
    const status = runCli(["sandbox", "status", "--json"], fixture.home, env);
    assert.equal(status.code, 0, status.stderr);
    const json = JSON.parse(status.stdout);
    assert.equal(json.available, false);
    assert.equal(json.active, false);
    assert.equal(json.commands, "unsandboxed");
    assert.equal(json.fix, "sudo apt-get install bubblewrap");
    const human = runCli(["sandbox", "status"], fixture.home, env);
    assert.match(human.stdout, /NOT active/);
    assert.match(human.stdout, /sudo apt-get install bubblewrap/);
    const doctor = runCli(["doctor", "--json"], fixture.home, env);
    const check = JSON.parse(doctor.stdout).checks.find((c: { name: string }) => c.name === "command sandbox");
    assert.equal(check.level, "warn");
    assert.match(check.detail, /WARNING/);
  });

  test("serve (and so up) prints the warning at start", async () => {
    const world = makeWorld();
    const server = await startCliServer(world, { PATH: emptyBin });
    try {
      await outputShows(server, /WARNING: no command sandbox/);
      assert.match(server.output(), /WARNING: no command sandbox on this computer/);
      assert.match(server.output(), /sudo apt-get install bubblewrap/);
    } finally {
      await server.close();
    }
  });

  test("serve with a working bwrap names it at start instead", requires(BWRAP), async () => {
    const sandboxed = await startCliServer(makeWorld());
    try {
      await outputShows(sandboxed, /Sandbox: /);
      assert.match(sandboxed.output(), /Sandbox: Commands run in an OS sandbox: bubblewrap/);
    } finally {
      await sandboxed.close();
    }
  });

  test("required: sandbox status exits 1 and doctor fails", () => {
    const fixture = makeHome({ change: (c) => void (c.sandbox.mode = "required") });
    const status = runCli(["sandbox", "status"], fixture.home, { PATH: emptyBin });
    assert.equal(status.code, 1);
    assert.match(status.stdout, /no command is run/);
    const doctor = runCli(["doctor", "--json"], fixture.home, { PATH: emptyBin });
    assert.equal(JSON.parse(doctor.stdout).checks.find((c: { name: string }) => c.name === "command sandbox").level, "fail");
  });
});

describe("a bwrap that cannot create namespaces", () => {
  test("auto warns with the reason and the sysctl fix; the command still runs", async () => {
    await withPath(brokenBin, () => {}, async (server) => {
      const reply = await server.post("exec_command", { command: "echo ran" });
      assert.equal(reply.json.stdout, "ran\n");
      assert.equal(reply.json.sandbox.active, false);
      assert.match(reply.json.sandbox.note, /user namespaces/);
      assert.match(reply.json.sandbox.note, /sysctl/);
    });
  });
});

describe("with bwrap", requires(BWRAP), () => {
  test("sandbox status: active bubblewrap", () => {
    const fixture = makeHome();
    const status = runCli(["sandbox", "status", "--json"], fixture.home);
    const json = JSON.parse(status.stdout);
    assert.deepEqual([json.available, json.active, json.kind, json.commands], [true, true, "bubblewrap", "sandboxed"]);
    assert.match(runCli(["sandbox", "status"], fixture.home).stdout, /active \(bubblewrap/);
  });

  test('network "off": network: true is 403 BLOCKED_BY_POLICY; without it the command runs offline', async () => {
    const server = await startServer(makeHome({ change: (c) => void (c.sandbox.network = "off") }));
    try {
      const refused = await server.post("exec_command", { command: "echo hi", network: true });
      assert.equal(refused.status, 403);
      assert.equal(refused.json.error.code, "BLOCKED_BY_POLICY");
      assert.match(refused.json.error.message, /network/);
      const ran = await server.post("exec_command", { command: "echo hi" });
      assert.deepEqual(ran.json.sandbox, { active: true, kind: "bubblewrap", network: false });
    } finally {
      await server.close();
    }
  });

  test('network "on": every command has network; "ask" only with network: true', async () => {
    const on = await startServer(makeHome({ change: (c) => void (c.sandbox.network = "on") }));
    const ask = await startServer(makeHome());
    try {
      assert.equal((await on.post("exec_command", { command: "true" })).json.sandbox.network, true);
      assert.equal((await ask.post("exec_command", { command: "true" })).json.sandbox.network, false);
      assert.equal((await ask.post("exec_command", { command: "true", network: true })).json.sandbox.network, true);
    } finally {
      await on.close();
      await ask.close();
    }
  });

  test('mode "off": runs unsandboxed and says so', async () => {
    const server = await startServer(makeHome({ change: (c) => void (c.sandbox.mode = "off") }));
    try {
      const outside = join(tempDir(), "probe");
      const reply = await server.post("exec_command", { command: `touch ${outside} && echo wrote` });
      assert.equal(reply.json.stdout, "wrote\n");
      assert.ok(existsSync(outside), "outside the workspace is writable without a sandbox");
      assert.equal(reply.json.sandbox.active, false);
      assert.match(reply.json.sandbox.note, /switched off/);
    } finally {
      await server.close();
    }
  });

  test("the OpenAPI document and MCP input schema carry the network field; exec_command stays consequential", async () => {
    const server = await startServer();
    try {
      const doc = (await fetch(`${server.url}/openapi.json`).then((r) => r.json())) as { paths: Record<string, { post: Record<string, unknown> }> };
      const post = doc.paths["/exec_command"]!.post;
      assert.equal(post["x-openai-isConsequential"], true);
      assert.match(JSON.stringify(post), /"network"/);
    } finally {
      await server.close();
    }
  });
});
