// AWS Nitro Enclaves attestation documents as evidence kind "nitro-attestation" (record kind "tee-report",
// hardware.platform "nitro"). Input: the raw COSE_Sign1 bytes or their base64 or hex text.
//
//   verifyNitroDocument(bytes: Uint8Array, ctx: VerifyContext, options?: NitroVerifyOptions): NitroVerification
//     → { checks: Check[]; hardware: HardwareFacts; document?: NitroDocument }
//
// Never throws. Checks, in order:
//   hardware.nitro_parse        (only on failure: the document is not a well-formed attestation document)
//   hardware.nitro_cose_alg     protected header alg is ES384 (-35)
//   hardware.nitro_chain        certificate ← cabundle[n-1] ← … ← cabundle[0], cabundle[0] byte-identical to
//                               the pinned AWS Nitro root G1, every certificate valid at ctx.time
//   hardware.nitro_signature    ES384 (P-384, SHA-384, r‖s) over Sig_structure
//                               ["Signature1", protected, h'', payload] with the leaf certificate's key
//   hardware.nitro_timestamp    the signed timestamp lies within the leaf certificate's validity
// Time: the chain is checked at ctx.time when the caller chose it (--time), else at the document's own
// timestamp; the document time is a fact
// (`timestamp`, `time`) so a policy can compare it with input.context.time.
import { verify as cryptoVerify } from "node:crypto";
import { asTollgateError, TollgateError } from "../../../core/errors.ts";
import { toHex } from "../../../core/digest.ts";
import type { Check, EvidenceKind, EvidenceRecord, HardwareFacts, SourceFile, VerifyContext } from "../../types.ts";
import { outcome, teeRecord } from "../common/facts.ts";
import { AWS_NITRO_ROOT_G1_PEM, AWS_NITRO_ROOT_NAME } from "../roots/aws.ts";
import { decodeBinaryEvidence, type BinaryEncoding } from "../common/encoding.ts";
import type { Certificate } from "../common/x509.ts";
import { ecKeyOf, pemToDer, verifyChain, type ChainElement, type PinnedRoot } from "../common/x509chain.ts";
import { COSE_ALG_ES384, looksLikeNitroDocument, parseNitroDocument, sigStructure, type NitroDocument } from "./document.ts";

export { parseNitroDocument, looksLikeNitroDocument, type NitroDocument } from "./document.ts";

export interface NitroVerifyOptions {
  /** Replaces the pinned AWS Nitro root G1 (tests with synthetic chains only). */
  roots?: readonly PinnedRoot[];
}

export interface NitroVerification {
  checks: Check[];
  hardware: HardwareFacts;
  document?: NitroDocument;
}

const PINNED_AWS: readonly PinnedRoot[] = [{ name: AWS_NITRO_ROOT_NAME, der: pemToDer(AWS_NITRO_ROOT_G1_PEM) }];

export function verifyNitroDocument(bytes: Uint8Array, ctx: VerifyContext, options: NitroVerifyOptions = {}): NitroVerification {
  let doc: NitroDocument;
  try {
    doc = parseNitroDocument(bytes);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    const code = e instanceof TollgateError ? e.code : "malformed";
    return { checks: [{ name: "hardware.nitro_parse", ok: false, code, reason }], hardware: { platform: "nitro", status: "failed", reason } };
  }
  return verifyParsedNitroDocument(doc, ctx, options);
}

export function verifyParsedNitroDocument(doc: NitroDocument, ctx: VerifyContext, options: NitroVerifyOptions = {}): NitroVerification {
  const checks: Check[] = [];
  try {
    runNitroChecks(doc, ctx, options, checks);
  } catch (e) {
    // Fail closed on anything unforeseen: never a thrown verification.
    checks.push({ name: "hardware.nitro_unexpected", ok: false, code: "hardware_failed", reason: `Nitro verification stopped: ${e instanceof Error ? e.message : String(e)}` });
  }
  return { checks, hardware: nitroHardwareFacts(doc, checks, ctx.time), document: doc };
}

