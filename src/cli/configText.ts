import type { ConfigError, ConfigTrouble, PauseReason } from "../config/store.js";
import { t, type MessageKey } from "./i18n/index.js";

const WHY: Record<PauseReason, MessageKey> = {
  gone: "config.whyGone",
  unreadable: "config.whyUnreadable",
  token: "config.whyToken",
  access: "config.whyAccess",
  workspaces: "config.whyWorkspaces",
};

/** What is wrong with a config file, in the user's language: the line and column, or the fields. */
export function configProblem(error: ConfigError): string {
  const { problem } = error;
  if (error.kind === "missing") return t("config.problemGone");
  if (error.kind === "unreadable") return t("config.problemUnreadable", { detail: problem.detail });
  if (problem.line !== undefined) return t("config.problemJson", { line: problem.line, column: problem.column ?? 1, detail: problem.detail });
  if (problem.fields?.length) return t("config.problemFields", { fields: problem.fields.map((field) => `${field.path}: ${field.message}`).join("; ") });
  return problem.detail;
}

/** `<file> does not load: <problem>` (doctor and every command that reads the config). */
export function configBroken(error: ConfigError): string {
  return t("config.broken", { file: error.file, problem: configProblem(error) });
}

/** The running server's one line for a change of its config file's state (null: it loads again). */
export function troubleLine(trouble: ConfigTrouble | null, file: string): string {
  if (trouble === null) return t("config.runFixed", { file });
  const problem = configProblem(trouble.error);
  return trouble.paused === null
    ? t("config.runKept", { file, problem })
    : t("config.runPaused", { file, problem, why: t(WHY[trouble.paused]) });
}
