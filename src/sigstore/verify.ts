// Offline verification of Sigstore bundles (v0.1, v0.2, v0.3 and the v0.3 media type) with @sigstore/verify,
// plus the checks DESIGN.md says the library leaves out: known media types only, strict base64, integer and
// time sanity, checkpoint consistency, a code-signing leaf, exact identity, artifact binding, curve-correct
// hashes (the library checks every EC signature with SHA-256), and "any exception is a failure".
import { createHash, createPublicKey, X509Certificate as NodeX509, type KeyObject } from "node:crypto";
import { assertBundleLatest, assertBundleV01, assertBundleV02, bundleFromJSON, type Bundle } from "@sigstore/bundle";
import { ASN1Obj, RFC3161Timestamp, X509Certificate } from "@sigstore/core";
import { toSignedEntity, toTrustMaterial, Verifier, type SignedEntity } from "@sigstore/verify";
import { decodeBase64Strict, sha256Hex, toHex } from "../core/digest.ts";
import { ArtifactDigests, compareDigestSets, formatDigestSet, strongAlgorithmsNamed, type DigestSet } from "../core/digest-set.ts";
import type { ErrorCode } from "../core/errors.ts";
import { parseDsseEnvelope, preAuthEncoding, verifyEcdsaPrehashed, verifySignatureBytes, type DsseEnvelope } from "../crypto/dsse.ts";
import { keyAlgorithm, trustedKeyFromObject } from "../crypto/keys.ts";
import { IN_TOTO_PAYLOAD_TYPE } from "../core/intoto.ts";
import type { Check, Signer, TransparencyFacts, TrustedKey } from "../core/verification.ts";
import { BUNDLE_FORMATS, BUNDLE_V01_MEDIA_TYPE, BUNDLE_V02_MEDIA_TYPE } from "./media-types.ts";
import { checkInclusion, checkOriginNamesLog, findLog, leafHash, ProofError } from "./checkpoint.ts";
import { parseTrustedRoot, type LoadedTrustedRoot } from "./trusted-root.ts";

export interface IdentityPolicy {
  /** Expected certificate SAN (URI or email). Exact match unless `identityRegexp`. */
  identity: string;
  /** Expected OIDC issuer (Fulcio extension), always exact. */
  issuer: string;
  /** Treat `identity` as a regular expression (cosign's --certificate-identity-regexp; unanchored). */
  identityRegexp?: boolean;
}

/** What the artifact is: its bytes (message signatures need them) or only its sha256. */
export type ArtifactRef = { bytes: Uint8Array } | { sha256: string };

export interface SigstoreVerifyOptions {
  /** Trusted root JSON (or an already loaded root). */
  trustedRoot: unknown;
  /** Managed keys the user trusts; a public-key bundle verifies only with one of these. */
  keys?: readonly TrustedKey[];
  /** When given, keyless signers must match it. */
  identity?: IdentityPolicy;
  /** When given, the bundle must be bound to it. */
  artifact?: ArtifactRef;
  /** The verification instant: no time in the bundle may be after it. Never read from the clock here. */
  now: Date;
  /**
   * Require at least one transparency-log entry. Keyless bundles always need a trusted time (a log entry
   * or an RFC 3161 timestamp); managed-key bundles may be log-less unless this is set.
   */
  requireTransparency?: boolean;
}

export interface SigstoreVerification {
  /** Every check passed. */
  ok: boolean;
  checks: Check[];
  mediaType?: string;
  /** `sigstore-bundle-v0.x`, or `sigstore-bundle` when the media type is not known. */
  format: string;
  content?: "messageSignature" | "dsseEnvelope";
  /** The DSSE envelope (decoded) when the bundle carries one. */
  envelope?: DsseEnvelope;
  /** The signer, when the signature verified. */
  signer?: Signer;
  transparency: TransparencyFacts;
}

