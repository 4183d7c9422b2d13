import type { Command } from "commander";
import { accessState, expiryFromTtl } from "../../access/state.js";
import { loadConfig, updateConfig } from "../../config/store.js";
import { GrantStore } from "../../oauth/grants.js";
import { home, parseMinutes, print, printJson } from "../io.js";

export function register(program: Command): void {
  const access = program.command("access").description("Inspect, grant or pause access without touching the token");

  access
    .command("status")
    .description("Show whether actions are allowed now, and until when")
    .option("--json", "print one JSON document")
    .action((opts: { json?: boolean }) => {
      const config = loadConfig(home());
      const state = accessState(config);
      const grants = new GrantStore(home()).activeCount(config);
      const view = { ...state, revoked_at: config.access.revoked_at, granted_at: config.access.granted_at, connectors: { grants } };
      if (opts.json) return printJson(view);
      print(`Access: ${state.state}`);
      print(`Expires: ${state.expires_at ?? "never (no TTL)"}`);
      if (state.reason) print(`Reason: ${state.reason}`);
      print(`Connector grants: ${grants}${grants > 0 ? " (chatgpt-codex connector list)" : ""}`);
    });

  access
    .command("grant")
    .description("Allow actions again (optionally for N minutes); the token stays the same")
    .option("--ttl-minutes <n>", "access expires after N minutes (default: no expiry)")
    .action((opts: { ttlMinutes?: string }) => {
      const ttl = parseMinutes(opts.ttlMinutes);
      const config = updateConfig(home(), (c) => {
        c.access.revoked_at = null;
        c.access.expires_at = expiryFromTtl(ttl);
        c.access.granted_at = new Date().toISOString();
      });
      print(`Access granted${config.access.expires_at ? ` until ${config.access.expires_at}` : " with no expiry"}.`);
    });

  access
    .command("revoke")
    .description("Pause access now (the token is kept; `access grant` resumes). To also rotate the token: channel revoke")
    .action(() => {
      updateConfig(home(), (c) => {
        c.access.revoked_at = new Date().toISOString();
      });
      print("Access revoked. A running server refuses every action from its next request on.");
    });
}
