/**
 * The upstream Codex apply-patch scenario suite, run straight from the shared
 * peer folder through the real HTTP server: every scenario directory found
 * there is one test, comparing the whole resulting tree byte for byte.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, lstatSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { makeHome, SHARED as SHARED_FOLDER, startServer, tempDir } from "./helpers.js";
import { requires, SHARED } from "./preconditions.js";

const SCENARIOS = join(SHARED_FOLDER, "peers", "codex-apply-patch", "scenarios");

/**
 * Upstream applies hunks one by one, so 015 expects the first file to stay
 * created after the second hunk fails. Ours is all-or-nothing: the tree must
 * stay exactly as the input was (empty).
 */
const ALL_OR_NOTHING_DIFFERENCE = new Set(["015_failure_after_partial_success_leaves_changes"]);

/** The error each rejecting scenario must get (400: the patch does not parse; 409: it does not apply). */
const EXPECTED_ERROR: Record<string, string> = {
  "005_rejects_empty_patch": "BAD_REQUEST",
  "006_rejects_missing_context": "PATCH_FAILED",
  "007_rejects_missing_file_delete": "PATCH_FAILED",
  "008_rejects_empty_update_hunk": "BAD_REQUEST",
  "009_requires_existing_file_for_update": "PATCH_FAILED",
  "012_delete_directory_fails": "PATCH_FAILED",
  "013_rejects_invalid_hunk_header": "BAD_REQUEST",
  "015_failure_after_partial_success_leaves_changes": "PATCH_FAILED",
};

type Tree = Map<string, string>;

/** Every entry under `root`: files as hex of their bytes, folders as "dir". */
function snapshot(root: string): Tree {
  const tree: Tree = new Map();
  if (!existsSync(root)) return tree;
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = prefix ? `${prefix}/${name}` : name;
      if (lstatSync(full).isDirectory()) {
        tree.set(rel, "dir");
        walk(full, rel);
      } else {
        tree.set(rel, readFileSync(full).toString("hex"));
      }
    }
  };
  walk(root, "");
  return tree;
}

function readable(tree: Tree): Record<string, string> {
  return Object.fromEntries([...tree].map(([k, v]) => [k, v === "dir" ? "<dir>" : Buffer.from(v, "hex").toString("utf8")]));
}

const scenarios = existsSync(SCENARIOS)
  ? readdirSync(SCENARIOS, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort()
  : [];

describe("codex apply-patch scenarios (shared peer suite)", requires(SHARED), () => {
  test("the peer suite is present", () => {
    assert.ok(scenarios.length >= 23, `expected the scenario folders under ${SCENARIOS}`);
  });

  for (const name of scenarios) {
    test(name, async () => {
      const dir = join(SCENARIOS, name);
      const workspace = join(tempDir("cgc-scenario-"), "ws");
      if (existsSync(join(dir, "input"))) cpSync(join(dir, "input"), workspace, { recursive: true });
      const server = await startServer(makeHome({ workspace }));
      try {
        const input = snapshot(join(dir, "input"));
        const differs = ALL_OR_NOTHING_DIFFERENCE.has(name);
        const expected = differs ? input : snapshot(join(dir, "expected"));
        const mustRefuse = differs || [...expected].join() === [...input].join();
        const patch = readFileSync(join(dir, "patch.txt"), "utf8");

        const reply = await server.post("apply_patch", { patch });
        const after = snapshot(server.workspace);
        assert.deepEqual(readable(after), readable(expected), `tree after ${name}`);
        assert.deepEqual([...after], [...expected], "byte for byte");
        if (mustRefuse) {
          assert.notEqual(reply.status, 200, reply.text);
          const code = EXPECTED_ERROR[name];
          if (code) assert.equal(reply.json?.error?.code, code, reply.text);
          assert.match(reply.json.error.message, /Nothing was changed/);
        } else {
          assert.equal(reply.status, 200, reply.text);
          assert.equal(reply.json.dry_run, false);
          assert.ok(reply.json.files.length > 0);
        }
      } finally {
        await server.close();
      }
    });
  }
});
