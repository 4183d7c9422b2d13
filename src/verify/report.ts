import { t } from "../cli/i18n/index.js";
import { exitCodeOfStates, padState, stateLabel, type CheckState } from "../cli/checkState.js";

/** One line of a check table (verify and api-smoke), in the shared state vocabulary. */
export interface CheckRow {
  name: string;
  result: CheckState;
  detail: string;
  /** For a FAIL: what the user should do. */
  fix?: string;
}

export function pass(name: string, detail: string): CheckRow {
  return { name, result: "ok", detail };
}

export function fail(name: string, detail: string, fix?: string): CheckRow {
  return fix === undefined ? { name, result: "fail", detail } : { name, result: "fail", detail, fix };
}

/** Not a failure: something worth knowing (a local-only setup has no public URL to check). */
export function warn(name: string, detail: string, fix?: string): CheckRow {
  return fix === undefined ? { name, result: "warn", detail } : { name, result: "warn", detail, fix };
}

export function skip(name: string, detail: string): CheckRow {
  return { name, result: "skip", detail };
}

/** 0 when nothing failed, else 1 (the CLI's "a check found a problem"). */
export function exitCodeOf(rows: readonly CheckRow[]): number {
  return exitCodeOfStates(rows.map((row) => row.result));
}

const MAX_DETAIL = 160;

/** A plain-text table: state  CHECK  DETAIL, then a summary line. */
export function formatTable(rows: readonly CheckRow[]): string {
  const nameWidth = Math.max(5, ...rows.map((row) => row.name.length));
  const lines = [`${padState(t("report.result"))}  ${t("report.check").padEnd(nameWidth)}  ${t("report.detail")}`, `${padState("-----")}  ${"-".repeat(nameWidth)}  ------`];
  for (const row of rows) {
    const detail = row.detail.replace(/\s+/g, " ");
    const short = detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL - 1)}…` : detail;
    lines.push(`${stateLabel(row.result)}  ${row.name.padEnd(nameWidth)}  ${short}`);
  }
  const count = (result: CheckRow["result"]) => rows.filter((row) => row.result === result).length;
  const skipped = count("skip");
  const warned = count("warn");
  lines.push("");
  lines.push(t(skipped ? "report.summarySkipped" : "report.summary", { passed: count("ok"), failed: count("fail"), skipped }) + (warned ? t("report.warned", { warned }) : ""));
  return lines.join("\n");
}

/** "What to do" for each failed check that has a fix. */
export function formatFixes(rows: readonly CheckRow[]): string {
  const fixes = rows.filter((row) => row.result !== "ok" && row.fix);
  if (fixes.length === 0) return "";
  return [t("report.whatToDo"), ...fixes.map((row) => `  ${row.name}: ${row.fix}`)].join("\n");
}
