#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { ConfigError } from "../config/store.js";
import { NAME, VERSION } from "../core/version.js";
import { COMMANDS } from "./commands/index.js";
import { CliError } from "./io.js";

const program = new Command(NAME)
  .description("Let your private Custom GPT work on code in workspaces you registered, through GPT Actions behind a bearer token.")
  .version(VERSION)
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

for (const register of COMMANDS) register(program);

// Sub-command groups exit 2 on wrong usage too.
function exitOverrideAll(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) exitOverrideAll(sub);
}
exitOverrideAll(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    const ok = error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help";
    process.exitCode = ok ? 0 : 2;
  } else if (error instanceof CliError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else if (error instanceof ConfigError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
