import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { noneRunning, someRunning, uniqueSleep } from "./sandbox/harness.js";
import { CLI, getPath, postJson, runCli, tempDir } from "./helpers.js";

function freshHome(): { home: string; ws: string; root: string } {
  const root = tempDir();
  const ws = join(root, "project");
  mkdirSync(ws);
  return { home: join(root, "home"), ws, root };
}

function readToken(home: string): string {
  return JSON.parse(readFileSync(join(home, "config.json"), "utf8")).token;
}

/** A test that fails before stopping its server must not leave it running: the file would never end. */
const longRunning: ReturnType<typeof spawn>[] = [];
after(() => {
  for (const child of longRunning) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** Start a long-running CLI command, wait for a line matching `ready`, return the child and output. */
function startLongRunning(args: string[], home: string, ready: RegExp) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, CHATGPT_CODEX_HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  longRunning.push(child);
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const started = new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${ready}; stdout=${stdout} stderr=${stderr}`)), 20_000);
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      const match = stdout.match(ready);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.on("exit", (code) => reject(new Error(`exited early with ${code}: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, started, exited, output: () => stdout, errors: () => stderr };
}

describe("channel register / status / renew / revoke", () => {
  it("register creates a private config with a token and prints the builder fields", () => {
    const { home, ws } = freshHome();
    const result = runCli(["channel", "register", "--workspace", ws, "--public-base-url", "https://my.example.com/"], home);
    assert.equal(result.code, 0, result.stderr);
    const token = readToken(home);
    assert.match(token, /^cgc_[A-Za-z0-9_-]{43}$/);
    assert.ok(result.stdout.includes(token), "register prints the token for GPT Builder");
    assert.ok(result.stdout.includes("https://my.example.com/openapi.json"));
    assert.ok(result.stdout.includes("https://my.example.com/privacy"));
    assert.equal(statSync(home).mode & 0o777, 0o700);
    assert.equal(statSync(join(home, "config.json")).mode & 0o777, 0o600);
  });

  it("register again keeps the token and other workspaces, adds the new one and sets the URL", () => {
    const { home, ws, root } = freshHome();
    runCli(["channel", "register", "--workspace", ws, "--public-base-url", "https://a.example.com"], home);
    const token = readToken(home);
    const other = join(root, "other");
    mkdirSync(other);
    const again = runCli(["channel", "register", "--workspace", other, "--public-base-url", "https://b.example.com", "--workspace-name", "second"], home);
    assert.equal(again.code, 0, again.stderr);
    const config = JSON.parse(readFileSync(join(home, "config.json"), "utf8"));
    assert.equal(config.token, token);
    assert.deepEqual(config.workspaces.map((w: { name: string }) => w.name), ["project", "second"]);
    assert.equal(config.active_workspace, "second");
    assert.equal(config.public_base_url, "https://b.example.com");
  });

  it("wrong usage exits 2", () => {
    const { home, ws } = freshHome();
    const cases = [
      ["channel", "register", "--workspace", "relative/path", "--public-base-url", "https://a.example.com"],
      ["channel", "register", "--workspace", ws, "--public-base-url", "not a url"],
      ["channel", "register", "--workspace", ws],
      ["channel", "register", "--workspace", ws, "--public-base-url", "https://a.example.com", "--ttl-minutes", "soon"],
      ["channel", "register", "--workspace", join(ws, "missing"), "--public-base-url", "https://a.example.com"],
      ["channel", "register", "--workspace", ws, "--public-base-url", "https://a.example.com", "--workspace-name", "bad name!"],
      ["no-such-command"],
      ["serve", "--port", "http"],
      ["serve", "--bogus-flag"],
      ["set-public-url", "ftp://x.example.com"],
    ];
    for (const args of cases) {
      const result = runCli(args, home);
      assert.equal(result.code, 2, `${args.join(" ")} → ${result.code}: ${result.stderr}`);
      assert.ok(result.stderr.length > 0, "says what is wrong");
    }
  });

  it("status, channel status, access status, doctor and workspace list print JSON with --json and never the token", () => {
    const { home, ws } = freshHome();
    runCli(["channel", "register", "--workspace", ws, "--public-base-url", "https://a.example.com"], home);
    const token = readToken(home);
    for (const args of [["status"], ["channel", "status"], ["access", "status"], ["doctor"], ["workspace", "list"]]) {
      const plain = runCli(args, home);
      const json = runCli([...args, "--json"], home);
      for (const out of [plain, json]) {
        assert.ok(!out.stdout.includes(token) && !out.stderr.includes(token), `${args.join(" ")} leaked the token`);
      }
      assert.doesNotThrow(() => JSON.parse(json.stdout), `${args.join(" ")} --json must print one JSON document`);
    }
    const status = JSON.parse(runCli(["status", "--json"], home).stdout);
    assert.equal(status.active_workspace, "project");
    assert.equal(status.public_base_url, "https://a.example.com");
    assert.equal(status.access.state, "active");
    assert.equal(status.token.set, true);
  });

  it("token prints the token alone; rotate-token replaces it", () => {
    const { home, ws } = freshHome();
    runCli(["channel", "register", "--workspace", ws, "--public-base-url", "https://a.example.com"], home);
    const token = readToken(home);
    const printed = runCli(["token"], home);
    assert.equal(printed.stdout, `${token}\n`);
    const rotated = runCli(["rotate-token"], home);
    assert.equal(rotated.code, 0);
    const fresh = readToken(home);
    assert.notEqual(fresh, token);
    assert.equal(rotated.stdout, `${fresh}\n`);
    assert.equal(runCli(["token"], home).stdout, `${fresh}\n`);
  });

  it("revoke rotates without printing; renew reactivates with a TTL and prints the token", () => {
    const { home, ws } = freshHome();
    runCli(["channel", "register", "--workspace", ws, "--public-base-url", "https://a.example.com"], home);
    const before = readToken(home);
    const revoke = runCli(["channel", "revoke"], home);
    assert.equal(revoke.code, 0);
    const after = readToken(home);
    assert.notEqual(after, before);
    assert.ok(!revoke.stdout.includes(after) && !revoke.stdout.includes(before));
    assert.equal(JSON.parse(runCli(["access", "status", "--json"], home).stdout).state, "revoked");
    const renew = runCli(["channel", "renew", "--ttl-minutes", "30", "--rotate-token"], home);
    assert.equal(renew.code, 0, renew.stderr);
    const renewed = readToken(home);
    assert.notEqual(renewed, after);
    assert.ok(renew.stdout.includes(renewed));
    const access = JSON.parse(runCli(["access", "status", "--json"], home).stdout);
    assert.equal(access.state, "active");
    const minutes = (Date.parse(access.expires_at) - Date.now()) / 60_000;
    assert.ok(minutes > 29 && minutes <= 30, `expires in ${minutes} min`);
  });

  it("access revoke pauses without rotating; access grant resumes", () => {
    const { home, ws } = freshHome();
    runCli(["channel", "register", "--workspace", ws, "--public-base-url", "https://a.example.com"], home);
    const token = readToken(home);
    assert.equal(runCli(["access", "revoke"], home).code, 0);
    assert.equal(readToken(home), token);
    assert.equal(JSON.parse(runCli(["access", "status", "--json"], home).stdout).active, false);
    assert.equal(runCli(["access", "grant", "--ttl-minutes", "10"], home).code, 0);
    const state = JSON.parse(runCli(["access", "status", "--json"], home).stdout);
    assert.equal(state.active, true);
    assert.ok(state.expires_at);
  });
});

