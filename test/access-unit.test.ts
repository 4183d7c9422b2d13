import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { accessState, expiryFromTtl } from "../src/access/state.js";
import { generateToken, verifyBearer } from "../src/access/token.js";
import { redactText } from "../src/ground/redact.js";
import { newConfig } from "../src/config/store.js";
import { cliCommand } from "../src/ground/launcher.js";

describe("token", () => {
  it("has 256 random bits in 43+ URL-safe characters with a prefix", () => {
    const tokens = new Set(Array.from({ length: 200 }, generateToken));
    assert.equal(tokens.size, 200);
    for (const token of tokens) {
      assert.match(token, /^cgc_[A-Za-z0-9_-]{43}$/);
    }
  });

  it("verifyBearer accepts only the exact Bearer header", () => {
    const token = generateToken();
    assert.equal(verifyBearer(`Bearer ${token}`, token), true);
    const refused: (string | undefined)[] = [
      undefined,
      "",
      token,
      `bearer ${token}`,
      `Basic ${token}`,
      `Bearer  ${token}`,
      `Bearer ${token} `,
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`,
      "Bearer ",
      "Bearer",
      `Bearer ${token},Bearer ${token}`,
      `Token ${token}`,
    ];
    for (const header of refused) assert.equal(verifyBearer(header, token), false, `accepted ${JSON.stringify(header)}`);
    assert.equal(verifyBearer("Bearer ", ""), false);
  });

  it("redactText removes every occurrence, with or without the prefix", () => {
    const token = generateToken();
    const bare = token.slice(token.indexOf("_") + 1);
    assert.equal(redactText(`a ${token} b ${bare}`, token), "a cgc_[redacted] b [redacted]");
  });
});

describe("accessState", () => {
  const now = new Date("2026-01-01T12:00:00Z");

  it("is active with no expiry by default", () => {
    const state = accessState(newConfig(), now);
    assert.deepEqual(state, { active: true, state: "active", expires_at: null, reason: null });
  });

  it("expires at the TTL", () => {
    const config = newConfig();
    config.access.expires_at = expiryFromTtl(60, now);
    assert.equal(accessState(config, new Date(now.getTime() + 59 * 60_000)).active, true);
    const later = accessState(config, new Date(now.getTime() + 60 * 60_000));
    assert.equal(later.active, false);
    assert.equal(later.state, "expired");
    assert.match(later.reason ?? "", /expired/);
  });

  it("revoked wins over a future expiry", () => {
    const config = newConfig();
    config.access.expires_at = expiryFromTtl(60, now);
    config.access.revoked_at = now.toISOString();
    const state = accessState(config, now);
    assert.equal(state.state, "revoked");
    assert.equal(state.active, false);
  });

  it("the reasons (shown by doctor and status) name each command with the launcher's prefix, runnable as printed", () => {
    const config = newConfig();
    config.access.revoked_at = now.toISOString();
    assert.ok(accessState(config, now).reason?.includes(`\`${cliCommand("channel renew")}\``));
    config.access.revoked_at = null;
    config.access.expires_at = expiryFromTtl(1, now);
    const reason = accessState(config, new Date(now.getTime() + 120_000)).reason ?? "";
    assert.ok(reason.includes(`\`${cliCommand("channel renew --ttl-minutes N")}\``), reason);
    // Before: a bare `access grant`, which no shell runs.
    assert.ok(reason.includes(`\`${cliCommand("access grant")}\``), reason);
  });
});
