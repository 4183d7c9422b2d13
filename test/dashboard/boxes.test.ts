/**
 * The workspace boxes on the dashboard (issue 20): the box panel's provider and its
 * Reset route over plain HTTP with a real server whose command left `sleep` running in
 * its box — refused without the CSRF token, from a foreign Origin or without the login;
 * a real reset ends the box — and the job's background processes and proxy refusals in
 * /api/state. The pure parts (the network sums, the bounded cache walk) need no box.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { auditFile } from "../../src/config/paths.js";
import { existingBoxes } from "../../src/dashboard/boxes.js";
import { folderSize } from "../../src/sandbox/box/cacheSize.js";
import { networkView } from "../../src/dashboard/coreSources.js";
import { WORDS, type Key } from "../../src/dashboard/web/i18n.js";
import { boxes } from "../../src/sandbox/box/boxes.js";
import { ResourceBag } from "../../src/ground/resources.js";
import { tempDir, waitFor } from "../helpers.js";
import { BWRAP, requires } from "../preconditions.js";
import { CONNECT_PROBE, get, login, post, raw, startWithDashboard, type DashFixture, type Login } from "./helpers.js";

describe("box panel: pure parts", () => {
  it("networkView sums connections per host and port, refusals per host, port and reason, newest first", () => {
    assert.equal(networkView(undefined), null);
    assert.equal(networkView({ connections: [], denied: [] }), null);
    const view = networkView({
      connections: [
        { host: "registry.npmjs.org", port: 443, bytes_up: 100, bytes_down: 5000, at: "2026-01-01T00:00:01.000Z" },
        { host: "github.com", port: 443, bytes_up: 10, bytes_down: 20, at: "2026-01-01T00:00:02.000Z" },
        { host: "registry.npmjs.org", port: 443, bytes_up: 50, bytes_down: 700, at: "2026-01-01T00:00:03.000Z" },
      ],
      denied: [
        { host: "example.invalid", port: 443, reason: "no network", at: "2026-01-01T00:00:01.000Z" },
        { host: "example.invalid", port: 443, reason: "no network", at: "2026-01-01T00:00:04.000Z" },
        { host: "example.invalid", port: 80, reason: "no network", at: "2026-01-01T00:00:02.000Z" },
      ],
    })!;
    assert.deepEqual(view.connections, [
      { host: "registry.npmjs.org", port: 443, count: 2, bytes_up: 150, bytes_down: 5700, at: "2026-01-01T00:00:03.000Z" },
      { host: "github.com", port: 443, count: 1, bytes_up: 10, bytes_down: 20, at: "2026-01-01T00:00:02.000Z" },
    ]);
    assert.deepEqual(view.denied, [
      { host: "example.invalid", port: 443, reason: "no network", count: 2, at: "2026-01-01T00:00:04.000Z" },
      { host: "example.invalid", port: 80, reason: "no network", count: 1, at: "2026-01-01T00:00:02.000Z" },
    ]);
    assert.equal(view.partial, false);
    const full = networkView({ connections: Array.from({ length: 200 }, () => ({ host: "a.example", port: 443, bytes_up: 1, bytes_down: 1, at: "2026-01-01T00:00:00.000Z" })), denied: [] })!;
    assert.equal(full.partial, true, "a ledger at its limit may have lost older records");
  });

  it("folderSize walks at most the limit, never follows a symbolic link, and survives a missing folder", async () => {
    const root = tempDir("cgc-cache-walk-");
    mkdirSync(join(root, "a", "b"), { recursive: true });
    for (let i = 0; i < 30; i++) writeFileSync(join(root, "a", "b", `f${i}`), "x".repeat(5000));
    const outside = tempDir("cgc-cache-outside-");
    for (let i = 0; i < 50; i++) writeFileSync(join(outside, `big${i}`), "y".repeat(5000));
    symlinkSync(outside, join(root, "link"));
    const whole = await folderSize(root);
    assert.equal(whole.capped, false);
    assert.equal(whole.entries, 2 + 30 + 1, "a, b, 30 files and the link itself");
    assert.ok(whole.bytes > 0, `${whole.bytes}`);
    const capped = await folderSize(root, 10);
    assert.equal(capped.capped, true);
    assert.equal(capped.entries, 10);
    assert.deepEqual(await folderSize(join(root, "nope")), { bytes: 0, entries: 0, capped: false });
  });

  it("the box panel's words exist in both languages; the Chinese ones use Chinese punctuation", () => {
    const keys = (Object.keys(WORDS.en) as Key[]).filter((key) => /^(boxes|box_|job_box|job_background|job_network|net_)/.test(key));
    assert.ok(keys.length >= 20, keys.join(" "));
    for (const key of keys) {
      assert.ok(WORDS.zh[key].length > 0 && WORDS.zh[key] !== WORDS.en[key], key);
      assert.doesNotMatch(WORDS.zh[key], /[,;:()]/, `${key}: ${WORDS.zh[key]}`);
      assert.deepEqual(WORDS.zh[key].match(/\{\w+\}/g), WORDS.en[key].match(/\{\w+\}/g), `${key}: the same placeholders`);
    }
  });

  it("existingBoxes never creates the box table", () => {
    const bag = new ResourceBag();
    assert.equal(existingBoxes(bag), null);
    assert.equal(existingBoxes(bag), null);
    const table = boxes(bag, () => 30);
    assert.equal(existingBoxes(bag), table);
    void bag.closeAll();
  });
});

describe("box panel with a real server and box", requires(BWRAP), () => {
  let fx: DashFixture;
  let session: Login;

  before(async () => {
    fx = await startWithDashboard();
    writeFileSync(join(fx.api.workspace, "connect-probe.cjs"), CONNECT_PROBE);
    session = await login(fx);
  });
  after(async () => fx?.close());

  it("before any command: no box, and the state says so (not 'not available')", async () => {
    const state = await get(fx, session, "/api/state");
    assert.deepEqual(state.json.boxes, []);
    assert.equal(state.json.panels.sandbox.box, true);
    assert.equal(existingBoxes(fx.api.server.resources), null, "looking did not create the box table");
  });

  it("shows the box with the left-behind process; Reset is refused without CSRF, from another Origin or without login; a real Reset ends the box", async () => {
    const marker = 3000 + Math.floor(Math.random() * 900);
    const started = await fx.api.post("exec_command", { command: `sleep ${marker} & echo ok` });
    assert.equal(started.status, 200, started.text);
    assert.equal(started.json.status, "exited");
    const boxId = started.json.box?.id as string;
    assert.match(boxId, /^box_/);
    const jobId = started.json.job_id as string;

    const state = await get(fx, session, "/api/state");
    const box = state.json.boxes.find((b: { id: string }) => b.id === boxId);
    assert.ok(box, state.text);
    assert.equal(box.workspace_name, "ws");
    const proc = box.processes.find((p: { command: string }) => p.command.includes(`sleep ${marker}`));
    assert.ok(proc, JSON.stringify(box.processes));
    assert.equal(proc.job, jobId);
    assert.ok(box.cache_home?.length > 0);
    assert.equal(typeof box.tmp_bytes, "number");
    const job = state.json.jobs.find((j: { id: string }) => j.id === jobId);
    assert.equal(job.box.id, boxId);
    assert.ok(job.background.some((p: { command: string }) => p.command.includes(`sleep ${marker}`)), JSON.stringify(job));
    // The cache home's size is measured in the background and appears on a later state.
    const measured = await waitFor(async () => (await get(fx, session, "/api/state")).json.boxes[0]?.cache ?? undefined, "the cache home's size");
    assert.equal(measured.capped, false);

    const path = `/api/boxes/${boxId}/reset`;
    const noCsrf = await raw(fx.port, "POST", path, { cookie: session.cookie, origin: `http://${fx.host}`, "content-type": "application/json" }, "{}");
    assert.equal(noCsrf.status, 403);
    assert.equal(noCsrf.json.error.code, "CSRF_FAILED");
    const wrongCsrf = await post(fx, session, path, {}, { "x-csrf-token": "x".repeat(43) });
    assert.equal(wrongCsrf.status, 403);
    const foreign = await post(fx, session, path, {}, { origin: "http://evil.example" });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.json.error.code, "FORBIDDEN_ORIGIN");
    const crossSite = await post(fx, session, path, {}, { "sec-fetch-site": "cross-site" });
    assert.equal(crossSite.status, 403);
    const noOrigin = await raw(fx.port, "POST", path, { cookie: session.cookie, "x-csrf-token": session.csrf, "content-type": "application/json" }, "{}");
    assert.equal(noOrigin.status, 403, "a state-changing request must carry its Origin");
    const noLogin = await raw(fx.port, "POST", path, { origin: `http://${fx.host}`, "x-csrf-token": session.csrf, "content-type": "application/json" }, "{}");
    assert.equal(noLogin.status, 401);
    const foreignHost = await post(fx, session, path, {}, { host: `evil.example:${fx.port}` });
    assert.equal(foreignHost.status, 403);
    const table = boxes(fx.api.server.resources, () => 30);
    assert.ok((await table.status()).some((b) => b.id === boxId), "the refused requests ended nothing");

    const unknown = await post(fx, session, "/api/boxes/box_nothere/reset");
    assert.equal(unknown.status, 404);

    const reset = await post(fx, session, path);
    assert.equal(reset.status, 200, reset.text);
    assert.deepEqual(await table.status(), [], "no box is left");
    const again = await post(fx, session, path);
    assert.equal(again.status, 404, "the same box cannot be reset twice");
    const after = await get(fx, session, "/api/state");
    assert.deepEqual(after.json.boxes, []);
    await waitFor(async () => {
      const row = (await get(fx, session, "/api/state")).json.jobs.find((j: { id: string }) => j.id === jobId);
      return row && row.background.length === 0;
    }, "the job's background processes to be gone");
    const audit = await waitFor(() => auditHas(fx, "sandbox_reset"), "the reset in the audit log");
    assert.equal(audit.face, "dashboard");
    assert.equal(audit.detail.box, boxId);

    const next = await fx.api.post("exec_command", { command: "echo fresh" });
    assert.notEqual(next.json.box?.id, boxId, "the next command starts a fresh box");
  });

  it("a job's refused connection shows under it in /api/state", async () => {
    const reply = await fx.api.post("exec_command", { command: "node connect-probe.cjs example.invalid:443" });
    assert.equal(reply.status, 200, reply.text);
    assert.match(reply.json.stdout, /PROXY:HTTP\/1\.1 403/, reply.text);
    const job = await waitFor(async () => {
      const row = (await get(fx, session, "/api/state")).json.jobs.find((j: { id: string }) => j.id === reply.json.job_id);
      return row?.network ? row : undefined;
    }, "the refusal in the job's network");
    assert.deepEqual(job.network.connections, []);
    assert.equal(job.network.denied[0].host, "example.invalid");
    assert.equal(job.network.denied[0].port, 443);
    assert.match(job.network.denied[0].reason, /network: true/);
  });
});

/** The last record of this action in the server's audit log (lines are written in batches). */
function auditHas(fx: DashFixture, action: string): { face: string; detail: Record<string, unknown> } | undefined {
  let text = "";
  try {
    text = readFileSync(auditFile(fx.api.home), "utf8");
  } catch {
    return undefined;
  }
  const records = text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { action: string; face: string; detail: Record<string, unknown> });
  return records.reverse().find((record) => record.action === action);
}
