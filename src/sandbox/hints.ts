import { messages } from "./messages.js";
import type { SandboxRun } from "./plan.js";

const READ_ONLY = /Read-only file system|\bEROFS\b/;
const NETWORK = /\bENOTFOUND\b|\bEAI_AGAIN\b|Could not resolve host|Temporary failure in name resolution|Name or service not known|\bECONNREFUSED\b|Connection refused|Couldn't connect to server|Network is unreachable|\bENETUNREACH\b|getaddrinfo/i;
const DENIED_OR_MISSING = /Permission denied|\bEACCES\b|\bEPERM\b|No such file or directory|\bENOENT\b|Not a directory|Operation not permitted/;

/**
 * A hint for the model when a sandboxed command's output shows it failed
 * because of the sandbox (read-only disk, hidden path, no network), so it does
 * not spend turns guessing. `home` turns hidden paths into `~/…` in the text.
 */
export function sandboxHint(output: string, run: SandboxRun | undefined, home: string): string | undefined {
  if (!run?.info.active || output === "") return undefined;
  if (READ_ONLY.test(output)) return messages.hints.readOnly(true);
  if (DENIED_OR_MISSING.test(output)) {
    const hit = run.hidden.find((path) => output.includes(path) || output.includes(tilde(path, home)));
    if (hit) return messages.hints.hidden(tilde(hit, home));
  }
  if (!run.info.network && NETWORK.test(output)) return messages.hints.network(run.networkMode);
  return undefined;
}

function tilde(path: string, home: string): string {
  return home && (path === home || path.startsWith(`${home}/`)) ? `~${path.slice(home.length)}` : path;
}
