import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout's root (this file runs as dist/test/layout/imports.js). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const SRC = join(ROOT, "src");

export interface ImportRef {
  /** The specifier as written: "node:fs", "zod", "../ground/errors.js". */
  specifier: string;
  /** true: `import type …` / `export type … from`, or every name in its braces is `type X` (erased at run time). */
  typeOnly: boolean;
  line: number;
}

/** Every .ts file under `dir` (declaration files left out), as absolute paths, sorted. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(full);
      return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
    })
    .sort();
}

// A statement that starts a line: `import … from "x"`, `export … from "x"`, or `import "x"`.
// Dynamic import() is not a static import and is not matched.
// An import clause never holds `=`, `(` or `;`, so `export const x = … from "…"` in a value is not taken for one.
const STATEMENT = /^(import|export)\s+(type\s+)?(?:([^;=("'`]*?)\s+from\s*)?(["'])([^"']+)\4/gm;

/** The static imports and re-exports of one source file. */
export function staticImports(text: string): ImportRef[] {
  const refs: ImportRef[] = [];
  for (const match of text.matchAll(STATEMENT)) {
    const [, keyword, typeKeyword, clause, , specifier] = match;
    // `export const x = …` has no `from`: the pattern needs a quote right after the keyword then.
    if (keyword === "export" && clause === undefined) continue;
    const braces = /^\{([^}]*)\}$/.exec((clause ?? "").trim());
    const names = braces ? braces[1]!.split(",").map((name) => name.trim()).filter(Boolean) : [];
    const allTypes = names.length > 0 && names.every((name) => name.startsWith("type "));
    refs.push({ specifier: specifier!, typeOnly: typeKeyword !== undefined || allTypes, line: text.slice(0, match.index).split("\n").length });
  }
  return refs;
}

/** The project file a relative specifier names (src/x/y.js → src/x/y.ts), or null for a package or node: module. */
export function resolveLocal(from: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  return resolve(dirname(from), specifier).replace(/\.js$/, ".ts");
}

export function shown(file: string): string {
  return relative(ROOT, file).split(sep).join("/");
}

export function readSource(file: string): string {
  return readFileSync(file, "utf8");
}
