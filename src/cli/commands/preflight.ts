import type { Command } from "commander";
import { ACTIONS } from "../../actions/registry.js";
import { accessState } from "../../access/state.js";
import { configExists, loadConfig } from "../../config/store.js";
import { cliCommand } from "../../ground/launcher.js";
import { t } from "../i18n/index.js";
import { home, print, printJson } from "../io.js";
import { exitCodeOfStates, stateLabel, type CheckState } from "../checkState.js";

/** What GPT Builder needs before the GPT can be saved, checked here without printing the token. */
export function preflight(configHome: string) {
  const config = configExists(configHome) ? loadConfig(configHome) : undefined;
  const base = config?.public_base_url ?? null;
  const https = base !== null && base.startsWith("https://");
  const access = config ? accessState(config) : null;
  const checks = {
    config: config !== undefined,
    workspace: (config?.workspaces.length ?? 0) > 0,
    public_https_url: https,
    access_active: access?.active ?? false,
    operations_within_limit: ACTIONS.length <= 30,
  };
  // The shared vocabulary: a missing public URL is what a local-only setup looks like, so it is a
  // warning here as in doctor (Builder still needs it; the fix says how to get one).
  const states: Record<keyof typeof checks, CheckState> = {
    config: checks.config ? "ok" : "fail",
    workspace: checks.workspace ? "ok" : "fail",
    public_https_url: checks.public_https_url ? "ok" : "warn",
    access_active: checks.access_active ? "ok" : "fail",
    operations_within_limit: checks.operations_within_limit ? "ok" : "fail",
  };
  return {
    ok: exitCodeOfStates(Object.values(states)) === 0,
    checks,
    states,
    chatgpt_login: { required: true, note: "GPT Builder runs in your browser, logged in to ChatGPT" },
    account_requirements: { can_create_and_edit_gpts: "ChatGPT Plus, Pro, Business or Enterprise (GPT Builder)" },
    builder_automation: { fully_configurable_by_local_api: false, why: "GPT Builder has no public API: paste the fields below by hand" },
    builder_fields: {
      schema_import_url: base ? `${base}/openapi.json` : null,
      authentication: "API key / Bearer",
      api_key: `(${cliCommand("token")})`,
      privacy_policy_url: base ? `${base}/privacy` : null,
      instructions: cliCommand("gpt-instructions"),
      visibility: "Only me",
    },
    connector_fields: {
      mcp_server_url: base ? `${base}/mcp` : null,
      authentication: "OAuth",
    },
    operations: ACTIONS.length,
  };
}

export function register(program: Command): void {
  program
    .command("chatgpt-preflight")
    .description(t("preflight.desc"))
    .option("--json", t("opt.json"))
    .addHelpText("after", t("preflight.example"))
    .action((opts: { json?: boolean }) => {
      const report = preflight(home());
      if (!report.ok) process.exitCode = 1;
      if (opts.json) return printJson(report);
      const row = (state: CheckState, text: string, fix?: string) => {
        print(`${stateLabel(state)}  ${text}`);
        if (fix && state !== "ok") print(`      → ${fix}`);
      };
      row(report.states.config, t("preflight.config"));
      row(report.states.workspace, t("preflight.workspace"));
      row(report.states.public_https_url, t("preflight.https"), t("preflight.httpsFix"));
      row(report.states.access_active, t("preflight.access"));
      row(report.states.operations_within_limit, t("preflight.operations", { count: report.operations }));
      print("");
      print(t("preflight.account"));
      print(t("preflight.manual"));
      print("");
      const f = report.builder_fields;
      print(t("preflight.fields"));
      print(t("builder.schema", { url: f.schema_import_url ?? t("common.notSet") }));
      print(t("builder.auth"));
      print(t("preflight.apiKey", { command: cliCommand("token") }));
      print(t("builder.privacy", { url: f.privacy_policy_url ?? t("common.notSet") }));
      print(t("builder.instructions"));
      print(t("preflight.visibility"));
      print("");
      print(t("preflight.connector", { url: report.connector_fields.mcp_server_url ?? t("common.notSet") }));
    });
}
