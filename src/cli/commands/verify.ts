import type { Command } from "commander";
import { ConfigError, loadConfig } from "../../config/store.js";
import type { Config } from "../../config/schema.js";
import { runVerify } from "../../verify/checks.js";
import { exitCodeOf, fail, formatFixes, warn, formatTable, type CheckRow } from "../../verify/report.js";
import { t } from "../i18n/index.js";
import { home, parsePublicUrl, print, printJson } from "../io.js";

function configOrUndefined(): Config | undefined {
  try {
    return loadConfig(home());
  } catch (error) {
    if (error instanceof ConfigError && error.kind === "missing") return undefined;
    throw error;
  }
}

function report(rows: CheckRow[], base: string | null, json: boolean | undefined): void {
  process.exitCode = exitCodeOf(rows);
  if (json) return printJson({ ok: process.exitCode === 0, base_url: base, checks: rows });
  print(formatTable(rows));
  const fixes = formatFixes(rows);
  if (fixes) print(`\n${fixes}`);
}

export function register(program: Command): void {
  program
    .command("verify")
    .description(t("verify.desc"))
    .option("--base-url <url>", t("opt.baseUrl"))
    .option("--json", t("opt.json"))
    .addHelpText("after", t("verify.example"))
    .action(async (opts: { baseUrl?: string; json?: boolean }) => {
      const given = opts.baseUrl === undefined ? undefined : parsePublicUrl(opts.baseUrl);
      const config = configOrUndefined();
      const base = given ?? config?.public_base_url ?? undefined;
      if (base === undefined) {
        // A config without a public URL is what a local-only setup looks like: a warning, as in
        // doctor. Without any config there is no setup at all.
        const row = config ? warn : fail;
        return report([row("base URL", t("verify.noBase"), t("verify.noBaseFix"))], null, opts.json);
      }
      if (!opts.json) print(`${t("verify.verifying", { url: base })}\n`);
      report(await runVerify({ baseUrl: base, token: config?.token, configuredPublicUrl: config?.public_base_url ?? null }), base, opts.json);
    });
}
