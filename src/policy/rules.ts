/**
 * The default deny rules by name. The name is what a refusal shows (and what
 * docs/command-policy.md lists); the checks live in handlers/.
 */
export const RULES = {
  "parse-error": "the command is not valid shell syntax, so it cannot be inspected",
  privilege: "runs something as another user (sudo, su, doas, pkexec)",
  power: "shuts down, reboots or halts the computer",
  disk: "formats, partitions or writes raw data to a disk device",
  "fork-bomb": "a function that keeps spawning copies of itself",
  "recursive-delete": "deletes recursively outside the workspace, the workspace root itself, /, your home folder, or everything at those levels",
  "recursive-permissions": "changes owner or permissions recursively outside the workspace",
  "git-reset-hard": "git reset --hard throws away uncommitted work",
  "git-clean": "git clean -f deletes untracked files for good",
  "git-discard-changes": "git checkout/restore of everything (or forced) throws away uncommitted changes",
  "git-force-push": "a forced git push can overwrite other people's commits",
  "git-branch-force-delete": "git branch -D deletes a branch even when its commits are not merged",
  "pipe-to-shell": "runs downloaded or decoded text as shell code (curl … | sh, base64 -d | bash)",
  "eval-dynamic": "evaluates shell code that is only known at run time (eval, sh -c with a computed string)",
  "tool-config": "touches this tool's own config folder (it holds the access token)",
  "too-long": "the command line is too long to inspect quickly (over 20,000 characters)",
  "nesting-limit": "shell code nested too deeply (or expanding to too many commands) to inspect",
} as const;

export type DefaultRuleName = keyof typeof RULES;

/** A default rule or a user's extra deny rule from the config file. */
export type RuleName = DefaultRuleName | (string & {});

/** Thrown by a check to stop the inspection: the command is refused. */
export class Refusal extends Error {
  constructor(
    readonly rule: RuleName,
    readonly reason: string,
  ) {
    // A reason may quote a word only known at run time: expand.ts marks those parts with NUL
    // (its UNKNOWN), which must not reach an answer; they read as "…".
    reason = reason.replaceAll("\u0000", "…");
    super(`${rule}: ${reason}`);
    this.name = "Refusal";
  }
}
