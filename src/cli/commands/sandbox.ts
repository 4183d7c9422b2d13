import type { Command } from "commander";
import { rmSync } from "node:fs";
import { cacheFolder } from "../../sandbox/box/boxes.js";
import { askServer, type BoxStatus } from "../../sandbox/box/ownerRequests.js";
import { ConfigError, loadConfig } from "../../config/store.js";
import { DEFAULT_SANDBOX_SETTINGS, type SandboxSettings } from "../../sandbox/types.js";
import { sandboxStatus } from "../../sandbox/status.js";
import { t } from "../i18n/index.js";
import { home, print, printJson } from "../io.js";
import { sandboxStatusLines } from "../sandboxText.js";
import { realOr } from "../../ground/realPath.js";

export function register(program: Command): void {
  const sandbox = program.command("sandbox").description(t("sandbox.desc"));
  sandbox
    .command("status")
    .description(t("sandbox.status.desc"))
    .option("--json", t("opt.json"))
    .addHelpText("after", t("sandbox.status.example"))
    .action(async (opts: { json?: boolean }) => {
      const status = await sandboxStatus(settings());
      const answer = await askServer(home(), { action: "status" });
      const boxes = answer && "boxes" in answer ? answer.boxes : null;
      if (opts.json) printJson({ ...status, server_running: answer !== null, boxes: boxes ?? [] });
      else {
        for (const line of sandboxStatusLines(status)) print(line);
        print("");
        for (const line of boxLines(boxes, answer !== null)) print(line);
      }
      if (status.commands === "refused") process.exitCode = 1;
    });
  sandbox
    .command("reset")
    .description(t("sandbox.reset.desc"))
    .option("--workspace <name>", t("sandbox.reset.opt.workspace"))
    .option("--caches", t("sandbox.reset.opt.caches"))
    .option("--json", t("opt.json"))
    .addHelpText("after", t("sandbox.reset.example"))
    .action(async (opts: { workspace?: string; caches?: boolean; json?: boolean }) => {
      let root: string | undefined;
      if (opts.workspace !== undefined) {
        const found = loadConfig(home()).workspaces.find((w) => w.name === opts.workspace);
        if (!found) {
          process.exitCode = 2;
          return void print(t("sandbox.reset.noWorkspace", { name: opts.workspace }));
        }
        root = realOr(found.path);
      }
      const answer = await askServer(home(), { action: "reset", ...(root ? { workspace: root } : {}) });
      let ended: string[] = [];
      if (answer && "ended" in answer) ended = answer.ended;
      // The boxes have ended (or none ran): their cache folders are emptied here, for the named or every registered workspace.
      if (opts.caches) for (const w of loadConfig(home()).workspaces) if (!root || realOr(w.path) === root) rmSync(cacheFolder(realOr(w.path)), { recursive: true, force: true });
      if (opts.json) return printJson({ server_running: answer !== null, ended, caches_cleared: opts.caches === true });
      if (!answer) print(t("sandbox.reset.noServer"));
      else if (answer && "error" in answer) {
        process.exitCode = 1;
        print(answer.error);
      } else print(ended.length > 0 ? t("sandbox.reset.ended", { boxes: ended.join(", ") }) : t("sandbox.reset.none"));
      if (opts.caches) print(t("sandbox.reset.caches"));
    });
}

/** The boxes part of `sandbox status`. */
function boxLines(boxes: BoxStatus[] | null, serverRunning: boolean): string[] {
  if (!serverRunning) return [t("sandbox.box.noServer")];
  if (!boxes || boxes.length === 0) return [t("sandbox.box.none")];
  const lines: string[] = [];
  for (const box of boxes) {
    lines.push(t("sandbox.box.line", { id: box.id, workspace: box.workspace, since: box.started_at, processes: String(box.processes.length), tmp: box.tmp_bytes === null ? "?" : formatBytes(box.tmp_bytes) }));
    for (const proc of box.processes.slice(0, 20)) lines.push(`    ${proc.pid}  ${proc.job ?? "-"}  ${proc.command}`);
    if (box.cache_home) lines.push(t("sandbox.box.cache", { path: box.cache_home, size: box.cache_bytes === null ? "?" : `${box.cache_bytes_partial ? "≥ " : ""}${formatBytes(box.cache_bytes)}` }));
  }
  return lines;
}

function formatBytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The config's sandbox settings; the defaults before any config exists. */
function settings(): SandboxSettings {
  try {
    return loadConfig(home()).sandbox;
  } catch (error) {
    if (error instanceof ConfigError && error.kind === "missing") return DEFAULT_SANDBOX_SETTINGS;
    throw error;
  }
}