/** Sigstore HashAlgorithm enum → node:crypto digest name. */
const MESSAGE_DIGEST_ALGORITHMS: Readonly<Record<number, string>> = { 1: "sha256", 2: "sha384", 3: "sha512" };

/** Thrown inside this module to end verification with one failed check. */
class Stop extends Error {
  constructor(readonly check: Check) {
    super(check.reason);
  }
}

function fail(name: string, code: ErrorCode, reason: string, detail?: Record<string, unknown>): never {
  const check: Check = { name, ok: false, code, reason };
  if (detail) check.detail = detail;
  throw new Stop(check);
}

/**
 * Verify one Sigstore bundle (its JSON value) offline. Never throws: every problem, including an
 * unexpected exception from a library, is a failed check with a stable code.
 */
export async function verifySigstoreBundle(json: unknown, opts: SigstoreVerifyOptions): Promise<SigstoreVerification> {
  const checks: Check[] = [];
  const out: SigstoreVerification = { ok: false, checks, format: "sigstore-bundle", transparency: { status: "absent" } };
  try {
    await run(json, opts, out);
    out.ok = checks.every((c) => c.ok);
  } catch (e) {
    const check: Check = e instanceof Stop ? e.check : { name: "signature.sigstore", ok: false, code: "internal", reason: `verification error: ${errMessage(e)}` };
    checks.push(check);
    out.ok = false;
    delete out.signer;
    // Log facts stand only when the whole bundle verified.
    if (check.name.startsWith("transparency.")) out.transparency = { ...out.transparency, status: "failed", reason: check.reason ?? check.name };
    else if (out.transparency.status === "verified") out.transparency = { ...out.transparency, status: "failed", reason: `bundle did not verify: ${check.reason}` };
  }
  return out;
}

