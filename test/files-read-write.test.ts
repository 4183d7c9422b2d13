import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServer, type TestServer } from "./helpers.js";
import { makeTree, sha256 } from "./files-helpers.js";

describe("read_file", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
    makeTree(s.workspace, {
      "lines.txt": "one\ntwo\nthree\nfour\n",
      "noeol.txt": "a\nb",
      "crlf-bom.txt": "\ufefffirst\r\nsecond\r\n",
      "empty.txt": "",
      "nul.bin": Buffer.from("text\0more"),
      "latin1.txt": Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
      "dir/inner.txt": "x\n",
      "link.txt": { link: "lines.txt" },
    });
  });
  after(() => s.close());

  it("reads a whole file with sha256, size and total_lines", async () => {
    const reply = await s.post("read_file", { path: "lines.txt" });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.json, {
      path: "lines.txt",
      content: "one\ntwo\nthree\nfour\n",
      start_line: 1,
      end_line: 4,
      total_lines: 4,
      size: 19,
      sha256: sha256("one\ntwo\nthree\nfour\n"),
      truncated: false,
    });
  });

  it("reads 1-based inclusive ranges and clamps an end past the file", async () => {
    const mid = await s.post("read_file", { path: "lines.txt", start_line: 2, end_line: 3 });
    assert.equal(mid.json.content, "two\nthree\n");
    assert.equal(mid.json.end_line, 3);
    assert.equal(mid.json.total_lines, 4);
    assert.equal(mid.json.sha256, sha256("one\ntwo\nthree\nfour\n"), "sha256 is of the whole file");
    const tail = await s.post("read_file", { path: "lines.txt", start_line: 4, end_line: 99 });
    assert.equal(tail.json.content, "four\n");
    assert.equal(tail.json.end_line, 4);
    const noeol = await s.post("read_file", { path: "noeol.txt", start_line: 2 });
    assert.equal(noeol.json.content, "b");
    assert.equal(noeol.json.total_lines, 2);
  });

  it("keeps a BOM and CRLF exactly as stored", async () => {
    const reply = await s.post("read_file", { path: "crlf-bom.txt" });
    assert.equal(reply.json.content, "\ufefffirst\r\nsecond\r\n");
    assert.equal(reply.json.total_lines, 2);
  });

  it("reads an empty file and a file through an in-workspace symlink", async () => {
    const empty = await s.post("read_file", { path: "empty.txt" });
    assert.equal(empty.status, 200);
    assert.equal(empty.json.content, "");
    assert.equal(empty.json.total_lines, 0);
    assert.equal(empty.json.sha256, sha256(""));
    const link = await s.post("read_file", { path: "link.txt", end_line: 1 });
    assert.equal(link.json.content, "one\n");
    assert.equal(link.json.path, "link.txt");
  });

  it("answers 415 for binary, 400 for a folder or a bad range, 404 for a missing file", async () => {
    for (const path of ["nul.bin", "latin1.txt"]) {
      const reply = await s.post("read_file", { path });
      assert.equal(reply.status, 415, `${path}: ${reply.text}`);
      assert.equal(reply.json.error.code, "BINARY_FILE");
    }
    const folder = await s.post("read_file", { path: "dir" });
    assert.equal(folder.status, 400);
    assert.match(folder.json.error.hint, /list_files/);
    assert.equal((await s.post("read_file", { path: "." })).status, 400);
    assert.equal((await s.post("read_file", { path: "lines.txt", start_line: 3, end_line: 2 })).status, 400);
    assert.equal((await s.post("read_file", { path: "lines.txt", start_line: 9 })).status, 400);
    const missing = await s.post("read_file", { path: "nope.txt" });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, "NOT_FOUND");
    assert.equal((await s.post("read_file", {})).status, 400, "path is required");
  });

  it("refuses a FIFO without blocking on it, and does not list or search it", async () => {
    execFileSync("mkfifo", [join(s.workspace, "pipe")]);
    const reply = await s.post("read_file", { path: "pipe" });
    assert.equal(reply.status, 400, reply.text);
    const list = await s.post("list_files", {});
    assert.ok(!list.json.entries.some((e: { path: string }) => e.path === "pipe"));
    const search = await s.post("search_text", { query: "x" });
    assert.equal(search.status, 200);
  });

  it("cuts at the response budget and continues exactly with next_start_line", async () => {
    const lines = Array.from({ length: 60_000 }, (_, i) => `line ${i + 1} ${"\"quoted\\".repeat(i % 7)}\u0001`);
    const text = `${lines.join("\n")}\n`;
    writeFileSync(join(s.workspace, "big.txt"), text);
    let content = "";
    let start = 1;
    for (let page = 0; page < 200; page++) {
      const reply = await s.post("read_file", { path: "big.txt", start_line: start });
      assert.equal(reply.status, 200);
      assert.ok(reply.text.length < 100_000, `page ${page}: ${reply.text.length} characters`);
      assert.equal(reply.json.total_lines, 60_000);
      content += reply.json.content;
      if (!reply.json.truncated) break;
      assert.equal(reply.json.next_start_line, reply.json.end_line + 1);
      start = reply.json.next_start_line;
    }
    assert.equal(content, text);
  });

  it("cuts a single huge line and moves on past it", async () => {
    writeFileSync(join(s.workspace, "minified.js"), `${"x".repeat(1_000_000)}\nnext\n`);
    const first = await s.post("read_file", { path: "minified.js" });
    assert.equal(first.status, 200);
    assert.ok(first.text.length < 100_000);
    assert.equal(first.json.truncated, true);
    assert.equal(first.json.next_start_line, 2);
    assert.match(first.json.note, /line 1 is too long/);
    const second = await s.post("read_file", { path: "minified.js", start_line: 2 });
    assert.equal(second.json.content, "next\n");
  });
});

