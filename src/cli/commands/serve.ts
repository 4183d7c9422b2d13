import type { Command } from "commander";
import { configExists, loadConfig, updateConfig } from "../../config/store.js";
import { CliError, home, parseMinutes, parsePort, print } from "../io.js";
import { printBuilderFields } from "../present.js";
import { startServing } from "../serving.js";
import { checkWorkspaceFolder, upsertWorkspace } from "../workspaces.js";

export function register(program: Command): void {
  program
    .command("serve")
    .description("Run the local Actions server (127.0.0.1:8766 by default) until Ctrl-C")
    .option("--ttl-minutes <n>", "access expires N minutes from now")
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .option("--port <port>", "port to listen on; 0 picks a free one")
    .action(async (opts: { ttlMinutes?: string; host?: string; port?: string }) => {
      const ttlMinutes = parseMinutes(opts.ttlMinutes);
      const port = parsePort(opts.port);
      if (!configExists(home())) {
        throw new CliError("no config yet. Run: chatgpt-codex up --workspace /path/to/project (or channel register)");
      }
      await startServing({ home: home(), host: opts.host, port, ttlMinutes });
    });

  program
    .command("up")
    .description("Register the workspace if needed, serve it, and print the GPT Builder fields (the one command to start)")
    .option("--workspace <path>", "project folder to register and activate")
    .option("--tunnel <provider>", "cloudflared | ngrok | custom | none", "none")
    .option("--ttl-minutes <n>", "access expires N minutes from now")
    .option("--port <port>", "port to listen on; 0 picks a free one")
    .action(async (opts: { workspace?: string; tunnel: string; ttlMinutes?: string; port?: string }) => {
      const ttlMinutes = parseMinutes(opts.ttlMinutes);
      const port = parsePort(opts.port);
      if (!["cloudflared", "ngrok", "custom", "none"].includes(opts.tunnel)) {
        throw new CliError(`--tunnel must be cloudflared, ngrok, custom or none, got "${opts.tunnel}"`, 2);
      }
      const folder = opts.workspace === undefined ? undefined : checkWorkspaceFolder(opts.workspace, false);
      const fresh = !configExists(home());
      const config = updateConfig(
        home(),
        (c) => {
          if (folder !== undefined) c.active_workspace = upsertWorkspace(c, folder);
        },
        { create: true },
      );
      if (config.workspaces.length === 0) {
        throw new CliError("no workspace yet. Run: npm start -- --workspace /path/to/project", 2);
      }
      if (fresh) print(`Created private config with a new token in ${home()}`);
      if (config.access.revoked_at) {
        print("Warning: the channel is revoked; actions are refused until you run: chatgpt-codex channel renew");
      }
      const server = await startServing({ home: home(), port, ttlMinutes });
      printBuilderFields(loadConfig(home()), { token: config.token, localUrl: server.url });
    });
}
