import { cliCommand } from "../../ground/launcher.js";
import { lang } from "./lang.js";
import { MESSAGES, type MessageKey } from "./messages.js";

export { lang, setLang, type Lang } from "./lang.js";
export type { MessageKey } from "./messages.js";

/**
 * One human message in the chosen language. `{name}` placeholders take `params`;
 * `{cli}` is the command prefix the way the user launched the tool.
 */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = MESSAGES[key][lang()];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (name === "cli") return cliCommand("");
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}

/** "a, b or c" (English) or "a、b 或 c" (Chinese). */
export function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  const head = items.slice(0, -1);
  const last = items[items.length - 1]!;
  return lang() === "zh" ? `${head.join("、")} 或 ${last}` : `${head.join(", ")} or ${last}`;
}
