// DSSE (Dead Simple Signing Envelope) v1: the PAE, envelope parsing and signature verification.
// Spec: https://github.com/secure-systems-lab/dsse/blob/master/protocol.md
import { createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from "node:crypto";
import { lazy } from "../core/lazy.ts";
import { decodeBase64Strict } from "../core/digest.ts";
import { TollgateError } from "../core/errors.ts";
import type { TrustedKey } from "../core/verification.ts";
import { hashForKey, keyAlgorithm } from "./keys.ts";

export interface DsseSignature {
  keyid?: string;
  /** A PEM signing certificate beside the signature (the SLSA GitHub generator's .intoto.jsonl writes one). */
  cert?: string;
  /** Raw signature bytes (decoded from the envelope's base64). */
  sig: Uint8Array;
}

export interface DsseEnvelope {
  payloadType: string;
  /** Raw payload bytes (decoded from the envelope's base64). */
  payload: Uint8Array;
  signatures: DsseSignature[];
}

// Only digest-only ECDSA checks (the conformance CLI's sha256:… argument) need @noble/curves.
const nist = lazy(() => require("@noble/curves/nist.js") as typeof import("@noble/curves/nist.js"));

const enc = new TextEncoder();

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN = decimal byte length. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = enc.encode(payloadType);
  const head = enc.encode(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

/**
 * Sign a payload into a DSSE envelope (its JSON form) with the convention verifySignatureBytes and cosign read:
 * Ed25519 pure, ECDSA DER with the curve's hash (SHA-256 for P-256, SHA-384 for P-384), RSA PKCS#1 v1.5 SHA-256.
 * keyid is empty, as cosign writes it: verifiers match keys, not hints an attacker could set.
 */
export function signDsseEnvelope(payloadType: string, payload: Uint8Array, privateKey: KeyObject): { payloadType: string; payload: string; signatures: { keyid: string; sig: string }[] } {
  const alg = keyAlgorithm(createPublicKey(privateKey));
  const sig = nodeSign(alg === "ed25519" ? null : hashForKey(alg)!, preAuthEncoding(payloadType, payload), privateKey);
  return { payloadType, payload: Buffer.from(payload).toString("base64"), signatures: [{ keyid: "", sig: Buffer.from(sig).toString("base64") }] };
}

/** Pure: JSON value → envelope with strictly decoded payload and signatures. Throws TollgateError("malformed"). */
export function parseDsseEnvelope(value: unknown, path?: string): DsseEnvelope {
  const fail = (msg: string): never => {
    throw new TollgateError("malformed", `DSSE envelope: ${msg}`, path);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("not a JSON object");
  const v = value as Record<string, unknown>;
  if (typeof v.payloadType !== "string" || v.payloadType === "") fail("payloadType must be a non-empty string");
  if (typeof v.payload !== "string") fail("payload must be a base64 string");
  if (!Array.isArray(v.signatures)) fail("signatures must be an array");
  const payload = decode(v.payload as string, "payload", path);
  const signatures = (v.signatures as unknown[]).map((s, i): DsseSignature => {
    if (typeof s !== "object" || s === null) fail(`signatures[${i}] is not an object`);
    const so = s as Record<string, unknown>;
    if (typeof so.sig !== "string" || so.sig === "") fail(`signatures[${i}].sig must be a non-empty base64 string`);
    if (so.keyid !== undefined && typeof so.keyid !== "string") fail(`signatures[${i}].keyid must be a string`);
    const out: DsseSignature = { sig: decode(so.sig as string, `signatures[${i}].sig`, path) };
    if (typeof so.keyid === "string" && so.keyid !== "") out.keyid = so.keyid;
    if (typeof so.cert === "string" && so.cert !== "") out.cert = so.cert;
    return out;
  });
  return { payloadType: v.payloadType as string, payload, signatures };
}

function decode(b64: string, what: string, path?: string): Uint8Array {
  try {
    return decodeBase64Strict(b64, `DSSE envelope ${what}`);
  } catch (e) {
    throw new TollgateError("malformed", (e as Error).message, path, { cause: e });
  }
}

export interface DsseVerification {
  /** Keys that verified at least one signature (with the signature's keyid when it had one). */
  verified: TrustedKey[];
  /** Number of signatures in the envelope. */
  signatureCount: number;
}

/**
 * Verify every signature of the envelope against every trusted key (keyids are hints only: an
 * attacker controls them, so a signature is tried against all keys). Never throws for a bad signature.
 */
export async function verifyDsseEnvelope(env: DsseEnvelope, keys: readonly TrustedKey[]): Promise<DsseVerification> {
  const pae = preAuthEncoding(env.payloadType, env.payload);
  const verified: TrustedKey[] = [];
  for (const key of keys) {
    for (const s of env.signatures) {
      if (await verifySignatureBytes(pae, s.sig, key.key)) {
        verified.push(s.keyid !== undefined ? { ...key, keyid: s.keyid } : key);
        break;
      }
    }
  }
  return { verified, signatureCount: env.signatures.length };
}

/**
 * Verify `sig` over `data` with the algorithm the key implies: Ed25519 pure; ECDSA with SHA-256 (P-256)
 * or SHA-384 (P-384), signature DER or raw r||s (IEEE P1363) as cosign and in-toto both emit;
 * RSA PKCS#1 v1.5 then PSS, SHA-256. Returns false for any failure, never throws.
 */
export async function verifySignatureBytes(data: Uint8Array, sig: Uint8Array, key: KeyObject): Promise<boolean> {
  let alg;
  try {
    alg = keyAlgorithm(key);
  } catch {
    return false;
  }
  const tryNode = (algorithm: string | null, k: Parameters<typeof nodeVerify>[2]): boolean => {
    try {
      return nodeVerify(algorithm, data, k, sig);
    } catch {
      return false;
    }
  };
  switch (alg) {
    case "ed25519":
      return tryNode(null, key);
    case "ecdsa-p256":
    case "ecdsa-p384": {
      const hash = hashForKey(alg)!;
      if (tryNode(hash, key)) return true;
      const coord = alg === "ecdsa-p256" ? 32 : 48;
      return sig.length === 2 * coord && tryNode(hash, { key, dsaEncoding: "ieee-p1363" });
    }
    case "rsa":
      if (key.asymmetricKeyType === "rsa" && tryNode("sha256", key)) return true;
      return verifyRsaPss(data, sig, key);
  }
}

/** RSA-PSS/SHA-256 through WebCrypto (Bun's node:crypto lacks rsa-pss). Salt = hash length, then maximal. */
async function verifyRsaPss(data: Uint8Array, sig: Uint8Array, key: KeyObject): Promise<boolean> {
  try {
    // WebCrypto imports only rsaEncryption SPKI; re-wrap an id-RSASSA-PSS key as plain RSA.
    const jwk = key.export({ format: "jwk" });
    const plain = createPublicKey({ key: { kty: "RSA", n: jwk.n!, e: jwk.e! }, format: "jwk" });
    const spki = plain.export({ format: "der", type: "spki" });
    const ck = await crypto.subtle.importKey("spki", spki, { name: "RSA-PSS", hash: "SHA-256" }, false, ["verify"]);
    const modBytes = Math.ceil((plain.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    for (const saltLength of [32, modBytes - 32 - 2]) {
      if (saltLength < 0) continue;
      if (await crypto.subtle.verify({ name: "RSA-PSS", saltLength }, ck, new Uint8Array(sig), new Uint8Array(data))) return true;
    }
    return false;
  } catch {
    return false;
  }
}

/**
 * ECDSA over a digest the caller already has (a Sigstore message signature checked against `sha256:…`
 * without the artifact's bytes). node:crypto and WebCrypto only verify messages, so this uses
 * @noble/curves. The digest must be the one the key's curve implies. Any failure is false.
 */
export function verifyEcdsaPrehashed(digest: Uint8Array, sig: Uint8Array, key: KeyObject): boolean {
  try {
    const alg = keyAlgorithm(key);
    if (alg !== "ecdsa-p256" && alg !== "ecdsa-p384") return false;
    if (digest.length !== (alg === "ecdsa-p256" ? 32 : 48)) return false;
    const curve = alg === "ecdsa-p256" ? nist().p256 : nist().p384;
    const jwk = key.export({ format: "jwk" });
    const point = new Uint8Array([0x04, ...Buffer.from(jwk.x!, "base64url"), ...Buffer.from(jwk.y!, "base64url")]);
    const coord = alg === "ecdsa-p256" ? 32 : 48;
    const format = sig.length === 2 * coord ? "compact" : "der";
    return curve.verify(sig, digest, point, { prehash: false, lowS: false, format });
  } catch {
    return false;
  }
}
