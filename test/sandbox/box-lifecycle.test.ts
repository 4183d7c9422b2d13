/**
 * The box's life: it ends after its idle time (the next command says so), a box that
 * crashed is replaced on the next command (which says so), `sandbox status` shows it and
 * `sandbox reset` ends it through the real CLI, and allowlist mode lets listed hosts through
 * without `network: true`. With sandbox.box false each command gets a fresh sandbox again.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, type Server } from "node:http";
import { after, before, describe, test } from "node:test";
import { Boxes, cacheFolder, HOST_LOOPBACK_NAME } from "../../src/sandbox/box/boxes.js";
import { sandboxAvailability } from "../../src/sandbox/detect.js";
import { guardedPaths, buildPolicy } from "../../src/sandbox/policy.js";
import { DEFAULT_SANDBOX_SETTINGS } from "../../src/sandbox/types.js";
import { runCliAsync, makeHome, startServer, tempDir, type TestServer } from "../helpers.js";
import { BWRAP, requires } from "../preconditions.js";
import { makeWorld, noneRunning, someRunning, startCliServer, uniqueSleep } from "./harness.js";

const NEEDS = requires(BWRAP);

/** The host pid of the box's bubblewrap for a workspace (the outer bwrap whose agent serves it). */
function boxPid(workspace: string): number | null {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppidCmd = readFileSync(`/proc/${stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]}/cmdline`, "utf8");
      if (argv[0]?.endsWith("bwrap") && argv.some((a) => a.endsWith("/box/agent.js")) && argv.includes(workspace) && !ppidCmd.includes("bwrap")) return Number(entry);
    } catch {
      // gone while we looked
    }
  }
  return null;
}

describe("the box's life", NEEDS, () => {
  test("a box with nothing running ends after its idle time, and the next box is said to be new", async () => {
    const workspace = tempDir("cgc-idle-");
    const available = await sandboxAvailability();
    const home = tempDir("cgc-idle-home-");
    const policy = buildPolicy({ workspace, cwd: workspace, home, configHome: home, hide: [], network: false, layout: null });
    const table = new Boxes({ idleMs: () => 100, checkEveryMs: 50 });
    try {
      const request = { workspace, policy, settings: DEFAULT_SANDBOX_SETTINGS, program: available.program!, features: available.features!, guarded: guardedPaths({ workspace, home, configHome: home, hide: [] }) };
      const first = await table.acquire(request);
      assert.equal(first.note, undefined);
      const ended = await new Promise<string>((resolve) => first.box.once("end", resolve));
      assert.equal(ended, "idle");
      const second = await table.acquire(request);
      assert.notEqual(second.box.id, first.box.id);
      assert.match(second.note ?? "", /idle time/);
    } finally {
      await table.close();
    }
  });

  describe("through a real server", () => {
    let server: TestServer;
    before(async () => {
      server = await startServer();
    });
    after(async () => {
      await server.close();
    });

    test("a box that crashed is replaced on the next command, and the answer says so", async () => {
      const s = uniqueSleep();
      const first = await server.post("exec_command", { command: `sleep ${s} & echo ok` });
      assert.equal(first.json.background?.length, 1, first.text);
      const pid = boxPid(server.workspace);
      assert.ok(pid, "the box's bubblewrap is found on the host");
      process.kill(pid, "SIGKILL");
      assert.ok(await noneRunning(["sleep", s]), "its processes went with it");
      const next = await server.post("exec_command", { command: "echo again" });
      assert.equal(next.json.stdout, "again\n", next.text);
      assert.notEqual(next.json.box.id, first.json.box.id);
      assert.match(next.json.message ?? "", /ended unexpectedly/);
      const listed = await server.post("list_commands", {});
      assert.equal(listed.json.commands.find((c: { job_id: string }) => c.job_id === first.json.job_id)?.background, undefined, "the dead box's processes are not listed");
    });
  });

  test("with sandbox.box false, each command gets a fresh sandbox (no box, nothing left behind)", async () => {
    const server = await startServer(makeHome({ change: (config) => void (config.sandbox.box = false) }));
    try {
      const s = uniqueSleep();
      const reply = await server.post("exec_command", { command: `echo x > /tmp/fresh; sleep ${s} & echo ok` });
      assert.equal(reply.json.stdout, "ok\n", reply.text);
      assert.equal(reply.json.box, undefined);
      assert.equal(reply.json.sandbox.active, true);
      assert.ok(await noneRunning(["sleep", s]));
      const again = await server.post("exec_command", { command: "cat /tmp/fresh 2>&1 || true" });
      assert.match(again.json.stdout, /No such file/);
    } finally {
      await server.close();
    }
  });
});

