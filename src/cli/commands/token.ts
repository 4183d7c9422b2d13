import type { Command } from "commander";
import { generateToken } from "../../access/token.js";
import { loadConfig, updateConfig } from "../../config/store.js";
import { t } from "../i18n/index.js";
import { home, print } from "../io.js";

export function register(program: Command): void {
  program
    .command("token")
    .description(t("token.desc"))
    .addHelpText("after", t("token.example"))
    .action(() => {
      print(loadConfig(home()).token);
    });

  program
    .command("rotate-token")
    .description(t("rotate.desc"))
    .addHelpText("after", t("rotate.example"))
    .action(() => {
      const config = updateConfig(home(), (c) => {
        c.token = generateToken();
      });
      process.stderr.write(`${t("rotate.done")}\n`);
      print(config.token);
    });
}
