import { lstatSync } from "node:fs";
import { planPatch, type Resolve } from "./planner.js";
import type { Chunk, ParsedPatch, PatchOp } from "./types.js";

/**
 * Whether a patch that did not apply is already on disk: ChatGPT re-sends a
 * call whose answer it lost to a timeout, and the second attempt must say
 * "already applied" rather than a bare failure. Decided by applying the
 * reverse patch in memory (nothing is written):
 * - an updated file must hold each chunk's result (context and '+' lines)
 *   where the chunk would be, in order, and so let the reversed chunks apply;
 * - an added file must exist with exactly the added content;
 * - a deleted file, and the source of a move, must be gone.
 * There must be positive evidence: content the patch writes found on disk.
 * A patch of only deletions, or with a chunk of only '-' lines and no
 * context, is never called applied (a mistyped path would look the same).
 */
export function looksAlreadyApplied(parsed: ParsedPatch, resolve: Resolve, signal?: AbortSignal): boolean {
  const created = new Set<string>();
  for (const op of parsed.ops) {
    if (op.kind === "add") created.add(op.path);
    if (op.kind === "update" && op.moveTo !== undefined) created.add(op.moveTo);
  }
  const reversed: PatchOp[] = [];
  let evidence = false;
  for (const op of [...parsed.ops].reverse()) {
    switch (op.kind) {
      case "add":
        evidence = true;
        reversed.push({
          kind: "delete",
          path: op.path,
          // The whole file must be exactly the added lines.
          expect: [{ contexts: [], lines: op.lines.map((text) => ({ tag: "-", text })), eof: true, patchLine: op.patchLine }],
          patchLine: op.patchLine,
        });
        break;
      case "delete":
        if (!created.has(op.path) && exists(resolve, op.path)) return false;
        break;
      case "update": {
        if (op.chunks.some((chunk) => !chunk.lines.some((line) => line.tag !== "-"))) return false;
        if (op.moveTo !== undefined && !op.copy && !created.has(op.path) && exists(resolve, op.path)) return false;
        const chunks = op.chunks.map(reverseChunk);
        // The (moved or copied) file must hold the chunks' results; a pure move or copy only needs its destination.
        const path = op.moveTo ?? op.path;
        if (chunks.length > 0) reversed.push({ kind: "update", path, chunks, patchLine: op.patchLine });
        else if (!exists(resolve, path)) return false;
        evidence = true;
        break;
      }
    }
  }
  if (!evidence) return false;
  if (reversed.length === 0) return true; // pure moves, all done
  try {
    planPatch({ format: parsed.format, ops: reversed }, resolve, signal);
    return true;
  } catch {
    return false;
  }
}

function reverseChunk(chunk: Chunk): Chunk {
  return {
    contexts: chunk.contexts,
    lines: chunk.lines.map((line) => (line.tag === " " ? line : { tag: line.tag === "+" ? "-" : "+", text: line.text })),
    eof: chunk.eof,
    patchLine: chunk.patchLine,
  };
}

function exists(resolve: Resolve, path: string): boolean {
  try {
    lstatSync(resolve(path).real);
    return true;
  } catch {
    return false;
  }
}
