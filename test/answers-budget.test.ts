/**
 * Issue 21, part 1, on both faces: read_file, search_text, list_files,
 * git_diff and checkpoint_diff spend about 24,000 characters of content by
 * default (max_chars 2,000–80,000 asks otherwise), and every cut names the
 * exact call that continues it (next_call). Following next_call from the
 * first answer to the last gives back everything, exactly once.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { startServer, type Reply, type TestServer } from "./helpers.js";
import { git, gitInit } from "./files-helpers.js";
import { call, connect, okBody, type Json } from "./mcp-helpers.js";

/** What a default answer may come to: 24,000 characters of content plus its JSON envelope. */
const DEFAULT_ANSWER = 26_000;

/** `read_file {"path": "a", "start_line": 3}` → its action and arguments. */
function parseCall(text: string): { action: string; args: Json } {
  const space = text.indexOf(" ");
  return { action: text.slice(0, space), args: JSON.parse(text.slice(space + 1)) as Json };
}

/** Follow next_call from `first` until an answer has none; every answer is checked by `each`. */
async function follow(s: TestServer, action: string, first: Json, each: (reply: Reply) => void): Promise<Json[]> {
  const bodies: Json[] = [];
  let request = { action, args: first };
  for (let page = 0; page < 200; page++) {
    const reply = await s.post(request.action, request.args);
    assert.equal(reply.status, 200, reply.text.slice(0, 300));
    each(reply);
    bodies.push(reply.json);
    if (reply.json.next_call === undefined) return bodies;
    assert.equal(reply.json.truncated, true, "a next_call comes with truncated");
    request = parseCall(reply.json.next_call);
  }
  assert.fail("next_call never ended");
}

const underDefault = (reply: Reply) => assert.ok(reply.text.length < DEFAULT_ANSWER, `${reply.text.length} characters`);

