import assert from "node:assert/strict";
import { test } from "node:test";
import { readAuditLine } from "../src/audit/log.js";

const base = { time: "2025-01-01T00:00:00.000Z", action: "exec_command", workspace: "ws", duration_ms: 5, face: "http" };

test("a record in today's vocabulary reads as written", () => {
  const record = { ...base, outcome: "failed", exit_code: 3, status: 200, command: "exit 3" };
  assert.deepEqual(readAuditLine(JSON.stringify(record)), record);
});

test("older lines read in today's words, their code kept", () => {
  const read = (old: Record<string, unknown>) => readAuditLine(JSON.stringify({ ...base, ...old }));
  // A job's end used to carry its status and detail.exit_code.
  assert.deepEqual(read({ outcome: "exited", detail: { event: "job_end", job_id: "job_1", exit_code: 3 } }), {
    ...base,
    outcome: "failed",
    exit_code: 3,
    detail: { event: "job_end", job_id: "job_1" },
  });
  assert.equal(read({ outcome: "exited", detail: { event: "job_end", exit_code: 0 } })?.outcome, "ok");
  assert.equal(read({ outcome: "timed_out", detail: { event: "job_end" } })?.outcome, "timed_out");
  // A failed call used to carry its error code as the outcome.
  assert.deepEqual(read({ outcome: "BLOCKED_BY_POLICY", status: 403 }), { ...base, outcome: "refused", error_code: "BLOCKED_BY_POLICY", status: 403 });
  assert.deepEqual(read({ outcome: "NOT_FOUND", status: 404 }), { ...base, outcome: "error", error_code: "NOT_FOUND", status: 404 });
  assert.deepEqual(read({ outcome: "START_FAILED" }), { ...base, outcome: "error", error_code: "START_FAILED" });
  assert.deepEqual(read({ outcome: "removed_planted_git_file", detail: { files: 1 } }), { ...base, outcome: "ok", detail: { files: 1, event: "removed_planted_git_file" } });
  assert.deepEqual(read({ outcome: "something else" }), { ...base, outcome: "error", detail: { old_outcome: "something else" } });
});

test("what is not a record is null", () => {
  assert.equal(readAuditLine('{"time": "x", "act'), null);
  assert.equal(readAuditLine("null"), null);
  assert.equal(readAuditLine('{"no": "action"}'), null);
});
