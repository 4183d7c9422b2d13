/**
 * Response budget on inputs far over it: a 100,000-file tree for list_files,
 * a big file for read_file (also memory: lines 1-200 of a large file must not
 * load it), every answer under 100,000 characters with a way to continue.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { startServer, tempDir, type TestServer } from "./helpers.js";

const DIRS = 100;
const FILES_PER_DIR = 1000;

describe("list_files on a 100,000-file tree", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
    const long = "a-rather-long-file-name-to-fill-the-budget-quickly";
    for (let d = 0; d < DIRS; d++) {
      const dir = join(s.workspace, `dir-${String(d).padStart(3, "0")}`);
      mkdirSync(dir);
      for (let f = 0; f < FILES_PER_DIR; f++) writeFileSync(join(dir, `${long}-${String(f).padStart(4, "0")}.txt`), "");
    }
  });
  after(() => s.close());

  it("answers every page under 100,000 characters and pages through everything exactly once", async () => {
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    let previous = "";
    for (; pages < 1000; pages++) {
      const reply = await s.post("list_files", { limit: 2000, ...(cursor ? { cursor } : {}) });
      assert.equal(reply.status, 200, reply.text.slice(0, 300));
      assert.ok(reply.text.length < 100_000, `page ${pages}: ${reply.text.length} characters`);
      for (const entry of reply.json.entries as { path: string }[]) {
        assert.ok(!seen.has(entry.path), `listed twice: ${entry.path}`);
        assert.ok(entry.path > previous || entry.path.startsWith(previous), "stable order");
        seen.add(entry.path);
        previous = entry.path;
      }
      if (!reply.json.truncated) break;
      cursor = reply.json.next_cursor;
    }
    assert.equal(seen.size, DIRS * FILES_PER_DIR + DIRS);
    assert.ok(pages > 10, "the budget, not the limit, cut the pages");
  });
});

describe("read_file on a large file", () => {
  it("reads lines 1-200 of a 256 MB file in constant memory, with the whole file's sha256 and line count", () => {
    const dir = tempDir();
    const file = join(dir, "large.txt");
    const line = `${"0123456789".repeat(9)}abcdefghi\n`; // 100 bytes
    const block = Buffer.from(line.repeat(10_000)); // 1,000,000 bytes
    const fd = openSync(file, "w");
    for (let i = 0; i < 256; i++) writeSync(fd, block);
    closeSync(fd);
    // In a child process, so this test runner's own memory does not blur the figure.
    const here = dirname(fileURLToPath(import.meta.url));
    const script = `
      import { openSync } from "node:fs";
      import { readRange } from ${JSON.stringify(join(here, "..", "src", "files", "readRange.js"))};
      const fd = openSync(process.argv[1], "r");
      const result = await readRange(fd, { start: 1, end: 200, budget: 90000, deadline: Date.now() + 60000, signal: new AbortController().signal });
      console.log(JSON.stringify({ lines: result.endLine, total: result.totalLines, size: result.size, length: result.content.length, maxRssKb: process.resourceUsage().maxRSS }));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script, file], { encoding: "utf8", timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.equal(out.lines, 200);
    assert.equal(out.total, 2_560_000);
    assert.equal(out.size, 256_000_000);
    assert.equal(out.length, 200 * 100);
    assert.ok(out.maxRssKb < 150 * 1024, `peak RSS ${Math.round(out.maxRssKb / 1024)} MB for a 256 MB file`);
  });
});
