/**
 * The setup panel's hint while there is no public URL: the dashboard lives inside the running
 * server (serve, or up without a tunnel), so "run up" would name the thing already running.
 * It names a tunnel beside this server (its real port) or a restart with one, runnable as printed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { launcherPrefix } from "../../src/ground/launcher.js";
import { WORDS } from "../../src/dashboard/web/i18n.js";
import { get, login, startWithDashboard, type DashFixture, type Login } from "./helpers.js";

let fx: DashFixture;
let session: Login;

before(async () => {
  fx = await startWithDashboard((config) => (config.public_base_url = null));
  session = await login(fx);
});
after(async () => fx.close());

describe("dashboard: the hint without a public URL", () => {
  it("names `tunnel --port <this server's port>` and a restart with a tunnel, with the launcher's prefix", async () => {
    const state = await get(fx, session, "/api/state");
    assert.equal(state.status, 200, state.text);
    const pub = state.json.public as { public_base_url: string | null; tunnel_command: string; restart_command: string };
    assert.equal(pub.public_base_url, null, "the precondition: no public URL");
    const port = new URL(fx.api.url).port;
    assert.equal(pub.tunnel_command, `${launcherPrefix()} tunnel --port ${port}`);
    assert.equal(pub.restart_command, `${launcherPrefix()} up --tunnel cloudflared`);
    for (const lang of ["en", "zh"] as const) {
      const text = WORDS[lang].no_public_url;
      assert.match(text, /\{tunnel\}/, lang);
      assert.match(text, /\{restart\}/, lang);
      assert.doesNotMatch(text, /chatgpt-codex up/, `${lang}: no fixed command that names the running server`);
    }
  });
});
