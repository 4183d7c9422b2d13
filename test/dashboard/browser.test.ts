/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core):
 * login link, live feed, Kill of a real process, Revoke/Renew by keyboard,
 * Approve/Deny of held commands, show token, both languages, a narrow window,
 * the workspace box panel (Reset) and a refused connection under its job.
 * A failing test leaves a screenshot in its temp folder (the path is printed).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { updateConfig } from "../../src/config/store.js";
import { tempDir, waitFor } from "../helpers.js";
import { boxes } from "../../src/sandbox/box/boxes.js";
import { BWRAP, CHROMIUM as NEEDS_CHROMIUM, chromiumPath, requires } from "../preconditions.js";
import { CONNECT_PROBE, startWithDashboard, withLoggedInPage, type DashFixture } from "./helpers.js";

const CHROMIUM = chromiumPath() ?? "chromium";
const { skip = false } = requires(NEEDS_CHROMIUM);
const found = skip === false;

let fx: DashFixture;
let browser: Browser;
/** Screenshots go to a temp folder; DASHBOARD_SHOTS_DIR keeps them somewhere to look at. */
const shots = process.env.DASHBOARD_SHOTS_DIR || tempDir("cgc-dashboard-shots-");

before(async () => {
  if (!found) return;
  fx = await startWithDashboard();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-default-apps"],
    timeout: 60_000,
  });
});
after(async () => {
  await browser?.close();
  await fx?.close();
});

/** A fresh browser context logged in through a one-time link (see withLoggedInPage). */
async function withPage(name: string, body: (page: Page) => Promise<void>, options: { lang?: "en" | "zh"; width?: number } = {}): Promise<void> {
  return withLoggedInPage(browser, fx, join(shots, `${name}.png`), body, options);
}

function processes(): string {
  return execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
}

