// Hardware evidence arrives as raw bytes or as the same bytes in base64 (or hex) text, e.g. pasted from a
// JSON field or an API response. One decoder for both TDX quotes and Nitro documents: raw first, then text.
import { decodeBase64Strict } from "../../../core/digest.ts";
import type { SourceFile } from "../../types.ts";

const HEX_TEXT = /^(?:[0-9a-fA-F]{2})+$/;
const B64_TEXT = /^[A-Za-z0-9+/_\-=\r\n]+$/;

/** Which encoding the bytes came in, recorded in `source.format`. */
export type BinaryEncoding = "raw" | "base64" | "hex";

/**
 * The evidence bytes of `file` when they (or their base64/hex text) satisfy `looksLike`; undefined otherwise.
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
  if (HEX_TEXT.test(text)) {
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