async function run(json: unknown, opts: SigstoreVerifyOptions, out: SigstoreVerification): Promise<void> {
  const { checks } = out;
  // 1. Media type: only the four known ones.
  const mediaType = (json as { mediaType?: unknown } | null)?.mediaType;
  if (typeof mediaType !== "string" || !(mediaType in BUNDLE_FORMATS)) {
    fail("sigstore.media_type", "unsupported", `unknown Sigstore bundle mediaType ${JSON.stringify(mediaType)}`);
  }
  out.mediaType = mediaType;
  out.format = BUNDLE_FORMATS[mediaType]!;
  checks.push({ name: "sigstore.media_type", ok: true });

  // 2. Shape: strict base64 everywhere, then the library's own per-version assertions.
  const raw = json as RawBundle;
  let bundle: Bundle;
  try {
    checkBase64Fields(raw);
    bundle = bundleFromJSON(json);
    if (mediaType === BUNDLE_V01_MEDIA_TYPE) assertBundleV01(bundle);
    else if (mediaType === BUNDLE_V02_MEDIA_TYPE) assertBundleV02(bundle);
    else assertBundleLatest(bundle);
  } catch (e) {
    const fields = (e as { fields?: string[] }).fields;
    fail("sigstore.bundle", "malformed", `invalid Sigstore bundle: ${errMessage(e)}${fields?.length ? ` (${fields.join(", ")})` : ""}`);
  }
  out.content = bundle.content.$case;
  if (bundle.content.$case === "dsseEnvelope") {
    if (bundle.content.dsseEnvelope.signatures.length !== 1) {
      fail("sigstore.bundle", "malformed", `a bundle's DSSE envelope must carry exactly one signature, found ${bundle.content.dsseEnvelope.signatures.length}`);
    }
    out.envelope = parseDsseEnvelope(raw.dsseEnvelope);
  }
  checks.push({ name: "sigstore.bundle", ok: true });

  // 3. Trust material.
  let trusted: LoadedTrustedRoot;
  try {
    trusted = parseTrustedRoot(opts.trustedRoot, "trusted root");
  } catch (e) {
    fail("sigstore.trusted_root", "malformed", errMessage(e));
  }

  // 4. Log entries and timestamps: integers, times not in the future, checkpoints consistent.
  const entries = raw.verificationMaterial?.tlogEntries ?? [];
  checkTlogEntries(entries, trusted, opts.now);
  const tsaTimes = checkTimestamps(bundle, opts.now);
  if (entries.length) checks.push({ name: "transparency.entries", ok: true });
  const first = entries[0];
  if (first) {
    out.transparency = { status: "verified", logIndex: Number(first.logIndex) };
    if (first.integratedTime && first.integratedTime !== "0") {
      out.transparency.integratedTime = new Date(Number(first.integratedTime) * 1000).toISOString();
    }
  }
  if (!entries.length && opts.requireTransparency) {
    fail("transparency.entries", "transparency_failed", "the bundle has no transparency-log entry");
  }

  // 5. Signing key: a code-signing leaf certificate, or a managed key the user trusts.
  const vmc = bundle.verificationMaterial.content;
  let leaf: X509Certificate | undefined;
  let candidates: TrustedKey[];
  if (vmc.$case === "publicKey") {
    if (!opts.keys?.length) {
      fail("signature.sigstore", "no_trusted_key", `the bundle is signed by a managed key (hint ${JSON.stringify(vmc.publicKey.hint)}); no --key was given`);
    }
    candidates = [...opts.keys];
  } else {
    const der = vmc.$case === "certificate" ? vmc.certificate.rawBytes : vmc.x509CertificateChain.certificates[0]!.rawBytes;
    leaf = parseCertificate(der);
    checkCodeSigningLeaf(leaf, der);
    checks.push({ name: "signature.certificate_leaf", ok: true });
    const hasTime = entries.some((e) => e.integratedTime && e.integratedTime !== "0") || tsaTimes > 0;
    if (!hasTime) {
      fail("signature.certificate_chain", "certificate_invalid", "no trusted time (log integrated time or RFC 3161 timestamp) to check the certificate's validity at");
    }
    candidates = [trustedKeyFromObject(createPublicKey({ key: Buffer.from(leaf.publicKey), format: "der", type: "spki" }), "certificate")];
  }

  // 6. Artifact binding that does not need the library (digests and subjects).
  const artifactBytes = opts.artifact && "bytes" in opts.artifact ? Buffer.from(opts.artifact.bytes) : undefined;
  const artifactSha256 = opts.artifact ? ("bytes" in opts.artifact ? sha256Hex(opts.artifact.bytes) : opts.artifact.sha256.toLowerCase()) : undefined;
  if (bundle.content.$case === "messageSignature") {
    const md = bundle.content.messageSignature.messageDigest;
    const alg = MESSAGE_DIGEST_ALGORITHMS[md.algorithm];
    if (!alg) fail("binding.artifact", "unsupported", `unsupported message digest algorithm ${md.algorithm}`);
    if (!opts.artifact) {
      fail("binding.artifact", "unsupported", "a message-signature bundle is verified over the artifact: give the artifact file or its sha256");
    }
    if (alg !== "sha256" && artifactBytes === undefined) {
      fail("binding.artifact", "unsupported", `the bundle's message digest is ${alg}; give the artifact file, not a sha256 digest`);
    }
    const actual = artifactBytes !== undefined ? createHash(alg).update(artifactBytes).digest("hex") : artifactSha256!;
    if (toHex(md.digest) !== actual) {
      fail("binding.artifact", "digest_mismatch", `the bundle signs ${alg}:${toHex(md.digest)}, the artifact is ${alg}:${actual}`);
    }
    if (artifactBytes === undefined && !candidates.some((k) => isEcdsa(k.key))) {
      fail("binding.artifact", "unsupported", "only an ECDSA signature can be checked against a digest; give the artifact file");
    }
  } else if (opts.artifact) {
    checkDsseSubject(out.envelope!, artifactBytes !== undefined ? ArtifactDigests.fromBytes(artifactBytes) : ArtifactDigests.fromDigests({ sha256: artifactSha256! }));
  }

  // 7. The library: chain to the trusted CA at the log/TSA time, SCTs, SET, inclusion proof, checkpoint
  //    signature, tlog body ↔ bundle content, signature. Our signature check replaces its SHA-256-only one.
  const signed = artifactBytes ?? Buffer.alloc(0);
  const sigData = bundle.content.$case === "dsseEnvelope" ? preAuthEncoding(out.envelope!.payloadType, out.envelope!.payload) : signed;
  const sigBytes = bundle.content.$case === "dsseEnvelope" ? out.envelope!.signatures[0]!.sig : bundle.content.messageSignature.signature;
  const verdicts = new Map<string, boolean>();
  const prehashed = bundle.content.$case === "messageSignature" && artifactBytes === undefined ? bundle.content.messageSignature.messageDigest.digest : undefined;
  for (const k of candidates) {
    verdicts.set(spkiHex(k.key), prehashed ? verifyEcdsaPrehashed(prehashed, sigBytes, k.key) : await verifySignatureBytes(sigData, sigBytes, k.key));
  }

  let verifiedKey: TrustedKey | undefined;
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      const tm = toTrustMaterial(trusted.root, () => ({ publicKey: candidate.key, validFor: () => true }));
      const verifier = new Verifier(tm, {
        tlogThreshold: entries.length || opts.requireTransparency ? 1 : 0,
        ctlogThreshold: leaf ? 1 : 0,
        timestampThreshold: leaf || entries.length || tsaTimes ? 1 : 0,
      });
      const entity = toSignedEntity(bundle, signed);
      verifier.verify(withOwnSignatureCheck(entity, verdicts));
      verifiedKey = candidate;
      break;
    } catch (e) {
      lastError = e;
    }
  }
  if (!verifiedKey) {
    const code = (lastError as { code?: string }).code ?? "";
    const name = code.startsWith("TLOG") ? "transparency.tlog" : code.startsWith("TIMESTAMP") ? "transparency.timestamp" : code === "CERTIFICATE_ERROR" ? "signature.certificate_chain" : "signature.sigstore";
    const mapped: ErrorCode = code.startsWith("TLOG") || code.startsWith("TIMESTAMP") ? "transparency_failed"
      : code === "CERTIFICATE_ERROR" ? "certificate_invalid"
      : vmc.$case === "publicKey" && code === "SIGNATURE_ERROR" ? "no_trusted_key"
      : "signature_failed";
    const cause = (lastError as { cause?: unknown }).cause;
    const why = vmc.$case === "publicKey" && code === "SIGNATURE_ERROR"
      ? `the signature does not verify with any --key (${candidates.map((k) => k.fingerprint).join(", ")})`
      : `${errMessage(lastError)}${cause ? `: ${errMessage(cause)}` : ""}`;
    fail(name, mapped, why, code ? { library_code: code } : undefined);
  }
  checks.push({ name: "signature.sigstore", ok: true });
  if (entries.length) checks.push({ name: "transparency.tlog", ok: true });

  // 8. Identity: exact SAN and issuer (the library would treat the SAN as an unanchored regexp).
  if (leaf) {
    const facts = certificateFacts(leaf);
    const signer: Signer = { type: "keyless", issuer: facts.issuer, identity: facts.identity, certificate: facts.certificate };
    if (opts.identity) checkIdentity(facts, opts.identity);
    if (opts.identity) checks.push({ name: "signature.identity", ok: true });
    out.signer = signer;
  } else {
    const s: Signer = { type: "key", fingerprint: verifiedKey.fingerprint };
    const hint = vmc.$case === "publicKey" ? vmc.publicKey.hint : undefined;
    if (verifiedKey.keyid) s.keyid = verifiedKey.keyid;
    else if (hint) s.keyid = hint;
    out.signer = s;
  }
  if (opts.artifact) checks.push({ name: "binding.artifact", ok: true });
}