describe("workspace commands", () => {
  it("add, list, switch and remove", () => {
    const { home, ws, root } = freshHome();
    const two = join(root, "two");
    mkdirSync(two);
    assert.equal(runCli(["workspace", "add", "--name", "one", "--path", ws], home).code, 0);
    assert.equal(runCli(["workspace", "add", "--name", "two", "--path", two], home).code, 0);
    let list = JSON.parse(runCli(["workspace", "list", "--json"], home).stdout);
    assert.equal(list.active_workspace, "one");
    assert.deepEqual(list.workspaces.map((w: { name: string }) => w.name), ["one", "two"]);
    assert.equal(runCli(["workspace", "switch", "two"], home).code, 0);
    assert.equal(JSON.parse(runCli(["workspace", "list", "--json"], home).stdout).active_workspace, "two");
    assert.equal(runCli(["workspace", "switch", "three"], home).code, 1);
    assert.equal(runCli(["workspace", "remove", "two"], home).code, 0);
    list = JSON.parse(runCli(["workspace", "list", "--json"], home).stdout);
    assert.equal(list.active_workspace, "one");
    assert.equal(runCli(["workspace", "remove", "two"], home).code, 1);
    assert.equal(runCli(["workspace", "add", "--name", "x", "--path", join(root, "nope")], home).code, 2);
  });
});

