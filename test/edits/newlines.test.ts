/**
 * Issue 21, part 2, on both faces: an edit keeps a file's final newline and
 * line endings unless it says otherwise, and reports when they change
 * (apply_patch `final_newline`, write_file `line_endings` / `final_newline`).
 * write_file's append mode writes a long file in parts, with the same guard.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { startServer, type TestServer } from "../helpers.js";
import { sha256 } from "../files-helpers.js";
import { call, connect, okBody } from "../mcp-helpers.js";

const codex = (path: string, body: string) => `*** Begin Patch\n*** Update File: ${path}\n${body}\n*** End Patch\n`;

describe("edits say what they changed (HTTP and MCP)", () => {
  let s: TestServer;
  let client: Client;
  const read = (path: string) => readFileSync(join(s.workspace, path), "utf8");
  const put = (path: string, content: string) => writeFileSync(join(s.workspace, path), content);
  before(async () => {
    s = await startServer();
    client = await connect(s);
  });
  after(async () => {
    await client.close();
    await s.close();
  });

  it("apply_patch: a file without a final newline patched in the middle keeps having none, and says nothing about it", async () => {
    put("noeol.txt", "one\ntwo\nthree");
    const reply = await s.post("apply_patch", { patch: codex("noeol.txt", "@@\n one\n-two\n+TWO\n three") });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(read("noeol.txt"), "one\nTWO\nthree");
    assert.equal(reply.json.files[0].final_newline, undefined);
    // The same through a unified diff without a marker, and when lines are appended at the end.
    const unified = await s.post("apply_patch", { patch: "--- a/noeol.txt\n+++ b/noeol.txt\n@@ -1,2 +1,2 @@\n-one\n+ONE\n TWO\n" });
    assert.equal(unified.status, 200, unified.text);
    const appended = await s.post("apply_patch", { patch: codex("noeol.txt", "@@\n+four") });
    assert.equal(appended.status, 200, appended.text);
    assert.equal(read("noeol.txt"), "ONE\nTWO\nthree\nfour");
  });

  it("apply_patch: a patch that removes or adds the final newline explicitly reports removed / added", async () => {
    put("eol.txt", "a\nb\n");
    const removed = await s.post("apply_patch", { patch: codex("eol.txt", "@@\n a\n-b\n+B\n\\ No newline at end of file") });
    assert.equal(removed.status, 200, removed.text);
    assert.equal(read("eol.txt"), "a\nB");
    assert.equal(removed.json.files[0].final_newline, "removed");
    const added = await s.post("apply_patch", {
      patch: "--- a/eol.txt\n+++ b/eol.txt\n@@ -1,2 +1,2 @@\n a\n-B\n\\ No newline at end of file\n+B\n",
    });
    assert.equal(added.status, 200, added.text);
    assert.equal(read("eol.txt"), "a\nB\n");
    assert.equal(added.json.files[0].final_newline, "added");
  });

  it("apply_patch: CRLF files keep CRLF through a Codex patch and a unified diff", async () => {
    put("win.txt", "one\r\ntwo\r\nthree\r\n");
    const first = await s.post("apply_patch", { patch: codex("win.txt", "@@\n one\n-two\n+TWO\n+two and a half\n three") });
    assert.equal(first.status, 200, first.text);
    assert.equal(read("win.txt"), "one\r\nTWO\r\ntwo and a half\r\nthree\r\n");
    const second = await s.post("apply_patch", { patch: "--- a/win.txt\n+++ b/win.txt\n@@ -3,2 +3,3 @@\n two and a half\n three\n+four\n" });
    assert.equal(second.status, 200, second.text);
    assert.equal(read("win.txt"), "one\r\nTWO\r\ntwo and a half\r\nthree\r\nfour\r\n");
    assert.equal(second.json.files[0].final_newline, undefined);
  });

  it("write_file: LF content over a CRLF file reports the change of line endings (and of the final newline)", async () => {
    put("crlf.txt", "a\r\nb\r\n");
    const lf = await s.post("write_file", { path: "crlf.txt", content: "a\nb\n" });
    assert.equal(lf.status, 200, lf.text);
    assert.deepEqual(lf.json.line_endings, { before: "crlf", after: "lf" });
    assert.equal(lf.json.final_newline, undefined);
    const same = await s.post("write_file", { path: "crlf.txt", content: "a\nc\n" });
    assert.equal(same.json.line_endings, undefined, "no change, nothing said");
    const cut = await s.post("write_file", { path: "crlf.txt", content: "a\r\nc" });
    assert.equal(cut.json.final_newline, "removed");
    assert.deepEqual(cut.json.line_endings, { before: "lf", after: "crlf" });
  });

  it("write_file mode append: adds at the end atomically, guarded by expected_sha256, and a retried part is not added twice", async () => {
    const first = await s.post("write_file", { path: "parts.txt", content: "part one\n" });
    assert.equal(first.status, 200);
    const second = await s.post("write_file", { path: "parts.txt", content: "part two\n", mode: "append", expected_sha256: first.json.sha256 });
    assert.equal(second.status, 200, second.text);
    assert.equal(read("parts.txt"), "part one\npart two\n");
    assert.equal(second.json.sha256, sha256("part one\npart two\n"));
    assert.equal(second.json.size, 18);
    // The answer was lost and the same part is sent again: unchanged, not appended twice.
    const retry = await s.post("write_file", { path: "parts.txt", content: "part two\n", mode: "append", expected_sha256: first.json.sha256 });
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.json.unchanged, true);
    assert.equal(read("parts.txt"), "part one\npart two\n");
    // Someone changed the file meanwhile: 409, nothing appended.
    put("parts.txt", "changed\n");
    const stale = await s.post("write_file", { path: "parts.txt", content: "part three\n", mode: "append", expected_sha256: second.json.sha256 });
    assert.equal(stale.status, 409);
    assert.equal(read("parts.txt"), "changed\n");
    // Appending LF lines to a CRLF file is said.
    put("mixed.txt", "x\r\n");
    const mixed = await s.post("write_file", { path: "mixed.txt", content: "y\n", mode: "append" });
    assert.deepEqual(mixed.json.line_endings, { before: "crlf", after: "mixed" });
  });

  it("MCP: apply_patch and write_file report the same fields", async () => {
    put("m.txt", "keep\nlast\n");
    const patched = okBody(await call(client, "apply_patch", { patch: codex("m.txt", "@@\n keep\n-last\n+LAST\n\\ No newline at end of file") }));
    assert.equal(patched.files[0].final_newline, "removed");
    assert.equal(read("m.txt"), "keep\nLAST");
    put("mw.txt", "x\r\ny\r\n");
    const written = okBody(await call(client, "write_file", { path: "mw.txt", content: "x\ny" }));
    assert.deepEqual(written.line_endings, { before: "crlf", after: "lf" });
    assert.equal(written.final_newline, "removed");
  });
});
