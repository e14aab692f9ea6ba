// OPA's bundle file hashing (open-policy-agent/opa v1/bundle/hash.go + verify.go), reproduced exactly.
//
// Structured files (basename `data.json`, `data.yaml`, `data.yml`, `.manifest`) are parsed and hashed in a
// canonical form: objects as `{` + sorted `"key":value` pairs joined by `,` + `}`, arrays as `[` + values
// joined by `,` + `]`, primitives as Go's encoding/json writes them with SetEscapeHTML(false). OPA decodes
// JSON with UseNumber(), so numbers hash as their *source text* (`1.50` stays `1.50`, `1e3` stays `1e3`):
// that is why this module parses JSON itself instead of going through JS numbers. Every other file
// (policy.wasm, *.rego, any other .json) is hashed as its raw bytes.
import { createHash } from "node:crypto";
import type { GoJson } from "./gojson.ts";
import { goYamlToJson } from "./goyaml.ts";
import { TollgateError } from "../../core/errors.ts";


/** The hash names OPA accepts in a signature's `files[].algorithm`, mapped to node:crypto names. */
export const HASH_ALGORITHMS: Readonly<Record<string, string>> = {
  "SHA-224": "sha224",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
  "SHA-512-224": "sha512-224",
  "SHA-512-256": "sha512-256",
};
/** OPA also accepts these; tollgate refuses them (collision-prone), failing closed. */
export const WEAK_HASH_ALGORITHMS = new Set(["MD5", "SHA-1"]);

function basename(name: string): string {
  const i = name.lastIndexOf("/");
  return i < 0 ? name : name.slice(i + 1);
}

/** OPA's IsStructuredDoc: exact basenames only — `foo.json` is hashed as raw bytes, `data.json` canonically. */
export function isStructuredBundleFile(name: string): boolean {
  const b = basename(name);
  return b === "data.json" || b === "data.yaml" || b === "data.yml" || b === ".manifest";
}

/** OPA's IsSignaturesFile: the basename `.signatures.json`, wherever it sits. */
export function isSignaturesFile(name: string): boolean {
  return basename(name) === ".signatures.json";
}

// ---------------------------------------------------------------------------------------------------------
// A strict RFC 8259 parser that keeps number text (Go's json.Valid + Decoder.UseNumber semantics).

class JsonSyntaxError extends Error {}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