describe("corrupt config", () => {
  it("every command says which file is broken and leaves it as it was", () => {
    const { home } = freshHome();
    mkdirSync(home, { recursive: true });
    const file = join(home, "config.json");
    writeFileSync(file, '{"token": "cgc_x", ');
    for (const args of [["status"], ["token"], ["channel", "status"], ["channel", "revoke"], ["rotate-token"], ["workspace", "list"], ["serve", "--port", "0"]]) {
      const result = runCli(args, home);
      assert.equal(result.code, 1, `${args.join(" ")}: ${result.stdout}`);
      assert.ok(result.stderr.includes(file), `${args.join(" ")} names the file`);
    }
    const doctor = runCli(["doctor", "--json"], home);
    assert.equal(doctor.code, 1);
    assert.equal(JSON.parse(doctor.stdout).ok, false);
    assert.equal(readFileSync(file, "utf8"), '{"token": "cgc_x", ');
  });
});

describe("doctor", () => {
  it("fails on a missing config, a non-https URL and a vanished workspace; passes when all is well", () => {
    const { home, ws, root } = freshHome();
    assert.equal(runCli(["doctor"], home).code, 1);
    runCli(["channel", "register", "--workspace", ws, "--public-base-url", "https://a.example.com"], home);
    const good = JSON.parse(runCli(["doctor", "--json"], home).stdout);
    const names = good.checks.map((c: { name: string }) => c.name);
    for (const name of ["config file", "config file mode", "config folder mode", "token", "public URL", "server port", "git", "rg", "cloudflared"]) {
      assert.ok(names.includes(name), `doctor checks ${name}`);
    }
    const failing = good.checks.filter((c: { level: string }) => c.level === "fail");
    assert.deepEqual(failing, [], JSON.stringify(failing));
    assert.equal(runCli(["set-public-url", "http://a.example.com"], home).code, 0);
    const http = runCli(["doctor", "--json"], home);
    assert.equal(http.code, 1);
    assert.ok(JSON.parse(http.stdout).checks.some((c: { name: string; level: string }) => c.name === "public URL" && c.level === "fail"));
    runCli(["set-public-url", "https://a.example.com"], home);
    const gone = join(root, "gone");
    mkdirSync(gone);
    runCli(["workspace", "add", "--name", "gone", "--path", gone], home);
    rmSync(gone, { recursive: true });
    assert.equal(runCli(["doctor"], home).code, 1);
    runCli(["workspace", "remove", "gone"], home);
    chmodSync(join(home, "config.json"), 0o644);
    const loose = JSON.parse(runCli(["doctor", "--json"], home).stdout);
    assert.ok(loose.checks.some((c: { name: string; level: string }) => c.name === "config file mode" && c.level === "fail"));
  });
});

describe("serve and up", () => {
  it("serve --port 0 prints the port, answers /health, and stops cleanly on SIGTERM", async () => {
    const { home, ws } = freshHome();
    runCli(["channel", "register", "--workspace", ws, "--public-base-url", "https://a.example.com"], home);
    const token = readToken(home);
    const run = startLongRunning(["serve", "--port", "0", "--ttl-minutes", "5"], home, /Port: (\d+)/);
    const match = await run.started;
    const base = `http://127.0.0.1:${match[1]}`;
    const health = await getPath(base, "/health");
    assert.equal(health.json.ok, true);
    assert.ok(health.json.access.expires_at, "--ttl-minutes sets an expiry");
    assert.equal((await postJson(base, "workspace_status", {}, { token })).status, 200);
    run.child.kill("SIGTERM");
    assert.equal(await run.exited, 0);
    assert.ok(!run.output().includes(token) && !run.errors().includes(token), "serve never prints the token");
    assert.match(run.errors(), /POST \/workspace_status 200/, "request log line");
  });

  it("Ctrl-C on serve kills the commands still running (whole process group)", async () => {
    const { home, ws } = freshHome();
    runCli(["channel", "register", "--workspace", ws, "--public-base-url", "https://a.example.com"], home);
    const run = startLongRunning(["serve", "--port", "0"], home, /Port: (\d+)/);
    const base = `http://127.0.0.1:${(await run.started)[1]}`;
    // Found by command line: inside the sandbox's PID namespace `$$` is not the host's pid.
    const s = uniqueSleep();
    const started = await postJson(base, "exec_command", { command: `sleep ${s} & sleep ${s}`, wait_seconds: 1 }, { token: readToken(home) });
    assert.equal(started.json.status, "running");
    assert.ok(await someRunning(["sleep", s]), "the job runs before Ctrl-C");
    run.child.kill("SIGINT");
    assert.equal(await run.exited, 0);
    assert.ok(await noneRunning(["sleep", s]), "no process of the job survives the server");
  });

  it("serve without a config says what to run", () => {
    const { home } = freshHome();
    const result = runCli(["serve", "--port", "0"], home);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /up --workspace|channel register/);
  });

  it("serve on a taken port explains what to do", async () => {
    const { home, ws } = freshHome();
    runCli(["channel", "register", "--workspace", ws, "--public-base-url", "https://a.example.com"], home);
    const first = startLongRunning(["serve", "--port", "0"], home, /Port: (\d+)/);
    const port = (await first.started)[1]!;
    // Another config folder (the same one is refused earlier: one server per config folder).
    const other = freshHome();
    runCli(["channel", "register", "--workspace", other.ws, "--public-base-url", "https://a.example.com"], other.home);
    const second = runCli(["serve", "--port", port], other.home);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /already in use/);
    first.child.kill("SIGINT");
    assert.equal(await first.exited, 0);
  });

  it("up on a fresh home registers the workspace, creates the token, serves and prints the builder fields once", async () => {
    const { home, ws } = freshHome();
    const run = startLongRunning(["up", "--workspace", ws, "--port", "0", "--tunnel", "none"], home, /Privacy policy URL/);
    await run.started;
    const token = readToken(home);
    const port = /Port: (\d+)/.exec(run.output())![1];
    assert.equal(run.output().split(token).length - 1, 1, "token printed exactly once");
    assert.match(run.output(), /openapi\.json/);
    const status = await postJson(`http://127.0.0.1:${port}`, "workspace_status", {}, { token });
    assert.equal(status.json.active_workspace, "project");
    run.child.kill("SIGINT");
    assert.equal(await run.exited, 0);
  });
});

