/**
 * What a command's output becomes in an answer: within the response budget
 * even for 10 MB, safe text for invalid UTF-8, no colour codes, and never
 * the token or our own environment variables.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startServer, type TestServer } from "./helpers.js";

const RESPONSE_LIMIT = 100_000;
const MARKER_VARIABLE = "CHATGPT_CODEX_TEST_MARKER";
const MARKER_VALUE = "marker-value-7f3a9c";

let server: TestServer;

before(async () => {
  // Set before the server starts: commands inherit the server's environment.
  process.env[MARKER_VARIABLE] = MARKER_VALUE;
  server = await startServer();
  process.env.UNRELATED_HOLDING_TOKEN = `x-${server.token}-y`;
});

after(async () => {
  delete process.env[MARKER_VARIABLE];
  delete process.env.UNRELATED_HOLDING_TOKEN;
  await server.close();
});

test("10 MB of output: each answer stays small (head + tail + marker), and every line stays readable by number", async () => {
  const started = await server.post("exec_command", { command: "yes 'line of output' | head -c 10485760; echo tail-end", wait_seconds: 30 });
  assert.equal(started.status, 200, started.text.slice(0, 300));
  assert.equal(started.json.status, "exited");
  assert.ok(started.text.length < 26_000, `the default answer is ${started.text.length} characters`);
  assert.equal(started.json.truncated, true);
  assert.equal(started.json.has_more_output, false);
  assert.equal(started.json.output_lines, 699051);
  const stdout = started.json.stdout as string;
  assert.ok(stdout.startsWith("line of output\n"), "the start of the output is kept");
  assert.ok(stdout.trimEnd().endsWith("tail-end"), "the end of the output is kept");
  const marker = /\[… output lines (\d+)–(\d+) are not shown here; read them with command_output \{"job_id": "job_\w+", "start_line": \d+, "end_line": \d+\}/.exec(stdout);
  assert.ok(marker, "the left-out middle is one marker naming its lines");
  assert.match(started.json.message, /command_output/);

  // The middle is on disk: any line can be read by number, pages continue with next_start_line.
  const middle = await server.post("command_output", { job_id: started.json.job_id, start_line: 350_000, end_line: 350_002 });
  assert.equal(middle.json.output, "350000: line of output\n350001: line of output\n350002: line of output");
  assert.equal(middle.json.stdout, "");
  const page = await server.post("command_output", { job_id: started.json.job_id, start_line: 1, max_chars: 10 ** 9 });
  assert.ok(page.text.length < RESPONSE_LIMIT, `a page asked as large as possible is ${page.text.length} characters`);
  assert.equal(page.json.truncated, true);
  assert.ok(page.json.next_start_line > 1000);
  const next = await server.post("command_output", { job_id: started.json.job_id, start_line: page.json.next_start_line, end_line: page.json.next_start_line });
  assert.equal(next.json.output, `${page.json.next_start_line}: line of output`);
  const last = await server.post("command_output", { job_id: started.json.job_id, start_line: 699051 });
  assert.equal(last.json.output, "699051: line of outail-end", "head -c cut the last line; echo completed it");
  assert.equal(last.json.next_start_line, undefined);
});

test("output full of characters JSON must escape still fits the budget", async () => {
  const reply = await server.post("exec_command", { command: `yes '"\\\\"\\\\' | head -c 400000`, wait_seconds: 20 });
  assert.equal(reply.status, 200);
  assert.ok(reply.text.length < 26_000, `answer is ${reply.text.length} characters`);
  assert.equal(reply.json.truncated, true);
  const wide = await server.post("command_output", { job_id: reply.json.job_id, from_start: true, max_chars: 80_000 });
  assert.ok(wide.text.length < RESPONSE_LIMIT, `a wide answer is ${wide.text.length} characters`);
  assert.ok(wide.text.length > 60_000, "max_chars gives a larger answer when asked");
});

test("invalid UTF-8 becomes replacement characters, also across chunk boundaries", async () => {
  const reply = await server.post("exec_command", {
    command: "printf 'ok \\xff\\xfe end\\n'; head -c 300000 /dev/urandom; printf '\\xe2\\x82'; sleep 0.1; printf '\\xac euro\\n'",
    wait_seconds: 20,
  });
  assert.equal(reply.status, 200);
  assert.ok(reply.text.length < RESPONSE_LIMIT);
  assert.ok((reply.json.stdout as string).startsWith("ok \uFFFD\uFFFD end\n"));
  const all = await server.post("command_output", { job_id: reply.json.job_id, from_start: true, wait_seconds: 0 });
  let text = all.json.stdout as string;
  for (let i = 0; i < 20 && all.json.has_more_output; i++) {
    const next = await server.post("command_output", { job_id: reply.json.job_id, wait_seconds: 0 });
    text += next.json.stdout;
    if (!next.json.has_more_output) break;
  }
  assert.ok(text.endsWith("€ euro\n"), "a character split across two writes is decoded whole");
  assert.doesNotMatch(text, /[\x00-\x08\x0b\x0c\x0e-\x1f]/, "no control characters reach the model");
});

test("ANSI colour and cursor codes are stripped", async () => {
  const reply = await server.post("exec_command", {
    command: "printf '\\033[1;31mred\\033[0m \\033]0;title\\007plain\\033[2K\\n'; printf '\\033[3' >&2; sleep 0.1; printf '2mgreen\\033[0m\\n' >&2",
  });
  assert.equal(reply.json.stdout, "red plain\n");
  assert.equal(reply.json.stderr, "green\n");
});

test("the command's environment has none of our variables and no token text", async () => {
  const reply = await server.post("exec_command", { command: "env" });
  assert.equal(reply.status, 200);
  const env = reply.json.stdout as string;
  assert.ok(env.includes("PATH="), "the user's environment is passed on");
  assert.doesNotMatch(env, /CHATGPT_CODEX/i, "no variable of ours");
  assert.ok(!env.includes(MARKER_VALUE), "no value of our variables");
  assert.ok(!env.includes(server.token), "the token is nowhere in the environment");
  assert.doesNotMatch(env, /UNRELATED_HOLDING_TOKEN/, "a variable holding the token is dropped too");
});

test("the token is redacted from output even if a command prints it", async () => {
  const reply = await server.post("exec_command", { command: `printf '%s' ${server.token.slice(0, 20)}; sleep 0.1; printf '%s\\n' ${server.token.slice(20)}` });
  assert.equal(reply.status, 200);
  assert.ok(!reply.text.includes(server.token), "the token never reaches the answer");
  assert.equal(reply.json.stdout, "[redacted]\n");
});

test("the command runs in the requested folder with stdin closed", async () => {
  const made = await server.post("exec_command", { command: "mkdir -p sub/inner" });
  assert.equal(made.json.exit_code, 0);
  const reply = await server.post("exec_command", { command: "pwd; cat; echo read-done", cwd: "sub/inner" });
  assert.equal(reply.json.status, "exited");
  assert.equal(reply.json.stdout, `${server.workspace}/sub/inner\nread-done\n`);
});