describe("allowlist mode", NEEDS, () => {
  let server: TestServer;
  let origin: Server;
  let port = 0;
  let hits = 0;
  before(async () => {
    origin = createServer((_q, r) => (hits++, r.end("listed host answered")));
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    port = (origin.address() as { port: number }).port;
    server = await startServer(
      makeHome({
        change: (config) => {
          config.sandbox.network = "allowlist";
          config.sandbox.allow_hosts = [HOST_LOOPBACK_NAME];
          config.sandbox.allow_local_ports = [port];
        },
      }),
    );
  });
  after(async () => {
    await server.close();
    origin.close();
  });

  const get = (target: string) =>
    `node -e 'const u=new URL(process.env.HTTP_PROXY);const s=require("net").connect(+u.port,u.hostname,()=>s.write("GET http://${target}/ HTTP/1.1\\r\\nHost: ${target}\\r\\nProxy-Authorization: Basic "+Buffer.from(decodeURIComponent(u.username)+":"+decodeURIComponent(u.password)).toString("base64")+"\\r\\nConnection: close\\r\\n\\r\\n"));let b="";s.on("data",d=>b+=d);s.on("end",()=>console.log(b))'`;

  test("a listed host is reached without network: true; another is refused with the reason", async () => {
    const listed = await server.post("exec_command", { command: get(`${HOST_LOOPBACK_NAME}:${port}`) });
    assert.match(listed.json.stdout, /listed host answered/, listed.text);
    assert.equal(hits, 1);
    const other = await server.post("exec_command", { command: get("unlisted.invalid:80") });
    assert.match(other.json.stdout, /403/);
    assert.match(other.json.network_denied?.[0]?.reason ?? "", /not on the allow list/);
  });
});

describe("sandbox status and reset through the real CLI", NEEDS, () => {
  test("status shows the box with its background process; reset ends it", async () => {
    const world = makeWorld();
    const server = await startCliServer(world);
    try {
      const s = uniqueSleep();
      const started = await server.post("exec_command", { command: `sleep ${s} & echo ok` });
      assert.equal(started.json.background?.length, 1, started.text);
      const env = { HOME: world.home, LANG: "C.UTF-8" };
      const status = await runCliAsync(["sandbox", "status", "--json"], world.configHome, env);
      const parsed = JSON.parse(status.stdout);
      assert.equal(parsed.server_running, true, status.stdout + status.stderr);
      assert.equal(parsed.boxes.length, 1);
      assert.equal(typeof parsed.boxes[0].cache_bytes, "number");
      assert.ok(parsed.boxes[0].processes.some((p: { command: string; job: string }) => p.command === `sleep ${s}` && p.job === started.json.job_id));
      const human = await runCliAsync(["sandbox", "status"], world.configHome, env);
      assert.match(human.stdout, new RegExp(`Box ${started.json.box.id}`));
      assert.match(human.stdout, /tool caches: .*\((\d+ KiB|[\d.]+ MiB)\)/);
      const reset = await runCliAsync(["sandbox", "reset"], world.configHome, env);
      assert.equal(reset.code, 0, reset.stdout + reset.stderr);
      assert.match(reset.stdout, new RegExp(`Ended: ${started.json.box.id}`));
      assert.ok(await noneRunning(["sleep", s]));
      const zh = await runCliAsync(["--lang", "zh", "sandbox", "reset"], world.configHome, env);
      assert.match(zh.stdout, /没有运行中的沙箱盒/);
      // --caches with the server running: the registered workspace's cache folder (the server's, under its HOME) goes.
      const cache = parsed.boxes[0].cache_home as string;
      assert.ok(existsSync(cache));
      const cleared = await runCliAsync(["sandbox", "reset", "--caches"], world.configHome, { ...env, XDG_CACHE_HOME: join(world.home, ".cache") });
      assert.equal(cleared.code, 0, cleared.stdout + cleared.stderr);
      assert.equal(existsSync(cache), false, "the box's tool caches are emptied");
    } finally {
      await server.close();
    }
  });
});

