/** The sandbox description and its two renderings (bwrap argv, Seatbelt profile), git protection, hints, config defaults. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigSchema } from "../../src/config/schema.js";
import { bwrapArgs, FULL_FEATURES } from "../../src/sandbox/bwrap.js";
import { configuredHooksPath, gitProtection } from "../../src/sandbox/git.js";
import { sandboxHint } from "../../src/sandbox/hints.js";
import type { SandboxRun } from "../../src/sandbox/plan.js";
import { buildPolicy, SECRET_PATHS } from "../../src/sandbox/policy.js";
import { sbplString, seatbeltProfile } from "../../src/sandbox/seatbelt.js";
import type { SandboxPolicy } from "../../src/sandbox/types.js";
import { tempDir } from "../helpers.js";

const policy = (change: Partial<SandboxPolicy> = {}): SandboxPolicy => ({
  workspace: "/tmp/ws",
  writable: [],
  readOnly: ["/tmp/ws/.git/hooks", "/tmp/ws/.git/config"],
  hidden: [
    { path: "/home/u/.ssh", kind: "dir" },
    { path: "/home/u/.netrc", kind: "file" },
    { path: "/tmp/ws/.chatgpt-codex", kind: "dir" },
  ],
  mustNotAppear: ["/tmp/ws/.git/commondir"],
  visible: [],
  network: false,
  cwd: "/tmp/ws/sub",
  ...change,
});

const command = { file: "/bin/bash", args: ["-c", "echo hi"] };

/** Index of the first `flag` whose next arguments are `rest`. */
function at(args: string[], ...seq: string[]): number {
  for (let i = 0; i <= args.length - seq.length; i++) if (seq.every((s, j) => args[i + j] === s)) return i;
  return -1;
}

describe("bwrap argv", () => {
  test("isolation flags, no network, the command after --", () => {
    const args = bwrapArgs(policy(), command);
    for (const flag of ["--die-with-parent", "--new-session", "--unshare-all", "--unshare-user", "--disable-userns"]) assert.ok(args.includes(flag), flag);
    assert.ok(at(args, "--cap-drop", "ALL") >= 0);
    assert.ok(!args.includes("--share-net"));
    assert.deepEqual(args.slice(args.indexOf("--")), ["--", "/bin/bash", "-c", "echo hi"]);
    assert.ok(at(args, "--chdir", "/tmp/ws/sub") >= 0);
    assert.ok(at(args, "--proc", "/proc") >= 0 && at(args, "--dev", "/dev") >= 0);
  });

  test("network: --share-net only when the policy allows it", () => {
    assert.ok(bwrapArgs(policy({ network: true }), command).includes("--share-net"));
  });

  test("mounts go parent-first: / read-only, private /tmp, the workspace over it, protections over the workspace", () => {
    const args = bwrapArgs(policy(), command);
    const root = at(args, "--ro-bind", "/", "/");
    const tmp = at(args, "--tmpfs", "/tmp");
    const ws = at(args, "--bind", "/tmp/ws", "/tmp/ws");
    const hooks = at(args, "--ro-bind", "/tmp/ws/.git/hooks", "/tmp/ws/.git/hooks");
    const config = at(args, "--ro-bind", "/tmp/ws/.git/config", "/tmp/ws/.git/config");
    const ownConfig = at(args, "--tmpfs", "/tmp/ws/.chatgpt-codex");
    assert.ok(root >= 0 && root < tmp && tmp < ws && ws < hooks && ws < config && ws < ownConfig, args.join(" "));
  });

  test("hidden folders become empty read-only tmpfs, hidden files /dev/null", () => {
    const args = bwrapArgs(policy(), command);
    assert.ok(at(args, "--tmpfs", "/home/u/.ssh") >= 0);
    assert.ok(at(args, "--remount-ro", "/home/u/.ssh") > at(args, "--tmpfs", "/home/u/.ssh"));
    assert.ok(at(args, "--ro-bind", "/dev/null", "/home/u/.netrc") >= 0);
  });

  test("a hidden path under the private /tmp needs no mount; one inside another hidden folder neither", () => {
    const args = bwrapArgs(policy({ hidden: [{ path: "/tmp/agent.sock", kind: "file" }, { path: "/run/user", kind: "dir" }, { path: "/run/user/0/bus", kind: "file" }] }), command);
    assert.ok(!args.includes("/tmp/agent.sock"));
    assert.ok(!args.includes("/run/user/0/bus"));
    assert.ok(at(args, "--tmpfs", "/run/user") >= 0);
  });

  test("a bwrap without --disable-userns or user namespaces gets argv it understands", () => {
    const old = bwrapArgs(policy(), command, { userNamespace: true, disableUserns: false });
    assert.ok(old.includes("--unshare-user") && !old.includes("--disable-userns"));
    const setuid = bwrapArgs(policy(), command, { userNamespace: false, disableUserns: false });
    assert.ok(!setuid.includes("--unshare-user") && setuid.includes("--cap-drop"));
    assert.deepEqual(FULL_FEATURES, { userNamespace: true, disableUserns: true });
  });

  test("writable git folders outside the workspace are bound read-write, their protections on top", () => {
    const args = bwrapArgs(policy({ writable: ["/repo/.git"], readOnly: ["/repo/.git/hooks"] }), command);
    assert.ok(at(args, "--bind", "/repo/.git", "/repo/.git") < at(args, "--ro-bind", "/repo/.git/hooks", "/repo/.git/hooks"));
  });
});

