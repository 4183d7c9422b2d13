/** Characters `value` adds to a JSON answer (as an array item, with its comma). */
export function jsonCost(value: unknown): number {
  return JSON.stringify(value).length + 1;
}

/** Characters a string costs inside a JSON document, escapes included, without the quotes. */
export function jsonStringCost(text: string): number {
  return JSON.stringify(text).length - 2;
}

/**
 * Let the event loop serve other requests during a long synchronous walk:
 * call `tick()` often; it yields once the current slice has run for `sliceMs`.
 */
export function makeYielder(sliceMs = 20): { tick(): Promise<void> | undefined } {
  let sliceStart = performance.now();
  return {
    tick() {
      if (performance.now() - sliceStart < sliceMs) return undefined;
      return new Promise<void>((resolve) =>
        setImmediate(() => {
          sliceStart = performance.now();
          resolve();
        }),
      );
    },
  };
}
