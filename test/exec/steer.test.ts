/**
 * Jobs a model can steer (contract §7, security issue item 4), with real
 * processes: no editor ever opens, interactive programs through write_stdin,
 * list_commands, and `cmd &` keeping its job running for the timeout, the
 * job cap, kill_command and shutdown (checked in the process table with ps).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { comesTrue, startServer, type TestServer, unsandboxedHome } from "../helpers.js";
import { followJob, pidOf } from "../exec-helpers.js";

let server: TestServer;

before(async () => {
  server = await startServer(unsandboxedHome());
});

after(async () => {
  await server.close();
});

/** Processes of group `pgid`, from `ps` (zombies left out): "PID ARGS" lines. */
function psGroup(pgid: number): string[] {
  const table = execFileSync("ps", ["-eo", "pid=,pgid=,stat=,args="], { encoding: "utf8" });
  return table
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => Number(f[1]) === pgid && !f[2]?.startsWith("Z"))
    .map((f) => `${f[0]} ${f.slice(3).join(" ")}`);
}

function psGroupGone(pgid: number, ms = 15_000): Promise<boolean> {
  return comesTrue(() => psGroup(pgid).length === 0, ms);
}

test("no editor ever opens: git commit without -m ends non-zero instead of waiting, with a clear message", async () => {
  const git = (args: string) => `git -c user.name=Dev -c user.email=dev@example.com ${args}`;
  const setup = await server.post("exec_command", { command: `git init -q repo && cd repo && echo one > a.txt && git add a.txt && ${git("commit -q -m first")} && echo two >> a.txt && git add a.txt` });
  assert.equal(setup.json.exit_code, 0, setup.text);
  for (const command of [
    git("commit"), // GIT_EDITOR
    git("-c core.editor=vim commit"), // a repository's own editor setting does not win
    git("commit --amend"),
    `${git("commit -q -m second")} && ${git("rebase -i HEAD~1")}`, // GIT_SEQUENCE_EDITOR
    '"$EDITOR" notes.txt',
    'sh -c "$VISUAL notes.txt"',
  ]) {
    const reply = await server.post("exec_command", { command, cwd: "repo", wait_seconds: 20, timeout_seconds: 30 });
    assert.equal(reply.status, 200, reply.text);
    // An editor that opened would wait for a terminal: the job would still be running here.
    assert.equal(reply.json.status, "exited", `${command}: ${reply.text}`);
    assert.notEqual(reply.json.exit_code, 0, command);
    assert.match(reply.json.stderr, /no editor can open here/, command);
  }
  const log = await server.post("exec_command", { command: "git log --oneline | wc -l", cwd: "repo" });
  assert.equal(log.json.stdout.trim(), "2", "nothing was committed by an editor");
});

test("an interactive program answered through write_stdin, prompt by prompt", async () => {
  writeFileSync(
    join(server.workspace, "ask.js"),
    `const rl = require("node:readline").createInterface({ input: process.stdin, output: process.stdout });
rl.question("Project name? ", (name) => {
  console.log("Creating " + name);
  rl.question("Overwrite existing files? [y/N] ", (answer) => {
    console.log(answer === "y" ? "overwritten" : "kept");
    rl.close();
  });
});`,
  );
  const started = await server.post("exec_command", { command: "node ask.js", stdin: "open", wait_seconds: 20 });
  assert.equal(started.status, 200, started.text);
  assert.equal(started.json.status, "running");
  assert.equal(started.json.stdout, "Project name? ", "the prompt shows before a newline");
  assert.match(started.json.message, /write_stdin/);
  const first = await server.post("write_stdin", { job_id: started.json.job_id, input: "datekit\n" });
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.status, "running");
  assert.match(first.json.stdout, /Creating datekit\nOverwrite existing files\? \[y\/N\] $/);
  // The last answer closes stdin too: a program reading a pipe (not a terminal) may wait for its end.
  const second = await server.post("write_stdin", { job_id: started.json.job_id, input: "y\n", close: true });
  assert.match(second.json.stdout, /overwritten\n$/);
  // The answer comes once the program went quiet; its exit may land just after.
  const end = second.json.status === "running" ? await server.post("command_output", { job_id: started.json.job_id, wait_seconds: 10 }) : second;
  assert.equal(end.json.status, "exited", end.text);
  assert.equal(end.json.exit_code, 0);
  const late = await server.post("write_stdin", { job_id: started.json.job_id, input: "more\n" });
  assert.equal(late.status, 400);
  assert.match(late.json.error.message, /already ended/);
});