function parseGoJson(text: string): GoJson {
  let i = 0;
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at offset ${i}`);
  };
  const str = (): string => {
    i++; // opening quote
    let out = "";
    let start = i;
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c === 0x5c) {
        out += text.slice(start, i);
        const e = text[i + 1];
        i += 2;
        switch (e) {
          case '"': out += '"'; break;
          case "\\": out += "\\"; break;
          case "/": out += "/"; break;
          case "b": out += "\b"; break;
          case "f": out += "\f"; break;
          case "n": out += "\n"; break;
          case "r": out += "\r"; break;
          case "t": out += "\t"; break;
          case "u": {
            const hex = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape");
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            fail("bad escape");
        }
        start = i;
        continue;
      }
      i++;
    }
  };
  const value = (depth: number): GoJson => {
    if (depth > 10000) fail("nesting too deep");
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const m = new Map<string, GoJson>();
      ws();
      if (text[i] === "}") {
        i++;
        return m;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected object key");
        const k = str();
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        m.set(k, value(depth + 1));
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return m;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const a: GoJson[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return a;
      }
      for (;;) {
        a.push(value(depth + 1));
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return a;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (text.startsWith("true", i)) return (i += 4), true;
    if (text.startsWith("false", i)) return (i += 5), false;
    if (text.startsWith("null", i)) return (i += 4), null;
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m && m[0].length > 0) {
      i += m[0].length;
      return { num: m[0] };
    }
    return fail("unexpected character");
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail("trailing data after the top-level value");
  return v;
}

const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * UTF-8 → string the way Go's decoder treats invalid bytes: each byte that does not start a valid sequence
 * (utf8.DecodeRune's width-1 RuneError) becomes one U+FFFD. WHATWG decoders replace a maximal invalid
 * subpart with a single U+FFFD instead, which would hash differently.
 */
export function decodeUtf8LikeGo(b: Uint8Array): string {
  try {
    return utf8Strict.decode(b); // the common case: valid UTF-8
  } catch {
    // fall through to the byte-by-byte decoder
  }
  let out = "";
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    let need = 0;
    let min = 0;
    let cp = 0;
    if (c >= 0xc2 && c <= 0xdf) [need, min, cp] = [1, 0x80, c & 0x1f];
    else if (c >= 0xe0 && c <= 0xef) [need, min, cp] = [2, 0x800, c & 0x0f];
    else if (c >= 0xf0 && c <= 0xf4) [need, min, cp] = [3, 0x10000, c & 0x07];
    let ok = need > 0 && i + need < b.length;
    for (let k = 1; ok && k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (d & 0x3f);
    }
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (!ok) {
      out += "\ufffd";
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

/**
 * Parse a structured bundle file as OPA's util.Unmarshal does: strip a UTF-8 BOM, JSON when valid, else YAML.
 *
 * YAML is resolved with go-yaml v3's rules (goyaml.ts), as OPA's internal/yaml does before encoding/json.
 * Throws TollgateError("malformed") whose message names the file.
 */
export function parseStructured(name: string, bytes: Uint8Array): GoJson {
  let b = bytes;
  if (b.length > 2 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
  // Go replaces invalid UTF-8 with U+FFFD (per byte) when decoding strings.
  const text = decodeUtf8LikeGo(b);
  try {
    return parseGoJson(text);
  } catch (jsonErr) {
    try {
      return goYamlToJson(text);
    } catch (yamlErr) {
      const why = (jsonErr as Error).message;
      // The message names the bundle member; the caller names the bundle (the error's path).
      throw new TollgateError("malformed", `${name} is neither valid JSON (${why}) nor YAML: ${(yamlErr as Error).message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Go's encoding/json string encoder with SetEscapeHTML(false).

const HEX = "0123456789abcdef";

export function goJsonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c) {
      switch (c) {
        case 0x22: rep = '\\"'; break;
        case 0x5c: rep = "\\\\"; break;
        case 0x08: rep = "\\b"; break; // Go ≥ 1.22 writes \b and \f in short form
        case 0x0c: rep = "\\f"; break;
        case 0x0a: rep = "\\n"; break;
        case 0x0d: rep = "\\r"; break;
        case 0x09: rep = "\\t"; break;
        default: rep = "\\u00" + HEX[c >> 4] + HEX[c & 0xf];
      }
    } else if (c === 0x2028 || c === 0x2029) {
      rep = c === 0x2028 ? "\\u2028" : "\\u2029"; // Go escapes these even without HTML escaping
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A well-formed pair passes through; a lone surrogate is invalid UTF-8 to Go and becomes U+FFFD.
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      rep = "\ufffd";
    }
    if (rep !== undefined) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** The exact byte string OPA's hasher feeds to the hash for a structured value. */
export function canonicalText(v: GoJson): string {
  if (v === null) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (typeof v === "string") return goJsonString(v);
  if (Array.isArray(v)) return "[" + v.map(canonicalText).join(",") + "]";
  if (v instanceof Map) {
    const keys = [...v.keys()].sort(utf8Compare); // Go sorts keys bytewise
    return "{" + keys.map((k) => goJsonString(k) + ":" + canonicalText(v.get(k) as GoJson)).join(",") + "}";
  }
  return v.num;
}

/**
 * Hex digest of one bundle file as OPA computes it for `.signatures.json`.
 * `algorithm` is OPA's name (`SHA-256`, …); throws TollgateError("unsupported") for weak or unknown ones.
 */
export function bundleFileDigest(name: string, bytes: Uint8Array, algorithm = "SHA-256"): string {
  const nodeAlg = HASH_ALGORITHMS[algorithm];
  if (!nodeAlg) {
    const why = WEAK_HASH_ALGORITHMS.has(algorithm) ? "is too weak; tollgate refuses it" : "is not a hashing algorithm OPA defines";
    throw new TollgateError("unsupported", `${name}: hash algorithm ${JSON.stringify(algorithm)} ${why}`);
  }
  const h = createHash(nodeAlg);
  h.update(isStructuredBundleFile(name) ? canonicalText(parseStructured(name, bytes)) : bytes);
  return h.digest("hex");
}