describe("write_file", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
    makeTree(s.workspace, {
      "exists.txt": "old\n",
      "script.sh": "#!/bin/sh\necho hi\n",
      "target.txt": "target\n",
      "link-to-target": { link: "target.txt" },
      "dangling-inside": { link: "made-through-link.txt" },
      "folder/keep.txt": "k",
    });
    chmodSync(join(s.workspace, "script.sh"), 0o755);
  });
  after(() => s.close());

  const file = (rel: string) => readFileSync(join(s.workspace, rel), "utf8");

  it("creates a file and its missing folders", async () => {
    const reply = await s.post("write_file", { path: "new/deep/file.txt", content: "hello\n" });
    assert.equal(reply.status, 200, reply.text);
    const { checkpoint, ...rest } = reply.json; // every write also names the checkpoint taken before it
    assert.match(checkpoint, /^cp-/);
    assert.deepEqual(rest, { path: "new/deep/file.txt", size: 6, sha256: sha256("hello\n"), created: true });
    assert.equal(file("new/deep/file.txt"), "hello\n");
    assert.equal(statSync(join(s.workspace, "new/deep/file.txt")).mode & 0o777, 0o666 & ~process.umask());
  });

  it("replaces a file, reports previous_sha256, and writes bytes exactly (BOM, CRLF, unicode)", async () => {
    const content = "\ufeffline one\r\nüñï 🙂\r\n";
    const reply = await s.post("write_file", { path: "exists.txt", content });
    assert.equal(reply.status, 200);
    assert.equal(reply.json.created, false);
    assert.equal(reply.json.previous_sha256, sha256("old\n"));
    assert.equal(reply.json.sha256, sha256(content));
    assert.equal(file("exists.txt"), content);
    const read = await s.post("read_file", { path: "exists.txt" });
    assert.equal(read.json.sha256, reply.json.sha256);
  });

  it("honours expected_sha256: 409 CONFLICT when the file changed, success when it matches", async () => {
    const current = sha256(readFileSync(join(s.workspace, "exists.txt")));
    const stale = await s.post("write_file", { path: "exists.txt", content: "lost\n", expected_sha256: sha256("something else") });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.error.code, "CONFLICT");
    assert.notEqual(file("exists.txt"), "lost\n");
    const fresh = await s.post("write_file", { path: "exists.txt", content: "won\n", expected_sha256: current.toUpperCase() });
    assert.equal(fresh.status, 200, fresh.text);
    assert.equal(file("exists.txt"), "won\n");
    const missing = await s.post("write_file", { path: "not-there.txt", content: "x", expected_sha256: current });
    assert.equal(missing.status, 409);
    assert.equal(existsSync(join(s.workspace, "not-there.txt")), false);
    const malformed = await s.post("write_file", { path: "exists.txt", content: "x", expected_sha256: "abc" });
    assert.equal(malformed.status, 400);
  });

  it("refuses create_only over an existing file with 409 and creates otherwise", async () => {
    const refused = await s.post("write_file", { path: "exists.txt", content: "nope\n", create_only: true });
    assert.equal(refused.status, 409);
    assert.equal(file("exists.txt"), "won\n");
    const created = await s.post("write_file", { path: "only-once.txt", content: "1\n", create_only: true });
    assert.equal(created.status, 200);
    assert.equal(created.json.created, true);
    const again = await s.post("write_file", { path: "only-once.txt", content: "2\n", create_only: true });
    assert.equal(again.status, 409);
    assert.equal(file("only-once.txt"), "1\n");
  });

  it("keeps the mode of the file it replaces", async () => {
    const reply = await s.post("write_file", { path: "script.sh", content: "#!/bin/sh\necho changed\n" });
    assert.equal(reply.status, 200);
    assert.equal(statSync(join(s.workspace, "script.sh")).mode & 0o777, 0o755);
  });

  it("writes through an in-workspace symlink to its target and keeps the link", async () => {
    const reply = await s.post("write_file", { path: "link-to-target", content: "via link\n" });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(lstatSync(join(s.workspace, "link-to-target")).isSymbolicLink(), true);
    assert.equal(readlinkSync(join(s.workspace, "link-to-target")), "target.txt");
    assert.equal(file("target.txt"), "via link\n");
    const dangling = await s.post("write_file", { path: "dangling-inside", content: "made\n" });
    assert.equal(dangling.status, 200, dangling.text);
    assert.equal(file("made-through-link.txt"), "made\n");
  });

  it("refuses to write over a folder or the workspace itself, and leaves no temp files", async () => {
    assert.equal((await s.post("write_file", { path: "folder", content: "x" })).status, 400);
    assert.equal((await s.post("write_file", { path: ".", content: "x" })).status, 400);
    assert.equal((await s.post("write_file", { path: "folder/keep.txt/below", content: "x" })).status, 400);
    const leftovers = readdirSync(s.workspace, { recursive: true }).map(String).filter((p) => p.includes(".tmp"));
    assert.deepEqual(leftovers, []);
  });

  it("records the path in the audit log but never the content", async () => {
    const marker = "AUDIT-CONTENT-MARKER-91c";
    assert.equal((await s.post("write_file", { path: "audited.txt", content: marker })).status, 200);
    await s.close();
    const logs = readdirSync(s.home, { recursive: true }).map(String).filter((p) => /audit/.test(p) && !statSync(join(s.home, p)).isDirectory());
    const text = logs.map((p) => readFileSync(join(s.home, p), "utf8")).join("\n");
    assert.match(text, /audited\.txt/);
    assert.ok(!text.includes(marker));
    s = await startServer(s);
  });
});
