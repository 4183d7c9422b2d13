/**
 * Hostile paths against every path field (and exec_command's cwd): nothing
 * outside the workspace may be read or written. A canary folder next to the
 * workspace and a sibling with a prefix name (`ws-evil`) are snapshotted
 * before and compared after; no answer may contain the canary's secret or an
 * absolute path of the test folder.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServer, type TestServer } from "./helpers.js";
import { git, gitInit, makeHomeInside, makeTree, snapshot, useEngine } from "./files-helpers.js";
import { requires, RIPGREP } from "./preconditions.js";

const SECRET = "CANARY-SECRET-7f3a9c";

interface Payload {
  label: string;
  path: string;
  /** escape: must be refused with 403 OUTSIDE_WORKSPACE. inert: a strange but inside name; any answer but 500. */
  expect: "escape" | "inert";
  /** Names a real system path (/etc, /): never sent to write_file, even though it must be refused. */
  system?: boolean;
}

/** The corpus, as data. `root` holds ws/, outside/, ws-evil/ and the config home. */
function corpus(root: string, ws: string): Payload[] {
  const e = (label: string, path: string, system = false): Payload => ({ label, path, expect: "escape", system });
  const i = (label: string, path: string): Payload => ({ label, path, expect: "inert" });
  return [
    // plain traversal
    e("parent file", "../outside/canary.txt"),
    e("two up to /etc", "../../../../../../etc/passwd", true),
    e("parent", ".."),
    e("parent slash", "../"),
    e("dot then parent", "./../outside/canary.txt"),
    e("down then up", "src/../../outside/canary.txt"),
    e("deep down then up", "a/b/../../../outside/canary.txt"),
    e("many parents", `${"../".repeat(40)}etc/passwd`, true),
    e("parent then back in", "../ws/../outside/canary.txt"),
    e("sibling prefix relative", "../ws-evil/evil.txt"),
    e("sibling prefix absolute", `${ws}-evil/evil.txt`),
    e("sibling prefix folder", `${ws}-evil`),
    e("absolute outside file", join(root, "outside", "canary.txt")),
    e("absolute outside new file", join(root, "outside", "new.txt")),
    e("absolute with parent", `${ws}/../outside/canary.txt`),
    e("absolute workspace parent", `${ws}/..`),
    e("etc passwd", "/etc/passwd", true),
    e("filesystem root", "/", true),
    e("double slash root", "//etc/passwd", true),
    e("tmp", "/tmp", true),
    e("proc self root", "/proc/self/root/etc/passwd", true),
    e("proc self cwd", "/proc/self/cwd", true),
    e("dev zero", "/dev/zero", true),
    e("UNC-style", "\\\\server\\share\\x", true),
    // backslashes
    e("backslash parent", "..\\outside\\canary.txt"),
    e("backslash to etc", "..\\..\\..\\..\\etc\\passwd", true),
    e("backslash down then up", "src\\..\\..\\outside\\canary.txt"),
    e("backslash absolute", "\\etc\\passwd", true),
    e("mixed separators", "..\\/outside/canary.txt"),
    // whitespace around a traversal
    e("leading space", " ../outside/canary.txt"),
    e("trailing space", "../outside/canary.txt "),
    e("leading tab", "\t../outside/canary.txt"),
    // home-relative
    e("tilde", "~", true),
    e("tilde ssh key", "~/.ssh/id_rsa", true),
    e("tilde user", "~root/.bashrc", true),
    e("tilde parent", "~/../outside", true),
    // NUL bytes
    e("NUL suffix", "canary.txt\u0000.png"),
    e("NUL only", "\u0000"),
    e("NUL after traversal", "../outside/canary.txt\u0000"),
    e("NUL in the middle", "src/\u0000/../../outside"),
    // symlinks
    e("symlinked folder to outside", "link-out/canary.txt"),
    e("symlink to outside folder", "link-out"),
    e("symlink to outside, trailing slash", "link-out/"),
    e("symlink to outside file", "link-out-file"),
    e("symlink chain to outside", "chain1/canary.txt"),
    e("symlink chain itself", "chain1"),
    e("dangling symlink to outside file", "dangling-out"),
    e("dangling symlink folder, new file below", "dangling-dir/x.txt"),
    e("absolute symlink target", "abs-link/canary.txt"),
    e("symlinked parent two up", "sub/up/canary.txt"),
    e("symlinked parent itself", "sub/up"),
    e("deep symlink up", "deep/a/b/c/up/canary.txt"),
    e("symlink loop", "loop1"),
    e("below a symlink loop", "loop1/x"),
    e("symlink to /", "link-root/etc/passwd", true),
    e("symlink to sibling prefix", "link-evil/evil.txt"),
    e("new file below symlinked folder", "link-out/new.txt"),
    e("dotted symlink path", "./link-out/./canary.txt"),
    e("up and into symlink", "src/../link-out/canary.txt"),
    e("absolute path through inside symlink", `${ws}/link-out/canary.txt`),
    // encodings: must be taken literally (inside names), never decoded into a traversal
    i("url-encoded dots", "%2e%2e/outside/canary.txt"),
    i("url-encoded all", "%2e%2e%2foutside%2fcanary.txt"),
    i("url-encoded slash", "..%2foutside%2fcanary.txt"),
    i("url-encoded backslash", "%2e%2e%5coutside%5ccanary.txt"),
    i("double-encoded", "%252e%252e%252foutside%252fcanary.txt"),
    i("double-encoded slash", "..%252f..%252foutside"),
    i("overlong UTF-8 as text", "%c0%ae%c0%ae/outside/canary.txt"),
    i("overlong UTF-8 decoded as Latin-1", "\u00c0\u00ae\u00c0\u00ae/outside/canary.txt"),
    i("division slash", "..\u2215outside\u2215canary.txt"),
    i("fullwidth solidus", "..\uff0foutside\uff0fcanary.txt"),
    i("fullwidth dots", "\uff0e\uff0e/outside/canary.txt"),
    i("four dots", "....//outside/canary.txt"),
    i("dots with newline", "..\n/outside"),
    i("file URL", "file:///etc/passwd"),
    i("drive letter", "C:\\Windows\\win.ini"),
    i("parent through symlink is lexical", "link-out/../outside/canary.txt"),
    i("very long path", `${"a/".repeat(3000)}x`),
    i("very long name", "n".repeat(5000)),
  ];
}

