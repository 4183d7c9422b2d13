/**
 * The walk behind list_files (and the built-in search) was made faster; its
 * answers must not change. Every listing here is compared, entry by entry
 * with types and sizes, and with the cursor position (lastVisited), against
 * the walk as it was before (oldListing.ts), on a tree with nested
 * .gitignore/.rgignore files, negations, anchored and folder-only rules,
 * hidden names, skipped folders, symlinks (to folders, files, outside,
 * dangling), names that sort differently in UTF-16 and UTF-8, and a FIFO.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { lstatSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { compileGlob } from "../../src/files/globFilter.js";
import { ancestorLevels } from "../../src/files/ignoreRules.js";
import { TreeWalker } from "../../src/files/walker.js";
import { makeTree, type Node } from "../files-helpers.js";
import { startServer, tempDir, type TestServer } from "../helpers.js";
import { oldCompileGlob, oldWalk, type OldEntry } from "./oldListing.js";

const TREE: Record<string, Node> = {
  ".gitignore": "*.log\n/build/\n!keep.log\ntmp/\nsub/deep/*.txt\n!sub/deep/keep.txt\n# a comment\n\\#hash.txt\ntrailing.txt   \n",
  ".rgignore": "secret*\n!secret-ok.txt\n",
  ".env": "hidden\n",
  ".github/workflows/ci.yml": "hidden folder\n",
  ".hidden-dir/.gitignore": "!*.log\n",
  ".hidden-dir/shown.log": "re-included below a hidden folder\n",
  ".git/HEAD": "skipped\n",
  "#hash.txt": "ignored by an escaped rule\n",
  "trailing.txt": "ignored (trailing spaces dropped)\n",
  "README.md": "# readme\n",
  "Z.txt": "capital\n",
  "a.txt": "a\n",
  "a-b.txt": "ab\n",
  "a0": "zero\n",
  "a/b.txt": "bb\n",
  "a/.gitignore": "!*.log\n*.tmp\n/only-here.txt\n",
  "a/kept.log": "re-included by a nested rule\n",
  "a/x.tmp": "ignored by a nested rule\n",
  "a/only-here.txt": "ignored: anchored in a/\n",
  "a/b/only-here.txt": "not ignored: the anchored rule is a/'s only\n",
  "a/b/c.txt": "deeper\n",
  "a/b/x.txt": "x\n",
  "a/b/.hidden/x.txt": "hidden folder inside\n",
  "a/b/.rgignore": "*.md\n",
  "a/b/notes.md": "ignored by .rgignore\n",
  "a/node_modules/dep/index.js": "skipped at any depth\n",
  "a/secret.txt": "ignored by the root .rgignore\n",
  "a/secret-ok.txt": "re-included by the root .rgignore\n",
  "app.log": "ignored\n",
  "keep.log": "re-included\n",
  "build/out.js": "ignored folder\n",
  "build.txt": "a file, not the build folder\n",
  "src/build/kept.js": "anchored rule does not reach here\n",
  "src/tmp/z.ts": "ignored folder at any depth\n",
  "src/tmp.ts": "a file named like the folder rule\n",
  "src/index.ts": "export {}\n",
  "src/x.txt": "x\n",
  "sub/deep/a.txt": "ignored by a path rule\n",
  "sub/deep/keep.txt": "re-included\n",
  "sub/deep/more/a.txt": "below: the rule sub/deep/*.txt does not reach\n",
  "sub/x.txt": "x\n",
  "node_modules/pkg/index.js": "skipped\n",
  "__pycache__/m.pyc": "skipped\n",
  "config-home/token": "forbidden folder\n",
  "empty": { dir: true },
  "link-to-dir": { link: "a" },
  "link-to-file": { link: "README.md" },
  "dangling": { link: "nowhere" },
  "outside-link": { link: "../outside" },
  "sub/link-up": { link: ".." },
  "ünïcode/ñ.txt": "unicode\n",
  "é.txt": "BMP\n",
  "\u{ff5e}.txt": "BMP high\n",
  "😀.txt": "astral: sorts after U+FF5E in UTF-8, before it in UTF-16\n",
  "with space/x.txt": "space\n",
};

const GLOBS = [
  null,
  "*.txt",
  "x.txt",
  "**/x.txt",
  "/x.txt",
  "a/b/c.txt",
  "a/b",
  "**/b/**",
  "a/**",
  "*/",
  "a/",
  "!*.log",
  "!a/",
  "!x.txt",
  "!**/x.txt",
  "{a,sub}/**/*.txt",
  "*.{txt,md}",
  "[ab]*.txt",
  "?.txt",
  "é.txt",
  "with space/x.txt",
  "**/with space/**",
  "only-here.txt",
  "**/only-here.txt",
  "a-b.txt",
  "A.txt",
  "*",
  "**",
  "**/*",
  ".*",
  "**/.*",
];

