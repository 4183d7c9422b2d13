/**
 * Issue 21, round 2, through the real server on both faces (HTTP actions and
 * MCP tools):
 * - a watcher printed "1 failing", was read, then passed: later answers
 *   (command_output, kill_command) mark the old failure `old: true` and do
 *   not present it as current; highlights stay ordered by line.
 * - interactive programs (python3 -i, node -i) driven through write_stdin:
 *   each prompt is shown once across the answers, and the answers together
 *   hold exactly what the program printed.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { startServer, unsandboxedHome, type TestServer } from "../helpers.js";
import { call, connect, okBody, type Json } from "../mcp-helpers.js";
import { need, requires } from "../preconditions.js";

const PYTHON = need("needs python3 (apt-get install python3)", () => spawnSync("python3", ["-c", "pass"]).status === 0);

type Highlight = { line: number; stream: string; text: string; old?: boolean };
type Caller = (action: string, args: Json) => Promise<Json>;

let server: TestServer;
let client: Client;
const faces: Record<string, () => Caller> = {
  http: () => async (action, args) => {
    const reply = await server.post(action, args);
    assert.equal(reply.status, 200, `${action}: ${reply.text.slice(0, 400)}`);
    return reply.json as Json;
  },
  mcp: () => async (action, args) => okBody(await call(client, action, args)),
};

before(async () => {
  // No sandbox: the interpreters (python3 may live under the home folder, e.g. pyenv) stay where PATH finds them.
  server = await startServer(unsandboxedHome());
  client = await connect(server);
});

after(async () => {
  await client.close();
  await server.close();
});

function assertOrdered(highlights: Highlight[], where: string): void {
  for (let i = 1; i < highlights.length; i++) assert.ok(highlights[i]!.line > highlights[i - 1]!.line, `${where}: highlights ordered by line: ${JSON.stringify(highlights)}`);
}

/** A mocha-like watcher: a failing run, then (once `go` exists, i.e. after the model read it) a passing run, then it keeps watching. */
const WATCHER = `set -u
report() { printf '\\n  parser\\n'; for t in "$@"; do printf '    %s\\n' "$t"; done; }
report '✓ parses numbers' '1) parses dates'
printf '\\n  1 passing (12ms)\\n  1 failing\\n\\n  1) parser\\n       parses dates:\\n     AssertionError [ERR_ASSERTION]: 1 !== 29\\n'
while [ ! -e go ]; do sleep 0.05; done
printf '\\n[watch] src/parse.js changed, running again\\n'
report '✓ parses numbers' '✓ parses dates' '✓ parses times'
printf '\\n  0 failing\\n  3 passing (10ms)\\n'
while [ ! -e stop ]; do sleep 0.05; done
`;

