import { t } from "./i18n/index.js";
import { level } from "./style.js";

/**
 * The one vocabulary for check states in doctor, verify, route-options, chatgpt-preflight and
 * api-smoke: these words in --json, translated labels for people. A local-only setup (no public
 * URL) is `warn` everywhere — it works for clients on this computer — never `fail`.
 */
export type CheckState = "ok" | "warn" | "fail" | "skip";

export const CHECK_STATES: readonly CheckState[] = ["ok", "warn", "fail", "skip"];

/** The translated word, padded to one width (the table's heading included) so tables line up. */
export function stateWord(state: CheckState): string {
  const words = [...CHECK_STATES.map((s) => t(`state.${s}`)), t("report.result")];
  const width = Math.max(...words.map(displayWidth));
  const word = t(`state.${state}`);
  return word + " ".repeat(width - displayWidth(word));
}

/** The padded word, coloured by meaning. */
export function stateLabel(state: CheckState): string {
  return level(stateWord(state), state);
}

/** Exit code of a list of states: 1 when any failed (the CLI's "a check found a problem"). */
export function exitCodeOfStates(states: readonly CheckState[]): number {
  return states.includes("fail") ? 1 : 0;
}

/** Pads text to the state column's width. */
export function padState(text: string): string {
  return text + " ".repeat(Math.max(0, displayWidth(stateWord("ok")) - displayWidth(text)));
}

// CJK characters take two columns in a terminal.
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += /[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1;
  return width;
}
