import { isAbsolute, resolve } from "node:path";

/**
 * What the policy knows about the shell while it reads a command line from
 * left to right: the current folder (after `cd`) and variables assigned with
 * literal values. `null` means "computed at run time": rules treat it with
 * suspicion instead of guessing.
 */
export class ShellState {
  private readonly vars = new Map<string, string | null>();

  constructor(
    /** Current folder, or null after a `cd` to a computed place. */
    public cwd: string | null,
    readonly home: string,
    private readonly env: Readonly<Record<string, string | undefined>>,
    /** Variables are looked up through the state this one was copied from (copying stays cheap). */
    private readonly parent: ShellState | null = null,
  ) {}

  /** A subshell, pipeline stage or substitution: changes in it do not come back. */
  copy(): ShellState {
    return new ShellState(this.cwd, this.home, this.env, this);
  }

  /** The value of `$name`, or null when it is only known at run time. */
  lookup(name: string): string | null {
    for (let state: ShellState | null = this; state !== null; state = state.parent) {
      if (state.vars.has(name)) return state.vars.get(name) ?? null;
    }
    switch (name) {
      case "HOME":
        return this.home;
      case "PWD":
        return this.cwd;
      case "IFS":
        // bash ignores an inherited IFS and starts with space, tab, newline.
        return " \t\n";
    }
    // Positional and special parameters ($1, $@, $?, $$ …) are never known here.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return null;
    return this.env[name] ?? null;
  }

  assign(name: string, value: string | null): void {
    if (name) this.vars.set(name, value);
  }

  /** `cd`: an absolute folder, one relative to the current folder, or unknown. */
  changeDirectory(target: string | null): void {
    if (target === null) {
      this.cwd = null;
    } else if (isAbsolute(target)) {
      this.cwd = resolve(target);
    } else {
      this.cwd = this.cwd === null ? null : resolve(this.cwd, target);
    }
  }
}
