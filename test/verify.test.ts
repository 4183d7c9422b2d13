import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { updateConfig } from "../src/config/store.js";
import { httpsCheck, isLoopbackUrl } from "../src/verify/base-url.js";
import { runVerify } from "../src/verify/checks.js";
import { exitCodeOf, formatFixes, formatTable } from "../src/verify/report.js";
import { makeHome, runCliAsync, startServer } from "./helpers.js";

function rowOf(stdout: string, name: string): string {
  return stdout.split("\n").find((line) => line.includes(` ${name} `) || line.endsWith(` ${name}`)) ?? "";
}

describe("verify (CLI, against a real server)", () => {
  it("passes every check on a loopback URL, says http is accepted only there, never prints the token", async () => {
    const s = await startServer();
    try {
      const result = await runCliAsync(["verify", "--base-url", s.url], s.home);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      for (const name of ["https", "GET /health", "GET /openapi.json", "GET /privacy", "POST without token", "POST with token"]) {
        assert.match(rowOf(result.stdout, name), /^OK/, `${name}: ${result.stdout}`);
      }
      assert.match(result.stdout, /loopback http accepted/);
      assert.match(result.stdout, /6 passed, 0 failed/);
      assert.ok(!result.stdout.includes(s.token) && !result.stderr.includes(s.token));
    } finally {
      await s.close();
    }
  });

  it("uses the configured public URL by default, and warns with a fix when there is none (a local-only setup)", async () => {
    const s = await startServer(makeHome({ change: (c) => (c.public_base_url = null) }));
    try {
      const none = await runCliAsync(["verify"], s.home);
      assert.equal(none.code, 0, none.stdout);
      assert.match(none.stdout, /WARN\s+base URL/);
      assert.match(none.stdout, /What to do:[\s\S]*set-public-url/);
      // servers[0].url is the local URL when no public one is set: the direct loopback check matches it.
      updateConfig(s.home, (c) => (c.public_base_url = s.url));
      const byDefault = await runCliAsync(["verify"], s.home);
      assert.equal(byDefault.code, 0, byDefault.stdout);
      assert.match(byDefault.stdout, new RegExp(`Verifying ${s.url}`));
    } finally {
      await s.close();
    }
  });

  it("fails with what to do when nothing answers", async () => {
    const s = await startServer();
    const url = s.url;
    await s.close();
    const result = await runCliAsync(["verify", "--base-url", url], s.home);
    assert.equal(result.code, 1);
    assert.match(rowOf(result.stdout, "GET /health"), /^FAIL .*connection refused/);
    assert.match(rowOf(result.stdout, "POST with token"), /^FAIL .*not checked/);
    assert.match(result.stdout, /What to do:\n {2}GET \/health: start the server/);
  });

  it("names a token mismatch, a URL mismatch and a revoked channel, each with a fix", async () => {
    const s = await startServer();
    try {
      const other = makeHome({ change: (c) => (c.public_base_url = "https://other.example.com") });
      const mismatch = await runCliAsync(["verify", "--base-url", s.url], other.home);
      assert.equal(mismatch.code, 1);
      assert.match(rowOf(mismatch.stdout, "POST with token"), /^FAIL .*401/);
      assert.match(rowOf(mismatch.stdout, "GET /openapi.json"), /^FAIL .*servers\[0\]\.url is https:\/\/example-tunnel\.trycloudflare\.com/);
      assert.match(mismatch.stdout, /POST with token: the server uses another config/);

      updateConfig(s.home, (c) => (c.access.revoked_at = new Date().toISOString()));
      const revoked = await runCliAsync(["verify", "--base-url", s.url], s.home);
      assert.equal(revoked.code, 1);
      assert.match(rowOf(revoked.stdout, "POST with token"), /^FAIL .*ACCESS_EXPIRED/);
      assert.match(revoked.stdout, /chatgpt-codex channel renew/);
    } finally {
      await s.close();
    }
  });

  it("treats a malformed --base-url as wrong usage (exit 2)", async () => {
    const result = await runCliAsync(["verify", "--base-url", "not a url"], makeHome().home);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /not a URL/);
  });
});

describe("verify checks (in process)", () => {
  it("demands https for a public URL and accepts http only on loopback", () => {
    assert.equal(httpsCheck(new URL("https://codex.example.com")).result, "ok");
    const plain = httpsCheck(new URL("http://codex.example.com"));
    assert.equal(plain.result, "fail");
    assert.match(plain.fix ?? "", /https/);
    for (const url of ["http://127.0.0.1:8766", "http://localhost:1", "http://[::1]:8766", "http://127.0.0.2:80"]) {
      assert.equal(isLoopbackUrl(new URL(url)), true, url);
      assert.match(httpsCheck(new URL(url)).detail, /loopback http accepted/);
    }
    for (const url of ["http://127.0.0.1.example.com", "http://10.0.0.1", "http://localhost.example.com"]) {
      assert.equal(isLoopbackUrl(new URL(url)), false, url);
    }
  });

  it("flags a route that answers actions without a token", async () => {
    // Not our server: something that says it is and answers every POST.
    const impostor = createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const openapi = { openapi: "3.1.0", servers: [{ url: `http://127.0.0.1:${(impostor.address() as AddressInfo).port}` }] };
      res.end(JSON.stringify(req.url === "/openapi.json" ? openapi : { name: "chatgpt-codex", version: "x", active_workspace: "ws" }));
    });
    await new Promise<void>((resolve) => impostor.listen(0, "127.0.0.1", resolve));
    try {
      const rows = await runVerify({ baseUrl: `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`, token: "cgc_x" });
      const open = rows.find((row) => row.name === "POST without token")!;
      assert.equal(open.result, "fail");
      assert.match(open.detail, /WITHOUT a token/);
      assert.equal(exitCodeOf(rows), 1);
      assert.match(formatFixes(rows), /stop this route now/);
      assert.match(formatTable(rows), /FAIL\s+POST without token/);
    } finally {
      impostor.close();
    }
  });
});
