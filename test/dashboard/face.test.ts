/**
 * The dashboard as a person looks at it (issue 24), in a real browser: the status bar,
 * a running command followed at its latest line, a finished one folded to its last
 * lines, empty checkpoints folded without Restore, plural words, the login pages in
 * the dashboard's own look; and screenshots at 1280 and 390 px in English and Chinese,
 * kept under os.tmpdir()/chatgpt-codex-dashboard-shots/ (the path is printed).
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { CHROMIUM as NEEDS_CHROMIUM, chromiumPath, requires } from "../preconditions.js";
import { cookieName } from "../../src/dashboard/guard.js";
import { count } from "../../src/dashboard/web/i18n.js";
import { startWithDashboard, withLoggedInPage, type DashFixture } from "./helpers.js";

const CHROMIUM = chromiumPath() ?? "chromium";
const { skip = false } = requires(NEEDS_CHROMIUM);
const shots = process.env.DASHBOARD_SHOTS_DIR || join(tmpdir(), "chatgpt-codex-dashboard-shots");

let fx: DashFixture;
let browser: Browser;

before(async () => {
  if (skip !== false) return;
  mkdirSync(shots, { recursive: true });
  fx = await startWithDashboard();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-background-networking", "--no-first-run", "--disable-default-apps"], timeout: 60_000 });
});
after(async () => {
  await browser?.close();
  await fx?.close();
});

async function withPage(name: string, body: (page: Page) => Promise<void>, options: { lang?: "en" | "zh"; width?: number; height?: number } = {}): Promise<void> {
  return withLoggedInPage(browser, fx, join(shots, `failed-${name}.png`), body, { height: 800, ...options });
}

describe("plural words", () => {
  it("English says 1 file / 2 files; Chinese has one form", () => {
    assert.equal(count("en", "files", 1), "1 file");
    assert.equal(count("en", "files", 2), "2 files");
    assert.equal(count("en", "files", 0), "0 files");
    assert.equal(count("zh", "files", 1), "1 个文件");
    assert.equal(count("zh", "files", 2), "2 个文件");
    assert.equal(count("en", "procs", 1), "1 process");
    assert.equal(count("en", "cp_empty", 3), "3 checkpoints without changes");
  });
});

describe("the dashboard's face in a real browser", { skip }, () => {
  it("the status bar: access with Revoke, route, sandbox, the running job with Kill, the last action", async () => {
    await withPage("status", async (page) => {
      const bar = page.locator("#status");
      await bar.locator("#access-state", { hasText: "active" }).waitFor();
      // The fixture's config names a public URL: the route shows it.
      await bar.locator("#route [data-route=public]").waitFor();
      assert.match((await bar.locator("#route").textContent()) ?? "", /^.*https:\/\//);
      await bar.locator("#sandbox .badge").waitFor();
      await bar.locator("#running", { hasText: "Nothing is running." }).waitFor();
      const started = await fx.api.post("exec_command", { command: "echo bar-first; echo bar-latest; sleep 600", wait_seconds: 0 });
      const id = started.json.job_id as string;
      await bar.locator("#running [data-bar-latest]", { hasText: "bar-latest" }).waitFor();
      await bar.locator("#last strong", { hasText: "exec_command" }).waitFor();
      // Kill from the bar, by keyboard.
      await bar.locator(`[data-key="bar-kill-${id}"]`).focus();
      await page.keyboard.press("Enter");
      await page.locator(`#jobs article[data-id="${id}"] .badge`, { hasText: "killed" }).waitFor();
      await bar.locator("#running", { hasText: "Nothing is running." }).waitFor();
      await bar.locator("#last strong", { hasText: "kill_command" }).waitFor();
    });
  });

  it("a running job shows its latest lines (followed); a finished one its last lines, with show all", async () => {
    await withPage("tail", async (page) => {
      const started = await fx.api.post("exec_command", { command: "for i in $(seq 1 120); do echo tail-line-$i; done; sleep 600", wait_seconds: 0 });
      const id = started.json.job_id as string;
      const pre = page.locator(`#jobs article[data-id="${id}"] pre.tail`);
      await pre.filter({ hasText: "tail-line-120" }).waitFor();
      // Scrolled to its end: the last printed line is in view, not the first.
      await page.waitForFunction((node) => node !== null && node.scrollTop > 0 && node.scrollTop + node.clientHeight >= node.scrollHeight - 2, await pre.elementHandle());
      assert.equal(await page.locator(`#jobs article[data-id="${id}"] pre.tail`).evaluate((node) => node.scrollHeight > node.clientHeight), true, "more output than fits: the end is shown");
      await fx.api.post("kill_command", { job_id: id });

      const done = await fx.api.post("exec_command", { command: "for i in $(seq 1 40); do echo done-line-$i; done" });
      assert.equal(done.json.outcome, "ok", done.text);
      const card = page.locator(`#jobs article[data-id="${done.json.job_id}"]`);
      const tail = card.locator("pre.tail");
      await tail.filter({ hasText: "done-line-40" }).waitFor();
      assert.equal(((await tail.textContent()) ?? "").split("\n").length, 6, "folded to the last lines");
      assert.doesNotMatch((await tail.textContent()) ?? "", /done-line-1\n/);
      await card.locator("button", { hasText: "Show all (40 lines)" }).click();
      await tail.filter({ hasText: "done-line-1\n" }).waitFor();
      await card.locator("button", { hasText: "Show the last lines" }).click();
      await card.locator("button", { hasText: "Show all (40 lines)" }).waitFor();
    });
  });

  it("checkpoints: the empty ones folded without Restore; 1 file / 个文件; the diff coloured", async () => {
    const empty = await fx.api.post("exec_command", { command: "true # nothing changes" });
    const write = await fx.api.post("write_file", { path: "one.txt", content: "old line\n" });
    const change = await fx.api.post("write_file", { path: "one.txt", content: "new line\n", expected_sha256: write.json.sha256 });
    assert.equal(change.status, 200, change.text);
    const list = await fx.api.post("list_checkpoints", {});
    const byId = new Map((list.json.checkpoints as { id: string; files_changed: number }[]).map((c) => [c.id, c.files_changed]));
    assert.equal(byId.get(empty.json.checkpoint), 0, list.text);
    assert.equal(byId.get(change.json.checkpoint), 1, list.text);
    await withPage("checkpoints", async (page) => {
      const folded = page.locator("#checkpoints details.empty-cps", { has: page.locator(`li[data-id="${empty.json.checkpoint}"]`) });
      await folded.waitFor();
      assert.equal(await page.locator(`#checkpoints [data-key="restore-${empty.json.checkpoint}"]`).count(), 0, "no Restore for a checkpoint with nothing to undo");
      assert.equal(await page.locator(`#checkpoints article[data-id="${empty.json.checkpoint}"]`).count(), 0);
      const card = page.locator(`#checkpoints article[data-id="${change.json.checkpoint}"]`);
      assert.equal(await card.locator("[data-files]").textContent(), "1 file");
      await card.locator("button", { hasText: "Diff" }).click();
      await card.locator("pre.diff .del", { hasText: "-old line" }).waitFor();
      await card.locator("pre.diff .add", { hasText: "+new line" }).waitFor();
      const [add, del] = await Promise.all([card.locator("pre.diff .add").first(), card.locator("pre.diff .del").first()].map((l) => l.evaluate((node) => getComputedStyle(node).color)));
      assert.notEqual(add, del, "added and removed lines in different colours");
      await page.locator("#lang-toggle").click();
      // The checkpoints are fetched again in the new language: wait for the redrawn card.
      await card.locator("[data-files]", { hasText: "1 个文件" }).waitFor();
      assert.equal(await card.locator("[data-files]").textContent(), "1 个文件");
    });
  });

  it("the login, expired and invalid-link pages use the dashboard's stylesheet and say what to run", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      const cases: [string, string, RegExp][] = [
        ["login", `${fx.base}/`, /Run this on the computer/],
        ["invalid", `${fx.base}/login?ticket=nope`, /invalid, expired or already used/],
      ];
      for (const [why, url, words] of cases) {
        const response = await page.goto(url);
        assert.equal(response?.status(), 401);
        assert.equal(await page.locator('link[rel=stylesheet][href="/assets/app.css"]').count(), 1);
        assert.equal(await page.locator(".login-card").getAttribute("data-why"), why);
        assert.match((await page.locator("body").textContent()) ?? "", words);
        assert.equal(await page.locator("pre.command").textContent(), "chatgpt-codex dashboard");
        const font = await page.locator("body").evaluate((node) => getComputedStyle(node).fontFamily);
        assert.match(font, /system-ui/, "the stylesheet applied (not the browser's serif)");
        await page.screenshot({ path: join(shots, `login-${why}.png`) });
      }
      // A login cookie this server does not know (expired, logged out, server restarted).
      await context.addCookies([{ name: cookieName(fx.port), value: "a".repeat(43), url: fx.base }]);
      const ended = await page.goto(`${fx.base}/`);
      assert.equal(ended?.status(), 401);
      assert.equal(await page.locator(".login-card").getAttribute("data-why"), "expired");
      assert.match((await page.locator("body").textContent()) ?? "", /Your login has ended/);
      assert.equal(await page.locator("body").evaluate((node) => getComputedStyle(node).fontFamily.includes("system-ui")), true);
    } finally {
      await context.close();
    }
  });

  for (const lang of ["en", "zh"] as const) {
    for (const width of [1280, 390]) {
      it(`screenshot at ${width} px in ${lang === "en" ? "English" : "Chinese"}: no sideways scrolling, the status bar first`, async (t) => {
        await withPage(
          `shot-${lang}-${width}`,
          async (page) => {
            await fx.api.post("exec_command", { command: `exit 2 # shot ${lang} ${width}` });
            await page.locator("#access-state").waitFor();
            await page.locator("#feed li.entry").first().waitFor();
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
            assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
            const [bar, feed] = await Promise.all([page.locator("#status").boundingBox(), page.locator("#feed").boundingBox()]);
            assert.ok(bar && feed && bar.y < feed.y, "the status bar above the feed");
            if (width === 1280) assert.ok(feed.y < 400, `the live feed starts in the first screen (${feed.y}px)`);
            const file = join(shots, `dashboard-${lang}-${width}.png`);
            await page.screenshot({ path: file, fullPage: true });
            t.diagnostic(`screenshot: ${file}`);
          },
          { lang, width, height: width === 1280 ? 800 : 844 },
        );
      });
    }
  }
});
