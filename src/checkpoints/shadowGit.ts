import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ActionError } from "../ground/errors.js";
import { GIT_BASE_ARGS, gitChildEnvironment } from "../git/run.js";
import { realOr } from "../ground/realPath.js";
import { checkFifoWait } from "./fifoWatch.js";

/**
 * The shadow repository of one workspace: a git object store of our own
 * (GIT_DIR and GIT_INDEX_FILE inside the tool's config folder) with the
 * workspace as work tree. The user's `.git` is never opened by it: git is
 * always given our GIT_DIR, so the workspace's `.git` is just a path it skips.
 *
 * Every git run here is pinned so the workspace cannot make it start a
 * program: no system or global config (our private config only), hooks at
 * /dev/null, no fsmonitor, and attributes overridden from `info/attributes`
 * (which outranks every `.gitattributes`) so no filter, eol conversion,
 * textconv or encoding applies; on git ≥ 2.40 attributes are also read from
 * the empty tree instead of the work tree.
 */
export interface ShadowPaths {
  /** The store folder of this workspace. */
  dir: string;
  gitDir: string;
  indexFile: string;
  /** The workspace (work tree). */
  root: string;
}

const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
/** How often a running shadow git is checked for a FIFO that holds it. */
const FIFO_CHECK_MS = 1_000;

/** Settings of the private config; also passed with -c on every run, so a changed file cannot loosen them. */
const PINNED: ReadonlyArray<[string, string]> = [
  ["core.hooksPath", "/dev/null"],
  ["core.fsmonitor", "false"],
  ["core.untrackedCache", "false"],
  ["core.autocrlf", "false"],
  ["core.safecrlf", "false"],
  ["core.filemode", "true"],
  // A file's mode or owner changed since its stat data was written shows as a change (the seed relies on it).
  ["core.trustctime", "true"],
  ["core.checkStat", "default"],
  ["core.symlinks", "true"],
  ["core.ignorecase", "false"],
  ["core.precomposeunicode", "false"],
  ["core.bare", "false"],
  ["core.logAllRefUpdates", "false"],
  ["core.attributesFile", "/dev/null"],
  ["core.excludesFile", "/dev/null"],
  ["core.sparseCheckout", "false"],
  ["core.splitIndex", "false"],
  ["diff.noprefix", "false"],
  ["diff.mnemonicPrefix", "false"],
  ["diff.renames", "false"],
  ["gc.auto", "0"],
  ["gc.autoDetach", "false"],
  ["gc.pruneExpire", "now"],
  ["gc.reflogExpire", "now"],
  ["gc.reflogExpireUnreachable", "now"],
  ["gc.writeCommitGraph", "false"],
  ["maintenance.auto", "false"],
  ["pack.threads", "1"],
  ["safe.directory", "*"],
  ["protocol.allow", "never"],
  ["submodule.recurse", "false"],
  ["status.submoduleSummary", "false"],
];

/** `info/attributes`: wins over every `.gitattributes`; turns off every attribute that makes git convert bytes or run a program. */
const ATTRIBUTES = "* -text -eol -filter -ident -working-tree-encoding !diff -merge\n";

/** `info/exclude`: a folder or file named `.git` in any letter case is never part of a snapshot. */
const EXCLUDE = ".[gG][iI][tT]\n.[gG][iI][tT]/\n";

let attrSourceSupported: boolean | undefined;

/** Whether this git knows --attr-source (2.40+). */
function gitHasAttrSource(): boolean {
  if (attrSourceSupported !== undefined) return attrSourceSupported;
  try {
    const out = execFileSync("git", ["--version"], { encoding: "utf8", env: shadowEnvironment(null), timeout: 10_000 });
    const m = /(\d+)\.(\d+)/.exec(out);
    attrSourceSupported = m ? Number(m[1]) > 2 || (Number(m[1]) === 2 && Number(m[2]) >= 40) : false;
  } catch {
    attrSourceSupported = false;
  }
  return attrSourceSupported;
}

