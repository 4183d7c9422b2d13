/**
 * The pure parts of the boundary: which git folders may ever become writable, how a
 * scan made at command time is narrowed to the recorded layout, and the order of the
 * bwrap mounts (hiding last). One real bwrap run proves the order holds on a kernel.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { bwrapArgs } from "../../src/sandbox/bwrap.js";
import { captureGitLayout, forbiddenWritable, reconcile, type Guarded } from "../../src/sandbox/facts/gitLayout.js";
import { gitProtection } from "../../src/sandbox/git.js";
import type { SandboxPolicy } from "../../src/sandbox/types.js";
import { tempDir } from "../helpers.js";
import { BWRAP, requires } from "../preconditions.js";

const guarded: Guarded = {
  home: "/home/u",
  configHome: "/home/u/.config/chatgpt-codex",
  workspace: "/home/u/proj",
  hidden: ["/home/u/.ssh", "/home/u/.aws", "/etc/shadow", "/run/user", "/srv/secrets"],
};

describe("forbiddenWritable: what no pointer or record can make writable", () => {
  const refused = [
    "/",
    "/home",
    "/home/u",
    "/home/u/.config",
    "/home/u/.config/chatgpt-codex",
    "/home/u/.config/chatgpt-codex/checkpoints",
    "/home/u/.ssh",
    "/home/u/.ssh/keys",
    "/home/u/.local/bin",
    "/home/u/.cache/x/.git",
    "/etc",
    "/run",
    "/srv",
    "/srv/secrets/repo.git",
  ];
  for (const dir of refused) test(`refused: ${dir}`, () => assert.notEqual(forbiddenWritable(dir, guarded), null));
  test("an ancestor of the workspace is refused", () => assert.match(forbiddenWritable("/home/u", { ...guarded, home: "/elsewhere" }) ?? "", /contains/));
  const allowed = ["/home/u/main/.git", "/home/u/main/.git/worktrees/proj", "/var/repos/shared.git", "/home/u/src/app/.git/modules/lib"];
  for (const dir of allowed) test(`allowed: ${dir}`, () => assert.equal(forbiddenWritable(dir, guarded), null));
});

describe("reconcile: the scan at command time against the record", () => {
  const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-C", cwd, "-c", "user.email=a@b", "-c", "user.name=a", ...args], { stdio: "pipe" });

  function worktree() {
    const root = tempDir();
    const main = join(root, "main");
    mkdirSync(main);
    git(main, "init", "-q");
    writeFileSync(join(main, "a"), "a");
    git(main, "add", "a");
    git(main, "commit", "-qm", "one");
    const wt = join(root, "wt");
    git(main, "worktree", "add", "-q", wt);
    const home = join(root, "home");
    mkdirSync(join(home, ".ssh"), { recursive: true });
    const g: Guarded = { home, configHome: join(home, ".config/chatgpt-codex"), workspace: wt, hidden: [join(home, ".ssh")] };
    return { root, main, wt, home, g };
  }

  test("a linked worktree as recorded: both git folders stay writable, nothing untrusted", () => {
    const { main, wt, g } = worktree();
    const layout = captureGitLayout(wt, g);
    assert.deepEqual(layout.writable.sort(), [join(main, ".git"), join(main, ".git/worktrees/wt")].sort());
    const { protection, untrusted } = reconcile(gitProtection(wt), layout, g);
    assert.deepEqual(untrusted, []);
    assert.deepEqual(protection.writable.sort(), layout.writable.sort());
  });

  test("a FIFO a command left where the scan reads (the .git file, commondir, config) does not stall the server; the layout still reconciles", () => {
    const { main, wt, g } = worktree();
    const layout = captureGitLayout(wt, g);
    const linked = join(main, ".git/worktrees/wt");
    for (const [name, at] of [["commondir", join(linked, "commondir")], ["config", join(main, ".git/config")], [".git file", join(wt, ".git")]] as const) {
      const saved = readFileSync(at);
      rmSync(at);
      assert.equal(spawnSync("mkfifo", [at]).status, 0);
      try {
        // In a child process, bounded: a blocked read there cannot hang the tests.
        const script = `
          const { gitProtection } = await import(${JSON.stringify(new URL("../../src/sandbox/git.js", import.meta.url).href)});
          process.stdout.write(JSON.stringify(gitProtection(${JSON.stringify(wt)})));`;
        const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
        assert.equal(run.signal, null, `${name} as a FIFO: the scan blocked`);
        assert.equal(run.status, 0, run.stderr);
        const { untrusted, protection } = reconcile(JSON.parse(run.stdout), layout, g);
        // Nothing outside the workspace becomes writable beyond what was recorded.
        for (const path of protection.writable) assert.ok(layout.writable.includes(path) || path.startsWith(`${wt}/`), `${name}: ${path} writable (untrusted: ${untrusted.join(", ")})`);
      } finally {
        rmSync(at);
        writeFileSync(at, saved);
      }
    }
  });

  test("no record: no git folder outside the workspace is writable", () => {
    const { wt, g } = worktree();
    const { protection, untrusted } = reconcile(gitProtection(wt), null, g);
    assert.deepEqual(protection.writable, []);
    assert.equal(untrusted.length, 2);
  });

  test("a record of another workspace does not count", () => {
    const { wt, g } = worktree();
    const layout = { ...captureGitLayout(wt, g), workspace: "/elsewhere" };
    assert.deepEqual(reconcile(gitProtection(wt), layout, g).protection.writable, []);
  });

  test("a .git file re-pointed after the record: the new folder is untrusted, and nothing is created or deleted there", () => {
    const { root, wt, g } = worktree();
    const layout = captureGitLayout(wt, g);
    const other = join(root, "other-repo");
    mkdirSync(other);
    git(other, "init", "-q");
    execFileSync("rm", ["-rf", join(other, ".git/hooks")]);
    writeFileSync(join(wt, ".git"), `gitdir: ${join(other, ".git")}\n`);
    const { protection, untrusted } = reconcile(gitProtection(wt), layout, g);
    assert.deepEqual(untrusted, [join(other, ".git")]);
    assert.deepEqual(protection.writable, []);
    assert.deepEqual(protection.emptyDirs, [], "no empty hooks mount outside what is writable");
    assert.deepEqual(protection.mustNotAppear, [], "nothing outside is removed after the run");
  });

  test("a record that names a forbidden folder is not trusted either (whatever was recorded)", () => {
    const { wt, home, g } = worktree();
    const layout = { ...captureGitLayout(wt, g), writable: [home] };
    writeFileSync(join(wt, ".git"), `gitdir: ${home}\n`);
    const { protection, untrusted } = reconcile(gitProtection(wt), layout, g);
    assert.deepEqual(protection.writable, []);
    assert.deepEqual(untrusted, [home]);
  });

  test("capture refuses a pointer at the home folder and lists it", () => {
    const { wt, home, g } = worktree();
    writeFileSync(join(wt, ".git"), `gitdir: ${home}\n`);
    const layout = captureGitLayout(wt, g);
    assert.deepEqual(layout.writable, []);
    assert.deepEqual(layout.refused, [home]);
  });

  test("a repository inside the workspace needs no record", () => {
    const ws = tempDir();
    git(ws, "init", "-q");
    const g: Guarded = { ...guarded, workspace: ws };
    const { protection, untrusted } = reconcile(gitProtection(ws), null, g);
    assert.deepEqual(untrusted, []);
    assert.deepEqual(protection.writable, [join(ws, ".git")]);
  });
});

const base: SandboxPolicy = {
  workspace: "/w",
  writable: [],
  readOnly: [],
  hidden: [],
  mustNotAppear: [],
  visible: [],
  network: false,
  cwd: "/w",
};
const command = { file: "/bin/true", args: [] };

function mountIndex(args: string[], kind: string, path: string): number {
  for (let i = 0; i < args.length; i++) if (args[i] === kind && args[i + (kind === "--ro-bind" || kind === "--bind" ? 2 : 1)] === path) return i;
  return -1;
}

describe("bwrap argv: hiding mounts come after every bind", () => {
  test("a writable bind deeper than a hidden folder, and one above it, both come first", () => {
    const policy = { ...base, writable: ["/h/.ssh/inner", "/h"], hidden: [{ path: "/h/.ssh", kind: "dir" as const }, { path: "/h/.netrc", kind: "file" as const }] };
    const args = bwrapArgs(policy, command);
    const hideDir = mountIndex(args, "--tmpfs", "/h/.ssh");
    const hideFile = args.indexOf("/dev/null");
    const deep = mountIndex(args, "--bind", "/h/.ssh/inner");
    const shallow = mountIndex(args, "--bind", "/h");
    assert.ok(deep >= 0 && shallow >= 0 && hideDir >= 0 && hideFile >= 0, args.join(" "));
    assert.ok(deep < hideDir && shallow < hideDir && deep < hideFile && shallow < hideFile, args.join(" "));
  });

  test("private /tmp and /dev/shm are size-capped; /dev is remounted read-only after /dev/shm", () => {
    const args = bwrapArgs(base, command, undefined, { tmpBytes: 5 * 1024 * 1024 });
    const tmp = mountIndex(args, "--tmpfs", "/tmp");
    const shm = mountIndex(args, "--tmpfs", "/dev/shm");
    assert.deepEqual(args.slice(tmp - 2, tmp), ["--size", String(5 * 1024 * 1024)]);
    assert.deepEqual(args.slice(shm - 2, shm), ["--size", String(5 * 1024 * 1024)]);
    assert.ok(args.indexOf("--remount-ro") > shm && args[args.indexOf("--remount-ro") + 1] === "/dev");
  });

  test("on a real kernel: a hidden file inside a folder bound read-write after it stays hidden", requires(BWRAP), () => {
    const root = tempDir();
    mkdirSync(join(root, "w"));
    mkdirSync(join(root, "h/.ssh/inner"), { recursive: true });
    writeFileSync(join(root, "h/.ssh/id"), "SECRET-KEY\n");
    writeFileSync(join(root, "h/.ssh/inner/id2"), "SECRET-KEY-2\n");
    const policy: SandboxPolicy = {
      ...base,
      workspace: join(root, "w"),
      cwd: join(root, "w"),
      writable: [join(root, "h/.ssh/inner"), join(root, "h")],
      hidden: [{ path: join(root, "h/.ssh"), kind: "dir" }],
    };
    const args = bwrapArgs(policy, { file: "/bin/sh", args: ["-c", `cat ${root}/h/.ssh/id ${root}/h/.ssh/inner/id2 2>&1; ls -A ${root}/h/.ssh`] });
    const out = spawnSync("bwrap", args, { encoding: "utf8" });
    assert.equal(out.error, undefined);
    assert.doesNotMatch(out.stdout + out.stderr, /SECRET-KEY/);
    assert.match(out.stdout, /No such file/);
  });
});
