import type { Command } from "commander";
import { generateToken } from "../../access/token.js";
import { loadConfig, updateConfig } from "../../config/store.js";
import { home, print } from "../io.js";

export function register(program: Command): void {
  program
    .command("token")
    .description("Print the bearer token alone (for GPT Builder → Authentication → API Key)")
    .action(() => {
      print(loadConfig(home()).token);
    });

  program
    .command("rotate-token")
    .description("Replace the token with a new one and print it; the old one stops working at once")
    .action(() => {
      const config = updateConfig(home(), (c) => {
        c.token = generateToken();
      });
      process.stderr.write("Token rotated. Paste the new token into GPT Builder (Authentication → API Key).\n");
      print(config.token);
    });
}
