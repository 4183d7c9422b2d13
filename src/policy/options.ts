import { isKnown, type Field } from "./expand.js";

/**
 * Option parsing as getopt_long and git's parse-options do it: long options
 * may be abbreviated to any unique prefix (`--recur` is `--recursive`,
 * `--har` is `--hard`), git also accepts `--no-<option>`, short options
 * cluster (`-fdx`) and a short option that takes a value swallows the rest
 * of its cluster or the next argument. Options may follow operands (GNU
 * permutes), `--` ends them.
 *
 * The tables list every long option of the commands the rules rely on. When
 * a prefix is ambiguous the real command refuses to run, except that a
 * prefix of a dangerous option is treated as that option (the tables may
 * lag behind a newer version of the tool).
 */

export type Arity = "none" | "required" | "optional";

export interface OptionSpec {
  /** Long option names without `--`, and whether they take a value. */
  long: Readonly<Record<string, Arity>>;
  /** Short options that take a value (`-e PATTERN`, `-ePATTERN`). */
  shortValues?: string;
  /** git: every option also has a `--no-<name>` form. */
  negatable?: boolean;
  /** Long options whose abbreviations count even when ambiguous. */
  dangerous?: readonly string[];
}

export type OptionEvent =
  | { kind: "long"; name: string; value: string | null; field: Field }
  | { kind: "short"; name: string; value: string | null; field: Field }
  /** An argument that is not an option (or everything after `--`, or a computed argument). */
  | { kind: "operand"; field: Field };

/** The long option an argument names: exact, a unique prefix, or (ambiguous) a dangerous one; null when none. */
export function resolveLong(name: string, spec: OptionSpec): string | null {
  const names = longNames(spec);
  if (names.includes(name)) return name;
  const candidates = names.filter((n) => n.startsWith(name));
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0 || name === "") return null;
  return candidates.find((c) => spec.dangerous?.includes(c)) ?? null;
}

const namesCache = new WeakMap<OptionSpec, string[]>();

function longNames(spec: OptionSpec): string[] {
  let names = namesCache.get(spec);
  if (!names) {
    const own = Object.keys(spec.long);
    names = spec.negatable ? [...new Set([...own, ...own.filter((n) => !n.startsWith("no-")).map((n) => `no-${n}`)])] : own;
    namesCache.set(spec, names);
  }
  return names;
}

function arityOf(name: string, spec: OptionSpec): Arity {
  return spec.long[name] ?? "none";
}

/** Split arguments (argv without the command name) into options and operands, in order. */
export function parseOptions(args: readonly Field[], spec: OptionSpec): OptionEvent[] {
  const events: OptionEvent[] = [];
  for (let i = 0; i < args.length; i++) {
    const field = args[i]!;
    const v = field.value;
    if (!isKnown(field) || v === "-" || !v.startsWith("-")) {
      events.push({ kind: "operand", field });
      continue;
    }
    if (v === "--") {
      for (const rest of args.slice(i + 1)) events.push({ kind: "operand", field: rest });
      break;
    }
    if (v.startsWith("--")) {
      const eq = v.indexOf("=");
      const written = eq < 0 ? v.slice(2) : v.slice(2, eq);
      const name = resolveLong(written, spec) ?? written;
      let value: string | null = eq < 0 ? null : v.slice(eq + 1);
      if (value === null && arityOf(name, spec) === "required" && i + 1 < args.length) value = args[++i]!.value;
      events.push({ kind: "long", name, value, field });
      continue;
    }
    for (let c = 1; c < v.length; c++) {
      const name = v[c]!;
      if (spec.shortValues?.includes(name)) {
        const attached = v.slice(c + 1);
        const value = attached || (i + 1 < args.length ? args[++i]!.value : null);
        events.push({ kind: "short", name, value, field });
        break;
      }
      events.push({ kind: "short", name, value: null, field });
    }
  }
  return events;
}

/** Operands only. */
export function operands(events: OptionEvent[]): Field[] {
  return events.flatMap((e) => (e.kind === "operand" ? [e.field] : []));
}
