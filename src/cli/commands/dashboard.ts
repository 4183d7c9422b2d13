import { spawn } from "node:child_process";
import type { Command } from "commander";
import { loginUrl } from "../../dashboard/start.js";
import { createTicket, readServerState } from "../../dashboard/tickets.js";
import { CliError, home, print, UsageError } from "../io.js";

/** Whether the recorded dashboard is really ours and answering (not a stale file or a reused port). */
async function runningDashboard(configHome: string): Promise<string | null> {
  const state = readServerState(configHome);
  if (!state) return null;
  try {
    process.kill(state.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return null;
  }
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
    .description("Open the owner's dashboard of the running server in your browser (one-time login link)")
    .option("--print-url", "print the one-time login URL instead of opening a browser")
    .option("--lang <lang>", "page language: en | zh (default: the browser's)")
    .action(async (opts: { printUrl?: boolean; lang?: string }) => {
      if (opts.lang !== undefined && opts.lang !== "en" && opts.lang !== "zh") throw new UsageError(`--lang must be en or zh, got "${opts.lang}"`);
      const base = await runningDashboard(home());
      if (!base) {
        throw new CliError(
          "no running chatgpt-codex server with a dashboard was found for this config. Start one first: chatgpt-codex up (or serve) / 没有找到正在运行的服务器，请先运行 chatgpt-codex up",
        );
      }
      const url = loginUrl(base, createTicket(home()), opts.lang as "en" | "zh" | undefined);
      if (opts.printUrl) return print(url);
      if (await openBrowser(url)) {
        print(`Opened the dashboard in your browser (${base}). / 已在浏览器中打开控制台。`);
      } else {
        print("Could not open a browser. Open this one-time login link on this computer: / 无法打开浏览器，请在本机打开这个一次性登录链接：");
        print(url);
      }
    });
}
