/**
 * restore_checkpoint and `undo` recreate symbolic links from a checkpoint. A
 * link's target must be resolved the way the kernel will: `A -> B/../outside`
 * stays inside as text but leads out when `B -> .`. Each case plants links,
 * proves on disk that they really lead where the attack wants, checkpoints
 * them, takes them away, restores, and proves: the link is not created, the
 * answer names it, nothing next to the workspace changed, and .git and the
 * config folder hold no new entry.
 */
import assert from "node:assert/strict";
import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { makeHome, runCliAsync, startServer, type TestServer } from "../helpers.js";
import { gitInit, makeHomeInside, makeTree, snapshot } from "../files-helpers.js";
import { exactState, ok, treeState } from "./cp-helpers.js";

type Node = string | { link: string } | { dir: true };

interface Case {
  label: string;
  /** The config folder inside the workspace (CHATGPT_CODEX_HOME = <ws>/.chatgpt-codex). */
  homeInside?: boolean;
  git?: boolean;
  /** What the checkpoint holds (beside a README.md); `root` is the folder holding ws/ and outside/. */
  plant: (ws: string, root: string) => Record<string, Node>;
  /** On disk before the checkpoint is taken: where each planted link really leads (null: nowhere, a loop). */
  leadsTo: (ws: string, root: string) => Record<string, string | null>;
  /** After the checkpoint: the change the restore undoes. */
  change: (ws: string) => void;
  /** Links that must not come back, with the reason the answer must give. */
  refused: Record<string, RegExp>;
  /** Links that must come back exactly. */
  restored?: string[];
}

const OUTSIDE = /outside the workspace/;
const PROTECTED = /\.git or the tool's config folder/;
const LOOP = /loops/;

function unlink(ws: string, ...paths: string[]): void {
  for (const p of paths) unlinkSync(join(ws, p));
}

