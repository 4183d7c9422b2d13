/**
 * The early network hint: a command known to need the network, started without it and
 * still running after 15 s, hears why in its *running* answer, with the exact retry call.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { STALL_HINT_MS, stalledNetworkHint } from "../../src/exec/jobView.js";
import type { SandboxRun } from "../../src/sandbox/plan.js";

const sandboxed = (network: boolean): SandboxRun => ({ info: { active: true, kind: "bubblewrap", network }, hidden: [], networkMode: "ask" });
const job = (command: string, ms: number, options: { running?: boolean; network?: boolean; sandbox?: SandboxRun } = {}) => ({
  id: "job_1",
  command,
  running: options.running ?? true,
  sandbox: options.sandbox ?? sandboxed(options.network ?? false),
  durationMs: () => ms,
});

test("known network tools without network get the hint once they ran 15 s, naming the retry call", () => {
  for (const command of ["npm install", "npm ci", "pnpm add left-pad", "yarn install", "pip install requests", "python3 -m pip install -r requirements.txt", "cargo build", "cargo fetch", "go mod download", "git clone https://example.org/x.git", "git fetch origin", "curl -sSL https://example.org", "wget https://example.org", "cd app && npm i"]) {
    const hint = stalledNetworkHint(job(command, STALL_HINT_MS));
    assert.ok(hint, command);
    assert.ok(hint.includes(JSON.stringify({ command, network: true })), `${command}: ${hint}`);
    assert.match(hint, /kill_command \{"job_id": "job_1"\}/);
  }
});

test("no hint before 15 s, with network, when finished, without a sandbox, or for other commands", () => {
  assert.equal(stalledNetworkHint(job("npm install", STALL_HINT_MS - 1)), undefined);
  assert.equal(stalledNetworkHint(job("npm install", 60_000, { network: true })), undefined);
  assert.equal(stalledNetworkHint(job("npm install", 60_000, { running: false })), undefined);
  assert.equal(stalledNetworkHint(job("npm install", 60_000, { sandbox: { info: { active: false, kind: "none", network: true }, hidden: [], networkMode: "ask" } })), undefined);
  for (const command of ["npm test", "make", "sleep 100", "git status", "echo npm install-ish", "pytest"]) assert.equal(stalledNetworkHint(job(command, 60_000)), undefined, command);
});