function runNitroChecks(doc: NitroDocument, ctx: VerifyContext, options: NitroVerifyOptions, checks: Check[]): void {
  const p = doc.payload;

  const alg = doc.protectedHeader.get(1);
  checks.push(
    alg === COSE_ALG_ES384
      ? { name: "hardware.nitro_cose_alg", ok: true }
      : { name: "hardware.nitro_cose_alg", ok: false, code: "unsupported", reason: `COSE protected header alg is ${String(alg)}, not ES384 (-35)` },
  );

  // Leaf first: certificate, then the bundle from its end (the leaf's issuer) back to cabundle[0] (the root).
  const chain: ChainElement[] = [{ role: "enclave", der: p.certificate }];
  for (let i = p.cabundle.length - 1; i >= 0; i--) chain.push({ role: i === 0 ? "cabundle[0] (root)" : `cabundle[${i}]`, der: p.cabundle[i]! });
  // Certificates are checked at the document's own timestamp unless the caller chose an instant (--time):
  // enclave certificates live for hours, so "now" would reject every document older than that.
  const at = ctx.timeExplicit ? ctx.time : new Date(p.timestamp);
  const res = verifyChain(chain, options.roots ?? PINNED_AWS, at);
  const leaf: Certificate | undefined = res.certs?.[0];
  checks.push(
    res.ok
      ? { name: "hardware.nitro_chain", ok: true, detail: { root: res.root, leaf: leaf!.subject, length: chain.length } }
      : { name: "hardware.nitro_chain", ok: false, code: res.failure!.code, reason: `Nitro chain: ${res.failure!.reason}`, ...(res.failure!.detail ? { detail: res.failure!.detail } : {}) },
  );

  const leafKey = leaf && ecKeyOf(leaf, "secp384r1");
  if (!leaf) {
    checks.push({ name: "hardware.nitro_signature", ok: false, code: "chain_broken", reason: "no parsable enclave certificate to verify the COSE signature with" });
  } else if (!leafKey) {
    checks.push({ name: "hardware.nitro_signature", ok: false, code: "certificate_invalid", reason: "enclave certificate key is not a decodable ECDSA P-384 key" });
  } else if (doc.signature.length !== 96) {
    checks.push({ name: "hardware.nitro_signature", ok: false, code: "signature_failed", reason: `COSE signature is ${doc.signature.length} bytes; ES384 needs 96 (r‖s)` });
  } else {
    let ok = false;
    try {
      ok = cryptoVerify("sha384", sigStructure(doc), { key: leafKey, dsaEncoding: "ieee-p1363" }, doc.signature);
    } catch {
      ok = false;
    }
    checks.push(
      ok
        ? { name: "hardware.nitro_signature", ok: true }
        : { name: "hardware.nitro_signature", ok: false, code: "signature_failed", reason: "COSE_Sign1 ES384 signature does not verify over the Sig_structure with the enclave certificate's key" },
    );
  }

  const docTime = new Date(p.timestamp);
  if (leaf) {
    const { notBefore: from, notAfter: to } = leaf;
    checks.push(
      docTime >= from && docTime <= to
        ? { name: "hardware.nitro_timestamp", ok: true, detail: { time: docTime.toISOString() } }
        : {
            name: "hardware.nitro_timestamp",
            ok: false,
            code: "certificate_invalid",
            reason: `document timestamp ${docTime.toISOString()} is outside the enclave certificate's validity (${from.toISOString()} to ${to.toISOString()})`,
          },
    );
  }
}

function pcrHex(doc: NitroDocument): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of [...doc.payload.pcrs].sort((a, b) => a[0] - b[0])) out[String(k)] = toHex(v);
  return out;
}

/**
 * Pure: hardware facts from the document, the checks that ran on it and the verification instant (`ageSeconds`
 * = ctx.time − document timestamp, whole seconds, negative when the document is from the future; policies
 * compare it with a maximum age since the WASM runtime has no time parsing).
 */
export function nitroHardwareFacts(doc: NitroDocument, checks: readonly Check[], at: Date): HardwareFacts {
  const p = doc.payload;
  const verdict = outcome(checks);
  const chain = checks.find((c) => c.name === "hardware.nitro_chain" && c.ok)?.detail as { root: string; leaf: string } | undefined;
  const pcrs = pcrHex(doc);
  return {
    platform: "nitro",
    status: verdict.ok ? "verified" : "failed",
    ...(verdict.ok ? {} : { reason: verdict.reason }),
    ...(pcrs["0"] !== undefined ? { measurement: pcrs["0"] } : {}),
    ...(p.userData ? { reportData: toHex(p.userData) } : {}),
    ...(chain && verdict.ok ? { root: chain.root } : {}),
    moduleId: p.moduleId,
    digest: p.digest,
    timestamp: p.timestamp,
    time: new Date(p.timestamp).toISOString(),
    ageSeconds: Math.floor((at.getTime() - p.timestamp) / 1000),
    pcrs,
    userData: p.userData ? toHex(p.userData) : null,
    nonce: p.nonce ? toHex(p.nonce) : null,
    publicKey: p.publicKey ? toHex(p.publicKey) : null,
    publicKeyBase64: p.publicKey ? Buffer.from(p.publicKey).toString("base64") : null,
    ...(chain ? { certificate: { subject: chain.leaf } } : {}),
  };
}

// ---- the evidence kind ----

export interface ParsedNitroDocument {
  document: NitroDocument;
  encoding: BinaryEncoding;
}

export function makeNitroAttestationKind(options: NitroVerifyOptions = {}): EvidenceKind<ParsedNitroDocument> {
  return {
    name: "nitro-attestation",
    detect(file) {
      return decodeBinaryEvidence(file, looksLikeNitroDocument) !== undefined;
    },
    parse(file) {
      const decoded = decodeBinaryEvidence(file, looksLikeNitroDocument);
      if (!decoded) throw new TollgateError("malformed", "not a Nitro attestation document (CBOR COSE_Sign1)", file.path);
      try {
        return { document: parseNitroDocument(decoded.bytes), encoding: decoded.encoding };
      } catch (e) {
        throw asTollgateError(e, file.path, "malformed");
      }
    },
    async verify(parsed, _file, ctx) {
      return verifyParsedNitroDocument(parsed.document, ctx, options).checks;
    },
    normalize(parsed, checks, file, ctx) {
      return [nitroRecord(parsed, checks, file, ctx.time)];
    },
  };
}

function nitroRecord(parsed: ParsedNitroDocument, checks: Check[], file: SourceFile, at: Date): EvidenceRecord {
  const hardware = nitroHardwareFacts(parsed.document, checks, at);
  const { platform: _p, status: _s, reason: _r, ...facts } = hardware;
  return teeRecord({
    file,
    format: `nitro-cose-sign1${parsed.encoding === "raw" ? "" : `+${parsed.encoding}`}`,
    checks,
    hardware,
    facts: { platform: "nitro", ...facts },
  });
}

export const nitroAttestationKind: EvidenceKind<ParsedNitroDocument> = makeNitroAttestationKind();

