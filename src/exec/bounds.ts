import { z } from "zod";

/**
 * A number field with real bounds (contract §6): below `min` is 400
 * BAD_REQUEST; above `max` is clamped to `max` (v1 rule). The document shows
 * the minimum and the default; the maximum is said in the field's description,
 * since a larger value is clamped rather than refused.
 */
export function boundedNumber(min: number, max: number, options: { int?: boolean } = {}) {
  const base = options.int ? z.number().int() : z.number();
  return base
    .min(min)
    .transform((value) => Math.min(value, max));
}

/** boundedNumber with a default, shown in the document too. */
export function boundedNumberWithDefault(min: number, max: number, fallback: number, options: { int?: boolean } = {}) {
  const base = options.int ? z.number().int() : z.number();
  return base
    .min(min)
    .meta({ default: fallback })
    .transform((value) => Math.min(value, max))
    .default(fallback);
}

/** An integer in an answer: `minimum` (when given) and no made-up ±2^53 bounds in the document. */
export function answerInt(minimum?: number) {
  return minimum === undefined
    ? z.number().int().meta({ minimum: undefined, maximum: undefined })
    : z.number().int().min(minimum).meta({ maximum: undefined });
}
