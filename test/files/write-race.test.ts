/**
 * A write or a patch that meets a folder changing under it (removed, swapped
 * for a symbolic link) after its confinement checks passed answers 409
 * CONFLICT "changed while writing; nothing was written; retry": never 500,
 * never a write outside. Real errors keep their own answers.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { isActionError } from "../../src/ground/errors.js";
import { writeInside } from "../../src/files/writeInside.js";
import { commitPlan } from "../../src/patch/committer.js";
import type { PlannedFile } from "../../src/patch/planner.js";
import { makeHome, startServer, tempDir } from "../helpers.js";
import { makeTree, snapshot } from "../files-helpers.js";

const CHANGED = /changed while writing; nothing was written; retry/;

/** A workspace and, next to it, an outside folder with a canary. */
function fixture(): { ws: string; outside: string } {
  const root = tempDir();
  const ws = join(root, "ws");
  makeTree(root, { "outside/canary.txt": "outside\n", "ws/README.md": "r\n" });
  return { ws, outside: join(root, "outside") };
}

/** Every entry below `dir` (names only, links not followed). */
function allNames(dir: string): string[] {
  return readdirSync(dir, { recursive: true }) as string[];
}

function inside(ws: string, rel: string) {
  return { real: join(ws, ...rel.split("/")), relative: rel, lexical: join(ws, rel) };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected the write to fail");
}

function plan(ws: string, rel: string, next: string | null, original: string | null = null): PlannedFile {
  return {
    real: join(ws, ...rel.split("/")),
    relative: rel,
    original: original === null ? null : Buffer.from(original),
    originalMode: original === null ? null : 0o644,
    next: next === null ? null : Buffer.from(next),
    carryMode: null,
  };
}

describe("writes: a folder changing under the write", () => {
  // writeInside opens the folder (confinement passed) before its first await: the test changes the tree right there.
  it("write_file: the folder removed after it was opened → 409 CONFLICT, nothing written (new and existing file)", async () => {
    const { ws, outside } = fixture();
    const before = snapshot(outside);
    for (const existing of [false, true]) {
      mkdirSync(join(ws, "d"));
      if (existing) writeFileSync(join(ws, "d", "f.txt"), "old\n");
      const pending = writeInside(ws, inside(ws, "d/f.txt"), Buffer.from("new\n"), { expectedSha256: null, createOnly: false });
      // The folder handle is open now; take the folder away (its file parked elsewhere inside).
      if (existing) renameSync(join(ws, "d", "f.txt"), join(ws, "parked.txt"));
      rmdirSync(join(ws, "d"));
      const error = await rejection(pending);
      assert.ok(isActionError(error), `not an answer: ${String(error)}`);
      assert.equal(error.code, "CONFLICT");
      assert.equal(error.status, 409);
      assert.match(error.message, CHANGED);
      assert.match(error.message, /"d\/f\.txt"/);
      assert.equal(existsSync(join(ws, "d")), false, "the folder was not made again");
      if (existing) assert.equal(readFileSync(join(ws, "parked.txt"), "utf8"), "old\n");
      assert.deepEqual(allNames(ws).filter((n) => n.includes(".cgc-")), [], "a temp file was left");
    }
    assert.equal(snapshot(outside), before);
  });

  it("write_file: a folder swapped for a link to the outside after it was opened is not followed", async () => {
    const { ws, outside } = fixture();
    const before = snapshot(outside);
    mkdirSync(join(ws, "d"));
    const pending = writeInside(ws, inside(ws, "d/f.txt"), Buffer.from("new\n"), { expectedSha256: null, createOnly: false });
    renameSync(join(ws, "d"), join(ws, "moved"));
    symlinkSync("../outside", join(ws, "d"));
    assert.equal(realpathSync(join(ws, "d")), outside, "precondition: the path now leads outside");
    const outcome = await pending;
    // The open folder moved with its new name: the file is there, inside, and nowhere else.
    assert.equal(outcome.created, true);
    assert.equal(readFileSync(join(ws, "moved", "f.txt"), "utf8"), "new\n");
    assert.equal(snapshot(outside), before);
  });

  it("write_file: real errors keep their answers (a file in the way, expected_sha256 on a missing folder)", async () => {
    const { ws } = fixture();
    writeFileSync(join(ws, "file"), "x\n");
    const inTheWay = await rejection(writeInside(ws, inside(ws, "file/f.txt"), Buffer.from("x"), { expectedSha256: null, createOnly: false }));
    assert.ok(isActionError(inTheWay));
    assert.equal(inTheWay.code, "BAD_REQUEST");
    assert.match(inTheWay.message, /file is in the way/);
    const missing = await rejection(writeInside(ws, inside(ws, "nope/f.txt"), Buffer.from("x"), { expectedSha256: "0".repeat(64), createOnly: false }));
    assert.ok(isActionError(missing));
    assert.equal(missing.code, "CONFLICT");
    assert.doesNotMatch(missing.message, CHANGED);
    assert.match(missing.message, /does not exist, but expected_sha256 was given/);
  });

  it("apply_patch commit: a folder swapped for a link after planning → 409 CONFLICT, earlier writes undone", () => {
    const { ws, outside } = fixture();
    const before = snapshot(outside);
    writeFileSync(join(ws, "a.txt"), "a1\n");
    // Planned while d was a folder; now d leads outside.
    symlinkSync("../outside", join(ws, "d"));
    assert.equal(realpathSync(join(ws, "d")), outside, "precondition: the path leads outside");
    let error: unknown;
    try {
      commitPlan(ws, [plan(ws, "a.txt", "a2\n", "a1\n"), plan(ws, "d/new.txt", "PWNED\n")]);
    } catch (caught) {
      error = caught;
    }
    assert.ok(isActionError(error), String(error));
    assert.equal(error.code, "CONFLICT");
    assert.match(error.message, CHANGED);
    assert.match(error.message, /"d\/new\.txt"/);
    assert.equal(readFileSync(join(ws, "a.txt"), "utf8"), "a1\n", "the earlier write was undone");
    assert.equal(snapshot(outside), before);
    assert.equal(existsSync(join(outside, "new.txt")), false);
  });

  it("apply_patch commit: a real error stays PATCH_FAILED; a file that vanished before its deletion is a change (409)", () => {
    const { ws } = fixture();
    writeFileSync(join(ws, "gone"), "a file where the patch needs a folder\n");
    // A real error (a file in the way) stays PATCH_FAILED: the tree did not change during the commit.
    assert.throws(
      () => commitPlan(ws, [plan(ws, "gone/x.txt", "x\n")]),
      (e: unknown) => isActionError(e) && e.code === "PATCH_FAILED" && !CHANGED.test(e.message),
    );
    // The file to delete vanished meanwhile: the tree changed.
    assert.throws(
      () => commitPlan(ws, [plan(ws, "vanished.txt", null, "v\n")]),
      (e: unknown) => isActionError(e) && e.code === "CONFLICT" && CHANGED.test(e.message),
    );
  });
});

