import type { Command } from "commander";
import { ConfigError, loadConfig } from "../../config/store.js";
import { DEFAULT_SANDBOX_SETTINGS, type SandboxSettings } from "../../sandbox/types.js";
import { sandboxStatus, statusLines } from "../../sandbox/status.js";
import { home, print, printJson } from "../io.js";

export function register(program: Command): void {
  const sandbox = program.command("sandbox").description("The OS sandbox commands run in (bubblewrap on Linux, Seatbelt on macOS)");
  sandbox
    .command("status")
    .description("Say whether commands run in a sandbox here, and how to install one")
    .option("--json", "print one JSON document")
    .action(async (opts: { json?: boolean }) => {
      const status = await sandboxStatus(settings());
      if (opts.json) printJson(status);
      else for (const line of statusLines(status)) print(line);
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
