import type { Command } from "commander";
import { ACTIONS } from "../../actions/registry.js";
import { loadConfig, updateConfig } from "../../config/store.js";
import { gptInstructions } from "../../gpt/instructions.js";
import { buildOpenApi } from "../../server/openapi.js";
import { home, parsePublicUrl, print, printJson } from "../io.js";
import { showStatus } from "../present.js";

export function register(program: Command): void {
  program
    .command("status")
    .description("Show config, workspaces, public URL and access state (never the token)")
    .option("--json", "print one JSON document")
    .action((opts: { json?: boolean }) => showStatus(home(), loadConfig(home()), opts.json));

  program
    .command("set-public-url")
    .description("Set the public HTTPS URL that reaches this computer (tunnel or route)")
    .argument("<url>", "e.g. https://your-url.example.com")
    .action((value: string) => {
      const url = parsePublicUrl(value);
      updateConfig(home(), (c) => {
        c.public_base_url = url;
      });
      print(`Public URL: ${url}`);
      if (!url.startsWith("https://")) print("Warning: GPT Builder needs https://; http works only for local tests.");
      print(`Re-import the schema in GPT Builder if the URL changed: ${url}/openapi.json`);
    });

  program
    .command("openapi")
    .description("Print the OpenAPI 3.1.0 document GPT Builder imports")
    .action(() => {
      const config = loadConfig(home());
      printJson(buildOpenApi(ACTIONS, config, `http://127.0.0.1:${config.server.port}`));
    });

  program
    .command("gpt-instructions")
    .description("Print the text to paste into the GPT's Instructions field")
    .action(() => {
      process.stdout.write(gptInstructions());
    });
}
