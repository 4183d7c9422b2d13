/**
 * The exact call that continues a cut answer, written the way a model reads
 * and repeats it: `read_file {"path": "src/app.ts", "start_line": 812}`.
 * Arguments whose value is undefined are left out.
 */
export function nextCall(action: string, args: Record<string, unknown>): string {
  const fields = Object.entries(args)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  return `${action} {${fields.join(", ")}}`;
}

/** `value` when it differs from the default (so a repeated call carries only what the model chose). */
export function unlessDefault<T>(value: T, fallback: T): T | undefined {
  return value === fallback ? undefined : value;
}
