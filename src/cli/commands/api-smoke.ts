import type { Command } from "commander";
import { runSmoke } from "../../smoke/run.js";
import { exitCodeOf, formatTable } from "../../verify/report.js";
import { print } from "../io.js";

export function register(program: Command): void {
  program
    .command("api-smoke")
    .description("Call every action and check the refusals on a temporary server (your config is not touched)")
    .action(async () => {
      const rows = await runSmoke({
        onStart: ({ baseUrl }) => print(`api-smoke: temporary server ${baseUrl}, temporary config and workspaces (removed afterwards)\n`),
      });
      print(formatTable(rows));
      process.exitCode = exitCodeOf(rows);
    });
}
