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

test("10 MB of output stays within the response budget on every read, with an omitted-bytes marker", async () => {
  const started = await server.post("exec_command", { command: "yes 'line of output' | head -c 10485760; echo tail-end", wait_seconds: 20 });
  assert.equal(started.status, 200, started.text.slice(0, 300));
  assert.ok(started.text.length < RESPONSE_LIMIT, `first answer is ${started.text.length} characters`);
  assert.equal(started.json.truncated, true);
  assert.equal(started.json.has_more_output, true);
  assert.match(started.json.message, /command_output/);

  let stdout = started.json.stdout as string;
  let reply = started;
  for (let calls = 0; calls < 20 && (reply.json.has_more_output || reply.json.status === "running"); calls++) {
    reply = await server.post("command_output", { job_id: started.json.job_id, wait_seconds: 5 });
    assert.ok(reply.text.length < RESPONSE_LIMIT, `a page is ${reply.text.length} characters`);
    stdout += reply.json.stdout;
  }
  assert.equal(reply.json.status, "exited");
  assert.equal(reply.json.has_more_output, false);
  assert.match(stdout, /\[… \d+ bytes omitted …\]/, "the dropped middle is shown as one marker");
  assert.ok(stdout.trimEnd().endsWith("tail-end"), "the end of the output is kept");
  assert.ok(stdout.startsWith("line of output\n"), "the start of the output is kept");
  assert.ok(stdout.length < 1_000_000, "only head and tail are kept in memory");
});

test("output full of characters JSON must escape still fits the budget", async () => {
  const reply = await server.post("exec_command", { command: `yes '"\\\\"\\\\' | head -c 400000`, wait_seconds: 20 });
  assert.equal(reply.status, 200);
  assert.ok(reply.text.length < RESPONSE_LIMIT, `answer is ${reply.text.length} characters`);
  assert.equal(reply.json.has_more_output, true);
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
