import type { WrapperSpec } from "./commandTables.js";
import { isKnown, type Field } from "./expand.js";
import { resolveLong, type OptionSpec } from "./options.js";

const longSpecs = new WeakMap<WrapperSpec, OptionSpec>();

/** A wrapper's long options as an option table (abbreviations resolve against it). */
function longSpec(spec: WrapperSpec): OptionSpec {
  let table = longSpecs.get(spec);
  if (!table) {
    table = { long: Object.fromEntries((spec.longOptions ?? []).map((name) => [name, "none" as const])) };
    longSpecs.set(spec, table);
  }
  return table;
}

/** A wrapper's arguments taken apart: its own options, and the command it runs. */
export interface Unwrapped {
  /** The wrapped command and its arguments (empty when there is none). */
  inner: Field[];
  /** An option meant "run nothing" (`command -v`). */
  noExec: boolean;
  /** `env NAME=value` settings. */
  assignments: Array<{ name: string; value: string | null }>;
  /** The folder of `env -C dir`. */
  chdir: Field | null;
  /** Shell code of `flock -c 'code'`, `npx -c 'code'`. */
  code: { option: string; field: Field } | null;
  /** `env -S 'more args'`. */
  split: Field | null;
}

/**
 * GNU-style option scanning for wrappers (env, nice, timeout, xargs-like
 * tools): options come first, `--` ends them, and the first other argument
 * (after any fixed positionals) starts the wrapped command. An argument
 * computed at run time also starts it: the caller then treats the command
 * name as unknown.
 */
export function unwrapArguments(argv: Field[], spec: WrapperSpec): Unwrapped {
  const out: Unwrapped = { inner: [], noExec: false, assignments: [], chdir: null, code: null, split: null };
  let i = 1;
  const take = (option: string, value: Field | undefined) => {
    if (!value) return;
    if (spec.chdirOptions?.includes(option)) out.chdir = value;
    if (spec.codeOptions?.includes(option)) out.code = { option, field: value };
    if (spec.splitOptions?.includes(option)) out.split = value;
  };
  while (i < argv.length) {
    const field = argv[i]!;
    const arg = field.value;
    // `env NAME=<(…)`: a setting whose value is computed is still a setting.
    if (spec.assignments && !field.spread && /^[A-Za-z_][A-Za-z0-9_]*=/.test(arg)) {
      const eq = arg.indexOf("=");
      const value = arg.slice(eq + 1);
      out.assignments.push({ name: arg.slice(0, eq), value: isKnown(field) ? value : null });
      i++;
      continue;
    }
    if (!isKnown(field)) break;
    if (arg === "--") {
      i++;
      break;
    }
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=");
      const written = eq < 0 ? arg : arg.slice(0, eq);
      const name = spec.longOptions ? `--${resolveLong(written.slice(2), longSpec(spec)) ?? written.slice(2)}` : written;
      if (spec.noExec?.includes(name)) out.noExec = true;
      const takesValue = spec.valueOptions.includes(name) || spec.codeOptions?.includes(name);
      if (takesValue && eq < 0) {
        take(name, argv[i + 1]);
        i += 2;
      } else {
        if (eq >= 0) take(name, { ...field, value: arg.slice(eq + 1) });
        i++;
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      if (spec.numericOptions && /^-\d+$/.test(arg)) {
        i++;
        continue;
      }
      i += shortCluster(arg, argv, i, spec, out, take);
      continue;
    }
    break;
  }
  for (let skipped = 0; skipped < (spec.positionals ?? 0) && i < argv.length; skipped++) {
    i++;
    // `flock FILE -c 'code'`: the code option may follow the positional.
    const next = argv[i]?.value;
    const option = next?.startsWith("--") && spec.longOptions ? `--${resolveLong(next.slice(2).split("=")[0]!, longSpec(spec)) ?? ""}` : next;
    if (next !== undefined && option !== undefined && spec.codeOptions?.includes(option)) {
      const eq = next.indexOf("=");
      take(option, eq >= 0 ? { ...argv[i]!, value: next.slice(eq + 1) } : argv[i + 1]);
      i = argv.length;
    }
  }
  out.inner = argv.slice(i);
  return out;
}

/** `-uNAME`, `-n10`, `-vk 5`: returns how many arguments the cluster used. */
function shortCluster(
  arg: string,
  argv: Field[],
  index: number,
  spec: WrapperSpec,
  out: Unwrapped,
  take: (option: string, value: Field | undefined) => void,
): number {
  for (let c = 1; c < arg.length; c++) {
    const option = `-${arg[c]}`;
    if (spec.noExec?.includes(option)) out.noExec = true;
    const takesValue = spec.valueOptions.includes(option) || spec.codeOptions?.includes(option);
    if (!takesValue) continue;
    const attached = arg.slice(c + 1);
    if (attached) {
      take(option, { ...argv[index]!, value: attached });
      return 1;
    }
    take(option, argv[index + 1]);
    return 2;
  }
  return 1;
}