/** An 87 KB source-like file (quotes and backslashes cost extra in JSON). */
function sourceText(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 1; size < bytes; i++) {
    const line = `export const value${i} = "line ${i}: \\"quoted\\" text";\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join("");
}

describe("answer budget: read_file, search_text, list_files (HTTP and MCP)", () => {
  let s: TestServer;
  let client: Client;
  const big = sourceText(87_000);
  before(async () => {
    s = await startServer();
    writeFileSync(join(s.workspace, "big.ts"), big);
    writeFileSync(join(s.workspace, "hits.txt"), Array.from({ length: 3000 }, (_, i) => `needle number ${i + 1}\n`).join(""));
    mkdirSync(join(s.workspace, "many"));
    for (let i = 0; i < 1500; i++) writeFileSync(join(s.workspace, "many", `file-with-a-longish-name-${String(i).padStart(4, "0")}.txt`), "");
    client = await connect(s);
  });
  after(async () => {
    await client.close();
    await s.close();
  });

  it("read_file of an 87 KB file answers about 24,000 characters, and next_call pages through all of it", async () => {
    const pages = await follow(s, "read_file", { path: "big.ts" }, underDefault);
    assert.ok(pages.length >= 4, `${pages.length} pages`);
    assert.match(pages[0]!.next_call, /^read_file \{"path": "big\.ts", "start_line": \d+\}$/);
    assert.equal(pages.map((p) => p.content).join(""), big);
  });

  it("read_file: max_chars asks for more (clamped at 80,000), a value below 2,000 is refused", async () => {
    const more = await s.post("read_file", { path: "big.ts", max_chars: 50_000 });
    assert.ok(more.text.length > 45_000 && more.text.length < 52_000, `${more.text.length}`);
    assert.match(more.json.next_call, /"max_chars": 50000/, "the next call keeps the size the model chose");
    const clamped = await s.post("read_file", { path: "big.ts", max_chars: 10_000_000 });
    assert.equal(clamped.status, 200);
    assert.ok(clamped.text.length < 82_000 && clamped.text.length > 70_000, `${clamped.text.length}`);
    const tiny = await s.post("read_file", { path: "big.ts", max_chars: 100 });
    assert.equal(tiny.status, 400);
    assert.match(tiny.json.error.message, /max_chars/);
  });

  it("search_text with limit 1000 answers about 24,000 characters; next_call (with its cursor) finds every match once", async () => {
    const seen = new Set<number>();
    const pages = await follow(s, "search_text", { query: "needle", path: "hits.txt", limit: 1000 }, underDefault);
    for (const page of pages) for (const match of page.matches) seen.add(match.line);
    assert.equal(seen.size, 3000);
    assert.ok(pages.length > 3, `${pages.length} pages: the budget, not the limit, cut them`);
    const first = parseCall(pages[0]!.next_call);
    assert.deepEqual(Object.keys(first.args), ["query", "path", "limit", "cursor"]);
    assert.equal(first.args.cursor, pages[0]!.next_cursor);
  });

  it("list_files answers about 24,000 characters; next_call lists every entry once", async () => {
    const paths: string[] = [];
    const pages = await follow(s, "list_files", { path: "many", limit: 2000 }, underDefault);
    for (const page of pages) for (const entry of page.entries) paths.push(entry.path);
    assert.equal(paths.length, 1500);
    assert.equal(new Set(paths).size, 1500);
    assert.ok(pages.length > 1);
  });

  it("MCP: the same budget and next_call", async () => {
    const read = await call(client, "read_file", { path: "big.ts" });
    const body = okBody(read);
    assert.ok(JSON.stringify(body.content).length <= 24_000, `${JSON.stringify(body.content).length}`);
    assert.match(body.next_call, /^read_file \{"path": "big\.ts", "start_line": \d+\}$/);
    const next = okBody(await call(client, "read_file", parseCall(body.next_call).args));
    assert.equal(next.start_line, body.end_line + 1);
    const search = okBody(await call(client, "search_text", { query: "needle", limit: 1000 }));
    assert.ok(JSON.stringify(search.matches).length <= 24_000);
    assert.equal(search.truncated, true);
    assert.equal(parseCall(search.next_call).args.cursor, search.next_cursor);
  });
});

describe("answer budget: git_diff and checkpoint_diff (HTTP and MCP)", () => {
  let s: TestServer;
  let client: Client;
  before(async () => {
    s = await startServer();
    gitInit(s.workspace);
    const lines = (tag: string) => Array.from({ length: 700 }, (_, i) => `${tag} line ${i + 1} of a file that changes everywhere\n`).join("");
    writeFileSync(join(s.workspace, "one.txt"), lines("old"));
    writeFileSync(join(s.workspace, "two.txt"), lines("old"));
    writeFileSync(join(s.workspace, "wide.txt"), "a\nb\n");
    git(s.workspace, "add", ".");
    git(s.workspace, "commit", "-q", "-m", "init");
    writeFileSync(join(s.workspace, "one.txt"), lines("new"));
    writeFileSync(join(s.workspace, "two.txt"), lines("new"));
    writeFileSync(join(s.workspace, "fresh.txt"), lines("fresh"));
    writeFileSync(join(s.workspace, "wide.txt"), `a\n${"y".repeat(30_000)}\nb\n`);
    client = await connect(s);
  });
  after(async () => {
    await client.close();
    await s.close();
  });

  /** A page's diff without the lines that say where it was cut or continued. */
  const bare = (diff: string) =>
    diff
      .split("\n")
      .filter((line) => !line.startsWith("[… "))
      .join("\n");

  it("several files share about 24,000 characters; each cut file's marker names its own call", async () => {
    const reply = await s.post("git_diff", {});
    underDefault(reply);
    assert.equal(reply.json.truncated, true);
    assert.match(reply.json.diff, /\[… diff of one\.txt cut here \(700 added, 700 removed lines in all\); the rest: git_diff \{"path": "one\.txt"\} …\]/);
    assert.match(reply.json.diff, /its lines not shown here: read_file \{"path": "fresh\.txt", "start_line": \d+\} …\]/);
    assert.equal(reply.json.next_call, 'git_diff {"path": "one.txt"}');
  });

  it("one file's diff pages with next_call (a cursor) to exactly the diff one big answer shows", async () => {
    const whole = await s.post("git_diff", { path: "one.txt", max_chars: 80_000 });
    assert.equal(whole.json.truncated, false, "the whole diff fits in 80,000");
    const pages = await follow(s, "git_diff", { path: "one.txt" }, underDefault);
    assert.ok(pages.length >= 3, `${pages.length} pages`);
    assert.match(pages[0]!.next_call, /^git_diff \{"path": "one\.txt", "cursor": "[^"]+"\}$/);
    assert.equal(pages.map((p) => bare(p.diff)).join(""), whole.json.diff);
  });

  it("a diff line longer than the answer is stepped over with a marker saying so, and paging ends", async () => {
    const pages = await follow(s, "git_diff", { path: "wide.txt" }, underDefault);
    assert.equal(pages.length, 3);
    assert.match(pages[0]!.diff, /^ a$/m);
    assert.match(pages[1]!.diff, /\[… line \d+ of the diff of wide\.txt is too long for this answer and is left out \(read_file shows the file\); the rest: git_diff/);
    assert.match(pages[2]!.diff, /^ b$/m);
  });

  it("an untracked file's rest is read with read_file from the first line not shown", async () => {
    const reply = await s.post("git_diff", { path: "fresh.txt" });
    const next = parseCall(reply.json.next_call);
    assert.equal(next.action, "read_file");
    const shown = reply.json.diff.split("\n").filter((l: string) => l.startsWith("+fresh")).length;
    assert.equal(next.args.start_line, shown + 1);
    const rest = await s.post("read_file", next.args);
    assert.ok(rest.json.content.startsWith(`fresh line ${shown + 1} `));
  });

  it("checkpoint_diff pages with next_call to exactly the diff one big answer shows", async () => {
    const content = (tag: string) => Array.from({ length: 700 }, (_, i) => `${tag} checkpointed line ${i + 1}\n`).join("");
    assert.equal((await s.post("write_file", { path: "cp.txt", content: content("first") })).status, 200);
    const second = await s.post("write_file", { path: "cp.txt", content: content("second") });
    const id = second.json.checkpoint as string;
    assert.ok(id, second.text);
    const whole = await s.post("checkpoint_diff", { id, path: "cp.txt", max_chars: 80_000 });
    assert.equal(whole.json.truncated, false);
    const pages = await follow(s, "checkpoint_diff", { id, path: "cp.txt" }, underDefault);
    assert.ok(pages.length >= 2, `${pages.length} pages`);
    assert.equal(pages.map((p) => p.diff).join(""), whole.json.diff);
    assert.equal(readFileSync(join(s.workspace, "cp.txt"), "utf8"), content("second"));
  });

  it("MCP: git_diff and checkpoint_diff answer within the budget and name the next call", async () => {
    const diff = okBody(await call(client, "git_diff", { path: "two.txt" }));
    assert.ok(JSON.stringify(diff).length < DEFAULT_ANSWER);
    const next = parseCall(diff.next_call);
    assert.equal(next.args.cursor, diff.next_cursor);
    const more = okBody(await call(client, "git_diff", next.args));
    assert.match(more.diff, /^\[… diff of two\.txt continued from its line \d+ …\]\n/);
    const list = okBody(await call(client, "list_checkpoints", {}));
    const cp = okBody(await call(client, "checkpoint_diff", { id: list.checkpoints[0].id }));
    assert.ok(JSON.stringify(cp).length < DEFAULT_ANSWER);
  });
});
