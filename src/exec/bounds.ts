import { z } from "zod";

/**
 * A number field with real bounds (contract §6): below `min` is 400
 * BAD_REQUEST; above `max` is clamped to `max` (v1 rule), and the document
 * says `maximum` (and the default) so the model knows them.
 */
export function boundedNumber(min: number, max: number, options: { int?: boolean } = {}) {
  const base = options.int ? z.number().int() : z.number();
  return base
    .min(min)
    .meta({ maximum: max })
    .transform((value) => Math.min(value, max));
}

/** boundedNumber with a default, shown in the document too. */
export function boundedNumberWithDefault(min: number, max: number, fallback: number, options: { int?: boolean } = {}) {
  const base = options.int ? z.number().int() : z.number();
  return base
    .min(min)
    .meta({ maximum: max, default: fallback })
    .transform((value) => Math.min(value, max))
    .default(fallback);
}

/** An integer in an answer: `minimum` (when given) and no made-up ±2^53 bounds in the document. */
export function answerInt(minimum?: number) {
  return minimum === undefined
    ? z.number().int().meta({ minimum: undefined, maximum: undefined })
    : z.number().int().min(minimum).meta({ maximum: undefined });
}
