/**
 * The dashboard's gate over plain HTTP, hostile cases first: no login, forged
 * cookies, spent/expired/garbage tickets, foreign Host (DNS rebinding),
 * foreign Origin, missing or wrong CSRF token, and the headers on every answer.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { createTicket, ticketFolder } from "../../src/dashboard/tickets.js";
import { coreSources } from "../../src/dashboard/coreSources.js";
import { startDashboard } from "../../src/dashboard/server.js";
import { get, login, post, raw, startWithDashboard, type DashFixture, type Login } from "./helpers.js";

let fx: DashFixture;
let session: Login;

before(async () => {
  fx = await startWithDashboard();
  session = await login(fx);
});
after(async () => fx.close());

async function accessActive(): Promise<boolean> {
  return (await fx.api.post("workspace_status")).status === 200;
}

describe("dashboard gate", () => {
  it("answers 401 to every path without the login cookie, and changes nothing", async () => {
    for (const path of ["/", "/api/state", "/api/events", "/assets/app.js", "/assets/i18n.js", "/api/checkpoints", "/nope"]) {
      const reply = await raw(fx.port, "GET", path);
      assert.equal(reply.status, 401, path);
    }
    // Only the stylesheet is served before a login (the login pages use it): nothing of the owner's in it.
    const css = await raw(fx.port, "GET", "/assets/app.css");
    assert.equal(css.status, 200);
    assert.match(String(css.headers["content-type"]), /^text\/css/);
    assert.match(String(css.headers["content-security-policy"]), /default-src 'none'/);
    assert.doesNotMatch(css.text, new RegExp(fx.api.token));
    assert.equal((await raw(fx.port, "GET", "/assets/app.css", { host: "evil.example" })).status, 403, "the Host check still comes first");
    const page = await raw(fx.port, "GET", "/");
    assert.match(page.text, /chatgpt-codex dashboard/, "the 401 page says how to log in");
    for (const path of ["/api/access/revoke", "/api/token/reveal", "/api/jobs/x/kill", "/api/workspaces/switch"]) {
      const reply = await raw(fx.port, "POST", path, { origin: `http://${fx.host}`, "x-csrf-token": session.csrf, "content-type": "application/json" }, "{}");
      assert.equal(reply.status, 401, path);
      assert.doesNotMatch(reply.text, new RegExp(fx.api.token), "never the token");
    }
    assert.equal(await accessActive(), true);
  });

  it("refuses forged, malformed and foreign-port cookies", async () => {
    const name = session.cookie.split("=")[0]!;
    const value = session.cookie.split("=")[1]!;
    const forged = [
      `${name}=${"A".repeat(43)}`,
      `${name}=`,
      `${name}=${value}x`,
      `${name}=${value.slice(0, -1)}`,
      `${name}=${encodeURIComponent(value + ";")}`,
      `cgc_dashboard_1=${value}`,
      `${name.toUpperCase()}=${value}`,
      `other=1; ${name}=${"b".repeat(43)}`,
    ];
    for (const cookie of forged) {
      assert.equal((await raw(fx.port, "GET", "/api/state", { cookie })).status, 401, cookie);
    }
    assert.equal((await get(fx, session, "/api/state")).status, 200, "the real cookie works");
  });

  it("login: a ticket works once; spent, expired, malformed and traversal tickets get 401; only hashes are stored", async () => {
    const ticket = createTicket(fx.api.home);
    assert.equal(readdirSync(ticketFolder(fx.api.home)).some((name) => name.includes(ticket)), false, "the ticket itself is not on disk");
    const first = await raw(fx.port, "GET", `/login?ticket=${ticket}`);
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, "/");
    const cookie = String((first.headers["set-cookie"] as string[])[0]);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    assert.equal((await raw(fx.port, "GET", `/login?ticket=${ticket}`)).status, 401, "one-time");

    const old = createTicket(fx.api.home, Date.now() - 10 * 60 * 1000);
    assert.equal((await raw(fx.port, "GET", `/login?ticket=${old}`)).status, 401, "expired");
    const bad = ["", "x", "../config.json", "..%2F..%2Fconfig.json", "A".repeat(43), "A".repeat(44), `${ticket}&ticket=${ticket}`, "%00"];
    for (const value of bad) {
      const reply = await raw(fx.port, "GET", `/login?ticket=${value}`);
      assert.equal(reply.status, 401, value);
      assert.equal(reply.headers["set-cookie"], undefined, value);
    }
    assert.equal((await raw(fx.port, "GET", "/login")).status, 401, "no ticket");
  });

  it("403 for a Host that is not this loopback listener (DNS rebinding), even with a valid cookie or ticket", async () => {
    const hosts = [
      "evil.example",
      `evil.example:${fx.port}`,
      `127.0.0.1.evil.example:${fx.port}`,
      `localhost.evil.example:${fx.port}`,
      `127.0.0.1:${fx.port + 1}`,
      "127.0.0.1",
      `user@127.0.0.1:${fx.port}`,
      `127.0.0.1:${fx.port}/x`,
      `0.0.0.0:${fx.port}`,
      `127.0.0.2:${fx.port}`,
      `[::ffff:127.0.0.1]:${fx.port}`,
    ];
    const ticket = createTicket(fx.api.home);
    for (const host of hosts) {
      assert.equal((await raw(fx.port, "GET", "/api/state", { host, cookie: session.cookie })).status, 403, `host ${host}`);
      assert.equal((await raw(fx.port, "GET", `/login?ticket=${ticket}`, { host })).status, 403, `login with host ${host}`);
      const revoke = await raw(fx.port, "POST", "/api/access/revoke", { host, cookie: session.cookie, origin: `http://${host}`, "x-csrf-token": session.csrf, "content-type": "application/json" }, "{}");
      assert.equal(revoke.status, 403, `revoke with host ${host}`);
    }
    // No Host at all: Node's HTTP server refuses it (400) before any handler runs.
    const noHost = await raw(fx.port, "GET", `/login?ticket=${ticket}`, { host: "" });
    assert.ok(noHost.status === 400 || noHost.status === 403, String(noHost.status));
    assert.equal(await accessActive(), true, "nothing was revoked");
    assert.equal((await raw(fx.port, "GET", `/login?ticket=${ticket}`)).status, 303, "refused requests did not spend the ticket");
    for (const host of [`localhost:${fx.port}`, `LOCALHOST:${fx.port}`, `[::1]:${fx.port}`]) {
      assert.equal((await raw(fx.port, "GET", "/api/state", { host, cookie: session.cookie })).status, 200, `loopback name ${host}`);
    }
  });

  it("403 for a foreign or missing Origin on state-changing requests, and a foreign Origin on any request", async () => {
    const origins = ["http://evil.example", "null", `http://localhost:${fx.port}`, `https://${fx.host}`, `http://${fx.host}.evil.example`, `http://127.0.0.1:${fx.port + 1}`, `http://${fx.host}/`];
    for (const origin of origins) {
      const reply = await post(fx, session, "/api/access/revoke", {}, { origin });
      assert.equal(reply.status, 403, `origin ${origin}`);
      assert.equal(reply.json.error.code, "FORBIDDEN_ORIGIN");
      assert.equal((await get(fx, session, "/api/state", { origin })).status, 403, `GET with origin ${origin}`);
    }
    const noOrigin = await raw(fx.port, "POST", "/api/access/revoke", { cookie: session.cookie, "x-csrf-token": session.csrf, "content-type": "application/json" }, "{}");
    assert.equal(noOrigin.status, 403, "a POST must name its origin");
    assert.equal((await post(fx, session, "/api/access/revoke", {}, { "sec-fetch-site": "cross-site" })).status, 403);
    assert.equal(await accessActive(), true, "nothing was revoked");
  });

  it("403 without the session's CSRF token (missing, wrong, another session's, wrong case)", async () => {
    const other = await login(fx);
    const variants: Record<string, string>[] = [
      { "x-csrf-token": "" },
      { "x-csrf-token": "wrong" },
      { "x-csrf-token": other.csrf },
      { "x-csrf-token": session.csrf.toUpperCase() === session.csrf ? session.csrf.toLowerCase() : session.csrf.toUpperCase() },
      { "x-csrf-token": `${session.csrf}x` },
      { "x-csrf-token": session.csrf.slice(1) },
    ];
    for (const headers of variants) {
      const reply = await post(fx, session, "/api/access/revoke", {}, headers);
      assert.equal(reply.status, 403, JSON.stringify(headers));
      assert.equal(reply.json.error.code, "CSRF_FAILED");
    }
    const missing = await raw(fx.port, "POST", "/api/access/revoke", { cookie: session.cookie, origin: `http://${fx.host}`, "content-type": "application/json" }, "{}");
    assert.equal(missing.status, 403);
    // A form post (no JSON, no header) cannot get through either.
    const form = await raw(fx.port, "POST", "/api/access/revoke", { cookie: session.cookie, origin: `http://${fx.host}`, "content-type": "application/x-www-form-urlencoded" }, "a=1");
    assert.equal(form.status, 403);
    assert.equal(await accessActive(), true, "nothing was revoked");
  });

  it("sends a strict CSP, no framing, no CORS — on pages, errors and the event stream", async () => {
    const answers = [
      await raw(fx.port, "GET", "/"),
      await get(fx, session, "/"),
      await get(fx, session, "/assets/app.js"),
      await get(fx, session, "/api/events"),
      await raw(fx.port, "GET", "/", { host: "evil.example" }),
      await raw(fx.port, "OPTIONS", "/api/access/revoke", { origin: "http://evil.example", "access-control-request-method": "POST" }),
    ];
    for (const reply of answers) {
      const csp = String(reply.headers["content-security-policy"]);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
      assert.equal(reply.headers["x-frame-options"], "DENY");
      assert.equal(reply.headers["x-content-type-options"], "nosniff");
      assert.equal(reply.headers["referrer-policy"], "no-referrer");
      assert.equal(reply.headers["cache-control"], "no-store");
      for (const name of Object.keys(reply.headers)) assert.doesNotMatch(name, /^access-control-/, "no CORS header");
    }
    const page = await get(fx, session, "/");
    assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/, "no inline script");
    assert.doesNotMatch(page.text, /\sstyle=|<style/, "no inline style");
    assert.doesNotMatch(page.text, /https?:\/\/(?!127\.0\.0\.1)[a-z]/i, "nothing from another host (works offline)");
  });

  it("never puts the token in the page, the state or the stream; shows it only on an explicit POST", async () => {
    for (const path of ["/", "/api/state", "/api/events", "/assets/app.js"]) {
      const reply = await get(fx, session, path);
      assert.equal(reply.status, 200, path);
      assert.equal(reply.text.includes(fx.api.token), false, path);
    }
    assert.equal((await get(fx, session, "/api/token/reveal")).status, 404, "not by GET");
    const shown = await post(fx, session, "/api/token/reveal");
    assert.equal(shown.status, 200);
    assert.equal(shown.json.token, fx.api.token);
  });

  it("revoke makes the next action 403; renew with a TTL resumes with that expiry; a bad TTL is 400", async () => {
    assert.equal((await post(fx, session, "/api/access/revoke")).status, 200);
    const refused = await fx.api.post("workspace_status");
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error.code, "ACCESS_EXPIRED");
    for (const ttl of [0, -5, 1.5, "30", 10_000_000]) {
      assert.equal((await post(fx, session, "/api/access/renew", { ttl_minutes: ttl })).status, 400, String(ttl));
    }
    assert.equal((await fx.api.post("workspace_status")).status, 403, "a refused renew changes nothing");
    const renewed = await post(fx, session, "/api/access/renew", { ttl_minutes: 30 });
    assert.equal(renewed.status, 200);
    assert.ok(renewed.json.access.expires_at);
    assert.equal((await fx.api.post("workspace_status")).status, 200);
    assert.equal((await post(fx, session, "/api/access/renew", { ttl_minutes: null })).json.access.expires_at, null);
  });

  it("switches workspaces only to registered names", async () => {
    for (const name of ["nope", "../ws", "", 5]) {
      const reply = await post(fx, session, "/api/workspaces/switch", { name });
      assert.ok(reply.status === 404 || reply.status === 400, String(name));
    }
    const ok = await post(fx, session, "/api/workspaces/switch", { name: "ws" });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.workspaces.active, "ws");
  });

  it("logout ends the session", async () => {
    const mine = await login(fx);
    assert.equal((await post(fx, mine, "/api/logout")).status, 200);
    assert.equal((await get(fx, mine, "/api/state")).status, 401);
  });

  it("optional panels without a provider answer NOT_AVAILABLE", async () => {
    // The real server wires all three; a dashboard built from the core providers only has none.
    const core = coreSources({ store: fx.api.server.store, resources: fx.api.server.resources, audit: fx.api.server.app.codex.audit, localUrl: fx.api.server.localUrl });
    const bare = await startDashboard({ home: fx.api.home, port: 0, sources: core });
    try {
      const bareFx: DashFixture = { ...fx, base: bare.url, port: bare.port, host: `127.0.0.1:${bare.port}` };
      const mine = await login(bareFx);
      const state = await get(bareFx, mine, "/api/state");
      assert.deepEqual(state.json.panels, { checkpoints: false, grants: false, sandbox: null });
      assert.equal((await get(bareFx, mine, "/api/checkpoints")).json.error.code, "NOT_AVAILABLE");
      assert.equal((await post(bareFx, mine, "/api/grants/x/revoke")).json.error.code, "NOT_AVAILABLE");
      const wired = await get(fx, session, "/api/state");
      assert.equal(wired.json.panels.checkpoints, true);
      assert.equal(wired.json.panels.grants, true);
    } finally {
      core.close();
      await bare.close();
    }
  });
});
