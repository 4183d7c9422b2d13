/**
 * Stdin is code (contract §14, issue 19 item 3), against a real server and
 * real shells: what write_stdin sends to a shell started with stdin "open"
 * passes the command policy first; a refused line answers 403
 * BLOCKED_BY_POLICY and reaches nothing. Each attack first shows its
 * precondition (the shell runs what it is sent; the file is really
 * modified; the marker really exists), then that it is stopped.
 * Under local approvals an open-stdin shell is refused, and a held card
 * says when stdin is open.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { ApprovalQueue } from "../../src/approvals/queue.js";
import { updateConfig } from "../../src/config/store.js";
import { promptApprovalsInTerminal } from "../../src/dashboard/terminalPrompt.js";
import { get, login, post, startWithDashboard } from "../dashboard/helpers.js";
import { makeHome, startServer, tempDir, type TestServer, unsandboxedHome, waitFor } from "../helpers.js";

const GIT = ["-c", "user.name=Dev", "-c", "user.email=dev@example.com", "-c", "commit.gpgsign=false"];

/** A repository with one committed file that is modified, not committed: what `git reset --hard` would throw away. */
function modifiedRepo(workspace: string, name: string): string {
  const repo = join(workspace, name);
  mkdirSync(repo, { recursive: true });
  execFileSync("git", ["init", "-q", repo]);
  writeFileSync(join(repo, "a.txt"), "committed\n");
  execFileSync("git", [...GIT, "-C", repo, "add", "a.txt"]);
  execFileSync("git", [...GIT, "-C", repo, "commit", "-q", "-m", "first"]);
  writeFileSync(join(repo, "a.txt"), "uncommitted work\n");
  return repo;
}

function porcelain(repo: string): string {
  return execFileSync("git", ["-C", repo, "status", "--porcelain"], { encoding: "utf8" });
}

/** A folder outside the workspace holding a marker file: what a refused `rm -rf` would delete. */
function outsideMarker(): { dir: string; marker: string } {
  const dir = join(tempDir("cgc-outside-"), "precious");
  mkdirSync(dir);
  const marker = join(dir, "marker.txt");
  writeFileSync(marker, "keep me\n");
  return { dir, marker };
}

async function startInteractive(server: TestServer, command: string, cwd = "."): Promise<string> {
  const started = await server.post("exec_command", { command, cwd, stdin: "open", wait_seconds: 0, timeout_seconds: 120 });
  assert.equal(started.status, 200, started.text);
  assert.equal(started.json.status, "running", `${command}: ${started.text}`);
  return started.json.job_id as string;
}

async function send(server: TestServer, jobId: string, input: string, extra: Record<string, unknown> = {}) {
  return server.post("write_stdin", { job_id: jobId, input, wait_seconds: 3, ...extra });
}

/** Send a line and read stdout until `expected` shows (bounded): the shell is alive and runs what it is sent. */
async function runs(server: TestServer, jobId: string, line: string, expected: RegExp): Promise<string> {
  const first = await send(server, jobId, line);
  assert.equal(first.status, 200, first.text);
  let out = `${first.json.stdout}${first.json.stderr}`;
  for (let i = 0; i < 20 && !expected.test(out); i++) {
    const next = await server.post("command_output", { job_id: jobId, wait_seconds: 1 });
    out += `${next.json.stdout ?? ""}${next.json.stderr ?? ""}`;
  }
  assert.match(out, expected, `${JSON.stringify(line)} ran`);
  return out;
}

function assertBlocked(reply: { status: number; json: { error?: { code: string; message: string; details?: { rule?: string } } }; text: string }, rule: string): void {
  assert.equal(reply.status, 403, reply.text);
  assert.equal(reply.json.error?.code, "BLOCKED_BY_POLICY");
  assert.equal(reply.json.error?.details?.rule, rule, reply.text);
  assert.match(reply.json.error?.message ?? "", /nothing was sent/);
}

