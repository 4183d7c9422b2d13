/**
 * One outcome vocabulary (contract v3 §16) through a real server: a command that succeeds,
 * exits 3, times out, is killed (by the model and by the owner), is refused by the policy,
 * fails to start, ends non-zero after the answer, or is denied by the owner reads the same
 * word in the job answer (HTTP and MCP), in the audit file, in `log --json` (the real CLI)
 * and in the dashboard's feed.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { updateConfig } from "../src/config/store.js";
import { OUTCOMES } from "../src/ground/outcome.js";
import { get, login, post, startWithDashboard, type DashFixture, type Login } from "./dashboard/helpers.js";
import { runCliAsync, waitFor } from "./helpers.js";
import { call, connect, okBody, type Json } from "./mcp-helpers.js";

type Answer = { ok: true; body: Json } | { ok: false; code: string; status: number };
interface Face {
  name: "http" | "mcp";
  call(action: string, args: Json): Promise<Answer>;
}

/** What the last record of one command must say: the job's end when it ended after the answer, else the call's own line. */
interface Expected {
  outcome: (typeof OUTCOMES)[number];
  exit_code?: number;
  error_code?: string;
  /** The command was still running (or held) when the call answered: the call's line is ok with detail.job_status. */
  pendingAtAnswer?: string;
}

let fx: DashFixture;
let session: Login;
let mcp: Client;
const expected = new Map<string, Expected>();

before(async () => {
  fx = await startWithDashboard();
  session = await login(fx);
  mcp = await connect(fx.api);
});
after(async () => {
  await mcp?.close();
  await fx?.close();
});

const faces: Face[] = [
  {
    name: "http",
    call: async (action, args) => {
      const reply = await fx.api.post(action, args);
      return reply.status === 200 ? { ok: true, body: reply.json } : { ok: false, code: reply.json?.error?.code, status: reply.status };
    },
  },
  {
    name: "mcp",
    call: async (action, args) => {
      const result = await call(mcp, action, args);
      if (result.isError) return { ok: false, code: (result.structuredContent as Json | undefined)?.error?.code, status: 0 };
      return { ok: true, body: okBody(result) };
    },
  },
];

function answered(answer: Answer): Json {
  assert.ok(answer.ok, `expected an answer, got ${JSON.stringify(answer)}`);
  return answer.body;
}

/** The job answer's outcome fields, in one shape. */
function outcomeOfAnswer(body: Json): Json {
  return { status: body.status, outcome: body.outcome, exit_code: body.exit_code };
}

