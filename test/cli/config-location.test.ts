import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { configLocation, isProjectCheckout, migrateOldConfig, userConfigHome } from "../../src/config/paths.js";

const tmp = mkdtempSync(join(tmpdir(), "cgc-location-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("config location (contract §13)", () => {
  const userHome = join(tmp, "home");
  const checkout = join(tmp, "checkout");
  const installed = join(tmp, "prefix", "lib", "node_modules", "chatgpt-codex");
  mkdirSync(join(checkout, ".git"), { recursive: true });
  mkdirSync(installed, { recursive: true });

  it("CHATGPT_CODEX_HOME wins over everything", () => {
    const where = configLocation({ env: { CHATGPT_CODEX_HOME: "/x/y" }, platform: "linux", userHome, toolRoot: checkout });
    assert.deepEqual(where, { home: "/x/y", source: "env" });
  });

  it("a git checkout of the project keeps .chatgpt-codex/ at its root (the brief)", () => {
    assert.equal(isProjectCheckout(checkout), true);
    assert.deepEqual(configLocation({ env: {}, platform: "linux", userHome, toolRoot: checkout }), { home: join(checkout, ".chatgpt-codex"), source: "checkout" });
  });

  it("an installed package uses the user's config folder: XDG, ~/.config, %APPDATA%", () => {
    assert.equal(isProjectCheckout(installed), false);
    // Even a .git inside node_modules (a git dependency) is not a checkout of ours.
    mkdirSync(join(installed, ".git"), { recursive: true });
    assert.equal(isProjectCheckout(installed), false);
    assert.deepEqual(configLocation({ env: {}, platform: "linux", userHome, toolRoot: installed }), { home: join(userHome, ".config", "chatgpt-codex"), source: "user" });
    assert.equal(userConfigHome({ env: { XDG_CONFIG_HOME: "/xdg" }, platform: "linux", userHome }), "/xdg/chatgpt-codex");
    assert.equal(userConfigHome({ env: { XDG_CONFIG_HOME: "relative/ignored" }, platform: "darwin", userHome }), join(userHome, ".config", "chatgpt-codex"));
    assert.equal(userConfigHome({ env: { APPDATA: "C:\\Users\\me\\AppData\\Roaming" }, platform: "win32", userHome }), join("C:\\Users\\me\\AppData\\Roaming", "chatgpt-codex"));
  });

  it("moves a config an old version left inside the package folder, once, keeping the old copy", () => {
    const old = join(installed, ".chatgpt-codex");
    mkdirSync(old, { recursive: true, mode: 0o700 });
    writeFileSync(join(old, "config.json"), '{"token":"x"}\n', { mode: 0o600 });
    const facts = { env: {}, platform: "linux" as const, userHome, toolRoot: installed };
    const where = configLocation(facts);
    assert.equal(migrateOldConfig(where, facts), old);
    assert.equal(readFileSync(join(where.home, "config.json"), "utf8"), '{"token":"x"}\n');
    assert.equal(statSync(join(where.home, "config.json")).mode & 0o777, 0o600);
    assert.equal(statSync(where.home).mode & 0o777, 0o700);
    assert.ok(existsSync(join(old, "config.json")), "the old copy stays");
    // A second run finds a config in place and does nothing.
    writeFileSync(join(where.home, "config.json"), '{"token":"newer"}\n');
    assert.equal(migrateOldConfig(where, facts), null);
    assert.equal(readFileSync(join(where.home, "config.json"), "utf8"), '{"token":"newer"}\n');
    // Never from a checkout or an explicit home.
    assert.equal(migrateOldConfig({ home: join(tmp, "elsewhere"), source: "env" }, facts), null);
  });
});