describe("Seatbelt profile (macOS; generated text only — untested on a real Mac)", () => {
  test("deny by default, read everywhere, write only the workspace and the run's temp folder", () => {
    const text = seatbeltProfile(policy(), "/private/var/folders/x/T/cgc-1");
    const lines = text.trim().split("\n");
    assert.equal(lines[0], "(version 1)");
    assert.equal(lines[1], "(deny default)");
    assert.ok(lines.includes("(allow file-read*)"));
    const write = lines.find((l) => l.startsWith("(allow file-write*"))!;
    assert.match(write, /\(subpath "\/tmp\/ws"\)/);
    assert.match(write, /\(subpath "\/private\/var\/folders\/x\/T\/cgc-1"\)/);
    assert.doesNotMatch(write, /"\/"\)/, "never the whole disk");
  });

  test("hidden paths are denied for reading and writing, after the allowances (later rules win)", () => {
    const lines = seatbeltProfile(policy(), "/t").trim().split("\n");
    const allowRead = lines.indexOf("(allow file-read*)");
    const denyRead = lines.findIndex((l) => l.startsWith("(deny file-read*"));
    assert.ok(denyRead > allowRead);
    assert.match(lines[denyRead]!, /\(subpath "\/home\/u\/.ssh"\)/);
    assert.match(lines[denyRead]!, /\(literal "\/home\/u\/.netrc"\)/);
    const denyWrite = lines.filter((l) => l.startsWith("(deny file-write*"));
    assert.ok(denyWrite.some((l) => l.includes('"/tmp/ws/.git/hooks"') && l.includes('"/tmp/ws/.git/config"') && l.includes('"/tmp/ws/.git/commondir"')));
    assert.ok(denyWrite.every((l) => lines.indexOf(l) > lines.findIndex((x) => x.startsWith("(allow file-write*"))));
  });

  test("network rules only with network", () => {
    assert.doesNotMatch(seatbeltProfile(policy(), "/t"), /network-outbound/);
    assert.match(seatbeltProfile(policy({ network: true }), "/t"), /\(allow network-outbound\)/);
  });

  test("paths are quoted: quotes and backslashes escaped, control characters refused", () => {
    assert.equal(sbplString('/a "b"\\c'), '"/a \\"b\\"\\\\c"');
    assert.throws(() => sbplString("/a\nb"));
    const text = seatbeltProfile(policy({ workspace: '/w/") (allow default) ("' }), "/t");
    assert.ok(text.includes('(subpath "/w/\\") (allow default) (\\"")'), "the path stays one string");
    assert.doesNotMatch(text, /^\(allow default\)$/m);
  });
});