/** Where a path really leads on disk now, as the kernel resolves it (null: a loop; "missing": dangling). */
function realOrNull(path: string): string | null {
  try {
    return realpathSync.native(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") return null;
    if (code === "ENOENT") return "missing";
    throw error;
  }
}

function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

const CASES: Case[] = [
  {
    label: "the reproduction: A -> B/../outside with B -> . (B still on disk at restore time)",
    plant: () => ({ B: { link: "." }, A: { link: "B/../outside" } }),
    leadsTo: (ws, root) => ({ A: join(root, "outside"), B: ws }),
    change: (ws) => unlink(ws, "A"),
    refused: { A: OUTSIDE },
  },
  {
    label: "the reproduction, B created by the same restore",
    plant: () => ({ B: { link: "." }, A: { link: "B/../outside" } }),
    leadsTo: (ws, root) => ({ A: join(root, "outside"), B: ws }),
    change: (ws) => unlink(ws, "A", "B"),
    refused: { A: OUTSIDE },
    restored: ["B"],
  },
  {
    label: "the reproduction, B a real folder now and a link again after the restore",
    plant: () => ({ B: { link: "." }, A: { link: "B/../outside/canary.txt" } }),
    leadsTo: (ws, root) => ({ A: join(root, "outside", "canary.txt"), B: ws }),
    change: (ws) => {
      unlink(ws, "A", "B");
      makeTree(ws, { "B/keep.txt": "a folder where the link was\n" });
    },
    refused: { A: OUTSIDE },
    restored: ["B"],
  },
  {
    label: "a chain of links: D -> C/../outside, C -> B, B -> .",
    plant: () => ({ B: { link: "." }, C: { link: "B" }, D: { link: "C/../outside" }, "sub/E": { link: "../C/../outside/canary.txt" } }),
    leadsTo: (ws, root) => ({ D: join(root, "outside"), "sub/E": join(root, "outside", "canary.txt"), C: ws }),
    change: (ws) => unlink(ws, "B", "C", "D", "sub/E"),
    refused: { D: OUTSIDE, "sub/E": OUTSIDE },
    restored: ["B", "C"],
  },
  {
    label: "absolute targets: outside, through a link in the workspace, and another spelling of the workspace",
    plant: (ws, root) => ({
      B: { link: "." },
      abs1: { link: join(root, "outside", "canary.txt") },
      abs2: { link: `${ws}/B/../outside/canary.txt` },
      abs3: { link: `${ws}/../${ws.split("/").pop()}/B/../outside` },
      absOk: { link: `${ws}/README.md` },
    }),
    leadsTo: (ws, root) => ({
      abs1: join(root, "outside", "canary.txt"),
      abs2: join(root, "outside", "canary.txt"),
      abs3: join(root, "outside"),
      absOk: join(ws, "README.md"),
    }),
    change: (ws) => unlink(ws, "abs1", "abs2", "abs3", "absOk"),
    refused: { abs1: OUTSIDE, abs2: OUTSIDE, abs3: OUTSIDE },
    restored: ["absOk"],
  },
  {
    label: ".. beyond the workspace root, also out and back in",
    plant: (ws) => ({
      up: { link: "../outside" },
      "sub/deep/up": { link: "../../../outside/canary.txt" },
      back: { link: `../${ws.split("/").pop()}/README.md` },
      dangling: { link: "sub/not-there/../../README.md" },
    }),
    leadsTo: (ws, root) => ({ up: join(root, "outside"), "sub/deep/up": join(root, "outside", "canary.txt"), back: join(ws, "README.md") }),
    change: (ws) => unlink(ws, "up", "sub/deep/up", "back", "dangling"),
    refused: { up: OUTSIDE, "sub/deep/up": OUTSIDE, back: OUTSIDE },
    restored: ["dangling"],
  },
  {
    label: "into .git (hooks, config): by text, through a link to the workspace, through a link to .git kept on disk",
    git: true,
    plant: () => ({
      B: { link: "." },
      gl: { link: ".git" },
      hooks1: { link: ".git/hooks" },
      hooks2: { link: "B/.git/config" },
      hooks3: { link: "gl/hooks" },
      hooks4: { link: "sub/../.GIT/config" },
    }),
    leadsTo: (ws) => ({ hooks1: join(ws, ".git", "hooks"), hooks2: join(ws, ".git", "config"), hooks3: join(ws, ".git", "hooks") }),
    change: (ws) => unlink(ws, "hooks1", "hooks2", "hooks3", "hooks4"),
    refused: { hooks1: PROTECTED, hooks2: PROTECTED, hooks3: PROTECTED, hooks4: PROTECTED },
  },
  {
    label: "into the tool's config folder inside the workspace",
    homeInside: true,
    plant: () => ({
      B: { link: "." },
      cfg1: { link: ".chatgpt-codex" },
      cfg2: { link: "B/.chatgpt-codex/config.json" },
      cfg3: { link: "sub/../.chatgpt-codex/config.json" },
      "sub/cfg4": { link: "../B/B/.chatgpt-codex" },
    }),
    leadsTo: (ws) => ({
      cfg1: join(ws, ".chatgpt-codex"),
      cfg2: join(ws, ".chatgpt-codex", "config.json"),
      "sub/cfg4": join(ws, ".chatgpt-codex"),
    }),
    change: (ws) => unlink(ws, "B", "cfg1", "cfg2", "cfg3", "sub/cfg4"),
    refused: { cfg1: PROTECTED, cfg2: PROTECTED, cfg3: PROTECTED, "sub/cfg4": PROTECTED },
    restored: ["B"],
  },
  {
    label: "loops: two links pointing at each other, a link through itself",
    plant: () => ({ loopA: { link: "loopB/x" }, loopB: { link: "loopA" }, self: { link: "self/../README.md" } }),
    leadsTo: () => ({ loopA: null, self: null }),
    change: (ws) => unlink(ws, "loopA", "loopB", "self"),
    refused: { loopA: LOOP, loopB: LOOP, self: LOOP },
  },
];

async function setUp(c: Case): Promise<{ server: TestServer; ws: string; root: string; cp: string }> {
  const server = await startServer(c.homeInside ? makeHomeInside() : makeHome());
  const ws = server.workspace;
  const root = dirname(ws);
  try {
    if (c.git) gitInit(ws);
    makeTree(root, { "outside/canary.txt": "outside\n" });
    makeTree(ws, { "README.md": "# inside\n", "sub/keep.txt": "keep\n", ...c.plant(ws, root) });
    // The attack is real: on disk these links lead exactly where it wants.
    for (const [path, where] of Object.entries(c.leadsTo(ws, root))) assert.equal(realOrNull(join(ws, path)), where, `precondition: ${path}`);
    const cp = (await ok(server, "write_file", { path: "marker.txt", content: "after the checkpoint\n" })).checkpoint;
    c.change(ws);
    return { server, ws, root, cp };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** Everything that must stay as it is: the folder holding the workspace, .git, and the config folder's top level. */
function guarded(ws: string, root: string, c: Case): string {
  const configTop = c.homeInside ? readdirSync(join(ws, ".chatgpt-codex")).filter((n) => n !== "audit.log" && n !== "state").sort().join(",") : "";
  return [readdirSync(root).sort().join(","), snapshot(join(root, "outside")), c.git ? exactState(join(ws, ".git")) : "", configTop].join("\n--\n");
}

function assertAnswer(c: Case, answer: { restored: string[]; kept: Array<{ path: string; reason: string }> }, label: string): void {
  for (const [path, reason] of Object.entries(c.refused)) {
    const entry = answer.kept.find((k) => k.path === path);
    assert.ok(entry, `${label}: ${path} is not named in kept: ${JSON.stringify(answer.kept)}`);
    assert.match(entry.reason, reason, `${label}: ${path}`);
    assert.ok(!answer.restored.includes(path), `${label}: ${path} reported restored`);
  }
  for (const path of c.restored ?? []) assert.ok(answer.restored.includes(path), `${label}: ${path} not restored: ${JSON.stringify(answer)}`);
}

describe("checkpoints: restored symbolic links are resolved component by component", () => {
  for (const c of CASES) {
    it(c.label, async () => {
      const { server, ws, root, cp } = await setUp(c);
      try {
        const before = guarded(ws, root, c);
        const tree = treeState(ws, [".git", ".chatgpt-codex"]);
        const dry = await ok(server, "restore_checkpoint", { id: cp, dry_run: true });
        assertAnswer(c, dry, "dry run");
        assert.equal(treeState(ws, [".git", ".chatgpt-codex"]), tree, "the dry run changed nothing");

        const answer = await ok(server, "restore_checkpoint", { id: cp });
        assertAnswer(c, answer, "restore");
        for (const path of Object.keys(c.refused)) assert.equal(lexists(join(ws, path)), false, `${path} was created`);
        const planted = c.plant(ws, root);
        for (const path of c.restored ?? []) assert.equal(readlinkSync(join(ws, path)), (planted[path] as { link: string }).link, path);
        assert.equal(guarded(ws, root, c), before, "something next to the workspace, in .git or in the config folder changed");
        assert.equal(existsSync(join(root, "outside", "marker.txt")), false);
        // Every link the restore made leads inside, and nowhere protected.
        for (const path of answer.restored) {
          const real = realOrNull(join(ws, path));
          if (real === null || real === "missing") continue;
          assert.ok(real === ws || real.startsWith(`${ws}/`), `${path} leads to ${real}`);
          assert.ok(!/\/\.git(\/|$)|\/\.chatgpt-codex(\/|$)/i.test(real.slice(ws.length)), `${path} leads to ${real}`);
        }
      } finally {
        await server.close();
      }
    });
  }

  it("a link that needs another restored link changed first is made after it, not refused", async () => {
    // Now: B -> . (so A -> B/../x would lead outside). The checkpoint: B -> sub, A -> B/../x (= x, inside).
    const server = await startServer(makeHome());
    try {
      const ws = server.workspace;
      const root = dirname(ws);
      makeTree(ws, { "sub/keep.txt": "keep\n", x: "x\n", B: { link: "sub" }, A: { link: "B/../x" } });
      assert.equal(realpathSync.native(join(ws, "A")), join(ws, "x"));
      const cp = (await ok(server, "write_file", { path: "marker.txt", content: "m\n" })).checkpoint;
      unlink(ws, "A", "B");
      makeTree(ws, { B: { link: "." }, A: { link: "sub/keep.txt" } });
      const before = readdirSync(root).sort();
      const answer = await ok(server, "restore_checkpoint", { id: cp });
      assert.deepEqual(answer.kept, []);
      assert.deepEqual([...answer.restored].sort(), ["A", "B"]);
      assert.equal(readlinkSync(join(ws, "A")), "B/../x");
      assert.equal(realpathSync.native(join(ws, "A")), join(ws, "x"));
      assert.deepEqual(readdirSync(root).sort(), before);
    } finally {
      await server.close();
    }
  });

  it("a link is not made while it would turn an already made link outside; it waits for the link that fixes that", async () => {
    // Checkpoint: C -> L/../x, L -> M, M -> sub (C leads to x). Now: C and L gone, M -> . .
    // Made in tree order, L before M would send C out (L -> M -> . ; C = ./../x) until M is changed.
    const server = await startServer(makeHome());
    try {
      const ws = server.workspace;
      makeTree(ws, { "sub/keep.txt": "keep\n", x: "x\n", C: { link: "L/../x" }, L: { link: "M" }, M: { link: "sub" } });
      assert.equal(realpathSync.native(join(ws, "C")), join(ws, "x"));
      const cp = (await ok(server, "write_file", { path: "marker.txt", content: "m\n" })).checkpoint;
      unlink(ws, "C", "L", "M");
      makeTree(ws, { M: { link: "." } });
      const answer = await ok(server, "restore_checkpoint", { id: cp });
      assert.deepEqual(answer.kept, []);
      assert.deepEqual([...answer.restored].sort(), ["C", "L", "M"]);
      assert.equal(realpathSync.native(join(ws, "C")), join(ws, "x"));
      assert.equal(realpathSync.native(join(ws, "L")), join(ws, "sub"));
    } finally {
      await server.close();
    }
  });

  it("`undo` on the command line goes through the same check", async () => {
    const c = CASES[1]!;
    const { server, ws, root, cp } = await setUp(c);
    try {
      const before = guarded(ws, root, c);
      const dry = await runCliAsync(["undo", cp, "--dry-run"], server.home);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /A: symbolic link pointing outside the workspace/);
      const undo = await runCliAsync(["undo", cp], server.home);
      assert.equal(undo.code, 0, undo.stderr);
      assert.match(undo.stdout, /A: symbolic link pointing outside the workspace/);
      assert.equal(lexists(join(ws, "A")), false, "A was created");
      assert.equal(readlinkSync(join(ws, "B")), ".");
      assert.equal(guarded(ws, root, c), before);
    } finally {
      await server.close();
    }
  });
});
