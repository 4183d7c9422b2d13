/**
 * What keeps every git we run from starting a program named in a git config
 * or attributes file. See docs/git-hardening.md for the list of keys and why
 * each is covered.
 *
 * Three layers:
 * 1. GIT_BASE_ARGS: `-c` options that switch off every program-starting
 *    setting that has an "off" value (fsmonitor, hooks, pager, transports,
 *    signing, credential helpers, automatic gc).
 * 2. gitChildEnvironment(): the user's environment without our own variables
 *    and without GIT_* variables that redirect git (GIT_DIR, GIT_EXTERNAL_DIFF,
 *    GIT_CONFIG_PARAMETERS, …); no prompts, no optional index writes, no
 *    system attributes file.
 * 3. filterOverrides(): filter drivers have no global "off" switch, and the
 *    attributes that select them can come from any .gitattributes file. So we
 *    list the configured drivers (`git config -l`, which reads includes but
 *    starts nothing) and blank each one's clean/smudge/process command, with
 *    `required` false, for that run. An empty command is "no filter" to git.
 */
import { execFile } from "node:child_process";
import { dirname } from "node:path";

export const GIT_BASE_ARGS: readonly string[] = [
  "--no-pager",
  ...config({
    "core.quotepath": "off",
    "color.ui": "false",
    // Programs that status/diff/ls-files could otherwise start:
    "core.fsmonitor": "false",
    "core.hooksPath": "/dev/null",
    "core.pager": "cat",
    // Never look for a repository that is not ours (see repo.ts).
    "safe.bareRepository": "explicit",
    // Not reachable from read-only calls, off anyway for every other use (e.g. a shadow store):
    "protocol.allow": "never",
    "credential.helper": "",
    "core.askPass": "",
    "commit.gpgSign": "false",
    "tag.gpgSign": "false",
    "log.showSignature": "false",
    "gc.auto": "0",
    "maintenance.auto": "false",
    "status.submoduleSummary": "false",
    "diff.ignoreSubmodules": "dirty",
  }),
];

function config(pairs: Record<string, string>): string[] {
  return Object.entries(pairs).flatMap(([key, value]) => ["-c", `${key}=${value}`]);
}

/** Inherited variables that stay: they only choose which user/system config file git reads. */
const KEPT_GIT_VARIABLES = new Set(["GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM"]);

/**
 * Environment for every git we run: ours removed (the token must never reach a
 * child), GIT_* redirections removed, never a prompt, an editor or a pager, no
 * optional index lock or write (so no post-index-change hook either), and no
 * system-wide attributes file. With `repo`, discovery is also fenced at the
 * folder above the work tree (we pass --git-dir anyway).
 */
export function gitChildEnvironment(repo?: { workTree: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("CHATGPT_CODEX")) continue;
    if (key.startsWith("GIT_") && !KEPT_GIT_VARIABLES.has(key)) continue;
    if (key === "SSH_ASKPASS" || key === "PAGER" || key === "EDITOR" || key === "VISUAL") continue;
    env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = "0";
  env.GIT_OPTIONAL_LOCKS = "0";
  // Empty: git then asks no askpass program at all (not even core.askPass).
  env.GIT_ASKPASS = "";
  env.GIT_PAGER = "cat";
  env.GIT_EDITOR = "false";
  env.GIT_ATTR_NOSYSTEM = "1";
  env.GIT_NO_LAZY_FETCH = "1";
  if (repo) {
    env.GIT_CEILING_DIRECTORIES = dirname(repo.workTree);
  }
  return env;
}

/** Config variables of a filter driver: each can name a program. */
const FILTER_KEY = /^filter\.(.+)\.(clean|smudge|process|required)$/;

/**
 * Environment entries (GIT_CONFIG_COUNT/KEY_n/VALUE_n: exact keys, no quoting
 * pitfalls with odd driver names) that blank every configured filter driver
 * for one git run. `prefix` is the git arguments that select the repository
 * (--git-dir, --work-tree), `env` the environment that run will use.
 */
export async function filterOverrides(prefix: readonly string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs = 10_000): Promise<Record<string, string>> {
  const listing = await new Promise<string>((resolve, reject) => {
    execFile(
      "git",
      [...GIT_BASE_ARGS, ...prefix, "config", "--list", "-z"],
      { cwd, env, encoding: "utf8", timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        // Exit 1 with no output: no config at all.
        if (error && !(stdout === "" && (error as { code?: unknown }).code === 1)) {
          return reject(Object.assign(new Error(stderr.trim().split("\n")[0] || error.message), { stderr }));
        }
        resolve(stdout);
      },
    );
  });
  const drivers = new Set<string>();
  for (const record of listing.split("\0")) {
    const key = record.split("\n", 1)[0]!;
    const match = FILTER_KEY.exec(key);
    if (match) drivers.add(match[1]!);
  }
  return blankFilters(drivers);
}

/** The GIT_CONFIG_* entries that turn the named filter drivers into no-ops. */
export function blankFilters(drivers: Iterable<string>): Record<string, string> {
  const env: Record<string, string> = {};
  let n = 0;
  for (const driver of drivers) {
    for (const [variable, value] of [
      ["clean", ""],
      ["smudge", ""],
      ["process", ""],
      ["required", "false"],
    ] as const) {
      env[`GIT_CONFIG_KEY_${n}`] = `filter.${driver}.${variable}`;
      env[`GIT_CONFIG_VALUE_${n}`] = value;
      n++;
    }
  }
  if (n > 0) env.GIT_CONFIG_COUNT = String(n);
  return env;
}
