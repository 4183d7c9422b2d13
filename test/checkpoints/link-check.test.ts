/**
 * The link walk itself, against a view of the tree: what the disk says, what
 * a restore is about to write (the overlay), the hop limit, and the places a
 * walk may not pass.
 */
import assert from "node:assert/strict";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { linksThatHold, MAX_HOPS, resolveLink, TreeView } from "../../src/checkpoints/linkCheck.js";
import { placeLinks, type RestoreResult } from "../../src/checkpoints/restore.js";
import { tempDir } from "../helpers.js";
import { makeTree } from "../files-helpers.js";

function workspace(): string {
  const ws = join(tempDir(), "ws");
  makeTree(ws, { "README.md": "r\n", "sub/a.txt": "a\n", "dot-link": { link: "." } });
  return ws;
}

describe("checkpoints: the link walk", () => {
  it("follows links on disk and in the overlay; `..` applies to where the walk really is", () => {
    const ws = workspace();
    const view = new TreeView(ws);
    // Text says "outside" (inside the workspace); the disk link makes it the parent's "outside".
    const onDisk = resolveLink(ws, view, "A", "dot-link/../outside", []);
    assert.deepEqual([onDisk.inside, onDisk.inside ? "" : onDisk.why], [false, "outside"]);
    // A link the restore is about to write counts the same.
    view.set("planned", { kind: "link", target: "." });
    const planned = resolveLink(ws, view, "A", "planned/../outside", []);
    assert.equal(planned.inside, false);
    // Taken out of the overlay, "planned" does not exist: the rest is followed as text and stays inside.
    view.overlay.delete("planned");
    const text = resolveLink(ws, view, "A", "planned/../outside", []);
    assert.deepEqual(text.inside && text.resolved, "outside");
    // A file with more to come is treated like a missing folder; a file at the end is where the link leads.
    assert.equal(resolveLink(ws, view, "A", "README.md/../../x", []).inside, false);
    const file = resolveLink(ws, view, "sub/L", "../README.md", []);
    assert.deepEqual(file.inside && file.resolved, "README.md");
  });

  it("stops after MAX_HOPS links; a shorter chain resolves", () => {
    const ws = workspace();
    const chain: Record<string, { link: string }> = {};
    for (let i = 0; i < MAX_HOPS + 5; i++) chain[`l${i}`] = { link: `l${i + 1}` };
    chain[`l${MAX_HOPS + 5}`] = { link: "README.md" };
    makeTree(ws, chain);
    const view = new TreeView(ws);
    const long = resolveLink(ws, view, "X", "l0", []);
    assert.deepEqual(!long.inside && long.why, "loop");
    const short = resolveLink(ws, view, "X", "l10", []);
    assert.deepEqual(short.inside && short.resolved, "README.md");
  });

  it("refuses protected places even when only passed through, and absolute paths not spelled as the workspace", () => {
    const ws = workspace();
    const view = new TreeView(ws);
    const why = (target: string) => {
      const v = resolveLink(ws, view, "X", target, ["sub/home"]);
      return v.inside ? "inside" : v.why;
    };
    assert.equal(why(".git/../README.md"), "protected");
    assert.equal(why("dot-link/.Git"), "protected");
    assert.equal(why("sub/home"), "protected");
    assert.equal(why("dot-link/sub/home/config.json"), "protected");
    assert.equal(why("sub/homeless"), "inside");
    assert.equal(why(`${ws}/README.md`), "inside");
    assert.equal(why(`${ws}//./README.md`), "inside");
    assert.equal(why(`${ws}/../ws/README.md`), "outside");
    assert.equal(why(`${ws}-evil/README.md`), "outside");
    assert.equal(why("/"), "outside");
    assert.equal(why(""), "outside");
  });

  it("linksThatHold refuses each link that leads out, also one that leads out only through another refused link", () => {
    const ws = workspace();
    const view = new TreeView(ws);
    const restoredTo: string[] = [];
    const result = linksThatHold(
      ws,
      view,
      [
        { path: "B", target: "." },
        { path: "A", target: "B/../out" },
        { path: "C", target: "A/../README.md" },
        { path: "D", target: "B/sub/a.txt" },
      ],
      [],
      (path) => {
        restoredTo.push(path);
        view.overlay.delete(path);
      },
    );
    assert.deepEqual(result.held.map((l) => l.path).sort(), ["B", "D"]);
    assert.deepEqual(result.refused.sort((x, y) => x.path.localeCompare(y.path)), [
      { path: "A", why: "outside" },
      { path: "C", why: "outside" },
    ]);
    assert.deepEqual(restoredTo.sort(), ["A", "C"]);
    assert.equal(view.entry("A").kind, "missing", "a refused link's path is what the disk holds");
  });

  it("placeLinks never leaves a made link leading outside, even for a moment", () => {
    const links = [
      { path: "C", target: "L/../x" },
      { path: "L", target: "M" },
      { path: "M", target: "sub" },
    ];
    const leads = (ws: string, path: string) => {
      try {
        return realpathSync.native(join(ws, path));
      } catch {
        return "dangling";
      }
    };
    // Precondition: made in this order over the current M -> ., C leads out until M is replaced.
    const naive = workspace();
    makeTree(join(naive, ".."), { x: "outside\n" });
    makeTree(naive, { M: { link: "." }, C: { link: "L/../x" }, L: { link: "M" } });
    assert.equal(leads(naive, "C"), join(naive, "..", "x"));

    const ws = workspace();
    makeTree(join(ws, ".."), { x: "outside\n" }); // so a moment of leading out would show, not dangle
    makeTree(ws, { M: { link: "." }, x: "x\n" });
    const result: RestoreResult = { restored: [], deleted: [], kept: [] };
    const moments: string[][] = [];
    placeLinks(ws, links, [], result, () => {
      moments.push([...result.restored]);
      for (const path of result.restored) {
        const real = leads(ws, path);
        assert.ok(real === "dangling" || real === ws || real.startsWith(`${ws}/`), `after making ${result.restored.join(", ")}: ${path} leads to ${real}`);
      }
    });
    assert.deepEqual(result.kept, []);
    assert.deepEqual(moments, [["C"], ["C", "M"], ["C", "M", "L"]], "L waited for M");
    assert.equal(leads(ws, "C"), join(ws, "x"));
  });
});
