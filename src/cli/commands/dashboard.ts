import { spawn } from "node:child_process";
import type { Command } from "commander";
import { loginUrl } from "../../dashboard/start.js";
import { createTicket, readServerState } from "../../dashboard/tickets.js";
import { runningServer } from "../../server/instanceLock.js";
import { t } from "../i18n/index.js";
import { langFromArgv } from "../i18n/lang.js";
import { CliError, home, print } from "../io.js";

/** Whether the recorded dashboard is really ours and answering (not a stale file or a reused port). */
async function runningDashboard(configHome: string): Promise<string | null> {
  const state = readServerState(configHome);
  // The record counts only while its writer still holds the config folder's server lock.
  if (!state || runningServer(configHome)?.pid !== state.pid) return null;
  try {
    const response = await fetch(`${state.url}/`, { signal: AbortSignal.timeout(3_000), redirect: "manual" });
    await response.body?.cancel();
    return response.headers.get("x-chatgpt-codex-dashboard") === "1" ? state.url : null;
  } catch {
    return null;
  }
}

/** The platform's "open this URL" command; CHATGPT_CODEX_BROWSER overrides it. */
function opener(url: string): [string, string[]] {
  const chosen = process.env.CHATGPT_CODEX_BROWSER;
  if (chosen) return [chosen, [url]];
  if (process.platform === "darwin") return ["open", [url]];
  if (process.platform === "win32") return ["cmd", ["/c", "start", "", url.replace(/&/g, "^&")]];
  return ["xdg-open", [url]];
}

function openBrowser(url: string): Promise<boolean> {
  const [command, args] = opener(url);
  return new Promise((resolve) => {
    // A browser started directly may keep running: after a few seconds without an error, that is success.
    const timer = setTimeout(() => done(true), 3_000);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      resolve(ok);
    };
    let child;
    try {
      child = spawn(command, args, { stdio: "ignore", detached: true });
    } catch {
      return done(false);
    }
    child.once("error", () => done(false));
    child.once("exit", (code) => done(code === 0));
    child.unref();
  });
}

export function register(program: Command): void {
  program
    .command("dashboard")
    .description(t("dashboard.desc"))
    .option("--print-url", t("opt.printUrl"))
    .addHelpText("after", t("dashboard.example"))
    .action(async (opts: { printUrl?: boolean }) => {
      const base = await runningDashboard(home());
      if (!base) throw new CliError(t("dashboard.noServer"));
      // The page follows an explicit --lang; without one, the browser's language.
      const pageLang = langFromArgv(process.argv.slice(2)) as "en" | "zh" | undefined;
      const url = loginUrl(base, createTicket(home()), pageLang);
      if (opts.printUrl) return print(url);
      if (await openBrowser(url)) {
        print(t("dashboard.opened", { base }));
      } else {
        print(t("dashboard.noBrowser"));
        print(url);
      }
    });
}
