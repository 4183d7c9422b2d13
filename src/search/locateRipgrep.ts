import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/**
 * Which ripgrep binary to use, or null for the built-in engine.
 *
 * CHATGPT_CODEX_RG overrides the lookup: a path to an executable uses that
 * binary; anything else (e.g. `none`, `/nonexistent`) forces the built-in
 * engine. Tests use it to run both engines on the same tree. Without it, `rg`
 * is looked up on PATH. Checked on every search, so installing ripgrep later
 * needs no restart.
 */
export function locateRipgrep(env: NodeJS.ProcessEnv = process.env): string | null {
  const override = env.CHATGPT_CODEX_RG;
  if (override !== undefined) return isAbsolute(override) && isExecutable(override) ? override : null;
  const names = process.platform === "win32" ? ["rg.exe"] : ["rg"];
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue; // a relative PATH entry would depend on the server's cwd
    for (const name of names) {
      const candidate = join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
