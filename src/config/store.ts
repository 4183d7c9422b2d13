import { chmodSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, type Stats } from "node:fs";
import { z } from "zod";
import { ConfigSchema, type Config } from "./schema.js";
import { configFile } from "./paths.js";
import { writeFileAtomicSync } from "../fs/atomic.js";
import { generateToken } from "../access/token.js";
import { ConfigError, jsonErrorPlace, withoutSecrets } from "./errors.js";
import { mayNarrowAccess, type PauseReason } from "./broken.js";
import { suspendedView } from "../access/state.js";

export { ConfigError, type ConfigProblem } from "./errors.js";
export type { PauseReason } from "./broken.js";

export function configExists(home: string): boolean {
  return existsSync(configFile(home));
}

export function parseConfigText(file: string, text: string): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const { line, column, detail } = jsonErrorPlace(text, (error as Error).message);
    throw new ConfigError(
      file,
      `${file} is not valid JSON at line ${line}, column ${column} (${detail}). Fix it by hand or move it away; it was not changed.`,
      "invalid",
      { line, column, detail },
    );
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.slice(0, 8).map((issue) => ({ path: issue.path.join(".") || "(root)", message: withoutSecrets(issue.message) }));
    const problems = fields.map((field) => `${field.path}: ${field.message}`).join("; ");
    throw new ConfigError(file, `${file} is invalid: ${problems}. It was not changed.`, "invalid", { fields, detail: problems });
  }
  return parsed.data;
}

export function loadConfig(home: string): Config {
  const file = configFile(home);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw readError(file, error);
  }
  return parseConfigText(file, text);
}

/** A config file that cannot be opened or read, in the words `loadConfig` uses. */
function readError(file: string, error: unknown): ConfigError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") {
    return new ConfigError(
      file,
      `no config at ${file}. Run: chatgpt-codex channel register --workspace /abs/path --public-base-url https://…`,
      "missing",
      { detail: "ENOENT" },
    );
  }
  return new ConfigError(file, `cannot read ${file}: ${(error as Error).message}`, "unreadable", { detail: code ?? (error as Error).message });
}

/** Create the folder (0700) and write config.json (0600) atomically. */
export function saveConfig(home: string, config: Config): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  if (process.platform !== "win32") chmodSync(home, 0o700);
  const valid = ConfigSchema.parse(config);
  writeFileAtomicSync(configFile(home), `${JSON.stringify(valid, null, 2)}\n`, 0o600);
}

export function newConfig(): Config {
  return ConfigSchema.parse({ token: generateToken() } satisfies z.input<typeof ConfigSchema>);
}

/** Load (or create when `create` is set), apply a change, save. Returns the saved config. */
export function updateConfig(home: string, change: (config: Config) => void, options: { create?: boolean } = {}): Config {
  const config = options.create && !configExists(home) ? newConfig() : loadConfig(home);
  change(config);
  saveConfig(home, config);
  return config;
}

/** A config file that stopped loading while the server runs, and what the server does meanwhile. */
export interface ConfigTrouble {
  /** What is wrong with the file: kind, file, line and column or fields. */
  error: ConfigError;
  /** When the server first saw this problem. */
  since: string;
  /** Why access is off until the file loads (src/config/broken.ts), or null: everything keeps the last good config. */
  paused: PauseReason | null;
}

/** What callers holding a valid token (and /health) are told while access is paused for a broken file: no path, no detail. */
export const PAUSED_REASON = "the config file on the computer does not load and may take access away; paused until the owner fixes it (`chatgpt-codex doctor` names the error)";

/**
 * The server's view of the config: re-read when the file changes, so revoke,
 * renew, rotate-token and workspace changes made in another terminal apply to
 * the very next request. The check is one fstat of the file we read last: every
 * save renames a new file over it, which leaves ours with no links; an edit in
 * place changes its size or times.
 *
 * A file that stops loading while the server runs (a bad hand edit, a deleted
 * file) does not stop the server: it keeps the last good config and reports the
 * problem once per change (`onTrouble`, `trouble()`). Access never widens on a
 * broken file and narrows when it may have been meant to: a file that is gone or
 * unreadable, or whose text changed the token, the access times or the
 * workspaces (`mayNarrowAccess`), pauses access (state `suspended`) until the
 * file loads again. A file that never loaded has nothing to keep: `current()`
 * throws its error.
 *
 * Requests handled in the same event-loop turn share one check: they all
 * arrived before the turn's poll began and the check runs after that, so a
 * change completed before any of them was sent is still seen. (libuv polls
 * again within one turn only after a full batch of 1,024 ready sockets.)
 */
