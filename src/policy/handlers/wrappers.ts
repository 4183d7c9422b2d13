import type { Handler } from "../analyzer.js";
import { WRAPPERS } from "../commandTables.js";
import { expandWords, isKnown, type Field } from "../expand.js";
import { parseShell } from "../parser.js";
import { Refusal } from "../rules.js";
import type { ShellState } from "../state.js";
import { unwrapArguments } from "../unwrap.js";

/**
 * env, nice, timeout, nohup, command, exec, busybox …: the wrapped command is
 * checked as if it were typed alone (with env's settings and folder).
 */

/** `env -S 'rm -rf /'`: the string is more arguments, split like shell words. */
function splitArguments(field: Field, state: ShellState): Field[] {
  if (!isKnown(field)) return [field];
  try {
    const [statement] = parseShell(field.value);
    if (statement && statement.command.kind === "simple") return expandWords(statement.command.words, state.copy());
  } catch {
    // fall through: keep it as one computed argument
  }
  throw new Refusal("parse-error", `the arguments of \`env -S\` (\`${field.value}\`) cannot be split`);
}

const wrapper: Handler = (call, analyzer) => {
  const spec = WRAPPERS[call.name]!;
  const unwrapped = unwrapArguments(call.argv, spec);
  if (unwrapped.noExec) return;
  let state = call.state;
  if (unwrapped.chdir || unwrapped.assignments.length > 0) {
    state = state.copy();
    if (unwrapped.chdir) state.changeDirectory(isKnown(unwrapped.chdir) ? unwrapped.chdir.value : null);
    for (const { name, value } of unwrapped.assignments) state.assign(name, value);
  }
  if (unwrapped.code) analyzer.runCodeField(unwrapped.code.field, state, `\`${call.name} ${unwrapped.code.option}\``);
  let inner = unwrapped.inner;
  if (unwrapped.split) inner = [...splitArguments(unwrapped.split, state), ...inner];
  if (inner.length === 0) return;
  if (spec.joinsAsCode) {
    const joined: Field = {
      value: inner.map((f) => f.value).join(" "),
      pattern: "",
      glob: false,
      source: inner.map((f) => f.source).join(" "),
      scripts: inner.flatMap((f) => f.scripts),
    };
    return analyzer.runCodeField(joined, state, `\`${call.name}\``);
  }
  analyzer.run(inner, state, call.stdin);
};

export const WRAPPER_HANDLERS: Array<[string, Handler]> = Object.keys(WRAPPERS).map((name): [string, Handler] => [name, wrapper]);
