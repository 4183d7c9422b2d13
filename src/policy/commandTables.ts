/**
 * The policy's knowledge about commands, as data: names, and for wrappers the
 * options that take a value, so the wrapped command can be found.
 */

export const PRIVILEGE_COMMANDS = new Set(["sudo", "su", "doas", "pkexec", "run0", "sudoedit", "runuser"]);

export const POWER_COMMANDS = new Set(["shutdown", "reboot", "halt", "poweroff"]);

/** `systemctl reboot`, `init 0` …: the command and the first arguments that power off or restart. */
export const POWER_SUBCOMMANDS: Record<string, ReadonlySet<string>> = {
  systemctl: new Set(["poweroff", "reboot", "halt", "kexec", "soft-reboot"]),
  loginctl: new Set(["poweroff", "reboot", "halt"]),
  init: new Set(["0", "6"]),
  telinit: new Set(["0", "6"]),
};

/** Partitioning and formatting tools; `mkfs*` and `newfs*` are matched by prefix. */
export const DISK_TOOLS = new Set([
  "fdisk", "sfdisk", "cfdisk", "gdisk", "sgdisk", "cgdisk", "parted", "wipefs", "mke2fs", "mkswap", "mkdosfs", "blkdiscard",
]);
export const DISK_TOOL_PREFIXES = ["mkfs", "newfs"];

/** diskutil verbs (macOS) that erase or repartition. */
export const DISKUTIL_ERASE = /^(erase|zero|random|secureErase|partitionDisk|reformat|splitPartition|mergePartitions)/i;

/** Raw disk devices on Linux and macOS. */
export const RAW_DISK = /^\/dev\/(sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|disk\d|rdisk\d|dm-\d|md\d|loop\d|mapper\/|sr\d)/;

/** Commands that only look at a device; naming one in their arguments writes nothing. */
export const DEVICE_READERS = new Set([
  "lsblk", "blkid", "df", "du", "stat", "file", "ls", "smartctl", "udevadm", "findmnt", "lsof", "fuser", "readlink", "realpath",
  "echo", "printf", "test", "[", "cat", "head", "tail", "hexdump", "xxd", "od", "strings", "less", "more", "grep", "mount", "diskutil",
]);

export const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "rbash", "pdksh", "fish", "csh", "tcsh"]);

/** Interpreters that read a program from standard input when given no script. */
export const STDIN_INTERPRETERS = /^(python[0-9.]*|pypy[0-9.]*|node|nodejs|perl[0-9.]*|ruby[0-9.]*|php[0-9.]*|lua[0-9.]*|tclsh|deno|bun)$/;

/** Commands whose output is text from the network. */
export const DOWNLOADERS = new Set([
  "curl", "wget", "fetch", "aria2c", "http", "https", "xh", "lwp-request", "GET", "nc", "ncat", "netcat", "socat", "telnet",
]);

/** Commands that decode or transform text, hiding what a shell will run. */
export const DECODERS = new Set([
  "base64", "base32", "basenc", "xxd", "uudecode", "openssl", "gzip", "gunzip", "zcat", "bzcat", "bzip2", "bunzip2", "xz", "unxz",
  "xzcat", "lzcat", "zstd", "zstdcat", "unzstd", "brotli", "lz4", "lz4cat", "rev", "tr",
]);

/** Commands that delete what they are given; `find -exec` / `xargs` with one of them deletes what find or the input names. */
export const DELETERS = new Set(["rm", "rimraf", "unlink", "shred", "srm"]);