test("write_stdin with close ends the input (EOF); bash read works too", async () => {
  const cat = await server.post("exec_command", { command: "sort", stdin: "open", wait_seconds: 1 });
  assert.equal(cat.json.status, "running");
  const sorted = await server.post("write_stdin", { job_id: cat.json.job_id, input: "pear\napple\nfig\n", close: true });
  assert.equal(sorted.json.status, "exited", sorted.text);
  assert.equal(sorted.json.stdout, "apple\nfig\npear\n");

  const read = await server.post("exec_command", { command: 'printf "Continue? "; read -r answer; echo "got [$answer]"; sleep 30', stdin: "open", wait_seconds: 10 });
  assert.equal(read.json.stdout, "Continue? ");
  const answered = await server.post("write_stdin", { job_id: read.json.job_id, input: "yes please\n", close: true, wait_seconds: 5 });
  assert.match(answered.json.stdout, /got \[yes please\]/);
  const closed = await server.post("write_stdin", { job_id: read.json.job_id, input: "x" });
  assert.equal(closed.status, 400, "stdin closed by close: true");
  assert.match(closed.json.error.message, /closed/);
  await server.post("kill_command", { job_id: read.json.job_id });
});

test("write_stdin to a job started with stdin closed is 400 naming the rule; nothing waits for input by default", async () => {
  const job = await server.post("exec_command", { command: "read -r line; echo \"read:[$line]\"; sleep 20", wait_seconds: 2 });
  assert.equal(job.json.stdout, "read:[]\n", "stdin is closed by default: read gets end of input at once");
  const refused = await server.post("write_stdin", { job_id: job.json.job_id, input: "hello\n" });
  assert.equal(refused.status, 400);
  assert.equal(refused.json.error.code, "BAD_REQUEST");
  assert.match(refused.json.error.message, /stdin: "open"/);
  assert.equal(refused.json.error.details.rule, "stdin_closed");
  const unknown = await server.post("write_stdin", { job_id: "job_000000000000", input: "x" });
  assert.equal(unknown.status, 404);
  const bad = await server.post("exec_command", { command: "true", stdin: "maybe" });
  assert.equal(bad.status, 400);
  await server.post("kill_command", { job_id: job.json.job_id });
});

test("`sleep 301 & echo started` stays running until its timeout, then its whole group is gone", async () => {
  const started = await server.post("exec_command", { command: "echo $$; sleep 301 & echo started", wait_seconds: 1.5, timeout_seconds: 3 });
  assert.equal(started.status, 200);
  assert.equal(started.json.status, "running", "the shell exited, but its background sleep holds the job");
  assert.match(started.json.stdout, /started/);
  assert.match(started.json.message, /background/);
  const pgid = await pidOf(server, started);
  assert.ok(psGroup(pgid).some((line) => line.includes("sleep 301")), "the sleep is alive");
  const listed = await server.post("list_commands", {});
  const row = listed.json.commands.find((c: { job_id: string }) => c.job_id === started.json.job_id);
  assert.equal(row.status, "running");
  const { last } = await followJob(server, started.json.job_id);
  assert.equal(last.json.status, "timed_out");
  assert.ok(await psGroupGone(pgid), `no process of the group survives the timeout: ${psGroup(pgid).join("; ")}`);
});

test("a background job ends by itself when its last process ends, keeping the shell's exit code", async () => {
  const started = await server.post("exec_command", { command: "(sleep 1.5; echo late) & echo early; exit 4", wait_seconds: 0.5 });
  assert.equal(started.json.status, "running");
  const done = await server.post("command_output", { job_id: started.json.job_id, wait_seconds: 10 });
  assert.equal(done.json.status, "exited");
  assert.equal(done.json.exit_code, 4);
  assert.equal(done.json.stdout, "late\n", "output of the background process is captured");
});