for (const face of faces) {
  describe(`the job answer names the outcome (${face.name})`, () => {
    const tag = (what: string) => `# vocab-${face.name}-${what}`;

    it("true: exited, ok, exit 0", async () => {
      const body = answered(await face.call("exec_command", { command: `true ${tag("ok")}` }));
      assert.deepEqual(outcomeOfAnswer(body), { status: "exited", outcome: "ok", exit_code: 0 });
      expected.set(tag("ok"), { outcome: "ok", exit_code: 0 });
    });

    it("exit 3: exited, failed, with its exit code", async () => {
      const body = answered(await face.call("exec_command", { command: `exit 3 ${tag("failed")}` }));
      assert.deepEqual(outcomeOfAnswer(body), { status: "exited", outcome: "failed", exit_code: 3 });
      expected.set(tag("failed"), { outcome: "failed", exit_code: 3 });
    });

    it("sleep 5 with timeout_seconds 1: timed_out", async () => {
      const body = answered(await face.call("exec_command", { command: `sleep 5 ${tag("timeout")}`, timeout_seconds: 1, wait_seconds: 30 }));
      assert.deepEqual(outcomeOfAnswer(body), { status: "timed_out", outcome: "timed_out", exit_code: undefined });
      expected.set(tag("timeout"), { outcome: "timed_out" });
    });

    it("kill_command: no outcome while running, then killed", async () => {
      const started = answered(await face.call("exec_command", { command: `sleep 60 ${tag("kill")}`, wait_seconds: 0 }));
      assert.equal(started.status, "running");
      assert.equal(started.outcome, undefined, "no outcome before the end");
      const killed = answered(await face.call("kill_command", { job_id: started.job_id }));
      assert.equal(killed.status, "killed");
      assert.equal(killed.outcome, "killed");
      const listed = answered(await face.call("list_commands", {})).commands.find((c: Json) => c.job_id === started.job_id);
      assert.equal(listed?.outcome, "killed");
      expected.set(tag("kill"), { outcome: "killed", pendingAtAnswer: "running" });
    });

    it("a command that exits 3 after the answer: running, then failed through command_output", async () => {
      const started = answered(await face.call("exec_command", { command: `sleep 1; exit 3 ${tag("late")}`, wait_seconds: 0 }));
      assert.equal(started.outcome, undefined);
      const done = await waitFor(async () => {
        const body = answered(await face.call("command_output", { job_id: started.job_id, wait_seconds: 10 }));
        return body.status === "running" ? undefined : body;
      }, "the late command's end", 60_000);
      assert.deepEqual(outcomeOfAnswer(done), { status: "exited", outcome: "failed", exit_code: 3 });
      expected.set(tag("late"), { outcome: "failed", exit_code: 3, pendingAtAnswer: "running" });
    });

    it("a policy refusal: 403 BLOCKED_BY_POLICY, refused in the records", async () => {
      const answer = await face.call("exec_command", { command: `sudo true ${tag("refused")}` });
      assert.equal(answer.ok, false);
      assert.equal((answer as { code: string }).code, "BLOCKED_BY_POLICY");
      expected.set(tag("refused"), { outcome: "refused", error_code: "BLOCKED_BY_POLICY" });
    });

    it("a command in a folder that is not there: NOT_FOUND, error in the records", async () => {
      const answer = await face.call("exec_command", { command: `true ${tag("error")}`, cwd: "no-such-folder" });
      assert.equal(answer.ok, false);
      assert.equal((answer as { code: string }).code, "NOT_FOUND");
      expected.set(tag("error"), { outcome: "error", error_code: "NOT_FOUND" });
    });
  });
}

describe("the owner's stops", () => {
  it("Kill on the dashboard: the job ends killed", async () => {
    const tag = "# vocab-dash-kill";
    const started = await fx.api.post("exec_command", { command: `sleep 60 ${tag}`, wait_seconds: 0 });
    assert.equal(started.json.status, "running", started.text);
    assert.equal((await post(fx, session, `/api/jobs/${started.json.job_id}/kill`)).status, 200);
    const after = await fx.api.post("command_output", { job_id: started.json.job_id, wait_seconds: 10 });
    assert.deepEqual(outcomeOfAnswer(after.json), { status: "killed", outcome: "killed", exit_code: undefined });
    expected.set(tag, { outcome: "killed", pendingAtAnswer: "running" });
  });

  it("Deny on the dashboard (local approvals): the held command ends denied", async () => {
    const tag = "# vocab-dash-denied";
    updateConfig(fx.api.home, (c) => void (c.approvals.commands = "local"));
    try {
      const held = await fx.api.post("exec_command", { command: `true ${tag}`, wait_seconds: 0 });
      assert.equal(held.json.status, "awaiting_approval", held.text);
      assert.equal(held.json.outcome, undefined);
      assert.equal((await post(fx, session, `/api/approvals/${held.json.job_id}/deny`)).status, 200);
      for (const face of faces) {
        const body = answered(await face.call("command_output", { job_id: held.json.job_id }));
        assert.deepEqual(outcomeOfAnswer(body), { status: "denied", outcome: "denied", exit_code: undefined }, face.name);
      }
      expected.set(tag, { outcome: "denied", pendingAtAnswer: "awaiting_approval" });
    } finally {
      updateConfig(fx.api.home, (c) => void (c.approvals.commands = "chatgpt"));
    }
  });
});