interface Case {
  start: string;
  recursive: boolean;
  includeHidden: boolean;
  glob: string | null;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const start of [".", "a", "a/b", "sub", "src"]) {
    for (const recursive of [true, false]) {
      for (const includeHidden of [false, true]) {
        for (const glob of GLOBS) out.push({ start, recursive, includeHidden, glob });
      }
    }
  }
  return out;
}

/** One case's walk options, for the new walk and the old one alike (each with its own glob compiler). */
function walkOptions<G>(ws: string, c: Case, resume: { path: string; inclusive: boolean } | null, compile: (glob: string) => G) {
  return {
    root: ws,
    start: c.start,
    startParts: c.start === "." ? [] : c.start.split("/"),
    recursive: c.recursive,
    includeHidden: c.includeHidden,
    glob: c.glob ? compile(c.glob) : null,
    forbidden: ["config-home"],
    ancestors: ancestorLevels(ws, c.start),
    resume,
  };
}

/** The new walk, with the size list_files reports (lstat of what the walker hands out). */
function newWalk(ws: string, c: Case, resume: { path: string; inclusive: boolean } | null): { entries: OldEntry[]; lastVisited: string | null } {
  const walker = new TreeWalker(walkOptions(ws, c, resume, compileGlob));
  const entries: OldEntry[] = [];
  try {
    for (let entry = walker.next(); entry; entry = walker.next()) {
      let size: number | null = null;
      if (entry.kind !== "dir") {
        try {
          size = lstatSync(entry.abs).size;
        } catch {
          size = null;
        }
      }
      entries.push({ path: entry.rel, type: entry.kind, size });
    }
  } finally {
    walker.close();
  }
  return { entries, lastVisited: walker.lastVisited };
}

function oldOf(ws: string, c: Case, resume: { path: string; inclusive: boolean } | null) {
  return oldWalk(walkOptions(ws, c, resume, oldCompileGlob));
}

describe("the walk answers exactly as before", () => {
  let ws: string;
  before(() => {
    const root = tempDir();
    ws = join(root, "ws");
    makeTree(root, { "outside/canary.txt": "outside\n" });
    makeTree(ws, TREE);
    try {
      execFileSync("mkfifo", [join(ws, "a", "fifo")]);
    } catch {
      // no mkfifo: the FIFO case is left out
    }
  });

  it("same entries, types, sizes and last visited path, for every start, depth, hidden flag and glob", () => {
    let compared = 0;
    for (const c of cases()) {
      const label = JSON.stringify(c);
      assert.deepEqual(newWalk(ws, c, null), oldOf(ws, c, null), label);
      compared++;
    }
    assert.ok(compared > 500);
    // Sanity: the fixture exercises what it claims to.
    const all = oldOf(ws, { start: ".", recursive: true, includeHidden: true, glob: null }, null).entries.map((e) => e.path);
    for (const shown of ["a/kept.log", ".hidden-dir/shown.log", "a/b/only-here.txt", "sub/deep/keep.txt", "sub/deep/more/a.txt", "a/secret-ok.txt", "link-to-dir", "😀.txt"]) {
      assert.ok(all.includes(shown), `${shown} should be listed`);
    }
    for (const hidden of ["app.log", "a/x.tmp", "a/only-here.txt", "sub/deep/a.txt", "a/secret.txt", "a/b/notes.md", "build", "#hash.txt", "trailing.txt", "config-home", "a/fifo"]) {
      assert.ok(!all.includes(hidden), `${hidden} should not be listed`);
    }
    assert.ok(all.indexOf("\u{ff5e}.txt") < all.indexOf("😀.txt"), "UTF-8 byte order");
  });

  it("same pages from every cursor position (inclusive and not), for a few of the cases", () => {
    const some = cases().filter((c) => c.recursive && ["*.txt", null, "!a/", "**/x.txt"].includes(c.glob) && c.start !== "src");
    for (const c of some) {
      const full = oldOf(ws, c, null).entries;
      for (const entry of full) {
        for (const inclusive of [true, false]) {
          const resume = { path: entry.path, inclusive };
          assert.deepEqual(newWalk(ws, c, resume), oldOf(ws, c, resume), `${JSON.stringify(c)} from ${JSON.stringify(resume)}`);
        }
      }
    }
  });
});

