/** Unit tests of the patch engine: parser leniency, matcher levels, chunk placement, unified diffs. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { isActionError } from "../src/ground/errors.js";
import { applyPatch, parsePatchText, type ApplyResult } from "../src/patch/engine.js";
import { LineIndex } from "../src/patch/matcher.js";
import { resolveInside } from "../src/workspace/resolveInside.js";
import { tempDir } from "./helpers.js";

function workspace(files: Record<string, string | Buffer> = {}): string {
  const root = tempDir("cgc-engine-");
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

function apply(root: string, patch: string, dryRun = false): ApplyResult {
  return applyPatch(patch, { root, resolve: (p) => resolveInside(root, p), dryRun });
}

function read(root: string, path: string): string {
  return readFileSync(join(root, path), "utf8");
}

/** Run a patch that must fail; return the error (code + message). */
function refused(root: string, patch: string): { code: string; message: string; details: unknown } {
  try {
    apply(root, patch);
  } catch (error) {
    if (isActionError(error)) return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
  assert.fail("the patch should have been refused");
}

const update = (path: string, body: string) => `*** Begin Patch\n*** Update File: ${path}\n${body}\n*** End Patch\n`;

describe("parser leniency", () => {
  test("a heredoc wrapper is stripped (also with the apply_patch command before it)", () => {
    for (const open of ["<<'EOF'", '<<"EOF"', "<<EOF", "apply_patch <<'PATCH'"]) {
      const root = workspace();
      const close = open.includes("PATCH") ? "PATCH" : "EOF";
      apply(root, `${open}\n*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n${close}\n`);
      assert.equal(read(root, "a.txt"), "hi\n");
    }
  });

  test("a Markdown code fence around the patch is stripped", () => {
    const root = workspace();
    apply(root, "```diff\n*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n```\n");
    assert.equal(read(root, "a.txt"), "hi\n");
  });

  test("marker lines padded with whitespace and CRLF patch text are accepted", () => {
    const root = workspace({ "f.txt": "one\n" });
    apply(root, "  *** Begin Patch \r\n\t*** Update File: f.txt  \r\n  @@  \r\n-one\r\n+two\r\n *** End Patch\t\r\n");
    assert.equal(read(root, "f.txt"), "two\n");
  });

  test("a blank line inside an update chunk is an empty context line", () => {
    const root = workspace({ "f.txt": "a\n\nb\n" });
    apply(root, update("f.txt", "@@\n a\n\n-b\n+B"));
    assert.equal(read(root, "f.txt"), "a\n\nB\n");
  });

  test("the first chunk may omit @@, later ones may not", () => {
    const root = workspace({ "f.txt": "a\nb\nc\n" });
    apply(root, update("f.txt", " a\n-b\n+B"));
    assert.equal(read(root, "f.txt"), "a\nB\nc\n");
    const bad = refused(root, update("f.txt", "@@\n-a\n+A\n c\nstray line"));
    assert.equal(bad.code, "BAD_REQUEST");
    assert.match(bad.message, /line 7/);
  });

  test("several @@ lines in a row narrow the search step by step", () => {
    const root = workspace({ "f.py": "class A:\n  def run():\n    x = 1\nclass B:\n  def run():\n    x = 1\n" });
    apply(root, update("f.py", "@@ class B:\n@@   def run():\n-    x = 1\n+    x = 2"));
    assert.equal(read(root, "f.py"), "class A:\n  def run():\n    x = 1\nclass B:\n  def run():\n    x = 2\n");
  });

  test("a unified range header inside the Codex format counts as a chunk marker", () => {
    const root = workspace({ "f.txt": "a\nb\n" });
    apply(root, update("f.txt", "@@ -1,2 +1,2 @@\n a\n-b\n+c"));
    assert.equal(read(root, "f.txt"), "a\nc\n");
  });

  test("blank lines between file sections and inside an Add File body", () => {
    const root = workspace();
    apply(root, "*** Begin Patch\n\n*** Add File: a.txt\n+one\n\n+three\n\n*** Add File: b.txt\n+b\n*** End Patch");
    assert.equal(read(root, "a.txt"), "one\n\nthree\n");
    assert.equal(read(root, "b.txt"), "b\n");
  });

  test("Move to without chunks is a pure rename", () => {
    const root = workspace({ "old.txt": "keep\r\nme" });
    const result = apply(root, "*** Begin Patch\n*** Update File: old.txt\n*** Move to: new/place.txt\n*** End Patch");
    assert.equal(existsSync(join(root, "old.txt")), false);
    assert.deepEqual(result.files.map((f) => [f.op, f.path, f.moved_to]), [["move", "old.txt", "new/place.txt"]]);
    // No chunks: the bytes move untouched (no final newline is added).
    assert.equal(read(root, "new/place.txt"), "keep\r\nme");
  });

  test("syntax errors are 400 BAD_REQUEST with the patch line", () => {
    const root = workspace({ "f.txt": "x\n" });
    const cases: Array<[string, RegExp]> = [
      ["", /empty/],
      ["*** Begin Patch\n*** Add File: a\n+x\n", /line 3: the last line must be '\*\*\* End Patch'/],
      ["*** Add File: a\n+x\n*** End Patch", /line 1: expected '\*\*\* Begin Patch'/],
      ["*** Begin Patch\n*** Add File:\n*** End Patch", /line 2: '\*\*\* Add File:' needs a path/],
      ["*** Begin Patch\n*** Update File: f.txt\n@@\n*** End Patch", /line 3: an update chunk has no lines/],
      ["*** Begin Patch\n*** Update File: f.txt\n@@\nx\n*** End Patch", /line 4: unexpected line 'x'/],
      ["hello there", /expected '\*\*\* Begin Patch'/],
    ];
    for (const [patch, pattern] of cases) {
      const error = refused(root, patch);
      assert.equal(error.code, "BAD_REQUEST", patch);
      assert.match(error.message, pattern);
    }
    assert.equal(read(root, "f.txt"), "x\n");
  });
});

describe("matcher", () => {
  test("levels: exact, trailing whitespace, surrounding whitespace, punctuation folded", () => {
    const index = new LineIndex(["alpha  ", "  beta", "it\u2019s \u201Cdone\u201D \u2014 ok\u00A0now", "alpha"]);
    assert.deepEqual(index.seek(["alpha"], 0), { start: 3, level: 0 });
    assert.deepEqual(index.seek(["alpha", "beta"], 0), { start: 0, level: 2 });
    assert.deepEqual(index.seek(["alpha", "  beta"], 0), { start: 0, level: 1 });
    assert.deepEqual(index.seek(["it's \"done\" - ok now"], 0), { start: 2, level: 3 });
    assert.equal(index.seek(["gamma"], 0), null);
  });

  test("an exact match further down wins over a fuzzy one nearby; search starts at the cursor", () => {
    const index = new LineIndex(["x ", "y", "x", "y"]);
    assert.equal(index.seek(["x", "y"], 0)!.start, 2);
    assert.equal(index.seek(["y"], 2)!.start, 3);
    assert.equal(index.seek(["x", "y"], 3), null);
  });

  test("eof pins the match to the last lines; near picks the closest equal match", () => {
    const index = new LineIndex(["a", "b", "a", "b", "a", "b"]);
    assert.equal(index.seek(["a", "b"], 0, { eof: true })!.start, 4);
    assert.equal(index.seek(["a"], 0, { eof: true }), null);
    assert.equal(index.seek(["a", "b"], 0, { near: 3 })!.start, 2);
    assert.equal(index.seek(["a", "b"], 0, { near: 100 })!.start, 4);
  });

  test("common lines do not make the search slow: the rarest line anchors it", () => {
    const lines: string[] = Array.from({ length: 50_000 }, (_, i) => (i % 2 ? "}" : ""));
    lines[40_001] = "unique";
    const index = new LineIndex(lines);
    assert.equal(index.seek(["", "unique", ""], 0)!.start, 40_000);
  });
});

describe("chunk placement (Codex format)", () => {
  test("@@ context selects the second of two identical blocks", () => {
    const root = workspace({ "f.js": "function a() {\n  return 1;\n}\nfunction b() {\n  return 1;\n}\n" });
    apply(root, update("f.js", "@@ function b() {\n-  return 1;\n+  return 2;"));
    assert.equal(read(root, "f.js"), "function a() {\n  return 1;\n}\nfunction b() {\n  return 2;\n}\n");
  });

  test("the @@ line repeated as the chunk's first context line still applies", () => {
    const root = workspace({ "f.py": "def f():\n    pass\n" });
    apply(root, update("f.py", "@@ def f():\n def f():\n-    pass\n+    return 1"));
    assert.equal(read(root, "f.py"), "def f():\n    return 1\n");
  });

  test("*** End of File pins the chunk to the end", () => {
    const root = workspace({ "f.txt": "end\nmiddle\nend\n" });
    apply(root, update("f.txt", "@@\n-end\n+END\n*** End of File"));
    assert.equal(read(root, "f.txt"), "end\nmiddle\nEND\n");
  });

  test("a chunk of only added lines goes at the end of the file (upstream rule), which keeps lacking a final newline", () => {
    const root = workspace({ "f.txt": "a\nb" });
    apply(root, update("f.txt", "@@\n+c"));
    assert.equal(read(root, "f.txt"), "a\nb\nc");
  });

  test("chunks out of order fail, and the error says so", () => {
    const root = workspace({ "f.txt": "one\ntwo\nthree\nfour\n" });
    const error = refused(root, update("f.txt", "@@\n-four\n+4\n@@\n-two\n+2"));
    assert.equal(error.code, "PATCH_FAILED");
    assert.match(error.message, /chunk 2 of 2/);
    assert.match(error.message, /They do occur at line 2.*chunks must follow the file's order/);
  });

  test("blank lines trailing a chunk are dropped when they do not match", () => {
    const root = workspace({ "f.txt": "a\nb\n" });
    apply(root, "*** Begin Patch\n*** Update File: f.txt\n@@\n a\n-b\n+c\n\n\n*** End Patch");
    assert.equal(read(root, "f.txt"), "a\nc\n");
  });

  test("fuzzy levels through a whole patch: indentation drift and typographic quotes", () => {
    const root = workspace({ "f.md": "  Title \u2014 \u201Cquoted\u201D\n\tbody\n" });
    apply(root, update("f.md", "@@\n-Title - \"quoted\"\n+Title - plain\n body"));
    // The replaced line takes the patch's text in the file's indentation; the context line keeps the file's own.
    assert.equal(read(root, "f.md"), "  Title - plain\n\tbody\n");
  });

  test("file without a final newline: the result keeps lacking one (unlike upstream, which adds it)", () => {
    const root = workspace({ "f.txt": "a\nb" });
    const result = apply(root, update("f.txt", "@@\n-a\n+A"));
    assert.equal(read(root, "f.txt"), "A\nb");
    assert.equal(result.files[0]!.final_newline, undefined);
  });

  test("CRLF and mixed line endings are kept line by line; a BOM survives", () => {
    const root = workspace({ "w.txt": "\uFEFFa\r\nb\r\nc\r\n", "m.txt": "a\r\nb\nc\r\nd\r\n" });
    apply(root, "*** Begin Patch\n*** Update File: w.txt\n@@\n a\n-b\n+B\n+B2\n*** Update File: m.txt\n@@\n-b\n+B\n c\n*** End Patch");
    assert.equal(read(root, "w.txt"), "\uFEFFa\r\nB\r\nB2\r\nc\r\n");
    // New lines take the dominant ending (CRLF: 3 of 4); untouched lines keep theirs.
    assert.equal(read(root, "m.txt"), "a\r\nB\r\nc\r\nd\r\n");
  });

  test("a non-UTF-8 file is refused for update, nothing written", () => {
    const bytes = Buffer.from([0x61, 0xff, 0x0a]);
    const root = workspace({ "bin.dat": bytes });
    const error = refused(root, update("bin.dat", "@@\n-a\n+b"));
    assert.equal(error.code, "PATCH_FAILED");
    assert.match(error.message, /not UTF-8 text/);
    assert.deepEqual(readFileSync(join(root, "bin.dat")), bytes);
  });

  test("Add then Update of the same file in one patch, with the final sha256 reported", () => {
    const root = workspace();
    const result = apply(root, "*** Begin Patch\n*** Add File: a.txt\n+one\n*** Update File: a.txt\n@@\n-one\n+two\n*** End Patch");
    const sha = createHash("sha256").update("two\n").digest("hex");
    assert.equal(read(root, "a.txt"), "two\n");
    assert.deepEqual(result.files.map((f) => f.sha256), [sha, sha]);
  });

  test("dry run computes the same summary and writes nothing", () => {
    const root = workspace({ "f.txt": "a\n" });
    const patch = update("f.txt", "@@\n-a\n+b");
    const dry = apply(root, patch, true);
    assert.equal(read(root, "f.txt"), "a\n");
    assert.equal(dry.written, 0);
    const real = apply(root, patch);
    assert.deepEqual(dry.files, real.files);
    assert.equal(read(root, "f.txt"), "b\n");
  });
});

describe("planning across files", () => {
  test("Add over a folder, or below a file, is refused", () => {
    const root = workspace({ "dir/x.txt": "x\n", "file.txt": "f\n" });
    assert.match(refused(root, "*** Begin Patch\n*** Add File: dir\n+x\n*** End Patch").message, /dir is a directory/);
    assert.match(refused(root, "*** Begin Patch\n*** Add File: file.txt/inner.txt\n+x\n*** End Patch").message, /needs a folder where a file exists/);
    const planned = refused(root, "*** Begin Patch\n*** Add File: a/b.txt\n+x\n*** Add File: a\n+y\n*** End Patch");
    assert.equal(planned.code, "PATCH_FAILED");
    assert.equal(existsSync(join(root, "a")), false);
  });

  test("a deleted file's place can become a folder in the same patch", () => {
    const root = workspace({ "a": "was a file\n" });
    apply(root, "*** Begin Patch\n*** Delete File: a\n*** Add File: a/b.txt\n+now a folder\n*** End Patch");
    assert.equal(read(root, "a/b.txt"), "now a folder\n");
  });

  test("Add then Delete of the same file changes nothing on disk", () => {
    const root = workspace();
    const result = apply(root, "*** Begin Patch\n*** Add File: t.txt\n+x\n*** Delete File: t.txt\n*** End Patch");
    assert.equal(result.written, 0);
    assert.equal(existsSync(join(root, "t.txt")), false);
  });

  test("a missing @@ line is named in the error with the closest line", () => {
    const root = workspace({ "f.py": "def alpha():\n    return 1\n" });
    const error = refused(root, update("f.py", "@@ def alpah():\n-    return 1\n+    return 2"));
    assert.equal(error.code, "PATCH_FAILED");
    assert.match(error.message, /its '@@ def alpah\(\):' line was not found/);
    assert.match(error.message, /1\|def alpha\(\):/);
  });
});

describe("unified diffs", () => {
  test("a unified diff keeps a CRLF file CRLF", () => {
    const root = workspace({ "w.txt": "a\r\nb\r\n" });
    apply(root, "--- a/w.txt\n+++ b/w.txt\n@@ -1,2 +1,3 @@\n a\n-b\n+B\n+C\n");
    assert.equal(read(root, "w.txt"), "a\r\nB\r\nC\r\n");
  });

  test("git-style update with a/ b/ prefixes", () => {
    const root = workspace({ "src/x.ts": "const a = 1;\nconst b = 2;\nconst c = 3;\n" });
    const result = apply(
      root,
      "diff --git a/src/x.ts b/src/x.ts\nindex 111..222 100644\n--- a/src/x.ts\n+++ b/src/x.ts\n@@ -1,3 +1,3 @@\n const a = 1;\n-const b = 2;\n+const b = 20;\n const c = 3;\n",
    );
    assert.equal(result.format, "unified");
    assert.equal(read(root, "src/x.ts"), "const a = 1;\nconst b = 20;\nconst c = 3;\n");
    assert.deepEqual(result.files.map((f) => [f.op, f.path, f.added_lines, f.removed_lines]), [["update", "src/x.ts", 1, 1]]);
  });

  test("wrong hunk counts and bare @@ headers still apply", () => {
    const root = workspace({ "f.txt": "a\nb\nc\n" });
    apply(root, "--- a/f.txt\n+++ b/f.txt\n@@ -1,7 +1,9 @@\n a\n-b\n+B\n c\n");
    assert.equal(read(root, "f.txt"), "a\nB\nc\n");
    apply(root, "--- a/f.txt\n+++ b/f.txt\n@@\n-c\n+C\n");
    assert.equal(read(root, "f.txt"), "a\nB\nC\n");
  });

  test("/dev/null adds and deletes; several files in one diff", () => {
    const root = workspace({ "gone.txt": "x\ny\n", "keep.txt": "k\n" });
    const result = apply(
      root,
      [
        "--- /dev/null",
        "+++ b/new/file.txt",
        "@@ -0,0 +1,2 @@",
        "+hello",
        "+world",
        "--- a/gone.txt",
        "+++ /dev/null",
        "@@ -1,2 +0,0 @@",
        "-x",
        "-y",
        "--- a/keep.txt",
        "+++ b/keep.txt",
        "@@ -1 +1 @@",
        "-k",
        "+K",
        "",
      ].join("\n"),
    );
    assert.equal(read(root, "new/file.txt"), "hello\nworld\n");
    assert.equal(existsSync(join(root, "gone.txt")), false);
    assert.equal(read(root, "keep.txt"), "K\n");
    assert.deepEqual(result.files.map((f) => f.op), ["add", "delete", "update"]);
  });

  test("a delete whose lines do not match the file is refused", () => {
    const root = workspace({ "gone.txt": "x\ny\nz\n" });
    const error = refused(root, "--- a/gone.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n");
    assert.equal(error.code, "PATCH_FAILED");
    assert.ok(existsSync(join(root, "gone.txt")));
  });

  test("git rename headers: pure rename and rename with changes", () => {
    const root = workspace({ "a.txt": "same\n", "b.txt": "one\ntwo\n" });
    const result = apply(
      root,
      [
        "diff --git a/a.txt b/moved/a.txt",
        "similarity index 100%",
        "rename from a.txt",
        "rename to moved/a.txt",
        "diff --git a/b.txt b/c.txt",
        "similarity index 60%",
        "rename from b.txt",
        "rename to c.txt",
        "--- a/b.txt",
        "+++ b/c.txt",
        "@@ -1,2 +1,2 @@",
        " one",
        "-two",
        "+2",
        "",
      ].join("\n"),
    );
    assert.deepEqual(result.files.map((f) => [f.op, f.path, f.moved_to]), [
      ["move", "a.txt", "moved/a.txt"],
      ["move", "b.txt", "c.txt"],
    ]);
    assert.equal(read(root, "moved/a.txt"), "same\n");
    assert.equal(read(root, "c.txt"), "one\n2\n");
    assert.equal(existsSync(join(root, "a.txt")), false);
    assert.equal(existsSync(join(root, "b.txt")), false);
  });

  test("the hunk's line number picks between identical blocks", () => {
    const root = workspace({ "f.txt": "x\ny\nx\ny\n" });
    apply(root, "--- a/f.txt\n+++ b/f.txt\n@@ -3,2 +3,2 @@\n x\n-y\n+Y\n");
    assert.equal(read(root, "f.txt"), "x\ny\nx\nY\n");
  });

  test("zero-context insertion goes after the line the header names", () => {
    const root = workspace({ "f.txt": "a\nb\nc\n" });
    apply(root, "--- a/f.txt\n+++ b/f.txt\n@@ -1,0 +2 @@\n+inserted\n");
    assert.equal(read(root, "f.txt"), "a\ninserted\nb\nc\n");
  });

  test("'No newline at end of file' markers are honoured; untouched ends are kept", () => {
    const root = workspace({ "a.txt": "a\nb\n", "b.txt": "x\ny\nz", "c.txt": "1\n2\n3\n4\n5\n6\n7\n8\nlast" });
    apply(
      root,
      [
        "--- a/a.txt",
        "+++ b/a.txt",
        "@@ -1,2 +1,2 @@",
        " a",
        "-b",
        "+B",
        "\\ No newline at end of file",
        "--- a/b.txt",
        "+++ b/b.txt",
        "@@ -2,2 +2,2 @@",
        " y",
        "-z",
        "\\ No newline at end of file",
        "+Z",
        "--- a/c.txt",
        "+++ b/c.txt",
        "@@ -1,2 +1,2 @@",
        "-1",
        "+one",
        " 2",
        "",
      ].join("\n"),
    );
    assert.equal(read(root, "a.txt"), "a\nB");
    assert.equal(read(root, "b.txt"), "x\ny\nZ\n");
    assert.equal(read(root, "c.txt"), "one\n2\n3\n4\n5\n6\n7\n8\nlast");
  });

  test("binary diffs and headerless hunks are refused with 400", () => {
    const root = workspace({ "f.txt": "a\n" });
    const binary = refused(root, "diff --git a/img.png b/img.png\nindex 1..2 100644\nBinary files a/img.png and b/img.png differ\n");
    assert.equal(binary.code, "BAD_REQUEST");
    const headerless = refused(root, "@@ -1 +1 @@\n-a\n+b\n");
    assert.equal(headerless.code, "BAD_REQUEST");
    assert.match(headerless.message, /no '--- a\/PATH'/);
  });

  test("parsePatchText reports the format", () => {
    assert.equal(parsePatchText("*** Begin Patch\n*** Delete File: x\n*** End Patch").format, "codex");
    assert.equal(parsePatchText("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n").format, "unified");
  });
});
