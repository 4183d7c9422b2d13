import { Help, type Command } from "commander";
import { lang } from "./lang.js";

/**
 * commander's own words (help titles, "(default: …)", usage errors) in the chosen
 * language. commander has no message catalogue, so its English texts are mapped here;
 * English output passes through unchanged.
 */
const TITLES: Record<string, string> = {
  "Usage:": "用法:",
  "Options:": "选项:",
  "Commands:": "命令:",
  "Arguments:": "参数:",
  "Global Options:": "全局选项:",
};

const ERRORS: [RegExp, (...groups: string[]) => string][] = [
  [/^error: missing required argument '(.+)'$/m, (name) => `错误:缺少必需的参数 '${name}'`],
  [/^error: option '(.+)' argument missing$/m, (flags) => `错误:选项 '${flags}' 缺少取值`],
  [/^error: required option '(.+)' not specified$/m, (flags) => `错误:未指定必需的选项 '${flags}'`],
  [/^error: unknown option '([^']+)'$/m, (flag) => `错误:未知选项 '${flag}'`],
  [/^error: unknown command '([^']+)'$/m, (name) => `错误:未知命令 '${name}'`],
  [/^error: too many arguments(?: for '([^']+)')?\. Expected (\d+) arguments? but got (\d+)\.$/m, (sub, expected, got) => `错误:${sub ? `'${sub}' 的` : ""}参数过多:应为 ${expected} 个,实际 ${got} 个。`],
  [/^error: (.+) cannot be used with (.+)$/m, (a, b) => `错误:${a} 不能与 ${b} 同时使用`],
  [/^\(Did you mean (.+)\?\)$/m, (name) => `(你是不是想输入 ${name}?)`],
  [/^error: /m, () => "错误:"],
];

/** A commander message in Chinese when the output language is Chinese. */
export function localizeCommanderText(text: string): string {
  if (lang() !== "zh") return text;
  let out = text;
  for (const [pattern, render] of ERRORS) out = out.replace(pattern, (...match: string[]) => render(...match.slice(1, -2).map((g) => g ?? "")));
  return out
    .replace(/\(default: ([^)]*)\)/g, "(默认:$1)")
    .replace(/\(choices: ([^)]*)\)/g, "(可选:$1)")
    .replace(/\(preset: ([^)]*)\)/g, "(预设:$1)")
    .replace(/\(env: ([^)]*)\)/g, "(环境变量:$1)");
}

/** Apply to the program before its sub-commands are added (they inherit it). */
export function localizeCommander(program: Command): Command {
  return program
    .configureHelp({
      styleTitle: (title: string) => (lang() === "zh" ? (TITLES[title] ?? title) : title),
      optionDescription(this: Help, option) {
        return localizeCommanderText(Help.prototype.optionDescription.call(this, option));
      },
      argumentDescription(this: Help, argument) {
        return localizeCommanderText(Help.prototype.argumentDescription.call(this, argument));
      },
    })
    .configureOutput({
      outputError: (text, write) => write(localizeCommanderText(text)),
    });
}
