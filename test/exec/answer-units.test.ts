/**
 * Issue 21, round 2, on the pieces: which highlights an answer shows after
 * earlier reads (ordered by line, earlier ones marked old, later ones first
 * in line for the places), and what the log remembers of a line shown while
 * it was being written (so a prompt is shown once).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { HighlightCollector, MAX_HIGHLIGHTS } from "../../src/exec/highlights.js";
import { MAX_LINE_CHARS, OutputLog } from "../../src/exec/outputLog.js";
import { tempDir } from "../helpers.js";

function ordered(list: { line: number }[]): boolean {
  return list.every((item, i) => i === 0 || item.line > list[i - 1]!.line);
}

test("highlights before the last read are marked old; those after it are not", () => {
  const collector = new HighlightCollector();
  collector.consider(3, "stdout", "  1 failing");
  collector.consider(7, "stderr", "AssertionError [ERR_ASSERTION]: 1 !== 2");
  collector.mark(9);
  assert.equal(collector.countAfter(9), 0);
  const afterRead = collector.select(9);
  assert.deepEqual(
    afterRead.map((h) => [h.line, h.old]),
    [
      [3, true],
      [7, true],
    ],
  );
  collector.consider(12, "stdout", "  2 failing");
  assert.equal(collector.countAfter(9), 1);
  const later = collector.select(9);
  assert.deepEqual(
    later.map((h) => [h.line, h.old ?? false]),
    [
      [3, true],
      [7, true],
      [12, false],
    ],
  );
  assert.ok(!("old" in later[2]!), "a new highlight carries no old field at all (compact)");
  // Nothing read before: nothing is old.
  assert.ok(collector.select(0).every((h) => h.old === undefined));
  assert.equal(collector.countAfter(0), 3);
  // A line number that is not the last mark: still classified by line, the count unknown.
  assert.equal(collector.countAfter(5), undefined);
  assert.deepEqual(
    collector.select(5).map((h) => [h.line, h.old ?? false]),
    [
      [3, true],
      [7, false],
      [12, false],
    ],
  );
});

test("lines printed since the last read get the places first; all in line order", () => {
  const collector = new HighlightCollector();
  for (let line = 1; line <= 30; line++) collector.consider(line, "stdout", `not ok ${line} - old run`);
  collector.mark(30);
  for (let line = 31; line <= 40; line++) collector.consider(line, "stdout", `not ok ${line} - new run`);
  const list = collector.select(30);
  assert.equal(list.length, MAX_HIGHLIGHTS);
  assert.ok(ordered(list), JSON.stringify(list.map((h) => h.line)));
  const fresh = list.filter((h) => !h.old).map((h) => h.line);
  assert.deepEqual(fresh, [31, 32, 33, 34, 35, 36, 37, 38, 39, 40], "every failure since the read is shown");
  const old = list.filter((h) => h.old).map((h) => h.line);
  assert.equal(old.length, 10);
  assert.deepEqual(old.slice(0, 7), [1, 2, 3, 4, 5, 6, 7], "the earliest old ones (usually the cause) ...");
  assert.deepEqual(old.slice(7), [28, 29, 30], "... and the last old ones");

  // More new ones than places: their first 14 and last 6, nothing old.
  for (let line = 41; line <= 200; line++) collector.consider(line, "stdout", `not ok ${line} - new run`);
  const crowded = collector.select(30);
  assert.ok(ordered(crowded));
  assert.ok(crowded.every((h) => !h.old));
  assert.deepEqual(
    crowded.map((h) => h.line),
    [31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 195, 196, 197, 198, 199, 200],
  );
  assert.equal(collector.count, 200);
  assert.equal(collector.countAfter(30), 170);
});

test("the log: a line shown while being written is remembered, and only until a rewrite", () => {
  const log = new OutputLog(join(tempDir(), "job"));
  log.push("stdout", "Welcome\n> ");
  log.push("stderr", ">>> ");
  log.markShown();
  assert.equal(log.shownPending("stdout"), 2);
  assert.equal(log.shownPending("stderr"), 4);
  // The prompt's line completes: its shown start is known for its number.
  log.push("stdout", "'c'\n> ");
  assert.equal(log.shownPrefix(2), 2);
  assert.equal(log.shownPending("stdout"), 0, "the new prompt has not been shown");
  // The other stream's prompt grows without a newline: what was shown stays shown.
  log.push("stderr", ">>> ");
  assert.equal(log.shownPending("stderr"), 4);
  assert.deepEqual(
    log.partials().map((line) => line.text),
    ["> ", ">>> >>> "],
  );
  // A carriage return rewrites the line: nothing of the new text was shown.
  log.push("stdout", "\rDownloading 50%");
  assert.equal(log.shownPending("stdout"), 0);
  log.markShown();
  log.push("stdout", "\rDownloading 100%\n");
  assert.equal(log.shownPrefix(3), 0, "a rewritten line is shown whole");
  // The stream ends without a newline: the shown start is kept for that last line too.
  log.markShown();
  log.end("stderr");
  assert.equal(log.shownPrefix(4), 8);
  log.forgetShown(4);
  assert.equal(log.shownPrefix(2), 0);
  assert.equal(log.shownPrefix(4), 0);
  log.dispose();
});

test("the log: a shown line longer than a line's limit keeps its shown start across the split", () => {
  const log = new OutputLog(join(tempDir(), "job"));
  log.push("stdout", "x".repeat(MAX_LINE_CHARS - 10));
  log.markShown();
  log.push("stdout", "y".repeat(30));
  assert.equal(log.shownPrefix(1), MAX_LINE_CHARS - 10);
  assert.equal(log.shownPending("stdout"), 0);
  log.dispose();
});
