/**
 * The optional panels (checkpoints with diff and Restore, connector grants with
 * Revoke, sandbox state) wired to STAND-IN providers: the real ones come from
 * the checkpoints, connector and sandbox work and plug into the same
 * interfaces (src/dashboard/sources.ts). The stand-ins are honest about what
 * they are: the checkpoint one keeps file contents in memory.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser } from "playwright-core";
import { createTicket } from "../../src/dashboard/tickets.js";
import { coreSources } from "../../src/dashboard/coreSources.js";
import { startDashboard, type DashboardServer } from "../../src/dashboard/server.js";
import type { CheckpointsProvider, Grant, GrantsProvider } from "../../src/dashboard/sources.js";
import { loginUrl } from "../../src/dashboard/start.js";
import { comesTrue, makeHome, startServer, tempDir, type TestServer } from "../helpers.js";
import { CHROMIUM as NEEDS_CHROMIUM, chromiumPath, requires } from "../preconditions.js";
import { login, post, get, type DashFixture } from "./helpers.js";

const CHROMIUM = chromiumPath() ?? "chromium";

/** SIMULATION of the checkpoints provider: one checkpoint of one file, kept in memory. */
function standInCheckpoints(workspace: string): CheckpointsProvider & { restoredIds: string[] } {
  const file = join(workspace, "notes.txt");
  const saved = readFileSync(file, "utf8");
  const restoredIds: string[] = [];
  return {
    restoredIds,
    list: async () => ({ checkpoints: [{ id: "cp_1", created_at: new Date().toISOString(), action: "write_file", summary: "before write_file notes.txt", files_changed: 1 }] }),
    diff: async (id) => {
      if (id !== "cp_1") throw new Error("no such checkpoint");
      return { diff: `--- a/notes.txt\n+++ b/notes.txt\n-${saved.trim()}\n+${readFileSync(file, "utf8").trim()}\n`, truncated: false, files: [{ path: "notes.txt", status: "modified" }] };
    },
    restore: async (id) => {
      restoredIds.push(id);
      writeFileSync(file, saved);
      return { restored: ["notes.txt"], deleted: [], checkpoint: "cp_2" };
    },
  };
}

function standInGrants(): GrantsProvider {
  const grants: Grant[] = [{ id: "grant_1", client_name: "ChatGPT connector", scopes: ["workspace.read", "commands"], created_at: new Date().toISOString(), last_used_at: null }];
  return {
    list: async () => grants.slice(),
    revoke: async (id) => {
      const at = grants.findIndex((g) => g.id === id);
      if (at < 0) return false;
      grants.splice(at, 1);
      return true;
    },
  };
}

let api: TestServer;
let dashboard: DashboardServer;
let fx: DashFixture;
let checkpoints: ReturnType<typeof standInCheckpoints>;
let closeCore: () => void;

before(async () => {
  api = await startServer(
    makeHome({
      change: (config) => {
        config.approvals.commands = "local";
      },
    }),
  );
  writeFileSync(join(api.workspace, "notes.txt"), "original\n");
  checkpoints = standInCheckpoints(api.workspace);
  const core = coreSources({ store: api.server.store, resources: api.server.resources, audit: api.server.app.codex.audit, localUrl: api.server.localUrl });
  closeCore = core.close;
  dashboard = await startDashboard({
    home: api.home,
    port: 0,
    sources: { ...core, checkpoints, grants: standInGrants(), sandbox: { status: () => ({ active: true, kind: "bubblewrap", network: "ask" as const }) } },
  });
  fx = {
    api,
    dash: undefined as never,
    base: dashboard.url,
    port: dashboard.port,
    host: `127.0.0.1:${dashboard.port}`,
    close: async () => undefined,
  };
});
after(async () => {
  closeCore?.();
  await dashboard?.close();
  await api?.close();
});

describe("optional dashboard panels (stand-in providers)", () => {
  it("over HTTP: listed when present, restore and revoke need the CSRF token", async () => {
    const session = await login(fx);
    const state = await get(fx, session, "/api/state");
    assert.deepEqual(state.json.panels, { checkpoints: true, grants: true, sandbox: { active: true, kind: "bubblewrap", network: "ask" } });
    assert.equal((await get(fx, session, "/api/checkpoints")).json.checkpoints[0].id, "cp_1");
    assert.equal((await post(fx, session, "/api/checkpoints/cp_1/restore", {}, { "x-csrf-token": "nope" })).status, 403);
    assert.deepEqual(checkpoints.restoredIds, [], "refused restore did nothing");
    assert.equal((await post(fx, session, "/api/grants/grant_x/revoke")).status, 404);
  });

  it("in the browser: diff, Restore (confirmed) and grant Revoke; the sandbox shows on approval cards", requires(NEEDS_CHROMIUM), async () => {
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-background-networking", "--no-first-run"] });
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    try {
      writeFileSync(join(api.workspace, "notes.txt"), "changed by the model\n");
      await page.goto(loginUrl(dashboard.url, createTicket(api.home)));
      const card = page.locator('#checkpoints article[data-id="cp_1"]');
      await card.locator("button", { hasText: "Diff" }).click();
      await card.locator("pre.diff", { hasText: "+changed by the model" }).waitFor();
      page.once("dialog", (dialog) => void dialog.accept());
      await card.locator("button", { hasText: "Restore" }).click();
      await comesTrue(() => readFileSync(join(api.workspace, "notes.txt"), "utf8") === "original\n");
      assert.equal(readFileSync(join(api.workspace, "notes.txt"), "utf8"), "original\n");
      assert.deepEqual(checkpoints.restoredIds, ["cp_1"]);

      const grant = page.locator('#grants article[data-id="grant_1"]');
      await grant.locator("button", { hasText: "Revoke" }).click();
      await grant.waitFor({ state: "detached" });
      await page.locator("#grants", { hasText: "No connector grants." }).waitFor();

      await page.locator("#sandbox", { hasText: "bubblewrap" }).waitFor();
      const held = await api.post("exec_command", { command: "echo sandboxed" });
      const approval = page.locator(`#approvals article[data-id="${held.json.job_id}"]`);
      await approval.waitFor();
      assert.match((await approval.textContent()) ?? "", /Sandboxbubblewrap/);
      // The card shows how the command will really run (its sandbox plan), not the panel's setting.
      assert.match((await approval.textContent()) ?? "", /Networkno/);
    } catch (error) {
      const file = join(process.env.DASHBOARD_SHOTS_DIR || tempDir("cgc-dashboard-shots-"), "optional.png");
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      process.stderr.write(`optional panels test failed; screenshot: ${file}\n`);
      throw error;
    } finally {
      await context.close();
      await browser.close();
    }
  });
});
