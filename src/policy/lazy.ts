/**
 * Attach a `source` text computed only when read. Source positions are slow
 * to get from the parser and are needed only for the few words a refusal
 * message quotes. Enumerable, so a spread copy carries the value.
 */
export function withSource<T extends object>(value: T, compute: () => string): T & { source: string } {
  let cached: string | undefined;
  Object.defineProperty(value, "source", { get: () => (cached ??= compute()), enumerable: true, configurable: true });
  return value as T & { source: string };
}
