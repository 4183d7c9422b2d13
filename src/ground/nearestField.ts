/**
 * The known field a model most likely meant by an unknown one: `file` → `path`,
 * `startLine` → `start_line`, `contnet` → `content`. Only a near guess is
 * offered (a known synonym, a spelling or casing variant, a small edit
 * distance, an unambiguous prefix); anything else gets no suggestion, since a
 * wrong "did you mean" costs the model a second failed call.
 */

/** Words models use for our fields, in the order to try them (the first one the action has wins). */
const SYNONYMS: Record<string, readonly string[]> = {
  file: ["path"],
  filename: ["path"],
  file_name: ["path"],
  filepath: ["path"],
  file_path: ["path"],
  relative_path: ["path"],
  dir: ["path", "cwd"],
  directory: ["path", "cwd"],
  folder: ["path", "cwd"],
  workdir: ["cwd"],
  working_directory: ["cwd"],
  text: ["content", "query", "input"],
  contents: ["content"],
  data: ["content", "input"],
  body: ["content"],
  code: ["content"],
  diff: ["patch"],
  cmd: ["command"],
  script: ["command"],
  q: ["query"],
  search: ["query"],
  term: ["query"],
  pattern: ["query"],
  regexp: ["regex"],
  is_regex: ["regex"],
  ignore_case: ["case_sensitive"],
  start: ["start_line"],
  from: ["start_line"],
  line: ["start_line"],
  first_line: ["start_line"],
  end: ["end_line"],
  last_line: ["end_line"],
  offset: ["start_char", "start_line"],
  sha: ["expected_sha256"],
  sha256: ["expected_sha256"],
  hash: ["expected_sha256"],
  id: ["job_id"],
  job: ["job_id"],
  timeout: ["timeout_seconds"],
  wait: ["wait_seconds"],
  context: ["context_lines"],
  hidden: ["include_hidden"],
  untracked: ["include_untracked"],
  cached: ["staged"],
  max_length: ["max_chars"],
  max_characters: ["max_chars"],
  chars: ["max_chars"],
  budget: ["max_chars"],
  page: ["cursor"],
  next_cursor: ["cursor"],
  workspace: ["name"],
  stdin_input: ["input"],
  append: ["mode"],
};

/** `startLine`, `Start-Line`, `start line` → `start_line`. */
function normalizeFieldName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[\s-]+/g, "_");
}

/**
 * The known field `unknown` most likely stands for, or null. `taken` are
 * fields the request already has: suggesting one of those would mislead.
 */
export function nearestField(unknown: string, known: readonly string[], taken: ReadonlySet<string> = new Set()): string | null {
  const free = known.filter((name) => !taken.has(name));
  if (free.length === 0) return null;
  const name = normalizeFieldName(unknown);
  if (free.includes(name)) return name;
  for (const candidate of SYNONYMS[name] ?? []) if (free.includes(candidate)) return candidate;

  // A spelling slip: at most one edit for short names, two for longer ones; a tie is no answer.
  const allowed = name.length <= 4 ? 1 : 2;
  let best: string | null = null;
  let bestDistance = Infinity;
  let tie = false;
  for (const candidate of free) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      tie = false;
    } else if (distance === bestDistance) tie = true;
  }
  if (best !== null && bestDistance <= allowed && !tie) return best;

  // `wait` for `wait_seconds`, `expected_sha` for `expected_sha256`, `file_path` for `path`: one field only.
  if (name.length >= 3) {
    const widened = free.filter((candidate) => candidate.startsWith(name) || name.endsWith(`_${candidate}`));
    if (widened.length === 1) return widened[0]!;
  }
  return null;
}

/** Edit distance with adjacent transpositions counted as one edit (`contnet` is one slip from `content`). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
