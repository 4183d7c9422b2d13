import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CheckpointStore } from "../../src/checkpoints/store.js";
import { makeHome, runCliAsync, startServer } from "../helpers.js";
import { ok, sh, treeState } from "./cp-helpers.js";

describe("checkpoints: CLI history and undo", () => {
  it("history lists actions; undo shows the plan, then restores; undo again takes it back; --path and --dry-run", async () => {
    const server = await startServer(makeHome());
    try {
      const ws = server.workspace;
      const empty = await runCliAsync(["history"], server.home);
      assert.equal(empty.code, 0);
      assert.match(empty.stdout, /No checkpoints yet/);
      const undoNothing = await runCliAsync(["undo"], server.home);
      assert.equal(undoNothing.code, 1);
      assert.match(undoNothing.stderr, /Nothing to undo/);

      writeFileSync(join(ws, "keep.txt"), "keep\n");
      writeFileSync(join(ws, "other.txt"), "other\n");
      await ok(server, "write_file", { path: "keep.txt", content: "changed\n" });
      const original = treeState(ws);
      const cp = (await sh(server, "rm keep.txt && echo new > made.txt && echo o2 > other.txt")).checkpoint;
      const after = treeState(ws);

      const history = await runCliAsync(["history"], server.home);
      assert.equal(history.code, 0, history.stderr);
      assert.match(history.stdout, /exec_command\s+3\s+\$ rm keep\.txt/);
      assert.match(history.stdout, /write_file\s+1\s+write keep\.txt/);
      const json = JSON.parse((await runCliAsync(["history", "--json"], server.home)).stdout);
      assert.equal(json.checkpoints[0].id, cp);
      assert.equal(json.checkpoints.length, 2);

      const dry = await runCliAsync(["undo", "--dry-run"], server.home);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, new RegExp(`Going back to checkpoint ${cp}`));
      assert.match(dry.stdout, /Will write back 2 file\(s\):\n  keep\.txt\n  other\.txt/);
      assert.match(dry.stdout, /Will delete 1 file\(s\) that did not exist then:\n  made\.txt/);
      assert.match(dry.stdout, /Dry run: nothing was changed/);
      assert.equal(treeState(ws), after);

      const onlyOne = await runCliAsync(["undo", cp, "--path", "keep.txt"], server.home);
      assert.equal(onlyOne.code, 0, onlyOne.stderr);
      assert.equal(readFileSync(join(ws, "keep.txt"), "utf8"), "changed\n");
      assert.equal(existsSync(join(ws, "made.txt")), true, "not named by --path");

      const undo = await runCliAsync(["undo", cp], server.home);
      assert.equal(undo.code, 0, undo.stderr);
      assert.ok(undo.stdout.indexOf("Will delete") < undo.stdout.indexOf("Done:"), "the plan is printed before the change");
      assert.equal(treeState(ws), original);
      const redoId = /chatgpt-codex undo (cp-\S+)/.exec(undo.stdout)![1]!;
      const redo = await runCliAsync(["undo", redoId], server.home);
      assert.equal(redo.code, 0, redo.stderr);
      assert.equal(readFileSync(join(ws, "made.txt"), "utf8"), "new\n");
      assert.equal(readFileSync(join(ws, "keep.txt"), "utf8"), "changed\n", "the state before the full undo had the partial undo in it");

      // No id: the state before the last action (here: the redo) — i.e. undo the redo.
      const last = await runCliAsync(["undo"], server.home);
      assert.equal(last.code, 0, last.stderr);
      assert.equal(treeState(ws), original);
      const unknown = await runCliAsync(["undo", "cp-999-zzzz"], server.home);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no checkpoint "cp-999-zzzz"/);
      const outside = await runCliAsync(["undo", cp, "--path", "../etc"], server.home);
      assert.notEqual(outside.code, 0);
      const api = await ok(server, "list_checkpoints", { limit: 50 });
      assert.ok(api.checkpoints.some((c: { summary: string }) => /command line/.test(c.summary)), "CLI undos are in the history too");
    } finally {
      await server.close();
    }
  });

  it("undo without an id reads the history under the lock: a record still being written when it starts is the one it goes back to", async () => {
    const server = await startServer(makeHome());
    try {
      const ws = server.workspace;
      writeFileSync(join(ws, "a.txt"), "one\n");
      const older = (await ok(server, "write_file", { path: "a.txt", content: "two\n" })).checkpoint as string;
      // Hold the workspace's lock as the server does while it finishes an answered exec_command's
      // record; undo starts meanwhile, and the newer record is written before the lock is let go.
      const store = new CheckpointStore(server.home, ws);
      let undo!: ReturnType<typeof runCliAsync>;
      const newer = await store.locked(async () => {
        undo = runCliAsync(["undo", "--dry-run"], server.home);
        await new Promise((resolve) => setTimeout(resolve, 1_500)); // the CLI has started and waits for the lock
        writeFileSync(join(ws, "a.txt"), "three\n");
        return (await store.checkpoint("exec_command", "the late record")).id;
      });
      assert.notEqual(newer, older);
      const result = await undo;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`Going back to checkpoint ${newer}`), "the last checkpoint, not the one before it");
      assert.equal(readFileSync(join(ws, "a.txt"), "utf8"), "three\n", "a dry run changes nothing");
    } finally {
      await server.close();
    }
  });
});
