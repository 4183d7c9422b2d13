/**
 * read_file over lines longer than one answer (contract §8): a minified
 * bundle is readable in full through start_char / next_start_char, and a file
 * that is not UTF-8 answers 415 with its sha256 and size.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServer, type TestServer } from "../helpers.js";
import { sha256 } from "../files-helpers.js";

/** A minified-looking line: code, escapes that cost double in JSON, non-ASCII and astral characters. */
function minified(targetBytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < targetBytes; i++) {
    const piece =
      i % 5 === 0
        ? `var a${i}="q\\"uo\\\\te\\n";`
        : i % 5 === 1
          ? `t${i}:"ünï ☃ 🙂 ${i}",`
          : i % 5 === 2
            ? `function f${i}(x){return x&&x.y<${i}?x:null}`
            : i % 5 === 3
              ? `\t/*${i}*/\u0001`
              : `e${i}=[${i},${i + 1}];`;
    parts.push(piece);
    size += Buffer.byteLength(piece);
  }
  return parts.join("");
}

describe("read_file: one very long line, in parts", () => {
  let s: TestServer;
  const line = minified(757 * 1024);
  before(async () => {
    s = await startServer();
    writeFileSync(join(s.workspace, "bundle.min.js"), `${line}\n`);
    writeFileSync(join(s.workspace, "three.min.js"), `short\n${line}\nlast line\n`);
    writeFileSync(join(s.workspace, "noeol.min.js"), line);
  });
  after(() => s.close());

  /** Page through line `n` of `path`: the first call without start_char, then start_char = next_start_char. */
  async function readLine(path: string, n: number, startWithChar: boolean) {
    let text = "";
    let calls = 0;
    let body: Record<string, unknown> = startWithChar ? { path, start_line: n, end_line: n, start_char: 0 } : { path, start_line: n, end_line: n };
    for (;;) {
      const reply = await s.post("read_file", body);
      calls++;
      assert.equal(reply.status, 200, reply.text);
      assert.ok(reply.text.length < 100_000, `answer ${calls} is ${reply.text.length} characters`);
      assert.equal(reply.json.end_line, n);
      text += reply.json.content;
      if (reply.json.next_start_char === undefined) {
        assert.equal(reply.json.truncated, false);
        break;
      }
      assert.equal(reply.json.truncated, true);
      assert.match(reply.json.note, new RegExp(`start_char=${reply.json.next_start_char}`));
      body = { path, start_line: n, end_line: n, start_char: reply.json.next_start_char };
      assert.ok(calls < 40, "bounded");
    }
    return { text, calls };
  }

  it("reads a 757 KB single-line file completely, each answer under the limit", async () => {
    const whole = await readLine("bundle.min.js", 1, false);
    assert.equal(whole.text, `${line}\n`, "every character, in order, with its line break");
    assert.ok(whole.calls >= 8, `${whole.calls} calls`);
    const fromZero = await readLine("bundle.min.js", 1, true);
    assert.equal(fromZero.text, whole.text);
  });

  it("says where the rest of the line starts on a plain read, and where the next line is", async () => {
    const first = await s.post("read_file", { path: "three.min.js", start_line: 2 });
    assert.equal(first.json.content.length, first.json.next_start_char);
    assert.equal(first.json.end_line, 2);
    assert.equal(first.json.next_start_line, 3, "a reader that skips the long line still moves on");
    const rest = await readLine("three.min.js", 2, false);
    assert.equal(rest.text, `${line}\n`);
    const last = await s.post("read_file", { path: "three.min.js", start_line: 3 });
    assert.equal(last.json.content, "last line\n");
    const fromFirst = await s.post("read_file", { path: "three.min.js" });
    assert.equal(fromFirst.json.content, "short\n", "a page never starts a long line it cannot finish");
    assert.equal(fromFirst.json.next_start_line, 2);
    assert.equal(fromFirst.json.next_start_char, undefined);
  });

  it("reads a long last line without a final newline", async () => {
    const all = await readLine("noeol.min.js", 1, true);
    assert.equal(all.text, line);
  });

  it("never splits a surrogate pair between parts", async () => {
    const emoji = "🙂".repeat(60_000); // 120,000 UTF-16 units, 240 KB
    writeFileSync(join(s.workspace, "emoji.txt"), `${emoji}\n`);
    const all = await readLine("emoji.txt", 1, true);
    assert.equal(all.text, `${emoji}\n`);
    const first = await s.post("read_file", { path: "emoji.txt" });
    assert.equal(first.json.next_start_char % 2, 0);
  });

  it("keeps a BOM and CRLF, counted in the character offsets", async () => {
    const long = "x".repeat(95_000);
    writeFileSync(join(s.workspace, "bom.txt"), `\ufeff${long}\r\nnext\r\n`);
    const { text } = await readLine("bom.txt", 1, false);
    assert.equal(text, `\ufeff${long}\r\n`);
  });

  it("refuses start_char with a multi-line range or past the line's end", async () => {
    const range = await s.post("read_file", { path: "three.min.js", start_line: 1, end_line: 2, start_char: 3 });
    assert.equal(range.status, 400);
    assert.match(range.json.error.message, /end_line/);
    const past = await s.post("read_file", { path: "three.min.js", start_line: 1, end_line: 1, start_char: 7 });
    assert.equal(past.status, 400);
    assert.match(past.json.error.message, /past the end of line 1/);
    const atEnd = await s.post("read_file", { path: "three.min.js", start_line: 1, start_char: 6 });
    assert.equal(atEnd.status, 200, "start_char at the line's end is an empty part");
    assert.equal(atEnd.json.content, "");
    const mid = await s.post("read_file", { path: "three.min.js", start_line: 3, start_char: 5 });
    assert.equal(mid.json.content, "line\n", "start_char alone reads one line");
    assert.equal(mid.json.end_line, 3);
  });
});

describe("read_file: not UTF-8", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  it("answers 415 BINARY_FILE with the whole file's sha256 and size, so a write can still be guarded", async () => {
    const latin1 = Buffer.from("caf\xe9 cr\xe8me\n".repeat(3), "latin1");
    // Valid for 8 KB, then one latin-1 byte inside the requested range.
    const lateBad = Buffer.concat([Buffer.from("ok line\n".repeat(2000)), Buffer.from([0x63, 0xe9, 0x0a]), Buffer.from("tail\n".repeat(10))]);
    // A NUL byte at the start and 6 MB after it: the hash covers more than the first chunk.
    const bin = Buffer.concat([Buffer.from([0, 1, 2, 3]), Buffer.alloc(6 * 1024 * 1024, 7)]);
    for (const [name, bytes] of [["latin1.txt", latin1], ["late.txt", lateBad], ["blob.bin", bin]] as const) {
      writeFileSync(join(s.workspace, name), bytes);
      const reply = await s.post("read_file", { path: name });
      assert.equal(reply.status, 415, `${name}: ${reply.text}`);
      assert.equal(reply.json.error.code, "BINARY_FILE");
      assert.deepEqual(reply.json.error.details, { sha256: sha256(bytes), size: bytes.length }, name);
      assert.match(reply.json.error.hint, /expected_sha256/);
    }
    const guarded = await s.post("write_file", { path: "latin1.txt", content: "café crème\n", expected_sha256: sha256(latin1) });
    assert.equal(guarded.status, 200, guarded.text);
    assert.equal(guarded.json.previous_sha256, sha256(latin1));
  });
});