// ---- helpers -------------------------------------------------------------------------------------------

interface RawTlogEntry {
  logIndex?: unknown;
  logId?: { keyId?: string };
  integratedTime?: string;
  inclusionPromise?: { signedEntryTimestamp?: string };
  inclusionProof?: { logIndex?: unknown; treeSize?: unknown; rootHash?: string; hashes?: string[]; checkpoint?: { envelope?: string } };
  canonicalizedBody?: string;
}

interface RawBundle {
  mediaType?: string;
  verificationMaterial?: {
    certificate?: { rawBytes?: string };
    x509CertificateChain?: { certificates?: { rawBytes?: string }[] };
    tlogEntries?: RawTlogEntry[];
    timestampVerificationData?: { rfc3161Timestamps?: { signedTimestamp?: string }[] };
  };
  messageSignature?: { messageDigest?: { digest?: string }; signature?: string };
  dsseEnvelope?: { payload?: string; signatures?: { sig?: string }[] };
}

/** Every base64 field of the bundle, decoded strictly (protobuf JSON decoders accept almost anything). */
function checkBase64Fields(b: RawBundle): void {
  const fields: [string, unknown][] = [];
  const vm = b.verificationMaterial;
  fields.push(["verificationMaterial.certificate.rawBytes", vm?.certificate?.rawBytes]);
  vm?.x509CertificateChain?.certificates?.forEach((c, i) => fields.push([`verificationMaterial.x509CertificateChain.certificates[${i}].rawBytes`, c?.rawBytes]));
  vm?.tlogEntries?.forEach((e, i) => {
    const at = `verificationMaterial.tlogEntries[${i}]`;
    fields.push([`${at}.logId.keyId`, e?.logId?.keyId]);
    fields.push([`${at}.canonicalizedBody`, e?.canonicalizedBody]);
    fields.push([`${at}.inclusionPromise.signedEntryTimestamp`, e?.inclusionPromise?.signedEntryTimestamp]);
    fields.push([`${at}.inclusionProof.rootHash`, e?.inclusionProof?.rootHash]);
    e?.inclusionProof?.hashes?.forEach((h, j) => fields.push([`${at}.inclusionProof.hashes[${j}]`, h]));
  });
  vm?.timestampVerificationData?.rfc3161Timestamps?.forEach((t, i) =>
    fields.push([`verificationMaterial.timestampVerificationData.rfc3161Timestamps[${i}].signedTimestamp`, t?.signedTimestamp]));
  fields.push(["messageSignature.messageDigest.digest", b.messageSignature?.messageDigest?.digest]);
  fields.push(["messageSignature.signature", b.messageSignature?.signature]);
  fields.push(["dsseEnvelope.payload", b.dsseEnvelope?.payload]);
  b.dsseEnvelope?.signatures?.forEach((s, i) => fields.push([`dsseEnvelope.signatures[${i}].sig`, s?.sig]));
  for (const [where, v] of fields) {
    if (v === undefined) continue;
    if (typeof v !== "string") throw new Error(`${where} must be a base64 string`);
    decodeBase64Strict(v, where);
  }
}

