import type { Command } from "commander";
import { expiryFromTtl } from "../../access/state.js";
import { generateToken } from "../../access/token.js";
import { updateConfig } from "../../config/store.js";
import { home, parseMinutes, parsePublicUrl, print } from "../io.js";
import { printBuilderFields, showStatus } from "../present.js";
import { checkWorkspaceFolder, checkWorkspaceName, upsertWorkspace } from "../workspaces.js";
import { loadConfig } from "../../config/store.js";

/** Mark the channel revoked and rotate the token; shared by `channel revoke`. */
export function revokeChannel(configHome: string): void {
  updateConfig(configHome, (config) => {
    config.access.revoked_at = new Date().toISOString();
    config.token = generateToken();
  });
}

export function register(program: Command): void {
  const channel = program.command("channel").description("Set up, inspect, renew or revoke the access channel");

  channel
    .command("register")
    .description("Register a workspace and the public URL; creates the token on first use and prints it for GPT Builder")
    .requiredOption("--workspace <path>", "absolute path of the project folder")
    .requiredOption("--public-base-url <url>", "public HTTPS URL that reaches this computer (tunnel or route)")
    .option("--workspace-name <name>", "name the GPT uses for it (default: folder name)")
    .option("--ttl-minutes <n>", "access expires after N minutes (default: no expiry)")
    .action((opts: { workspace: string; publicBaseUrl: string; workspaceName?: string; ttlMinutes?: string }) => {
      const folder = checkWorkspaceFolder(opts.workspace, true);
      const url = parsePublicUrl(opts.publicBaseUrl);
      const name = opts.workspaceName === undefined ? undefined : checkWorkspaceName(opts.workspaceName);
      const ttl = parseMinutes(opts.ttlMinutes);
      let used = "";
      const config = updateConfig(
        home(),
        (c) => {
          used = upsertWorkspace(c, folder, name);
          c.active_workspace = used;
          c.public_base_url = url;
          if (ttl !== undefined) c.access.expires_at = expiryFromTtl(ttl);
          c.access.granted_at ??= new Date().toISOString();
        },
        { create: true },
      );
      print(`Registered workspace "${used}" → ${folder} (active)`);
      print(`Public URL: ${url}`);
      if (config.access.revoked_at) print("Warning: the channel is revoked; run `chatgpt-codex channel renew` to reactivate it.");
      printBuilderFields(config, { token: config.token });
    });

  channel
    .command("status")
    .description("Show workspaces, public URL and access state (never the token)")
    .option("--json", "print one JSON document")
    .action((opts: { json?: boolean }) => showStatus(home(), loadConfig(home()), opts.json));

  channel
    .command("renew")
    .description("Reactivate the channel (optionally rotate the token or set a TTL) and print the token for GPT Builder")
    .option("--rotate-token", "replace the token with a new one")
    .option("--public-base-url <url>", "also set the public URL")
    .option("--ttl-minutes <n>", "access expires after N minutes (default: no expiry)")
    .action((opts: { rotateToken?: boolean; publicBaseUrl?: string; ttlMinutes?: string }) => {
      const ttl = parseMinutes(opts.ttlMinutes);
      const url = opts.publicBaseUrl === undefined ? undefined : parsePublicUrl(opts.publicBaseUrl);
      const config = updateConfig(home(), (c) => {
        if (opts.rotateToken) c.token = generateToken();
        if (url !== undefined) c.public_base_url = url;
        c.access.revoked_at = null;
        c.access.expires_at = expiryFromTtl(ttl);
        c.access.granted_at = new Date().toISOString();
      });
      print(`Channel active${config.access.expires_at ? ` until ${config.access.expires_at}` : " (no expiry)"}.`);
      if (opts.rotateToken) print("The token was rotated: paste the new one into GPT Builder.");
      printBuilderFields(config, { token: config.token });
    });

  channel
    .command("revoke")
    .description("Stop access now: every action is refused and the token is rotated (not printed)")
    .action(() => {
      revokeChannel(home());
      print("Channel revoked. A running server refuses every action from its next request on.");
      print("The token was rotated and not printed. To reactivate: chatgpt-codex channel renew");
    });
}
