import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { MESSAGES } from "../../src/cli/i18n/messages.js";
import { langFromArgv, langFromEnv } from "../../src/cli/i18n/lang.js";
import { runCli } from "../helpers.js";

/** Words that stay as they are in Chinese text: product names, protocol terms, commands. */
const KEPT = new Set(
  "chatgpt-codex chatgpt codex gpt builder api key bearer oauth mcp url https http token workspace actions action git ripgrep cloudflare cloudflared ngrok claude code cursor cli streamable json openapi schema ttl windows macos debian ubuntu brew apt-get install xcode-select plus pro business enterprise ctrl-c serve tunnel up verify doctor renew revoke channel register custom none pbcopy curl health skill codex-cli access grant set-public-url rotate-token gpt-instructions mcp-config init status list sandbox connector history undo dashboard zsh bash fish completion en zh lang reverse proxy vpn remove workspaces bubblewrap bwrap fedora arch seatbelt sandbox-exec"
    .split(" "),
);

/** What is left of a message once placeholders, code, URLs, paths, flags and kept words are removed. */
function englishLeft(text: string): string[] {
  const stripped = text
    .replace(/\{\w+\}/g, " ")
    .replace(/`[^`]*`/g, " ")
    .replace(/^\s*\$ .*$/gm, " ")
    .replace(/https?:\/\/\S+/g, " ")
    .replace(/(^|\s)[~.]?\/\S*/g, " ")
    .replace(/(^|\s)--?[a-z][\w-]*/gi, " ")
    .replace(/\b[A-Z_]{2,}\b/g, " ");
  return (stripped.match(/[A-Za-z][A-Za-z'-]*/g) ?? []).filter((word) => !KEPT.has(word.toLowerCase()) && word.length > 1);
}

describe("CLI message catalog", () => {
  const entries = Object.entries(MESSAGES);

  it("has both languages for every message, with the same placeholders", () => {
    assert.ok(entries.length > 150, `catalog has ${entries.length} messages`);
    for (const [key, message] of entries) {
      assert.ok(message.en.trim().length > 0, `${key}: English is empty`);
      assert.ok(message.zh.trim().length > 0, `${key}: Chinese is empty`);
      const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(",");
      assert.equal(names(message.zh), names(message.en), `${key}: placeholders differ`);
    }
  });

  it("leaves no English sentence untranslated in Chinese (a run of three English words)", () => {
    const offenders: string[] = [];
    for (const [key, message] of entries) {
      // Messages that are only a command, a flag list or a code example may stay as they are.
      if (englishLeft(message.en).length === 0) continue;
      const left = englishLeft(message.zh);
      if (!/[\u4e00-\u9fff]/.test(message.zh)) offenders.push(`${key}: no Chinese at all: ${message.zh}`);
      else if (left.length >= 3) {
        // Three English words in a row in the stripped text is a sentence someone forgot.
        const words = message.zh.replace(/`[^`]*`|\{\w+\}|https?:\/\/\S+/g, " ").split(/[\s,.;:()]+/);
        let run = 0;
        for (const word of words) {
          run = /^[A-Za-z][A-Za-z'-]+$/.test(word) && !KEPT.has(word.toLowerCase()) ? run + 1 : 0;
          if (run >= 3) {
            offenders.push(`${key}: ${message.zh}`);
            break;
          }
        }
      }
    }
    assert.deepEqual(offenders, []);
  });

  it("the check itself catches an untranslated message", () => {
    assert.ok(englishLeft("the public URL must not have a query").length >= 3);
    assert.equal(englishLeft("公网 URL 不能带查询参数").length, 0);
  });
});

describe("CLI language choice", () => {
  it("reads --lang from the command line and the locale from LC_ALL, LC_MESSAGES, LANG", () => {
    assert.equal(langFromArgv(["--lang", "zh", "status"]), "zh");
    assert.equal(langFromArgv(["status", "--lang=en"]), "en");
    assert.equal(langFromArgv(["exec", "--", "--lang", "zh"]), undefined);
    assert.equal(langFromEnv({ LANG: "zh_CN.UTF-8" }), "zh");
    assert.equal(langFromEnv({ LC_ALL: "en_US.UTF-8", LANG: "zh_CN.UTF-8" }), "en");
    assert.equal(langFromEnv({ LC_MESSAGES: "zh_TW" }), "zh");
    assert.equal(langFromEnv({}), "en");
  });

  const home = mkdtempSync(join(tmpdir(), "cgc-i18n-"));
  after(() => rmSync(home, { recursive: true, force: true }));

  it("prints human output in Chinese with --lang zh or a Chinese locale, and JSON that never changes", () => {
    const ws = mkdtempSync(join(home, "ws-"));
    assert.equal(runCli(["init", "--workspace", ws, "--workspace-name", "demo"], home).code, 0);
    const zh = runCli(["--lang", "zh", "status"], home);
    assert.equal(zh.code, 0);
    assert.match(zh.stdout, /当前 workspace：\s+demo/);
    const byLocale = runCli(["status"], home, { LANG: "zh_CN.UTF-8" });
    assert.match(byLocale.stdout, /访问状态/);
    const en = runCli(["status"], home);
    assert.match(en.stdout, /Active workspace: demo/);
    const jsonZh = runCli(["--lang", "zh", "doctor", "--json"], home);
    const jsonEn = runCli(["doctor", "--json"], home);
    const strip = (text: string) => text.replace(/"detail": "[^"]*(free|answers|taken)[^"]*"/g, "");
    assert.equal(strip(jsonZh.stdout), strip(jsonEn.stdout));
    assert.doesNotMatch(jsonZh.stdout, /[\u4e00-\u9fff]/);
    const help = runCli(["--lang", "zh", "doctor", "--help"], home);
    assert.match(help.stdout, /示例/);
    const bad = runCli(["--lang", "fr", "status"], home);
    assert.equal(bad.code, 2);
  });
});