const UINT = /^(0|[1-9][0-9]*)$/;

function nonNegativeInt(v: unknown, where: string): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "string" && UINT.test(v)) return BigInt(v);
  fail("transparency.entries", "transparency_failed", `${where} must be a non-negative integer, found ${JSON.stringify(v)}`);
}

function checkTlogEntries(entries: RawTlogEntry[], trusted: LoadedTrustedRoot, now: Date): void {
  const tlogs = trusted.root.tlogs;
  entries.forEach((e, i) => {
    const at = `tlogEntries[${i}]`;
    nonNegativeInt(e.logIndex, `${at}.logIndex`);
    const integrated = nonNegativeInt(e.integratedTime ?? "0", `${at}.integratedTime`);
    if (integrated * 1000n > BigInt(now.getTime())) {
      fail("transparency.entries", "transparency_failed",
        `${at}.integratedTime ${new Date(Number(integrated) * 1000).toISOString()} is after the verification time ${now.toISOString()}`);
    }
    const proof = e.inclusionProof;
    if (!proof) return;
    const index = nonNegativeInt(proof.logIndex, `${at}.inclusionProof.logIndex`);
    const size = nonNegativeInt(proof.treeSize, `${at}.inclusionProof.treeSize`);
    if (index >= size) fail("transparency.entries", "transparency_failed", `${at}.inclusionProof.logIndex ${index} is not below treeSize ${size}`);
    const envelope = proof.checkpoint?.envelope;
    if (typeof envelope !== "string" || envelope === "") {
      fail("transparency.entries", "transparency_failed", `${at}.inclusionProof has no checkpoint`);
    }
    // The inclusion-proof sequence shared with promotion proofs (sigstore/checkpoint.ts: checkpoint against the
    // proof, Merkle path from the entry's leaf hash); the library then checks the path again and the note's signature.
    try {
      let root: Uint8Array;
      try {
        root = decodeBase64Strict(proof.rootHash ?? "", "rootHash");
      } catch {
        throw new ProofError("inclusion proof rootHash is not base64");
      }
      // The body is what the leaf hash, so the path, is computed from: a proof beside no body shows nothing.
      if (!e.canonicalizedBody) throw new ProofError("has an inclusion proof but no canonicalizedBody, the entry it would prove");
      const cp = checkInclusion({
        leaf: leafHash(decodeBase64Strict(e.canonicalizedBody, "canonicalizedBody")),
        index,
        treeSize: size,
        rootHash: root,
        hashes: (proof.hashes ?? []).map((h) => decodeBase64Strict(h, "inclusion proof hash")),
        checkpoint: envelope,
      });
      const keyId = e.logId?.keyId ? decodeBase64Strict(e.logId.keyId, "logId") : new Uint8Array();
      const log = findLog(tlogs, keyId);
      if (!log) throw new ProofError(`was logged by ${toHex(keyId)}, which is not a log of the trusted root`);
      checkOriginNamesLog(cp, log);
    } catch (err) {
      if (err instanceof ProofError) fail("transparency.entries", "transparency_failed", `${at} ${err.message}`);
      throw err;
    }
  });
}

