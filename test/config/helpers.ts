/** Config files as an owner edits them by hand: the text a save writes, changed, and broken. */
import assert from "node:assert/strict";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../src/config/schema.js";
import { ConfigError, loadConfig } from "../../src/config/store.js";

/** The text `saveConfig` writes for this config. */
export function savedText(config: Config): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * The same text with one syntax error far from the token, the access times and the
 * workspaces (the comma after `"version": 1`), the way a hand edit breaks a file.
 */
export function broken(text: string): string {
  const out = text.replace(/("version": 1),/, "$1");
  assert.notEqual(out, text, "the text has a version line to break");
  assert.throws(() => JSON.parse(out), SyntaxError, "the broken text is really not JSON");
  return out;
}

/** Write the config file of `home` as an editor would (in place), and check it really does not load. */
export function writeBroken(home: string, text: string): void {
  // Whole or not at all (a rename), as an editor saves: a half-written file would be one more change for the server to report.
  const temp = join(home, ".config.json.writing");
  writeFileSync(temp, text, { mode: 0o600 });
  renameSync(temp, join(home, "config.json"));
  assert.throws(() => loadConfig(home), ConfigError, "precondition: the file on disk does not load");
}

export function readText(home: string): string {
  return readFileSync(join(home, "config.json"), "utf8");
}
