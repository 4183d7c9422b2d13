import type { Command } from "commander";
import { ConfigError, loadConfig } from "../../config/store.js";
import { DEFAULT_SANDBOX_SETTINGS, type SandboxSettings } from "../../sandbox/types.js";
import { sandboxStatus } from "../../sandbox/status.js";
import { t } from "../i18n/index.js";
import { home, print, printJson } from "../io.js";
import { sandboxStatusLines } from "../sandboxText.js";

export function register(program: Command): void {
  const sandbox = program.command("sandbox").description(t("sandbox.desc"));
  sandbox
    .command("status")
    .description(t("sandbox.status.desc"))
    .option("--json", t("opt.json"))
    .addHelpText("after", t("sandbox.status.example"))
    .action(async (opts: { json?: boolean }) => {
      const status = await sandboxStatus(settings());
      if (opts.json) printJson(status);
      else for (const line of sandboxStatusLines(status)) print(line);
      if (status.commands === "refused") process.exitCode = 1;
    });
}

/** The config's sandbox settings; the defaults before any config exists. */
function settings(): SandboxSettings {
  try {
    return loadConfig(home()).sandbox;
  } catch (error) {
    if (error instanceof ConfigError && error.kind === "missing") return DEFAULT_SANDBOX_SETTINGS;
    throw error;
  }
}