for (const [label, fixture] of [
  ["without the OS sandbox", unsandboxedHome],
  ["with the default sandbox setting", () => makeHome()],
] as const) {
  describe(`write_stdin to a shell is checked like exec_command (${label})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(fixture());
    });
    after(async () => server.close());

    it("`git reset --hard` sent to bash: 403, and the uncommitted work is still there", async () => {
      const repo = modifiedRepo(server.workspace, "repo");
      assert.equal(porcelain(repo), " M a.txt\n", "precondition: a.txt holds uncommitted work");
      const refusedDirect = await server.post("exec_command", { command: "git reset --hard", cwd: "repo" });
      assert.equal(refusedDirect.json.error?.details?.rule, "git-reset-hard", "precondition: exec_command refuses it");

      const job = await startInteractive(server, "bash", "repo");
      await runs(server, job, "echo alive-$((6*7))\n", /alive-42/); // the shell runs what it is sent
      const refused = await send(server, job, "git reset --hard\n");
      assertBlocked(refused, "git-reset-hard");
      await runs(server, job, "git status --porcelain; echo status-done\n", / M a\.txt\n[\s\S]*status-done/);
      assert.equal(readFileSync(join(repo, "a.txt"), "utf8"), "uncommitted work\n");
      assert.equal(porcelain(repo), " M a.txt\n");
      await server.post("kill_command", { job_id: job });
    });

    it("a line split over two writes (`git res` + `et --hard\\n`) is caught; the harmless half reached the shell, the refused half did not", async () => {
      const repo = modifiedRepo(server.workspace, "split");
      const job = await startInteractive(server, "bash", "split");
      const half = await send(server, job, "git res", { wait_seconds: 0 });
      assert.equal(half.status, 200, half.text);
      const refused = await send(server, job, "et --hard\n");
      assertBlocked(refused, "git-reset-hard");
      assert.match(refused.json.error.hint, /unfinished text "git res"/);
      // Ending the line now runs only what the shell holds: `git res`, an unknown git command.
      const out = await runs(server, job, "\n", /'res' is not a git command/);
      assert.doesNotMatch(out, /HEAD is now at/);
      assert.equal(porcelain(repo), " M a.txt\n");
      await server.post("kill_command", { job_id: job });
    });
  });
}

describe("write_stdin to a shell: what a refused line would have touched stays untouched", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(unsandboxedHome());
  });
  after(async () => server.close());

  it("`rm -rf` of a folder outside: refused whole, refused unfinished (closing the input would run it), refused after a cd", async () => {
    const { dir, marker } = outsideMarker();
    const job = await startInteractive(server, "bash");
    await runs(server, job, `test -f '${marker}' && echo marker-seen\n`, /marker-seen/); // the shell reaches it
    assertBlocked(await send(server, job, `rm -rf '${dir}'\n`), "recursive-delete");
    assertBlocked(await send(server, job, `rm -rf '${dir}'`), "recursive-delete");
    assert.equal((await send(server, job, `cd '${dirname(dir)}'\n`)).status, 200);
    assertBlocked(await send(server, job, `rm -rf ${basename(dir)}\n`), "recursive-delete");
    // At the end of input a shell runs its unfinished last line: the reason an unfinished `rm -rf` is refused at once.
    assert.equal((await send(server, job, `touch '${join(server.workspace, "eof-ran.txt")}'`, { wait_seconds: 0 })).status, 200);
    assert.equal(existsSync(join(server.workspace, "eof-ran.txt")), false, "an unfinished line waits");
    const closed = await send(server, job, "", { close: true, wait_seconds: 5 });
    assert.equal(closed.status, 200, closed.text);
    await waitFor(async () => (await server.post("command_output", { job_id: job, wait_seconds: 1 })).json.status === "exited", "the shell ends at end of input");
    assert.equal(existsSync(join(server.workspace, "eof-ran.txt")), true, "precondition: closing the input ran the unfinished line");
    assert.equal(readFileSync(marker, "utf8"), "keep me\n");
  });

  it("shells however started are recognised: env bash, sh -i, bash -s, exec bash, nice bash, script", async () => {
    const { dir, marker } = outsideMarker();
    const commands = ["env bash", "/usr/bin/env -i PATH=/usr/bin:/bin bash", "sh -i", "bash -s", "exec bash", "nice bash", "cd sub && bash"];
    mkdirSync(join(server.workspace, "sub"), { recursive: true });
    // `script` gives the shell a terminal of its own (util-linux spelling).
    if (process.platform === "linux" && spawnSync("script", ["--version"]).status === 0) commands.push("script -q -c bash /dev/null", "script -q /dev/null");
    for (const [n, command] of commands.entries()) {
      const job = await startInteractive(server, command);
      await runs(server, job, `echo ran-${n}-$((${n}+100))\n`, new RegExp(`ran-${n}-${n + 100}`));
      const refused = await send(server, job, `rm -rf '${dir}'\n`);
      assertBlocked(refused, "recursive-delete");
      assertBlocked(await send(server, job, "git reset --hard\n"), "git-reset-hard");
      await server.post("kill_command", { job_id: job });
    }
    assert.ok(existsSync(marker), "the marker outside survived every shell");
  });

  it("a line editor's keys and history expansion are refused: \\r ends a line in bash -i, ^old^new re-runs", async () => {
    const job = await startInteractive(server, "bash -i");
    await runs(server, job, "echo editor-$((1+1))\n", /editor-2/);
    assertBlocked(await send(server, job, "echo a\rtouch cr-ran.txt\n"), "stdin-line-editing");
    assertBlocked(await send(server, job, "^a^b\n"), "stdin-line-editing");
    await runs(server, job, "ls; echo listed\n", /listed/);
    assert.equal(existsSync(join(server.workspace, "cr-ran.txt")), false);
    await server.post("kill_command", { job_id: job });
  });

  it("a line longer than a terminal keeps is refused to a shell behind `script` (the terminal would cut it, changing how it parses)", async (t) => {
    if (process.platform !== "linux" || spawnSync("script", ["--version"]).status !== 0) return t.skip("util-linux script is not installed here");
    // Precondition: a terminal in line mode hands on at most 4095 bytes of a line (plus its newline). `wc -c` is not a shell: unchecked.
    const counter = await startInteractive(server, "script -q -c 'stty -echo; wc -c' /dev/null");
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await send(server, counter, `${"a".repeat(5000)}\n`, { wait_seconds: 0 })).status, 200);
    const counted = await send(server, counter, "\u0004", { wait_seconds: 5 });
    let out = `${counted.json.stdout}`;
    for (let i = 0; i < 10 && !/\d+/.test(out); i++) out += (await server.post("command_output", { job_id: counter, wait_seconds: 1 })).json.stdout;
    assert.match(out, /\b4096\b/, "the terminal cut the 5001-byte line to 4096");
    await server.post("kill_command", { job_id: counter });

    const job = await startInteractive(server, "script -q -c sh /dev/null");
    await runs(server, job, "echo tty-$((5*5))\n", /tty-25/);
    assertBlocked(await send(server, job, `x='${"a".repeat(4100)}'\n`), "stdin-line-editing");
    await server.post("kill_command", { job_id: job });
  });

  it("a program that is not a shell gets its text as given (cat; python3 when installed)", async (t) => {
    const cat = await startInteractive(server, "cat");
    const echoed = await send(server, cat, "git reset --hard; rm -rf /\n");
    assert.equal(echoed.status, 200, echoed.text);
    assert.equal(echoed.json.stdout, "git reset --hard; rm -rf /\n");
    await server.post("kill_command", { job_id: cat });
    if (spawnSync("python3", ["-c", "pass"]).status !== 0) return t.skip("python3 is not installed here (cat covers the case)");
    const py = await startInteractive(server, "python3");
    const answer = await send(server, py, 'print("rm -rf /"[::-1])\n', { close: true, wait_seconds: 10 });
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.json.stdout, /\/ fr- mr/);
  });

  it("a shell's input stays checked after the job's command defined a function of the same name", async () => {
    const repo = modifiedRepo(server.workspace, "shadow");
    const job = await startInteractive(server, "git() { echo fake; }; bash", "shadow");
    assertBlocked(await send(server, job, "git reset --hard\n"), "git-reset-hard");
    assert.equal(porcelain(repo), " M a.txt\n");
    await server.post("kill_command", { job_id: job });
  });
});

describe("local approvals and open stdin", () => {
  let fx: Awaited<ReturnType<typeof startWithDashboard>>;
  before(async () => {
    fx = await startWithDashboard((config) => {
      config.approvals.commands = "local";
      config.sandbox.mode = "off";
    });
  });
  after(async () => fx.close());

  it("an open-stdin shell is refused (nothing held); a non-shell is held with stdin: open on its card; a closed one says closed", async () => {
    const session = await login(fx);
    for (const command of ["bash", "env bash", "sh -s"]) {
      const refused = await fx.api.post("exec_command", { command, stdin: "open", wait_seconds: 0 });
      assert.equal(refused.status, 403, refused.text);
      assert.equal(refused.json.error.code, "BLOCKED_BY_POLICY");
      assert.equal(refused.json.error.details.rule, "open-stdin-shell-local-approvals");
      assert.match(refused.json.error.hint, /exec_command/);
    }
    const shellClosed = await fx.api.post("exec_command", { command: "bash", wait_seconds: 0 });
    assert.equal(shellClosed.json.status, "awaiting_approval", "the same shell with stdin closed is held as usual");
    const held = await fx.api.post("exec_command", { command: "cat", stdin: "open", wait_seconds: 0 });
    assert.equal(held.json.status, "awaiting_approval", held.text);

    const state = await get(fx, session, "/api/state");
    const pending = state.json.approvals.pending as Array<{ id: string; command: string; stdin: string }>;
    assert.deepEqual(pending.map((h) => [h.command, h.stdin]), [["bash", "closed"], ["cat", "open"]], "only the two held ones, each with its stdin");

    assert.equal((await post(fx, session, `/api/approvals/${held.json.job_id}/approve`)).status, 200);
    const typed = await fx.api.post("write_stdin", { job_id: held.json.job_id, input: "typed after approval\n", wait_seconds: 5 });
    assert.equal(typed.status, 200, typed.text);
    assert.equal(typed.json.stdout, "typed after approval\n");
    await fx.api.post("kill_command", { job_id: held.json.job_id });
    await post(fx, session, `/api/approvals/${shellClosed.json.job_id}/deny`);
  });

  it("a shell started before local approvals were switched on gets no more input", async () => {
    updateConfig(fx.api.home, (c) => void (c.approvals.commands = "chatgpt"));
    let job: string;
    try {
      job = await startInteractive(fx.api, "bash");
      await runs(fx.api, job, "echo before-$((2+2))\n", /before-4/);
    } finally {
      updateConfig(fx.api.home, (c) => void (c.approvals.commands = "local"));
    }
    const refused = await send(fx.api, job, "touch after-switch.txt\n");
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json.error.details.rule, "open-stdin-shell-local-approvals");
    await fx.api.post("kill_command", { job_id: job });
    assert.equal(existsSync(join(fx.api.workspace, "after-switch.txt")), false);
  });

  it("the up terminal's question says stdin: open", async () => {
    const queue = new ApprovalQueue();
    const input = new PassThrough();
    let output = "";
    const stop = promptApprovalsInTerminal(queue, input, (text) => (output += text));
    try {
      const request = (command: string, stdin: "open" | "closed") => ({ command, audited: command, cwd: ".", workspace: "ws", expiresInMs: 60_000, stdin, start: () => undefined });
      const closed = queue.hold(request("echo closed", "closed"));
      assert.equal(closed.stdin, "closed");
      assert.match(output, /echo closed\n\(y = approve/);
      assert.doesNotMatch(output, /stdin: open/);
      input.write("n\n");
      await waitFor(() => queue.get(closed.id)?.status === "denied", "the first question answered");
      const open = queue.hold(request("python3", "open"));
      assert.equal(open.stdin, "open");
      await waitFor(() => output.includes("python3"), "the second question");
      assert.match(output, /python3\n {2}stdin: open .*标准输入：打开/);
    } finally {
      stop();
      queue.close();
    }
  });
});

describe("the MCP face checks a shell's input the same way", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(unsandboxedHome());
  });
  after(async () => server.close());

  it("write_stdin through MCP: git reset --hard refused, an allowed line runs", async () => {
    const repo = modifiedRepo(server.workspace, "repo");
    const client = new Client({ name: "stdin-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${server.token}` } } }));
    try {
      const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult;
      const textOf = (result: CallToolResult) => (result.content[0] as { text: string }).text;
      const started = JSON.parse(textOf(await call("exec_command", { command: "bash", cwd: "repo", stdin: "open", wait_seconds: 1 }))) as { job_id: string; status: string };
      assert.equal(started.status, "running");
      const refused = await call("write_stdin", { job_id: started.job_id, input: "git reset --hard\n", wait_seconds: 2 });
      assert.equal(refused.isError, true);
      assert.match(textOf(refused), /^BLOCKED_BY_POLICY: .*git-reset-hard/);
      const ok = await call("write_stdin", { job_id: started.job_id, input: "echo mcp-$((3*3))\n", wait_seconds: 3 });
      assert.notEqual(ok.isError, true, textOf(ok));
      assert.match(textOf(ok), /mcp-9/);
      await call("kill_command", { job_id: started.job_id });
      assert.equal(porcelain(repo), " M a.txt\n");
    } finally {
      await client.close();
    }
  });
});