describe("git protection", () => {
  const git = (cwd: string, ...args: string[]) => execFileSync("git", ["-C", cwd, "-c", "user.email=a@b", "-c", "user.name=a", ...args], { stdio: "pipe", encoding: "utf8" });

  test("a plain repository: hooks and config read-only, .git bound onto itself, commondir must not appear", () => {
    const ws = tempDir();
    git(ws, "init", "-q");
    const p = gitProtection(ws);
    assert.deepEqual(p.writable, [join(ws, ".git")]);
    assert.ok(p.readOnly.includes(join(ws, ".git/hooks")) && p.readOnly.includes(join(ws, ".git/config")));
    assert.ok(p.mustNotAppear.includes(join(ws, ".git/commondir")));
    assert.ok(p.mustNotAppear.includes(join(ws, ".git/config.worktree")));
  });

  test("a .git file padded past 4 KiB still protects the folder it names; one that names none stays read-only itself", () => {
    const ws = tempDir();
    git(ws, "init", "-q", "--bare", "meta");
    writeFileSync(join(ws, ".git"), `gitdir: meta${"\n".repeat(6_000)}`);
    const p = gitProtection(ws);
    assert.equal(p.gitDir, join(ws, "meta"));
    for (const path of [join(ws, ".git"), join(ws, "meta/hooks"), join(ws, "meta/config")]) assert.ok(p.readOnly.includes(path), `${path} read-only`);
    writeFileSync(join(ws, ".git"), "junk, not a pointer\n");
    const none = gitProtection(ws);
    assert.equal(none.gitDir, null);
    assert.deepEqual(none.readOnly, [join(ws, ".git")], "a command cannot turn it into a pointer");
    assert.deepEqual(none.writable, []);
  });

  test("a missing .git/hooks becomes an empty read-only folder", () => {
    const ws = tempDir();
    git(ws, "init", "-q");
    execFileSync("rm", ["-rf", join(ws, ".git/hooks")]);
    assert.deepEqual(gitProtection(ws).emptyDirs, [join(ws, ".git/hooks")]);
  });

  test("a worktree (.git is a file): the file, the common config and hooks read-only; both git folders writable", () => {
    const main = tempDir();
    git(main, "init", "-q");
    writeFileSync(join(main, "a"), "a");
    git(main, "add", "a");
    git(main, "commit", "-qm", "one");
    const wt = join(tempDir(), "wt");
    git(main, "worktree", "add", "-q", wt);
    const p = gitProtection(wt);
    const gitDir = join(main, ".git/worktrees/wt");
    assert.ok(p.readOnly.includes(join(wt, ".git")), "the .git file");
    assert.ok(p.readOnly.includes(join(gitDir, "commondir")));
    assert.ok(p.readOnly.includes(join(main, ".git/config")) && p.readOnly.includes(join(main, ".git/hooks")));
    assert.deepEqual(p.writable.sort(), [join(main, ".git"), gitDir].sort());
    assert.ok(p.mustNotAppear.includes(join(main, ".git/commondir")));
  });

  test("a workspace inside a repository finds the repository above it", () => {
    const repo = tempDir();
    git(repo, "init", "-q");
    mkdirSync(join(repo, "packages/app"), { recursive: true });
    const p = gitProtection(join(repo, "packages/app"));
    assert.ok(p.readOnly.includes(join(repo, ".git/hooks")));
    assert.deepEqual(p.writable, [join(repo, ".git")]);
    assert.deepEqual(p.visible, [repo], "the top folder stays visible (also under the private /tmp)");
    assert.ok(!p.readOnly.includes(repo), "never read-only as a whole (Seatbelt would then deny the workspace)");
  });

  test("submodule git folders, core.hooksPath and hook-manager files are protected too", () => {
    const ws = tempDir();
    git(ws, "init", "-q");
    mkdirSync(join(ws, ".git/modules/lib/a/objects"), { recursive: true });
    writeFileSync(join(ws, ".git/modules/lib/a/HEAD"), "ref: refs/heads/main\n");
    writeFileSync(join(ws, ".git/modules/lib/a/config"), "[core]\n");
    mkdirSync(join(ws, ".husky/_"), { recursive: true });
    writeFileSync(join(ws, ".pre-commit-config.yaml"), "repos: []\n");
    git(ws, "config", "core.hooksPath", ".husky/_");
    const p = gitProtection(ws);
    assert.ok(p.readOnly.includes(join(ws, ".git/modules/lib/a/config")));
    assert.ok(p.emptyDirs.includes(join(ws, ".git/modules/lib/a/hooks")));
    assert.ok(p.readOnly.includes(join(ws, ".husky/_")) && p.readOnly.includes(join(ws, ".husky")));
    assert.ok(p.readOnly.includes(join(ws, ".pre-commit-config.yaml")));
  });

  test("no repository: nothing to protect", () => {
    const ws = tempDir();
    assert.deepEqual(gitProtection(ws), { writable: [], readOnly: [], mustNotAppear: [], emptyDirs: [], visible: [], gitDir: null, commonDir: null });
  });

  test("core.hooksPath reader: section, case, quotes; other sections ignored", () => {
    const dir = tempDir();
    const file = join(dir, "config");
    writeFileSync(file, '[alias]\n\thookspath = nope\n[Core]\n\tHooksPath = "my hooks"\n[remote "o"]\n\turl = x\n');
    assert.equal(configuredHooksPath(file), "my hooks");
    writeFileSync(file, "[core]\n\tbare = false\n");
    assert.equal(configuredHooksPath(file), null);
    assert.equal(configuredHooksPath(join(dir, "missing")), null);
  });
});

