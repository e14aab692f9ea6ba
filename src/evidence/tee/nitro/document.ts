// AWS Nitro Enclaves attestation documents (pure parsing). Format per aws/aws-nitro-enclaves-nsm-api
// docs/attestation_process.md: a COSE_Sign1 (RFC 9052; CBOR tag 18 or untagged)
//   [ protected: bstr .cbor {1: -35 (ES384)}, unprotected: {}, payload: bstr .cbor AttestationDocument,
//     signature: bstr (96 bytes, r‖s) ]
// AttestationDocument = { module_id: tstr, digest: "SHA384", timestamp: uint (ms since epoch),
//   pcrs: {0..31 => bstr 32/48/64}, certificate: bstr (DER), cabundle: [+ bstr (DER)], root first,
//   ? public_key: bstr / null, ? user_data: bstr / null, ? nonce: bstr / null }  (each .size (0..1024))
// CBOR is decoded with cbor2 in a strict mode (no duplicate map keys, no indefinite lengths).
import { decode, encode, Tag } from "cbor2";
import { TollgateError } from "../../../core/errors.ts";

export const COSE_ALG_ES384 = -35;
const COSE_SIGN1_TAG = 18;
// What the NSM emits: the spec's CDDL types public_key, user_data and nonce as `user_data = bytes .size
// (0..1024)`, and real documents carry 1024-byte user_data (the same page's older "0..512" validation
// table is stricter than the NSM itself and would refuse genuine documents).
export const NSM_USER_DATA_MAX = 1024;

export interface NitroPayload {
  moduleId: string;
  digest: string;
  /** Milliseconds since the epoch, as signed. */
  timestamp: number;
  /** PCR index → value. */
  pcrs: Map<number, Uint8Array>;
  certificate: Uint8Array;
  /** Root first, then intermediates down to the issuer of `certificate`. */
  cabundle: Uint8Array[];
  publicKey?: Uint8Array;
  userData?: Uint8Array;
  nonce?: Uint8Array;
}

export interface NitroDocument {
  tagged: boolean;
  protectedBytes: Uint8Array;
  /** Decoded protected header (label → value). */
  protectedHeader: Map<unknown, unknown>;
  payloadBytes: Uint8Array;
  signature: Uint8Array;
  payload: NitroPayload;
}

const STRICT = { preferMap: true, rejectDuplicateKeys: true, rejectStreaming: true } as const;

function fail(code: "malformed" | "schema_invalid", msg: string): never {
  throw new TollgateError(code, `Nitro attestation document: ${msg}`);
}

