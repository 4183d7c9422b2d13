/**
 * search_text on inputs far over the response budget, with both engines:
 * 100,000 matching lines, very long lines with context, thousands of files.
 * Every page stays under 100,000 characters and says how to continue.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServer, type TestServer } from "./helpers.js";
import { requireRipgrep, useEngine } from "./files-helpers.js";

describe("search_text response budget", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
    const lines = Array.from({ length: 100_000 }, (_, i) => `match number ${i + 1} "quoted" \\ and more`);
    writeFileSync(join(s.workspace, "many.txt"), `${lines.join("\n")}\n`);
    const long = Array.from({ length: 300 }, (_, i) => `${"\"".repeat(5000)} hit ${i} ${"\\".repeat(5000)}`);
    mkdirSync(join(s.workspace, "long"));
    writeFileSync(join(s.workspace, "long", "wide.txt"), `${long.join("\n")}\n`);
    for (let d = 0; d < 20; d++) {
      const dir = join(s.workspace, "tree", `d${d}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 250; f++) writeFileSync(join(dir, `f${f}.txt`), "spread hit\nnothing\nspread hit again\n");
    }
  });
  after(() => s.close());

  it("pages through 100,000 matching lines under the budget, and ripgrep continues any deep page the same way", async (t) => {
    // Paging with the built-in engine is fast; ripgrep re-runs per page, so it is checked on sampled deep cursors.
    useEngine("builtin");
    let cursor: string | undefined;
    let total = 0;
    let expected = 1;
    let pages = 0;
    const samples: { cursor: string; matches: unknown[] }[] = [];
    for (; pages < 500; pages++) {
      const reply = await s.post("search_text", { query: "match number", path: "many.txt", limit: 1000, ...(cursor ? { cursor } : {}) });
      assert.equal(reply.status, 200, reply.text.slice(0, 300));
      assert.ok(reply.text.length < 100_000, `${reply.text.length} characters`);
      for (const match of reply.json.matches) assert.equal(match.line, expected++, "no line lost or repeated");
      total += reply.json.matches.length;
      if (cursor && pages % 37 === 0) samples.push({ cursor, matches: reply.json.matches });
      if (!reply.json.truncated) break;
      cursor = reply.json.next_cursor;
    }
    assert.equal(total, 100_000);
    assert.ok(pages >= 100, `${pages} pages`);
    if (!requireRipgrep(t)) return;
    useEngine("ripgrep");
    for (const sample of samples) {
      const reply = await s.post("search_text", { query: "match number", path: "many.txt", limit: 1000, cursor: sample.cursor });
      assert.ok(reply.text.length < 100_000);
      assert.deepEqual(reply.json.matches, sample.matches);
    }
  });

  for (const engine of ["ripgrep", "builtin"] as const) {
    it(`cuts very long lines and their context to fit (${engine})`, async (t) => {
      if (engine === "ripgrep" && !requireRipgrep(t)) return;
      useEngine(engine);
      const reply = await s.post("search_text", { query: "hit", path: "long", context_lines: 10, limit: 1000 });
      assert.equal(reply.status, 200);
      assert.ok(reply.text.length < 100_000, `${reply.text.length} characters`);
      assert.equal(reply.json.truncated, true);
      assert.ok(reply.json.matches.length > 0);
      for (const match of reply.json.matches) {
        assert.ok(match.text.length <= 402 && match.text.includes("hit"));
        assert.equal(match.column, 5002);
      }
    });

    it(`stops at the limit across thousands of files (${engine})`, async (t) => {
      if (engine === "ripgrep" && !requireRipgrep(t)) return;
      useEngine(engine);
      const reply = await s.post("search_text", { query: "spread hit", path: "tree" });
      assert.equal(reply.status, 200);
      assert.equal(reply.json.matches.length, 200);
      assert.equal(reply.json.truncated, true);
      assert.equal(typeof reply.json.next_cursor, "string");
      assert.ok(reply.text.length < 100_000);
    });
  }
});
