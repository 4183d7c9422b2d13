/**
 * The box's parts that need no sandbox: the agent's frames (size-capped, split anywhere,
 * bad JSON refused) and where a box home may live (never over or inside the home folder,
 * the config folder, the workspace or a hidden path).
 */
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cacheFolder, cacheHome } from "../../src/sandbox/box/boxes.js";
import { encodeFrame, FrameReader, MAX_FRAME_BYTES } from "../../src/sandbox/box/protocol.js";
import { tempDir } from "../helpers.js";

test("frames: split at any byte, several in one chunk, each delivered once and in order", () => {
  const messages = [{ t: "out", id: "a", data: "x".repeat(1000) }, { t: "exit", id: "a", code: 3 }, { t: "gone", id: "a" }];
  const bytes = Buffer.concat(messages.map(encodeFrame));
  for (const step of [1, 3, 7, 1000, bytes.length]) {
    const got: unknown[] = [];
    const reader = new FrameReader((message) => got.push(message));
    for (let at = 0; at < bytes.length; at += step) reader.push(bytes.subarray(at, at + step));
    assert.deepEqual(got, messages, `chunks of ${step}`);
  }
});

test("frames: a length over the cap or a body that is not JSON is refused (the box is then ended)", () => {
  const huge = Buffer.alloc(4);
  huge.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
  assert.throws(() => new FrameReader(() => undefined).push(huge), /over the/);
  assert.throws(() => new FrameReader(() => undefined).push(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x67])), /over the/);
  const garbage = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from("{{{")]);
  assert.throws(() => new FrameReader(() => undefined).push(garbage), SyntaxError);
});

test("cacheHome: one 0700 folder per workspace under XDG_CACHE_HOME/chatgpt-codex/boxes", () => {
  const root = tempDir("cgc-cachehome-");
  const env = { XDG_CACHE_HOME: join(root, "cache") };
  const guarded = { home: join(root, "home"), configHome: join(root, "config"), workspace: join(root, "ws"), hidden: [join(root, "home", ".ssh")] };
  const home = cacheHome(guarded.workspace, guarded, env);
  assert.equal(home, cacheFolder(guarded.workspace, env));
  assert.match(home!, /\/cache\/chatgpt-codex\/boxes\/[0-9a-f]{16}$/);
  assert.notEqual(cacheFolder(join(root, "other"), env), home, "another workspace, another folder");
});

test("cacheHome: refused over or inside the home, config, workspace or a hidden path (also through a symlink)", () => {
  const root = tempDir("cgc-cachehome-");
  const home = join(root, "home");
  const config = join(home, ".config", "chatgpt-codex");
  const ssh = join(home, ".ssh");
  const workspace = join(home, "proj");
  for (const dir of [config, ssh, workspace]) mkdirSync(dir, { recursive: true });
  const guarded = { home, configHome: config, workspace, hidden: [ssh] };
  // The folder ends up inside the config folder or a hidden path.
  assert.equal(cacheHome(workspace, guarded, { XDG_CACHE_HOME: config }), null);
  assert.equal(cacheHome(workspace, guarded, { XDG_CACHE_HOME: ssh }), null);
  // Through a symlink whose real place is a hidden path.
  symlinkSync(ssh, join(root, "innocent"));
  assert.equal(cacheHome(workspace, guarded, { XDG_CACHE_HOME: join(root, "innocent") }), null);
  // A folder that holds the workspace: the guarded workspace lies inside it.
  const above = { home, configHome: config, workspace: join(root, "cache", "chatgpt-codex", "boxes", "x", "ws"), hidden: [ssh] };
  const holder = cacheFolder(above.workspace, { XDG_CACHE_HOME: join(root, "cache") });
  mkdirSync(join(holder, "ws"), { recursive: true });
  assert.equal(cacheHome(above.workspace, { ...above, workspace: join(holder, "ws") }, { XDG_CACHE_HOME: join(root, "cache") }), null);
  // An ordinary place is fine.
  assert.ok(cacheHome(workspace, guarded, { XDG_CACHE_HOME: join(root, "cache") }));
});
