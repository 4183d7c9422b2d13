import assert from "node:assert/strict";
import { test } from "node:test";
import { ERROR_STATUS, type ErrorCode } from "../../src/ground/errors.js";
import { isOutcome, OUTCOMES, outcomeOf, REFUSAL_CODES } from "../../src/ground/outcome.js";

test("the vocabulary is the contract's seven words (v3 §16), in its order", () => {
  assert.deepEqual([...OUTCOMES], ["ok", "failed", "timed_out", "killed", "refused", "denied", "error"]);
  assert.ok(isOutcome("failed"));
  assert.ok(!isOutcome("exited"));
  assert.ok(!isOutcome("BLOCKED_BY_POLICY"));
});

test("a job's end: exit 0 is ok, any other exit code failed, the other endings by name", () => {
  const table: [Parameters<typeof outcomeOf>[0], ReturnType<typeof outcomeOf>][] = [
    [{ status: "exited", exitCode: 0 }, "ok"],
    [{ status: "exited", exitCode: 3 }, "failed"],
    [{ status: "exited", exitCode: 254 }, "failed"],
    [{ status: "exited", exitCode: 137 }, "failed"],
    [{ status: "exited", exitCode: null }, "error"],
    [{ status: "timed_out", exitCode: null }, "timed_out"],
    [{ status: "timed_out", exitCode: 143 }, "timed_out"],
    [{ status: "killed", exitCode: 137 }, "killed"],
    [{ status: "denied" }, "denied"],
    [{ status: "running" }, null],
    [{ status: "awaiting_approval" }, null],
    [{ status: "something new" }, "error"],
    [{}, "ok"],
    [{ status: null, exitCode: null, errorCode: null }, "ok"],
  ];
  for (const [facts, outcome] of table) assert.equal(outcomeOf(facts), outcome, JSON.stringify(facts));
});

test("an error code decides first: a guard's refusal is refused, every other code error", () => {
  const refused = new Set<string>(["BLOCKED_BY_POLICY", "OUTSIDE_WORKSPACE", "ACCESS_EXPIRED", "UNAUTHORIZED", "FORBIDDEN_ORIGIN", "RATE_LIMITED"]);
  assert.deepEqual(new Set(REFUSAL_CODES), refused);
  for (const code of Object.keys(ERROR_STATUS) as ErrorCode[]) {
    assert.equal(outcomeOf({ errorCode: code }), refused.has(code) ? "refused" : "error", code);
  }
  // A code this version does not know yet (START_FAILED, a later one): an error, never ok.
  assert.equal(outcomeOf({ errorCode: "START_FAILED" }), "error");
  assert.equal(outcomeOf({ status: "exited", exitCode: 0, errorCode: "INTERNAL" }), "error");
});
