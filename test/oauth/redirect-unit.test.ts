/** The redirect allow list and the pairing code, as pure units. */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { describe, it } from "node:test";
import { DEFAULT_REDIRECT_ALLOW } from "../../src/config/schema.js";
import { consumePairingCode, createPairingCode, pairingFile, pairingPending } from "../../src/oauth/pairing.js";
import { redirectAllowed } from "../../src/oauth/redirect.js";
import { scopeOf } from "../../src/oauth/scopes.js";
import { ACTIONS } from "../../src/actions/registry.js";
import { tempDir } from "../helpers.js";

describe("redirect allow list", () => {
  const allowed = [
    "https://chatgpt.com/connector_platform_oauth_redirect",
    "https://chatgpt.com/connector/oauth/abc123",
    "https://chatgpt.com/connector/oauth/a/b",
    "http://127.0.0.1:33418/callback",
    "http://127.0.0.1:9/",
    "http://localhost:8080/cb",
  ];
  for (const uri of allowed) {
    it(`allows ${uri}`, () => assert.equal(redirectAllowed(uri, DEFAULT_REDIRECT_ALLOW), true));
  }

  const refused = [
    "https://chatgpt.com.evil/connector_platform_oauth_redirect",
    "https://chatgpt.com.evil.com/connector/oauth/x",
    "https://chatgpt.com@evil.com/connector/oauth/x",
    "https://chatgpt.com@evil/",
    "https://user:pw@chatgpt.com/connector/oauth/x",
    "https://evil.com/chatgpt.com/connector/oauth/x",
    "https://chatgpt.com/connector_platform_oauth_redirect/../../evil",
    "https://chatgpt.com/connector_platform_oauth_redirect?next=https://evil",
    "https://chatgpt.com/connector_platform_oauth_redirect#frag",
    "https://chatgpt.com/connector_platform_oauth_redirectX",
    "https://chatgpt.com/connector/oauth/",
    "https://chatgpt.com/connector/oauth/../../evil",
    "https://chatgpt.com/connector/oauth/%2e%2e/%2e%2e/evil",
    "https://chatgpt.com/connector/oauth/x%2F..%2Fevil",
    "https://chatgpt.com/connector/oauth/x%5Cevil",
    "https://chatgpt.com/connector/oauth\\x",
    "https://chatgpt.com/connector/oauthx/abc",
    "https://chatgpt.com/connector/oauth/x?redirect=https://evil",
    "https://CHATGPT.com/connector/oauth/x",
    "https://chatgpt.com:444/connector/oauth/x",
    "http://chatgpt.com/connector/oauth/x",
    "https://chatgpt.com./connector/oauth/x",
    "https://xn--chatgpt-evil.com/connector/oauth/x",
    "https://chatgpt.com%2eevil.com/connector/oauth/x",
    "https://127.0.0.1:8080/cb",
    "http://127.0.0.1.evil.com:80/cb",
    "http://127.0.0.2:80/cb",
    "http://localhost.evil.com/cb",
    "http://evil.com/cb",
    "http://[::ffff:7f00:1]:80/cb",
    "javascript:alert(1)",
    "data:text/html,hi",
    "file:///etc/passwd",
    " https://chatgpt.com/connector_platform_oauth_redirect",
    "https://chatgpt.com/connector_platform_oauth_redirect ",
    "",
    `https://chatgpt.com/connector/oauth/${"a".repeat(3000)}`,
  ];
  for (const uri of refused) {
    it(`refuses ${JSON.stringify(uri.slice(0, 80))}`, () => assert.equal(redirectAllowed(uri, DEFAULT_REDIRECT_ALLOW), false));
  }

  it("a custom list replaces the defaults", () => {
    const custom = ["https://example.org/cb"];
    assert.equal(redirectAllowed("https://example.org/cb", custom), true);
    assert.equal(redirectAllowed("https://example.org/cb2", custom), false);
    assert.equal(redirectAllowed("https://chatgpt.com/connector_platform_oauth_redirect", custom), false);
    assert.equal(redirectAllowed("http://127.0.0.1:5/cb", custom), false);
  });
});

describe("pairing code", () => {
  it("is one-time, hashed at rest, 0600, and accepts what a person types", () => {
    const home = tempDir();
    const { code } = createPairingCode(home);
    assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    const file = readFileSync(pairingFile(home), "utf8");
    assert.ok(!file.includes(code) && !file.includes(code.replace("-", "")), "the code is not stored in clear");
    assert.equal(statSync(pairingFile(home)).mode & 0o777, 0o600);
    assert.equal(consumePairingCode(home, ` ${code.toLowerCase().replace("-", " ")} `), "ok");
    assert.equal(consumePairingCode(home, code), "none", "used once");
  });

  it("expires after 10 minutes", () => {
    const home = tempDir();
    const made = new Date("2030-01-01T00:00:00Z");
    const { code } = createPairingCode(home, made);
    assert.equal(consumePairingCode(home, code, new Date(made.getTime() + 10 * 60_000 + 1)), "expired");
    assert.equal(existsSync(pairingFile(home)), false);
  });

  it("wrong tries do not wear the code out (counting them is the consent page's job)", () => {
    const home = tempDir();
    const { code } = createPairingCode(home);
    const before = readFileSync(pairingFile(home), "utf8");
    for (let i = 0; i < 50; i++) assert.equal(consumePairingCode(home, `AAAA-AA${String(i).padStart(2, "2")}`), "wrong");
    assert.equal(readFileSync(pairingFile(home), "utf8"), before, "a wrong try writes nothing");
    assert.ok(pairingPending(home));
    assert.equal(consumePairingCode(home, code), "ok");
  });

  it("a new code replaces the old one", () => {
    const home = tempDir();
    const first = createPairingCode(home).code;
    const second = createPairingCode(home).code;
    if (first !== second) assert.equal(consumePairingCode(home, first), "wrong");
    assert.equal(consumePairingCode(home, second), "ok");
  });

  it("empty or absurd input is just wrong", () => {
    const home = tempDir();
    createPairingCode(home);
    assert.equal(consumePairingCode(home, ""), "wrong");
    assert.equal(consumePairingCode(home, "x".repeat(100_000)), "wrong");
  });
});

describe("scopes", () => {
  it("every registered action needs exactly one known scope", () => {
    for (const action of ACTIONS) assert.ok(["workspace.read", "workspace.write", "commands"].includes(scopeOf(action)), action.name);
    assert.equal(scopeOf({ name: "read_file", readOnly: true }), "workspace.read");
    assert.equal(scopeOf({ name: "write_file", readOnly: false }), "workspace.write");
    assert.equal(scopeOf({ name: "command_output", readOnly: true }), "commands");
    assert.equal(scopeOf({ name: "exec_command", readOnly: false }), "commands");
  });
});
