import type { Command } from "commander";
import { ConfigError, loadConfig } from "../../config/store.js";
import type { Config } from "../../config/schema.js";
import { runVerify } from "../../verify/checks.js";
import { exitCodeOf, fail, formatFixes, formatTable } from "../../verify/report.js";
import { home, parsePublicUrl, print } from "../io.js";

function configOrUndefined(): Config | undefined {
  try {
    return loadConfig(home());
  } catch (error) {
    if (error instanceof ConfigError && error.kind === "missing") return undefined;
    throw error;
  }
}

export function register(program: Command): void {
  program
    .command("verify")
    .description("Check the public route end to end, as ChatGPT will use it")
    .option("--base-url <url>", "route to check (default: the public URL in the config)")
    .action(async (opts: { baseUrl?: string }) => {
      const given = opts.baseUrl === undefined ? undefined : parsePublicUrl(opts.baseUrl);
      const config = configOrUndefined();
      const base = given ?? config?.public_base_url ?? undefined;
      if (base === undefined) {
        const rows = [
          fail(
            "base URL",
            "no public URL is set and no --base-url was given",
            "start a route: chatgpt-codex up (or tunnel), or set yours: chatgpt-codex set-public-url https://…; or pass --base-url",
          ),
        ];
        print(formatTable(rows));
        print(`\n${formatFixes(rows)}`);
        process.exitCode = 1;
        return;
      }
      print(`Verifying ${base}\n`);
      const rows = await runVerify({ baseUrl: base, token: config?.token, configuredPublicUrl: config?.public_base_url ?? null });
      print(formatTable(rows));
      const fixes = formatFixes(rows);
      if (fixes) print(`\n${fixes}`);
      process.exitCode = exitCodeOf(rows);
    });
}
