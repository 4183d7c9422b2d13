import assert from "node:assert/strict";
import { it } from "node:test";
import { AuthThrottle, clientKey } from "../../src/server/throttle.js";
import { startServer } from "../helpers.js";

it("the throttle: 429 after at most the limit per client within a window, reset after two windows", () => {
  const t = new AuthThrottle(() => 50, 60_000, 10_000);
  const base = 1_000 * 60_000;
  for (let i = 0; i < 50; i++) assert.equal(t.recordFailure("a", base + i), 0, `failure ${i + 1}`);
  assert.ok(t.recordFailure("a", base + 100) > 0, "the 51st failure within a minute is refused");
  // Just after the window boundary, the previous window still counts: no burst of 50 more.
  assert.ok(t.recordFailure("a", base + 60_001) > 0);
  assert.equal(t.recordFailure("a", base + 120_001), 0, "two windows later the client starts fresh");
  // Straddling a boundary: 49 late in one window, then at most 1 more in the next.
  const u = new AuthThrottle(() => 50, 60_000, 10_000);
  for (let i = 0; i < 49; i++) assert.equal(u.recordFailure("b", base + 59_000), 0);
  assert.equal(u.recordFailure("b", base + 60_500), 0);
  assert.ok(u.recordFailure("b", base + 60_600) > 0, "never more than 50 within any minute");
});

it("a client over its limit is no longer recorded; fresh names cannot grow memory or exhaust the valid path", () => {
  const t = new AuthThrottle(() => 50, 60_000, 500, 1024);
  const now = 5_000 * 60_000;
  for (let i = 0; i < 50; i++) t.recordFailure("attacker", now);
  for (let i = 0; i < 20_000; i++) assert.ok(t.recordFailure("attacker", now) > 0);
  assert.equal(t.recordFailure("someone-else", now), 0, "the attacker's refused attempts did not fill the global ceiling");
  // 100,000 fresh client names: bounded map, and the global ceiling answers 429 after 500 failures.
  let refused = 0;
  for (let i = 0; i < 100_000; i++) if (t.recordFailure(`fresh-${i}`, now) > 0) refused++;
  assert.ok(t.size <= 1024, `${t.size} clients kept`);
  assert.ok(refused >= 100_000 - 500, `${refused} refused`);
});

it("forwarded addresses are trusted only from a tunnel this process started, and only that tunnel's header", () => {
  const headers = { "cf-connecting-ip": "203.0.113.9", "x-forwarded-for": "198.51.100.1, 198.51.100.2" };
  for (const socket of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) {
    assert.equal(clientKey(socket, headers, null), socket, "no tunnel of ours: loopback is one client");
    assert.equal(clientKey(socket, headers, "cloudflared"), "tunnel>203.0.113.9");
    assert.equal(clientKey(socket, headers, "ngrok"), "tunnel>198.51.100.2");
    assert.equal(clientKey(socket, { "x-forwarded-for": ["1.1.1.1", "2.2.2.2, 3.3.3.3"] }, "ngrok"), "tunnel>3.3.3.3");
    assert.equal(clientKey(socket, {}, "cloudflared"), socket);
  }
  assert.equal(clientKey("192.0.2.7", headers, "cloudflared"), "192.0.2.7", "a non-loopback peer is itself, whatever it says");
  assert.equal(clientKey("192.0.2.7", headers, null), "192.0.2.7");
  assert.ok(clientKey("127.0.0.1", { "cf-connecting-ip": "x".repeat(10_000) }, "cloudflared").length < 100, "bounded key");
});

it("a flood of wrong tokens with rotating forwarded headers gets no fresh clients; valid calls succeed throughout", async () => {
  const s = await startServer();
  try {
    let unauthorized = 0;
    let limited = 0;
    let validOk = 0;
    for (let batch = 0; batch < 30; batch++) {
      const wrong = Array.from({ length: 20 }, (_, i) => {
        const n = batch * 20 + i;
        return s.post("workspace_status", {}, {
          token: `cgc_wrong${n}`,
          headers: { "cf-connecting-ip": `203.0.113.${n % 250}`, "x-forwarded-for": `198.51.100.${n % 250}`, "x-real-ip": `192.0.2.${n % 250}` },
        });
      });
      const valid = s.post("workspace_status", {}, { headers: { "cf-connecting-ip": "203.0.113.1" } });
      for (const reply of await Promise.all(wrong)) {
        if (reply.status === 401) unauthorized++;
        else if (reply.status === 429) {
          limited++;
          assert.ok(Number(reply.headers.get("retry-after")) >= 1);
          assert.equal(reply.json.error.code, "RATE_LIMITED");
        } else assert.fail(`unexpected ${reply.status}`);
      }
      const ok = await valid;
      assert.equal(ok.status, 200, `a valid call during the flood: ${ok.status}`);
      validOk++;
    }
    assert.ok(unauthorized <= 50, `${unauthorized} wrong tokens answered 401 before the 429s (rotating headers must not make fresh clients)`);
    assert.equal(unauthorized + limited, 600);
    assert.equal(validOk, 30);
  } finally {
    await s.close();
  }
});
