/**
 * Contract §8: ChatGPT re-sends a call whose answer it lost (45 s timeout).
 * A retried write succeeds as `unchanged`, a retried patch says it looks
 * already applied, and neither ever changes a byte the second time. Real
 * server, real files: tab, space, CRLF and BOM files.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { comesTrue, startServer, type TestServer } from "../helpers.js";
import { sha256 } from "../files-helpers.js";

const FILES: Record<string, string> = {
  "tabs.go": "package main\n\nfunc main() {\n\tif ok {\n\t\trun()\n\t}\n\treturn\n}\n",
  "spaces.py": "def f(x):\n    if x:\n        return 1\n    return 0\n",
  "crlf.txt": "alpha\r\nbeta\r\ngamma\r\n",
  "bom.cs": "\uFEFFclass C {\r\n\tvoid M() {\r\n\t\tA();\r\n\t}\r\n}\r\n",
};

describe("retries are safe", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
    for (const [name, content] of Object.entries(FILES)) writeFileSync(join(s.workspace, name), content);
  });
  after(() => s.close());

  const bytes = (name: string) => readFileSync(join(s.workspace, name));

  it("the same write_file sent twice: the second answers 200 unchanged, even with the pre-write expected_sha256", async () => {
    for (const name of Object.keys(FILES)) {
      const before = bytes(name);
      const content = `${before.toString("utf8")}// edited\r\n`;
      const body = { path: name, content, expected_sha256: sha256(before) };
      const first = await s.post("write_file", body);
      assert.equal(first.status, 200, first.text);
      assert.equal(first.json.unchanged, undefined);
      const mtime = statSync(join(s.workspace, name)).mtimeMs;
      const retry = await s.post("write_file", body);
      assert.equal(retry.status, 200, `${name}: ${retry.text}`);
      assert.equal(retry.json.unchanged, true);
      assert.equal(retry.json.created, false);
      assert.equal(retry.json.sha256, first.json.sha256);
      assert.equal(retry.json.sha256, sha256(Buffer.from(content, "utf8")));
      assert.equal(statSync(join(s.workspace, name)).mtimeMs, mtime, "nothing was written the second time");
      assert.equal(bytes(name).toString("utf8"), content);
    }
  });

  it("a retried create_only write succeeds unchanged; a different content still conflicts", async () => {
    const body = { path: "fresh/new.txt", content: "one\n", create_only: true };
    assert.equal((await s.post("write_file", body)).json.created, true);
    const retry = await s.post("write_file", body);
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.json.unchanged, true);
    const other = await s.post("write_file", { ...body, content: "two\n" });
    assert.equal(other.status, 409);
    assert.equal(bytes("fresh/new.txt").toString(), "one\n");
  });

  it("a stale expected_sha256 still refuses a write that would change the file", async () => {
    writeFileSync(join(s.workspace, "guarded.txt"), "mine\n");
    const stale = await s.post("write_file", { path: "guarded.txt", content: "theirs\n", expected_sha256: sha256("older\n") });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.error.code, "CONFLICT");
    assert.equal(stale.json.error.details.current_sha256, sha256("mine\n"));
    assert.equal(bytes("guarded.txt").toString(), "mine\n");
    // The same stale hash with the content already there: nothing to lose, so success.
    const same = await s.post("write_file", { path: "guarded.txt", content: "mine\n", expected_sha256: sha256("older\n") });
    assert.equal(same.status, 200);
    assert.equal(same.json.unchanged, true);
  });

  it("the same patch sent twice: 409 PATCH_FAILED that says it looks already applied, files untouched", async () => {
    const patch = [
      "*** Begin Patch",
      "*** Update File: tabs.go",
      "@@ func main() {",
      "     if ok {",
      "         run()",
      "+        check()",
      "     }",
      "*** Update File: spaces.py",
      "@@",
      "     if x:",
      "-        return 1",
      "+        return 2",
      "*** Update File: crlf.txt",
      "@@",
      " alpha",
      "-beta",
      "+BETA",
      "*** Update File: bom.cs",
      "@@",
      " \t\tA();",
      "+\t\tB();",
      "*** Add File: added/readme.md",
      "+# added",
      "*** End Patch",
    ].join("\n");
    const first = await s.post("apply_patch", { patch });
    assert.equal(first.status, 200, first.text);
    const fuzz = Object.fromEntries(first.json.files.map((f: { path: string; fuzz: string }) => [f.path, f.fuzz]));
    assert.deepEqual(fuzz, { "tabs.go": "whitespace", "spaces.py": "exact", "crlf.txt": "exact", "bom.cs": "exact", "added/readme.md": "exact" });
    const snapshot = Object.fromEntries(["tabs.go", "spaces.py", "crlf.txt", "bom.cs", "added/readme.md"].map((f) => [f, bytes(f).toString("hex")]));
    assert.match(bytes("tabs.go").toString(), /\t\trun\(\)\n\t\tcheck\(\)\n/, "tabs stay tabs");
    assert.match(bytes("crlf.txt").toString(), /^alpha\r\nBETA\r\ngamma\r\n/, "CRLF kept");
    assert.match(bytes("bom.cs").toString(), /^\uFEFF.*\t\tA\(\);\r\n\t\tB\(\);\r\n/s);

    for (const dryRun of [false, true, false]) {
      const retry = await s.post("apply_patch", { patch, dry_run: dryRun });
      assert.equal(retry.status, 409, retry.text);
      assert.equal(retry.json.error.code, "PATCH_FAILED");
      assert.match(retry.json.error.message, /looks already applied/);
      assert.equal(retry.json.error.details.already_applied, true);
      assert.match(retry.json.error.hint, /Do not send it again/);
    }
    for (const [file, hex] of Object.entries(snapshot)) assert.equal(bytes(file).toString("hex"), hex, `${file} untouched by the retries`);
  });

  it("a patch applied, then re-sent after a timeout (the answer was lost), as a unified diff", async () => {
    writeFileSync(join(s.workspace, "u.txt"), "one\ntwo\nthree\nfour\n");
    const diff = "--- a/u.txt\n+++ b/u.txt\n@@ -1,4 +1,4 @@\n one\n-two\n+TWO\n three\n four\n";
    // The first call is made and its answer dropped on the floor, as ChatGPT's timeout would.
    const controller = new AbortController();
    const lost = fetch(`${s.url}/apply_patch`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.token}` },
      body: JSON.stringify({ patch: diff }),
      signal: controller.signal,
    }).then((r) => r.text());
    // Wait (bounded) until the first call's change is on disk, then give up on its answer.
    await comesTrue(() => bytes("u.txt").toString().includes("TWO"));
    controller.abort();
    await lost.catch(() => undefined);
    assert.equal(bytes("u.txt").toString(), "one\nTWO\nthree\nfour\n");
    const retry = await s.post("apply_patch", { patch: diff });
    assert.equal(retry.status, 409);
    assert.match(retry.json.error.message, /looks already applied/);
    assert.equal(bytes("u.txt").toString(), "one\nTWO\nthree\nfour\n");
  });

  it("a re-sent Add File of the same content and a re-sent move are already applied too", async () => {
    const add = "*** Begin Patch\n*** Add File: once.txt\n+same\n*** End Patch";
    assert.equal((await s.post("apply_patch", { patch: add })).status, 200);
    const again = await s.post("apply_patch", { patch: add });
    assert.equal(again.status, 409);
    assert.match(again.json.error.message, /already applied/);
    writeFileSync(join(s.workspace, "from.txt"), "x\ny\n");
    const move = "*** Begin Patch\n*** Update File: from.txt\n*** Move to: to.txt\n@@\n x\n-y\n+Y\n*** End Patch";
    assert.equal((await s.post("apply_patch", { patch: move })).status, 200);
    const moveAgain = await s.post("apply_patch", { patch: move });
    assert.equal(moveAgain.status, 409);
    assert.match(moveAgain.json.error.message, /already applied/);
    assert.equal(bytes("to.txt").toString(), "x\nY\n");
  });

  it("a re-sent insert-only patch (context then '+' lines, or an append) does not insert twice", async () => {
    writeFileSync(join(s.workspace, "ins.txt"), "first\nlast\n");
    const insert = "*** Begin Patch\n*** Update File: ins.txt\n@@\n last\n+added after last\n*** End Patch";
    const append = "*** Begin Patch\n*** Update File: ins.txt\n@@\n+appended line 1\n+appended line 2\n*** End Patch";
    for (const patch of [insert, append]) {
      assert.equal((await s.post("apply_patch", { patch })).status, 200);
      const expected = bytes("ins.txt").toString();
      const again = await s.post("apply_patch", { patch });
      assert.equal(again.status, 409, again.text);
      assert.match(again.json.error.message, /looks already applied/);
      assert.equal(bytes("ins.txt").toString(), expected, "nothing inserted twice");
    }
    assert.equal(bytes("ins.txt").toString(), "first\nlast\nadded after last\nappended line 1\nappended line 2\n");
    // A blank line or a brace proves nothing: adding one more is a real change.
    writeFileSync(join(s.workspace, "brace.js"), "f()\n}\n");
    const brace = await s.post("apply_patch", { patch: "*** Begin Patch\n*** Update File: brace.js\n@@\n f()\n+}\n*** End Patch" });
    assert.equal(brace.status, 200, brace.text);
    assert.equal(bytes("brace.js").toString(), "f()\n}\n}\n");
  });

  it("does not call a patch applied without evidence: mistyped delete, wrong lines, half-applied", async () => {
    const del = await s.post("apply_patch", { patch: "*** Begin Patch\n*** Delete File: never-there.txt\n*** End Patch" });
    assert.equal(del.status, 409);
    assert.doesNotMatch(del.json.error.message, /already applied/);
    assert.match(del.json.error.message, /does not exist/);

    writeFileSync(join(s.workspace, "w.txt"), "a\nb\nc\n");
    const wrong = await s.post("apply_patch", { patch: "*** Begin Patch\n*** Update File: w.txt\n@@\n a\n-x\n+y\n c\n*** End Patch" });
    assert.equal(wrong.status, 409);
    assert.doesNotMatch(wrong.json.error.message, /already applied/);

    // Two files: the first already has its change, the second does not.
    writeFileSync(join(s.workspace, "p1.txt"), "k\nNEW\nm\n");
    writeFileSync(join(s.workspace, "p2.txt"), "k\nold\nm\n");
    const half = await s.post("apply_patch", {
      patch: "*** Begin Patch\n*** Update File: p1.txt\n@@\n k\n-old\n+NEW\n m\n*** Update File: p2.txt\n@@\n k\n-gone\n+NEW\n m\n*** End Patch",
    });
    assert.equal(half.status, 409);
    assert.doesNotMatch(half.json.error.message, /the patch looks already applied/);
    assert.match(half.json.error.message, /This chunk looks already applied/, "the chunk of p1.txt is named as applied");
    assert.equal(half.json.error.details.path, "p1.txt");
    assert.equal(half.json.error.details.chunk_already_applied, true);
    assert.equal(bytes("p2.txt").toString(), "k\nold\nm\n");
  });

  it("a re-sent patch whose added lines were re-indented (tab file) is still recognised", async () => {
    writeFileSync(join(s.workspace, "t.go"), "func f() {\n\ta()\n\tb()\n}\n");
    const patch = "*** Begin Patch\n*** Update File: t.go\n@@\n     a()\n+    a2()\n     b()\n*** End Patch";
    const first = await s.post("apply_patch", { patch });
    assert.equal(first.status, 200);
    assert.equal(first.json.files[0].fuzz, "whitespace");
    assert.equal(first.json.files[0].reindented_lines, 1);
    assert.equal(bytes("t.go").toString(), "func f() {\n\ta()\n\ta2()\n\tb()\n}\n");
    const retry = await s.post("apply_patch", { patch });
    assert.equal(retry.status, 409);
    assert.match(retry.json.error.message, /looks already applied/);
  });
});