/** The environment of a shadow git: the user's minus every GIT_* variable, then ours. */
function shadowEnvironment(paths: ShadowPaths | null): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(gitChildEnvironment())) {
    if (!key.startsWith("GIT_")) env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = "0";
  env.GIT_CONFIG_NOSYSTEM = "1";
  env.GIT_CONFIG_GLOBAL = "/dev/null";
  env.GIT_ATTR_NOSYSTEM = "1";
  env.GIT_NO_REPLACE_OBJECTS = "1";
  env.GIT_NO_LAZY_FETCH = "1";
  env.GIT_AUTO_GC = "0";
  env.GIT_PROTOCOL_FROM_USER = "0";
  env.LC_ALL = "C";
  // glibc hands the heap's top back to the kernel at every free over its trim threshold, and git frees its zlib
  // state (~260 KB) after each object it writes: one file after another, the same pages are returned and faulted
  // in again. Kept, a first checkpoint that writes every file of a tree is several times faster (5,000 small
  // files through update-index: 1.6 s -> 0.2 s). Up to 64 MB stays with a git process until it exits; other C
  // libraries ignore these names.
  env.MALLOC_TRIM_THRESHOLD_ = String(64 * 1024 * 1024);
  env.MALLOC_TOP_PAD_ = String(16 * 1024 * 1024);
  if (paths) {
    env.GIT_DIR = paths.gitDir;
    env.GIT_WORK_TREE = paths.root;
    env.GIT_INDEX_FILE = paths.indexFile;
    env.GIT_CEILING_DIRECTORIES = paths.root;
  }
  return env;
}

/** The arguments every shadow git gets before the subcommand. */
function shadowArgs(paths: ShadowPaths): string[] {
  const args = [...GIT_BASE_ARGS, `--git-dir=${paths.gitDir}`, `--work-tree=${paths.root}`];
  for (const [key, value] of PINNED) args.push("-c", `${key}=${value}`);
  if (gitHasAttrSource()) args.push(`--attr-source=${EMPTY_TREE}`);
  return args;
}

export interface ShadowRun {
  stdout: Buffer;
  stderr: string;
  /** stdout was cut at capBytes (the child was stopped). */
  truncated: boolean;
}

/**
 * Run a shadow git with stdin `input`. Always in the workspace (so paths are
 * relative to its top); bounded by a timeout. With `capBytes`, output beyond it
 * is dropped and the child stopped (truncated: true). Rejects with INTERNAL
 * (the message has git's first error line, never a file's contents).
 *
 * With `files`, git reads its input from one file and writes its output to
 * another (read back as stdout when it ends): it then runs to its end while
 * this process is busy with synchronous work, where a pipe would fill and stop
 * it. `files.output` is created private; `capBytes` does not apply.
 * With `signal`, an abort stops git (the promise then rejects).
 */
