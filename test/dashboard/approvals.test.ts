/**
 * Local approvals seen from both sides: the model (real Actions HTTP:
 * exec_command, command_output, kill_command) and the owner (the dashboard API).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateToken } from "../../src/access/token.js";
import { updateConfig } from "../../src/config/store.js";
import { get, login, post, startWithDashboard, type DashFixture, type Login } from "./helpers.js";
import { auditRecord, waitFor } from "../helpers.js";

let fx: DashFixture;
let session: Login;

before(async () => {
  fx = await startWithDashboard((config) => {
    config.approvals.commands = "local";
  });
  session = await login(fx);
});
after(async () => fx.close());

async function hold(command: string, extra: Record<string, unknown> = {}) {
  const reply = await fx.api.post("exec_command", { command, wait_seconds: 5, ...extra });
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.json.status, "awaiting_approval");
  assert.match(reply.json.job_id, /^job_[0-9a-f]{12}$/);
  assert.match(reply.json.message, /NOT started/);
  assert.match(reply.json.message, /command_output/);
  return reply.json.job_id as string;
}

describe("local approvals", () => {
  it("holds the command (not run), shows it to the owner, runs it on Approve; the model reads the result with command_output", async () => {
    mkdirSync(join(fx.api.workspace, "sub"), { recursive: true });
    const id = await hold("echo ran > marker.txt; echo approved-output", { cwd: "sub" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(existsSync(join(fx.api.workspace, "sub", "marker.txt")), false, "nothing ran before the approval");

    const state = await get(fx, session, "/api/state");
    const card = state.json.approvals.pending.find((h: { id: string }) => h.id === id);
    assert.ok(card, "the owner sees the held command");
    assert.equal(card.command, "echo ran > marker.txt; echo approved-output");
    assert.equal(card.cwd, "sub");
    assert.equal(card.workspace, "ws");
    assert.equal(state.json.approvals.mode, "local");

    const waiting = await fx.api.post("command_output", { job_id: id, wait_seconds: 0 });
    assert.equal(waiting.json.status, "awaiting_approval");

    assert.equal((await post(fx, session, `/api/approvals/${id}/approve`)).status, 200);
    const done = await fx.api.post("command_output", { job_id: id, wait_seconds: 20 });
    assert.equal(done.json.status, "exited", done.text);
    assert.equal(done.json.exit_code, 0);
    assert.match(done.json.stdout, /approved-output/);
    assert.equal(readFileSync(join(fx.api.workspace, "sub", "marker.txt"), "utf8"), "ran\n");
    assert.equal((await post(fx, session, `/api/approvals/${id}/approve`)).status, 409, "decided once");
    assert.equal((await post(fx, session, `/api/approvals/${id}/deny`)).status, 409, "decided once");
  });

  it("Deny: status denied with a message the model can relay; it never runs", async () => {
    const id = await hold("echo nope > denied.txt");
    assert.equal((await post(fx, session, `/api/approvals/${id}/deny`)).status, 200);
    const answer = await fx.api.post("command_output", { job_id: id, wait_seconds: 1 });
    assert.equal(answer.json.status, "denied");
    assert.match(answer.json.message, /NOT run/);
    assert.match(answer.json.message, /denied/);
    assert.equal((await post(fx, session, `/api/approvals/${id}/approve`)).status, 409, "a denied command cannot be approved later");
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(existsSync(join(fx.api.workspace, "denied.txt")), false);
  });

  it("a command_output that is waiting returns the job's result once the owner approves", async () => {
    const id = await hold("echo waited-for");
    const pending = fx.api.post("command_output", { job_id: id, wait_seconds: 20 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await post(fx, session, `/api/approvals/${id}/approve`);
    const answer = await pending;
    assert.ok(answer.json.status === "exited" || answer.json.status === "running", answer.text);
    const final = answer.json.status === "exited" ? answer : await fx.api.post("command_output", { job_id: id, wait_seconds: 10 });
    assert.match(final.json.stdout, /waited-for/);
  });

  it("an unanswered command expires as denied after its timeout", async () => {
    const id = await hold("echo late > late.txt", { timeout_seconds: 1 });
    const answer = await waitFor(async () => {
      const reply = await fx.api.post("command_output", { job_id: id, wait_seconds: 2 });
      return reply.json.status === "denied" ? reply : undefined;
    }, "expiry");
    assert.match(answer.json.message, /nobody approved/);
    assert.equal(existsSync(join(fx.api.workspace, "late.txt")), false);
    const state = await get(fx, session, "/api/state");
    assert.equal(state.json.approvals.pending.some((h: { id: string }) => h.id === id), false);
  });

  it("kill_command withdraws a held command (killed, never ran)", async () => {
    const id = await hold("echo withdrawn > w.txt");
    const killed = await fx.api.post("kill_command", { job_id: id });
    assert.equal(killed.json.status, "killed");
    assert.equal(killed.json.outcome, "killed");
    assert.match(killed.json.message, /never ran/);
    assert.equal((await post(fx, session, `/api/approvals/${id}/approve`)).status, 409);
    assert.equal(existsSync(join(fx.api.workspace, "w.txt")), false);
  });

  it("access revoked between the request and the approval: the approval cannot start it", async () => {
    const id = await hold("echo after-revoke > r.txt");
    updateConfig(fx.api.home, (c) => {
      c.access.revoked_at = new Date().toISOString();
    });
    const approve = await post(fx, session, `/api/approvals/${id}/approve`);
    assert.equal(approve.status, 409);
    assert.match(approve.json.error.message, /could not start/);
    updateConfig(fx.api.home, (c) => {
      c.access.revoked_at = null;
    });
    const answer = await fx.api.post("command_output", { job_id: id, wait_seconds: 0 });
    assert.equal(answer.json.status, "denied");
    // Not the owner's no: a guard (access) stopped it, in the answer and in the audit line of its end.
    assert.equal(answer.json.outcome, "refused");
    assert.match(answer.json.message, /could not start/);
    assert.equal(existsSync(join(fx.api.workspace, "r.txt")), false);
    const end = await waitFor(() => {
      const lines = readFileSync(join(fx.api.home, "audit.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
      return lines.find((l) => l.detail?.event === "job_end" && l.detail?.job_id === id);
    }, "the held command's end in the audit log");
    assert.deepEqual([end.outcome, end.error_code, end.detail.decided_by], ["refused", "ACCESS_EXPIRED", "dashboard"]);
    // The owner's click has its own line, with the code that stopped the command (one of the contract's) and its word.
    const click = await auditRecord(fx.api.home, (l) => l.action === "approve_command" && l.detail?.job_id === id);
    assert.deepEqual([click.outcome, click.error_code], ["refused", "ACCESS_EXPIRED"], "the same word as the command's own line");
  });

  it("the policy still runs first: a blocked command is refused, not held", async () => {
    const reply = await fx.api.post("exec_command", { command: "sudo rm -rf /" });
    assert.equal(reply.status, 403);
    assert.equal(reply.json.error.code, "BLOCKED_BY_POLICY");
    const state = await get(fx, session, "/api/state");
    assert.equal(state.json.approvals.pending.some((h: { command: string }) => h.command.includes("sudo")), false);
  });

  it("unknown approval ids are 409, and the owner's decisions appear in the audit feed", async () => {
    assert.equal((await post(fx, session, "/api/approvals/job_000000000000/approve")).status, 409);
    const id = await hold("echo audited");
    await post(fx, session, `/api/approvals/${id}/deny`);
    await waitFor(() => {
      const lines = readFileSync(join(fx.api.home, "audit.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
      return lines.some((l) => l.action === "deny_command" && l.face === "dashboard" && l.detail?.job_id === id);
    }, "deny_command audit line");
  });

  it("a command that names the token keeps none of it in the owner's lines (approve, then kill), though the token was rotated while it waited", async () => {
    const before = fx.api.token;
    const id = await hold(`sleep 30 # ${before}`);
    const fresh = generateToken();
    updateConfig(fx.api.home, (c) => {
      c.token = fresh;
    });
    fx.api.token = fresh;
    try {
      assert.equal((await post(fx, session, `/api/approvals/${id}/approve`)).status, 200);
      await waitFor(async () => (await fx.api.post("command_output", { job_id: id, wait_seconds: 0 })).json.status === "running", "the approved command runs");
      assert.equal((await post(fx, session, `/api/jobs/${id}/kill`)).status, 200);
      const approved = await auditRecord(fx.api.home, (l) => l.action === "approve_command" && l.detail?.job_id === id);
      const killed = await auditRecord(fx.api.home, (l) => l.action === "kill_command" && l.face === "dashboard" && l.detail?.job_id === id);
      const secret = before.slice(-20); // the token's random part, however it is written
      for (const line of [approved, killed]) {
        assert.match(line.command, /^sleep 30 # /);
        assert.equal(JSON.stringify(line).includes(secret), false, `${line.action}: no part of the token of the call that asked`);
      }
    } finally {
      updateConfig(fx.api.home, (c) => {
        c.token = before;
      });
      fx.api.token = before;
    }
  });

  it("with approvals.commands back to chatgpt, commands run at once (hot reload)", async () => {
    updateConfig(fx.api.home, (c) => {
      c.approvals.commands = "chatgpt";
    });
    const reply = await fx.api.post("exec_command", { command: "echo direct" });
    assert.equal(reply.json.status, "exited");
    assert.match(reply.json.stdout, /direct/);
    updateConfig(fx.api.home, (c) => {
      c.approvals.commands = "local";
    });
  });
});