describe("policy: hidden paths", () => {
  test("symlinks hide their target; files and folders keep their kind; missing paths are skipped", () => {
    const root = tempDir();
    const home = join(root, "home");
    mkdirSync(join(home, ".ssh"), { recursive: true });
    writeFileSync(join(home, ".netrc"), "x");
    mkdirSync(join(root, "dotfiles/kube"), { recursive: true });
    symlinkSync(join(root, "dotfiles/kube"), join(home, ".kube"));
    symlinkSync(join(root, "nowhere"), join(home, ".aws"));
    const ws = join(root, "ws");
    mkdirSync(join(ws, "secrets"), { recursive: true });
    const p = buildPolicy({ workspace: ws, cwd: ws, home, configHome: join(root, "cfg-missing"), hide: ["secrets", "~/.netrc", "/nonexistent/x"], network: false, env: {}, layout: null });
    const byPath = new Map(p.hidden.map((h) => [h.path, h]));
    assert.equal(byPath.get(join(home, ".ssh"))?.kind, "dir");
    assert.equal(byPath.get(join(home, ".netrc"))?.kind, "file");
    assert.equal(byPath.get(join(root, "dotfiles/kube"))?.written, join(home, ".kube"));
    assert.equal(byPath.get(join(ws, "secrets"))?.kind, "dir", "relative sandbox.hide entries are inside the workspace");
    assert.ok(![...byPath.keys()].some((p) => p.includes("nowhere") || p.includes("nonexistent") || p.includes("cfg-missing")));
    assert.equal(SECRET_PATHS.length, 11);
  });
});

describe("hints", () => {
  const run = (network: boolean, networkMode: "ask" | "off" | "on" = "ask"): SandboxRun => ({ info: { active: true, kind: "bubblewrap", network }, hidden: ["/home/u/.ssh"], networkMode });
  test("read-only file system", () => {
    assert.match(sandboxHint("touch: cannot touch '/usr/x': Read-only file system", run(false), "/home/u")!, /read-only/);
    assert.match(sandboxHint("Error: EROFS: read-only file system, open '/etc/x'", run(false), "/home/u")!, /sandbox/);
  });
  test("a hidden path, shown with ~", () => {
    assert.match(sandboxHint("cat: /home/u/.ssh/id_rsa: No such file or directory", run(false), "/home/u")!, /~\/\.ssh is hidden/);
    assert.equal(sandboxHint("cat: /home/u/other: No such file or directory", run(false), "/home/u"), undefined);
  });
  test("network failures: ask says network: true; off says the user switched it off; with network no hint", () => {
    for (const text of ["npm ERR! getaddrinfo EAI_AGAIN registry.npmjs.org", "curl: (6) Could not resolve host: x", "Error: connect ECONNREFUSED 127.0.0.1:80", "fatal: unable to access: Could not resolve host: github.com", "getaddrinfo ENOTFOUND pypi.org"]) {
      assert.match(sandboxHint(text, run(false), "/h")!, /"network": true/, text);
      assert.match(sandboxHint(text, run(false, "off"), "/h")!, /"off"/);
      assert.equal(sandboxHint(text, run(true, "on"), "/h"), undefined);
    }
  });
  test("no sandbox, no hint", () => {
    assert.equal(sandboxHint("Read-only file system", { info: { active: false, kind: "none", network: true }, hidden: [], networkMode: "ask" }, "/h"), undefined);
    assert.equal(sandboxHint("Read-only file system", undefined, "/h"), undefined);
  });
});

test("config: sandbox defaults to auto / ask / no extra paths / 1 GiB tmpfs / 2048 processes / a box per workspace; values are checked", () => {
  const token = "a".repeat(43);
  const limits = { tmp_size_mb: 1024, max_processes: 2048, allow_hosts: [], allow_local_ports: [], box: true, box_idle_minutes: 30 };
  assert.deepEqual(ConfigSchema.parse({ token }).sandbox, { mode: "auto", network: "ask", hide: [], ...limits });
  assert.equal(ConfigSchema.safeParse({ token, sandbox: { tmp_size_mb: 0 } }).success, false);
  assert.equal(ConfigSchema.safeParse({ token, sandbox: { max_processes: 3 } }).success, false);
  assert.equal(ConfigSchema.safeParse({ token, sandbox: { mode: "maybe" } }).success, false);
  assert.equal(ConfigSchema.safeParse({ token, sandbox: { network: "sometimes" } }).success, false);
  assert.equal(ConfigSchema.safeParse({ token, sandbox: { allow_local_ports: [0] } }).success, false);
  assert.equal(ConfigSchema.safeParse({ token, sandbox: { box_idle_minutes: 0 } }).success, false);
  assert.equal(ConfigSchema.parse({ token, sandbox: { network: "allowlist", allow_hosts: ["*.example.org"] } }).sandbox.network, "allowlist");
  assert.deepEqual(ConfigSchema.parse({ token, sandbox: { network: "off" } }).sandbox, { mode: "auto", network: "off", hide: [], ...limits });
});
