import { closeSync, openSync, readSync, statSync, watchFile, unwatchFile, readFileSync, existsSync } from "node:fs";
import type { Command } from "commander";
import { AuditLog, readAuditLine, type AuditRecord } from "../../audit/log.js";
import { t } from "../i18n/index.js";
import { home, print, UsageError } from "../io.js";

/** The outcome word, with the exit code of a failed command or the error code of a refusal or error. */
function outcomeText(record: AuditRecord): string {
  if (record.outcome === "failed" && record.exit_code !== undefined) return `failed (exit ${record.exit_code})`;
  if (record.error_code !== undefined && record.outcome !== "ok") return `${record.outcome} (${record.error_code})`;
  return record.outcome;
}

function formatRecord(record: AuditRecord): string {
  const what = record.command !== undefined ? `$ ${record.command}` : (record.paths ?? []).join(" ");
  return `${record.time}  ${record.action.padEnd(17)} ${String(record.status ?? "-").padEnd(3)} ${outcomeText(record).padEnd(17)} ${String(record.duration_ms).padStart(6)}ms  ${record.workspace ?? "-"}  ${what}`.trimEnd();
}

/** One line of the file as shown: in today's outcome vocabulary (older lines too); a torn line as it is. */
function showLine(line: string, json: boolean): string {
  const record = readAuditLine(line);
  if (record === null) return line;
  return json ? JSON.stringify(record) : formatRecord(record);
}

export function register(program: Command): void {
  program
    .command("log")
    .description(t("log.desc"))
    .option("-f, --follow", t("opt.follow"))
    .option("-n, --lines <n>", t("opt.lines"), "50")
    .option("--json", t("opt.jsonLines"))
    .addHelpText("after", t("log.example"))
    .action(async (opts: { follow?: boolean; lines: string; json?: boolean }) => {
      if (!/^\d+$/.test(opts.lines)) throw new UsageError(t("usage.lines", { value: opts.lines }));
      const file = new AuditLog(home()).file;
      const show = (line: string) => print(showLine(line, opts.json === true));
      let offset = 0;
      if (existsSync(file)) {
        const text = readFileSync(file, "utf8");
        offset = Buffer.byteLength(text);
        const lines = text.split("\n").filter(Boolean);
        for (const line of lines.slice(-Number(opts.lines))) show(line);
      } else if (!opts.follow) {
        print(t("log.empty"));
      }
      if (!opts.follow) return;
      let pending = "";
      await new Promise<void>((resolve) => {
        const poll = () => {
          let size = 0;
          try {
            size = statSync(file).size;
          } catch {
            return;
          }
          if (size < offset) offset = 0; // rotated
          if (size === offset) return;
          const fd = openSync(file, "r");
          const buffer = Buffer.alloc(size - offset);
          readSync(fd, buffer, 0, buffer.length, offset);
          closeSync(fd);
          offset = size;
          pending += buffer.toString("utf8");
          const lines = pending.split("\n");
          pending = lines.pop() ?? "";
          for (const line of lines) if (line) show(line);
        };
        watchFile(file, { interval: 250 }, poll);
        const stop = () => {
          unwatchFile(file);
          resolve();
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
    });
}