/** RFC 3161 timestamps must parse and not be after `now`; returns how many there are. */
function checkTimestamps(bundle: Bundle, now: Date): number {
  const list = bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? [];
  list.forEach((t, i) => {
    let when: Date;
    try {
      when = RFC3161Timestamp.parse(Buffer.from(t.signedTimestamp)).signingTime;
    } catch (e) {
      fail("transparency.timestamp", "transparency_failed", `rfc3161Timestamps[${i}] does not parse: ${errMessage(e)}`);
    }
    if (when.getTime() > now.getTime()) {
      fail("transparency.timestamp", "transparency_failed", `rfc3161Timestamps[${i}] time ${when.toISOString()} is after the verification time ${now.toISOString()}`);
    }
  });
  return list.length;
}

function parseCertificate(der: Uint8Array): X509Certificate {
  try {
    return X509Certificate.parse(Buffer.from(der));
  } catch (e) {
    fail("signature.certificate_leaf", "certificate_invalid", `signing certificate does not parse: ${errMessage(e)}`);
  }
}

const EKU_CODE_SIGNING = "1.3.6.1.5.5.7.3.3";

/** The signing certificate must be a code-signing leaf: not a CA, not self-signed, EKU codeSigning. */
function checkCodeSigningLeaf(leaf: X509Certificate, der: Uint8Array): void {
  if (leaf.extBasicConstraints?.isCA) fail("signature.certificate_leaf", "certificate_invalid", "the signing certificate is a CA certificate, not a leaf");
  let selfSigned = false;
  try {
    selfSigned = leaf.subject.equals(leaf.issuer) && leaf.verify();
  } catch {
    selfSigned = false;
  }
  if (selfSigned) fail("signature.certificate_leaf", "certificate_invalid", "the signing certificate is self-signed");
  let eku: string[] | undefined;
  try {
    eku = new NodeX509(Buffer.from(der)).keyUsage;
  } catch (e) {
    fail("signature.certificate_leaf", "certificate_invalid", `signing certificate does not parse: ${errMessage(e)}`);
  }
  if (!eku?.includes(EKU_CODE_SIGNING)) {
    fail("signature.certificate_leaf", "certificate_invalid", `the signing certificate lacks the codeSigning extended key usage (has ${eku?.join(", ") || "none"})`);
  }
}

// Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md).
const FULCIO_OID = "1.3.6.1.4.1.57264.1.";
const FULCIO_V1: Record<string, string> = { "1": "issuerV1", "2": "githubWorkflowTrigger", "3": "githubWorkflowSha", "4": "githubWorkflowName", "5": "githubWorkflowRepository", "6": "githubWorkflowRef" };
const FULCIO_V2: Record<string, string> = {
  "8": "issuer", "9": "buildSignerURI", "10": "buildSignerDigest", "11": "runnerEnvironment", "12": "sourceRepositoryURI",
  "13": "sourceRepositoryDigest", "14": "sourceRepositoryRef", "15": "sourceRepositoryIdentifier", "16": "sourceRepositoryOwnerURI",
  "17": "sourceRepositoryOwnerIdentifier", "18": "buildConfigURI", "19": "buildConfigDigest", "20": "buildTrigger",
  "21": "runInvocationURI", "22": "sourceRepositoryVisibilityAtSigning",
};

interface GeneralName {
  tag: { isContextSpecific(n: number): boolean };
  value: Buffer;
  subs: GeneralName[];
}

interface CertificateFacts {
  identity: string;
  issuer: string;
  certificate: Record<string, unknown>;
}

/** Identity, issuer and the certificate fields policies read (SANs, issuer CN, validity, serial, Fulcio extensions). */
function certificateFacts(leaf: X509Certificate): CertificateFacts {
  const sans: string[] = [];
  // generalNames is private in the typings but the only way to list every SAN, not just the first URI/email.
  const san = leaf.extSubjectAltName as unknown as { generalNames?: GeneralName[] } | undefined;
  const gns = san?.generalNames ?? [];
  for (const gn of gns) {
    if (gn.tag.isContextSpecific(0x01) || gn.tag.isContextSpecific(0x02) || gn.tag.isContextSpecific(0x06)) sans.push(gn.value.toString("ascii"));
    else if (gn.tag.isContextSpecific(0x00)) {
      try {
        sans.push(gn.subs[1]!.subs[0]!.value.toString("utf8"));
      } catch {
        /* an otherName tollgate cannot read is not an identity */
      }
    }
  }
  const extensions: Record<string, string> = {};
  for (const ext of leaf.extensions) {
    const oid = ext.subs[0]?.toOID() ?? "";
    if (!oid.startsWith(FULCIO_OID)) continue;
    const arc = oid.slice(FULCIO_OID.length);
    const value = ext.subs[ext.subs.length - 1]!.value;
    if (FULCIO_V1[arc]) extensions[FULCIO_V1[arc]!] = value.toString("utf8");
    else if (FULCIO_V2[arc]) {
      // v2 extensions are DER UTF8String inside the OCTET STRING.
      try {
        extensions[FULCIO_V2[arc]!] = ASN1Obj.parseBuffer(Buffer.from(value)).value.toString("utf8");
      } catch {
        /* skip an undecodable extension */
      }
    }
  }
  const issuer = extensions.issuer ?? extensions.issuerV1 ?? "";
  const node = new NodeX509(Buffer.from(leaf.root.toDER()));
  const issuerCN = /(?:^|\n)CN=([^\n]*)/.exec(node.issuer)?.[1];
  const certificate: Record<string, unknown> = {
    subjectAlternativeNames: sans,
    issuer: issuerCN ?? node.issuer,
    notBefore: leaf.notBefore.toISOString(),
    notAfter: leaf.notAfter.toISOString(),
    serialNumber: toHex(leaf.serialNumber).toLowerCase(),
  };
  const { issuer: _i, issuerV1: _v1, ...rest } = extensions;
  if (Object.keys(rest).length) certificate.extensions = rest;
  return { identity: leaf.subjectAltName ?? sans[0] ?? "", issuer, certificate };
}