export class ConfigStore {
  /** The config of the last file that loaded. */
  private lastGood: Config | undefined;
  /** What `current()` gives: the last good config, or its suspended view. */
  private served: Config | undefined;
  /** The file read last, good or broken, and its stamp then. */
  private fd: number | undefined;
  private stamp = "";
  private checkedThisTurn = false;
  private problem: ConfigTrouble | null = null;
  private problemKey = "";
  private readonly listeners = new Set<(trouble: ConfigTrouble | null) => void>();

  constructor(readonly home: string) {}

  get file(): string {
    return configFile(this.home);
  }

  /** The token as it is now, for redaction; undefined when no config ever loaded (then no call gets past access). */
  tokenNow(): string | undefined {
    try {
      return this.current().token;
    } catch {
      return undefined;
    }
  }

  current(): Config {
    if (this.served !== undefined) {
      if (this.checkedThisTurn) return this.served;
      if (this.fd !== undefined) {
        try {
          const s = fstatSync(this.fd);
          if (s.nlink > 0 && stampOf(s) === this.stamp) {
            this.markChecked();
            return this.served;
          }
        } catch {
          // fall through to a full reload
        }
      }
    }
    const config = this.reload();
    this.markChecked();
    return config;
  }

  /** The file's problem while it does not load (checked now), or null. */
  trouble(): ConfigTrouble | null {
    try {
      this.current();
    } catch {
      // never loaded: the caller that started the server reported it
    }
    return this.problem;
  }

  /** Called once when the file breaks, again when its problem changes, and with null when it loads again. */
  onTrouble(listener: (trouble: ConfigTrouble | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private markChecked(): void {
    this.checkedThisTurn = true;
    setImmediate(() => {
      this.checkedThisTurn = false;
    });
  }

  private reload(): Config {
    this.close();
    let fd: number;
    try {
      fd = openSync(this.file, "r");
    } catch (error) {
      return this.broken(readError(this.file, error), null);
    }
    let text: string;
    try {
      this.stamp = stampOf(fstatSync(fd));
      text = readFileSync(fd, "utf8");
    } catch (error) {
      closeSync(fd);
      return this.broken(readError(this.file, error), null);
    }
    // Watched from now on, good or broken: the next change to it is seen the same way.
    this.fd = fd;
    let config: Config;
    try {
      config = parseConfigText(this.file, text);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return this.broken(error, text);
    }
    this.lastGood = config;
    this.served = config;
    this.report(null, "");
    return config;
  }

  /** The file does not load: keep the last good config, with access paused when the text may narrow it. */
  private broken(error: ConfigError, text: string | null): Config {
    const lastGood = this.lastGood;
    if (lastGood === undefined) throw error;
    const paused: PauseReason | null = text === null ? (error.kind === "missing" ? "gone" : "unreadable") : mayNarrowAccess(text, lastGood);
    const key = `${paused}\n${error.message}`;
    const since = key === this.problemKey && this.problem ? this.problem.since : new Date().toISOString();
    this.served = paused === null ? lastGood : suspendedView(lastGood, since, PAUSED_REASON);
    this.report({ error, since, paused }, key);
    return this.served;
  }

  private report(trouble: ConfigTrouble | null, key: string): void {
    if (key === this.problemKey) return;
    this.problem = trouble;
    this.problemKey = key;
    for (const listener of this.listeners) {
      try {
        listener(trouble);
      } catch {
        // a listener's failure must not fail the request that noticed the change
      }
    }
  }

  update(change: (config: Config) => void): Config {
    const saved = updateConfig(this.home, change);
    this.stamp = "";
    this.checkedThisTurn = false;
    return saved;
  }

  close(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = undefined;
    }
  }
}

function stampOf(s: Stats): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}