function decodeStrict(bytes: Uint8Array, what: string): unknown {
  try {
    return decode(bytes, STRICT);
  } catch (e) {
    fail("malformed", `${what} is not well-formed CBOR (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * Cheap sniff for detect(): a CBOR array of 4 (optionally tag 18) whose first item is a short byte string
 * (the protected header) followed by a map (the unprotected header).
 */
export function looksLikeNitroDocument(b: Uint8Array): boolean {
  let i = 0;
  if (b[0] === 0xd2) i = 1; // tag(18)
  if (b[i] !== 0x84) return false; // array(4)
  const first = b[i + 1];
  if (first === undefined) return false;
  let next: number;
  if (first >= 0x40 && first <= 0x57) next = i + 2 + (first - 0x40);
  else if (first === 0x58 && b[i + 2] !== undefined) next = i + 3 + b[i + 2]!;
  else return false;
  const m = b[next];
  return m !== undefined && m >= 0xa0 && m <= 0xbb; // map, any definite length
}

function bstr(v: unknown, what: string, min: number, max: number): Uint8Array {
  if (!(v instanceof Uint8Array)) fail("schema_invalid", `${what} is not a byte string`);
  if (v.length < min || v.length > max) fail("schema_invalid", `${what} is ${v.length} bytes (allowed ${min}..${max})`);
  return v;
}

function optionalBstr(m: Map<unknown, unknown>, key: string, max: number): Uint8Array | undefined {
  const v = m.get(key);
  if (v === undefined || v === null) return undefined;
  return bstr(v, key, 0, max);
}

export function parsePayload(bytes: Uint8Array): NitroPayload {
  const m = decodeStrict(bytes, "payload");
  if (!(m instanceof Map)) fail("schema_invalid", "payload is not a CBOR map");
  for (const k of m.keys()) if (typeof k !== "string") fail("schema_invalid", `payload has a non-text key ${String(k)}`);
  const moduleId = m.get("module_id");
  if (typeof moduleId !== "string" || moduleId.length === 0) fail("schema_invalid", "module_id is missing or not a non-empty text string");
  const digest = m.get("digest");
  if (digest !== "SHA384") fail("schema_invalid", `digest is ${JSON.stringify(digest)}, not "SHA384"`);
  const timestamp = m.get("timestamp");
  // 8.64e15 ms is the largest instant a Date holds (year 275760); anything beyond is not a real timestamp.
  if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) || timestamp <= 0 || timestamp > 8.64e15) {
    fail("schema_invalid", "timestamp is missing or not a positive integer number of milliseconds");
  }
  const rawPcrs = m.get("pcrs");
  if (!(rawPcrs instanceof Map) || rawPcrs.size < 1 || rawPcrs.size > 32) fail("schema_invalid", "pcrs is not a map of 1..32 entries");
  const pcrs = new Map<number, Uint8Array>();
  for (const [k, v] of rawPcrs) {
    if (typeof k !== "number" || !Number.isInteger(k) || k < 0 || k > 31) fail("schema_invalid", `pcrs has index ${String(k)} outside 0..31`);
    const val = bstr(v, `pcrs[${k}]`, 32, 64);
    if (![32, 48, 64].includes(val.length)) fail("schema_invalid", `pcrs[${k}] is ${val.length} bytes (32, 48 or 64 expected)`);
    pcrs.set(k, val);
  }
  const certificate = bstr(m.get("certificate"), "certificate", 1, 1024);
  const rawBundle = m.get("cabundle");
  if (!Array.isArray(rawBundle) || rawBundle.length < 1) fail("schema_invalid", "cabundle is not a non-empty array");
  const cabundle = rawBundle.map((c, i) => bstr(c, `cabundle[${i}]`, 1, 1024));
  const publicKey = optionalBstr(m, "public_key", NSM_USER_DATA_MAX);
  const userData = optionalBstr(m, "user_data", NSM_USER_DATA_MAX);
  const nonce = optionalBstr(m, "nonce", NSM_USER_DATA_MAX);
  return {
    moduleId,
    digest,
    timestamp,
    pcrs,
    certificate,
    cabundle,
    ...(publicKey ? { publicKey } : {}),
    ...(userData ? { userData } : {}),
    ...(nonce ? { nonce } : {}),
  };
}

/** Parse a COSE_Sign1 attestation document. Throws TollgateError (malformed / schema_invalid). */
export function parseNitroDocument(bytes: Uint8Array): NitroDocument {
  let top = decodeStrict(bytes, "document");
  let tagged = false;
  if (top instanceof Tag) {
    if (Number(top.tag) !== COSE_SIGN1_TAG) fail("malformed", `CBOR tag ${String(top.tag)} is not COSE_Sign1 (18)`);
    tagged = true;
    top = top.contents;
  }
  if (!Array.isArray(top) || top.length !== 4) fail("malformed", "not a COSE_Sign1 array of 4 items");
  const [protectedBytes, unprotected, payloadBytes, signature] = top as unknown[];
  if (!(protectedBytes instanceof Uint8Array)) fail("malformed", "COSE protected header is not a byte string");
  if (!(unprotected instanceof Map)) fail("malformed", "COSE unprotected header is not a map");
  if (!(payloadBytes instanceof Uint8Array)) fail("malformed", "COSE payload is not a byte string (detached payloads are not used by Nitro)");
  if (!(signature instanceof Uint8Array)) fail("malformed", "COSE signature is not a byte string");
  const protectedHeader = protectedBytes.length === 0 ? new Map() : decodeStrict(protectedBytes, "protected header");
  if (!(protectedHeader instanceof Map)) fail("malformed", "COSE protected header is not a CBOR map");
  return { tagged, protectedBytes, protectedHeader, payloadBytes, signature, payload: parsePayload(payloadBytes) };
}

/** RFC 9052 §4.4 Sig_structure for COSE_Sign1 with empty external_aad: what ES384 signs. */
export function sigStructure(doc: Pick<NitroDocument, "protectedBytes" | "payloadBytes">): Uint8Array {
  return encode(["Signature1", doc.protectedBytes, new Uint8Array(0), doc.payloadBytes]);
}