interface Field {
  action: string;
  body(path: string): Record<string, unknown>;
  writes?: boolean;
}

const FIELDS: Field[] = [
  { action: "list_files", body: (path) => ({ path, include_hidden: true }) },
  { action: "read_file", body: (path) => ({ path }) },
  { action: "write_file", body: (path) => ({ path, content: "PWNED\n" }), writes: true },
  { action: "search_text", body: (path) => ({ query: "canary", path }) },
  { action: "git_diff", body: (path) => ({ path }) },
  { action: "exec_command", body: (cwd) => ({ command: "pwd", cwd, wait_seconds: 5 }) },
];

describe("hostile paths (every path field and cwd)", () => {
  let s: TestServer;
  let root: string;
  let ws: string;
  let before_: { outside: string; evil: string; rootNames: string[] };

  before(async () => {
    s = await startServer();
    ws = s.workspace;
    root = dirname(ws);
    makeTree(root, {
      "outside/canary.txt": `${SECRET}\n`,
      "outside/secret.txt": `${SECRET} secret\n`,
      "ws-evil/evil.txt": `${SECRET} evil\n`,
    });
    makeTree(ws, {
      "src/file.txt": "inside canary text\n",
      "link-out": { link: "../outside" },
      "link-out-file": { link: "../outside/canary.txt" },
      chain1: { link: "chain2" },
      chain2: { link: "chain3" },
      chain3: { link: "../outside" },
      "dangling-out": { link: "../outside/new-file.txt" },
      "dangling-dir": { link: "../outside/new-dir" },
      "abs-link": { link: join(root, "outside") },
      "sub/up": { link: "../../outside" },
      "deep/a/b/c/up": { link: "../../../../../outside" },
      loop1: { link: "loop2" },
      loop2: { link: "loop1" },
      "link-root": { link: "/" },
      "link-evil": { link: "../ws-evil" },
    });
    gitInit(ws);
    git(ws, "add", "src/file.txt");
    git(ws, "commit", "-q", "-m", "init");
    before_ = { outside: snapshot(join(root, "outside")), evil: snapshot(join(root, "ws-evil")), rootNames: readdirSync(root).sort() };
  });
  after(() => s.close());

  it("has a corpus of at least 60 payloads", () => {
    assert.ok(corpus(root, ws).length >= 60, `${corpus(root, ws).length} payloads`);
  });

  for (const engine of ["ripgrep", "builtin"] as const) {
    it(`refuses every escape and stays inside for the rest (search engine: ${engine})`, engine === "ripgrep" ? requires(RIPGREP) : {}, async () => {
      useEngine(engine);
      const payloads = corpus(root, ws);
      let sent = 0;
      for (const field of FIELDS) {
        if (engine === "builtin" && field.action !== "search_text") continue; // the rest does not depend on the engine
        const sentBefore = sent;
        for (const payload of payloads) {
          if (field.writes && payload.system) continue;
          const label = `${field.action} ${JSON.stringify(payload.path.slice(0, 60))} (${payload.label})`;
          const reply = await s.post(field.action, field.body(payload.path));
          sent++;
          assert.ok(!reply.text.includes(SECRET), `${label}: answer leaks the canary`);
          if (payload.expect === "escape") {
            assert.equal(reply.status, 403, `${label}: status ${reply.status} ${reply.text.slice(0, 200)}`);
            assert.equal(reply.json?.error?.code, "OUTSIDE_WORKSPACE", label);
          } else {
            assert.notEqual(reply.status, 500, `${label}: ${reply.text.slice(0, 200)}`);
            assert.notEqual(reply.json?.error?.code, "OUTSIDE_WORKSPACE", `${label}: an inside name was refused`);
          }
          if (field.action !== "exec_command" || reply.status !== 200) {
            assert.ok(!reply.text.includes(root), `${label}: answer shows an absolute path: ${reply.text.slice(0, 200)}`);
          }
          if (field.writes && reply.status === 200) {
            const written = realpathSync(join(ws, reply.json.path));
            assert.ok(written.startsWith(`${ws}/`), `${label}: wrote to ${written}`);
          }
        }
        assert.ok(sent > sentBefore, `${field.action}: no payload was sent`);
      }
      assert.equal(snapshot(join(root, "outside")), before_.outside, "the canary folder changed");
      assert.equal(snapshot(join(root, "ws-evil")), before_.evil, "the sibling-prefix folder changed");
      assert.deepEqual(readdirSync(root).sort(), before_.rootNames, "a new entry appeared next to the workspace");
      assert.equal(existsSync(join(root, "outside", "new-file.txt")), false);
      assert.equal(existsSync(join(root, "outside", "new-dir")), false);
    });
  }

  it("never follows a folder swapped for a symlink between the check and the read or write", async (t) => {
    makeTree(ws, { "flip/secret.txt": "inside secret\n", "flip-parked-link": { link: "../outside" } });
    // A separate process swaps ws/flip between a real folder and a symlink to ../outside, as fast as it can.
    const script = `
      const fs = require("node:fs");
      const [dir, link, target, stop] = process.argv.slice(1);
      const pause = new Int32Array(new SharedArrayBuffer(4));
      for (let n = 0; n < 100000 && !fs.existsSync(stop); n++) {
        try { fs.renameSync(target, dir); fs.renameSync(link, target); } catch {}
        if (n % 2) Atomics.wait(pause, 0, 0, 1);
        try { fs.renameSync(target, link); fs.renameSync(dir, target); } catch {}
        if (n % 3) Atomics.wait(pause, 0, 0, 1);
      }`;
    const stopFile = join(root, "stop-flipper");
    const flipper = spawn(process.execPath, ["-e", script, join(ws, "flip-parked-dir"), join(ws, "flip-parked-link"), join(ws, "flip"), stopFile], {
      stdio: "ignore",
    });
    try {
      const statuses = new Map<number, number>();
      for (let n = 0; n < 150; n++) {
        const write = await s.post("write_file", { path: `flip/new-${n}.txt`, content: "PWNED\n" });
        const read = await s.post("read_file", { path: "flip/secret.txt" });
        const list = await s.post("list_files", { path: "flip" });
        const patch = await s.post("apply_patch", { patch: `*** Begin Patch\n*** Add File: flip/patched-${n}.txt\n+PWNED\n*** End Patch\n` });
        // A write or patch: done, refused (the path led outside when checked), or 409 "changed while writing".
        // A read or listing may also find the folder missing for a moment (404).
        for (const [reply, writes] of [
          [write, true],
          [read, false],
          [list, false],
          [patch, true],
        ] as const) {
          assert.ok(!reply.text.includes(SECRET), `leak: ${reply.text.slice(0, 200)}`);
          const code = reply.json?.error?.code ?? "ok";
          const allowed = [200, 403, 409, ...(writes ? [] : [404])];
          assert.ok(allowed.includes(reply.status), reply.text.slice(0, 200));
          if (reply.status === 403) assert.equal(code, "OUTSIDE_WORKSPACE", reply.text.slice(0, 200));
          if (reply.status === 409) assert.equal(code, "CONFLICT", reply.text.slice(0, 200));
          if (reply.status === 409 && writes) assert.match(reply.json.error.message, /changed while writing; nothing was written; retry/);
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        }
        if (list.status === 200) {
          const names = list.json.entries.map((e: { path: string }) => e.path);
          assert.ok(!names.includes("flip/canary.txt"), `listed the outside folder: ${names.join(", ")}`);
        }
      }
      t.diagnostic(`answers during the race: ${[...statuses].map(([status, n]) => `${status}×${n}`).join(", ")}`);
    } finally {
      writeFileSync(stopFile, "");
      await new Promise((resolve) => (flipper.exitCode !== null ? resolve(null) : flipper.once("exit", resolve)));
    }
    assert.equal(snapshot(join(root, "outside")), before_.outside, "the canary folder changed during the race");
  });
});

