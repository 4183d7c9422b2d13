import type { Handler } from "../analyzer.js";
import { WRAPPERS } from "../commandTables.js";
import { isKnown, literalField, UNKNOWN, type Field } from "../expand.js";
import { Refusal } from "../rules.js";
import type { ShellState } from "../state.js";
import { unwrapArguments } from "../unwrap.js";

/**
 * env, nice, timeout, nohup, command, exec, busybox …: the wrapped command is
 * checked as if it were typed alone (with env's settings and folder).
 */

/**
 * `env -S 'rm -rf /'`: the string is split into more arguments the way GNU
 * env does it (not a shell): quotes, `\_` as a separator, `\c` ending the
 * string, `#` comments and `${VAR}` from the environment.
 */
export function splitEnvString(field: Field, state: ShellState): Field[] {
  if (!isKnown(field)) return [field];
  const text = field.value;
  const out: Field[] = [];
  let current: string | null = null;
  const flush = () => {
    if (current !== null) out.push(literalField(current, field.source));
    current = null;
  };
  const add = (ch: string) => (current = (current ?? "") + ch);
  const ESCAPES: Record<string, string> = { t: "\t", n: "\n", r: "\r", f: "\f", v: "\v", "\\": "\\", '"': '"', "'": "'", $: "$", "#": "#", " ": " " };
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else if (ch === "\\" && (text[i + 1] === "'" || text[i + 1] === "\\")) add(text[++i]!);
      else add(ch);
      continue;
    }
    if (ch === "\\") {
      const next = text[++i];
      if (next === undefined) break;
      if (next === "c") break;
      if (next === "_") {
        if (quote) add(" ");
        else flush();
        continue;
      }
      add(ESCAPES[next] ?? next);
      continue;
    }
    if (ch === "$" && text[i + 1] === "{") {
      const close = text.indexOf("}", i);
      if (close < 0) throw new Refusal("parse-error", `the arguments of \`env -S\` (\`${text}\`) cannot be split`);
      const value = state.lookup(text.slice(i + 2, close));
      add(value ?? UNKNOWN);
      i = close;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = null;
      else add(ch);
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      current ??= "";
      continue;
    }
    if (/\s/.test(ch)) {
      flush();
      continue;
    }
    if (ch === "#" && current === null) break;
    add(ch);
  }
  if (quote) throw new Refusal("parse-error", `the arguments of \`env -S\` (\`${text}\`) have an unterminated quote`);
  flush();
  return out.map((f) => (f.value.includes(UNKNOWN) ? { ...f, pattern: "*", glob: true } : f));
}

const wrapper: Handler = (call, analyzer) => {
  const spec = WRAPPERS[call.name]!;
  const unwrapped = unwrapArguments(call.argv, spec);
  if (unwrapped.noExec) return;
  let state = call.state;
  if (unwrapped.chdir || unwrapped.assignments.length > 0) {
    state = state.copy();
    if (unwrapped.chdir) state.changeDirectory(isKnown(unwrapped.chdir) ? unwrapped.chdir.value : null);
    for (const { name, value } of unwrapped.assignments) {
      analyzer.checkStoredCode(name, value, state);
      state.assign(name, value);
    }
  }
  if (unwrapped.code) analyzer.runCodeField(unwrapped.code.field, state, `\`${call.name} ${unwrapped.code.option}\``, call.fds);
  let inner = unwrapped.inner;
  if (unwrapped.split) inner = [...splitEnvString(unwrapped.split, state), ...inner];
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
  analyzer.run(inner, state, call.stdin, call.fds);
};

export const WRAPPER_HANDLERS: Array<[string, Handler]> = Object.keys(WRAPPERS).map((name): [string, Handler] => [name, wrapper]);
