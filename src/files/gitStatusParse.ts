import { posix } from "node:path";

export interface StatusEntry {
  path: string;
  /** Two-letter code as in `git status --short`: index then worktree, e.g. "M ", " M", "A ", "R ", "??", "UU". */
  status: string;
  orig_path?: string;
}

export interface ParsedStatus {
  branch: string | null;
  upstream: string | null;
  ahead: number;
  behind: number;
  files: StatusEntry[];
}

/**
 * Parse `git status --porcelain=v2 --branch -z`. Its paths are relative to the
 * repository root; `prefix` (from `git rev-parse --show-prefix`) makes them
 * relative to the workspace, which may be a folder inside the repository.
 */
export function parsePorcelainV2(output: string, prefix: string): ParsedStatus {
  const result: ParsedStatus = { branch: null, upstream: null, ahead: 0, behind: 0, files: [] };
  const records = output.split("\0");
  // posix.relative drops the trailing "/" git puts on an untracked folder; keep it.
  const shown = (path: string) => (posix.relative(prefix.replace(/\/$/, "") || ".", path) || ".") + (path.endsWith("/") ? "/" : "");
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (record === "") continue;
    if (record.startsWith("# ")) {
      const [key, ...rest] = record.slice(2).split(" ");
      const value = rest.join(" ");
      if (key === "branch.head") result.branch = value === "(detached)" ? null : value;
      else if (key === "branch.upstream") result.upstream = value;
      else if (key === "branch.ab") {
        const match = /^\+(\d+) -(\d+)$/.exec(value);
        if (match) {
          result.ahead = Number(match[1]);
          result.behind = Number(match[2]);
        }
      }
      continue;
    }
    const kind = record[0];
    if (kind === "?") {
      result.files.push({ path: shown(record.slice(2)), status: "??" });
    } else if (kind === "1") {
      result.files.push({ path: shown(field(record, 8)), status: code(record) });
    } else if (kind === "2") {
      const orig = records[++i] ?? "";
      result.files.push({ path: shown(field(record, 9)), status: code(record), orig_path: shown(orig) });
    } else if (kind === "u") {
      result.files.push({ path: shown(field(record, 10)), status: code(record) });
    }
  }
  return result;
}

/** The rest of a record after `count` space-separated fields (paths may contain spaces). */
function field(record: string, count: number): string {
  let index = 0;
  for (let n = 0; n < count; n++) index = record.indexOf(" ", index) + 1;
  return record.slice(index);
}

function code(record: string): string {
  return record.slice(2, 4).replace(/\./g, " ");
}
