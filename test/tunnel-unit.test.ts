import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { newConfig } from "../src/config/store.js";
import { Backoff } from "../src/tunnel/backoff.js";
import { chooseRoute } from "../src/tunnel/choose.js";
import { cloudflaredInstallHint, findCloudflared } from "../src/tunnel/find-cloudflared.js";
import { readLines } from "../src/tunnel/lines.js";
import { box, reimportNotice } from "../src/tunnel/publish.js";
import { extractQuickTunnelUrl, isTunnelServiceUrl, quickTunnelUrlFromHostname } from "../src/tunnel/quick-url.js";
import { normalizeHostname, tunnelSettings } from "../src/tunnel/settings.js";
import { tempDir } from "./helpers.js";

describe("quick tunnel URL extraction", () => {
  it("finds the URL in cloudflared's box line and nowhere else", () => {
    const box = "2026-02-21T14:24:06Z INF |  https://world-pound-folder-structured.trycloudflare.com                                   |";
    assert.equal(extractQuickTunnelUrl(box), "https://world-pound-folder-structured.trycloudflare.com");
    const noise = [
      "2026-02-21T14:24:01Z INF Requesting new quick Tunnel on trycloudflare.com...",
      '2026-02-21T14:24:01Z ERR failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": dial tcp: i/o timeout',
      "2026-02-21T14:24:01Z INF Thank you for trying Cloudflare Tunnel. (https://www.cloudflare.com/website-terms/)",
      "2026-02-21T14:24:06Z INF +--------------------------------------------------------------------------------------------+",
      "SIMULATION proxy listening on http://127.0.0.1:4567",
      "https://evil.trycloudflare.com.attacker.example/",
    ];
    for (const line of noise) assert.equal(extractQuickTunnelUrl(line), undefined, line);
  });

  it("reads the /quicktunnel hostname and refuses empty or foreign ones", () => {
    assert.equal(quickTunnelUrlFromHostname("abc-def.trycloudflare.com"), "https://abc-def.trycloudflare.com");
    for (const bad of ["", null, 42, "api.trycloudflare.com", "example.com", "a.b.trycloudflare.com"]) {
      assert.equal(quickTunnelUrlFromHostname(bad), undefined, String(bad));
    }
  });

  it("tells tunnel-service URLs from the user's own routes", () => {
    assert.equal(isTunnelServiceUrl("https://abc.trycloudflare.com"), true);
    assert.equal(isTunnelServiceUrl("https://abc.ngrok-free.app"), true);
    assert.equal(isTunnelServiceUrl("https://codex.example.com"), false);
    assert.equal(isTunnelServiceUrl("not a url"), false);
  });
});

describe("backoff with jitter", () => {
  it("doubles up to the ceiling, stays in the upper half, and starts over after reset", () => {
    const top = new Backoff({ baseMs: 1000, maxMs: 8000, random: () => 1 });
    assert.deepEqual([top.next(), top.next(), top.next(), top.next(), top.next()], [1000, 2000, 4000, 8000, 8000]);
    const bottom = new Backoff({ baseMs: 1000, maxMs: 8000, random: () => 0 });
    assert.deepEqual([bottom.next(), bottom.next(), bottom.next()], [500, 1000, 2000]);
    bottom.reset();
    assert.equal(bottom.next(), 500);
    const real = new Backoff();
    for (let i = 0; i < 20; i++) {
      const delay = real.next();
      assert.ok(delay >= 500 && delay <= 60_000, String(delay));
    }
  });
});

describe("line reader", () => {
  it("joins lines split across chunks, strips CR, and delivers a last unterminated line", async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    readLines(stream, (line) => lines.push(line));
    stream.write("INF |  https://abc-d");
    stream.write("ef.trycloudflare.com  |\r\nsecond");
    stream.end(" line");
    await new Promise((resolve) => stream.on("end", resolve));
    assert.deepEqual(lines, ["INF |  https://abc-def.trycloudflare.com  |", "second line"]);
    assert.equal(extractQuickTunnelUrl(lines[0]!), "https://abc-def.trycloudflare.com");
  });
});

