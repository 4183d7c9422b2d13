import { resolve } from "node:path";
import { Analyzer } from "./analyzer.js";
import { handlerFor } from "./handlers/index.js";
import { parseShell } from "./parser.js";
import { Refusal, type RuleName } from "./rules.js";
import { ShellSyntaxError } from "./shellAst.js";
import { ShellState } from "./state.js";
import type { Places } from "./targets.js";

/**
 * The command policy: a guardrail against the destructive commands a model
 * is most likely to type by mistake, not a sandbox. A shell can always be
 * talked into running something the policy did not see (a script file, an
 * interpreter's own code); docs/command-policy.md says what is and is not caught.
 */

export interface PolicyOptions {
  /** Real path of the active workspace. */
  workspaceRoot: string;
  /** Folder the command starts in (default: the workspace root). */
  cwd?: string;
  home: string;
  /** This tool's config folder; commands naming it are refused. */
  configHome?: string | null;
  /** The environment the command will get (variables the policy may resolve, e.g. $TMPDIR). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The config file's `policy`: extra deny rules and exact-text allows. */
  policy?: { deny: ReadonlyArray<{ name: string; pattern: string }>; allow: readonly string[] };
  /**
   * How the sandbox the command will run in shows the file system. Absent (no sandbox,
   * or one without folders of its own, as Seatbelt on macOS): this computer's, as written.
   */
  sandbox?: SandboxView;
}

/**
 * Folders a sandbox makes its own: bubblewrap mounts an empty tmpfs on /tmp and
 * /dev/shm, so `rm -rf /tmp/x` there deletes the sandbox's file, not this
 * computer's. What the sandbox mounts inside them from this computer stays this
 * computer's, and so does every folder holding such a mount.
 */
export interface SandboxView {
  /** The sandbox's own folders (absolute, normalised): `/tmp`, `/dev/shm`. */
  privateRoots: readonly string[];
  /** This computer's folders (real paths) the sandbox mounts inside them, read-write or read-only. */
  mounted: readonly string[];
}

export type PolicyVerdict =
  | { allowed: true; explicitlyAllowed: boolean }
  | { allowed: false; rule: RuleName; reason: string };

export const CONFIG_FOLDER_NAME = ".chatgpt-codex";
/** Parsing cost grows with the number of words; past this a command line is refused rather than inspected slowly. */
export const MAX_COMMAND_CHARS = 20_000;

export function checkCommand(command: string, options: PolicyOptions): PolicyVerdict {
  const text = command.trim();
  const policy = options.policy ?? { deny: [], allow: [] };
  const denied = (subject: string) => userDenyRule(subject, policy.deny);

  const onRaw = denied(text);
  if (onRaw) return onRaw;
  if (policy.allow.some((allowed) => allowed.trim() === text)) return { allowed: true, explicitlyAllowed: true };

  const markers = [CONFIG_FOLDER_NAME, ...(options.configHome ? [options.configHome] : [])];
  if (markers.some((marker) => text.includes(marker))) {
    return refused(new Refusal("tool-config", "the command names this tool's config folder, which holds the access token"));
  }

  if (text.length > MAX_COMMAND_CHARS) {
    return refused(new Refusal("too-long", `the command line has ${text.length} characters; the policy inspects at most ${MAX_COMMAND_CHARS}`));
  }

  let statements;
  try {
    statements = parseShell(text);
  } catch (error) {
    if (error instanceof ShellSyntaxError) return { allowed: false, rule: "parse-error", reason: `the command does not parse: ${error.message}` };
    if (error instanceof RangeError) return refused(TOO_DEEP);
    throw error;
  }

  const analyzer = new Analyzer(placesOf(options), handlerFor, markers);
  const state = new ShellState(options.cwd ?? options.workspaceRoot, options.home, options.env ?? {});
  try {
    analyzer.script(statements, state);
    analyzer.finish();
  } catch (error) {
    if (error instanceof Refusal) return refused(error);
    // A line nested deeper than the stack (`a && a && …` thousands of times): refused rather than an error.
    if (error instanceof RangeError) return refused(TOO_DEEP);
    throw error;
  }
  for (const expanded of analyzer.seen) {
    const hit = denied(expanded);
    if (hit) return hit;
  }
  return { allowed: true, explicitlyAllowed: false };
}

/** What the target checks compare paths with. */
export function placesOf(options: PolicyOptions): Places {
  return {
    workspaceRoot: options.workspaceRoot,
    home: options.home,
    configHome: options.configHome ?? null,
    ...(options.sandbox ? { privateRoots: options.sandbox.privateRoots.map((p) => resolve(p)), mounted: options.sandbox.mounted.map((p) => resolve(p)) } : {}),
  };
}

const TOO_DEEP = new Refusal("nesting-limit", "the command line is nested too deeply to inspect");

function refused(refusal: Refusal): PolicyVerdict {
  return { allowed: false, rule: refusal.rule, reason: refusal.reason };
}

const compiled = new Map<string, RegExp>();

/** A user's pattern as a regular expression; one that does not compile is matched as plain text instead of being ignored. */
function patternOf(source: string): RegExp {
  let regex = compiled.get(source);
  if (!regex) {
    try {
      regex = new RegExp(source);
    } catch {
      regex = new RegExp(source.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    }
    compiled.set(source, regex);
  }
  return regex;
}

export function userDenyRule(subject: string, deny: ReadonlyArray<{ name: string; pattern: string }>): PolicyVerdict | null {
  for (const rule of deny) {
    if (patternOf(rule.pattern).test(subject)) {
      return { allowed: false, rule: rule.name, reason: `the command matches the deny rule "${rule.name}" from the config file` };
    }
  }
  return null;
}
