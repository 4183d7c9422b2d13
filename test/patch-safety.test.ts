/**
 * apply_patch through the real server: all-or-nothing, dry run, line endings,
 * file modes, path confinement (hostile paths), error content, response
 * budget and the audit log.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { auditFile } from "../src/config/paths.js";
import { startServer, tempDir, waitFor, type TestServer } from "./helpers.js";
import { skipUnless } from "./preconditions.js";

/** Every file and folder under root, files as hex bytes plus mode, for "nothing changed" checks. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      const stat = lstatSync(full);
      if (stat.isSymbolicLink()) out[rel] = "link";
      else if (stat.isDirectory()) {
        out[rel] = "dir";
        walk(full, rel);
      } else out[rel] = `${(stat.mode & 0o777).toString(8)}:${readFileSync(full).toString("hex")}`;
    }
  };
  walk(root, "");
  return out;
}

/**
 * Make a folder refuse new entries: permissions for a normal user; as root
 * (which ignores them) the immutable attribute. Returns the undo, or null.
 */
function lockFolder(folder: string): (() => void) | null {
  if (process.getuid?.() !== 0) {
    chmodSync(folder, 0o555);
    return () => chmodSync(folder, 0o755);
  }
  const locked = spawnSync("chattr", ["+i", folder]).status === 0;
  return locked ? () => void spawnSync("chattr", ["-i", folder]) : null;
}

function put(root: string, path: string, content: string | Buffer): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

const sha = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