describe("globs answer as before", () => {
  it("the same verdict for every glob and path (literal globs take a faster path)", () => {
    const names = ["file00.ts", "xfile00.ts", "file00.tsx", "file00", ".file00.ts", "x.txt", "a-b.txt", "with space", "é.txt", "A.txt", "a.txt", "b", "c.txt", "only-here.txt"];
    const folders = ["", "a/", "a/b/", ".a/", "a/.b/", "with space/", "x.txt/", "file00.ts/", "sub/deep/more/", "é/"];
    const paths = folders.flatMap((folder) => names.map((name) => `${folder}${name}`));
    const globs = [
      ...GLOBS.filter((glob): glob is string => glob !== null),
      "file00.ts",
      "**/file00.ts",
      "/file00.ts",
      "a/file00.ts",
      "a/b/file00.ts",
      "**/a/file00.ts",
      "a/**/file00.ts",
      "file00.ts/",
      "!file00.ts",
      "!**/file00.ts",
      "file00",
      ".file00.ts",
      "with space",
      "a-b.txt",
      "file00.ts.",
      "x.txt/c.txt",
      "a/b",
      "b",
    ];
    let compared = 0;
    for (const glob of globs) {
      const fast = compileGlob(glob);
      const old = oldCompileGlob(glob);
      assert.equal(fast.negated, old.negated, glob);
      for (const path of paths) {
        for (const isDir of [false, true]) {
          assert.equal(fast.matches(path, isDir), old.matches(path, isDir), `${glob} on ${path}${isDir ? "/" : ""}`);
          compared++;
        }
      }
    }
    assert.ok(compared > 5000);
  });
});

describe("list_files pages, put together, are the old walk", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
    makeTree(s.workspace, TREE);
  });
  after(() => s.close());

  const bodies: { path?: string; glob?: string; include_hidden?: boolean; recursive?: boolean }[] = [
    {},
    { include_hidden: true },
    { glob: "*.txt" },
    { glob: "**/x.txt", path: "a" },
    { recursive: false },
  ];
  for (const body of bodies) {
    it(`list_files ${JSON.stringify(body)}`, async () => {
      const entries: OldEntry[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 200; page++) {
        const reply = await s.post("list_files", { ...body, limit: 3, ...(cursor ? { cursor } : {}) });
        assert.equal(reply.status, 200, reply.text);
        entries.push(...reply.json.entries);
        if (!reply.json.truncated) break;
        cursor = reply.json.next_cursor;
      }
      const start = body.path ?? ".";
      const expected = oldWalk({
        root: s.workspace,
        start,
        startParts: start === "." ? [] : start.split("/"),
        recursive: body.recursive ?? true,
        includeHidden: body.include_hidden ?? false,
        glob: body.glob ? oldCompileGlob(body.glob) : null,
        forbidden: [],
        ancestors: ancestorLevels(s.workspace, start),
      }).entries;
      assert.deepEqual(entries, expected);
      assert.ok(expected.length > 0);
    });
  }
});
