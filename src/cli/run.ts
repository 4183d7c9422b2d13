import { Command, CommanderError } from "commander";
import { ConfigError } from "../config/errors.js";
import { NAME, VERSION } from "../ground/version.js";
import { groupsFor } from "./commands/index.js";
import { localizeCommander } from "./i18n/commander.js";
import { t } from "./i18n/index.js";
import { isLang, langFromArgv, langFromEnv, setLang } from "./i18n/lang.js";
import { CliError } from "./io.js";
import { configBroken } from "./configText.js";

const args = process.argv.slice(2);

const requested = langFromArgv(args);
if (requested !== undefined && !isLang(requested)) {
  process.stderr.write(`error: --lang must be en or zh, got "${requested}"\n`);
  process.exit(2);
}
// `--json` output never depends on the language (its texts are part of the machine contract).
setLang(args.includes("--json") ? "en" : (requested ?? langFromEnv(process.env)));

const program = localizeCommander(new Command(NAME))
  .description(t("program.description"))
  .version(VERSION, "-V, --version", t("program.version"))
  .helpOption("-h, --help", t("program.help"))
  .helpCommand("help [command]", t("program.help"))
  .option("--lang <lang>", t("program.lang"))
  .showHelpAfterError(t("program.helpAfterError"))
  .exitOverride();

for (const group of groupsFor(args)) (await group.load()).register(program);

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
    process.stderr.write(`${t("error.prefix")}${error.message}\n`);
    process.exitCode = error.exitCode;
  } else if (error instanceof ConfigError) {
    process.stderr.write(`${t("error.prefix")}${error.kind === "missing" ? t("config.missing", { file: error.file }) : `${configBroken(error)}\n${t("config.notChanged")}`}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`${t("error.prefix")}${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
