import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, ConfigStore, loadConfig, newConfig, saveConfig, updateConfig } from "../src/config/store.js";
import { accessState } from "../src/access/state.js";
import { tempDir } from "./helpers.js";

describe("config store", () => {
  it("creates the folder 0700 and the file 0600", () => {
    const home = join(tempDir(), "home");
    saveConfig(home, newConfig());
    assert.equal(statSync(home).mode & 0o777, 0o700);
    assert.equal(statSync(join(home, "config.json")).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(home), ["config.json"], "no temp files left behind");
  });

  it("round-trips and keeps the token across updates", () => {
    const home = join(tempDir(), "home");
    const config = newConfig();
    saveConfig(home, config);
    const updated = updateConfig(home, (c) => {
      c.public_base_url = "https://x.example.com";
    });
    assert.equal(updated.token, config.token);
    assert.equal(loadConfig(home).public_base_url, "https://x.example.com");
  });

  for (const [label, text, pattern] of [
    ["truncated JSON", '{"token": "abc', /not valid JSON/],
    ["wrong type", JSON.stringify({ token: 42 }), /token/],
    ["short token", JSON.stringify({ token: "short" }), /token/],
    ["relative workspace", JSON.stringify({ token: "a".repeat(43), workspaces: [{ name: "x", path: "rel/path" }] }), /absolute/],
    ["bad URL", JSON.stringify({ token: "a".repeat(43), public_base_url: "not a url" }), /public_base_url/],
    ["bad deny regex", JSON.stringify({ token: "a".repeat(43), policy: { deny: [{ name: "x", pattern: "([" }] } }), /policy\.deny\.0\.pattern: not a valid regular expression/],
  ] as const) {
    it(`refuses a corrupt file (${label}) with a clear error and leaves it untouched`, () => {
      const home = tempDir();
      const file = join(home, "config.json");
      writeFileSync(file, text);
      assert.throws(
        () => loadConfig(home),
        (error: unknown) => error instanceof ConfigError && error.message.includes(file) && pattern.test(error.message),
      );
      assert.throws(() => updateConfig(home, () => {}, { create: true }), ConfigError);
      assert.equal(readFileSync(file, "utf8"), text, "file must not be reset or overwritten");
    });
  }

  it("a missing file is a 'missing' error that says what to run", () => {
    const home = join(tempDir(), "none");
    assert.throws(() => loadConfig(home), (e: unknown) => e instanceof ConfigError && e.kind === "missing" && /register/.test(e.message));
    assert.equal(existsSync(home), false);
  });

  it("ConfigStore reloads on change (checked once per event-loop turn); a broken file keeps the last good config, access paused when the token is gone", async () => {
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    const home = tempDir();
    const config = newConfig();
    saveConfig(home, config);
    const store = new ConfigStore(home);
    assert.equal(store.current().token, config.token);
    await nextTurn();
    const rotated = updateConfig(home, (c) => {
      c.token = `cgc_${"b".repeat(43)}`;
    });
    assert.equal(store.current().token, rotated.token);
    // A change made by another process within the same turn shows from the next turn on.
    updateConfig(home, (c) => {
      c.token = `cgc_${"c".repeat(43)}`;
    });
    assert.equal(store.current().token, rotated.token);
    await nextTurn();
    assert.equal(store.current().token, `cgc_${"c".repeat(43)}`);
    assert.equal(accessState(store.current()).active, true);
    // "{ broken" no longer holds the token: the owner may have meant to replace it.
    writeFileSync(join(home, "config.json"), "{ broken");
    await nextTurn();
    assert.equal(store.current().token, `cgc_${"c".repeat(43)}`, "the last good config, not an error");
    assert.equal(accessState(store.current()).state, "suspended");
    assert.equal(store.trouble()?.paused, "token");
    await nextTurn();
    assert.equal(accessState(store.current()).state, "suspended", "stays paused until fixed");
    saveConfig(home, config);
    await nextTurn();
    assert.equal(store.current().token, config.token);
    assert.equal(accessState(store.current()).active, true);
    assert.equal(store.trouble(), null);
    store.close();
  });

  it("a file that never loaded has nothing to keep: the store throws its error", () => {
    const home = tempDir();
    writeFileSync(join(home, "config.json"), "{ broken");
    assert.throws(() => new ConfigStore(home).current(), (e: unknown) => e instanceof ConfigError && e.kind === "invalid");
  });

  it("names the line and column of a JSON error, and never quotes the file's text (it may hold the token)", () => {
    const home = tempDir();
    const config = newConfig();
    const good = `${JSON.stringify(config, null, 2)}\n`;
    // V8 quotes the text around an unexpected token: here the start of a token written without its quotes.
    const broken = good.replace(`"token": "${config.token}",`, `"token": ${config.token},`);
    assert.notEqual(broken, good);
    let parserWords = "";
    try {
      JSON.parse(broken);
    } catch (error) {
      parserWords = (error as Error).message;
    }
    const secret = config.token.slice(4, 10);
    assert.ok(parserWords.includes(secret), `precondition: the parser's own message quotes the token: ${parserWords}`);
    writeFileSync(join(home, "config.json"), broken);
    const lineOfToken = broken.split("\n").findIndex((line) => line.includes(`"token": cgc_`)) + 1;
    assert.throws(
      () => loadConfig(home),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.problem.line === lineOfToken &&
        e.problem.column === broken.split("\n")[lineOfToken - 1]!.indexOf("cgc_") + 1 &&
        e.message.includes(`line ${lineOfToken}, column`) &&
        !e.message.includes(secret) &&
        !JSON.stringify(e.problem).includes(secret),
    );
  });
});