test("kill_command stops a job's lingering background processes", async () => {
  const started = await server.post("exec_command", { command: "echo $$; sleep 302 & sleep 303 & echo started", wait_seconds: 1 });
  const pgid = await pidOf(server, started);
  assert.equal(started.json.status, "running");
  const killed = await server.post("kill_command", { job_id: started.json.job_id });
  assert.equal(killed.json.status, "killed");
  assert.ok(await psGroupGone(pgid), psGroup(pgid).join("; "));
});

test("background jobs count against the cap; the 429 lists the running commands; list_commands orders them", async () => {
  const own = await startServer(unsandboxedHome());
  const ids: string[] = [];
  try {
    for (let i = 0; i < 8; i++) {
      const reply = await own.post("exec_command", { command: `sleep 300 & echo worker-${i}`, wait_seconds: 0.5 });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json.status, "running", `job ${i} holds a slot after its shell exited`);
      ids.push(reply.json.job_id);
    }
    const refused = await own.post("exec_command", { command: "echo one-more" });
    assert.equal(refused.status, 429);
    assert.equal(refused.json.error.code, "RATE_LIMITED");
    for (let i = 0; i < 8; i++) assert.ok(refused.json.error.hint.includes(`sleep 300 & echo worker-${i}`), "the hint names each running command");
    assert.equal(refused.json.error.details.running.length, 8);
    assert.ok(refused.json.error.details.running.every((r: { job_id: string; command: string }) => ids.includes(r.job_id) && r.command.startsWith("sleep 300")));

    await own.post("kill_command", { job_id: ids[0] });
    const done = await own.post("exec_command", { command: "exit 3" });
    assert.equal(done.json.status, "exited");
    const listed = await own.post("list_commands", {});
    assert.equal(listed.status, 200);
    const commands = listed.json.commands as { job_id: string; command: string; status: string; started_at: string; duration_ms: number; exit_code?: number }[];
    assert.deepEqual(
      commands.map((c) => c.status),
      [...Array(7).fill("running"), "exited", "killed"],
      "running first, then the most recently finished",
    );
    assert.deepEqual(commands.slice(0, 7).map((c) => c.job_id), ids.slice(1).reverse(), "running: newest first");
    assert.equal(commands[7]!.exit_code, 3);
    assert.equal(commands[8]!.exit_code, undefined);
    assert.ok(commands.every((c) => !Number.isNaN(Date.parse(c.started_at)) && c.duration_ms >= 0));
  } finally {
    await own.close();
  }
});

test("shutdown kills lingering background processes and removes the private output folder", async (t) => {
  const before = new Set(readdirSync(tmpdir()).filter((name) => name.startsWith("chatgpt-codex-jobs-")));
  const own = await startServer(unsandboxedHome());
  let open = true;
  t.after(async () => void (open && (await own.close()))); // a failed check must not leave the sleeping job holding the file open
  const started = await own.post("exec_command", { command: "echo $$; sleep 304 & echo started", wait_seconds: 1 });
  const pgid = await pidOf(own, started);
  // Other test files may start servers meanwhile: this server's folder is the one holding this job's log.
  const holdsJob = (name: string) => {
    try {
      return readdirSync(join(tmpdir(), name)).some((file) => file.startsWith(started.json.job_id));
    } catch {
      return false; // another user's private folder
    }
  };
  const folders = readdirSync(tmpdir()).filter((name) => name.startsWith("chatgpt-codex-jobs-") && !before.has(name) && holdsJob(name));
  assert.equal(folders.length, 1, "one private folder holds the job logs");
  const folder = join(tmpdir(), folders[0]!);
  assert.equal(statSync(folder).mode & 0o777, 0o700);
  for (const file of readdirSync(folder)) assert.equal(statSync(join(folder, file)).mode & 0o777, 0o600);
  await own.close();
  open = false;
  assert.ok(await psGroupGone(pgid), psGroup(pgid).join("; "));
  assert.equal(existsSync(folder), false, "the output folder is removed at shutdown");
});
