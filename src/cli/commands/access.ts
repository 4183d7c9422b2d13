import type { Command } from "commander";
import { accessWord } from "../present.js";
import { accessState, expiryFromTtl } from "../../access/state.js";
import { loadConfig, updateConfig } from "../../config/store.js";
import { t } from "../i18n/index.js";
import { GrantStore } from "../../oauth/grants.js";
import { home, parseMinutes, print, printJson } from "../io.js";

export function register(program: Command): void {
  const access = program.command("access").description(t("access.desc"));

  access
    .command("status")
    .description(t("access.status.desc"))
    .option("--json", t("opt.json"))
    .addHelpText("after", t("access.status.example"))
    .action((opts: { json?: boolean }) => {
      const config = loadConfig(home());
      const state = accessState(config);
      const grants = new GrantStore(home()).activeCount(config);
      const view = { ...state, revoked_at: config.access.revoked_at, granted_at: config.access.granted_at, connectors: { grants } };
      if (opts.json) return printJson(view);
      print(t("access.state", { state: accessWord(state.state) }));
      print(t("access.expires", { time: state.expires_at ?? t("access.never") }));
      if (state.reason) print(t("access.reason", { reason: state.reason }));
      print(t(grants > 0 ? "access.grantsSome" : "access.grantsNone", { grants }));
    });

  access
    .command("grant")
    .description(t("access.grant.desc"))
    .option("--ttl-minutes <n>", t("opt.ttlNoExpiry"))
    .addHelpText("after", t("access.grant.example"))
    .action((opts: { ttlMinutes?: string }) => {
      const ttl = parseMinutes(opts.ttlMinutes);
      const config = updateConfig(home(), (c) => {
        c.access.revoked_at = null;
        c.access.expires_at = expiryFromTtl(ttl);
        c.access.granted_at = new Date().toISOString();
      });
      print(config.access.expires_at ? t("access.grantedUntil", { time: config.access.expires_at }) : t("access.grantedNoExpiry"));
    });

  access
    .command("revoke")
    .description(t("access.revoke.desc"))
    .addHelpText("after", t("access.revoke.example"))
    .action(() => {
      updateConfig(home(), (c) => {
        c.access.revoked_at = new Date().toISOString();
      });
      print(t("access.revoked"));
    });
}
