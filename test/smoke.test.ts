import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { z } from "zod";
import { defineAction, type AnyAction } from "../src/actions/define.js";
import listWorkspaces from "../src/actions/list_workspaces.js";
import { ACTIONS } from "../src/actions/registry.js";
import switchWorkspace from "../src/actions/switch_workspace.js";
import workspaceStatus from "../src/actions/workspace_status.js";
import { runSmoke } from "../src/smoke/run.js";
import { exitCodeOf, formatTable, type CheckRow } from "../src/verify/report.js";
import { makeHome, runCliAsync } from "./helpers.js";

const echo = defineAction({
  name: "smoke_echo",
  summary: "Test action: echoes its text.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({ text: z.string() }),
  output: z.object({ echo: z.string() }),
  example: { text: "hello" },
  handler: async (input) => ({ echo: input.text }),
}) as unknown as AnyAction;

/** A broken build of an action: its answer no longer matches its declared output. */
const drifted = defineAction({
  name: "smoke_drifted",
  summary: "Test action: returns the wrong shape.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({ echo: z.string() }),
  example: {},
  handler: async () => ({ echo: 42 }) as unknown as { echo: string },
}) as unknown as AnyAction;

const crashing = defineAction({
  name: "smoke_crashing",
  summary: "Test action: throws.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({}),
  output: z.object({}),
  example: {},
  handler: async () => {
    throw new Error("boom");
  },
}) as unknown as AnyAction;

const noExample = defineAction({
  name: "smoke_no_example",
  summary: "Test action: nobody told the smoke how to call it.",
  readOnly: true,
  consequential: false,
  destructive: false,
  input: z.object({ needs: z.string() }),
  output: z.object({}),
  handler: async () => ({}),
}) as unknown as AnyAction;

const WORKSPACE_ACTIONS = [workspaceStatus, listWorkspaces, switchWorkspace] as unknown as AnyAction[];

function row(rows: CheckRow[], name: string): CheckRow {
  const found = rows.find((r) => r.name === name);
  assert.ok(found, `a row named ${name}: ${formatTable(rows)}`);
  return found;
}

describe("api-smoke runner (in process, injected actions)", () => {
  it("passes for working actions: every action called, gate refusals checked, the rest skipped visibly", async () => {
    let sandbox = "";
    const rows = await runSmoke({ actions: [...WORKSPACE_ACTIONS, echo], onStart: (info) => (sandbox = info.sandbox) });
    assert.equal(exitCodeOf(rows), 0, formatTable(rows));
    for (const name of ["workspace_status", "list_workspaces", "switch_workspace", "smoke_echo"]) {
      assert.equal(row(rows, `POST /${name}`).result, "ok");
    }
    assert.match(row(rows, "POST /switch_workspace").detail, /second temporary workspace/);
    assert.match(row(rows, "GET /openapi.json").detail, /lists all 4 actions/);
    for (const name of ["401 without token", "403 after revoke", "403 after TTL"]) assert.equal(row(rows, name).result, "ok", name);
    for (const name of ["403 outside the workspace", "403 blocked command (default rule)", "403 blocked command (config rule)", "409 stale write"]) assert.equal(row(rows, name).result, "skip", name);
    assert.ok(sandbox !== "" && !existsSync(sandbox), "the temporary config and workspaces are removed");
  });

  it("fails (exit 1) on a broken action: wrong output shape, a crash, or no example", async () => {
    const rows = await runSmoke({ actions: [...WORKSPACE_ACTIONS, echo, drifted, crashing, noExample] });
    assert.equal(exitCodeOf(rows), 1);
    assert.equal(row(rows, "POST /smoke_echo").result, "ok");
    const shape = row(rows, "POST /smoke_drifted");
    assert.equal(shape.result, "fail");
    assert.match(shape.detail, /does not match the output schema: echo/);
    const crash = row(rows, "POST /smoke_crashing");
    assert.equal(crash.result, "fail");
    assert.match(crash.detail, /HTTP 500 INTERNAL/);
    const missing = row(rows, "POST /smoke_no_example");
    assert.equal(missing.result, "fail");
    assert.match(missing.detail, /no example/);
    assert.match(formatTable(rows), /FAIL\s+POST \/smoke_drifted/);
  });
});

describe("api-smoke (CLI)", () => {
  it("walks the full registry on a temporary server, exits 0, and leaves the user's config alone", async () => {
    const user = makeHome();
    const before = readFileSync(join(user.home, "config.json"), "utf8");
    const result = await runCliAsync(["api-smoke"], user.home, {}, 120_000);
    assert.match(result.stdout, /temporary server http:\/\/127\.0\.0\.1:\d+/);
    assert.match(result.stdout, /STATE\s+CHECK\s+DETAIL/);
    for (const action of ACTIONS) assert.match(result.stdout, new RegExp(`OK\\s+POST /${action.name}\\b`), `${action.name}\n${result.stdout}`);
    const refusals = ["401 without token", "403 after revoke", "403 after TTL", "403 outside the workspace", "403 blocked command \\(default rule\\)", "403 blocked command \\(config rule\\)", "409 stale write"];
    for (const name of refusals) assert.match(result.stdout, new RegExp(`OK\\s+${name}`), `${name}\n${result.stdout}`);
    assert.equal(readFileSync(join(user.home, "config.json"), "utf8"), before, "the user's config is untouched");
    assert.doesNotMatch(result.stdout + result.stderr, /cgc_[A-Za-z0-9_-]{43}/, "never prints a token, not even its own temporary one");
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });
});
