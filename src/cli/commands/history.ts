import type { Command } from "commander";
import { loadConfig } from "../../config/store.js";
import { activeWorkspace } from "../../core/context.js";
import { checkpointSettings } from "../../checkpoints/hook.js";
import { normalizePaths } from "../../checkpoints/restore.js";
import { listCheckpoints, restoreFromTree, type CheckpointView, type RestoreAnswer } from "../../checkpoints/service.js";
import { CheckpointStore } from "../../checkpoints/store.js";
import { resolveInside } from "../../workspace/resolveInside.js";
import { CliError, home, print, printJson } from "../io.js";

/** Every human line of `history` and `undo`, in one place (a translation goes next to it). */
export const TEXT = {
  historyDescription: "Show the checkpoints of the active workspace: one per write, patch, command or restore, newest first",
  historyJson: "print one JSON document",
  historyLimit: "how many checkpoints to show",
  historyEmpty: (ws: string) => `No checkpoints yet in workspace "${ws}": one is taken before every change the GPT makes.`,
  historyHeader: (ws: string) => `Checkpoints of workspace "${ws}" (newest first). Undo one with: chatgpt-codex undo <id>`,
  historyColumns: ["time", "id", "action", "files", "summary"] as const,
  filesUnknown: "-",
  skippedNote: (n: number) => `  (${n} file(s) not stored: too large or not readable)`,
  failedNote: "  (the action failed after this checkpoint)",
  undoDescription: "Put the files back as they were at a checkpoint (default: before the last action); undoable itself",
  undoPath: "only this file or folder (repeatable)",
  undoDryRun: "show what would change, change nothing",
  nothingToUndo: (ws: string) => `Nothing to undo: workspace "${ws}" has no checkpoints yet.`,
  planHeader: (id: string, when: string, summary: string) => `Going back to checkpoint ${id} (${when}, before: ${summary}).`,
  planNothing: "The files already match that checkpoint: nothing to change.",
  planRestore: (n: number) => `Will write back ${n} file(s):`,
  planDelete: (n: number) => `Will delete ${n} file(s) that did not exist then:`,
  planKept: (n: number) => `Will leave ${n} path(s) alone:`,
  more: (n: number) => `  … and ${n} more`,
  dryRunDone: "Dry run: nothing was changed.",
  done: (restored: number, deleted: number) => `Done: ${restored} file(s) written back, ${deleted} deleted.`,
  undoHint: (id: string) => `The state before this undo is checkpoint ${id}; to take the undo back: chatgpt-codex undo ${id}`,
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
  const widths = TEXT.historyColumns.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  print(line(TEXT.historyColumns));
  views.forEach((v, i) => {
    print(line(rows[i]!));
    if (v.skipped_total) print(TEXT.skippedNote(v.skipped_total));
    if (v.failed) print(TEXT.failedNote);
  });
}

function printList(header: string, items: readonly string[]): void {
  if (items.length === 0) return;
  print(header);
  for (const item of items.slice(0, LIST_MAX)) print(`  ${item}`);
  if (items.length > LIST_MAX) print(TEXT.more(items.length - LIST_MAX));
}

function printPlan(plan: RestoreAnswer): void {
  if (plan.restored_total + plan.deleted_total + plan.kept.length === 0) return print(TEXT.planNothing);
  printList(TEXT.planRestore(plan.restored_total), plan.restored);
  printList(TEXT.planDelete(plan.deleted_total), plan.deleted);
  printList(TEXT.planKept(plan.kept.length), plan.kept.map((k) => `${k.path}: ${k.reason}`));
}

export function register(program: Command): void {
  program
    .command("history")
    .description(TEXT.historyDescription)
    .option("--json", TEXT.historyJson)
    .option("-n, --limit <n>", TEXT.historyLimit, "50")
    .action(async (opts: { json?: boolean; limit: string }) => {
      if (!/^\d+$/.test(opts.limit) || Number(opts.limit) < 1) throw new CliError(`--limit needs a whole number ≥ 1, got "${opts.limit}"`, 2);
      const { store, workspace } = openStore();
      const page = await listCheckpoints(store, Math.min(Number(opts.limit), 10_000), undefined);
      if (opts.json) printJson({ workspace, ...page });
      else printHistory(workspace, page.checkpoints);
    });

  program
    .command("undo [id]")
    .description(TEXT.undoDescription)
    .option("--path <path...>", TEXT.undoPath)
    .option("--dry-run", TEXT.undoDryRun)
    .action(async (id: string | undefined, opts: { path?: string[]; dryRun?: boolean }) => {
      const { store, workspace, root } = openStore();
      const records = store.records();
      if (records.length === 0) throw new CliError(TEXT.nothingToUndo(workspace));
      const target = id === undefined ? records.at(-1)! : store.find(id);
      const paths = normalizePaths(opts.path, (p) => resolveInside(root, p, [home()]));
      await store.locked(async () => {
        const snap = await store.snapshot();
        const plan = await restoreFromTree(store, target, snap.tree, paths, true);
        print(TEXT.planHeader(target.id, localTime(target.created_at), target.summary));
        printPlan(plan);
        if (opts.dryRun) return print(TEXT.dryRunDone);
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