export function shadowGit(
  paths: ShadowPaths,
  args: string[],
  options: ({ input?: Buffer | string; files?: never } | { input?: never; files: { input: string; output: string } }) & { timeoutMs?: number; capBytes?: number; signal?: AbortSignal } = {},
): Promise<ShadowRun> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const files = options.files;
    const fds: number[] = [];
    let child: ChildProcess;
    try {
      if (files) {
        fds.push(openSync(files.input, "r"));
        fds.push(openSync(files.output, "w", 0o600));
      }
      child = spawn("git", [...shadowArgs(paths), ...args], {
        cwd: paths.root,
        env: shadowEnvironment(paths),
        stdio: files ? [fds[0]!, fds[1]!, "pipe"] : ["pipe", "pipe", "pipe"],
      });
    } catch (error) {
      return reject(new ActionError("INTERNAL", `checkpoint store: cannot run git ${args[0] ?? ""} (${(error as NodeJS.ErrnoException).code ?? "error"})`));
    } finally {
      // The child has its own copies of these descriptors.
      for (const fd of fds) closeSync(fd);
    }
    const out: Buffer[] = [];
    let outBytes = 0;
    let truncated = false;
    let err = "";
    const cap = options.capBytes ?? 512 * 1024 * 1024;
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    const stop = () => child.kill("SIGKILL");
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener("abort", stop, { once: true });
    // A FIFO in the work tree must not hold git until its timeout (see fifoWatch): looked at once a second.
    let heldBy: string | null = null;
    const fifoCheck =
      process.platform === "linux"
        ? setInterval(() => {
            if (child.pid === undefined) return;
            const found = checkFifoWait(child.pid, realOr(paths.root));
            if (found.held === null) return;
            heldBy = found.held;
            child.kill("SIGKILL");
          }, FIFO_CHECK_MS)
        : null;
    child.stdout?.on("data", (chunk: Buffer) => {
      if (truncated) return;
      if (outBytes + chunk.length > cap) {
        out.push(chunk.subarray(0, cap - outBytes));
        outBytes = cap;
        truncated = true;
        child.kill("SIGKILL");
        return;
      }
      out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      if (err.length < 8192) err += chunk.toString("utf8");
    });
    child.stdin?.on("error", () => undefined);
    child.on("error", (error) => {
      clearTimeout(timer);
      if (fifoCheck) clearInterval(fifoCheck);
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        reject(new ActionError("INTERNAL", "git is not installed on this computer; checkpoints need it", { hint: "Install git and try again." }));
      } else reject(new ActionError("INTERNAL", `checkpoint store: cannot run git (${(error as NodeJS.ErrnoException).code ?? "error"})`));
    });
    child.on("close", (code, signal) => {
      options.signal?.removeEventListener("abort", stop);
      clearTimeout(timer);
      if (fifoCheck) clearInterval(fifoCheck);
      if (heldBy !== null) {
        return reject(
          // The path is named as JSON (a command chose it: quotes, newlines), and the hint holds no command built from it.
          new ActionError("CONFLICT", `${JSON.stringify(heldBy)} in the workspace is a FIFO (named pipe) that another process holds open: git waits to read it, so no checkpoint can be taken`, {
            hint: "Remove that FIFO, or stop the command that holds it open (list_commands, kill_command), then try again.",
          }),
        );
      }
      if (process.env.CGC_CP_TRACE) process.stderr.write(`[git ${args[0]}] ${Math.round(performance.now() - t0)}ms\n`);
      let stdout = Buffer.concat(out);
      if (files && code === 0) {
        try {
          stdout = readFileSync(files.output);
        } catch (error) {
          return reject(new ActionError("INTERNAL", `checkpoint store: git ${args[0] ?? ""} output unreadable (${(error as NodeJS.ErrnoException).code ?? "error"})`));
        }
      }
      if (truncated || code === 0) {
        return resolvePromise({ stdout, stderr: err, truncated });
      }
      const first = err.trim().split("\n")[0] || (signal ? `stopped by ${signal}` : `exit code ${code}`);
      reject(new ActionError("INTERNAL", `checkpoint store: git ${args[0] ?? ""} failed: ${first.slice(0, 300)}`));
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Create the shadow repository (no templates, so no sample hooks) with its private config, once. */
export async function ensureShadowRepo(paths: ShadowPaths, excluded: readonly string[]): Promise<void> {
  if (existsSync(join(paths.gitDir, "HEAD"))) return;
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  await new Promise<void>((resolve, reject) => {
    execFile(
      "git",
      [...GIT_BASE_ARGS, "init", "-q", "--bare", "--template=", paths.gitDir],
      { cwd: paths.dir, env: shadowEnvironment(null), timeout: 30_000 },
      (error, _stdout, stderr) => (error ? reject(new ActionError("INTERNAL", `checkpoint store: git init failed: ${String(stderr).trim().split("\n")[0]}`)) : resolve()),
    );
  });
  mkdirSync(join(paths.gitDir, "info"), { recursive: true, mode: 0o700 });
  writeFileSync(join(paths.gitDir, "info", "attributes"), ATTRIBUTES, { mode: 0o600 });
  writeFileSync(join(paths.gitDir, "info", "exclude"), excludeText(excluded), { mode: 0o600 });
  const lines = ["[core]", "\trepositoryformatversion = 0"];
  let section = "core";
  for (const [key, value] of PINNED) {
    const [sec, name] = [key.slice(0, key.indexOf(".")), key.slice(key.indexOf(".") + 1)];
    if (sec !== section) {
      lines.push(`[${sec}]`);
      section = sec;
    }
    lines.push(`\t${name} = ${value === "" ? '""' : value}`);
  }
  writeFileSync(join(paths.gitDir, "config"), `${lines.join("\n")}\n`, { mode: 0o600 });
}

/** Re-write the pinned files if something changed them (cheap: called once per store open). */
export function repairPinnedFiles(paths: ShadowPaths, excluded: readonly string[]): void {
  writeFileSync(join(paths.gitDir, "info", "attributes"), ATTRIBUTES, { mode: 0o600 });
  writeFileSync(join(paths.gitDir, "info", "exclude"), excludeText(excluded), { mode: 0o600 });
}

/** info/exclude: `.git` in any case, plus folders inside the workspace that are off limits (the tool's config folder), anchored. */
function excludeText(excluded: readonly string[]): string {
  const escaped = excluded.map((p) => `/${p.replace(/([\\*?[\]!#])/g, "\\$1")}/\n`);
  return EXCLUDE + escaped.join("");
}