/** Where a wrapper's own options end and the command it runs begins. */
export interface WrapperSpec {
  /** Options that take a value (`-n 10`, `-n10`, `--adjustment=10`). */
  valueOptions: readonly string[];
  /** Positional arguments before the command (timeout's duration, flock's lock file). */
  positionals?: number;
  /** `NAME=value` arguments before the command (env). */
  assignments?: boolean;
  /** `-10` style numeric options (nice). */
  numericOptions?: boolean;
  /** Options after which nothing runs (`command -v`). */
  noExec?: readonly string[];
  /** Options whose value is shell code (`flock -c`, `npx -c`). */
  codeOptions?: readonly string[];
  /** Options whose value is more arguments split on spaces (`env -S`). */
  splitOptions?: readonly string[];
  /** Options whose value is the folder the command runs in (`env -C`). */
  chdirOptions?: readonly string[];
  /** The command's words are joined with spaces and run by a shell (`watch`). */
  joinsAsCode?: boolean;
  /** Every long option (without `--`), so that abbreviations (`--sig`, `--split-s`) resolve as getopt_long does. */
  longOptions?: readonly string[];
}

export const WRAPPERS: Record<string, WrapperSpec> = {
  env: {
    longOptions: ["ignore-environment", "null", "unset", "chdir", "split-string", "block-signal", "default-signal", "ignore-signal", "list-signal-handling", "debug", "argv0", "help", "version"],
    valueOptions: ["-u", "--unset", "-C", "--chdir", "-S", "--split-string"],
    assignments: true,
    splitOptions: ["-S", "--split-string"],
    chdirOptions: ["-C", "--chdir"],
  },
  command: { valueOptions: [], noExec: ["-v", "-V"] },
  builtin: { valueOptions: [] },
  exec: { valueOptions: ["-a"] },
  nice: { longOptions: ["adjustment", "help", "version"], valueOptions: ["-n", "--adjustment"], numericOptions: true },
  nohup: { valueOptions: [] },
  timeout: { longOptions: ["foreground", "kill-after", "preserve-status", "signal", "verbose", "help", "version"], valueOptions: ["-s", "--signal", "-k", "--kill-after"], positionals: 1 },
  time: { longOptions: ["append", "format", "output", "portability", "quiet", "verbose", "help", "version"], valueOptions: ["-f", "--format", "-o", "--output"] },
  stdbuf: { longOptions: ["input", "output", "error", "help", "version"], valueOptions: ["-i", "-o", "-e", "--input", "--output", "--error"] },
  ionice: { longOptions: ["class", "classdata", "pid", "pgid", "uid", "ignore", "help", "version"], valueOptions: ["-c", "--class", "-n", "--classdata", "-p", "--pid", "-P", "--pgid", "-u", "--uid"] },
  chrt: { valueOptions: [], positionals: 1 },
  taskset: { valueOptions: [], positionals: 1 },
  setsid: { longOptions: ["ctty", "fork", "wait", "help", "version"], valueOptions: [] },
  unbuffer: { valueOptions: [] },
  caffeinate: { valueOptions: ["-t", "-w"] },
  flock: { longOptions: ["shared", "exclusive", "unlock", "nonblock", "nb", "no-fork", "timeout", "wait", "conflict-exit-code", "close", "command", "fcntl", "verbose", "help", "version"], valueOptions: ["-w", "--wait", "--timeout", "-E", "--conflict-exit-code"], positionals: 1, codeOptions: ["-c", "--command"] },
  npx: { valueOptions: ["-p", "--package"], codeOptions: ["-c", "--call"] },
  strace: { valueOptions: ["-o", "-e", "-p", "-s", "-u", "-E", "-P", "-I", "-b", "-a", "-X", "-S", "-O"] },
  ltrace: { valueOptions: ["-o", "-e", "-p", "-s", "-u", "-n", "-a"] },
  busybox: { valueOptions: [] },
  toybox: { valueOptions: [] },
  watch: { longOptions: ["interval", "differences", "chgexit", "equexit", "errexit", "beep", "no-title", "no-wrap", "no-linewrap", "exec", "precise", "color", "no-color", "no-rerun", "shotsdir", "help", "version"], valueOptions: ["-n", "--interval", "-q", "--equexit", "--shotsdir"], joinsAsCode: true },
};
