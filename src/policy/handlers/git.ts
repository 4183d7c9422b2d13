import { resolve } from "node:path";
import type { Handler } from "../analyzer.js";
import { isKnown, literalField, type Field } from "../expand.js";
import { Refusal } from "../rules.js";
import type { ShellState } from "../state.js";
import { within } from "../targets.js";

/**
 * git commands that throw work away: reset --hard, clean -f, checkout/restore
 * of everything, push --force, branch -D, stash clear. Global options
 * (`-C dir`, `-c key=value`) are skipped and `-c alias.x=…` is followed.
 */

const GLOBAL_VALUE_OPTIONS = new Set(["-C", "-c", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env", "--exec-path", "--attr-source"]);

const values = (args: Field[]) => args.filter(isKnown).map((f) => f.value);
const hasFlag = (args: string[], long: string[], short: string) =>
  args.some((a) => long.includes(a) || (new RegExp(`^-[A-Za-z0-9]*${short}[A-Za-z0-9]*$`).test(a) && !a.startsWith("--")));

/** A pathspec that names the whole tree: `.`, `*`, `:/`, or a folder at or above the workspace root. */
function coversEverything(arg: string, state: ShellState, workspaceRoot: string): boolean {
  const spec = arg.replace(/\/+$/, "") || "/";
  if ([".", "*", "**", ":", ":/", ":/*", ":/.", ":(top)", ":(top).", ":(top)*", "./*", "/"].includes(spec)) return true;
  if (/^:\([^)]*\)(\.|\*|\*\*|\/)?$/.test(spec)) return true;
  if (spec.startsWith("-") || spec.startsWith(":")) return false;
  if (state.cwd === null) return spec === "." || spec.startsWith("..");
  const target = resolve(state.cwd, spec);
  return within(target, workspaceRoot);
}

type GitRule = (args: string[], state: ShellState, root: string) => [rule: string, reason: string] | null;

const SUBCOMMANDS: Record<string, GitRule> = {
  reset: (args) => (args.includes("--hard") ? ["git-reset-hard", "`git reset --hard` discards every uncommitted change"] : null),
  clean: (args) =>
    hasFlag(args, ["--force"], "f") && !hasFlag(args, ["--dry-run"], "n")
      ? ["git-clean", "`git clean -f` deletes untracked files, which git cannot bring back"]
      : null,
  checkout: (args, state, root) => {
    if (hasFlag(args, ["--force"], "f")) return ["git-discard-changes", "`git checkout --force` discards uncommitted changes"];
    const everything = args.find((a) => !a.startsWith("-") && coversEverything(a, state, root));
    return everything ? ["git-discard-changes", `\`git checkout ${everything}\` overwrites every uncommitted change`] : null;
  },
  restore: (args, state, root) => {
    const stagedOnly = hasFlag(args, ["--staged"], "S") && !hasFlag(args, ["--worktree"], "W");
    if (stagedOnly) return null;
    const everything = args.find((a) => !a.startsWith("-") && coversEverything(a, state, root));
    return everything ? ["git-discard-changes", `\`git restore ${everything}\` overwrites every uncommitted change`] : null;
  },
  switch: (args) =>
    hasFlag(args, ["--discard-changes", "--force"], "f") ? ["git-discard-changes", "`git switch --discard-changes` throws away local changes"] : null,
  push: (args) => {
    const forced =
      args.some((a) => a.startsWith("--force") || a === "--mirror") ||
      hasFlag(args, [], "f") ||
      args.some((a) => a.startsWith("+") && a.length > 1);
    return forced ? ["git-force-push", "a forced push overwrites the remote branch"] : null;
  },
  branch: (args) => {
    const forceDelete =
      hasFlag(args, [], "D") || (hasFlag(args, ["--delete"], "d") && hasFlag(args, ["--force"], "f"));
    return forceDelete ? ["git-branch-force-delete", "`git branch -D` deletes a branch even if its commits are not merged anywhere"] : null;
  },
  stash: (args) => (args[0] === "clear" ? ["git-discard-changes", "`git stash clear` deletes every stash"] : null),
};

const git: Handler = ({ argv, state }, analyzer) => {
  const args = argv.slice(1);
  let runState = state;
  const aliases = new Map<string, string>();
  let i = 0;
  while (i < args.length) {
    const field = args[i]!;
    const v = field.value;
    if (!isKnown(field) || !v.startsWith("-")) break;
    const [name, inline] = v.startsWith("--") ? (v.split("=", 2) as [string, string | undefined]) : [v, undefined];
    const value = inline ?? (GLOBAL_VALUE_OPTIONS.has(name) ? args[i + 1]?.value : undefined);
    if (name === "-C" && value !== undefined) {
      runState = runState.copy();
      runState.changeDirectory(isKnown(args[i + 1]!) ? value : null);
    }
    if (name === "-c" && value) {
      const alias = /^alias\.([^=]+)=(.*)$/s.exec(value);
      if (alias) aliases.set(alias[1]!, alias[2]!);
    }
    i += GLOBAL_VALUE_OPTIONS.has(name) && inline === undefined ? 2 : 1;
  }
  let sub = args[i];
  let rest = args.slice(i + 1);
  if (!sub || !isKnown(sub)) return;
  const alias = aliases.get(sub.value);
  if (alias !== undefined) {
    if (alias.startsWith("!")) {
      return analyzer.runCode([alias.slice(1), ...values(rest)].join(" "), runState, `the git alias \`${sub.value}\``);
    }
    const words = alias.split(/\s+/).filter(Boolean).map((w) => literalField(w));
    sub = words[0] ?? sub;
    rest = [...words.slice(1), ...rest];
  }
  const rule = SUBCOMMANDS[sub.value]?.(values(rest), runState, analyzer.places.workspaceRoot);
  if (rule) throw new Refusal(rule[0], rule[1]);
};

export const GIT_HANDLERS: Array<[string, Handler]> = [["git", git]];
