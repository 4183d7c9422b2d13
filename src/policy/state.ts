import { isAbsolute, resolve } from "node:path";

/**
 * What the policy knows about the shell while it reads a command line from
 * left to right: the current folder (after `cd`) and variables assigned with
 * literal values. `null` means "computed at run time": rules treat it with
 * suspicion instead of guessing.
 */
export class ShellState {
  private readonly vars = new Map<string, string | null>();
  /** Other things the shell remembers (arrays, aliases, functions, shell options, open file descriptors), by key. */
  private readonly extras = new Map<string, unknown>();

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

  /**
   * Like lookup, but tells "not set anywhere" (undefined) apart from
   * "computed at run time" (null): for variables whose mere presence
   * changes what the shell does (CDPATH, GIT_CONFIG_*).
   */
  lookupSet(name: string): string | null | undefined {
    for (let state: ShellState | null = this; state !== null; state = state.parent) {
      if (state.vars.has(name)) return state.vars.get(name) ?? null;
    }
    return this.env[name];
  }

  assign(name: string, value: string | null): void {
    if (!name) return;
    this.vars.set(name, value);
    this.set(`array:${name}`, value === null ? null : [value]);
  }

  /** `name=(a b c)`: null elements mean the array is computed at run time. */
  assignArray(name: string, elements: string[] | null): void {
    if (!name) return;
    this.vars.set(name, elements === null ? null : (elements[0] ?? ""));
    this.set(`array:${name}`, elements);
  }

  /** The elements of `${name[@]}`, or null when they are only known at run time. */
  lookupArray(name: string): string[] | null {
    const stored = this.get<string[] | null>(`array:${name}`);
    if (stored !== undefined) return stored;
    const scalar = this.lookup(name);
    return scalar === null ? null : [scalar];
  }

  /** `$1 … $N`, `$@`, `$#` (null entries are computed at run time). */
  setPositionals(args: Array<string | null>): void {
    for (let i = 1; i <= Math.max(args.length, 9); i++) this.vars.set(String(i), i <= args.length ? args[i - 1]! : "");
    this.vars.set("#", String(args.length));
    this.set("array:@", args.some((a) => a === null) ? null : (args as string[]));
  }

  /** Run with positional parameters bound (a function call), then put the caller's back. */
  withPositionals(args: Array<string | null>, body: () => void): void {
    const keys = ["#", ...Array.from({ length: Math.max(args.length, 9) }, (_v, i) => String(i + 1))];
    const saved = keys.map((k) => [k, this.vars.has(k), this.vars.get(k)] as const);
    const savedList = this.extras.has("array:@") ? { value: this.extras.get("array:@") } : null;
    this.setPositionals(args);
    try {
      body();
    } finally {
      for (const [k, had, value] of saved) {
        if (had) this.vars.set(k, value ?? null);
        else this.vars.delete(k);
      }
      if (savedList) this.extras.set("array:@", savedList.value);
      else this.extras.delete("array:@");
    }
  }

  get<T>(key: string): T | undefined {
    for (let state: ShellState | null = this; state !== null; state = state.parent) {
      if (state.extras.has(key)) return state.extras.get(key) as T;
    }
    return undefined;
  }

  set(key: string, value: unknown): void {
    this.extras.set(key, value);
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
