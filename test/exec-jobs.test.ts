/**
 * exec_command / command_output / kill_command with real processes through
 * the real server: running jobs, reading output later, killing whole process
 * groups, timeouts, limits and shutdown.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ACTIONS } from "../src/actions/registry.js";
import { MAX_TIMEOUT_SECONDS, MAX_WAIT_SECONDS } from "../src/exec/jobs.js";
import { auditRecord, startServer, type TestServer, unsandboxedHome } from "./helpers.js";
import { followJob, groupGone, groupMembers, pidOf } from "./exec-helpers.js";

let server: TestServer;


before(async () => {
  server = await startServer(unsandboxedHome());
});

after(async () => {
  await server.close();
});

test("a quick command answers exited with exit code, separate streams and a job id", async () => {
  const reply = await server.post("exec_command", { command: "echo out; echo err >&2; exit 3" });
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.json.status, "exited");
  assert.equal(reply.json.exit_code, 3);
  assert.equal(reply.json.stdout, "out\n");
  assert.equal(reply.json.stderr, "err\n");
  assert.equal(reply.json.truncated, false);
  assert.match(reply.json.job_id, /^job_/);
  assert.equal(typeof reply.json.duration_ms, "number");
  const again = await server.post("command_output", { job_id: reply.json.job_id, from_start: true, wait_seconds: 0 });
  assert.equal(again.json.stdout, "out\n", "output can be re-read from the start");
});

test("sleep 120 answers running within wait_seconds, and kill_command leaves no process of its group", async () => {
  const started = await server.post("exec_command", { command: "echo $$; sleep 120", wait_seconds: 1 });
  assert.equal(started.status, 200, started.text);
  assert.equal(started.json.status, "running");
  assert.match(started.json.job_id, /^job_/);
  assert.match(started.json.message, /command_output/);
  assert.ok(started.json.message.includes(started.json.job_id), "the message names the job id to poll");
  const pgid = await pidOf(server, started);
  assert.ok(groupMembers(pgid).length >= 1, "the group is alive before the kill");

  const killed = await server.post("kill_command", { job_id: started.json.job_id });
  assert.equal(killed.status, 200, killed.text);
  assert.equal(killed.json.status, "killed");
  assert.equal(killed.json.exit_code, undefined);
  assert.deepEqual(groupMembers(pgid), [], "no process of the group is alive after kill_command");

  const final = await server.post("command_output", { job_id: started.json.job_id, wait_seconds: 0 });
  assert.equal(final.json.status, "killed");
});

test("kill_command reaches children that ignore SIGTERM (SIGKILL after the grace period)", async () => {
  const started = await server.post("exec_command", {
    command: "echo $$; bash -c 'trap \"\" TERM; sleep 120' & bash -c 'trap \"\" TERM; sleep 120' & wait",
    wait_seconds: 1,
  });
  const pgid = await pidOf(server, started);
  const killed = await server.post("kill_command", { job_id: started.json.job_id });
  assert.equal(killed.json.status, "killed");
  assert.ok(await groupGone(pgid), "children ignoring SIGTERM are gone too");
});

test("output arrives through command_output: only what is new, and everything with from_start", async () => {
  const started = await server.post("exec_command", { command: "echo one; sleep 1.5; echo two", wait_seconds: 0.5 });
  assert.equal(started.json.status, "running");
  let seen = started.json.stdout as string;
  const { last, stdout } = await followJob(server, started.json.job_id);
  seen += stdout;
  assert.equal(last.json.status, "exited");
  assert.equal(last.json.exit_code, 0);
  assert.equal(seen, "one\ntwo\n", "each read returns only new output");
  const all = await server.post("command_output", { job_id: started.json.job_id, from_start: true, wait_seconds: 0 });
  assert.equal(all.json.stdout, "one\ntwo\n");
  const none = await server.post("command_output", { job_id: started.json.job_id, wait_seconds: 0 });
  assert.equal(none.json.stdout, "", "nothing new after everything was read");
});

test("timeout_seconds kills the whole group, grandchildren included", async () => {
  const started = await server.post("exec_command", {
    command: "echo $$; bash -c 'sleep 120 & bash -c \"sleep 120\" & wait' & wait",
    wait_seconds: 0.5,
    timeout_seconds: 1,
  });
  const pgid = await pidOf(server, started);
  const { last } = await followJob(server, started.json.job_id);
  assert.equal(last.json.status, "timed_out");
  assert.ok(await groupGone(pgid), "grandchildren are killed with the job");
  // The ending gets an audit line of its own, with the command text.
  const ending = await auditRecord(server.home, (l) => l.detail?.event === "job_end" && l.detail?.job_id === started.json.job_id);
  assert.equal(ending.outcome, "timed_out");
  assert.match(ending.command ?? "", /sleep 120/);
});

test("over-large wait_seconds and timeout_seconds are clamped, not refused", async () => {
  const reply = await server.post("exec_command", { command: "true", wait_seconds: 10_000, timeout_seconds: 10 ** 9 });
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.json.status, "exited");
  // What the handler is given: each at its maximum (waiting that long here would prove nothing more).
  const exec = ACTIONS.find((action) => action.name === "exec_command")!;
  const input = exec.input.parse({ command: "true", wait_seconds: 10_000, timeout_seconds: 10 ** 9 }) as { wait_seconds: number; timeout_seconds: number };
  assert.deepEqual([input.wait_seconds, input.timeout_seconds], [MAX_WAIT_SECONDS, MAX_TIMEOUT_SECONDS]);
  assert.ok(MAX_WAIT_SECONDS < 10_000 && MAX_TIMEOUT_SECONDS < 10 ** 9, "the values sent were above the maximum");
});

test("command_output waits for the end when asked", async () => {
  const started = await server.post("exec_command", { command: "sleep 0.5; echo late", wait_seconds: 0 });
  const done = await server.post("command_output", { job_id: started.json.job_id, wait_seconds: 5 });
  assert.equal(done.json.status, "exited");
  assert.equal(done.json.stdout, "late\n");
  assert.equal(done.json.message, undefined);
});

test("kill_command on a finished job returns its final status", async () => {
  const done = await server.post("exec_command", { command: "exit 7" });
  const killed = await server.post("kill_command", { job_id: done.json.job_id });
  assert.equal(killed.json.status, "exited");
  assert.equal(killed.json.exit_code, 7);
});

test("an unknown job id is 404 NOT_FOUND", async () => {
  for (const action of ["command_output", "kill_command"]) {
    const reply = await server.post(action, { job_id: "job_000000000000" });
    assert.equal(reply.status, 404, `${action}: ${reply.text}`);
    assert.equal(reply.json.error.code, "NOT_FOUND");
  }
});

test("the number of running jobs is bounded", async () => {
  const ids: string[] = [];
  try {
    let refused: { status: number; json: { error: { code: string; hint?: string } } } | undefined;
    for (let i = 0; i < 12 && !refused; i++) {
      const reply = await server.post("exec_command", { command: "sleep 120", wait_seconds: 0 });
      if (reply.status === 200) ids.push(reply.json.job_id);
      else refused = reply;
    }
    assert.ok(refused, "a job over the limit is refused");
    assert.equal(refused.status, 429);
    assert.equal(refused.json.error.code, "RATE_LIMITED");
    assert.match(refused.json.error.hint ?? "", /kill_command/);
  } finally {
    await Promise.all(ids.map((id) => server.post("kill_command", { job_id: id })));
  }
});

test("closing the server kills every running job", async () => {
  const own = await startServer(unsandboxedHome());
  const started = await own.post("exec_command", { command: "echo $$; sleep 120", wait_seconds: 0.5 });
  const pgid = await pidOf(own, started);
  await own.close();
  assert.ok(await groupGone(pgid), "no process of the job survives the server");
});
