/**
 * The shell line every command starts through, sandboxed or not. Before the user's
 * command runs (in a fresh `exec` of the same shell, so `$0`, line numbers and the
 * policy's view of the command are unchanged) it:
 * - closes every inherited descriptor above 2: the server may have inherited some
 *   from whoever started it (a terminal multiplexer, a supervisor's pipe), and Node
 *   passes those on to its children;
 * - caps the number of processes (RLIMIT_NPROC) so a fork bomb ends in EAGAIN, not
 *   in a frozen machine. The kernel does not apply this limit to root (uid 0 on the
 *   host), which docs/sandbox.md says.
 */
export function shellLaunchArgs(shell: string, command: string, limits: { maxProcesses: number }): string[] {
  const max = Math.max(16, Math.floor(limits.maxProcesses));
  const prelude = [
    `ulimit -u ${max} 2>/dev/null || ulimit -p ${max} 2>/dev/null`,
    // A closed descriptor makes `exec N>&-` a no-op, so the one the glob itself used is harmless.
    'for f in /dev/fd/*; do f=${f##*/}; case $f in 0|1|2) ;; *[!0-9]*) ;; *) eval "exec $f>&-" ;; esac; done',
    'exec "$0" -c "$1"',
  ].join("; ");
  return ["-c", prelude, shell, command];
}
