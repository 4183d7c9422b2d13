import { chmodSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, type Stats } from "node:fs";
import { z } from "zod";
import { ConfigSchema, type Config } from "./schema.js";
import { configFile } from "./paths.js";
import { writeFileAtomicSync } from "../fs/atomic.js";
import { generateToken } from "../access/token.js";
import { ConfigError } from "./errors.js";

export { ConfigError } from "./errors.js";

export function configExists(home: string): boolean {
  return existsSync(configFile(home));
}

export function parseConfigText(file: string, text: string): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      file,
      `${file} is not valid JSON (${(error as Error).message}). Fix it by hand or move it away; it was not changed.`,
      "invalid",
    );
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    throw new ConfigError(file, `${file} is invalid: ${problems}. It was not changed.`, "invalid");
  }
  return parsed.data;
}

export function loadConfig(home: string): Config {
  const file = configFile(home);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new ConfigError(
        file,
        `no config at ${file}. Run: chatgpt-codex channel register --workspace /abs/path --public-base-url https://…`,
        "missing",
      );
    }
    throw new ConfigError(file, `cannot read ${file}: ${(error as Error).message}`, "unreadable");
  }
  return parseConfigText(file, text);
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

/**
 * The server's view of the config: re-read when the file changes, so revoke,
 * renew, rotate-token and workspace changes made in another terminal apply to
 * the very next request. The check is one fstat of the file we loaded: every
 * save renames a new file over it, which leaves ours with no links; an edit in
 * place changes its size or times. A file that turns invalid makes every call
 * fail closed until it is fixed.
 *
 * Requests handled in the same event-loop turn share one check: they all
 * arrived before the turn's poll began and the check runs after that, so a
 * change completed before any of them was sent is still seen. (libuv polls
 * again within one turn only after a full batch of 1,024 ready sockets.)
 */
export class ConfigStore {
  private cached: Config | undefined;
  private fd: number | undefined;
  private stamp = "";
  private checkedThisTurn = false;

  constructor(readonly home: string) {}

  get file(): string {
    return configFile(this.home);
  }

  current(): Config {
    if (this.cached !== undefined && this.fd !== undefined) {
      if (this.checkedThisTurn) return this.cached;
      try {
        const s = fstatSync(this.fd);
        if (s.nlink > 0 && stampOf(s) === this.stamp) {
          this.markChecked();
          return this.cached;
        }
      } catch {
        // fall through to a full reload
      }
    }
    const config = this.reload();
    this.markChecked();
    return config;
  }

  private markChecked(): void {
    this.checkedThisTurn = true;
    setImmediate(() => {
      this.checkedThisTurn = false;
    });
  }

  private reload(): Config {
    this.cached = undefined;
    this.close();
    let fd: number;
    try {
      fd = openSync(this.file, "r");
    } catch {
      return loadConfig(this.home); // throws the clear "missing"/"unreadable" error
    }
    try {
      const stamp = stampOf(fstatSync(fd));
      const config = parseConfigText(this.file, readFileSync(fd, "utf8"));
      this.fd = fd;
      this.stamp = stamp;
      this.cached = config;
      return config;
    } catch (error) {
      closeSync(fd);
      throw error;
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
