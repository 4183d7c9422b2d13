import { accessWord } from "../present.js";
import type { Command } from "commander";
import { accessState } from "../../access/state.js";
import { activeWorkspace } from "../../core/context.js";
import { configExists, loadConfig } from "../../config/store.js";
import { sandboxStatus } from "../../sandbox/status.js";
import { t } from "../i18n/index.js";
import { CliError, home } from "../io.js";
import { sandboxBanner } from "../sandboxText.js";

/** Standard output belongs to the protocol: every human line of this command goes to standard error. */
function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

export function register(program: Command): void {
  program
    .command("mcp")
    .description(t("stdio.desc"))
    .addHelpText("after", t("stdio.help"))
    .action(async () => {
      if (!configExists(home()) || loadConfig(home()).workspaces.length === 0) {
        throw new CliError(t("stdio.noWorkspace"), 2);
      }
      const config = loadConfig(home());
      let workspace: string;
      try {
        const active = activeWorkspace(config);
        workspace = `${active.name} (${active.root})`;
      } catch (error) {
        // A missing folder is refused per call, as on `serve`; switch_workspace can still pick another.
        workspace = (error as Error).message;
      }
      const access = accessState(config);
      say(t("stdio.started", { workspace }));
      if (!access.active) say(t("stdio.accessOff", { state: accessWord(access.state) }));
      say(sandboxBanner(await sandboxStatus(config.sandbox)));
      say(t("stdio.separate"));
      if (process.stdin.isTTY) say(t("stdio.tty"));

      // The SDK is loaded only by this command.
      const { startStdioFace } = await import("../../mcp/stdio.js");
      const face = await startStdioFace({ home: home(), log: say });
      let signalled = false;
      const stop = () => {
        if (signalled) process.exit(130);
        signalled = true;
        // A signal is the owner's stop: answers in flight are not waited for.
        void face.close(0);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      await face.closed;
      // Nothing else may keep the process: the session is over.
      process.exit(process.exitCode ?? 0);
    });
}
