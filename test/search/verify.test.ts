/**
 * verifyPage, the last step of every search: each answered line must be found,
 * at its line number, in the file opened again through confined folder
 * handles. These tests hand it pages directly, as an engine that read through
 * a swapped folder would produce them, and check what it keeps.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { contextText, displayLine } from "../../src/search/lineText.js";
import type { SearchMatch, SearchPage, SearchRequest } from "../../src/search/types.js";
import { verifyPage } from "../../src/search/verify.js";
import { makeTree } from "../files-helpers.js";
import { tempDir } from "../helpers.js";

function request(root: string, extra: Partial<SearchRequest> = {}): SearchRequest {
  return {
    root,
    start: ".",
    startParts: [],
    startIsFile: false,
    pattern: "x",
    regex: false,
    caseSensitive: false,
    glob: null,
    contextLines: 0,
    limit: 1000,
    after: null,
    forbidden: [],
    softDeadline: Date.now() + 60_000,
    ...extra,
  };
}

function page(matches: SearchMatch[]): SearchPage {
  return { matches, truncated: false, next: null, stoppedForTime: false };
}

/** The lines of `text` as the engines split them (on \n; a final newline ends the last line). */
function linesOf(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** A match for line `line` (1-based) of the file at `abs`, with `context` lines around it, as the file holds them. */
function matchOf(abs: string, path: string, line: number, context = 0): SearchMatch {
  const lines = linesOf(readFileSync(abs, "utf8"));
  const before = lines.slice(Math.max(0, line - 1 - context), line - 1).map(contextText);
  const after = lines.slice(line, line + context).map(contextText);
  return {
    path,
    line,
    column: 1,
    text: displayLine(lines[line - 1]!),
    ...(context > 0 ? { before, after } : {}),
  };
}

function openFds(): number | null {
  return existsSync("/proc/self/fd") ? readdirSync("/proc/self/fd").length : null;
}

describe("verifyPage", () => {
  it("keeps every line the files hold, whatever the order of their folders, and leaves no handle open", () => {
    const ws = tempDir();
    const files: Record<string, string> = {
      "top.txt": "one\ntwo\nthree\n",
      "a/one.txt": "alpha\nbeta\n",
      "a/b/two.txt": "x\ny\nz\nw\n",
      "a/b/c/three.txt": "deep\nest\n",
      "a/four.txt": "back up\n",
      "a/b/c/d/e/five.txt": "very deep\n",
      "d/six.txt": "other\ntree\n",
      "a/b/seven.txt": "revisited\n",
      "zz.txt": "last",
    };
    makeTree(ws, files);
    const matches: SearchMatch[] = [];
    for (const [path, text] of Object.entries(files)) {
      const count = linesOf(text).length;
      for (let line = 1; line <= count; line++) matches.push(matchOf(join(ws, path), path, line, line % 2));
    }
    const fdsBefore = openFds();
    const { page: kept, dropped } = verifyPage(page(matches), request(ws), join(ws, "no-home"));
    assert.equal(dropped, 0);
    assert.deepEqual(kept.matches, matches);
    assert.equal(openFds(), fdsBefore, "a folder handle was left open");
  });

  it("drops a line that is not the file's line at that number (text, number or context), and keeps the rest", () => {
    const ws = tempDir();
    makeTree(ws, { "a/f.txt": "one\ntwo\nthree\nfour\n" });
    const good = matchOf(join(ws, "a/f.txt"), "a/f.txt", 2, 1);
    const wrongText = { ...matchOf(join(ws, "a/f.txt"), "a/f.txt", 3), text: "THREE" };
    const wrongLine = { ...matchOf(join(ws, "a/f.txt"), "a/f.txt", 1), line: 4 };
    const wrongContext = { ...matchOf(join(ws, "a/f.txt"), "a/f.txt", 3, 1), after: ["outside"] };
    const pastEnd = { ...matchOf(join(ws, "a/f.txt"), "a/f.txt", 4), line: 5 };
    const { page: kept, dropped } = verifyPage(page([good, wrongText, wrongLine, wrongContext, pastEnd]), request(ws), join(ws, "no-home"));
    assert.deepEqual(kept.matches, [good]);
    assert.equal(dropped, 4);
  });

  it("finds lines across read chunks: a line longer than the read buffer, a line on a chunk boundary, CRLF, no final newline", () => {
    const ws = tempDir();
    const chunk = 256 * 1024;
    const lines = [
      "first",
      `long ${"a".repeat(chunk + 1000)} end`,
      "after the long one\r",
      "b".repeat(chunk - 40), // ends close to the second chunk boundary
      "straddles the boundary",
      `${"c".repeat(3 * chunk)}needle${"d".repeat(100)}`,
      "last without newline",
    ];
    makeTree(ws, { "big/file.txt": lines.join("\n") });
    const matches = lines.map((_, i) => matchOf(join(ws, "big/file.txt"), "big/file.txt", i + 1, 1));
    const { page: kept, dropped } = verifyPage(page(matches), request(ws), join(ws, "no-home"));
    assert.equal(dropped, 0);
    assert.deepEqual(kept.matches, matches);
    // A cut window of a long line is kept only when it is a part of the real line.
    const window = { ...matches[5]!, text: `…${"c".repeat(20)}needle${"d".repeat(20)}…` };
    const forged = { ...matches[5]!, text: `…${"c".repeat(20)}NEEDLE${"d".repeat(20)}…` };
    assert.deepEqual(verifyPage(page([window, forged]), request(ws), join(ws, "no-home")).page.matches, [window]);
  });

  it("drops what lies behind a symlinked folder (even with the same text), keeps its neighbours before and after", () => {
    const root = tempDir();
    const ws = join(root, "ws");
    makeTree(root, {
      "outside/x.txt": "needle\n",
      "ws/a/x.txt": "needle\n",
      "ws/a/b/y.txt": "needle\n",
      "ws/a/b/z.txt": "needle\n",
      "ws/link": { link: "../outside" },
      "ws/a/inner-link": { link: "b" },
      "ws/c/x.txt": "needle\n",
    });
    const m = (path: string): SearchMatch => ({ path, line: 1, column: 1, text: "needle" });
    const all = [m("a/b/y.txt"), m("a/inner-link/y.txt"), m("a/b/z.txt"), m("a/x.txt"), m("link/x.txt"), m("c/x.txt"), m("missing/x.txt"), m("c/missing.txt")];
    const fdsBefore = openFds();
    const { page: kept, dropped } = verifyPage(page(all), request(ws), join(root, "no-home"));
    assert.deepEqual(
      kept.matches.map((match) => match.path),
      ["a/b/y.txt", "a/b/z.txt", "a/x.txt", "c/x.txt"],
    );
    assert.equal(dropped, 4);
    assert.equal(openFds(), fdsBefore, "a folder handle was left open");
  });

  it("drops a file below a forbidden folder, and maps paths of a search started in a folder", () => {
    const ws = tempDir();
    makeTree(ws, { "conf/secret.txt": "token\n", "src/lib/a.txt": "token\n" });
    const m = (path: string): SearchMatch => ({ path, line: 1, column: 1, text: "token" });
    assert.deepEqual(verifyPage(page([m("conf/secret.txt"), m("src/lib/a.txt")]), request(ws, { forbidden: ["conf"] }), join(ws, "no-home")).page.matches, [
      m("src/lib/a.txt"),
    ]);
    // The search was started at "lib-link", a symlink the action resolved to src/lib.
    const started = request(ws, { start: "lib-link", startParts: ["src", "lib"] });
    assert.deepEqual(verifyPage(page([m("lib-link/a.txt"), m("elsewhere/a.txt")]), started, join(ws, "no-home")).page.matches, [m("lib-link/a.txt")]);
  });
});
