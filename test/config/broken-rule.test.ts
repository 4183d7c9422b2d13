/**
 * The rule a running server applies to a config file that stops loading
 * (src/config/broken.ts): an edit that might take access away pauses access; one
 * that cannot keeps the last good config. Each narrowing case first shows that the
 * same edit, written validly, really narrows access.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { accessState } from "../../src/access/state.js";
import { generateToken } from "../../src/access/token.js";
import { mayNarrowAccess } from "../../src/config/broken.js";
import { ConfigSchema, type Config } from "../../src/config/schema.js";
import { newConfig } from "../../src/config/store.js";
import { broken, savedText } from "./helpers.js";

function lastGood(): Config {
  const config = newConfig();
  config.workspaces.push({ name: "app", path: "/srv/app" }, { name: "secrets", path: "/srv/secret stuff" });
  config.active_workspace = "app";
  config.access.expires_at = new Date(Date.now() + 3_600_000).toISOString();
  config.tunnel.cloudflared_token_file = "/etc/cloudflared/token.json";
  return ConfigSchema.parse(config);
}

const copy = (config: Config): Config => structuredClone(config);

describe("a broken config file that may take access away pauses access", () => {
  const cases: { name: string; want: "token" | "access" | "workspaces"; edit: (good: Config) => string; intent: (good: Config, text: string) => void }[] = [
    {
      name: "a revoke by hand",
      want: "access",
      edit: (good) => {
        const c = copy(good);
        c.access.revoked_at = new Date().toISOString();
        return savedText(c);
      },
      intent: (_good, text) => assert.equal(accessState(ConfigSchema.parse(JSON.parse(text))).active, false),
    },
    {
      name: "an expiry moved into the past",
      want: "access",
      edit: (good) => {
        const c = copy(good);
        c.access.expires_at = new Date(Date.now() - 60_000).toISOString();
        return savedText(c);
      },
      intent: (_good, text) => assert.equal(accessState(ConfigSchema.parse(JSON.parse(text))).state, "expired"),
    },
    {
      name: "an expiry moved earlier (still ahead)",
      want: "access",
      edit: (good) => {
        const c = copy(good);
        c.access.expires_at = new Date(Date.now() + 60_000).toISOString();
        return savedText(c);
      },
      intent: (good, text) => assert.ok(Date.parse(JSON.parse(text).access.expires_at) < Date.parse(good.access.expires_at!)),
    },
    {
      name: "a second revoked_at line (the later one wins in JSON)",
      want: "access",
      edit: (good) => savedText(good).replace(`"revoked_at": null,`, `"revoked_at": null,\n    "revoked_at": "${new Date().toISOString()}",`),
      intent: (_good, text) => assert.ok(JSON.parse(text).access.revoked_at),
    },
    {
      name: "a new token pasted in",
      want: "token",
      edit: (good) => {
        const c = copy(good);
        c.token = generateToken();
        return savedText(c);
      },
      intent: (good, text) => assert.notEqual(JSON.parse(text).token, good.token),
    },
    {
      name: "a second token line below the old one",
      want: "token",
      edit: (good) => savedText(good).replace(`"token": "${good.token}",`, `"token": "${good.token}",\n  "token": "${generateToken()}",`),
      intent: (good, text) => assert.notEqual(JSON.parse(text).token, good.token),
    },
    {
      name: "a second token written as a bare key (only valid after the fix it needs anyway)",
      want: "token",
      edit: (good) => savedText(good).replace(`"token": "${good.token}",`, `"token": "${good.token}",\n  token: "${generateToken()}",`),
      intent: (good, text) => assert.ok(text.includes(good.token) && /\n {2}token: "cgc_/.test(text), "the old token is still in the text"),
    },
    {
      name: "a second token in single quotes",
      want: "token",
      edit: (good) => savedText(good).replace(`"token": "${good.token}",`, `"token": "${good.token}",\n  'token': '${generateToken()}',`),
      intent: (good, text) => assert.ok(text.includes(good.token), "the old token is still in the text"),
    },
    {
      name: "the token deleted",
      want: "token",
      edit: (good) => savedText(good).replace(`  "token": "${good.token}",\n`, ""),
      intent: (good, text) => assert.ok(!text.includes(good.token)),
    },
    {
      name: "a workspace removed",
      want: "workspaces",
      edit: (good) => {
        const c = copy(good);
        c.workspaces = c.workspaces.filter((w) => w.name !== "secrets");
        return savedText(c);
      },
      intent: (_good, text) => assert.ok(!JSON.parse(text).workspaces.some((w: { path: string }) => w.path === "/srv/secret stuff")),
    },
    {
      name: "a workspace pointed at a narrower folder",
      want: "workspaces",
      edit: (good) => {
        const c = copy(good);
        c.workspaces[1]!.path = "/srv/secret stuff/public";
        return savedText(c);
      },
      intent: (_good, text) => assert.ok(!JSON.parse(text).workspaces.some((w: { path: string }) => w.path === "/srv/secret stuff")),
    },
  ];

  for (const { name, want, edit, intent } of cases) {
    it(`${name} → ${want}`, () => {
      const good = lastGood();
      const edited = edit(good);
      assert.equal(mayNarrowAccess(savedText(good), good), null, "the unchanged text narrows nothing");
      // The precondition: this edit, were the file valid, would narrow access.
      intent(good, edited);
      assert.equal(mayNarrowAccess(broken(edited), good), want);
    });
  }
});

describe("a broken config file that cannot take access away keeps the last good config", () => {
  const cases: { name: string; edit: (good: Config) => string }[] = [
    { name: "only a syntax error", edit: (good) => savedText(good) },
    {
      name: "a workspace added",
      edit: (good) => {
        const c = copy(good);
        c.workspaces.push({ name: "more", path: "/srv/more" });
        return savedText(c);
      },
    },
    {
      name: "the expiry removed (wider; the last good, narrower one stays)",
      edit: (good) => savedText(good).replace(/\n {4}"expires_at": "[^"]+",/, ""),
    },
    {
      name: "settings whose names contain the word token",
      edit: (good) => {
        const c = copy(good);
        c.tunnel.cloudflared_token_file = "/elsewhere/token";
        c.oauth.access_token_seconds = 60;
        return savedText(c);
      },
    },
    {
      name: "the policy, the sandbox and the port changed",
      edit: (good) => {
        const c = copy(good);
        c.policy.deny.push({ name: "no-curl", pattern: "curl" });
        c.sandbox.network = "off";
        c.server.port = 9000;
        return savedText(c);
      },
    },
  ];
  for (const { name, edit } of cases) {
    it(name, () => {
      const good = lastGood();
      assert.equal(mayNarrowAccess(broken(edit(good)), good), null);
    });
  }

  it("a schema error (a bad port) with the token, access and workspaces untouched", () => {
    const good = lastGood();
    const text = savedText(good).replace(`"port": 8766`, `"port": 99999`);
    assert.throws(() => ConfigSchema.parse(JSON.parse(text)), "precondition: the port makes the file invalid");
    assert.equal(mayNarrowAccess(text, good), null);
  });
});