describe("apply_patch safety (real server)", () => {
  let server: TestServer;
  let outside: string;
  let outsideRoot: string;
  before(async () => {
    server = await startServer();
    outsideRoot = tempDir("cgc-outside-");
    outside = join(outsideRoot, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "canary.txt"), "canary\n");
  });
  after(() => server.close());

  /** A fresh sub-folder of the workspace for one test, so tests do not see each other's files. */
  function area(name: string): string {
    const dir = join(server.workspace, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  test("50 files, the last chunk fails: 409 naming file and chunk, no file changed", async () => {
    const dir = area("fifty");
    for (let i = 1; i <= 50; i++) put(dir, `f${i}.txt`, `header ${i}\nvalue = ${i}\nfooter ${i}\n`);
    const before = snapshot(server.workspace);
    const sections = [];
    for (let i = 1; i <= 50; i++) {
      const old = i === 50 ? "value = 5000" : `value = ${i}`;
      sections.push(`*** Update File: fifty/f${i}.txt\n@@\n header ${i}\n-${old}\n+value = ${i * 10}`);
    }
    const reply = await server.post("apply_patch", { patch: `*** Begin Patch\n${sections.join("\n")}\n*** End Patch\n` });
    assert.equal(reply.status, 409, reply.text);
    assert.equal(reply.json.error.code, "PATCH_FAILED");
    assert.match(reply.json.error.message, /fifty\/f50\.txt: chunk 1 of 1/);
    assert.match(reply.json.error.message, /Nothing was changed/);
    assert.deepEqual(snapshot(server.workspace), before);
  });

  test("a failure after adds, deletes and moves leaves the tree untouched (no new folders either)", async () => {
    const dir = area("mixed");
    put(dir, "del.txt", "delete me\n");
    put(dir, "mv.txt", "move me\n");
    put(dir, "upd.txt", "a\nb\n");
    const before = snapshot(server.workspace);
    const patch = [
      "*** Begin Patch",
      "*** Add File: mixed/new/deep/file.txt",
      "+new",
      "*** Delete File: mixed/del.txt",
      "*** Update File: mixed/mv.txt",
      "*** Move to: mixed/elsewhere/mv.txt",
      "@@",
      "-move me",
      "+moved",
      "*** Update File: mixed/upd.txt",
      "@@",
      "-not there",
      "+x",
      "*** End Patch",
    ].join("\n");
    const reply = await server.post("apply_patch", { patch });
    assert.equal(reply.status, 409, reply.text);
    assert.deepEqual(snapshot(server.workspace), before);
  });

  test("a file system error while writing rolls back what was already written", async (t) => {
    const dir = area("rollback");
    put(dir, "a.txt", "a\n");
    put(dir, "gone.txt", "gone\n");
    const locked = join(dir, "locked");
    mkdirSync(locked);
    // The last file goes into a folder nothing may be created in: the plan accepts it,
    // the write itself fails for real, after three changes were already made.
    const unlock = lockFolder(locked);
    if (!unlock) return void skipUnless(t, { ok: () => false, reason: "needs a folder that refuses new entries (as root: chattr +i support)" });
    try {
      const before = snapshot(server.workspace);
      const patch = [
        "*** Begin Patch",
        "*** Update File: rollback/a.txt",
        "@@",
        "-a",
        "+A",
        "*** Delete File: rollback/gone.txt",
        "*** Add File: rollback/newdir/b.txt",
        "+b",
        "*** Add File: rollback/locked/c.txt",
        "+cannot be written",
        "*** End Patch",
      ].join("\n");
      const reply = await server.post("apply_patch", { patch });
      assert.equal(reply.status, 409, reply.text);
      assert.match(reply.json.error.message, /writing .* failed .*undone/);
      assert.deepEqual(snapshot(server.workspace), before);
    } finally {
      unlock();
    }
  });

  test("dry_run returns the same summary and writes nothing", async () => {
    const dir = area("dry");
    put(dir, "f.txt", "one\ntwo\n");
    const before = snapshot(server.workspace);
    const patch = "*** Begin Patch\n*** Update File: dry/f.txt\n@@\n-two\n+2\n*** Add File: dry/n.txt\n+n\n*** Delete File: dry/f.txt\n*** End Patch";
    const dry = await server.post("apply_patch", { patch, dry_run: true });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.json.dry_run, true);
    assert.deepEqual(snapshot(server.workspace), before);
    const real = await server.post("apply_patch", { patch });
    assert.equal(real.status, 200, real.text);
    assert.equal(real.json.dry_run, false);
    assert.deepEqual(real.json.files, dry.json.files);
    assert.deepEqual(
      real.json.files.map((f: { op: string; path: string; added_lines: number; removed_lines: number }) => [f.op, f.path, f.added_lines, f.removed_lines]),
      [
        ["update", "dry/f.txt", 1, 1],
        ["add", "dry/n.txt", 1, 0],
        ["delete", "dry/f.txt", 0, 2],
      ],
    );
    assert.equal(real.json.files[1].sha256, sha("n\n"));
    assert.equal(real.json.files[2].sha256, undefined);
  });

  test("a dry run that would fail fails the same way", async () => {
    area("dryfail");
    const reply = await server.post("apply_patch", {
      patch: "*** Begin Patch\n*** Delete File: dryfail/missing.txt\n*** End Patch",
      dry_run: true,
    });
    assert.equal(reply.status, 409);
    assert.equal(reply.json.error.code, "PATCH_FAILED");
  });

  test("CRLF files stay CRLF; sha256 is of the bytes on disk", async () => {
    const dir = area("crlf");
    put(dir, "win.txt", "line1\r\nline2\r\nline3\r\n");
    const reply = await server.post("apply_patch", {
      patch: "*** Begin Patch\n*** Update File: crlf/win.txt\n@@\n line1\n-line2\n+second\n+inserted\n line3\n*** End Patch",
    });
    assert.equal(reply.status, 200, reply.text);
    const bytes = readFileSync(join(dir, "win.txt"));
    assert.equal(bytes.toString(), "line1\r\nsecond\r\ninserted\r\nline3\r\n");
    assert.equal(reply.json.files[0].sha256, sha(bytes));
  });

  test("file modes are kept: an executable stays executable, a private file stays private, a move keeps its mode", async () => {
    const dir = area("modes");
    put(dir, "run.sh", "#!/bin/sh\necho hi\n");
    chmodSync(join(dir, "run.sh"), 0o755);
    put(dir, "secret.txt", "s\n");
    chmodSync(join(dir, "secret.txt"), 0o640);
    put(dir, "tool.sh", "#!/bin/sh\n");
    chmodSync(join(dir, "tool.sh"), 0o700);
    const reply = await server.post("apply_patch", {
      patch: [
        "*** Begin Patch",
        "*** Update File: modes/run.sh",
        "@@",
        "-echo hi",
        "+echo hello",
        "*** Update File: modes/secret.txt",
        "@@",
        "-s",
        "+t",
        "*** Update File: modes/tool.sh",
        "*** Move to: modes/bin/tool.sh",
        "*** End Patch",
      ].join("\n"),
    });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(statSync(join(dir, "run.sh")).mode & 0o777, 0o755);
    assert.equal(statSync(join(dir, "secret.txt")).mode & 0o777, 0o640);
    assert.equal(statSync(join(dir, "bin/tool.sh")).mode & 0o777, 0o700);
  });

  test("the error shows the expected lines and the closest region with line numbers", async () => {
    const dir = area("message");
    const lines = Array.from({ length: 100 }, (_, i) => `line number ${i + 1} of the file`);
    lines[40] = "function computeTotal(items) {";
    lines[41] = "  return items.reduce((a, b) => a + b, 0);";
    lines[42] = "}";
    put(dir, "code.js", `${lines.join("\n")}\n`);
    const reply = await server.post("apply_patch", {
      patch: [
        "*** Begin Patch",
        "*** Update File: message/code.js",
        "@@",
        " function computeTotal(items) {",
        "-  return items.reduce((a, b) => a + b);",
        "+  return items.reduce((sum, x) => sum + x, 0);",
        " }",
        "*** End Patch",
      ].join("\n"),
    });
    assert.equal(reply.status, 409, reply.text);
    const { message, details, hint } = reply.json.error;
    assert.match(message, /message\/code\.js: chunk 1 of 1 \(patch line 3\) did not apply/);
    assert.ok(message.includes("  |  return items.reduce((a, b) => a + b);"), message);
    assert.match(message, /Closest region of the file, lines 41-43/);
    assert.ok(message.includes("42|  return items.reduce((a, b) => a + b, 0);"), message);
    assert.equal(details.path, "message/code.js");
    assert.equal(details.closest_line, 41);
    assert.match(hint, /read_file/);
    assert.ok(reply.text.length < 10_000);
  });

  test("a huge failing chunk still gives a short error", async () => {
    const dir = area("hugeerror");
    put(dir, "f.txt", "x\n");
    // As big as a request may be (100,000 characters).
    const body = Array.from({ length: 300 }, (_, i) => `-${"y".repeat(300)} ${i}`).join("\n");
    const reply = await server.post("apply_patch", { patch: `*** Begin Patch\n*** Update File: hugeerror/f.txt\n@@\n${body}\n+z\n*** End Patch` });
    assert.equal(reply.status, 409);
    assert.ok(reply.text.length < 20_000, `error is ${reply.text.length} chars`);
    assert.match(reply.json.error.message, /more lines/);
  });

  describe("confinement", () => {
    const hostile: Array<[string, string]> = [
      ["../ traversal add", "*** Begin Patch\n*** Add File: ../escape.txt\n+x\n*** End Patch"],
      ["deep traversal", "*** Begin Patch\n*** Add File: a/../../../escape.txt\n+x\n*** End Patch"],
      ["backslash traversal", "*** Begin Patch\n*** Add File: ..\\escape.txt\n+x\n*** End Patch"],
      ["absolute outside (update canary)", "OUTSIDE_UPDATE"],
      ["absolute outside (delete canary)", "OUTSIDE_DELETE"],
      ["move target outside", "*** Begin Patch\n*** Update File: inside.txt\n*** Move to: ../moved-out.txt\n*** End Patch"],
      ["symlinked folder to outside", "*** Begin Patch\n*** Update File: linkdir/canary.txt\n@@\n-canary\n+owned\n*** End Patch"],
      ["add through a symlinked folder", "*** Begin Patch\n*** Add File: linkdir/new.txt\n+x\n*** End Patch"],
      ["symlinked file to outside", "*** Begin Patch\n*** Update File: linkfile.txt\n@@\n-canary\n+owned\n*** End Patch"],
      ["dangling symlink to outside", "*** Begin Patch\n*** Add File: dangling.txt\n+x\n*** End Patch"],
      ["unified diff traversal", "--- a/inside.txt\n+++ b/../escape.txt\n@@ -1 +1 @@\n-inside\n+x\n"],
      ["home-relative", "*** Begin Patch\n*** Add File: ~/escape.txt\n+x\n*** End Patch"],
    ];

    before(() => {
      put(server.workspace, "inside.txt", "inside\n");
      symlinkSync(outside, join(server.workspace, "linkdir"));
      symlinkSync(join(outside, "canary.txt"), join(server.workspace, "linkfile.txt"));
      symlinkSync(join(outside, "not-yet.txt"), join(server.workspace, "dangling.txt"));
    });

    for (const [name, template] of hostile) {
      test(`${name} → 403, workspace and outside unchanged`, async () => {
        const patch =
          template === "OUTSIDE_UPDATE"
            ? `*** Begin Patch\n*** Update File: ${join(outside, "canary.txt")}\n@@\n-canary\n+owned\n*** End Patch`
            : template === "OUTSIDE_DELETE"
              ? `*** Begin Patch\n*** Delete File: ${join(outside, "canary.txt")}\n*** End Patch`
              : template;
        // A harmless first section: it must not be written either.
        const withFirst = patch.startsWith("*** Begin Patch")
          ? patch.replace("*** Begin Patch\n", "*** Begin Patch\n*** Add File: first-section.txt\n+first\n")
          : patch;
        const workspaceBefore = snapshot(server.workspace);
        const outsideBefore = snapshot(outsideRoot);
        const reply = await server.post("apply_patch", { patch: withFirst });
        assert.equal(reply.status, 403, reply.text);
        assert.equal(reply.json.error.code, "OUTSIDE_WORKSPACE");
        assert.equal(readFileSync(join(outside, "canary.txt"), "utf8"), "canary\n");
        assert.equal(existsSync(join(outside, "not-yet.txt")), false);
        assert.deepEqual(snapshot(server.workspace), workspaceBefore);
        assert.deepEqual(snapshot(outsideRoot), outsideBefore);
        // `..` from the workspace lands in the fixture folder next to it.
        for (const name of ["escape.txt", "moved-out.txt"]) assert.equal(existsSync(join(dirname(server.workspace), name)), false);
        assert.ok(!reply.text.includes(outside), "no outside absolute path in the answer");
      });
    }

    test("an absolute path inside the workspace is accepted", async () => {
      const reply = await server.post("apply_patch", {
        patch: `*** Begin Patch\n*** Add File: ${join(server.workspace, "abs-inside.txt")}\n+ok\n*** End Patch`,
      });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json.files[0].path, "abs-inside.txt");
    });

    test("deleting or moving a symlink inside the workspace is refused, not followed", async () => {
      put(server.workspace, "target.txt", "t\n");
      symlinkSync(join(server.workspace, "target.txt"), join(server.workspace, "inner-link.txt"));
      const reply = await server.post("apply_patch", { patch: "*** Begin Patch\n*** Delete File: inner-link.txt\n*** End Patch" });
      assert.equal(reply.status, 409, reply.text);
      assert.match(reply.json.error.message, /symbolic link/);
      assert.ok(lstatSync(join(server.workspace, "inner-link.txt")).isSymbolicLink());
      assert.equal(readFileSync(join(server.workspace, "target.txt"), "utf8"), "t\n");
    });
  });

  test("a patch touching thousands of files answers within the response budget", async () => {
    area("many");
    // Short names: 3,000 sections still fit in one request (100,000 characters).
    const sections = Array.from({ length: 3000 }, (_, i) => `*** Add File: many/n/${i}\n+${i}`);
    const reply = await server.post("apply_patch", { patch: `*** Begin Patch\n${sections.join("\n")}\n*** End Patch` });
    assert.equal(reply.status, 200, reply.text.slice(0, 500));
    assert.ok(reply.text.length < 100_000);
    assert.equal(reply.json.truncated, true);
    assert.equal(reply.json.files_total, 3000);
    assert.ok(reply.json.files.length > 100);
    assert.equal(readdirSync(join(server.workspace, "many/n")).length, 3000);
  });

  test("the audit log records paths and line counts, never contents", async () => {
    area("audit");
    const marker = "CONTENT-MARKER-7f3a";
    const reply = await server.post("apply_patch", {
      patch: `*** Begin Patch\n*** Add File: audit/a.txt\n+${marker}\n+second\n*** End Patch`,
    });
    assert.equal(reply.status, 200, reply.text);
    const failed = await server.post("apply_patch", {
      patch: `*** Begin Patch\n*** Update File: audit/a.txt\n@@\n-${marker}-nope\n+x\n*** End Patch`,
    });
    assert.equal(failed.status, 409);
    const records = await waitForAudit(server.home, (r) => r.action === "apply_patch" && r.outcome === "error" && r.error_code === "PATCH_FAILED" && r.paths?.includes("audit/a.txt"));
    const ok = records.find((r) => r.action === "apply_patch" && r.outcome === "ok" && r.paths?.includes("audit/a.txt"));
    assert.ok(ok, "the successful call is logged with its path");
    assert.equal(ok.detail.added_lines, 2);
    assert.match(String(ok.detail.changes), /add audit\/a\.txt \+2 -0/);
    const log = readFileSync(auditFile(server.home), "utf8");
    assert.ok(!log.includes(marker), "file contents must not reach the audit log");
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AuditLine = any;

/** The audit log is written in batches: wait until a matching record is there. */
async function waitForAudit(home: string, match: (record: AuditLine) => boolean): Promise<AuditLine[]> {
  const records = () =>
    existsSync(auditFile(home))
      ? readFileSync(auditFile(home), "utf8")
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as AuditLine)
      : [];
  return waitFor(() => (records().some(match) ? records() : undefined), "the audit record");
}
