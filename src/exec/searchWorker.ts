import { parentPort, workerData } from "node:worker_threads";
import { readSegment, type SegmentInfo } from "./outputLog.js";

/**
 * Runs a model-given regular expression over a job's log in its own thread,
 * so a catastrophic pattern can be stopped from outside (the worker is
 * terminated) instead of freezing the server.
 */
export interface SearchRequest {
  segments: SegmentInfo[];
  /** Lines still being written (numbered after the log's complete lines). */
  extra: { line: number; text: string }[];
  pattern: string;
  from: number;
  to: number;
  /** Line numbers of matches collected; counting goes on up to the time limit. */
  maxMatches: number;
  /** Stop scanning (with what was found) after this long. */
  softMs: number;
}

export interface SearchResult {
  matches: number[];
  /** Matching lines found in all. */
  total: number;
  /** The last line examined. */
  scannedTo: number;
  /** Every line of the range was examined. */
  complete: boolean;
}

/** Only the start of a very long line is searched (keeps one test bounded in size). */
export const SEARCHED_CHARS = 4_000;

function search(request: SearchRequest): SearchResult {
  const regex = new RegExp(request.pattern, "i");
  const until = Date.now() + request.softMs;
  const matches: number[] = [];
  let total = 0;
  let scannedTo = request.from - 1;
  let outOfTime = false;
  const visit = (line: number, text: string): boolean => {
    if ((line & 255) === 0 && Date.now() > until) {
      outOfTime = true;
      return true;
    }
    if (regex.test(text.length > SEARCHED_CHARS ? text.slice(0, SEARCHED_CHARS) : text)) {
      total++;
      if (matches.length < request.maxMatches) matches.push(line);
    }
    scannedTo = line;
    return false;
  };
  for (const segment of request.segments) {
    const last = segment.firstLine + segment.lines - 1;
    if (last < request.from || segment.firstLine > request.to) continue;
    if (readSegment(segment, Math.max(request.from, segment.firstLine), Math.min(request.to, last), (line) => visit(line.line, line.text))) break;
  }
  for (const line of request.extra) {
    if (outOfTime) break;
    if (line.line >= request.from && line.line <= request.to && visit(line.line, line.text)) break;
  }
  return { matches, total, scannedTo, complete: !outOfTime };
}

parentPort?.postMessage(search(workerData as SearchRequest));
