/**
 * The workspace box: commands of one workspace share one long-lived sandbox —
 * a server started by one command answers the next on the box's loopback,
 * background processes are listed, killed and end with the box, /tmp lasts,
 * tool caches live in the box's own home — while the host's loopback stays
 * out of reach and the network goes only through the proxy, per command.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { makeHome, startServer, type TestServer } from "../helpers.js";
import { BWRAP, requires } from "../preconditions.js";
import { noneRunning, someRunning } from "./harness.js";

const NEEDS = requires(BWRAP);
const RUN = randomBytes(4).toString("hex");

/** A loopback HTTP server on the host (the test's), answering `text`. */
async function hostServer(text: string): Promise<{ server: Server; port: number }> {
  const server = createServer((_request, response) => response.end(text));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/**
 * A probe the commands run (written into the workspace): `node probe.cjs direct URL` fetches
 * without any proxy; `node probe.cjs proxy HOST:PORT` asks the box's proxy (HTTP_PROXY) for it.
 * It prints GOT:<body>, PROXY:<status line>|<body> or ERR:<code>.
 */
const PROBE = `
const [mode, target] = process.argv.slice(2);
const done = (text) => console.log(text);
if (mode === "direct") {
  require("http").get(target, (r) => { let b = ""; r.on("data", (d) => (b += d)); r.on("end", () => done("GOT:" + b)); }).on("error", (e) => done("ERR:" + e.code));
} else {
  if (!process.env.HTTP_PROXY) { done("ERR:NOPROXY"); return; }
  const u = new URL(process.env.HTTP_PROXY);
  const auth = Buffer.from(decodeURIComponent(u.username) + ":" + decodeURIComponent(u.password)).toString("base64");
  const s = require("net").connect(Number(u.port), u.hostname, () => s.write("GET http://" + target + "/ HTTP/1.1\\r\\nHost: " + target + "\\r\\nProxy-Authorization: Basic " + auth + "\\r\\nConnection: close\\r\\n\\r\\n"));
  let b = "";
  s.on("data", (d) => (b += d));
  s.on("end", () => done("PROXY:" + b.split("\\r\\n")[0] + "|" + b.split("\\r\\n\\r\\n").slice(1).join("")));
  s.on("error", (e) => done("ERR:" + e.code));
}
`;

describe("the workspace box", NEEDS, () => {
  let server: TestServer;
  let host: { server: Server; port: number };

  before(async () => {
    server = await startServer();
    writeFileSync(join(server.workspace, "probe.cjs"), PROBE);
    host = await hostServer(`host-secret-${RUN}`);
  });

  after(async () => {
    await server.close();
    host.server.close();
  });

  test("a server left running by one command answers the next on 127.0.0.1; it is listed and killed", async () => {
    const marker = `box-server-${RUN}`;
    const script = `require("http").createServer((q,r)=>r.end("${marker}")).listen(0,"127.0.0.1",function(){require("fs").writeFileSync("/tmp/port-${RUN}",String(this.address().port))})`;
    const started = await server.post("exec_command", { command: `node -e '${script}' & sleep 1; echo started` });
    assert.equal(started.status, 200, started.text);
    assert.equal(started.json.status, "exited", "the command itself ended");
    assert.equal(started.json.exit_code, 0);
    assert.ok(started.json.box?.id?.startsWith("box_"), "the answer names the box");
    assert.equal(started.json.background?.length, 1, JSON.stringify(started.json));
    assert.match(started.json.background[0].command, /^node -e /);
    assert.match(started.json.message, /left 1 process running/);

    const reached = await server.post("exec_command", { command: `node probe.cjs direct "http://127.0.0.1:$(cat /tmp/port-${RUN})/"` });
    assert.equal(reached.status, 200, reached.text);
    assert.match(reached.json.stdout, new RegExp(`GOT:${marker}`), JSON.stringify(reached.json));
    assert.equal(reached.json.box.id, started.json.box.id, "the same box");

    const listed = await server.post("list_commands", {});
    const row = listed.json.commands.find((c: { job_id: string }) => c.job_id === started.json.job_id);
    assert.ok(row, "the job is still listed");
    assert.equal(row.status, "exited");
    assert.equal(row.background?.length, 1, "with its background process");

    const killed = await server.post("kill_command", { job_id: started.json.job_id });
    assert.equal(killed.status, 200, killed.text);
    assert.equal(killed.json.status, "exited", "a finished job keeps its status");
    assert.equal(killed.json.background, undefined, "nothing is left in the background");
    const after = await server.post("exec_command", { command: `node probe.cjs direct "http://127.0.0.1:$(cat /tmp/port-${RUN})/"` });
    assert.match(after.json.stdout, /ERR:ECONNREFUSED/, "the server is gone");
  });

  test("list_commands shows the first 3 background processes of a command; its own answer lists them all (up to 20)", async () => {
    const s = `${500 + Math.floor(Math.random() * 400)}.${Date.now() % 100000}`;
    const started = await server.post("exec_command", { command: `for i in 1 2 3 4 5; do sleep ${s} & done; echo ok` });
    assert.equal(started.json.background?.length, 5, started.text);
    const row = (await server.post("list_commands", {})).json.commands.find((c: { job_id: string }) => c.job_id === started.json.job_id);
    assert.equal(row.background.length, 3);
    await server.post("kill_command", { job_id: started.json.job_id });
    assert.ok(await noneRunning(["sleep", s]));
  });

  test("/tmp lasts between commands of the box", async () => {
    const wrote = await server.post("exec_command", { command: `echo kept-${RUN} > /tmp/keep-${RUN}` });
    assert.equal(wrote.json.exit_code, 0, wrote.text);
    const read = await server.post("exec_command", { command: `cat /tmp/keep-${RUN}` });
    assert.equal(read.json.stdout, `kept-${RUN}\n`);
    assert.equal(existsSync(`/tmp/keep-${RUN}`), false, "the box's /tmp is its own, not the host's");
  });

  test("the host's loopback stays out of reach, directly and through the proxy", async () => {
    const direct = await server.post("exec_command", { command: `node probe.cjs direct http://127.0.0.1:${host.port}/` });
    assert.match(direct.json.stdout, /ERR:ECONNREFUSED/, "127.0.0.1 in the box is the box's own loopback");
    assert.doesNotMatch(direct.text, new RegExp(`host-secret-${RUN}`));
    for (const network of [false, true]) {
      const proxied = await server.post("exec_command", { command: `node probe.cjs proxy host.sandbox.internal:${host.port}`, network });
      assert.match(proxied.json.stdout, /^PROXY:HTTP\/1\.1 403/, proxied.text);
      assert.doesNotMatch(proxied.text, new RegExp(`host-secret-${RUN}`), `network ${network}: the host's service is not reachable`);
      assert.ok(proxied.json.network_denied?.length >= 1, JSON.stringify(proxied.json));
      assert.equal(proxied.json.network_denied[0].port, host.port);
      assert.match(proxied.json.network_denied[0].reason, network ? /loopback|private/ : /without network/);
    }
  });

  test("proxy credentials: a job's end ends them; a wrong secret gets nothing; neither is put on another job's record", async () => {
    // A command given network prints its own credentials; once it is gone, a later command without network tries them.
    const granted = await server.post("exec_command", { command: 'printf %s "$HTTP_PROXY"', network: true });
    assert.match(granted.json.stdout, /^http:\/\/job_[0-9a-f]+:[^@]+@127\.0\.0\.1:\d+$/, granted.text);
    const stolen = new URL(granted.json.stdout);
    const reuse = `HTTP_PROXY='http://${stolen.username}:${stolen.password}@${stolen.host}' node probe.cjs proxy example.invalid:80`;
    let reused = await server.post("exec_command", { command: reuse });
    // The job's end reaches the server a moment after its answer (the box reports it gone): bounded retries.
    for (let i = 0; i < 50 && !/no valid proxy credentials/.test(reused.json.stdout); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      reused = await server.post("exec_command", { command: reuse });
    }
    assert.match(reused.json.stdout, /^PROXY:HTTP\/1\.1 403 .*\|chatgpt-codex: no valid proxy credentials/s, reused.text);
    assert.equal(reused.json.network_denied, undefined, "the refusal is not put on the command that tried");
    const wrong = await server.post("exec_command", { command: `HTTP_PROXY="$(echo "$HTTP_PROXY" | sed 's/:[^:@]*@/:wrong-secret@/')" node probe.cjs proxy example.invalid:80` });
    assert.match(wrong.json.stdout, /^PROXY:HTTP\/1\.1 403 .*\|chatgpt-codex: wrong proxy credentials/s, wrong.text);
    assert.equal(wrong.json.network_denied, undefined);
    const after = await server.post("command_output", { job_id: granted.json.job_id });
    assert.equal(after.json.network_denied, undefined, "the stolen name's own job shows no refusal it did not cause");
  });

  test("tool caches live in the box's own home, never in the user's", async () => {
    const reply = await server.post("exec_command", { command: `echo "$npm_config_cache"; echo "$XDG_CACHE_HOME"; mkdir -p "$npm_config_cache" && touch "$npm_config_cache/probe-${RUN}" && echo wrote` });
    assert.equal(reply.json.exit_code, 0, reply.text);
    const [npmCache, xdg] = reply.json.stdout.split("\n");
    assert.ok(npmCache.startsWith(join(process.env.XDG_CACHE_HOME!, "chatgpt-codex", "boxes")), npmCache);
    assert.ok(xdg.startsWith(join(process.env.XDG_CACHE_HOME!, "chatgpt-codex", "boxes")), xdg);
    assert.ok(existsSync(join(npmCache, `probe-${RUN}`)), "kept on the host for the next box");
    assert.equal(existsSync(join(homedir(), ".npm", `probe-${RUN}`)), false);
  });

  test("a command without network learns why the proxy refused it", async () => {
    const reply = await server.post("exec_command", { command: "node probe.cjs proxy example.invalid:443" });
    assert.equal(reply.status, 200, reply.text);
    assert.ok(reply.json.network_denied?.length >= 1, JSON.stringify(reply.json));
    assert.equal(reply.json.network_denied[0].host, "example.invalid");
    assert.match(reply.json.stdout, /^PROXY:HTTP\/1\.1 403/);
    assert.match(reply.json.network_denied[0].reason, /network: true/);
  });

  test("background processes end with the server (the box ends)", async () => {
    const own = await startServer(makeHome());
    const s = `${400 + Math.floor(Math.random() * 500)}.${Date.now() % 100000}`;
    const started = await own.post("exec_command", { command: `sleep ${s} & echo ok` });
    assert.equal(started.json.background?.length, 1, started.text);
    assert.ok(await someRunning(["sleep", s]), "it runs after its command ended");
    await own.close();
    assert.ok(await noneRunning(["sleep", s]), "the box took it along");
  });
});

describe("the box's cache folders", () => {
  test("one folder per workspace under XDG_CACHE_HOME/chatgpt-codex/boxes", NEEDS, () => {
    const boxes = join(process.env.XDG_CACHE_HOME!, "chatgpt-codex", "boxes");
    assert.ok(!existsSync(boxes) || readdirSync(boxes).every((name) => /^[0-9a-f]{16}$/.test(name)));
  });
});
