// Hashing and strict encodings shared by every evidence kind.
import { TollgateError } from "./errors.ts";

// Bun's one-shot hash: no hasher object per call (the gate digests twice per request).
export function sha256Hex(data: Uint8Array | string): string {
  return Bun.CryptoHasher.hash("sha256", data, "hex");
}

export function sha256Bytes(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(Bun.CryptoHasher.hash("sha256", data));
}

const HEX64 = /^[0-9a-f]{64}$/;

/** `sha256:<hex>` or bare 64-hex → lower-case hex; anything else throws `usage`. */
export function parseSha256Digest(value: string): string {
  const v = value.trim().toLowerCase();
  const hex = v.startsWith("sha256:") ? v.slice(7) : v;
  if (!HEX64.test(hex)) throw new TollgateError("usage", `not a sha256 digest: ${value} (want sha256:<64 hex>)`);
  return hex;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Strict base64 (standard or URL alphabet, not mixed): line breaks are allowed, any other stray
 * character, bad padding or a length that is not a whole number of bytes is an error.
 */
export function decodeBase64Strict(text: string, what = "base64"): Uint8Array {
  const s = text.replace(/\r?\n/g, "");
  const std = B64.test(s);
  if (!std && !B64URL.test(s)) throw new TollgateError("malformed", `${what} is not valid base64`);
  const body = s.replace(/=+$/, "");
  const padded = s.length % 4 === 0 ? s : s + "=".repeat((4 - (s.length % 4)) % 4);
  if (body.length % 4 === 1 || (s.includes("=") && s.length % 4 !== 0)) {
    throw new TollgateError("malformed", `${what} has a truncated or mis-padded base64 length`);
  }
  const buf = Buffer.from(std ? padded : padded.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  // Reject non-canonical trailing bits: re-encoding must give back the input.
  const again = buf.toString("base64").replace(/=+$/, "");
  const norm = (std ? body : body.replace(/-/g, "+").replace(/_/g, "/"));
  if (again !== norm) throw new TollgateError("malformed", `${what} is not canonical base64`);
  return new Uint8Array(buf);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
