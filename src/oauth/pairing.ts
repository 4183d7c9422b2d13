import { randomInt } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../fs/atomic.js";
import { hashSecret, sameSecret } from "./secrets.js";

/**
 * The pairing code proves that whoever approves a connector sits at this
 * computer: `connector code` (another process) writes only its hash to a 0600
 * file in the config folder; the server reads that file on every attempt, so a
 * new code works at once. One code at a time, valid 10 minutes, used once.
 * Wrong tries do not wear the code out: anyone can type into a consent page,
 * so a code that died of wrong tries would be a stranger's off switch for the
 * owner. Guessing is bounded per consent request, client and address instead
 * (guesses.ts, which also does the arithmetic for the ~40 bits of a code).
 */
export const PAIRING_TTL_MS = 10 * 60_000;
const ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"; // no 0/O, 1/I/L
const LENGTH = 8;
/** How many codes there are (31^8 ≈ 8.5 × 10^11); the guessing bound in guesses.ts is measured against it. */
export const PAIRING_CODE_SPACE = ALPHABET.length ** LENGTH;

interface PairingFile {
  hash: string;
  created_at: string;
  expires_at: string;
}

export function pairingFile(home: string): string {
  return join(home, "connector-pairing.json");
}

/** Make a new code (replacing any earlier one) and return it with its expiry. */
export function createPairingCode(home: string, now = new Date()): { code: string; expires_at: string } {
  let raw = "";
  for (let i = 0; i < LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  const code = `${raw.slice(0, 4)}-${raw.slice(4)}`;
  const expires_at = new Date(now.getTime() + PAIRING_TTL_MS).toISOString();
  const record: PairingFile = { hash: hashSecret(normalize(code)), created_at: now.toISOString(), expires_at };
  mkdirSync(home, { recursive: true, mode: 0o700 });
  if (process.platform !== "win32") chmodSync(home, 0o700);
  writeFileAtomicSync(pairingFile(home), `${JSON.stringify(record)}\n`, 0o600);
  return { code, expires_at };
}

/** What a person may type: case, spaces and dashes do not matter. */
function normalize(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, "");
}

function read(home: string): PairingFile | undefined {
  try {
    const parsed = JSON.parse(readFileSync(pairingFile(home), "utf8")) as PairingFile;
    return typeof parsed.hash === "string" && typeof parsed.expires_at === "string" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function burn(home: string): void {
  rmSync(pairingFile(home), { force: true });
}

export type PairingResult = "ok" | "wrong" | "none" | "expired";

/** Check a typed code; a right one is consumed, a wrong one changes nothing (the caller counts it). */
export function consumePairingCode(home: string, input: string, now = new Date()): PairingResult {
  const record = read(home);
  if (!record) return "none";
  if (Date.parse(record.expires_at) <= now.getTime()) {
    burn(home);
    return "expired";
  }
  const typed = normalize(String(input ?? "")).slice(0, 64);
  if (typed.length > 0 && sameSecret(hashSecret(typed), record.hash)) {
    burn(home);
    return "ok";
  }
  return "wrong";
}

/** Whether a code is waiting (for status output); never the code. */
export function pairingPending(home: string, now = new Date()): { expires_at: string } | null {
  const record = read(home);
  if (!record || Date.parse(record.expires_at) <= now.getTime()) return null;
  return { expires_at: record.expires_at };
}
