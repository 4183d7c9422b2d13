/**
 * Contract §8: a patch that matched with loosened whitespace writes its added
 * lines in the indentation of the lines it matched, and says per file how
 * loosely it matched (`fuzz`). Engine level, on real files.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { applyPatch, type ApplyResult } from "../../src/patch/engine.js";
import { detectFileStyle, reindentAdded } from "../../src/patch/indent.js";
import { resolveInside } from "../../src/workspace/resolveInside.js";
import { tempDir } from "../helpers.js";

function workspace(files: Record<string, string>): string {
  const root = tempDir("cgc-indent-");
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

function apply(root: string, patch: string): ApplyResult {
  return applyPatch(patch, { root, resolve: (p) => resolveInside(root, p), dryRun: false });
}

const read = (root: string, path: string) => readFileSync(join(root, path), "utf8");
const update = (path: string, body: string) => `*** Begin Patch\n*** Update File: ${path}\n${body}\n*** End Patch\n`;

describe("added lines keep the file's indentation style", () => {
  test("tabs stay tabs when the patch was written with 4 spaces (the reported case)", () => {
    const go = "func main() {\n\tif ok {\n\t\tfmt.Println(\"a\")\n\t}\n\treturn\n}\n";
    const root = workspace({ "main.go": go });
    const result = apply(
      root,
      update(
        "main.go",
        "@@\n     if ok {\n         fmt.Println(\"a\")\n+        fmt.Println(\"b\")\n+        if deep {\n+            fmt.Println(\"c\")\n+        }\n     }\n+    log()\n     return",
      ),
    );
    assert.equal(
      read(root, "main.go"),
      "func main() {\n\tif ok {\n\t\tfmt.Println(\"a\")\n\t\tfmt.Println(\"b\")\n\t\tif deep {\n\t\t\tfmt.Println(\"c\")\n\t\t}\n\t}\n\tlog()\n\treturn\n}\n",
    );
    assert.equal(result.files[0]!.fuzz, "whitespace");
    assert.equal(result.files[0]!.reindented_lines, 5);
  });

  test("2-space file, patch written with 4 spaces: deeper added lines use 2 per level", () => {
    const js = "function f(x) {\n  if (x) {\n    return 1;\n  }\n  return 0;\n}\n";
    const root = workspace({ "f.js": js });
    const result = apply(root, update("f.js", "@@\n     if (x) {\n-        return 1;\n+        if (x > 1) {\n+            return 2;\n+        }\n+        return 1;\n     }"));
    assert.equal(read(root, "f.js"), "function f(x) {\n  if (x) {\n    if (x > 1) {\n      return 2;\n    }\n    return 1;\n  }\n  return 0;\n}\n");
    assert.equal(result.files[0]!.fuzz, "whitespace");
  });

  test("a patch copied one level too shallow is shifted into place", () => {
    const py = "class A:\n    def f(self):\n        a = 1\n        return a\n";
    const root = workspace({ "a.py": py });
    apply(root, update("a.py", "@@\n def f(self):\n     a = 1\n+    if a:\n+        a += 1\n     return a"));
    assert.equal(read(root, "a.py"), "class A:\n    def f(self):\n        a = 1\n        if a:\n            a += 1\n        return a\n");
  });

  test("mixed indentation: tab levels plus alignment spaces are kept apart", () => {
    const c = "int f(int a,\n\t  int b) {\n\tif (a)\n\t\treturn b;\n\treturn a;\n}\n";
    const root = workspace({ "f.c": c });
    apply(root, update("f.c", "@@\n     if (a)\n         return b;\n+    if (b)\n+        return a +\n+          b;\n     return a;"));
    assert.equal(read(root, "f.c"), "int f(int a,\n\t  int b) {\n\tif (a)\n\t\treturn b;\n\tif (b)\n\t\treturn a +\n\t\t  b;\n\treturn a;\n}\n");
  });

  test("a dedent below the anchor line lands on the file's levels", () => {
    const root = workspace({ "t.txt": "a\n\tb\n\t\tc\n" });
    apply(root, update("t.txt", "@@\n     b\n         c\n+    d\n+e"));
    assert.equal(read(root, "t.txt"), "a\n\tb\n\t\tc\n\td\ne\n");
  });

  test("one stray space in the file does not leak into the added lines", () => {
    const root = workspace({ "s.py": "def f():\n    a = 1\n     b = 2 \n    c = 3\n" });
    apply(root, update("s.py", "@@\n     a = 1\n     b = 2\n+    new = 0\n     c = 3"));
    assert.equal(read(root, "s.py"), "def f():\n    a = 1\n     b = 2 \n    new = 0\n    c = 3\n");
  });

  test("an exact match writes the patch's lines untouched, even if they differ in style", () => {
    const root = workspace({ "m.txt": "\tkeep\n" });
    const result = apply(root, update("m.txt", "@@\n \tkeep\n+    spaces as written"));
    assert.equal(read(root, "m.txt"), "\tkeep\n    spaces as written\n");
    assert.equal(result.files[0]!.fuzz, "exact");
    assert.equal(result.files[0]!.reindented_lines, undefined);
  });

  test("trailing whitespace only: fuzz whitespace, indentation already right", () => {
    const root = workspace({ "w.txt": "\ta  \n\tb\n" });
    const result = apply(root, update("w.txt", "@@\n \ta\n-\tb\n+\tB"));
    assert.equal(read(root, "w.txt"), "\ta  \n\tB\n");
    assert.equal(result.files[0]!.fuzz, "whitespace");
    assert.equal(result.files[0]!.reindented_lines, undefined);
  });

  test("typographic punctuation: fuzz unicode, indentation still follows the file", () => {
    const root = workspace({ "q.md": "\t\u201Cquoted\u201D \u2014 text\n\tnext\n" });
    const result = apply(root, update("q.md", "@@\n-  \"quoted\" - text\n+  \"plain\" - text\n   next"));
    assert.equal(read(root, "q.md"), "\t\"plain\" - text\n\tnext\n");
    assert.equal(result.files[0]!.fuzz, "unicode");
  });

  test("CRLF and a BOM survive a re-indented chunk", () => {
    const root = workspace({ "w.cs": "\uFEFFclass C {\r\n\tvoid M() {\r\n\t\tA();\r\n\t}\r\n}\r\n" });
    apply(root, update("w.cs", "@@\n     void M() {\n         A();\n+        B();\n     }"));
    assert.equal(read(root, "w.cs"), "\uFEFFclass C {\r\n\tvoid M() {\r\n\t\tA();\r\n\t\tB();\r\n\t}\r\n}\r\n");
  });

  test("fuzz is reported per file: the loosest level any chunk of that file needed", () => {
    const root = workspace({ "a.txt": "one\ntwo\nthree\n", "b.txt": "\tx\n\ty\n" });
    const result = apply(
      root,
      "*** Begin Patch\n*** Update File: a.txt\n@@\n one\n-two\n+TWO\n*** Update File: b.txt\n@@\n x\n-y\n+Y\n*** Add File: c.txt\n+new\n*** End Patch",
    );
    assert.deepEqual(
      result.files.map((f) => [f.path, f.fuzz]),
      [["a.txt", "exact"], ["b.txt", "whitespace"], ["c.txt", "exact"]],
    );
    assert.equal(read(root, "b.txt"), "\tx\n\tY\n");
  });

  test("a unified diff with space indentation against a tab file is re-indented too", () => {
    const root = workspace({ "u.go": "func f() {\n\ta()\n\tb()\n}\n" });
    const result = apply(root, "--- a/u.go\n+++ b/u.go\n@@ -1,4 +1,5 @@\n func f() {\n     a()\n+    a2()\n     b()\n }\n");
    assert.equal(read(root, "u.go"), "func f() {\n\ta()\n\ta2()\n\tb()\n}\n");
    assert.equal(result.files[0]!.fuzz, "whitespace");
  });
});

describe("indentation helpers", () => {
  test("detects tabs, 2 and 4 spaces, and nothing in a flat file", () => {
    assert.equal(detectFileStyle(["a", "\tb", "\t\tc", "    d"]).unit, "\t");
    assert.equal(detectFileStyle(["a", "  b", "    c", "  d", "e"]).unit, 2);
    assert.equal(detectFileStyle(["a", "    b", "        c", "    d"]).unit, 4);
    assert.equal(detectFileStyle(["a", "b"]).unit, null);
  });

  test("leaves added lines alone when nothing tells how to map them", () => {
    const body = [
      { tag: " " as const, text: "    x", fileText: "\tx" },
      { tag: "+" as const, text: "      odd" },
    ];
    // One old line, no step in the patch beyond 2 columns: the file's unit is a tab (4 columns).
    const out = reindentAdded(body, { unit: null });
    assert.deepEqual(out, { texts: ["      odd"], changed: 0 });
    const blank = reindentAdded([{ tag: " ", text: "    x", fileText: "\tx" }, { tag: "+", text: "    " }], { unit: "\t" });
    assert.deepEqual(blank.texts, ["    "], "blank lines are not re-indented");
  });
});
