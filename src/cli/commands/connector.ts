import type { Command } from "commander";
import { loadConfig } from "../../config/store.js";
import { GrantStore, grantView } from "../../oauth/grants.js";
import { createPairingCode } from "../../oauth/pairing.js";
import { t } from "../i18n/index.js";
import { CliError, home, print, printJson } from "../io.js";

/** Every human text of `connector …` in one place (a message catalog replaces this later). */
const row = (g: ReturnType<typeof grantView>) =>
  t("connector.row", {
    id: g.id,
    state: g.status === "active" ? t("connector.active") : t("connector.ended", { reason: g.reason ?? "" }),
    client: g.client_name,
    scopes: g.scopes.join(" "),
    since: g.created_at,
  });

export function register(program: Command): void {
  const connector = program.command("connector").description(t("connector.desc"));

  connector
    .command("code")
    .description(t("connector.code.desc"))
    .addHelpText("after", t("connector.code.example"))
    .action(() => {
      loadConfig(home()); // a clear error when there is no setup yet
      const { code, expires_at } = createPairingCode(home());
      print(t("connector.codeLine", { code }));
      print(t("connector.codeExpiry", { time: expires_at }));
      print(t("connector.codeWhere"));
    });

  connector
    .command("list")
    .description(t("connector.list.desc"))
    .option("--json", t("opt.json"))
    .addHelpText("after", t("connector.list.example"))
    .action((opts: { json?: boolean }) => {
      const config = loadConfig(home());
      const grants = new GrantStore(home()).read().grants.map((g) => grantView(g, config));
      if (opts.json) return printJson({ grants });
      if (grants.length === 0) return print(t("connector.none"));
      for (const g of grants) print(row(g));
    });

  connector
    .command("revoke")
    .description(t("connector.revoke.desc"))
    .argument("<id>", t("connector.idArg"))
    .addHelpText("after", t("connector.revoke.example"))
    .action((id: string) => {
      if (!new GrantStore(home()).revoke(id)) throw new CliError(t("connector.unknown", { id }));
      print(t("connector.revoked", { id }));
    });
}