describe("writes: a folder swapped over and over while write_file and apply_patch hit it over HTTP", () => {
  it("every answer is 200, 403 OUTSIDE_WORKSPACE or 409 CONFLICT; never 500; nothing outside changes", async (t) => {
    const server = await startServer(makeHome({ change: (c) => void (c.checkpoints.enabled = false) }));
    const ws = server.workspace;
    const root = dirname(ws);
    makeTree(root, { "outside/canary.txt": "outside\n" });
    makeTree(ws, { "box/keep.txt": "keep\n", "trash/.keep": "", link: { link: "../outside" } });
    const before = snapshot(join(root, "outside"));
    // Swaps ws/box: away for a moment then back (replacing an empty folder a write may have made meanwhile,
    // which removes the folder that write has open), and a link to the outside for a moment.
    const script = `
      const fs = require("node:fs");
      const [ws, stop] = process.argv.slice(1);
      const p = (n) => ws + "/" + n;
      const pause = new Int32Array(new SharedArrayBuffer(4));
      let trash = 0;
      const putBack = () => {
        try { fs.renameSync(p("parked"), p("box")); return; } catch {}
        try { fs.renameSync(p("box"), p("trash/" + trash++)); } catch {}
        try { fs.renameSync(p("parked"), p("box")); } catch {}
      };
      for (let n = 0; n < 1000000 && !fs.existsSync(stop); n++) {
        try { fs.renameSync(p("box"), p("parked")); } catch {}
        if (n % 2) Atomics.wait(pause, 0, 0, 1);
        putBack();
        try { fs.renameSync(p("box"), p("parked")); fs.renameSync(p("link"), p("box")); } catch {}
        if (n % 3) Atomics.wait(pause, 0, 0, 1);
        try { fs.renameSync(p("box"), p("link")); } catch {}
        putBack();
      }`;
    const stop = join(root, "stop-swapper");
    const swapper = spawn(process.execPath, ["-e", script, ws, stop], { stdio: "ignore" });
    const statuses = new Map<string, number>();
    try {
      const deadline = Date.now() + 10_000;
      for (let n = 0; n < 200 && Date.now() < deadline; n++) {
        const write = await server.post("write_file", { path: `box/w-${n}.txt`, content: "W\n" });
        const patch = await server.post("apply_patch", { patch: `*** Begin Patch\n*** Add File: box/p-${n}.txt\n+P\n*** End Patch\n` });
        for (const [name, reply] of [
          ["write_file", write],
          ["apply_patch", patch],
        ] as const) {
          const code = reply.json?.error?.code ?? "ok";
          const key = `${name} ${reply.status} ${code}`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          const allowed = (reply.status === 200 && code === "ok") || (reply.status === 403 && code === "OUTSIDE_WORKSPACE") || (reply.status === 409 && code === "CONFLICT");
          assert.ok(allowed, `${name}: ${reply.status} ${reply.text.slice(0, 300)}`);
          if (reply.status === 409) assert.match(reply.json.error.message, CHANGED);
        }
      }
    } finally {
      writeFileSync(stop, "");
      await new Promise((resolve) => (swapper.exitCode !== null ? resolve(null) : swapper.once("exit", resolve)));
      await server.close();
    }
    t.diagnostic(`answers during the race: ${[...statuses].map(([k, n]) => `${k}×${n}`).join(", ")}`);
    assert.ok([...statuses.values()].reduce((a, b) => a + b, 0) >= 2, "no request was made");
    assert.equal(snapshot(join(root, "outside")), before, "the outside folder changed");
    assert.deepEqual(
      allNames(ws).filter((n) => n.includes(".cgc-")),
      [],
      "a temp file was left in the workspace",
    );
  });
});
