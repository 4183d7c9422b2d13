/**
 * The ripgrep backend and the built-in engine must give the same results in
 * the same order on one tree full of `.gitignore` rules, hidden, skipped,
 * binary and odd files. File names carry the oracle: every file whose path
 * contains "VIS" must be found by a plain search, none whose path has "IGN".
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { SearchMatch } from "../src/search/types.js";
import { startServer, type TestServer } from "./helpers.js";
import { makeTree, requireRipgrep, useEngine, type Node } from "./files-helpers.js";

type Match = SearchMatch;

/** A small deterministic generator so the tree is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function buildSpec(): Record<string, Node> {
  const spec: Record<string, Node> = {
    ".gitignore": "# root rules\n*.log\n/dist/\nbuild/\n!VIS-important.log\n*.tmp\n\n",
    ".rgignore": "IGN-rg-*\n!VIS-rgkeep.log\n",
    "IGN-rg-a.txt": "needle: .rgignore at the root\n",
    "pkg/IGN-rg-b.txt": "needle: the root .rgignore reaches into pkg\n",
    "VIS-rgkeep.log": "needle: .rgignore re-includes what .gitignore ignores\n",
    "VIS-a.txt": "needle one\nno match here\n",
    "IGN-x.log": "needle in an ignored log\n",
    "VIS-important.log": "needle re-included\n",
    "dist/IGN-out.js": "needle in an anchored ignored folder\n",
    "sub/dist/VIS-notanchored.js": "needle: /dist/ is anchored at the root\n",
    "build/IGN-b.js": "needle\n",
    "sub/build/IGN-c.js": "needle: build/ matches at any depth\n",
    "IGN.tmp": "needle\n",
    "pkg/.gitignore": "gen/\n!VIS-keep.tmp\n/IGN-local.txt\n**/cache/**\n",
    "pkg/gen/IGN-g.ts": "needle\n",
    "pkg/VIS-keep.tmp": "needle re-included below\n",
    "pkg/IGN-local.txt": "needle\n",
    "pkg/sub/VIS-local.txt": "needle: the anchored rule does not reach here\n",
    "pkg/sub/cache/IGN-z.txt": "needle\n",
    "pkg/sub/.gitignore": "!VIS-sub.log\n",
    "pkg/sub/VIS-sub.log": "needle re-included two levels down\n",
    "pkg/sub/deeper/VIS-d.txt": "Needle deep\n",
    ".IGN-hidden.txt": "needle\n",
    ".IGN-dir/x.txt": "needle\n",
    "node_modules/IGN-m.js": "needle\n",
    "pkg/node_modules/IGN-m.js": "needle\n",
    ".git/IGN-config": "needle\n",
    "__pycache__/IGN-c.pyc": "needle\n",
    "IGN-bin.dat": Buffer.concat([Buffer.from("needle\n\0\u0001binary"), Buffer.from("needle\n")]),
    "IGN-late-bin.txt": Buffer.concat([Buffer.from("needle early\n"), Buffer.alloc(90_000, 0x61), Buffer.from("\n\0 needle late\n")]),
    "IGN-utf16.txt": Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("needle utf16\n", "utf16le")]),
    "VIS-bom.txt": "\ufeffneedle bom\r\nsecond needle\r\n",
    "VIS-crlf.txt": "a\r\nneedle$\r\nb\r\n",
    "VIS-noeol.txt": "first\nlast needle",
    "VIS-empty.txt": "",
    "VIS-unicode.txt": "Ünïcödé NEEDLE 🙂 needle\nΣΊΣΥΦΟΣ σίσυφος\nstraße STRASSE\n",
    "VIS-long.txt": `${"x".repeat(3000)}needle${"y".repeat(3000)}\nshort needle\n`,
    "VIS-invalid-utf8.txt": Buffer.concat([Buffer.from([0x66, 0x6f, 0xff, 0x20]), Buffer.from("needle after a bad byte\n")]),
    "VIS-adjacent.txt": "needle 1\nneedle 2\nplain 3\nplain 4\nplain 5\nneedle 6\nplain 7\n",
    "IGN-link.txt": { link: "VIS-a.txt" },
    "IGN-linkdir": { link: "pkg" },
    "names/ab": "VIS needle",
    "names/a.txt": "VIS needle",
    "names/a-b": "VIS needle",
    "names/a/b": "VIS needle",
    "names/B": "VIS needle",
    "names/_x": "VIS needle",
    "names/ü.txt": "VIS needle",
    "names/with space.txt": "VIS needle",
    "names/VIS-n.md": "# needle heading\nimport x\n",
    "src/VIS-code.ts": "import { a } from './a';\nexport const needle9 = 1;\nconst NEEDLE10 = 2;\nfoo\n",
    // Over 5,000 matching lines: ripgrep's sorted, early-stopping mode answers these queries.
    "bulk/VIS-haystack.txt": Array.from({ length: 6000 }, (_, i) => `haystack ${i} ${i % 3 ? "HayStack" : "hay"}\n`).join(""),
    "bulk/IGN-x.log": "haystack\n",
    "bulk/VIS-z.txt": "haystack after the big file\n",
  };
  const next = random(42);
  const words = ["alpha", "beta", "gamma", "import", "export", "value", "return", "x", "delta", "const", "let", "if", "else", "for", "while"];
  const needles = ["needle", "Needle", "NEEDLE"];
  for (let d = 0; d < 12; d++) {
    for (let f = 0; f < 25; f++) {
      const lines: string[] = [];
      const count = Math.floor(next() * 40);
      for (let l = 0; l < count; l++) {
        const width = 1 + Math.floor(next() * 8);
        const line = Array.from({ length: width }, () => words[Math.floor(next() * words.length)]);
        if (next() < 0.1) line.splice(Math.floor(next() * line.length), 0, needles[Math.floor(next() * needles.length)]!);
        lines.push(line.join(" "));
      }
      spec[`gen/d${d}/VIS-f${f}.txt`] = lines.join(next() < 0.2 ? "\r\n" : "\n") + (next() < 0.8 ? "\n" : "");
    }
  }
  return spec;
}

async function searchAll(s: TestServer, body: Record<string, unknown>): Promise<{ matches: Match[]; engine: string; pages: number }> {
  const matches: Match[] = [];
  let cursor: string | undefined;
  let engine = "";
  for (let page = 1; page <= 2000; page++) {
    const reply = await s.post("search_text", { ...body, ...(cursor ? { cursor } : {}) });
    assert.equal(reply.status, 200, `${JSON.stringify(body)}: ${reply.text.slice(0, 300)}`);
    assert.ok(reply.text.length < 100_000);
    engine = reply.json.engine;
    matches.push(...reply.json.matches);
    if (!reply.json.truncated) return { matches, engine, pages: page };
    cursor = reply.json.next_cursor;
    assert.equal(typeof cursor, "string", "a truncated page must say how to continue");
  }
  assert.fail("too many pages");
}

const QUERIES: Record<string, unknown>[] = [
  { query: "needle" },
  { query: "needle", limit: 7 },
  { query: "needle", limit: 1, path: "names" },
  { query: "Needle", case_sensitive: true },
  { query: "needle", context_lines: 2 },
  { query: "needle", context_lines: 1, limit: 3 },
  { query: "ne+dle\\d+", regex: true },
  { query: "^import", regex: true },
  { query: "\\bneedle$", regex: true },
  { query: "needle$" },
  { query: "(alpha|beta) gamma", regex: true, case_sensitive: true },
  { query: "needle", glob: "*.txt" },
  { query: "needle", glob: "!*.txt" },
  { query: "needle", glob: "pkg/**" },
  { query: "needle", glob: "*.log" },
  { query: "needle", glob: "*.tmp" },
  { query: "needle", glob: "names/*" },
  { query: "needle", path: "pkg" },
  { query: "needle", path: "pkg/sub" },
  { query: "needle", path: "dist" },
  { query: "needle", path: "VIS-bom.txt" },
  { query: "needle", path: "IGN-x.log" },
  { query: "ünïcödé" },
  { query: "σίσυφος" },
  { query: "🙂" },
  { query: "x" },
  { query: "import", regex: false, path: "names" },
  { query: "nothing-matches-this" },
  { query: "haystack", limit: 1000 },
  { query: "haystack \\d+ HayStack", regex: true, case_sensitive: true, context_lines: 1, limit: 700 },
];

describe("search_text: ripgrep and the built-in engine agree", () => {
  let s: TestServer;
  const spec = buildSpec();
  before(async () => {
    s = await startServer();
    makeTree(s.workspace, spec);
  });
  after(() => s.close());

  it("the built-in engine finds every VIS file and no IGN file (the oracle in the names)", async () => {
    useEngine("builtin");
    const { matches, engine } = await searchAll(s, { query: "needle", limit: 1000 });
    assert.equal(engine, "builtin");
    const found = new Set(matches.map((m) => m.path));
    for (const path of found) assert.ok(!path.includes("IGN"), `found an invisible file: ${path}`);
    for (const [path, node] of Object.entries(spec)) {
      if (!path.includes("VIS") || typeof node === "object" && !Buffer.isBuffer(node)) continue;
      const text = Buffer.isBuffer(node) ? node.toString("utf8") : node;
      if (/needle/i.test(text)) assert.ok(found.has(path), `missed ${path}`);
    }
  });

  for (const body of QUERIES) {
    it(`same results and order for ${JSON.stringify(body)}`, async (t) => {
      if (!requireRipgrep(t)) return;
      useEngine("ripgrep");
      const rg = await searchAll(s, body);
      useEngine("builtin");
      const builtin = await searchAll(s, body);
      assert.equal(rg.engine, "ripgrep");
      assert.equal(builtin.engine, "builtin");
      assert.deepEqual(builtin.matches, rg.matches);
      assert.equal(builtin.pages, rg.pages);
    });
  }

  it("reports lines, 1-based columns in characters, and context as the file has it", async () => {
    useEngine("builtin");
    const { matches } = await searchAll(s, { query: "needle", context_lines: 2, path: "VIS-adjacent.txt" });
    assert.deepEqual(matches, [
      { path: "VIS-adjacent.txt", line: 1, column: 1, text: "needle 1", before: [], after: ["needle 2", "plain 3"] },
      { path: "VIS-adjacent.txt", line: 2, column: 1, text: "needle 2", before: ["needle 1"], after: ["plain 3", "plain 4"] },
      { path: "VIS-adjacent.txt", line: 6, column: 1, text: "needle 6", before: ["plain 4", "plain 5"], after: ["plain 7"] },
    ]);
    const bom = await searchAll(s, { query: "needle", path: "VIS-bom.txt" });
    assert.deepEqual(bom.matches, [
      { path: "VIS-bom.txt", line: 1, column: 2, text: "\ufeffneedle bom" },
      { path: "VIS-bom.txt", line: 2, column: 8, text: "second needle" },
    ]);
    const emoji = await searchAll(s, { query: "needle", case_sensitive: true, path: "VIS-unicode.txt" });
    assert.equal(emoji.matches[0]!.column, 18, "columns count code points (the emoji is one)");
    const long = await searchAll(s, { query: "needle", path: "VIS-long.txt" });
    assert.equal(long.matches[0]!.column, 3001);
    assert.ok(long.matches[0]!.text.length <= 402 && long.matches[0]!.text.includes("needle"), "a long line is cut around the match");
  });

  it("continues a page of one engine with the other (the cursor is engine-neutral)", async (t) => {
    if (!requireRipgrep(t)) return;
    useEngine("ripgrep");
    const full = await searchAll(s, { query: "needle" });
    const first = await s.post("search_text", { query: "needle", limit: 150 });
    useEngine("builtin");
    const rest = await searchAll(s, { query: "needle", limit: 150, cursor: first.json.next_cursor });
    assert.deepEqual([...first.json.matches, ...rest.matches], full.matches);
  });

  it("answers an invalid regex with 400 and the reason, in both engines", async (t) => {
    for (const engine of ["builtin", "ripgrep"] as const) {
      if (engine === "ripgrep" && !requireRipgrep(t)) return;
      useEngine(engine);
      const reply = await s.post("search_text", { query: "(unclosed", regex: true });
      assert.equal(reply.status, 400, reply.text);
      assert.equal(reply.json.error.code, "BAD_REQUEST");
      assert.match(reply.json.error.message, /invalid regex: .*(unclosed|Unterminated)/is);
    }
  });

  it("refuses a multi-line query, a bad cursor, and clamps limit and context_lines", async () => {
    useEngine("builtin");
    assert.equal((await s.post("search_text", { query: "a\nb" })).status, 400);
    assert.equal((await s.post("search_text", { query: "needle", cursor: "garbage" })).status, 400);
    assert.equal((await s.post("search_text", { query: "" })).status, 400);
    const clamped = await s.post("search_text", { query: "needle", limit: 1e9, context_lines: 1e6 });
    assert.equal(clamped.status, 200);
    for (const m of clamped.json.matches) assert.ok(m.before.length <= 10 && m.after.length <= 10);
  });
});
