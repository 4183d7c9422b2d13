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
    const resolved = this.resolve(name);
    return resolved === null ? null : this.lookupOwn(resolved);
  }

  private lookupOwn(name: string): string | null {
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
    const resolved = this.resolve(name);
    if (resolved === null) return null;
    for (let state: ShellState | null = this; state !== null; state = state.parent) {
      if (state.vars.has(resolved)) return state.vars.get(resolved) ?? null;
    }
    return this.env[resolved];
  }

  assign(name: string, value: string | null): void {
    if (!name) return;
    const resolved = this.resolveForWrite(name, value);
    if (resolved === null) return;
    this.written(resolved);
    // `declare -l x` (or -u, -c, -i): what is stored is not what was assigned.
    if (this.get<boolean>(`transform:${resolved}`)) value = null;
    this.vars.set(resolved, value);
    this.set(`array:${resolved}`, value === null ? null : [value]);
  }

  /** `name=(a b c)`: null elements mean the array is computed at run time. */
  assignArray(name: string, elements: string[] | null): void {
    if (!name) return;
    const resolved = this.resolveForWrite(name, null);
    if (resolved === null) return;
    this.written(resolved);
    if (this.get<boolean>(`transform:${resolved}`)) elements = null;
    this.vars.set(resolved, elements === null ? null : (elements[0] ?? ""));
    this.set(`array:${resolved}`, elements);
  }

  /** `declare -l/-u/-c/-i name`: later assignments to it are changed on the way in. */
  markTransformed(name: string): void {
    const resolved = this.resolve(name);
    if (resolved === null) return this.forgetAll();
    this.set(`transform:${resolved}`, true);
  }

  /**
   * BASH_CMDS is bash's table of where commands are (like `hash -p`) and
   * BASH_ALIASES its aliases: once either is written, any command name may
   * run another program.
   */
  private written(name: string): void {
    if (name === "BASH_CMDS" || name === "BASH_ALIASES") this.set("commands-rebound", name);
  }

  /** The table (BASH_CMDS or BASH_ALIASES) written on this line, if any. */
  commandsRebound(): string | undefined {
    return this.get<string>("commands-rebound");
  }

  /** The elements of `${name[@]}`, or null when they are only known at run time. */
  lookupArray(name: string): string[] | null {
    const resolved = this.resolve(name);
    if (resolved === null) return null;
    const stored = this.get<string[] | null>(`array:${resolved}`);
    if (stored !== undefined) return stored;
    const scalar = this.lookupOwn(resolved);
    return scalar === null ? null : [scalar];
  }

  /**
   * `declare -n name=target`: reads and writes of name go to target. An
   * empty target is set by the first assignment; null is a target computed
   * at run time.
   */
  declareNameref(name: string, target: string | null): void {
    if (target !== null && target !== "" && !/^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?$/.test(target)) target = null;
    this.set(`nameref:${name}`, target);
  }

  /** The name a nameref points to ("" when not yet set, null when computed), or undefined for an ordinary variable. */
  namerefTarget(name: string): string | null | undefined {
    return this.get<string | null>(`nameref:${name}`);
  }

  /** The variable a name stands for after following namerefs, or null when a computed target is in the way. */
  private resolve(name: string): string | null {
    let current = name;
    for (let hops = 0; hops < 8; hops++) {
      const target = this.namerefTarget(current);
      if (target === undefined || target === "") return current;
      if (target === null) return null;
      // `declare -n r='a[1]'`: one element of an array is not followed exactly.
      if (target.includes("[")) return null;
      current = target;
    }
    return null;
  }

  /**
   * The variable an assignment lands in. Through a nameref with a computed
   * target it may be any variable: every variable becomes unknown (null is
   * returned and nothing else is written).
   */
  private resolveForWrite(name: string, value: string | null): string | null {
    let current = name;
    for (let hops = 0; hops < 8; hops++) {
      const target = this.namerefTarget(current);
      if (target === undefined) return current;
      if (target === "") {
        // The first assignment to an unset nameref names its target.
        this.declareNameref(current, value);
        return null;
      }
      if (target === null || target.includes("[")) break;
      current = target;
    }
    this.forgetAll();
    return null;
  }

  /** Every variable (assigned on the line or inherited) becomes computed at run time; `written` when it was a write (not an `unset`). */
  forgetAll(written = true): void {
    const names = new Set<string>(Object.keys(this.env));
    for (let state: ShellState | null = this; state !== null; state = state.parent) {
      for (const name of state.vars.keys()) names.add(name);
      for (const key of state.extras.keys()) if (key.startsWith("array:")) names.add(key.slice(6));
    }
    for (const name of names) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || this.namerefTarget(name) !== undefined) continue;
      this.vars.set(name, null);
      this.set(`array:${name}`, null);
    }
    // The unknown variable may have been one of bash's command tables.
    if (written) this.set("commands-rebound", "a variable named at run time");
    // IFS and HOME have built-in values when unset: they are variables like any other here.
    for (const name of ["IFS", "HOME", "PWD"]) {
      this.vars.set(name, null);
      this.set(`array:${name}`, null);
    }
  }

  /** Names assigned in this state itself (not its parents): what a subshell changed. */
  ownNames(): string[] {
    const names = new Set<string>(this.vars.keys());
    for (const key of this.extras.keys()) if (/^(array|nameref|transform):/.test(key)) names.add(key.slice(key.indexOf(":") + 1));
    return [...names].filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
  }

  /** A variable as another state (a command's temporary one) has it. */
  copyVariable(from: ShellState, name: string): void {
    this.vars.set(name, from.vars.has(name) ? (from.vars.get(name) ?? null) : from.lookupOwn(name));
    for (const key of [`array:${name}`, `nameref:${name}`, `transform:${name}`]) {
      const value = from.get(key);
      if (value !== undefined || from.extras.has(key)) this.extras.set(key, value);
    }
    const rebound = from.commandsRebound();
    if (rebound !== undefined) this.set("commands-rebound", rebound);
  }

  /** A function's `local name`: how to put the caller's variable back when the function returns. */
  saveVariable(name: string): () => void {
    const own = this.vars.has(name);
    const value = this.vars.get(name);
    const keys = [`array:${name}`, `nameref:${name}`];
    const extras = keys.map((key) => [key, this.extras.has(key), this.extras.get(key)] as const);
    return () => {
      if (own) this.vars.set(name, value ?? null);
      else this.vars.delete(name);
      for (const [key, had, saved] of extras) {
        if (had) this.extras.set(key, saved);
        else this.extras.delete(key);
      }
    };
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