type Line = Json & { action: string; outcome: string; command?: string };

/** Every expected command's records agree with what was expected, and every outcome is a word of the vocabulary. */
function checkRecords(records: Line[], where: string): void {
  for (const record of records) assert.ok((OUTCOMES as readonly string[]).includes(record.outcome), `${where}: "${record.outcome}" is not in the vocabulary`);
  for (const [tag, want] of expected) {
    const mine = records.filter((r) => r.action === "exec_command" && typeof r.command === "string" && r.command.endsWith(tag));
    const call = mine.find((r) => r.detail?.event === undefined);
    assert.ok(call, `${where}: the call's line for ${tag}`);
    const ending = mine.find((r) => r.detail?.event === "job_end");
    if (want.pendingAtAnswer) {
      assert.equal(call.outcome, "ok", `${where}: ${tag} answered while pending`);
      assert.equal(call.detail?.job_status, want.pendingAtAnswer, `${where}: ${tag}`);
      assert.ok(ending, `${where}: ${tag} has a line for its end`);
    } else {
      assert.equal(ending, undefined, `${where}: ${tag} ended within the call`);
    }
    const last = ending ?? call;
    assert.deepEqual(
      { outcome: last.outcome, exit_code: last.exit_code, error_code: last.error_code },
      { outcome: want.outcome, exit_code: want.exit_code, error_code: want.error_code },
      `${where}: ${tag}`,
    );
  }
}

function auditFileRecords(): Line[] {
  return readFileSync(join(fx.api.home, "audit.log"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line);
}

/** Every expected command's last line is in the file (job ends are written when the job ends). */
async function settled(): Promise<void> {
  await waitFor(() => {
    const records = auditFileRecords();
    return [...expected].every(([tag, want]) => {
      const mine = records.filter((r) => typeof r.command === "string" && r.command.endsWith(tag));
      return mine.length > 0 && (!want.pendingAtAnswer || mine.some((r) => r.detail?.event === "job_end"));
    });
  }, "every job's end in the audit file", 60_000);
}

describe("the same outcome in every record", () => {
  it("covers every case on both faces", () => {
    assert.equal(expected.size, 7 * 2 + 2);
  });

  it("in the audit file", async () => {
    await settled();
    checkRecords(auditFileRecords(), "audit.log");
  });

  it("in `log --json` and in the human `log` (the real CLI)", async () => {
    await settled();
    const json = await runCliAsync(["log", "--json", "-n", "500"], fx.api.home);
    assert.equal(json.code, 0, json.stderr);
    checkRecords(json.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Line), "log --json");
    const human = await runCliAsync(["log", "-n", "500"], fx.api.home);
    assert.equal(human.code, 0, human.stderr);
    const line = (tag: string) => human.stdout.split("\n").find((l) => l.endsWith(tag) && !/ ok /.test(l)) ?? "";
    assert.match(line("# vocab-http-failed"), / failed \(exit 3\) /);
    assert.match(line("# vocab-http-refused"), / refused \(BLOCKED_BY_POLICY\) /);
    assert.match(line("# vocab-mcp-timeout"), / timed_out /);
  });

  it("in the dashboard's feed (the event stream's first event)", async () => {
    await settled();
    const events = await get(fx, session, "/api/events");
    const hello = /^event: hello\ndata: (.*)$/m.exec(events.text);
    assert.ok(hello, events.text.slice(0, 300));
    const feed = (JSON.parse(hello[1]!) as { feed: Line[] }).feed;
    checkRecords(feed, "dashboard feed");
    // The owner's own clicks are in the feed too, in the same words.
    assert.ok(feed.some((r) => r.action === "kill_command" && r.face === "dashboard" && r.outcome === "ok"));
    assert.ok(feed.some((r) => r.action === "deny_command" && r.face === "dashboard" && r.outcome === "ok"));
  });
});
