/**
 * A patch reads the files it changes where the path was resolved, and only there: a
 * folder on the way swapped for a link to outside after the check (the race) must not let
 * the patch read an outside file and quote it back in a PATCH_FAILED answer ("closest
 * region"). The swap is made deterministic: the resolver answers as it would have before it.
 */
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isActionError } from "../src/ground/errors.js";
import { parsePatchText } from "../src/patch/parse.js";
import { planPatch } from "../src/patch/planner.js";
import { tempDir } from "./helpers.js";

const patch = "*** Begin Patch\n*** Update File: d/notes.txt\n@@\n-hello there\n+goodbye\n*** End Patch\n";

function world() {
  const root = tempDir();
  const ws = join(root, "ws");
  const outside = join(root, "outside");
  mkdirSync(ws);
  mkdirSync(outside);
  writeFileSync(join(outside, "notes.txt"), "CANARY-OUTSIDE hello theer\n");
  return { ws, outside };
}

/** The error planning the patch in `ws` throws (the resolver answers as it did before any swap). */
function planError(ws: string): unknown {
  const resolve = (user: string) => ({ lexical: join(ws, user), real: join(ws, user), relative: user });
  try {
    planPatch(parsePatchText(patch), resolve);
  } catch (error) {
    return error;
  }
  return undefined;
}

test("a folder swapped for a link after resolving: 409 CONFLICT, nothing of the outside file quoted", () => {
  const { ws, outside } = world();
  symlinkSync(outside, join(ws, "d")); // the swap, after the resolver saw a real folder "d"
  const caught = planError(ws);
  assert.ok(isActionError(caught), String(caught));
  assert.equal(caught.code, "CONFLICT");
  assert.doesNotMatch(JSON.stringify(caught.toBody()), /CANARY-OUTSIDE/);
});

test("the same patch on a real folder reads the file (and reports the mismatch with its closest region)", () => {
  const { ws } = world();
  mkdirSync(join(ws, "d"));
  writeFileSync(join(ws, "d", "notes.txt"), "INSIDE hello theer\n");
  const caught = planError(ws);
  assert.ok(isActionError(caught));
  assert.equal(caught.code, "PATCH_FAILED");
  assert.match(JSON.stringify(caught.toBody()), /INSIDE hello theer/, "the closest region of the real file is quoted");
});
