import { existsSync } from "node:fs";

/**
 * The shell commands run in. bash when there is one, because the policy
 * parses commands as bash; plain sh otherwise.
 */
let chosen: string | undefined;

export function commandShell(): string {
  chosen ??= ["/bin/bash", "/usr/bin/bash", "/usr/local/bin/bash"].find((path) => existsSync(path)) ?? "/bin/sh";
  return chosen;
}