describe("dashboard in a real browser", { skip }, () => {
  it("the login link opens the page (ticket gone from the address bar) with workspace and access", async () => {
    await withPage("login", async (page) => {
      assert.equal(new URL(page.url()).pathname, "/");
      assert.equal(new URL(page.url()).search, "");
      await page.locator("#workspaces li strong", { hasText: "ws" }).waitFor();
      assert.equal(await page.locator("#access-state").textContent(), "active");
      assert.match((await page.locator("#setup [data-field=schema]").textContent()) ?? "", /\/openapi\.json$/);
      await page.screenshot({ path: join(shots, "overview.png"), fullPage: true });
    });
  });

  it("an action appears in the live feed as it happens", async () => {
    await withPage("feed", async (page) => {
      const reply = await fx.api.post("write_file", { path: "live-feed.txt", content: "hello\n" });
      assert.equal(reply.status, 200);
      const entry = page.locator("#feed li.entry", { hasText: "live-feed.txt" });
      await entry.waitFor();
      const text = (await entry.textContent()) ?? "";
      assert.match(text, /write_file/);
      assert.match(text, /http/);
      assert.match(text, /ok/);
      assert.equal(await page.locator("#feed ol").getAttribute("aria-live"), "polite");
    });
  });

  it("the feed names outcomes in the one vocabulary: failed in red with its exit code, refused in amber with its code", async () => {
    await withPage("feed-outcomes", async (page) => {
      assert.equal((await fx.api.post("exec_command", { command: "exit 3 # feed-failed" })).json.outcome, "failed");
      assert.equal((await fx.api.post("exec_command", { command: "sudo true # feed-refused" })).status, 403);
      const failed = page.locator("#feed li.entry", { hasText: "feed-failed" });
      await failed.waitFor();
      assert.equal(await failed.getAttribute("data-outcome"), "failed");
      assert.equal(await failed.locator(".badge.bad").textContent(), "failed");
      assert.equal(await failed.locator(".exit").textContent(), "exit 3");
      const refused = page.locator("#feed li.entry", { hasText: "feed-refused" });
      await refused.waitFor();
      assert.equal(await refused.locator(".badge.run").textContent(), "refused");
      assert.match((await refused.textContent()) ?? "", /BLOCKED_BY_POLICY/);
    });
  });

  it("Kill ends a real process", async () => {
    await withPage("kill", async (page) => {
      const marker = 3000 + Math.floor(Math.random() * 900);
      const started = await fx.api.post("exec_command", { command: `sleep ${marker}; echo never`, wait_seconds: 0 });
      assert.equal(started.json.status, "running");
      const id = started.json.job_id as string;
      // "running" comes back at once; the sandbox may still be starting the shell that runs sleep.
      await waitFor(() => new RegExp(`sleep ${marker}`).test(processes()), "the process to start");
      const card = page.locator(`#jobs article[data-id="${id}"]`);
      await card.locator("button", { hasText: "Kill" }).click();
      await waitFor(() => !new RegExp(`sleep ${marker}`).test(processes()), "the process to end");
      await card.locator(".badge", { hasText: "killed" }).waitFor();
      const seen = await fx.api.post("command_output", { job_id: id, wait_seconds: 0 });
      assert.equal(seen.json.status, "killed");
    });
  });

  it("the box panel lists a process left in the background, Reset ends it; a refused connection shows under its job", requires(BWRAP), async () => {
    writeFileSync(join(fx.api.workspace, "connect-probe.cjs"), CONNECT_PROBE);
    await withPage("boxes", async (page) => {
      const marker = 3000 + Math.floor(Math.random() * 900);
      const started = await fx.api.post("exec_command", { command: `sleep ${marker} & echo left-running` });
      assert.equal(started.json.status, "exited", started.text);
      const boxId = started.json.box.id as string;
      const box = page.locator(`#boxes article[data-id="${boxId}"]`);
      // The sleep's own row: for a moment the shell that started it (its command line holds the whole command) is listed too.
      const row = box.locator("tr", { hasText: `sleep ${marker}`, hasNotText: "left-running" });
      await row.waitFor();
      assert.match((await row.textContent()) ?? "", new RegExp(started.json.job_id));
      await box.locator("[data-cache-size]", { hasText: /\d/ }).waitFor();
      // The job stays on the page with what it left running, and a Kill for it.
      const job = page.locator(`#jobs article[data-id="${started.json.job_id}"]`);
      await job.locator("[data-background] li", { hasText: `sleep ${marker}`, hasNotText: "left-running" }).waitFor();
      assert.equal(await job.locator("button", { hasText: "Kill" }).count(), 1);

      const probe = await fx.api.post("exec_command", { command: "node connect-probe.cjs example.invalid:443" });
      assert.match(probe.json.stdout, /PROXY:HTTP\/1\.1 403/, probe.text);
      const denied = page.locator(`#jobs article[data-id="${probe.json.job_id}"] details.net.denied`);
      await denied.locator("li", { hasText: "example.invalid:443" }).waitFor();
      assert.match((await denied.textContent()) ?? "", /network: true/);
      await page.screenshot({ path: join(shots, "boxes.png"), fullPage: true });

      await box.locator("button", { hasText: "Reset" }).click();
      await box.waitFor({ state: "detached" });
      await page.locator("#boxes [data-empty]", { hasText: "No box running; the first command of a workspace starts one." }).waitFor();
      await waitFor(() => !new RegExp(`sleep ${marker}`).test(processes()), "the background process to end with its box");
      await job.locator("[data-background]").waitFor({ state: "detached" });
      assert.equal(await job.locator("button", { hasText: "Kill" }).count(), 0, "nothing is left to kill");
      assert.deepEqual(await boxes(fx.api.server.resources, () => 30).status(), []);
    });
  });

  it("Revoke (by keyboard) makes the next POST 403; Renew with a TTL resumes", async () => {
    await withPage("revoke", async (page) => {
      await page.locator("[data-key=revoke]").focus();
      await page.keyboard.press("Enter");
      await page.locator("#access-state", { hasText: "revoked" }).waitFor();
      const refused = await fx.api.post("list_files", {});
      assert.equal(refused.status, 403);
      assert.equal(refused.json.error.code, "ACCESS_EXPIRED");
      await page.locator("#ttl").selectOption("60");
      await page.locator("[data-key=renew]").click();
      await page.locator("#access-state", { hasText: "active" }).waitFor();
      assert.doesNotMatch((await page.locator("#access-expiry").textContent()) ?? "", /no expiry/);
      assert.equal((await fx.api.post("list_files", {})).status, 200);
    });
  });

  it("Approve and Deny a held command; the model sees the outcome through command_output", async () => {
    updateConfig(fx.api.home, (c) => {
      c.approvals.commands = "local";
    });
    try {
      await withPage("approvals", async (page) => {
        const first = await fx.api.post("exec_command", { command: "echo approved-in-browser" });
        assert.equal(first.json.status, "awaiting_approval");
        const card = page.locator(`#approvals article[data-id="${first.json.job_id}"]`);
        assert.equal(await card.locator("pre.command").textContent(), "echo approved-in-browser");
        assert.match((await card.textContent()) ?? "", /Folder\./);
        await page.screenshot({ path: join(shots, "approval.png"), fullPage: true });
        await card.locator("button", { hasText: "Approve" }).click();
        const ran = await fx.api.post("command_output", { job_id: first.json.job_id, wait_seconds: 20 });
        assert.equal(ran.json.status, "exited");
        assert.match(ran.json.stdout, /approved-in-browser/);
        await card.waitFor({ state: "detached" });

        const second = await fx.api.post("exec_command", { command: "echo denied-in-browser" });
        await page.locator(`#approvals article[data-id="${second.json.job_id}"] button`, { hasText: "Deny" }).click();
        const denied = await fx.api.post("command_output", { job_id: second.json.job_id, wait_seconds: 5 });
        assert.equal(denied.json.status, "denied");
        assert.match(denied.json.message, /NOT run/);
      });
    } finally {
      updateConfig(fx.api.home, (c) => {
        c.approvals.commands = "chatgpt";
      });
    }
  });

  it("shows the token only after a click on Show token", async () => {
    await withPage("token", async (page) => {
      assert.equal((await page.content()).includes(fx.api.token), false);
      await page.locator("[data-key=show-token]").click();
      await page.locator("[data-field=token]", { hasText: fx.api.token }).waitFor();
      await page.locator("[data-key=show-token]").click();
      await page.locator("[data-field=token]", { hasText: "•" }).waitFor();
      assert.equal((await page.content()).includes(fx.api.token), false);
    });
  });

  it("speaks Chinese with --lang zh, switches to English with the toggle, and fits a narrow window", async () => {
    await withPage(
      "lang",
      async (page) => {
        assert.equal(await page.locator("html").getAttribute("lang"), "zh-CN");
        assert.equal(await page.locator("#access-h").textContent(), "访问权限");
        await page.locator("#access-state", { hasText: "已开启" }).waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `no sideways scrolling on a narrow window (${overflow}px)`);
        await page.locator("#lang-toggle").click();
        assert.equal(await page.locator("#access-h").textContent(), "Access");
        await page.locator("#access-state", { hasText: "active" }).waitFor();
      },
      { lang: "zh", width: 360 },
    );
  });

  it("a config file that stops loading shows a banner (kept, then paused), in both languages; the fix clears it", async () => {
    const file = join(fx.api.home, "config.json");
    const good = readFileSync(file, "utf8");
    try {
      await withPage("config-banner", async (page) => {
        assert.equal(await page.locator("#config-problem").isHidden(), true, "no banner while the file loads");
        // A lost comma: the token, access and workspaces are untouched, so the server runs on.
        writeFileSync(file, good.replace(/("version": 1),/, "$1"));
        const banner = page.locator("#config-problem");
        await banner.waitFor({ state: "visible" });
        await page.locator("#config-problem [data-problem]", { hasText: /^not valid JSON at line \d+, column \d+/ }).waitFor();
        assert.match((await banner.textContent()) ?? "", /config\.json does not load.*keeps serving with the last good config/s);
        assert.equal(await banner.getAttribute("class"), "banner warn");
        assert.equal(await page.locator("#access-state").textContent(), "active");
        assert.equal((await fx.api.post("list_files", {})).status, 200);
        // The same broken file with a revoke written into it: access pauses.
        writeFileSync(file, good.replace(/("version": 1),/, "$1").replace('"revoked_at": null', `"revoked_at": "${new Date().toISOString()}"`));
        await page.locator("#access-state", { hasText: "paused" }).waitFor();
        assert.match((await banner.textContent()) ?? "", /Access is paused until the file is fixed, because its revoked_at or expires_at changed/);
        assert.equal(await banner.getAttribute("class"), "banner bad");
        assert.equal(await page.locator("[data-key=revoke]").count(), 0, "no Revoke button that could not write the file");
        await page.locator("#lang-toggle").click();
        await page.locator("#config-problem", { hasText: "在文件修好之前，访问已暂停" }).waitFor();
        await page.locator("#access-state", { hasText: "已暂停" }).waitFor();
        await page.locator("#lang-toggle").click();
        writeFileSync(file, good);
        await banner.waitFor({ state: "hidden" });
        await page.locator("#access-state", { hasText: "active" }).waitFor();
      });
    } finally {
      writeFileSync(file, good);
    }
  });

  it("a page without the login cookie gets nothing", async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const response = await page.goto(`${fx.base}/`);
      assert.equal(response?.status(), 401);
      const api = await page.goto(`${fx.base}/api/state`);
      assert.equal(api?.status(), 401);
    } finally {
      await context.close();
    }
  });
});
