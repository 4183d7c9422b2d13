import { hash, randomBytes, timingSafeEqual } from "node:crypto";
import { TOKEN_PREFIX } from "../ground/tokenPrefix.js";

/** 256 random bits, base64url (43 chars), with a recognisable prefix. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/**
 * True when `header` is exactly `Bearer <token>`. Compared through fixed-size
 * digests so neither the content nor the length of the secret leaks in timing.
 */
export function verifyBearer(header: string | undefined, token: string): boolean {
  if (typeof header !== "string" || token.length === 0) return false;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
  const presented = match?.[1] ?? "";
  return timingSafeEqual(digest(presented), tokenDigest(token)) && presented.length > 0;
}

// One-shot hashing: it runs on every request. A Hash object per call costs twice as much, and
// so does asking for the digest as a Buffer (a fresh ArrayBuffer each time); the hex text in a
// pooled Buffer is 64 bytes of the same fixed size for every input.
function digest(text: string): Buffer {
  return Buffer.from(hash("sha256", text, "hex"), "latin1");
}

// The configured token changes rarely; hash it once per value, not per request.
let lastToken = "";
let lastDigest = digest("");
function tokenDigest(token: string): Buffer {
  if (token !== lastToken) {
    lastDigest = digest(token);
    lastToken = token;
  }
  return lastDigest;
}

