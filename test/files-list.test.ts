import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startServer, type TestServer } from "./helpers.js";
import { makeTree } from "./files-helpers.js";

interface Entry {
  path: string;
  type: string;
  size: number | null;
}

async function listAll(s: TestServer, body: Record<string, unknown>, maxPages = 500): Promise<Entry[]> {
  const out: Entry[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const reply = await s.post("list_files", { ...body, ...(cursor ? { cursor } : {}) });
    assert.equal(reply.status, 200, reply.text);
    assert.ok(reply.text.length < 100_000);
    out.push(...reply.json.entries);
    if (!reply.json.truncated) return out;
    assert.equal(typeof reply.json.next_cursor, "string");
    cursor = reply.json.next_cursor;
  }
  assert.fail("too many pages");
}

const paths = (entries: Entry[]) => entries.map((e) => e.path);

describe("list_files", () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
    makeTree(s.workspace, {
      ".gitignore": "*.log\n/build/\n!keep.log\ntmp/\n",
      "README.md": "# hi\n",
      "a.txt": "a",
      "a/b.txt": "bb",
      "a-b.txt": "x",
      "app.log": "ignored",
      "keep.log": "re-included",
      "build/out.js": "ignored folder",
      "src/build/kept.js": "anchored rule does not reach here",
      "src/index.ts": "export {}\n",
      "src/.gitignore": "generated/\n*.gen.ts\n",
      "src/generated/x.ts": "ignored by nested rule",
      "src/y.gen.ts": "ignored by nested rule",
      "src/tmp/z.ts": "ignored folder at any depth",
      "node_modules/pkg/index.js": "skipped",
      "lib/node_modules/pkg/index.js": "skipped at any depth",
      ".git/HEAD": "not a repo, but skipped",
      ".github/workflows/ci.yml": "hidden",
      ".env": "hidden",
      "__pycache__/m.pyc": "skipped",
      "empty": { dir: true },
      "link-to-src": { link: "src" },
      "link-to-file": { link: "README.md" },
      "dangling": { link: "nowhere" },
      "ünïcode/ñ.txt": "unicode",
      "Z.txt": "capital sorts first",
    });
  });
  after(() => s.close());

  it("lists recursively in tree order, honouring .gitignore (nested, negation, anchored) and skipping VCS/dependency folders", async () => {
    const reply = await s.post("list_files", {});
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.path, ".");
    assert.equal(reply.json.truncated, false);
    assert.deepEqual(paths(reply.json.entries), [
      "README.md",
      "Z.txt",
      "a",
      "a/b.txt",
      "a-b.txt",
      "a.txt",
      "dangling",
      "empty",
      "keep.log",
      "lib",
      "link-to-file",
      "link-to-src",
      "src",
      "src/build",
      "src/build/kept.js",
      "src/index.ts",
      "ünïcode",
      "ünïcode/ñ.txt",
    ]);
    const byPath = new Map<string, Entry>(reply.json.entries.map((e: Entry) => [e.path, e]));
    assert.deepEqual(byPath.get("a/b.txt"), { path: "a/b.txt", type: "file", size: 2 });
    assert.deepEqual(byPath.get("a"), { path: "a", type: "dir", size: null });
    assert.equal(byPath.get("link-to-src")!.type, "symlink", "symlinks are listed as symlinks");
    assert.equal(byPath.get("dangling")!.type, "symlink");
  });

  it("does not follow symlinked folders", async () => {
    const all = paths((await s.post("list_files", { include_hidden: true })).json.entries);
    assert.ok(!all.some((p) => p.startsWith("link-to-src/")));
  });

  it("shows dotfiles with include_hidden but still skips .git and the like", async () => {
    const all = paths((await s.post("list_files", { include_hidden: true })).json.entries);
    for (const p of [".gitignore", ".env", ".github", ".github/workflows/ci.yml", "src/.gitignore"]) assert.ok(all.includes(p), p);
    for (const p of [".git", ".git/HEAD", "node_modules", "__pycache__", "lib/node_modules"]) assert.ok(!all.includes(p), p);
  });

  it("lists one level with recursive:false, and a sub-folder by path", async () => {
    const top = paths((await s.post("list_files", { recursive: false })).json.entries);
    assert.ok(top.includes("src") && !top.includes("src/index.ts"));
    const sub = await s.post("list_files", { path: "src/", recursive: true });
    assert.equal(sub.json.path, "src");
    assert.deepEqual(paths(sub.json.entries), ["src/build", "src/build/kept.js", "src/index.ts"]);
  });

  it("lists a folder named explicitly even when .gitignore or the skip list hides it", async () => {
    const build = await s.post("list_files", { path: "build" });
    assert.deepEqual(paths(build.json.entries), ["build/out.js"]);
    const modules = await s.post("list_files", { path: "node_modules" });
    assert.deepEqual(paths(modules.json.entries), ["node_modules/pkg", "node_modules/pkg/index.js"]);
  });

  it("filters with a glob (basename at any depth, anchored, negated)", async () => {
    assert.deepEqual(paths((await s.post("list_files", { glob: "*.ts" })).json.entries), ["src/index.ts"]);
    assert.deepEqual(paths((await s.post("list_files", { glob: "src/**/*.js" })).json.entries), ["src/build/kept.js"]);
    const negated = paths((await s.post("list_files", { glob: "!*.txt" })).json.entries);
    assert.ok(!negated.some((p) => p.endsWith(".txt")) && negated.includes("README.md"));
  });

  it("answers a file path with that one entry, and 404 for a missing path", async () => {
    const file = await s.post("list_files", { path: "a/b.txt" });
    assert.deepEqual(file.json.entries, [{ path: "a/b.txt", type: "file", size: 2 }]);
    const missing = await s.post("list_files", { path: "nope" });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, "NOT_FOUND");
  });

  it("pages with a cursor that continues exactly where the last page stopped", async () => {
    const full = paths((await s.post("list_files", { include_hidden: true })).json.entries);
    for (const limit of [1, 2, 3, 7]) {
      const paged = paths(await listAll(s, { include_hidden: true, limit }));
      assert.deepEqual(paged, full, `limit ${limit}`);
    }
    const first = await s.post("list_files", { limit: 2 });
    assert.equal(first.json.truncated, true);
    const again = await s.post("list_files", { limit: 2, cursor: first.json.next_cursor });
    assert.deepEqual(paths(again.json.entries), ["a", "a/b.txt"]);
  });

  it("clamps a large limit and refuses a bad or foreign cursor with 400", async () => {
    const big = await s.post("list_files", { limit: 10_000_000 });
    assert.equal(big.status, 200);
    // Below the minimum is refused (contract §6), above the maximum is clamped.
    const zero = await s.post("list_files", { limit: 0 });
    assert.equal(zero.status, 400);
    assert.match(zero.json.error.message, /limit/);
    const bad = await s.post("list_files", { cursor: "not-a-cursor" });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, "BAD_REQUEST");
    const first = await s.post("list_files", { limit: 1 });
    const foreign = await s.post("list_files", { limit: 1, glob: "*.md", cursor: first.json.next_cursor });
    assert.equal(foreign.status, 400);
    assert.match(foreign.json.error.message, /different query/);
  });

  it("rejects wrong types with 400", async () => {
    const reply = await s.post("list_files", { recursive: "yes" });
    assert.equal(reply.status, 400);
  });
});
