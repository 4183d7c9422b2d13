/**
 * commander's own words in Chinese (issue: `Usage:`, `Options:`, `error: required option…`
 * stayed English): help titles, default/choice notes and usage errors, through the real CLI.
 * English stays as commander writes it; `--json` output is never translated.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeHome, runCli } from "../helpers.js";

describe("commander texts follow --lang", () => {
  const home = makeHome().home;

  test("help titles of the program and of a sub-command", () => {
    const top = runCli(["--lang", "zh", "--help"], home);
    assert.match(top.stdout, /^用法: chatgpt-codex/m);
    assert.match(top.stdout, /^选项:$/m);
    assert.match(top.stdout, /^命令:$/m);
    assert.doesNotMatch(top.stdout, /^(Usage|Options|Commands):/m);
    const sub = runCli(["--lang", "zh", "workspace", "add", "--help"], home);
    assert.match(sub.stdout, /^用法: chatgpt-codex workspace add/m);
    assert.match(sub.stdout, /^选项:$/m);
  });

  test("usage errors: unknown command with its suggestion, unknown option, missing required option", () => {
    const unknown = runCli(["--lang", "zh", "doctr"], home);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^错误:未知命令 'doctr'$/m);
    assert.match(unknown.stderr, /^\(你是不是想输入 doctor\?\)$/m);
    const option = runCli(["--lang", "zh", "doctor", "--bogus"], home);
    assert.equal(option.code, 2);
    assert.match(option.stderr, /^错误:未知选项 '--bogus'$/m);
    const required = runCli(["--lang", "zh", "workspace", "add"], home);
    assert.equal(required.code, 2);
    assert.match(required.stderr, /^错误:未指定必需的选项 '--name <name>'$/m);
    assert.doesNotMatch(unknown.stderr + option.stderr + required.stderr, /\berror:/);
  });

  test("status words and punctuation of the tool's own output are Chinese too; --json keeps the contract's values", () => {
    const zh = runCli(["--lang", "zh", "status"], home);
    assert.equal(zh.code, 0, zh.stderr);
    assert.match(zh.stdout, /^访问状态：\s+有效/m);
    assert.doesNotMatch(zh.stdout, /\bactive\b/);
    const json = JSON.parse(runCli(["--lang", "zh", "status", "--json"], home).stdout);
    assert.equal(json.access.state, "active");
  });

  test("English stays commander's own", () => {
    const en = runCli(["--lang", "en", "doctr"], home);
    assert.match(en.stderr, /^error: unknown command 'doctr'$/m);
    assert.match(runCli(["--lang", "en", "--help"], home).stdout, /^Usage: chatgpt-codex/m);
  });
});

describe("the Chinese catalogue uses Chinese punctuation", () => {
  test("no ASCII colon, comma, semicolon or parenthesis next to Chinese text (code, paths, URLs and flags aside)", async () => {
    const { MESSAGES } = await import("../../src/cli/i18n/messages.js");
    const offenders: string[] = [];
    for (const [key, message] of Object.entries(MESSAGES as Record<string, { zh: string }>)) {
      const prose = message.zh.replace(/\{\w+\}|`[^`]*`|https?:\/\/[^\s)）"]+|--?[A-Za-z][\w-]*|[\w.-]+:[\w.-]*\d/g, "");
      if (/[\u4e00-\u9fff][:,;()]|[:,;()][\u4e00-\u9fff]/.test(prose)) offenders.push(`${key}: ${message.zh}`);
    }
    assert.deepEqual(offenders, []);
  });
});
