/**
 * The language of the CLI's human output: `--lang en|zh`, else LC_ALL / LC_MESSAGES /
 * LANG (POSIX precedence), else English. `--json` output never depends on it.
 */
export type Lang = "en" | "zh";
export const LANGS: readonly Lang[] = ["en", "zh"];

/** `--lang X` or `--lang=X` anywhere before a `--` on the command line; undefined when absent. */
export function langFromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") break;
    if (arg === "--lang") return argv[i + 1] ?? "";
    if (arg.startsWith("--lang=")) return arg.slice("--lang=".length);
  }
  return undefined;
}

export function langFromEnv(env: NodeJS.ProcessEnv): Lang {
  const value = env.LC_ALL || env.LC_MESSAGES || env.LANG || "";
  return /^zh([_.@-]|$)/i.test(value) ? "zh" : "en";
}

export function isLang(value: string): value is Lang {
  return (LANGS as readonly string[]).includes(value);
}

let current: Lang = "en";

export function setLang(lang: Lang): void {
  current = lang;
}

export function lang(): Lang {
  return current;
}
