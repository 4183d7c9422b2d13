import type { Command } from "commander";
import { runSmoke } from "../../smoke/run.js";
import { exitCodeOf, formatTable } from "../../verify/report.js";
import { t } from "../i18n/index.js";
import { print, printJson } from "../io.js";

export function register(program: Command): void {
  program
    .command("api-smoke")
    .description(t("smoke.desc"))
    .option("--json", t("opt.json"))
    .addHelpText("after", t("smoke.example"))
    .action(async (opts: { json?: boolean }) => {
      const rows = await runSmoke({
        onStart: ({ baseUrl }) => {
          if (!opts.json) print(`${t("smoke.start", { url: baseUrl })}\n`);
        },
      });
      process.exitCode = exitCodeOf(rows);
      if (opts.json) printJson({ ok: process.exitCode === 0, checks: rows });
      else print(formatTable(rows));
    });
}
