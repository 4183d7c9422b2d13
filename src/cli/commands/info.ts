import type { Command } from "commander";
import { loadConfig, updateConfig } from "../../config/store.js";
import { t } from "../i18n/index.js";
import { home, parsePublicUrl, print, printJson } from "../io.js";
import { showStatus } from "../present.js";
import { yellow } from "../style.js";

export function register(program: Command): void {
  program
    .command("status")
    .description(t("status.desc"))
    .option("--json", t("opt.json"))
    .addHelpText("after", t("status.example"))
    .action((opts: { json?: boolean }) => showStatus(home(), loadConfig(home()), opts.json));

  program
    .command("set-public-url")
    .description(t("setUrl.desc"))
    .argument("<url>", t("setUrl.arg"))
    .addHelpText("after", t("setUrl.example"))
    .action((value: string) => {
      const url = parsePublicUrl(value);
      updateConfig(home(), (c) => {
        c.public_base_url = url;
      });
      print(t("setUrl.done", { url }));
      if (!url.startsWith("https://")) print(yellow(t("setUrl.notHttps")));
      print(t("setUrl.reimport", { url: `${url}/openapi.json` }));
    });

  program
    .command("openapi")
    .description(t("openapi.desc"))
    .addHelpText("after", t("openapi.example"))
    .action(async () => {
      // The actions (and so every module behind them) are loaded for the two commands that describe them, not for status.
      const [{ ACTIONS }, { buildOpenApi }] = await Promise.all([import("../../actions/registry.js"), import("../../server/openapi.js")]);
      const config = loadConfig(home());
      printJson(buildOpenApi(ACTIONS, config, `http://127.0.0.1:${config.server.port}`));
    });

  program
    .command("gpt-instructions")
    .description(t("instructions.desc"))
    .addHelpText("after", t("instructions.example"))
    .action(async () => {
      const { gptInstructions } = await import("../../gpt/instructions.js");
      process.stdout.write(gptInstructions());
    });
}