// No box runs here: these need no bubblewrap.
describe("sandbox reset with no server running", () => {
  test("reset --caches empties the boxes' tool caches even with no server running; other workspaces' caches stay", async () => {
    const world = makeWorld();
    const env = { HOME: world.home, LANG: "C.UTF-8", XDG_CACHE_HOME: join(world.root, "xdg") };
    const mine = cacheFolder(realpathSync(world.workspace), env);
    const other = cacheFolder("/some/other/workspace", env);
    for (const dir of [mine, other]) {
      mkdirSync(join(dir, "npm"), { recursive: true });
      writeFileSync(join(dir, "npm", "entry"), "cached");
    }
    const reset = await runCliAsync(["sandbox", "reset", "--caches"], world.configHome, env);
    assert.equal(reset.code, 0, reset.stdout + reset.stderr);
    assert.match(reset.stdout, /Tool caches emptied/);
    assert.equal(existsSync(mine), false, "the registered workspace's cache is gone");
    assert.ok(existsSync(join(other, "npm", "entry")), "a cache of no registered workspace is not touched");
  });

  test("reset without a running server says so", async () => {
    const world = makeWorld();
    const reset = await runCliAsync(["sandbox", "reset"], world.configHome, { HOME: world.home, LANG: "C.UTF-8" });
    assert.equal(reset.code, 0);
    assert.match(reset.stdout, /No server is running/);
  });
});

describe("a hostile command against its own box", NEEDS, () => {
  /** Each process whose first argument is the agent's file (not this shell, whose command line only mentions it). */
  const EACH_AGENT = (action: string) => `for p in /proc/[0-9]*; do a=$(tr '\\0' '\\n' < $p/cmdline 2>/dev/null | sed -n 2p); case "$a" in */box/agent.js) ${action};; esac; done`;
  const KILL_AGENT = `${EACH_AGENT("kill -9 ${p#/proc/}")}; sleep 5`;
  const FORGE_FRAME = `${EACH_AGENT("printf '\\377\\377\\377\\377garbage' > $p/fd/1; printf '\\377\\377\\377\\377' > $p/fd/0")}; echo tried`;
  let server: TestServer;
  before(async () => {
    server = await startServer(makeHome({ change: (config) => void config.policy.allow.push(KILL_AGENT, FORGE_FRAME) }));
  });
  after(async () => {
    await server.close();
  });

  test("a command that kills the box's agent ends only its own box; the server stays up and the next command gets a new one, saying why", async () => {
    const s = uniqueSleep();
    const before = await server.post("exec_command", { command: `sleep ${s} & echo ok` });
    assert.equal(before.json.background?.length, 1, before.text);
    const attack = await server.post("exec_command", { command: KILL_AGENT, wait_seconds: 20 });
    assert.equal(attack.status, 200, attack.text);
    assert.notEqual(attack.json.status, "running", "the command ended with its box");
    assert.ok(await noneRunning(["sleep", s]), "the box's processes ended with it");
    const next = await server.post("exec_command", { command: "echo alive" });
    assert.equal(next.json.stdout, "alive\n", next.text);
    assert.notEqual(next.json.box.id, before.json.box.id);
    assert.match(next.json.message ?? "", /ended unexpectedly/);
    assert.equal((await server.post("workspace_status", {})).status, 200);
  });

  test("a command cannot write into the agent's channel (its stdio are sockets, not reopenable through /proc)", async () => {
    const s = uniqueSleep();
    const before = await server.post("exec_command", { command: `sleep ${s} & echo ok` });
    const attack = await server.post("exec_command", { command: FORGE_FRAME });
    assert.equal(attack.json.stdout, "tried\n", attack.text);
    assert.match(attack.json.stderr, /No such device or address/);
    const next = await server.post("exec_command", { command: "echo alive" });
    assert.equal(next.json.box.id, before.json.box.id, "the same box goes on");
    assert.ok(await someRunning(["sleep", s]));
    await server.post("kill_command", { job_id: before.json.job_id });
    assert.ok(await noneRunning(["sleep", s]));
  });
});