function checkIdentity(facts: CertificateFacts, policy: IdentityPolicy): void {
  if (facts.issuer !== policy.issuer) {
    fail("signature.identity", "identity_mismatch", `certificate issuer is "${facts.issuer}", expected "${policy.issuer}"`);
  }
  let ok: boolean;
  if (policy.identityRegexp) {
    let re: RegExp;
    try {
      re = new RegExp(policy.identity);
    } catch (e) {
      fail("signature.identity", "usage", `invalid identity regexp: ${errMessage(e)}`);
    }
    ok = re.test(facts.identity);
  } else {
    ok = facts.identity === policy.identity;
  }
  if (!ok) {
    fail("signature.identity", "identity_mismatch", `certificate identity is "${facts.identity}", expected ${policy.identityRegexp ? "to match /" + policy.identity + "/" : `"${policy.identity}"`}`);
  }
}

/**
 * A DSSE bundle is bound to an artifact when it is an in-toto statement with a subject whose DigestSet names
 * it: some strong digest agrees and none contradicts.
 */
function checkDsseSubject(env: DsseEnvelope, artifact: ArtifactDigests): void {
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    fail("binding.artifact", "binding_failed", `DSSE payloadType is "${env.payloadType}", expected "${IN_TOTO_PAYLOAD_TYPE}"`);
  }
  let stmt: { subject?: { digest?: Record<string, unknown> }[] };
  try {
    stmt = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(env.payload));
  } catch (e) {
    fail("binding.artifact", "malformed", `DSSE payload is not JSON: ${errMessage(e)}`);
  }
  const subjects = (Array.isArray(stmt?.subject) ? stmt.subject : []).map((s) => {
    const d: DigestSet = {};
    for (const [alg, v] of Object.entries(s?.digest ?? {})) if (typeof v === "string") d[alg] = v;
    return d;
  });
  const actual = artifact.set(["sha256", ...strongAlgorithmsNamed(subjects)]);
  const results = subjects.map((d) => compareDigestSets(d, actual));
  const contradicted = results.find((r) => r.result === "mismatch" && r.contradicts);
  if (contradicted && contradicted.result === "mismatch") {
    fail("binding.artifact", "subject_mismatch", `a statement subject matches the artifact by one digest but has ${contradicted.algorithm}:${contradicted.claimed}, the artifact is ${contradicted.algorithm}:${contradicted.actual}`);
  }
  if (!results.some((r) => r.result === "match")) {
    fail("binding.artifact", "subject_mismatch", `no statement subject has ${formatDigestSet(actual)} (subjects: ${subjects.map(formatDigestSet).join(", ") || "none"})`);
  }
}

function isEcdsa(key: KeyObject): boolean {
  try {
    return keyAlgorithm(key).startsWith("ecdsa");
  } catch {
    return false;
  }
}

function spkiHex(key: KeyObject): string {
  return toHex(new Uint8Array(key.export({ format: "der", type: "spki" })));
}

/** The entity with the library's SHA-256-only signature check replaced by verdicts computed with the right hash. */
function withOwnSignatureCheck(entity: SignedEntity, verdicts: Map<string, boolean>): SignedEntity {
  const content = entity.signature;
  return {
    ...entity,
    signature: {
      signature: content.signature,
      compareSignature: (s) => content.compareSignature(s),
      compareDigest: (d) => content.compareDigest(d),
      compareSignedDigest: (d) => content.compareSignedDigest(d),
      verifySignature: (key) => verdicts.get(spkiHex(key)) === true,
    },
  };
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
