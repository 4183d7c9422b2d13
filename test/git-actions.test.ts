import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeHome, startServer, tempDir, type TestServer } from "./helpers.js";
import { git, gitInit, makeTree } from "./files-helpers.js";

interface StatusFile {
  path: string;
  status: string;
  orig_path?: string;
}

describe("git_status and git_diff", () => {
  let s: TestServer;
  let remote: string;
  before(async () => {
    const base = tempDir();
    remote = join(base, "remote.git");
    git(base, "init", "-q", "--bare", "-b", "main", remote);
    const ws = join(base, "ws");
    git(base, "clone", "-q", remote, ws);
    makeTree(ws, { "a.txt": "one\ntwo\nthree\n", "b.txt": "b\n", "old name.txt": "rename me\n", "*.txt": "a file named like a glob\n" });
    git(ws, "add", "-A");
    git(ws, "commit", "-q", "-m", "first");
    git(ws, "push", "-q", "origin", "main");
    writeFileSync(join(ws, "b.txt"), "b committed locally\n");
    git(ws, "commit", "-q", "-am", "second (not pushed)");
    s = await startServer(makeHome({ workspace: ws }));
  });
  after(() => s.close());

  it("reports branch, ahead/behind and a clean tree", async () => {
    const reply = await s.post("git_status");
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.branch, "main");
    assert.equal(reply.json.upstream, "origin/main");
    assert.equal(reply.json.ahead, 1);
    assert.equal(reply.json.behind, 0);
    assert.deepEqual(reply.json.files, []);
    assert.equal(reply.json.truncated, false);
  });

  it("lists modified, staged, renamed and untracked files with short-status codes", async () => {
    writeFileSync(join(s.workspace, "a.txt"), "one\nTWO\nthree\n");
    writeFileSync(join(s.workspace, "new file.txt"), "new\n");
    mkdirSync(join(s.workspace, "newdir"));
    writeFileSync(join(s.workspace, "newdir", "x.txt"), "x\n");
    writeFileSync(join(s.workspace, "b.txt"), "staged\n");
    git(s.workspace, "add", "b.txt");
    git(s.workspace, "mv", "old name.txt", "new name.txt");
    const reply = await s.post("git_status");
    const files: StatusFile[] = reply.json.files;
    const byPath = new Map(files.map((f) => [f.path, f]));
    assert.equal(byPath.get("a.txt")?.status, " M");
    assert.equal(byPath.get("b.txt")?.status, "M ");
    assert.deepEqual(byPath.get("new name.txt"), { path: "new name.txt", status: "R ", orig_path: "old name.txt" });
    assert.equal(byPath.get("new file.txt")?.status, "??");
    assert.equal(byPath.get("newdir/")?.status, "??");
    assert.equal(reply.json.total_files, files.length);
  });

  it("diffs unstaged and staged changes, per path, with context_lines", async () => {
    const unstaged = await s.post("git_diff", {});
    assert.equal(unstaged.status, 200, unstaged.text);
    assert.match(unstaged.json.diff, /^diff --git a\/a\.txt b\/a\.txt/m);
    assert.match(unstaged.json.diff, /^-two$/m);
    assert.match(unstaged.json.diff, /^\+TWO$/m);
    assert.doesNotMatch(unstaged.json.diff, /b\.txt/, "b.txt is staged, not unstaged");
    assert.equal(unstaged.json.truncated, false);
    const staged = await s.post("git_diff", { staged: true });
    assert.match(staged.json.diff, /\+staged/);
    assert.match(staged.json.diff, /rename to new name\.txt/);
    const noContext = await s.post("git_diff", { path: "a.txt", context_lines: 0 });
    assert.doesNotMatch(noContext.json.diff, /^ one$/m);
    const huge = await s.post("git_diff", { path: "a.txt", context_lines: 1_000_000 });
    assert.equal(huge.status, 200, "context_lines is clamped");
    const other = await s.post("git_diff", { path: "b.txt" });
    assert.equal(other.json.diff, "");
  });

  it("treats a path literally, never as a glob", async () => {
    writeFileSync(join(s.workspace, "*.txt"), "changed glob-named file\n");
    const reply = await s.post("git_diff", { path: "*.txt" });
    assert.match(reply.json.diff, /changed glob-named file/);
    assert.doesNotMatch(reply.json.diff, /a\/a\.txt/, "the pathspec must not match other .txt files");
  });

  it("cuts a huge diff to the budget and lists the changed files", async () => {
    for (let i = 0; i < 40; i++) writeFileSync(join(s.workspace, `bulk-${i}.txt`), `${"payload line\n".repeat(2000)}`);
    git(s.workspace, "add", "-A");
    const reply = await s.post("git_diff", { staged: true });
    assert.equal(reply.status, 200);
    assert.ok(reply.text.length < 100_000, `${reply.text.length} characters`);
    assert.equal(reply.json.truncated, true);
    assert.ok(reply.json.files.some((f: { path: string }) => f.path === "bulk-39.txt"));
    assert.ok(reply.json.diff.endsWith("\n"), "cut at a line boundary");
  });
});

describe("git actions in a workspace inside a bigger repository, and outside git", () => {
  it("shows paths relative to the workspace and only its own changes", async () => {
    const repo = tempDir();
    gitInit(repo);
    makeTree(repo, { "top.txt": "top\n", "sub/ws/in.txt": "in\n" });
    git(repo, "add", "-A");
    git(repo, "commit", "-q", "-m", "init");
    writeFileSync(join(repo, "top.txt"), "changed outside the workspace\n");
    writeFileSync(join(repo, "sub/ws/in.txt"), "changed inside\n");
    const s = await startServer(makeHome({ workspace: join(repo, "sub", "ws") }));
    try {
      const status = await s.post("git_status");
      assert.deepEqual(status.json.files, [{ path: "in.txt", status: " M" }]);
      const diff = await s.post("git_diff", {});
      assert.match(diff.json.diff, /^diff --git a\/in\.txt b\/in\.txt/m);
      assert.doesNotMatch(diff.json.diff, /top\.txt/);
    } finally {
      await s.close();
    }
  });

  it("answers 400 NOT_A_GIT_REPO outside a repository, and a detached HEAD has branch null", async () => {
    const s = await startServer();
    try {
      for (const action of ["git_status", "git_diff"]) {
        const reply = await s.post(action, {});
        assert.equal(reply.status, 400, reply.text);
        assert.equal(reply.json.error.code, "NOT_A_GIT_REPO");
      }
      gitInit(s.workspace);
      writeFileSync(join(s.workspace, "f.txt"), "f\n");
      git(s.workspace, "add", "f.txt");
      git(s.workspace, "commit", "-q", "-m", "one");
      git(s.workspace, "checkout", "-q", "--detach");
      const detached = await s.post("git_status");
      assert.equal(detached.json.branch, null);
      assert.equal(detached.json.upstream, null);
    } finally {
      await s.close();
    }
  });
});