for (const [face, make] of Object.entries(faces)) {
  describe(`a watcher that failed, was read, then passed (${face})`, () => {
    test("later answers mark the earlier failure old and do not present it as current", async () => {
      const post = make();
      const dir = join(server.workspace, `watch-${face}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "watch.sh"), WATCHER);
      const started = await post("exec_command", { command: `cd watch-${face} && bash watch.sh`, wait_seconds: 1 });
      const jobId = started.job_id as string;
      assert.equal(started.status, "running", JSON.stringify(started));

      // Read until the failing report is in: that answer presents the failure as current.
      let failingAnswer = started;
      let stdout = started.stdout as string;
      for (let i = 0; i < 40 && !/AssertionError/.test(stdout); i++) {
        failingAnswer = await post("command_output", { job_id: jobId, wait_seconds: 1 });
        stdout += failingAnswer.stdout;
      }
      assert.match(stdout, /1 failing/);
      const fresh = failingAnswer.highlights as Highlight[];
      assertOrdered(fresh, "the failing run");
      const failing = fresh.find((h) => h.text === "  1 failing");
      assert.ok(failing, `the failure is highlighted: ${JSON.stringify(fresh)}`);
      assert.equal(failing.old, undefined, "a failure printed since the previous answer is not old");
      assert.ok(fresh.some((h) => /AssertionError/.test(h.text) && h.old === undefined));

      // The code is fixed; the watcher runs again and passes.
      writeFileSync(join(dir, "go"), "");
      const later: Json[] = [];
      let passed = "";
      for (let i = 0; i < 40 && !/3 passing/.test(passed); i++) {
        const answer = await post("command_output", { job_id: jobId, wait_seconds: 1 });
        later.push(answer);
        passed += answer.stdout;
      }
      assert.match(passed, /0 failing\n {2}3 passing/);
      assert.doesNotMatch(passed, /1 failing/, "the old report is not repeated in stdout");
      writeFileSync(join(dir, "stop"), "");
      const killed = await post("kill_command", { job_id: jobId });
      later.push(killed);

      for (const answer of later) {
        const highlights = answer.highlights as Highlight[];
        assertOrdered(highlights, "a later answer");
        for (const h of highlights) assert.equal(h.old, true, `only old failures are left, each marked: ${JSON.stringify(h)}`);
        assert.ok(highlights.some((h) => h.text === "  1 failing" && h.line === failing.line), "the old failure keeps its line number");
      }
      // The answer that showed the passing run says in words that nothing new failed.
      const passing = later.find((answer) => /3 passing/.test(answer.stdout as string))!;
      assert.match(passing.message as string, /No line printed since the previous answer looks like a failure; the highlights marked old/);
      assert.ok(["killed", "exited"].includes(killed.status as string), JSON.stringify(killed));

      // A fresh read of the whole output (from_start) still marks what earlier answers covered.
      const whole = await post("command_output", { job_id: jobId, from_start: true, wait_seconds: 0 });
      assert.match(whole.stdout as string, /1 failing[\s\S]*3 passing/);
      assert.ok((whole.highlights as Highlight[]).every((h) => h.old === true));
    });
  });
}

test("a long failing run still shows its failure in the first answer's highlights, none old", async () => {
  const post = faces.http!();
  const script = `for i in $(seq 1 3000); do echo "ok $i - step $i"; done
echo "not ok 3001 - parses dates"
echo "  AssertionError: 1 !== 29"
for i in $(seq 3002 6000); do echo "ok $i - step $i"; done
echo "# fail 1"
exit 1`;
  writeFileSync(join(server.workspace, "long-run.sh"), script);
  const run = await post("exec_command", { command: "bash long-run.sh", wait_seconds: 30 });
  assert.equal(run.status, "exited");
  assert.equal(run.truncated, true);
  const highlights = run.highlights as Highlight[];
  assertOrdered(highlights, "the long run");
  assert.deepEqual(
    highlights.map((h) => [h.text, h.old]),
    [
      ["not ok 3001 - parses dates", undefined],
      ["  AssertionError: 1 !== 29", undefined],
      ["# fail 1", undefined],
    ],
  );
  assert.doesNotMatch(run.message as string, /marked old/);
});

/** Drive an interactive program: start it, type each input, close stdin, read to its end; every answer collected. */
async function drive(post: Caller, command: string, inputs: string[]): Promise<{ answers: Json[]; whole: Json }> {
  const answers: Json[] = [];
  const started = await post("exec_command", { command, stdin: "open", wait_seconds: 10 });
  answers.push(started);
  const jobId = started.job_id as string;
  assert.equal(started.status, "running", JSON.stringify(started));
  for (const input of inputs) answers.push(await post("write_stdin", { job_id: jobId, input, wait_seconds: 10 }));
  answers.push(await post("write_stdin", { job_id: jobId, input: "", close: true, wait_seconds: 10 }));
  for (let i = 0; i < 20 && answers.at(-1)!.status === "running"; i++) answers.push(await post("command_output", { job_id: jobId, wait_seconds: 2 }));
  assert.equal(answers.at(-1)!.status, "exited", JSON.stringify(answers.at(-1)));
  const whole = await post("command_output", { job_id: jobId, from_start: true, wait_seconds: 0 });
  return { answers, whole };
}

function count(text: string, piece: string): number {
  return text.split(piece).length - 1;
}

for (const [face, make] of Object.entries(faces)) {
  describe(`prompts are shown once (${face})`, () => {
    test("python3 -i: each >>> prompt once across the answers", requires(PYTHON), async () => {
      const { answers, whole } = await drive(make(), "python3 -i -u", ["1+1\n", "print('a' * 3)\n", "for i in range(2):\n", "  print(i * 7)\n", "\n"]);
      const stdout = answers.map((answer) => answer.stdout as string).join("");
      const stderr = answers.map((answer) => answer.stderr as string).join("");
      // What python printed, whole: prompts go to stderr (>>> , and ... while a block is open).
      assert.equal(stderr, whole.stderr, "the answers together hold stderr exactly once");
      assert.equal(stdout, whole.stdout, "the answers together hold stdout exactly once");
      assert.equal(stdout, "2\naaa\n0\n7\n");
      // Start, after 1+1, after print, after the block: four >>> ; two ... inside the block.
      assert.equal(count(stderr, ">>> "), 4, JSON.stringify(stderr));
      assert.equal(count(stderr, "... "), 2, JSON.stringify(stderr));
      // The prompts share one line that never ends (input is not echoed through a pipe): each answer shows only the newest one.
      for (const answer of answers) assert.ok(count(answer.stderr as string, ">>> ") <= 1, `one prompt per answer: ${JSON.stringify(answer.stderr)}`);
    });

    test("node -i: each > prompt once across the answers", async () => {
      const node = JSON.stringify(process.execPath);
      const { answers, whole } = await drive(make(), `${node} -i`, ["'c'\n", "1+2\n", "console.log('x'.repeat(3))\n"]);
      const stdout = answers.map((answer) => answer.stdout as string).join("");
      assert.equal(stdout, whole.stdout, "the answers together hold stdout exactly once");
      const repl = stdout.slice(stdout.indexOf("\n> ") + 1);
      assert.equal(repl.replace(/\n+$/, ""), "> 'c'\n> 3\n> xxx\nundefined\n> ");
      assert.equal(count(stdout, "> "), 4, JSON.stringify(stdout));
      for (const answer of answers) assert.ok(count(answer.stdout as string, "> ") <= 1, `one prompt per answer: ${JSON.stringify(answer.stdout)}`);
      // When the first answer ended with the prompt, the answer to 'c' starts with the value, not with the prompt again.
      const typed = answers.find((answer) => /'c'/.test(answer.stdout as string))!;
      if ((answers[0]!.stdout as string).endsWith("> ")) assert.match(typed.stdout as string, /^'c'\n/);
    });
  });
}