describe("log --follow", () => {
  it("prints new audit lines as actions happen, and stops on SIGINT", async () => {
    const { home, ws } = freshHome();
    runCli(["channel", "register", "--workspace", ws, "--public-base-url", "https://a.example.com"], home);
    const server = startLongRunning(["serve", "--port", "0"], home, /Port: (\d+)/);
    const port = (await server.started)[1];
    const follow = startLongRunning(["log", "--follow"], home, /switch_workspace/);
    // Give the follower a moment to start watching, then act until it reports (bounded).
    for (let i = 0; i < 40 && !/switch_workspace/.test(follow.output()); i++) {
      await postJson(`http://127.0.0.1:${port}`, "switch_workspace", { name: "project" }, { token: readToken(home) });
      await new Promise((r) => setTimeout(r, 250));
    }
    await follow.started;
    assert.match(follow.output(), /switch_workspace\s+200\s+ok/);
    assert.ok(!follow.output().includes(readToken(home)));
    follow.child.kill("SIGINT");
    assert.equal(await follow.exited, 0);
    server.child.kill("SIGINT");
    await server.exited;
  });
});

describe("other commands", () => {
  it("openapi, gpt-instructions, log and --help work", async () => {
    const { home, ws } = freshHome();
    runCli(["channel", "register", "--workspace", ws, "--public-base-url", "https://a.example.com"], home);
    const doc = JSON.parse(runCli(["openapi"], home).stdout);
    assert.equal(doc.openapi, "3.1.0");
    assert.equal(doc.servers[0].url, "https://a.example.com");
    const instructions = runCli(["gpt-instructions"], home).stdout;
    assert.match(instructions, /workspace_status/);
    assert.match(instructions, /apply_patch/);
    assert.match(runCli(["log"], home).stdout, /empty/);
    const run = startLongRunning(["serve", "--port", "0"], home, /Port: (\d+)/);
    const port = (await run.started)[1];
    await postJson(`http://127.0.0.1:${port}`, "switch_workspace", { name: "project" }, { token: readToken(home) });
    run.child.kill("SIGTERM");
    await run.exited;
    const log = runCli(["log"], home);
    assert.match(log.stdout, /switch_workspace\s+200\s+ok/);
    const raw = runCli(["log", "--json"], home).stdout.trim().split("\n");
    assert.equal(JSON.parse(raw.at(-1)!).action, "switch_workspace");
    for (const args of [["--help"], ["channel", "--help"], ["serve", "--help"], ["up", "--help"], ["workspace", "add", "--help"]]) {
      const help = runCli(args, home);
      assert.equal(help.code, 0, args.join(" "));
      assert.match(help.stdout, /Usage:/);
    }
    assert.equal(runCli(["--version"], home).code, 0);
  });
});
