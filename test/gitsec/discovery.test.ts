import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { findRepository } from "../../src/git/repo.js";
import { fileURLToPath } from "node:url";
import { makeHome, startServer, tempDir, type TestServer } from "../helpers.js";
import { makeCanary, plainGit, setupGit, type Canary } from "./helpers.js";

/**
 * Issue: six write_file calls build a repository-shaped folder (HEAD, refs,
 * objects, a config with a filter and core.worktree, .gitattributes, an index)
 * and the next read-only git call made git discover it and run the filter.
 */
async function plantFakeRepo(s: TestServer, canary: Canary, options: { dir?: string; worktree?: string } = {}): Promise<string> {
  const prefix = options.dir ? `${options.dir}/` : "";
  const filter = canary.script(`filter-${options.dir ?? "root"}`);
  const writes: Array<[string, string]> = [
    [`${prefix}HEAD`, "ref: refs/heads/main\n"],
    [`${prefix}refs/heads/.keep`, ""],
    [`${prefix}objects/.keep`, ""],
    [`${prefix}config`, `[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = ${options.worktree ?? "."}\n[filter "x"]\n\tclean = ${filter}\n\tsmudge = ${filter}\n`],
    [`${prefix}.gitattributes`, "README.md filter=x\n* filter=x\n"],
    [`${prefix}README.md`, "hello\n"],
  ];
  for (const [path, content] of writes) {
    const reply = await s.post("write_file", { path, content });
    assert.equal(reply.status, 200, `write_file ${path}: ${reply.text}`);
  }
  // The crafted index (binary, so made here the way the attacker's content would be).
  const gitDir = join(s.workspace, options.dir ?? "");
  execFileSync("git", ["--git-dir", gitDir, "--work-tree", gitDir, "-c", "filter.x.clean=cat", "-c", "filter.x.smudge=cat", "add", "README.md"], {
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
  });
  // Same size, other mtime: stat-dirty, so git must hash it (through the filter) to compare.
  writeFileSync(join(gitDir, "README.md"), "HELLO\n");
  utimesSync(join(gitDir, "README.md"), new Date(Date.now() + 5_000), new Date(Date.now() + 5_000));
  return gitDir;
}

async function everyGitAction(s: TestServer): Promise<Record<string, { status: number; json: any }>> {
  const out: Record<string, { status: number; json: any }> = {};
  for (const [name, body] of [
    ["git_status", {}],
    ["git_diff", {}],
    ["git_diff_staged", { staged: true }],
    ["git_diff_path", { path: "README.md" }],
    ["workspace_status", {}],
  ] as const) {
    const action = name.startsWith("git_diff") ? "git_diff" : name;
    const reply = await s.post(action, body);
    out[name] = { status: reply.status, json: reply.json };
  }
  return out;
}

