/**
 * The pieces under the exec answers, on real files: which lines count as
 * failures (and which must not), and the on-disk log (carriage returns, long
 * lines, head + tail beyond the size kept, reading backwards).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { HighlightCollector, looksLikeFailure } from "../../src/exec/highlights.js";
import { MAX_LINE_CHARS, OutputLog, type LogLine } from "../../src/exec/outputLog.js";
import { tempDir } from "../helpers.js";

test("failure-looking lines across tools are highlighted", () => {
  for (const line of [
    "not ok 12 - parses dates",
    "    not ok 3 - nested subtest",
    "FAIL src/dates.test.ts",
    "FAILED tests/test_dates.py::test_leap - assert 1 == 29",
    "  ✗ parses leap days",
    "  × renders the header (vitest)",
    "Error: ENOENT: no such file or directory",
    "TypeError: Cannot read properties of undefined (reading 'x')",
    "AssertionError [ERR_ASSERTION]: Expected values to be strictly equal",
    "Traceback (most recent call last):",
    "thread 'main' panicked at src/main.rs:4:5:",
    "src/index.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
    "npm ERR! Test failed.  See above for more details.",
    "npm error code ELIFECYCLE",
    "  code: 'ERR_MODULE_NOT_FOUND'",
    "Tests: 2 failed, 40 passed, 42 total",
    "3 failing",
    "# fail 3",
    "error[E0308]: mismatched types",
    "fatal: not a git repository (or any of the parent directories): .git",
    "src/main.c:4:5: error: expected ';' before 'return'",
    "ERROR: Coverage for lines (79.41%) does not meet global threshold (80%)",
    "Segmentation fault (core dumped)",
    "Build failed with 1 error",
  ]) {
    assert.ok(looksLikeFailure(line), `should be highlighted: ${line}`);
  }
});

test("passing lines and zero counts are not highlighted", () => {
  for (const line of [
    "ok 10 - errors: rejects with Error: invalid date string",
    "ok 11 - report: prints 0 failed when everything passes",
    "  ✓ throws TypeError: on bad input",
    "  ✔ reports failed uploads",
    "PASS src/errors.test.ts",
    "# fail 0",
    "Tests: 0 failed, 42 passed",
    "failed: 0",
    "Errors: 0, Warnings: 2",
    "errors=0 failures=0",
    "found 0 vulnerabilities",
    "0 errors, 0 warnings",
    "Ran 12 tests in 0.4s with 0 failures",
    "not ok 4 - flaky network test # SKIP offline",
    "not ok 5 - unfinished # TODO later",
    "Screen 1920×1080 detected",
    "compiled 12 modules in 1.2s",
    "src/errors/handler.ts",
    "const FAIL_FAST = true",
  ]) {
    assert.ok(!looksLikeFailure(line), `should not be highlighted: ${line}`);
  }
});

test("the collector keeps the first 14 and the last 6, counts all, and cuts long texts", () => {
  const collector = new HighlightCollector();
  for (let i = 1; i <= 100; i++) collector.consider(i, "stdout", i === 1 ? `Error: ${"x".repeat(1000)}` : `not ok ${i}`);
  const list = collector.list();
  assert.equal(collector.count, 100);
  assert.equal(list.length, 20);
  assert.deepEqual(list.map((h) => h.line), [...Array.from({ length: 14 }, (_, i) => i + 1), 95, 96, 97, 98, 99, 100]);
  assert.equal(list[0]!.text.length, 300);
});

function allLines(log: OutputLog): LogLine[] {
  return log.read(1, Number.MAX_SAFE_INTEGER);
}

test("the log: line numbering across streams, \\r rewrites, CRLF, long lines split", () => {
  const log = new OutputLog(join(tempDir(), "job"));
  log.push("stdout", "one\r\ntwo ");
  log.push("stderr", "warn\n");
  log.push("stdout", "halves\n10%\r50%");
  assert.deepEqual(log.partials(), [{ line: 4, stream: "stdout", text: "50%", partial: true }]);
  log.push("stdout", "\r100%\r\n");
  log.push("stdout", "x".repeat(MAX_LINE_CHARS * 2 + 5));
  log.seal();
  const lines = allLines(log);
  assert.deepEqual(lines.slice(0, 4).map((l) => [l.line, l.stream, l.text]), [
    [1, "stdout", "one"],
    [2, "stderr", "warn"],
    [3, "stdout", "two halves"],
    [4, "stdout", "100%"],
  ]);
  assert.deepEqual(lines.slice(4).map((l) => l.text.length), [MAX_LINE_CHARS, MAX_LINE_CHARS, 5]);
  assert.equal(lines.at(-1)!.unterminated, true);
});

test("the log keeps everything up to head + tail segments, then the start and the end with the lost lines named", () => {
  const folder = tempDir();
  const log = new OutputLog(join(folder, "job"), { segmentBytes: 1_000, headSegments: 2, tailSegments: 2 });
  for (let i = 1; i <= 400; i++) log.push(i % 7 === 0 ? "stderr" : "stdout", `line ${String(i).padStart(4, "0")} ${"-".repeat(20)}\n`);
  log.seal();
  assert.ok(log.dropped, "the middle was dropped");
  const kept = allLines(log);
  assert.equal(kept[0]!.line, 1);
  assert.equal(kept.at(-1)!.line, 400);
  for (const line of kept) assert.equal(line.text.slice(5, 9), String(line.line).padStart(4, "0"), "each kept line has its own number");
  assert.ok(kept.every((l) => l.line < log.dropped!.from || l.line > log.dropped!.to));
  assert.equal(kept.length, 400 - (log.dropped!.to - log.dropped!.from + 1));
  assert.equal(readdirSync(folder).length, 4, "at most head + tail segment files on disk");
  assert.ok(log.diskBytes <= 4 * 1_100);

  const backward: number[] = [];
  log.readBackward(1, 400, (line) => (backward.push(line.line), backward.length >= 120));
  assert.deepEqual(backward, kept.slice(-120).map((l) => l.line).reverse(), "reading backwards skips the dropped middle");
  assert.deepEqual(log.read(3, 5).map((l) => l.stream), ["stdout", "stdout", "stdout"]);
  assert.equal(log.read(7, 7)[0]!.stream, "stderr");
  log.dispose();
  assert.equal(readdirSync(folder).length, 0, "dispose deletes the files");
  assert.equal(existsSync(join(folder, "job.0.log")), false);
});

test("a job whose output passed the size kept: answers name the lines that are gone, and reads skip them", async () => {
  const { Job } = await import("../../src/exec/job.js");
  const { viewJob, viewLines } = await import("../../src/exec/jobView.js");
  const job = new Job({
    id: "job_test",
    command: "seq 1 5000",
    cwd: tempDir(),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    timeoutMs: 20_000,
    graceMs: 500,
    secret: "",
    logPrefix: join(tempDir(), "job_test"),
    log: { segmentBytes: 2_000, headSegments: 1, tailSegments: 2 },
  });
  await job.finished;
  assert.equal(job.status, "exited");
  assert.ok(job.log.dropped);
  const view = viewJob(job, { fromStart: true });
  assert.equal(view.truncated, true);
  assert.ok(view.stdout.startsWith("1\n2\n3\n"));
  assert.ok(view.stdout.endsWith("4999\n5000\n"));
  const lines = viewLines(job, { start: 1 });
  assert.match(lines.output ?? "", new RegExp(`\\[lines ${job.log.dropped.from}–${job.log.dropped.to} were not kept`));
  assert.equal(lines.truncated, true);
  const after = viewLines(job, { start: job.log.dropped.to + 1, end: job.log.dropped.to + 2 });
  assert.equal(after.output, `${job.log.dropped.to + 1}: ${job.log.dropped.to + 1}\n${job.log.dropped.to + 2}: ${job.log.dropped.to + 2}`);
  job.log.dispose();
});
