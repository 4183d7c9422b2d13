/**
 * The status bar's route entry says whether the tunnel `up` runs is alive: from the
 * tunnel's own process (a supervisor restarting it shows "not running" meanwhile).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { startOwnerDashboard } from "../../src/dashboard/start.js";
import { tunnelView } from "../../src/dashboard/coreSources.js";
import type { TunnelHandle } from "../../src/tunnel/types.js";
import { makeHome, startServer, type TestServer } from "../helpers.js";
import { get, login, type DashFixture } from "./helpers.js";

function fakeRoute(pid: () => number | undefined): TunnelHandle {
  return { kind: "cloudflared quick tunnel", url: "https://example-tunnel.trycloudflare.com", stable: false, pid, stop: async () => undefined };
}

describe("the tunnel's state on the dashboard", () => {
  let api: TestServer;
  let fx: DashFixture;
  const child = spawn("sleep", ["300"], { stdio: "ignore" });
  let route: TunnelHandle | undefined;

  before(async () => {
    api = await startServer(makeHome());
    const dash = await startOwnerDashboard(api.home, api.server, 0, () => route);
    fx = { api, dash, base: dash.url, port: dash.server.port, host: `127.0.0.1:${dash.server.port}`, close: async () => dash.close() };
  });
  after(async () => {
    child.kill("SIGKILL");
    await fx.close();
    await api.close();
  });

  test("tunnelView: no tunnel, a live one, a dead one, one without a process", async () => {
    assert.equal(tunnelView(undefined), null);
    assert.deepEqual(tunnelView(fakeRoute(() => child.pid)), { kind: "cloudflared quick tunnel", url: "https://example-tunnel.trycloudflare.com", alive: true });
    assert.equal(tunnelView(fakeRoute(() => undefined))?.alive, null);
  });

  test("/api/state: none before up starts its tunnel, alive while it runs, not alive once its process is gone", async () => {
    const session = await login(fx);
    const state = async () => (await get(fx, session, "/api/state")).json as { public: { tunnel: { alive: boolean | null } | null } };
    assert.equal((await state()).public.tunnel, null);
    route = fakeRoute(() => child.pid);
    assert.equal((await state()).public.tunnel?.alive, true);
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await gone;
    assert.equal((await state()).public.tunnel?.alive, false);
  });
});