describe("git never discovers a repository implicitly", () => {
  it("the issue's six-write attack in a plain folder: the trap is armed for plain git, and the server runs nothing", async () => {
    const canary = makeCanary();
    const s = await startServer();
    try {
      await plantFakeRepo(s, canary);
      plainGit(s.workspace, "status");
      assert.ok(canary.ran().length > 0, "sanity: plain git discovers the fake repository and runs its filter");
      canary.reset();
      const replies = await everyGitAction(s);
      for (const name of ["git_status", "git_diff", "git_diff_staged", "git_diff_path"]) {
        assert.equal(replies[name]!.status, 400, name);
        assert.equal(replies[name]!.json.error.code, "NOT_A_GIT_REPO", name);
      }
      assert.equal(replies.workspace_status!.status, 200);
      assert.equal(replies.workspace_status!.json.git, null);
      assert.deepEqual(canary.ran(), [], "a program from the planted config ran");
    } finally {
      await s.close();
    }
  });

  it("core.worktree pointing at another folder (the home-folder variant) lists nothing from it", async () => {
    const canary = makeCanary();
    const outside = tempDir("cgc-home-");
    writeFileSync(join(outside, "secret-name-in-home.txt"), "x\n");
    const s = await startServer();
    try {
      await plantFakeRepo(s, canary, { worktree: outside });
      const replies = await everyGitAction(s);
      assert.equal(replies.git_status!.json.error.code, "NOT_A_GIT_REPO");
      for (const reply of Object.values(replies)) assert.doesNotMatch(JSON.stringify(reply.json), /secret-name-in-home/);
      assert.deepEqual(canary.ran(), []);
    } finally {
      await s.close();
    }
  });

  it("a workspace inside a real repository uses that repository, not a fake one planted in the workspace", async () => {
    const canary = makeCanary();
    const repo = tempDir();
    setupGit(repo, "init", "-q", "-b", "main");
    writeFileSync(join(repo, "top.txt"), "top\n");
    setupGit(repo, "add", ".");
    setupGit(repo, "commit", "-q", "-m", "init");
    const ws = join(repo, "sub");
    mkdirSync(ws);
    const s = await startServer(makeHome({ workspace: ws }));
    try {
      await plantFakeRepo(s, canary);
      plainGit(ws, "status");
      assert.ok(canary.ran().length > 0, "sanity: plain git picks the planted folder before the real repository");
      canary.reset();
      const replies = await everyGitAction(s);
      assert.equal(replies.git_status!.status, 200, JSON.stringify(replies.git_status!.json));
      const paths = replies.git_status!.json.files.map((f: { path: string }) => f.path);
      assert.deepEqual(paths, ["./"], "the workspace folder is untracked in the real repository");
      assert.equal(replies.git_diff!.status, 200);
      const diffPaths = replies.git_diff!.json.files.map((f: { path: string }) => f.path);
      assert.ok(diffPaths.includes("README.md") && diffPaths.includes("config"), `${diffPaths}`);
      assert.equal(replies.workspace_status!.json.git.branch, "main");
      assert.deepEqual(canary.ran(), []);
    } finally {
      await s.close();
    }
  });

  it("a fake bare repository in a sub-folder is never used (git_diff with a path into it too)", async () => {
    const canary = makeCanary();
    const s = await startServer();
    try {
      await plantFakeRepo(s, canary, { dir: "vendor/pkg" });
      plainGit(join(s.workspace, "vendor", "pkg"), "status");
      assert.ok(canary.ran().length > 0, "sanity: plain git run inside it would use it");
      canary.reset();
      for (const path of ["vendor/pkg", "vendor/pkg/README.md", "vendor"]) {
        const reply = await s.post("git_diff", { path });
        assert.equal(reply.status, 400, path);
        assert.equal(reply.json.error.code, "NOT_A_GIT_REPO");
      }
      assert.equal((await s.post("git_status")).json.error.code, "NOT_A_GIT_REPO");
      assert.deepEqual(canary.ran(), []);
    } finally {
      await s.close();
    }
  });

  it("a .git file (gitdir:) pointing at a hostile git folder elsewhere: work tree stays the workspace, no program runs", async () => {
    const canary = makeCanary();
    const elsewhere = tempDir("cgc-elsewhere-");
    const outsideTree = tempDir("cgc-outside-tree-");
    writeFileSync(join(outsideTree, "outside-only.txt"), "x\n");
    const fixture = makeHome();
    const ws = fixture.workspace;
    const gitDir = join(elsewhere, "g");
    setupGit(elsewhere, "init", "-q", "--bare", "-b", "main", gitDir);
    writeFileSync(join(ws, "a.txt"), "a\n");
    writeFileSync(join(ws, ".gitattributes"), "* filter=evil diff=evil\n");
    setupGit(ws, "--git-dir", gitDir, "--work-tree", ws, "add", "a.txt");
    setupGit(ws, "--git-dir", gitDir, "--work-tree", ws, "commit", "-q", "-m", "one");
    const filter = canary.script("gitfile-filter");
    setupGit(ws, "--git-dir", gitDir, "config", "core.bare", "false");
    setupGit(ws, "--git-dir", gitDir, "config", "core.worktree", outsideTree);
    setupGit(ws, "--git-dir", gitDir, "config", "filter.evil.clean", filter);
    setupGit(ws, "--git-dir", gitDir, "config", "filter.evil.process", filter);
    setupGit(ws, "--git-dir", gitDir, "config", "diff.evil.textconv", filter);
    writeFileSync(join(ws, ".git"), `gitdir: ${gitDir}\n`);
    writeFileSync(join(ws, "a.txt"), "a changed\n");
    assert.deepEqual(findRepository(ws), { gitDir, workTree: ws });
    const s = await startServer(fixture);
    try {
      const status = await s.post("git_status");
      assert.equal(status.status, 200, status.text);
      const paths = status.json.files.map((f: { path: string }) => f.path);
      assert.ok(paths.includes("a.txt"), `${paths}`);
      assert.ok(!paths.includes("outside-only.txt"), "core.worktree must not move the work tree");
      const diff = await s.post("git_diff", {});
      assert.equal(diff.status, 200, diff.text);
      assert.match(diff.json.diff, /\+a changed/);
      assert.deepEqual(canary.ran(), []);
    } finally {
      await s.close();
    }
  });

  it("what counts as a repository: .git folder or gitdir file in the folder or a parent; never the folder itself", () => {
    const base = tempDir();
    // Bare-looking folder: not a repository for us.
    mkdirSync(join(base, "bare", "objects"), { recursive: true });
    mkdirSync(join(base, "bare", "refs"), { recursive: true });
    writeFileSync(join(base, "bare", "HEAD"), "ref: refs/heads/main\n");
    assert.equal(findRepository(join(base, "bare")), null);
    // A .git that is not a git folder (no HEAD), a garbage .git file, a gitdir to nowhere.
    mkdirSync(join(base, "empty", ".git"), { recursive: true });
    assert.equal(findRepository(join(base, "empty")), null);
    mkdirSync(join(base, "garbage"));
    writeFileSync(join(base, "garbage", ".git"), "not a gitdir line\n");
    assert.equal(findRepository(join(base, "garbage")), null);
    mkdirSync(join(base, "dangling"));
    writeFileSync(join(base, "dangling", ".git"), "gitdir: /nonexistent/path/.git\n");
    assert.equal(findRepository(join(base, "dangling")), null);
    // A real repository above: found from a deep sub-folder, and past an invalid .git on the way.
    setupGit(base, "init", "-q", "-b", "main", "real");
    mkdirSync(join(base, "real", "a", "b", ".git"), { recursive: true });
    const found = findRepository(join(base, "real", "a", "b"));
    assert.equal(found?.workTree, join(base, "real"));
    assert.equal(found?.gitDir, join(base, "real", ".git"));
    assert.equal(findRepository(join(base, "missing-folder")), null);
  });

  it("a .git file is read as git reads it: padded with line ends (found), a later gitdir line or a leading space (not a repository)", () => {
    const base = tempDir();
    const cases: Array<[string, string, boolean]> = [
      ["padded", `gitdir: meta${"\n".repeat(6_000)}`, true],
      ["crlf", "gitdir: meta\r\n", true],
      ["later-line", "junk\ngitdir: meta\n", false],
      ["leading-space", " gitdir: meta\n", false],
    ];
    for (const [name, text, repository] of cases) {
      const ws = join(base, name);
      setupGit(base, "init", "-q", "--bare", join(name, "meta"));
      writeFileSync(join(ws, ".git"), text);
      const gitSays = plainGit(ws, "rev-parse", "--absolute-git-dir").trim();
      assert.equal(gitSays === join(ws, "meta"), repository, `${name}: git itself says ${JSON.stringify(gitSays)}`);
      assert.deepEqual(findRepository(ws), repository ? { gitDir: join(ws, "meta"), workTree: ws } : null, name);
    }
  });

  it("a .git that is a plain file with garbage or an empty folder in the workspace: NOT_A_GIT_REPO, git: null", async () => {
    for (const plant of ["file", "dir"] as const) {
      const fixture = makeHome();
      if (plant === "file") writeFileSync(join(fixture.workspace, ".git"), "garbage\n");
      else mkdirSync(join(fixture.workspace, ".git"));
      const s = await startServer(fixture);
      try {
        assert.equal((await s.post("git_status")).json.error.code, "NOT_A_GIT_REPO", plant);
        assert.equal((await s.post("workspace_status")).json.git, null, plant);
      } finally {
        await s.close();
      }
    }
  });
});

describe("a .git file swapped for a FIFO", () => {
  it("is read without blocking: no repository, and the process goes on", () => {
    const dir = tempDir();
    const fifo = join(dir, ".git");
    execFileSync("mkfifo", [fifo]);
    // In a child with a time limit: a blocking open of a FIFO with no writer never returns.
    const repo = fileURLToPath(new URL("../../src/git/repo.js", import.meta.url));
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", `import { readGitFile } from ${JSON.stringify(repo)}; console.log(JSON.stringify(readGitFile(${JSON.stringify(fifo)}, ${JSON.stringify(dir)})));`], { encoding: "utf8", timeout: 20_000 });
    assert.equal(run.signal, null, "the read returned instead of waiting for a writer");
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), "null");
  });
});
