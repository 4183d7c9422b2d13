/**
 * The dashboard's optional panels wired to the REAL providers (src/dashboard/start.ts):
 * a checkpoint the server took before a real write_file is diffed and restored from
 * the page (through restore_checkpoint, so the restore is itself undoable), and a
 * connector grant made through the real OAuth flow is revoked from the page, after
 * which its access token no longer opens /mcp.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser } from "playwright-core";
import { AuditLog, isoNow, type AuditRecord } from "../../src/audit/log.js";
import { updateConfig } from "../../src/config/store.js";
import { coreSources } from "../../src/dashboard/coreSources.js";
import { createTicket } from "../../src/dashboard/tickets.js";
import { loginUrl, startOwnerDashboard, type OwnerDashboard } from "../../src/dashboard/start.js";
import { makeHome, startServer, tempDir, waitFor, type TestServer } from "../helpers.js";
import { CHROMIUM as NEEDS_CHROMIUM, chromiumPath, requires } from "../preconditions.js";
import { mcpCall, obtainTokens } from "../oauth/helpers.js";
import { get, login, type DashFixture } from "./helpers.js";

const CHROMIUM = chromiumPath() ?? "chromium";

let api: TestServer;
let dash: OwnerDashboard;
let fx: DashFixture;

before(async () => {
  api = await startServer(makeHome());
  // The connector's resource is <public base URL>/mcp: here, the loopback server itself.
  updateConfig(api.home, (c) => {
    c.public_base_url = api.url;
  });
  dash = await startOwnerDashboard(api.home, api.server, 0);
  fx = { api, dash, base: dash.url, port: dash.server.port, host: `127.0.0.1:${dash.server.port}`, close: async () => undefined };
});
after(async () => {
  await dash?.close();
  await api?.close();
});

describe("dashboard panels with the real checkpoints, grants and sandbox", () => {
  it("lists the real checkpoint of a write and the real grant over HTTP", async () => {
    const write = await api.post("write_file", { path: "notes.txt", content: "first\n" });
    assert.equal(write.status, 200, write.text);
    const session = await login(fx);
    const state = await get(fx, session, "/api/state");
    assert.equal(state.json.panels.checkpoints, true);
    assert.equal(state.json.panels.grants, true);
    assert.equal(typeof state.json.panels.sandbox.active, "boolean");
    const list = await get(fx, session, "/api/checkpoints");
    assert.ok(list.json.checkpoints.some((c: { id: string }) => c.id === write.json.checkpoint), list.text);
  });

  it("the page's own checkpoint reads (every page load, a Diff) leave no audit line and no feed row", async () => {
    const write = await api.post("write_file", { path: "quiet.txt", content: "x\n" });
    const session = await login(fx);
    for (let i = 0; i < 3; i++) assert.equal((await get(fx, session, "/api/checkpoints")).status, 200);
    assert.equal((await get(fx, session, `/api/checkpoints/${write.json.checkpoint}/diff`)).status, 200);
    api.server.app.codex.audit.flush();
    const lines = readFileSync(api.server.app.codex.audit.file, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { face: string; action: string });
    assert.deepEqual(lines.filter((r) => r.face === "dashboard" && /checkpoint/.test(r.action)), [], "no owner read in the audit file");
    const hello = await get(fx, session, "/api/events");
    assert.match(hello.text, /^event: hello/);
    assert.doesNotMatch(hello.text, /list_checkpoints|checkpoint_diff/);
    assert.match(hello.text, /quiet\.txt/, "the model's write is in the feed");
  });

  it("in the browser: Restore of a real checkpoint, and Revoke of a real grant", requires(NEEDS_CHROMIUM), async () => {
    const file = join(api.workspace, "notes.txt");
    const before = await api.post("write_file", { path: "notes.txt", content: "good version\n" });
    const bad = await api.post("write_file", { path: "notes.txt", content: "the model broke it\n", expected_sha256: before.json.sha256 });
    assert.equal(bad.status, 200, bad.text);
    const checkpoint = bad.json.checkpoint as string;
    const tokens = await obtainTokens(api, { scopes: ["workspace.read"] });
    assert.equal((await mcpCall(api.url, tokens.access, "tools/list")).status, 200, "the grant works before the revoke");

    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-background-networking", "--no-first-run"] });
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    try {
      await page.goto(loginUrl(dash.url, createTicket(api.home)));
      const card = page.locator(`#checkpoints article[data-id="${checkpoint}"]`);
      await card.locator("button", { hasText: "Diff" }).click();
      await card.locator("pre.diff", { hasText: "the model broke it" }).waitFor();
      page.once("dialog", (dialog) => void dialog.accept());
      await card.locator("button", { hasText: "Restore" }).click();
      await waitFor(() => readFileSync(file, "utf8") === "good version\n", "the file is back as it was before the bad write");

      // The restore took a checkpoint first: the history shows it, so the restore can be undone.
      const history = await api.post("list_checkpoints", {});
      assert.equal(history.json.checkpoints[0].action, "restore_checkpoint", JSON.stringify(history.json.checkpoints[0]));

      const grants = page.locator("#grants article");
      await grants.first().waitFor();
      await grants.first().locator("button", { hasText: "Revoke" }).click();
      await page.locator("#grants", { hasText: "No connector grants." }).waitFor();
      await waitFor(async () => (await mcpCall(api.url, tokens.access, "tools/list")).status === 401, "the revoked grant's token is refused");
    } catch (error) {
      const shot = join(process.env.DASHBOARD_SHOTS_DIR || tempDir("cgc-dashboard-shots-"), "real-panels.png");
      await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
      process.stderr.write(`real panels test failed; screenshot: ${shot}\n`);
      throw error;
    } finally {
      await context.close();
      await browser.close();
    }
  });
});

describe("the feed at start", () => {
  it("leaves out the owner's checkpoint reads that older versions wrote to the audit file, and shows the model's calls", async () => {
    const fixture = makeHome();
    const older = new AuditLog(fixture.home);
    const line = (action: string, face: AuditRecord["face"]): AuditRecord => ({ time: isoNow(), action, workspace: "ws", outcome: "ok", duration_ms: 0, face });
    older.write(line("list_checkpoints", "dashboard"));
    older.write(line("checkpoint_diff", "dashboard"));
    older.write(line("read_file", "http"));
    older.write(line("list_checkpoints", "mcp"));
    older.flush();
    const s = await startServer(fixture);
    const core = coreSources({ store: s.server.store, resources: s.server.resources, audit: s.server.app.codex.audit, localUrl: () => s.url });
    try {
      assert.deepEqual(
        core.feed.recent(50).map((r) => [r.face, r.action]),
        [
          ["http", "read_file"],
          ["mcp", "list_checkpoints"],
        ],
      );
    } finally {
      core.close();
      await s.close();
    }
  });
});
