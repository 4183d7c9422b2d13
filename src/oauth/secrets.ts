import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A fresh secret: 256 random bits, URL-safe, with a prefix that says what it is. */
export function newSecret(prefix: string): string {
  return prefix + randomBytes(32).toString("base64url");
}

/** How secrets are kept at rest and looked up: their SHA-256 (they are random, so no salt is needed). */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("base64url");
}

/** Constant-time equality of two texts, through fixed-size digests (length does not leak). */
export function sameSecret(a: string, b: string): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}

/** PKCE S256: BASE64URL(SHA256(verifier)). */
export function s256(verifier: string): string {
  return createHash("sha256").update(verifier, "ascii").digest("base64url");
}

/** The channel a grant belongs to: a one-way fingerprint of the bearer token, so `channel revoke` (which rotates it) ends every grant. */
export function channelOf(token: string): string {
  return createHash("sha256").update(`channel:${token}`).digest("base64url").slice(0, 22);
}
