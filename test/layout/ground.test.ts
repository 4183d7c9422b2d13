import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { readSource, resolveLocal, shown, sourceFiles, SRC, staticImports } from "./imports.js";

const GROUND = join(SRC, "ground");

// src/ground/ is what every room stands on: it may import Node's own modules and other ground
// files, nothing else of the project and no package (a type import included: it ties the folder too).
test("src/ground/ imports only node: modules and other src/ground files", () => {
  const files = sourceFiles(GROUND);
  assert.ok(files.length >= 10, `ground files found: ${files.length}`);
  const wrong: string[] = [];
  for (const file of files) {
    for (const ref of staticImports(readSource(file))) {
      if (ref.specifier.startsWith("node:")) continue;
      const target = resolveLocal(file, ref.specifier);
      if (target !== null && dirname(target) === GROUND) continue;
      wrong.push(`${shown(file)}:${ref.line} imports "${ref.specifier}"`);
    }
  }
  assert.deepEqual(wrong, []);
});

test("the import reader sees what it must (and nothing in values)", () => {
  const refs = staticImports(
    [
      `import { readFileSync } from "node:fs";`,
      `import type { A } from "./a.js";`,
      `import { type B, type C } from "./b.js";`,
      `import {\n  D,\n  type E,\n} from "./d.js";`,
      `import "./side.js";`,
      `export { F } from "./f.js";`,
      `export * from "./g.js";`,
      `export const H = "x";`,
      `export const I = [\n  1, // copied from "./nothing.js"\n];`,
      `const later = await import("./dynamic.js");`,
    ].join("\n"),
  );
  assert.deepEqual(
    refs.map((r) => [r.specifier, r.typeOnly]),
    [
      ["node:fs", false],
      ["./a.js", true],
      ["./b.js", true],
      ["./d.js", false],
      ["./side.js", false],
      ["./f.js", false],
      ["./g.js", false],
    ],
  );
});
