/**
 * Issue 21, parts 3 and 4, on both faces: a request with a field the action
 * does not have is a 400 that names it and the nearest known field; a string
 * over its maxLength is a 400 that names the field and the limit, and nothing
 * is done.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { editDistance, nearestField } from "../src/ground/nearestField.js";
import { startServer, type TestServer } from "./helpers.js";
import { assertRefused, call, connect, type Json } from "./mcp-helpers.js";

describe("nearestField", () => {
  it("suggests a synonym, a casing variant, a slip or a widened name; nothing when nothing is near", () => {
    const readFile = ["path", "start_line", "end_line", "start_char", "max_chars"];
    assert.equal(nearestField("file", readFile), "path");
    assert.equal(nearestField("filePath", readFile), "path");
    assert.equal(nearestField("startLine", readFile), "start_line");
    assert.equal(nearestField("start", readFile), "start_line");
    assert.equal(nearestField("pth", readFile), "path");
    assert.equal(nearestField("maxChars", readFile), "max_chars");
    assert.equal(nearestField("contnet", ["path", "content", "mode"]), "content");
    assert.equal(nearestField("wait", ["job_id", "wait_seconds"]), "wait_seconds");
    assert.equal(nearestField("colour", readFile), null);
    assert.equal(nearestField("zzz", readFile), null);
    // A field the request already has is not offered again.
    assert.equal(nearestField("file", readFile, new Set(["path"])), null);
    assert.equal(editDistance("contnet", "content"), 1);
  });
});

describe("requests: unknown fields and overlong strings (HTTP and MCP)", () => {
  let s: TestServer;
  let client: Client;
  before(async () => {
    s = await startServer();
    writeFileSync(join(s.workspace, "x.txt"), "x\n");
    client = await connect(s);
  });
  after(async () => {
    await client.close();
    await s.close();
  });

  it("HTTP: an unknown field is named with the nearest known one", async () => {
    const reply = await s.post("read_file", { file: "x.txt" });
    assert.equal(reply.status, 400);
    assert.equal(reply.json.error.code, "BAD_REQUEST");
    assert.match(reply.json.error.message, /unknown field `file` — did you mean `path`\?/);
    assert.deepEqual(reply.json.error.details, { unknown: ["file"], suggestion: "path" });
    assert.match(reply.json.error.hint, /read_file takes only: path, start_line, end_line, start_char, max_chars/);
  });

  it("HTTP: no suggestion when nothing is near; several unknown fields are all named", async () => {
    const far = await s.post("read_file", { path: "x.txt", colour: "red" });
    assert.equal(far.status, 400);
    assert.match(far.json.error.message, /unknown field `colour`$/);
    assert.deepEqual(far.json.error.details, { unknown: ["colour"] });
    const two = await s.post("write_file", { file: "y.txt", contnet: "y\n" });
    assert.equal(two.status, 400);
    assert.match(two.json.error.message, /unknown fields `file` \(did you mean `path`\?\), `contnet` \(did you mean `content`\?\)/);
    assert.deepEqual(two.json.error.details, { unknown: ["file", "contnet"], suggestion: "path", suggestions: { file: "path", contnet: "content" } });
    assert.ok(!existsSync(join(s.workspace, "y.txt")), "nothing was written");
  });

  it("MCP: the same message as an error result, with the same details", async () => {
    const result = await call(client, "read_file", { startLine: 1, path: "x.txt" });
    const message = assertRefused(result, "BAD_REQUEST");
    assert.match(message, /unknown field `startLine` — did you mean `start_line`\?/);
    assert.deepEqual((result.structuredContent as Json).error.details, { unknown: ["startLine"], suggestion: "start_line" });
  });

  it("HTTP: content over 100,000 characters is refused naming the field and the limit, and nothing is written", async () => {
    const reply = await s.post("write_file", { path: "long.txt", content: "a".repeat(100_001) });
    assert.equal(reply.status, 400);
    assert.match(reply.json.error.message, /`content` is 100,001 characters long; the limit is 100,000/);
    assert.deepEqual(reply.json.error.details, { field: "content", length: 100_001, max_length: 100_000 });
    assert.match(reply.json.error.hint, /mode "append"/);
    assert.ok(!existsSync(join(s.workspace, "long.txt")));
    const exact = await s.post("write_file", { path: "long.txt", content: "a".repeat(100_000) });
    assert.equal(exact.status, 200, exact.text.slice(0, 300));
  });

  it("HTTP: an overlong patch, query or path is refused too (its own limit, or the one every string has)", async () => {
    const patch = `*** Begin Patch\n*** Update File: x.txt\n@@\n-x\n+${"y".repeat(100_000)}\n*** End Patch\n`;
    const patched = await s.post("apply_patch", { patch });
    assert.equal(patched.status, 400);
    assert.equal(patched.json.error.details.field, "patch");
    assert.match(patched.json.error.hint, /several apply_patch calls/);
    assert.equal(readFileSync(join(s.workspace, "x.txt"), "utf8"), "x\n");
    const query = await s.post("search_text", { query: "q".repeat(10_001) });
    assert.equal(query.status, 400);
    assert.deepEqual(query.json.error.details, { field: "query", length: 10_001, max_length: 10_000 });
    // exec_command's cwd declares no limit of its own: the one every input string has applies, before anything runs.
    const cwd = await s.post("exec_command", { command: "touch ran.txt", cwd: "d".repeat(100_001) });
    assert.equal(cwd.status, 400);
    assert.equal(cwd.json.error.details.field, "cwd");
    assert.ok(!existsSync(join(s.workspace, "ran.txt")));
    const nested = await s.post("restore_checkpoint", { id: "x", paths: ["ok", "p".repeat(100_001)] });
    assert.equal(nested.status, 400);
    assert.equal(nested.json.error.details.field, "paths[1]");
  });

  it("MCP: an overlong content is an error result naming the field, and nothing is written", async () => {
    const message = assertRefused(await call(client, "write_file", { path: "mcp-long.txt", content: "b".repeat(150_000) }), "BAD_REQUEST");
    assert.match(message, /`content` is 150,000 characters long; the limit is 100,000/);
    assert.ok(!existsSync(join(s.workspace, "mcp-long.txt")));
  });
});
