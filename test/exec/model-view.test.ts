/**
 * What a model sees of command output (contract §7), through the real
 * server: a failing ~600 KB test run whose failures sit in the middle,
 * progress bars, line-range and pattern reads with paging, and the answer
 * limits.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { getPath, startServer, type TestServer } from "../helpers.js";
import { FAILING_TEST, tapRunScript } from "./fixtures.js";

const RESPONSE_LIMIT = 100_000;
let server: TestServer;

before(async () => {
  server = await startServer();
  writeFileSync(join(server.workspace, "run-tests.js"), tapRunScript());
});

after(async () => {
  await server.close();
});

test("a failing 600 KB test run: the failing test is found through highlights and one pattern read", async (t) => {
  const run = await server.post("exec_command", { command: "node run-tests.js", wait_seconds: 30 });
  assert.equal(run.status, 200, run.text.slice(0, 300));
  assert.equal(run.json.status, "exited");
  assert.equal(run.json.exit_code, 1);
  assert.ok(run.json.output_lines > 15_000, `${run.json.output_lines} lines`);
  assert.ok(run.text.length <= 26_000, `the first answer is ${run.text.length} characters`);
  assert.equal(run.json.truncated, true);
  // The failing test is in the left-out middle, but highlighted, with its line number.
  assert.ok(!(run.json.stdout as string).includes(FAILING_TEST), "the failure sits in the part the answer leaves out");
  const highlights = run.json.highlights as { line: number; stream: string; text: string }[];
  const notOk = highlights.find((h) => h.text.startsWith("not ok") && h.text.includes(FAILING_TEST));
  assert.ok(notOk, `the failing test is highlighted: ${JSON.stringify(highlights.map((h) => h.text))}`);
  assert.equal(notOk.stream, "stdout");
  assert.ok(highlights.some((h) => h.stream === "stderr" && /coverage/.test(h.text)), "the threshold error is highlighted too");
  assert.ok(highlights.length <= 20);
  for (let i = 1; i < highlights.length; i++) assert.ok(highlights[i]!.line > highlights[i - 1]!.line, "highlights are in output order");
  assert.ok(!highlights.some((h) => /^ok \d+/.test(h.text)), "passing tests with failure words in their names are not highlighted");
  assert.ok(!highlights.some((h) => /^# (fail|cancelled|skipped) 0$/.test(h.text)), "zero counts are not highlighted");
  assert.match(run.json.message, /highlights/);
  assert.match(run.json.message, /pattern/);

  // Read around it: by pattern (what the message suggests) ...
  const found = await server.post("command_output", { job_id: run.json.job_id, pattern: "^not ok", context_lines: 20 });
  assert.equal(found.status, 200, found.text);
  assert.equal(found.json.matches, 2);
  const output = found.json.output as string;
  assert.ok(output.includes(`${notOk.line}: not ok`), "the match carries its line number");
  assert.match(output, /expected: 29/);
  assert.match(output, /actual: 1/);
  assert.match(output, /src\/parse\.js:118/);
  assert.match(output, /^--$/m, "groups are separated");
  assert.equal(found.json.next_start_line, undefined);
  assert.ok(found.text.length <= 26_000);
  // ... or by line numbers from the highlight.
  const range = await server.post("command_output", { job_id: run.json.job_id, start_line: notOk.line, end_line: notOk.line + 20 });
  assert.match(range.json.output, /1 !== 29/);
  assert.equal((range.json.output as string).split("\n").length, 21);

  t.diagnostic(`after: 2 calls, ${run.text.length + found.text.length} characters to see the failing test and its assertion`);
});

test("progress bars: carriage-return rewrites collapse to the last state of the line", async () => {
  writeFileSync(
    join(server.workspace, "progress.js"),
    `const w = (s) => process.stdout.write(s);
let i = 0;
const step = () => {
  if (i <= 100) { w("\\rDownloading [" + "#".repeat(i / 5).padEnd(20) + "] " + i + "%\\u001b[K"); i += 5; setTimeout(step, 5); return; }
  w("\\n"); w("Installing 1/3\\rInstalling 2/3\\rInstalling 3/3\\r\\n"); w("done\\r\\n");
  process.stderr.write("warn: 1\\rwarn: 2\\n");
};
step();`,
  );
  const reply = await server.post("exec_command", { command: "node progress.js" });
  assert.equal(reply.json.status, "exited");
  assert.equal(reply.json.stdout, "Downloading [####################] 100%\nInstalling 3/3\ndone\n");
  assert.equal(reply.json.stderr, "warn: 2\n");
  assert.equal(reply.json.output_lines, 4);
});

test("stdout and stderr share one line numbering, in the order lines were written", async () => {
  const reply = await server.post("exec_command", { command: "echo a; sleep 0.1; echo b >&2; sleep 0.1; echo c; sleep 0.1; printf 'no newline'" });
  assert.equal(reply.json.stdout, "a\nc\nno newline");
  assert.equal(reply.json.stderr, "b\n");
  assert.equal(reply.json.output_lines, 4);
  const lines = await server.post("command_output", { job_id: reply.json.job_id, start_line: 1 });
  assert.equal(lines.json.output, "1: a\n2: [stderr] b\n3: c\n4: no newline");
});

test("pattern reads page with next_start_line until every match was shown", async () => {
  const script = "for i in $(seq 1 3000); do if [ $((i % 100)) -eq 0 ]; then echo \"ERROR at item $i\"; else echo \"item $i is fine\"; fi; done";
  const run = await server.post("exec_command", { command: script, wait_seconds: 30 });
  assert.equal(run.json.status, "exited");
  const seen: number[] = [];
  let start: number | undefined = 1;
  let calls = 0;
  while (start !== undefined && calls < 20) {
    const page = await server.post("command_output", { job_id: run.json.job_id, pattern: "error AT", context_lines: 3, start_line: start, max_chars: 2_000 });
    assert.equal(page.status, 200, page.text);
    assert.ok(page.text.length < 2_000 + 6_000, `a page is ${page.text.length} characters`);
    for (const match of (page.json.output as string).matchAll(/^(\d+): ERROR at item (\d+)$/gm)) {
      assert.equal(match[1], match[2], "line numbers are the output's");
      seen.push(Number(match[1]));
    }
    if (page.json.next_start_line !== undefined) assert.ok(page.json.next_start_line > start, "paging moves forward");
    start = page.json.next_start_line;
    calls++;
  }
  assert.ok(calls > 1, "the matches needed several pages");
  assert.deepEqual(seen, Array.from({ length: 30 }, (_, i) => (i + 1) * 100), "every match once, in order");

  const part = await server.post("command_output", { job_id: run.json.job_id, pattern: "error", start_line: 450, end_line: 1_000, context_lines: 0 });
  assert.equal(part.json.matches, 6);
  assert.equal(part.json.output, [500, 600, 700, 800, 900, 1000].map((n) => `${n}: ERROR at item ${n}`).join("\n").replace(/\n(?=\d)/g, "\n--\n"));

  const none = await server.post("command_output", { job_id: run.json.job_id, pattern: "segfault" });
  assert.equal(none.json.matches, 0);
  assert.match(none.json.message, /No line matches/);

  const clamped = await server.post("command_output", { job_id: run.json.job_id, pattern: "item 1501 ", context_lines: 500 });
  assert.equal(clamped.status, 200, clamped.text);
  assert.equal((clamped.json.output as string).split("\n").length, 41, "context_lines above 20 is clamped to 20");
});

test("line numbers, context and sizes have real bounds: 400 below the minimum, clamped above", async () => {
  const run = await server.post("exec_command", { command: "seq 1 50" });
  const id = run.json.job_id;
  for (const body of [
    { job_id: id, start_line: 0 },
    { job_id: id, start_line: -5 },
    { job_id: id, end_line: 0 },
    { job_id: id, start_line: 1.5 },
    { job_id: id, context_lines: -1, pattern: "1" },
    { job_id: id, max_chars: 10 },
    { job_id: id, start_line: 10, end_line: 5 },
    { job_id: id, wait_seconds: -1 },
  ]) {
    const reply = await server.post("command_output", body);
    assert.equal(reply.status, 400, `${JSON.stringify(body)}: ${reply.text}`);
    assert.equal(reply.json.error.code, "BAD_REQUEST");
  }
  const past = await server.post("command_output", { job_id: id, start_line: 10 ** 12 });
  assert.equal(past.status, 200, "a huge start_line is clamped, not refused");
  assert.equal(past.json.output, "");
  assert.match(past.json.message, /past its end/);
  const over = await server.post("exec_command", { command: "true", wait_seconds: 10 ** 6, timeout_seconds: 10 ** 9 });
  assert.equal(over.status, 200);
  // max_chars above its maximum: a page of a long output is cut at 80,000, not at the huge value asked for.
  const long = await server.post("exec_command", { command: "seq 1 40000" });
  const wide = await server.post("command_output", { job_id: long.json.job_id, start_line: 1, max_chars: 10 ** 9 });
  assert.equal(wide.status, 200, wide.text.slice(0, 300));
  const shown = (wide.json.output as string).length;
  assert.ok(shown > 24_000 && shown <= 80_000, `${shown} characters: above the default, at most the maximum`);
  assert.ok(wide.json.next_start_line > 1, "the rest is left for the next page");

  const doc = (await getPath(server.url, "/openapi.json")).json;
  for (const name of ["exec_command", "command_output", "kill_command", "list_commands", "write_stdin"]) {
    const operation = JSON.stringify(doc.paths[`/${name}`]);
    assert.ok(!operation.includes("9007199254740991"), `${name}: no ±2^53 bounds in the document`);
  }
  const props = doc.paths["/command_output"].post.requestBody.content["application/json"].schema.properties;
  assert.equal(props.start_line.minimum, 1);
  assert.equal(props.context_lines.maximum, undefined, "above the maximum is clamped, so the document names it in the description");
  assert.match(props.context_lines.description, /max 20/);
  assert.match(props.max_chars.description, /max 80000/);
  assert.equal(props.max_chars.default, 24_000);
  for (const name of ["list_commands", "write_stdin"]) {
    assert.equal(doc.paths[`/${name}`].post.operationId, name, "new actions use the action name as operationId");
    assert.ok(doc.paths[`/${name}`].post.summary.length <= 300);
  }
});

test("catastrophic and malformed patterns are refused, and the server keeps answering", async () => {
  const run = await server.post("exec_command", { command: "for i in $(seq 1 200); do printf 'a%.0s' $(seq 1 40); echo b; done" });
  assert.equal(run.json.status, "exited");
  const bad = await server.post("command_output", { job_id: run.json.job_id, pattern: "(" });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /not a valid regular expression/);
  const tooLong = await server.post("command_output", { job_id: run.json.job_id, pattern: "a".repeat(501) });
  assert.equal(tooLong.status, 400);
  const slow = server.post("command_output", { job_id: run.json.job_id, pattern: "^(a+)+$" });
  // While the pattern runs in its own thread, the server answers other calls.
  const health = await getPath(server.url, "/health");
  assert.equal(health.status, 200);
  const refused = await slow;
  assert.equal(refused.status, 400, refused.text);
  assert.match(refused.json.error.message, /took too long/);
  assert.match(refused.json.error.hint, /simpler pattern/);
});

test("no answer passes 100,000 characters, whatever is asked", async () => {
  writeFileSync(
    join(server.workspace, "wide.js"),
    'for (let i = 0; i < 400; i++) { process.stdout.write("Error: " + "x".repeat(3000) + "\\n"); process.stderr.write(\'"\\\\\'.repeat(1000) + "\\n"); }',
  );
  const run = await server.post("exec_command", {
    command: "node wide.js",
    wait_seconds: 30,
  });
  assert.equal(run.status, 200);
  assert.ok(run.text.length < 26_000, `default answer ${run.text.length}`);
  assert.equal(run.json.highlights.length, 20);
  assert.ok(run.json.highlights.every((h: { text: string }) => h.text.length <= 300), "highlight texts are cut");
  assert.equal(run.json.highlights_total, 400);
  for (const body of [
    { job_id: run.json.job_id, from_start: true, max_chars: 10 ** 9 },
    { job_id: run.json.job_id, start_line: 1, max_chars: 10 ** 9 },
    { job_id: run.json.job_id, pattern: "error|\\\\", context_lines: 20, max_chars: 10 ** 9 },
  ]) {
    const reply = await server.post("command_output", body);
    assert.equal(reply.status, 200, reply.text.slice(0, 200));
    assert.ok(reply.text.length < RESPONSE_LIMIT, `${JSON.stringify(body)}: ${reply.text.length} characters`);
    assert.ok(reply.text.length > 60_000, "asking for more gives more");
  }
});