describe("finding cloudflared", () => {
  it("explains how to install it on each platform", () => {
    assert.match(cloudflaredInstallHint("darwin", "arm64"), /brew install cloudflared/);
    assert.match(cloudflaredInstallHint("win32", "x64"), /winget install --id Cloudflare\.cloudflared/);
    assert.match(cloudflaredInstallHint("linux", "arm64"), /releases\/latest\/download\/cloudflared-linux-arm64/);
    assert.match(cloudflaredInstallHint("linux", "x64"), /cloudflared-linux-amd64\.deb/);
    for (const platform of ["darwin", "win32", "linux"] as const) {
      assert.match(cloudflaredInstallHint(platform, "x64"), /CHATGPT_CODEX_CLOUDFLARED=/);
    }
  });

  it("fails with the install hint when it is not on PATH, and names a bad configured path", () => {
    const settings = tunnelSettings(newConfig(), {}, {});
    assert.throws(() => findCloudflared(settings, { PATH: tempDir() }), /not found on PATH[\s\S]*Install cloudflared/);
    const bad = tunnelSettings(newConfig(), {}, { CHATGPT_CODEX_CLOUDFLARED: "/nonexistent/cloudflared" });
    assert.throws(() => findCloudflared(bad, {}), /CHATGPT_CODEX_CLOUDFLARED points to \/nonexistent\/cloudflared/);
    const dir = tempDir();
    const onPath = join(dir, "cloudflared");
    writeFileSync(onPath, "#!/bin/sh\n");
    chmodSync(onPath, 0o755);
    assert.equal(findCloudflared(settings, { PATH: dir }), onPath);
  });
});

describe("settings and route choice", () => {
  it("normalises hostnames and rejects junk", () => {
    assert.equal(normalizeHostname("https://Codex.Example.com/"), "codex.example.com");
    assert.equal(normalizeHostname(undefined), undefined);
    assert.throws(() => normalizeHostname("not a host"), /not a hostname/);
    assert.throws(() => tunnelSettings(newConfig(), {}, { CHATGPT_CODEX_TUNNEL_TIMEOUT: "soon" }), /CHATGPT_CODEX_TUNNEL_TIMEOUT/);
    assert.equal(tunnelSettings(newConfig(), {}, { CHATGPT_CODEX_TUNNEL_TIMEOUT: "3" }).urlTimeoutMs, 3000);
  });

  it("up's default: the config's provider, else keep the user's own URL, else cloudflared when found, else none", () => {
    const dir = tempDir();
    const bin = join(dir, "cloudflared");
    writeFileSync(bin, "#!/bin/sh\n");
    chmodSync(bin, 0o755);
    const found = { PATH: dir };
    const missing = { PATH: tempDir() };

    const config = newConfig();
    assert.equal(chooseRoute(config, tunnelSettings(config, {}, found), found).route, "cloudflared");
    const none = chooseRoute(config, tunnelSettings(config, {}, missing), missing);
    assert.equal(none.route, "none");
    assert.equal(none.cloudflaredMissing, true);

    config.public_base_url = "https://old-words.trycloudflare.com";
    assert.equal(chooseRoute(config, tunnelSettings(config, {}, found), found).route, "cloudflared", "a stale quick-tunnel URL is replaced");
    config.public_base_url = "https://codex.example.com";
    assert.equal(chooseRoute(config, tunnelSettings(config, {}, found), found).route, "custom", "the user's own route is kept");
    config.tunnel.provider = "ngrok";
    assert.equal(chooseRoute(config, tunnelSettings(config, {}, found), found).route, "ngrok");
  });
});

describe("re-import notice", () => {
  it("is a box naming the new schema URL and the old one, and suggests a stable route for quick tunnels", () => {
    const text = reimportNotice({ url: "https://new-one.trycloudflare.com", previous: "https://old-one.trycloudflare.com", changed: true }, false);
    assert.match(text, /re-import/i);
    assert.match(text, /https:\/\/new-one\.trycloudflare\.com\/openapi\.json/);
    assert.match(text, /old-one/);
    assert.match(text, /named cloudflared tunnel/);
    const lines = text.split("\n");
    assert.ok(lines.every((line) => line.length === lines[0]!.length), "every line of the box has the same width");
    assert.doesNotMatch(reimportNotice({ url: "https://a.example.com", previous: "https://b.example.com", changed: true }, true), /named cloudflared/);
    assert.equal(box(["x"]), "+---+\n| x |\n+---+");
  });
});
