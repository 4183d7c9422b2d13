import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { readSource, resolveLocal, shown, sourceFiles, SRC, staticImports } from "./imports.js";

/** Every circle in a graph, each once, as the path that closes it (a → b → a). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const seen = state.get(next);
      if (seen === "open") cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    path.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

// Static imports that stay at run time (type-only ones are erased); dynamic import() is left out.
function sourceGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const targets = staticImports(readSource(file))
      .filter((ref) => !ref.typeOnly)
      .map((ref) => resolveLocal(file, ref.specifier))
      .filter((target): target is string => target !== null && existsSync(target));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

test("no import cycles among src/ files (static imports)", () => {
  const graph = sourceGraph();
  const edges = [...graph.values()].reduce((sum, targets) => sum + targets.length, 0);
  assert.ok(graph.size > 100 && edges > 300, `the graph was read (${graph.size} files, ${edges} imports)`);
  assert.deepEqual(findCycles(graph).map((cycle) => cycle.map(shown).join(" → ")), []);
});

test("the cycle finder finds a circle, and only once", () => {
  const graph = new Map([
    ["a", ["b"]],
    ["b", ["c", "d"]],
    ["c", ["a"]],
    ["d", []],
    ["e", ["e"]],
  ]);
  assert.deepEqual(findCycles(graph), [["a", "b", "c", "a"], ["e", "e"]]);
  assert.deepEqual(findCycles(new Map([["a", ["b"]], ["b", []]])), []);
});
