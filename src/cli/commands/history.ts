import type { Command } from "commander";
import { loadConfig } from "../../config/store.js";
import { activeWorkspace } from "../../core/context.js";
import { checkpointSettings } from "../../checkpoints/hook.js";
import { normalizePaths } from "../../checkpoints/restore.js";
import { listCheckpoints, restoreFromTree, type CheckpointView, type RestoreAnswer } from "../../checkpoints/service.js";
import { CheckpointStore } from "../../checkpoints/store.js";
import { resolveInside } from "../../workspace/resolveInside.js";
import { t } from "../i18n/index.js";
import { CliError, home, print, printJson } from "../io.js";

/** Every human line of `history` and `undo`, in one place (a translation goes next to it). */
/** The command's human texts, from the CLI's message catalog (English or Chinese). */
export const TEXT = {
  historyDescription: () => t("history.desc"),
  historyLimit: () => t("history.limit"),
  historyEmpty: (ws: string) => t("history.empty", { ws }),
  historyHeader: (ws: string) => t("history.header", { ws }),
  historyColumns: () => [t("history.col.time"), t("history.col.id"), t("history.col.action"), t("history.col.files"), t("history.col.summary")] as const,
  filesUnknown: "-",
  skippedNote: (n: number) => t("history.skipped", { n }),
  failedNote: () => t("history.failed"),
  undoDescription: () => t("undo.desc"),
  undoPath: () => t("undo.path"),
  undoDryRun: () => t("undo.dryRun"),
  nothingToUndo: (ws: string) => t("undo.nothing", { ws }),
  planHeader: (id: string, when: string, summary: string) => t("undo.planHeader", { id, when, summary }),
  planNothing: () => t("undo.planNothing"),
  planRestore: (n: number) => t("undo.planRestore", { n }),
  planDelete: (n: number) => t("undo.planDelete", { n }),
  planKept: (n: number) => t("undo.planKept", { n }),
  more: (n: number) => t("undo.more", { n }),
  dryRunDone: () => t("undo.dryRunDone"),
  done: (restored: number, deleted: number) => t("undo.done", { restored, deleted }),
  undoHint: (id: string) => t("undo.hint", { id }),
};

const LIST_MAX = 30;

function openStore(): { store: CheckpointStore; workspace: string; root: string } {
  const h = home();
  const config = loadConfig(h);
  const ws = activeWorkspace(config);
  return { store: new CheckpointStore(h, ws.root, checkpointSettings(config)), workspace: ws.name, root: ws.root };
}

function localTime(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function printHistory(workspace: string, views: CheckpointView[]): void {
  if (views.length === 0) return print(TEXT.historyEmpty(workspace));
  print(TEXT.historyHeader(workspace));
  const rows = views.map((v) => [localTime(v.created_at), v.id, v.action, v.files_changed === null ? TEXT.filesUnknown : String(v.files_changed), v.summary]);
  const widths = TEXT.historyColumns().map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  print(line(TEXT.historyColumns()));
  views.forEach((v, i) => {
    print(line(rows[i]!));
    if (v.skipped_total) print(TEXT.skippedNote(v.skipped_total));
    if (v.failed) print(TEXT.failedNote());
  });
}

function printList(header: string, items: readonly string[]): void {
  if (items.length === 0) return;
  print(header);
  for (const item of items.slice(0, LIST_MAX)) print(`  ${item}`);
  if (items.length > LIST_MAX) print(TEXT.more(items.length - LIST_MAX));
}

function printPlan(plan: RestoreAnswer): void {
  if (plan.restored_total + plan.deleted_total + plan.kept.length === 0) return print(TEXT.planNothing());
  printList(TEXT.planRestore(plan.restored_total), plan.restored);
  printList(TEXT.planDelete(plan.deleted_total), plan.deleted);
  printList(TEXT.planKept(plan.kept.length), plan.kept.map((k) => `${k.path}: ${k.reason}`));
}

export function register(program: Command): void {
  program
    .command("history")
    .description(TEXT.historyDescription())
    .addHelpText("after", t("history.example"))
    .option("--json", t("opt.json"))
    .option("-n, --limit <n>", TEXT.historyLimit(), "50")
    .action(async (opts: { json?: boolean; limit: string }) => {
      if (!/^\d+$/.test(opts.limit) || Number(opts.limit) < 1) throw new CliError(`--limit needs a whole number ≥ 1, got "${opts.limit}"`, 2);
      const { store, workspace } = openStore();
      const page = await listCheckpoints(store, Math.min(Number(opts.limit), 10_000), undefined);
      if (opts.json) printJson({ workspace, ...page });
      else printHistory(workspace, page.checkpoints);
    });

  program
    .command("undo [id]")
    .description(TEXT.undoDescription())
    .addHelpText("after", t("undo.example"))
    .option("--path <path...>", TEXT.undoPath())
    .option("--dry-run", TEXT.undoDryRun())
    .action(async (id: string | undefined, opts: { path?: string[]; dryRun?: boolean }) => {
      const { store, workspace, root } = openStore();
      const paths = normalizePaths(opts.path, (p) => resolveInside(root, p, [home()]));
      await store.locked(async () => {
        // The history is read under the lock: a running server may be writing the record of
        // the action it just answered, and "the last checkpoint" must be that one.
        const records = store.records();
        if (records.length === 0) throw new CliError(TEXT.nothingToUndo(workspace));
        const target = id === undefined ? records.at(-1)! : store.find(id);
        const snap = await store.snapshot();
        const plan = await restoreFromTree(store, target, snap.tree, paths, true);
        print(TEXT.planHeader(target.id, localTime(target.created_at), target.summary));
        printPlan(plan);
        if (opts.dryRun) return print(TEXT.dryRunDone());
        if (plan.restored_total + plan.deleted_total === 0) return;
        const before = await store.record("restore_checkpoint", `undo ${target.id}${paths.length ? ` (${paths.join(", ")})` : ""} (command line)`, snap);
        const result = await restoreFromTree(store, target, snap.tree, paths, false);
        store.enforceRetention();
        print(TEXT.done(result.restored_total, result.deleted_total));
        if (result.kept.length > plan.kept.length) printList(TEXT.planKept(result.kept.length), result.kept.map((k) => `${k.path}: ${k.reason}`));
        print(TEXT.undoHint(before.id));
      });
      if (store.needsMaintenance()) await store.locked(() => store.maintain());
    });
}
