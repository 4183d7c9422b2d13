import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { applyNumstat, parseNameStatus } from "../../src/git/diffFiles.js";
import { makeHome, startServer, tempDir, type TestServer } from "../helpers.js";
import { setupGit } from "./helpers.js";

interface FileEntry {
  path: string;
  status: string;
  added: number;
  removed: number;
  truncated: boolean;
  untracked?: boolean;
  binary?: boolean;
  orig_path?: string;
}

const byPath = (files: FileEntry[]) => new Map(files.map((f) => [f.path, f]));

describe("git_diff shows every changed file", () => {
  let s: TestServer;
  let secret: string;
  before(async () => {
    const fixture = makeHome();
    const ws = fixture.workspace;
    setupGit(ws, "init", "-q", "-b", "main");
    // "big" sorts first: its diff comes before every other file's.
    writeFileSync(join(ws, "aaa-big.txt"), "x\n");
    for (let i = 0; i < 5; i++) writeFileSync(join(ws, `small-${i}.txt`), `line one\nline two ${i}\nline three\n`);
    writeFileSync(join(ws, "gone.txt"), "bye\n");
    writeFileSync(join(ws, "renamed-from.txt"), "stay the same\n".repeat(20));
    setupGit(ws, "add", ".");
    setupGit(ws, "commit", "-q", "-m", "init");
    // 2 MB of change in one file, small changes in five others.
    writeFileSync(join(ws, "aaa-big.txt"), Array.from({ length: 60_000 }, (_, i) => `generated line ${i} ${"z".repeat(20)}`).join("\n") + "\n");
    for (let i = 0; i < 5; i++) writeFileSync(join(ws, `small-${i}.txt`), `line one\nline TWO ${i}\nline three\nadded ${i}\n`);
    setupGit(ws, "rm", "-q", "gone.txt");
    setupGit(ws, "mv", "renamed-from.txt", "renamed-to.txt");
    // Untracked: text, no final newline, binary, executable, in a new folder, and a symlink out.
    writeFileSync(join(ws, "new-notes.md"), "first\nsecond\nthird\n");
    writeFileSync(join(ws, "no-newline.txt"), "one\ntwo");
    writeFileSync(join(ws, "blob.bin"), Buffer.from([1, 2, 0, 3, 4]));
    writeFileSync(join(ws, "run.sh"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
    mkdirSync(join(ws, "newdir", "deeper"), { recursive: true });
    writeFileSync(join(ws, "newdir", "deeper", "n.txt"), "nested\n");
    const outside = tempDir("cgc-outside-");
    secret = "OUTSIDE-SECRET-CONTENT";
    writeFileSync(join(outside, "secret.txt"), `${secret}\n`);
    symlinkSync(join(outside, "secret.txt"), join(ws, "link-out"));
    writeFileSync(join(ws, ".gitignore"), "ignored.log\n");
    writeFileSync(join(ws, "ignored.log"), "never listed\n");
    s = await startServer(fixture);
  });
  after(() => s.close());

  it("one huge file does not hide the small ones: every file listed with counts, each diff capped with a marker", async () => {
    const reply = await s.post("git_diff", {});
    assert.equal(reply.status, 200, reply.text);
    assert.ok(reply.text.length < 100_000, `${reply.text.length} characters`);
    const files = byPath(reply.json.files);
    const big = files.get("aaa-big.txt")!;
    assert.equal(big.status, "modified");
    assert.equal(big.added, 60_000);
    assert.equal(big.removed, 1);
    assert.equal(big.truncated, true);
    assert.match(reply.json.diff, /\[… diff of aaa-big\.txt cut here \(60000 added, 1 removed/);
    for (let i = 0; i < 5; i++) {
      const small = files.get(`small-${i}.txt`)!;
      assert.deepEqual([small.status, small.added, small.removed, small.truncated], ["modified", 2, 1, false], `small-${i}`);
      assert.match(reply.json.diff, new RegExp(`^\\+added ${i}$`, "m"));
    }
    assert.equal(reply.json.truncated, true);
    assert.equal(reply.json.files_total, reply.json.files.length);
  });

  it("includes untracked files as added files (text, no final newline, binary, executable, nested), never through a symlink, never ignored ones", async () => {
    const reply = await s.post("git_diff", {});
    const files = byPath(reply.json.files);
    const notes = files.get("new-notes.md")!;
    assert.deepEqual([notes.status, notes.added, notes.removed, notes.untracked, notes.truncated], ["added", 3, 0, true, false]);
    assert.match(reply.json.diff, /diff --git a\/new-notes\.md b\/new-notes\.md\nnew file mode 100644\n--- \/dev\/null\n\+\+\+ b\/new-notes\.md\n@@ -0,0 \+1,3 @@\n\+first\n\+second\n\+third\n/);
    assert.equal(files.get("no-newline.txt")!.added, 2);
    assert.match(reply.json.diff, /\+two\n\\ No newline at end of file\n/);
    assert.equal(files.get("blob.bin")!.binary, true);
    assert.match(reply.json.diff, /Binary files \/dev\/null and b\/blob\.bin differ/);
    assert.match(reply.json.diff, /b\/run\.sh\nnew file mode 100755/);
    assert.equal(files.get("newdir/deeper/n.txt")!.added, 1);
    assert.ok(files.has("link-out"));
    assert.match(reply.json.diff, /new file mode 120000/);
    assert.doesNotMatch(reply.text, new RegExp(secret), "a symlink's target content must never be read");
    assert.ok(!files.has("ignored.log"));
    assert.ok(files.has(".gitignore"));
  });

  it("include_untracked: false and staged: true leave untracked files out; staged shows renames and deletions", async () => {
    const without = await s.post("git_diff", { include_untracked: false });
    assert.ok(!without.json.files.some((f: FileEntry) => f.untracked));
    const staged = await s.post("git_diff", { staged: true });
    assert.equal(staged.status, 200);
    const files = byPath(staged.json.files);
    assert.ok(!staged.json.files.some((f: FileEntry) => f.untracked));
    assert.equal(files.get("gone.txt")!.status, "deleted");
    assert.equal(files.get("gone.txt")!.removed, 1);
    assert.equal(files.get("renamed-to.txt")!.status, "renamed");
    assert.equal(files.get("renamed-to.txt")!.orig_path, "renamed-from.txt");
    assert.match(staged.json.diff, /rename to renamed-to\.txt/);
  });

  it("one file alone gets the whole answer (max_chars 80,000 here); a path narrows to that file, untracked or not", async () => {
    const big = await s.post("git_diff", { path: "aaa-big.txt", max_chars: 80_000 });
    assert.equal(big.json.files.length, 1);
    assert.ok(big.json.diff.length > 60_000, `a single file may use the whole budget (${big.json.diff.length})`);
    assert.ok(big.text.length < 100_000);
    assert.equal(big.json.truncated, true);
    const untracked = await s.post("git_diff", { path: "newdir" });
    assert.deepEqual(untracked.json.files.map((f: FileEntry) => f.path), ["newdir/deeper/n.txt"]);
    const nothing = await s.post("git_diff", { path: "small-0.txt", staged: true });
    assert.deepEqual([nothing.json.diff, nothing.json.files, nothing.json.truncated], ["", [], false]);
  });

  it("thousands of changed files: the list is cut to fit, files_total counts them all, the answer stays under 100,000 characters", async () => {
    const fixture = makeHome();
    const ws = fixture.workspace;
    setupGit(ws, "init", "-q", "-b", "main");
    for (let i = 0; i < 3000; i++) writeFileSync(join(ws, `f-${String(i).padStart(4, "0")}-with-a-longer-name.txt`), `v${i}\n`);
    const server = await startServer(fixture);
    try {
      const reply = await server.post("git_diff", { max_chars: 80_000 });
      assert.equal(reply.status, 200);
      assert.ok(reply.text.length < 100_000, `${reply.text.length}`);
      assert.equal(reply.json.files_total, 3000);
      assert.ok(reply.json.files.length > 100 && reply.json.files.length < 3000, `${reply.json.files.length}`);
      assert.equal(reply.json.truncated, true);
    } finally {
      await server.close();
    }
  });

  it("parses name-status and numstat records (renames, binary, odd names)", () => {
    const entries = parseNameStatus("M\0a b.txt\0R087\0old\tname\0new\nname\0A\0bin.dat\0D\0x\0");
    applyNumstat(entries, "1\t2\ta b.txt\0" + "3\t4\t\0old\tname\0new\nname\0" + "-\t-\tbin.dat\0" + "0\t5\tx\0");
    assert.deepEqual(entries, [
      { path: "a b.txt", status: "modified", added: 1, removed: 2, truncated: false },
      { path: "new\nname", orig_path: "old\tname", status: "renamed", added: 3, removed: 4, truncated: false },
      { path: "bin.dat", status: "added", added: 0, removed: 0, truncated: false, binary: true },
      { path: "x", status: "deleted", added: 0, removed: 5, truncated: false },
    ]);
  });
});
