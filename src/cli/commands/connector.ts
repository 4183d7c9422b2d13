import type { Command } from "commander";
import { loadConfig } from "../../config/store.js";
import { GrantStore, grantView } from "../../oauth/grants.js";
import { createPairingCode } from "../../oauth/pairing.js";
import { CliError, home, print, printJson } from "../io.js";

/** Every human text of `connector …` in one place (a message catalog replaces this later). */
const TEXT = {
  group: "ChatGPT connector (OAuth on /mcp): pairing codes and grants",
  code: "Print a one-time pairing code (10 minutes) to approve a connector on its consent page",
  codeLine: (code: string) => `Pairing code: ${code}`,
  codeExpiry: (at: string) => `Valid until ${at}, for one approval. A new code replaces this one.`,
  codeWhere: "Type it on the consent page that ChatGPT opened (\"Connect to this computer\"). Never share it with anyone.",
  list: "List connector grants (who may use /mcp through OAuth)",
  json: "print one JSON document",
  none: "No connector grants. Connect from ChatGPT: Settings → Apps & Connectors → Create (see the README).",
  row: (g: ReturnType<typeof grantView>) =>
    `${g.id}  ${g.status === "active" ? "active" : `ended (${g.reason ?? ""})`}  ${g.client_name}  [${g.scopes.join(" ")}]  since ${g.created_at}`,
  revoke: "End one grant now: its access and refresh tokens stop working at once",
  revoked: (id: string) => `Grant ${id} revoked. The connector must be approved again (with a new pairing code) to return.`,
  unknown: (id: string) => `no connector grant "${id}"; see: chatgpt-codex connector list`,
} as const;

export function register(program: Command): void {
  const connector = program.command("connector").description(TEXT.group);

  connector
    .command("code")
    .description(TEXT.code)
    .action(() => {
      loadConfig(home()); // a clear error when there is no setup yet
      const { code, expires_at } = createPairingCode(home());
      print(TEXT.codeLine(code));
      print(TEXT.codeExpiry(expires_at));
      print(TEXT.codeWhere);
    });

  connector
    .command("list")
    .description(TEXT.list)
    .option("--json", TEXT.json)
    .action((opts: { json?: boolean }) => {
      const config = loadConfig(home());
      const grants = new GrantStore(home()).read().grants.map((g) => grantView(g, config));
      if (opts.json) return printJson({ grants });
      if (grants.length === 0) return print(TEXT.none);
      for (const g of grants) print(TEXT.row(g));
    });

  connector
    .command("revoke")
    .description(TEXT.revoke)
    .argument("<id>", "grant id from `connector list`")
    .action((id: string) => {
      if (!new GrantStore(home()).revoke(id)) throw new CliError(TEXT.unknown(id));
      print(TEXT.revoked(id));
    });
}
