/**
 * Colours for a person at a terminal: on when stdout is a TTY, off in pipes and files,
 * off with NO_COLOR (https://no-color.org) or TERM=dumb, forced with FORCE_COLOR.
 */
export function colourEnabled(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}

let enabled: boolean | undefined;

function paint(code: number, reset: number) {
  return (text: string): string => ((enabled ??= colourEnabled()) ? `\u001b[${code}m${text}\u001b[${reset}m` : text);
}

export const green = paint(32, 39);
export const red = paint(31, 39);
export const yellow = paint(33, 39);
export const bold = paint(1, 22);
export const dim = paint(2, 22);

/** PASS/FAIL/WARN/SKIP-style labels, coloured by meaning (the text itself never changes). */
export function level(label: string, kind: "ok" | "warn" | "fail" | "skip"): string {
  return kind === "ok" ? green(label) : kind === "warn" ? yellow(label) : kind === "fail" ? red(label) : dim(label);
}
