import type { SandboxPolicy } from "./types.js";

/**
 * The macOS back end: a Seatbelt profile (SBPL) for `sandbox-exec -p`, built
 * from the same description as the Linux one. Later rules win in SBPL, so the
 * denials come after the allowances. macOS cannot give a command a private
 * /tmp or its own PID namespace: writes go to the workspace and to a per-run
 * temporary folder (TMPDIR); signals reach only processes of the same sandbox.
 *
 * NOTE: generated and unit-tested; not yet run on a real Mac.
 */
export function seatbeltProfile(policy: SandboxPolicy, tmpDir: string): string {
  const lines = [
    "(version 1)",
    "(deny default)",
    "(allow process-exec)",
    "(allow process-fork)",
    "(allow signal (target same-sandbox))",
    "(allow process-info* (target same-sandbox))",
    "(allow sysctl-read)",
    "(allow ipc-posix-sem)",
    "(allow ipc-posix-shm)",
    "(allow pseudo-tty)",
    "(allow mach-lookup (global-name \"com.apple.system.opendirectoryd.libinfo\") (global-name \"com.apple.trustd.agent\") (global-name \"com.apple.system.notification_center\"))",
    "(allow file-read*)",
    `(allow file-write* ${[subpath(policy.workspace), ...policy.writable.map(subpath), subpath(tmpDir), literal("/dev/null"), literal("/dev/zero"), "(regex #\"^/dev/tty\")", "(regex #\"^/dev/fd/\")"].join(" ")})`,
    "(allow file-ioctl (regex #\"^/dev/tty\"))",
  ];
  if (policy.network) {
    lines.push("(allow network-outbound)", "(allow network-inbound)", "(allow system-socket)", '(allow mach-lookup (global-name "com.apple.dnssd.service") (global-name "com.apple.SystemConfiguration.configd"))');
  }
  const readOnly = [...policy.readOnly, ...policy.mustNotAppear];
  if (readOnly.length > 0) lines.push(`(deny file-write* ${readOnly.map(subpathOrLiteral).join(" ")})`);
  if (policy.hidden.length > 0) {
    const hidden = policy.hidden.map((h) => (h.kind === "dir" ? subpath(h.path) : literal(h.path))).join(" ");
    lines.push(`(deny file-read* ${hidden})`, `(deny file-write* ${hidden})`);
  }
  return `${lines.join("\n")}\n`;
}

/** The command line: `sandbox-exec -p <profile> -- <file> <args…>`. */
export function seatbeltArgs(policy: SandboxPolicy, tmpDir: string, command: { file: string; args: readonly string[] }): string[] {
  return ["-p", seatbeltProfile(policy, tmpDir), "--", command.file, ...command.args];
}

/** A string literal in SBPL: backslash and double quote escaped; control characters refused. */
export function sbplString(text: string): string {
  if (/[\u0000-\u001f]/.test(text)) throw new Error("a sandbox path may not hold control characters");
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function subpath(path: string): string {
  return `(subpath ${sbplString(path)})`;
}

function literal(path: string): string {
  return `(literal ${sbplString(path)})`;
}

/** A read-only entry: the file itself, or everything under a folder. */
function subpathOrLiteral(path: string): string {
  return `(literal ${sbplString(path)}) ${subpath(path)}`;
}
