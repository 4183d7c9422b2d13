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

/** A program and its arguments, as given to spawn. */
export interface SpawnArgv {
  file: string;
  args: string[];
}

/** How a command line is started: `bash -c COMMAND`. */
export function shellArgv(command: string): SpawnArgv {
  return { file: commandShell(), args: ["-c", command] };
}
