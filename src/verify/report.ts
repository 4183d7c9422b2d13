import { t } from "../cli/i18n/index.js";
import { level } from "../cli/style.js";

/** One line of a PASS/FAIL table (verify and api-smoke). */
export interface CheckRow {
  name: string;
  result: "PASS" | "FAIL" | "SKIP";
  detail: string;
  /** For a FAIL: what the user should do. */
  fix?: string;
}

export function pass(name: string, detail: string): CheckRow {
  return { name, result: "PASS", detail };
}

export function fail(name: string, detail: string, fix?: string): CheckRow {
  return fix === undefined ? { name, result: "FAIL", detail } : { name, result: "FAIL", detail, fix };
}

export function skip(name: string, detail: string): CheckRow {
  return { name, result: "SKIP", detail };
}

/** 0 when nothing failed, else 1 (the CLI's "a check found a problem"). */
export function exitCodeOf(rows: readonly CheckRow[]): number {
  return rows.some((row) => row.result === "FAIL") ? 1 : 0;
}

const MAX_DETAIL = 160;

/** A plain-text table: RESULT  CHECK  DETAIL, then a summary line. */
export function formatTable(rows: readonly CheckRow[]): string {
  const nameWidth = Math.max(5, ...rows.map((row) => row.name.length));
  const lines = [`RESULT  ${t("report.check").padEnd(nameWidth)}  ${t("report.detail")}`, `------  ${"-".repeat(nameWidth)}  ------`];
  for (const row of rows) {
    const detail = row.detail.replace(/\s+/g, " ");
    const short = detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL - 1)}…` : detail;
    const kind = row.result === "PASS" ? "ok" : row.result === "FAIL" ? "fail" : "skip";
    lines.push(`${level(row.result.padEnd(6), kind)}  ${row.name.padEnd(nameWidth)}  ${short}`);
  }
  const count = (result: CheckRow["result"]) => rows.filter((row) => row.result === result).length;
  const skipped = count("SKIP");
  lines.push("");
  lines.push(t(skipped ? "report.summarySkipped" : "report.summary", { passed: count("PASS"), failed: count("FAIL"), skipped }));
  return lines.join("\n");
}

/** "What to do" for each failed check that has a fix. */
export function formatFixes(rows: readonly CheckRow[]): string {
  const fixes = rows.filter((row) => row.result === "FAIL" && row.fix);
  if (fixes.length === 0) return "";
  return [t("report.whatToDo"), ...fixes.map((row) => `  ${row.name}: ${row.fix}`)].join("\n");
}
