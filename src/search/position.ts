import { comparePaths } from "../files/treeOrder.js";
import type { Position } from "./types.js";

/** Result order: files in tree order, then line number. */
export function comparePositions(a: Position, b: Position): number {
  return comparePaths(a.path, b.path) || a.line - b.line;
}
