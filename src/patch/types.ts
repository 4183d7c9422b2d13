/**
 * The parsed form of a patch, shared by both input formats (Codex
 * `*** Begin Patch` and unified diff). Parsers produce it; the planner
 * consumes it. Nothing here touches the file system.
 */

/** One body line of a chunk: ` ` context, `-` removed, `+` added. */
export interface ChunkLine {
  tag: " " | "-" | "+";
  text: string;
}

export interface Chunk {
  /** `@@ <line>` anchors, located in order before the body is searched (usually zero or one). */
  contexts: string[];
  lines: ChunkLine[];
  /** `*** End of File` (or a unified hunk whose old side has no final newline): the body must match at the file's end. */
  eof: boolean;
  /** 1-based line of the patch where this chunk starts, for error messages. */
  patchLine: number;
  /** Unified diffs only: 0-based line of the original file the hunk claims to start at; used to pick between equal matches. */
  near?: number;
  /** Unified diffs only: where a hunk with no old lines inserts (0-based), instead of the file's end. */
  insertAt?: number;
}

export type PatchOp =
  | {
      kind: "add";
      path: string;
      lines: string[];
      /** Whether the new file ends with a newline (yes unless a `\ No newline at end of file` line says no). */
      finalNewline: boolean;
      patchLine: number;
    }
  | {
      kind: "delete";
      path: string;
      /** Unified diffs only: the old content the diff claims, checked before deleting. */
      expect?: Chunk[];
      patchLine: number;
    }
  | {
      kind: "update";
      path: string;
      moveTo?: string;
      /** Git `copy from/to`: write the destination and keep the source. */
      copy?: boolean;
      chunks: Chunk[];
      /**
       * Whether the result ends with a newline; undefined keeps the file's own
       * state. Only a `\ No newline at end of file` line sets it, in either
       * format: the Codex tool always ends the file with a newline, but a
       * patch that changes line 3 should not also change the last line.
       */
      finalNewline?: boolean;
      patchLine: number;
    };

export interface ParsedPatch {
  format: "codex" | "unified";
  ops: PatchOp[];
}

export function oldSide(lines: readonly ChunkLine[]): string[] {
  return lines.filter((l) => l.tag !== "+").map((l) => l.text);
}


/**
 * A `\ No newline at end of file` line speaks of the body line before it: a
 * context line lacks the newline on both sides, a removed line on the old
 * side, an added line on the new side.
 */
export function sidesWithoutNewline(previous: ChunkLine | undefined): { old: boolean; new: boolean } {
  return { old: previous?.tag !== "+", new: previous?.tag !== "-" };
}

/**
 * An update's final newline from what its markers said: the new side lacks
 * one (false), only the old side did (true: the patch adds it), or nothing
 * was said (absent: the file keeps its state).
 */
export function finalNewlineField(oldLacks: boolean, newLacks: boolean): { finalNewline?: boolean } {
  return newLacks ? { finalNewline: false } : oldLacks ? { finalNewline: true } : {};
}
