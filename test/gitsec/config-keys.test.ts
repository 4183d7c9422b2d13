import assert from "node:assert/strict";
import { chmodSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { blankFilters, gitChildEnvironment, GIT_BASE_ARGS } from "../../src/git/run.js";
import { filterOverrides } from "../../src/git/harden.js";
import { makeHome, startServer, tempDir } from "../helpers.js";
import { makeCanary, plainGit, setupGit } from "./helpers.js";

/** Same size, later mtime: git must hash the file (through its filter) to know whether it changed. */
function touchDirty(path: string, content: string): void {
  writeFileSync(path, content);
  const later = new Date(Date.now() + 10_000);
  utimesSync(path, later, later);
}

it("read-only git calls start no program named in any git config or attributes (every key reachable from status/diff/ls-files)", async () => {
  const canary = makeCanary();
  const fixture = makeHome();
  const ws = fixture.workspace;
  const g = (...args: string[]) => setupGit(ws, ...args);
  g("init", "-q", "-b", "main");
  const files: Record<string, string> = {
    "a.txt": "alpha\n",
    "x.inc": "inc\n",
    "x.ifx": "ifx\n",
    "x.info": "info\n",
    "x.glob": "glob\n",
    "x.wt": "wt\n",
    "x.odd": "odd\n",
    "x.lfs": "lfs\n",
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(ws, name), content);
  writeFileSync(join(ws, ".gitattributes"), "*.txt filter=evil diff=evil\n*.inc filter=inc\n*.ifx filter=incif\n*.wt filter=wt\n*.odd filter=a.b=c\n*.lfs filter=lfs diff=lfs\n");
  g("add", ".");
  g("commit", "-q", "-m", "init");
  g("remote", "add", "origin", `ext::${canary.script("remote-ext")} %S`);

  // Every key that can name a program, each pointing at its own canary script.
  const set = (key: string, value: string) => g("config", key, value);
  for (const key of ["filter.evil.clean", "filter.evil.smudge", "filter.evil.process"]) set(key, canary.script(key));
  set("filter.evil.required", "true");
  set("filter.lfs.process", canary.script("filter.lfs.process"));
  set("filter.lfs.required", "true");
  set("filter.a.b=c.clean", canary.script("filter.odd-name.clean"));
  for (const key of ["diff.evil.textconv", "diff.evil.command", "diff.lfs.textconv", "diff.external", "core.fsmonitor", "core.pager", "pager.diff", "pager.status", "pager.ls-files"]) {
    set(key, canary.script(key));
  }
  set("diff.evil.cachetextconv", "true");
  for (const key of ["core.sshCommand", "credential.helper", "gpg.program", "core.editor", "sequence.editor", "core.askPass", "uploadpack.packObjectsHook", "remote.origin.uploadpack", "remote.origin.receivepack", "core.alternateRefsCommand", "core.gitProxy"]) {
    set(key, canary.script(key));
  }
  set("log.showSignature", "true");
  set("status.submoduleSummary", "true");
  // Hooks: the default folder and a hooksPath folder.
  const hooks = join(canary.dir, "hooks");
  mkdirSync(hooks);
  for (const hook of ["post-index-change", "pre-auto-gc", "post-checkout", "reference-transaction"]) {
    for (const dir of [hooks, join(ws, ".git", "hooks")]) {
      writeFileSync(join(dir, hook), `#!/bin/sh\necho 'hook ${hook}' >> '${canary.log}'\n`);
      chmodSync(join(dir, hook), 0o755);
    }
  }
  set("core.hooksPath", hooks);
  set("gc.auto", "1");
  // Keys brought in by include / includeIf.
  const included = join(canary.dir, "included.cfg");
  writeFileSync(included, `[filter "inc"]\n\tclean = ${canary.script("include.filter.clean")}\n`);
  set("include.path", included);
  const includedIf = join(canary.dir, "included-if.cfg");
  writeFileSync(includedIf, `[filter "incif"]\n\tclean = ${canary.script("includeIf.filter.clean")}\n`);
  set(`includeIf.gitdir:${ws}/.git.path`, includedIf);
  // .git/info/attributes (highest precedence) and a per-worktree config.
  writeFileSync(join(ws, ".git", "info", "attributes"), "*.info filter=info\n");
  set("filter.info.clean", canary.script("info-attributes.filter.clean"));
  set("extensions.worktreeConfig", "true");
  set("core.repositoryformatversion", "1");
  g("config", "--worktree", "filter.wt.clean", canary.script("config.worktree.filter.clean"));
  // The user's global config and global attributes file.
  const globalConfig = join(canary.dir, "global.gitconfig");
  const globalAttributes = join(canary.dir, "global.attributes");
  writeFileSync(globalAttributes, "*.glob filter=glob\n");
  writeFileSync(globalConfig, `[filter "glob"]\n\tclean = ${canary.script("global.filter.clean")}\n[core]\n\tattributesFile = ${globalAttributes}\n`);

  for (const [name, content] of Object.entries(files)) touchDirty(join(ws, name), content.toUpperCase());
  writeFileSync(join(ws, "new.txt"), "untracked, matches *.txt\n");

  plainGit(ws, "status");
  plainGit(ws, "diff");
  const armed = canary.ran();
  assert.ok(armed.includes("filter.evil.clean") || armed.includes("filter.evil.process"), `sanity: plain git runs the filter (${armed})`);
  canary.reset();
  // Without the failing process filters, plain git goes on to the other files' filters.
  plainGit(ws, "-c", "filter.evil.process=", "-c", "filter.evil.required=false", "-c", "filter.lfs.process=", "-c", "filter.lfs.required=false", "status");
  const rest = canary.ran();
  for (const name of ["include.filter.clean", "includeIf.filter.clean", "info-attributes.filter.clean", "config.worktree.filter.clean", "filter.odd-name.clean"]) {
    assert.ok(rest.includes(name), `sanity: plain git runs ${name} (${rest})`);
  }
  canary.reset();

  const previousGlobal = process.env.GIT_CONFIG_GLOBAL;
  process.env.GIT_CONFIG_GLOBAL = globalConfig;
  const s = await startServer(fixture);
  try {
    const status = await s.post("git_status");
    assert.equal(status.status, 200, status.text);
    const paths = status.json.files.map((f: { path: string }) => f.path).sort();
    assert.ok(paths.includes("new.txt"));
    for (const body of [{}, { staged: true }, { path: "a.txt" }, { path: "x.glob", context_lines: 0 }, { include_untracked: false }]) {
      const diff = await s.post("git_diff", body);
      assert.equal(diff.status, 200, `${JSON.stringify(body)}: ${diff.text}`);
    }
    const all = await s.post("git_diff", {});
    assert.match(all.json.diff, /\+ALPHA/, "the diff is the raw content: no textconv ran");
    assert.ok(all.json.files.some((f: { path: string; untracked?: boolean }) => f.path === "new.txt" && f.untracked));
    assert.equal((await s.post("workspace_status")).status, 200);
  } finally {
    await s.close();
    if (previousGlobal === undefined) delete process.env.GIT_CONFIG_GLOBAL;
    else process.env.GIT_CONFIG_GLOBAL = previousGlobal;
  }
  assert.deepEqual(canary.ran(), [], "a program named in git config or attributes was started");
});

it("a dirty submodule's own hostile config does not run (status and diff do not recurse into it)", async () => {
  const canary = makeCanary();
  const base = tempDir();
  const source = join(base, "subsrc");
  mkdirSync(source);
  setupGit(source, "init", "-q", "-b", "main");
  writeFileSync(join(source, "s.txt"), "sub\n");
  writeFileSync(join(source, ".gitattributes"), "* filter=subevil\n");
  setupGit(source, "add", ".");
  setupGit(source, "commit", "-q", "-m", "sub");
  const fixture = makeHome({ workspace: join(base, "ws") });
  const ws = fixture.workspace;
  setupGit(ws, "init", "-q", "-b", "main");
  setupGit(ws, "-c", "protocol.file.allow=always", "submodule", "add", "-q", source, "sub");
  setupGit(ws, "commit", "-q", "-m", "with submodule");
  setupGit(join(ws, "sub"), "config", "filter.subevil.clean", canary.script("submodule.filter.clean"));
  touchDirty(join(ws, "sub", "s.txt"), "SUB\n");
  plainGit(ws, "status");
  assert.ok(canary.ran().length > 0, "sanity: plain git status recurses into the submodule and runs its filter");
  canary.reset();
  const s = await startServer(fixture);
  try {
    assert.equal((await s.post("git_status")).status, 200);
    assert.equal((await s.post("git_diff", {})).status, 200);
    assert.equal((await s.post("workspace_status")).status, 200);
  } finally {
    await s.close();
  }
  assert.deepEqual(canary.ran(), []);
});

it("the shared hardening: base arguments, environment and filter blanking are what a shadow store reuses", async () => {
  const joined = GIT_BASE_ARGS.join(" ");
  for (const needed of ["core.fsmonitor=false", "core.hooksPath=/dev/null", "safe.bareRepository=explicit", "protocol.allow=never", "--no-pager"]) {
    assert.ok(joined.includes(needed), needed);
  }
  process.env.GIT_DIR = "/elsewhere";
  process.env.GIT_EXTERNAL_DIFF = "/bin/evil";
  process.env.GIT_CONFIG_PARAMETERS = "'filter.x.clean'='evil'";
  process.env.CHATGPT_CODEX_TOKEN_TEST = "secret";
  try {
    const env = gitChildEnvironment({ workTree: "/a/b" });
    assert.equal(env.GIT_DIR, undefined);
    assert.equal(env.GIT_EXTERNAL_DIFF, undefined);
    assert.equal(env.GIT_CONFIG_PARAMETERS, undefined);
    assert.equal(env.CHATGPT_CODEX_TOKEN_TEST, undefined);
    assert.equal(env.GIT_CEILING_DIRECTORIES, "/a");
    assert.equal(env.GIT_OPTIONAL_LOCKS, "0");
    assert.equal(env.GIT_TERMINAL_PROMPT, "0");
  } finally {
    delete process.env.GIT_DIR;
    delete process.env.GIT_EXTERNAL_DIFF;
    delete process.env.GIT_CONFIG_PARAMETERS;
    delete process.env.CHATGPT_CODEX_TOKEN_TEST;
  }
  assert.deepEqual(blankFilters(["x y", "a.b=c"]), {
    GIT_CONFIG_KEY_0: "filter.x y.clean",
    GIT_CONFIG_VALUE_0: "",
    GIT_CONFIG_KEY_1: "filter.x y.smudge",
    GIT_CONFIG_VALUE_1: "",
    GIT_CONFIG_KEY_2: "filter.x y.process",
    GIT_CONFIG_VALUE_2: "",
    GIT_CONFIG_KEY_3: "filter.x y.required",
    GIT_CONFIG_VALUE_3: "false",
    GIT_CONFIG_KEY_4: "filter.a.b=c.clean",
    GIT_CONFIG_VALUE_4: "",
    GIT_CONFIG_KEY_5: "filter.a.b=c.smudge",
    GIT_CONFIG_VALUE_5: "",
    GIT_CONFIG_KEY_6: "filter.a.b=c.process",
    GIT_CONFIG_VALUE_6: "",
    GIT_CONFIG_KEY_7: "filter.a.b=c.required",
    GIT_CONFIG_VALUE_7: "false",
    GIT_CONFIG_COUNT: "8",
  });
  // For a shadow store with its own GIT_DIR: the drivers of the user's global config are found too.
  const dir = tempDir();
  setupGit(dir, "init", "-q", "--bare", "shadow.git");
  const cfg = join(dir, "g.cfg");
  writeFileSync(cfg, '[filter "lfs"]\n\tprocess = git-lfs filter-process\n');
  const overrides = await filterOverrides(["--git-dir", join(dir, "shadow.git")], { ...gitChildEnvironment(), GIT_CONFIG_GLOBAL: cfg }, dir);
  assert.equal(overrides.GIT_CONFIG_KEY_2, "filter.lfs.process");
  assert.equal(overrides.GIT_CONFIG_VALUE_2, "");
});
