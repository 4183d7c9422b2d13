/**
 * Jobs inside the sandbox: kill_command, timeouts and server shutdown still
 * end every process of a command — found from outside by their command line,
 * since inside a PID namespace `$$` is not the host's pid.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startServer, type TestServer } from "../helpers.js";
import { BWRAP, requires } from "../preconditions.js";
import { noneRunning, someRunning, uniqueSleep } from "./harness.js";

let server: TestServer;
/** Without bubblewrap these jobs would run unsandboxed: nothing here would be about the sandbox. */
const NEEDS = requires(BWRAP);

before(async () => {
  server = await startServer();
});

after(async () => {
  await server.close();
});

test("kill_command ends every process in the sandbox, also children that ignore SIGTERM", NEEDS, async () => {
  const s = uniqueSleep();
  const started = await server.post("exec_command", { command: `bash -c 'trap "" TERM; sleep ${s}' & sleep ${s} & sleep ${s}`, wait_seconds: 1 });
  assert.equal(started.status, 200, started.text);
  assert.equal(started.json.status, "running");
  assert.deepEqual(started.json.sandbox, { active: true, kind: "bubblewrap", network: false });
  assert.ok(await someRunning(["sleep", s]), "the sleeps run");
  const killed = await server.post("kill_command", { job_id: started.json.job_id });
  assert.equal(killed.json.status, "killed");
  assert.ok(await noneRunning(["sleep", s]), "no process of the job is left");
});

test("timeout_seconds ends the sandboxed command and its children", NEEDS, async () => {
  const s = uniqueSleep();
  const started = await server.post("exec_command", { command: `sleep ${s} & sleep ${s}`, wait_seconds: 0.5, timeout_seconds: 1 });
  assert.equal(started.json.status, "running");
  assert.ok(await someRunning(["sleep", s]));
  let last = started;
  for (let i = 0; i < 20 && last.json.status === "running"; i++) last = await server.post("command_output", { job_id: started.json.job_id, wait_seconds: 1 });
  assert.equal(last.json.status, "timed_out");
  assert.ok(await noneRunning(["sleep", s]));
});

test("processes that leave the session (setsid), double-fork or nohup stay listed with their command, and kill_command ends them all", NEEDS, async () => {
  const s = uniqueSleep();
  const reply = await server.post("exec_command", { command: `setsid -f sleep ${s}; (sleep ${s} &) ; nohup sleep ${s} >/dev/null 2>&1 & echo started` });
  assert.equal(reply.json.stdout, "started\n");
  assert.equal(reply.json.status, "exited");
  assert.equal(reply.json.background?.length, 3, JSON.stringify(reply.json));
  for (const proc of reply.json.background) assert.equal(proc.command, `sleep ${s}`);
  assert.ok(await someRunning(["sleep", s]), "they outlive the command, in its box");
  const listed = await server.post("list_commands", {});
  assert.equal(listed.json.commands.find((c: { job_id: string }) => c.job_id === reply.json.job_id)?.background?.length, 3);
  const killed = await server.post("kill_command", { job_id: reply.json.job_id });
  assert.equal(killed.status, 200, killed.text);
  assert.equal(killed.json.background, undefined);
  assert.ok(await noneRunning(["sleep", s]), "none escapes kill_command");
});

test("closing the server ends every sandboxed job", NEEDS, async () => {
  const own = await startServer();
  const s = uniqueSleep();
  const started = await own.post("exec_command", { command: `sleep ${s} & sleep ${s}`, wait_seconds: 0.5 });
  assert.equal(started.json.status, "running");
  assert.ok(await someRunning(["sleep", s]));
  await own.close();
  assert.ok(await noneRunning(["sleep", s]));
});

test("output, exit codes and cwd behave as without a sandbox", NEEDS, async () => {
  await server.post("exec_command", { command: "mkdir -p sub" });
  const reply = await server.post("exec_command", { command: "pwd; echo err >&2; exit 7", cwd: "sub" });
  assert.equal(reply.json.exit_code, 7);
  assert.equal(reply.json.stdout, `${server.workspace}/sub\n`);
  assert.equal(reply.json.stderr, "err\n");
});
