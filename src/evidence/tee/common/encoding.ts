// Binary TEE evidence arrives raw, as hex text or as base64 text (e.g. pasted from a JSON field or an API
// response). These helpers decide which, strictly: a file is only read as hex/base64 when the whole of it
// (bar surrounding whitespace) is that encoding. Shared by every TEE platform.
import { decodeBase64Strict } from "../../../core/digest.ts";
import { TollgateError } from "../../../core/errors.ts";
import type { SourceFile } from "../../types.ts";

/** Which encoding the bytes came in, recorded in `source.format`. */
export type BinaryEncoding = "raw" | "hex" | "base64";

const HEX_TEXT = /^[0-9a-fA-F\s]+$/;
const B64_TEXT = /^[A-Za-z0-9+/_\-=\r\n]+$/;

function asciiText(bytes: Uint8Array): string | undefined {
  for (const b of bytes) if (b > 0x7e || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) return undefined;
  return Buffer.from(bytes).toString("latin1");
}

/** Hex text (whitespace between digits allowed) → bytes; throws malformed on odd length or stray characters. */
export function decodeHexStrict(text: string, what = "hex"): Uint8Array {
  const s = text.replace(/\s+/g, "");
  if (!/^[0-9a-fA-F]*$/.test(s)) throw new TollgateError("malformed", `${what} is not valid hex`);
  if (s.length % 2 !== 0) throw new TollgateError("malformed", `${what} has an odd number of hex digits (${s.length})`);
  return new Uint8Array(Buffer.from(s, "hex"));
}

/**
 * The binary payload of a file that holds it raw, as hex or as base64, when its decoded length is one of
 * `sizes`; undefined otherwise (never throws: used by detect).
 */
export function sniffBinary(bytes: Uint8Array, sizes: readonly number[]): { data: Uint8Array; encoding: BinaryEncoding } | undefined {
  if (sizes.includes(bytes.length)) return { data: bytes, encoding: "raw" };
  const text = asciiText(bytes)?.trim();
  if (!text) return undefined;
  if (HEX_TEXT.test(text)) {
    const digits = text.replace(/\s+/g, "");
    if (digits.length % 2 === 0 && sizes.includes(digits.length / 2)) {
      return { data: new Uint8Array(Buffer.from(digits, "hex")), encoding: "hex" };
    }
  }
  if (B64_TEXT.test(text)) {
    try {
      const data = decodeBase64Strict(text);
      if (sizes.includes(data.length)) return { data, encoding: "base64" };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The binary payload of a file that holds it raw, as hex or as base64, whatever its length (up to `maxBytes`);
 * undefined when the text is neither. Lets detect() recognize a truncated report so parse() can say so.
 */
export function sniffBinaryAnyLength(bytes: Uint8Array, maxBytes: number): { data: Uint8Array; encoding: BinaryEncoding } | undefined {
  if (bytes.length > maxBytes * 2 + 1024) return undefined;
  const text = asciiText(bytes)?.trim();
  if (text) {
    if (HEX_TEXT.test(text)) {
      const digits = text.replace(/\s+/g, "");
      if (digits.length % 2 === 0) return { data: new Uint8Array(Buffer.from(digits, "hex")), encoding: "hex" };
    }
    if (B64_TEXT.test(text)) {
      try {
        return { data: decodeBase64Strict(text), encoding: "base64" };
      } catch {
        // not base64 either: fall through to raw
      }
    }
  }
  return bytes.length <= maxBytes ? { data: bytes, encoding: "raw" } : undefined;
}

/** Decode a base64 (standard or URL alphabet, padded or not) JSON string field, naming the field on error. */
export function base64Field(value: unknown, what: string): Uint8Array {
  if (typeof value !== "string" || value.length === 0) throw new TollgateError("schema_invalid", `${what} must be a non-empty base64 string`);
  return decodeBase64Strict(value.trim(), what);
}

/** Decode a hex JSON string field, naming the field on error. */
export function hexField(value: unknown, what: string): Uint8Array {
  if (typeof value !== "string") throw new TollgateError("schema_invalid", `${what} must be a hex string`);
  return decodeHexStrict(value, what);
}

const HEX_PAIRS = /^(?:[0-9a-fA-F]{2})+$/;

/**
 * The evidence bytes of `file` when they (or their base64/hex text) satisfy `looksLike`; undefined otherwise.
 * For formats recognized by their leading bytes rather than a fixed size (TDX quotes, Nitro documents).
 * Never throws: used by detect() as well as parse().
 */
export function decodeBinaryEvidence(
  file: SourceFile,
  looksLike: (b: Uint8Array) => boolean,
): { bytes: Uint8Array; encoding: BinaryEncoding } | undefined {
  if (looksLike(file.bytes)) return { bytes: file.bytes, encoding: "raw" };
  // Text forms: only when the whole file is one token of the alphabet (cheap to rule out for JSON/YAML).
  if (file.bytes.length > 16 * 1024 * 1024) return undefined;
  const text = file.text()?.trim();
  if (!text) return undefined;
  if (HEX_PAIRS.test(text)) {
    const bytes = new Uint8Array(Buffer.from(text, "hex"));
    if (looksLike(bytes)) return { bytes, encoding: "hex" };
  }
  if (B64_TEXT.test(text)) {
    try {
      const bytes = decodeBase64Strict(text, file.path);
      if (looksLike(bytes)) return { bytes, encoding: "base64" };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