describe("the tool's config folder inside the workspace", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(makeHomeInside());
    makeTree(s.workspace, { "src/a.txt": "hello\n", "home-link": { link: ".chatgpt-codex" } });
  });
  after(() => s.close());

  it("is refused as a path by every action", async () => {
    const paths = [
      ".chatgpt-codex",
      ".chatgpt-codex/",
      ".chatgpt-codex/config.json",
      "./.chatgpt-codex/../.chatgpt-codex/config.json",
      "src/../.chatgpt-codex/config.json",
      `${s.workspace}/.chatgpt-codex/config.json`,
      "home-link/config.json",
      "home-link",
      ".chatgpt-codex/new.txt",
    ];
    for (const path of paths) {
      for (const field of FIELDS.slice(0, 5)) {
        const reply = await s.post(field.action, field.body(path));
        assert.equal(reply.status, 403, `${field.action} ${path}: ${reply.text.slice(0, 200)}`);
        assert.equal(reply.json.error.code, "OUTSIDE_WORKSPACE");
        assert.ok(!reply.text.includes(s.token));
      }
    }
  });

  for (const engine of ["ripgrep", "builtin"] as const) {
    it(`is neither listed nor searched (search engine: ${engine})`, engine === "ripgrep" ? requires(RIPGREP) : {}, async () => {
      const list = await s.post("list_files", { include_hidden: true });
      assert.equal(list.status, 200);
      assert.ok(!list.json.entries.some((e: { path: string }) => e.path.startsWith(".chatgpt-codex")), list.text);
      useEngine(engine);
      for (const body of [{ query: s.token }, { query: s.token, glob: "*.json" }, { query: s.token, glob: ".chatgpt-codex/**" }]) {
        const reply = await s.post("search_text", body);
        assert.equal(reply.status, 200, reply.text);
        assert.deepEqual(reply.json.matches, [], `${engine} found the token`);
        assert.ok(!reply.text.includes(s.token));
      }
    });
  }
});
