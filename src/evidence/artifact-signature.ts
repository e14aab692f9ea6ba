// Signatures over an artifact itself (not over an in-toto statement), as cosign writes them:
//   - `cosign sign-blob --new-bundle-format --bundle F`: a Sigstore bundle carrying a messageSignature (the
//     artifact's digest and a signature over it), verified offline like any Sigstore bundle;
//   - `cosign sign-blob --output-signature F`: the bare base64 signature, verified with --key over the artifact
//     under evaluation (--artifact, or the --subject digest the key's curve signs). A keyless signer's
//     `--output-certificate` PEM beside it is its material: the signature is checked with the certificate's key,
//     but a short-lived certificate with no log entry or timestamp has no trusted time offline, so it fails
//     naming the signer (cosign verify-blob needs the transparency log for the same reason).
// Either becomes kind "artifact-signature" whose `subject` is the digest that was signed: the policy binds it
// to the subject like a statement subject. Binding is never decided here.
import { decodeBase64Strict, toHex } from "../core/digest.ts";
import type { StrongAlgorithm } from "../core/digest-set.ts";
import { asTollgateError, TollgateError } from "../core/errors.ts";
import { verifyEcdsaPrehashed, verifySignatureBytes } from "../crypto/dsse.ts";
import { X509Certificate } from "node:crypto";
import { dirname } from "node:path";
import { hashForKey, keyAlgorithm, trustedKeyFromObject } from "../crypto/keys.ts";
import { BUNDLE_FORMATS } from "../sigstore/media-types.ts";
import type { SigstoreVerification } from "../sigstore/verify.ts";
import type { Check, EvidenceKind, EvidenceRecord, Signer, SourceFile, TransparencyFacts, VerifyContext } from "./types.ts";

const SIGSTORE_BUNDLE_PREFIX = "application/vnd.dev.sigstore.bundle";
/** Sigstore's HashAlgorithm enum as protobuf JSON writes it. */
const BUNDLE_DIGEST_ALGORITHMS: Readonly<Record<string, StrongAlgorithm>> = { SHA2_256: "sha256", SHA2_384: "sha384", SHA2_512: "sha512" };

type Parsed =
  | { form: "bundle"; format: string; bundle: unknown; algorithm: StrongAlgorithm; digest: string }
  | { form: "bare"; format: "cosign-signature" | "cosign-bundle"; signature: Uint8Array; certificate?: string; rekorBundle?: boolean };

/**
 * cosign's own bundle (`sign-blob --bundle` without --new-bundle-format, still its default):
 * `{base64Signature, cert?, rekorBundle?}` with the certificate as base64 of its PEM.
 */
function cosignBundle(file: SourceFile): Record<string, unknown> | undefined {
  const v = file.json();
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  // The image-signature kind's documents spell it Base64Signature and carry a Payload.
  return typeof o.base64Signature === "string" && o.Payload === undefined && o.mediaType === undefined ? o : undefined;
}

interface Outcome {
  signer?: Signer;
  transparency: TransparencyFacts;
  /** The digest the signature covers, once verified. */
  signed?: { algorithm: StrongAlgorithm; hex: string };
}

const outcomes = new WeakMap<Check[], Outcome>();

function messageBundle(file: SourceFile): Record<string, unknown> | undefined {
  const v = file.json();
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const mt = o.mediaType;
  return typeof mt === "string" && mt.startsWith(SIGSTORE_BUNDLE_PREFIX) && o.messageSignature !== undefined && o.dsseEnvelope === undefined ? o : undefined;
}

/** A DER ECDSA-Sig-Value: SEQUENCE { INTEGER r, INTEGER s } and nothing after it. */
function isDerEcdsaSignature(b: Uint8Array): boolean {
  if (b.length < 8 || b.length > 160 || b[0] !== 0x30) return false;
  let i = 1;
  let len = b[i++]!;
  if (len === 0x81) len = b[i++]!;
  else if (len > 0x80) return false;
  if (i + len !== b.length) return false;
  for (let n = 0; n < 2; n++) {
    if (b[i++] !== 0x02) return false;
    const l = b[i++]!;
    if (l === 0 || l > 0x42 || i + l > b.length) return false;
    i += l;
  }
  return i === b.length;
}

/** The text of a `--output-signature` file: one line of strict base64 whose bytes are a DER ECDSA signature. */
function bareSignature(file: SourceFile): Uint8Array | undefined {
  if (file.bytes.length > 400) return undefined;
  const text = file.text()?.trim();
  if (!text || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  try {
    const sig = decodeBase64Strict(text, "signature");
    return isDerEcdsaSignature(sig) ? sig : undefined;
  } catch {
    return undefined;
  }
}

function failed(name: string, code: Check["code"], reason: string): Check {
  return { name, ok: false, code, reason };
}

const PEM_CERT = /^\s*-----BEGIN CERTIFICATE-----/;

/** A `--output-certificate` file: PEM (cosign v2), or the base64 of the PEM (cosign v1). */
function certificatePem(file: SourceFile): string | undefined {
  if (file.bytes.length > 16384) return undefined;
  const text = file.text();
  if (!text) return undefined;
  if (PEM_CERT.test(text)) return text;
  const t = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t)) return undefined;
  const decoded = Buffer.from(t, "base64").toString("utf8");
  return PEM_CERT.test(decoded) ? decoded : undefined;
}

/** Certificates beside a bare signature (cosign writes --output-signature and --output-certificate together). */
function certificatesBeside(file: SourceFile, all: readonly SourceFile[]): SourceFile[] {
  return all.filter((f) => f.path !== file.path && dirname(f.path) === dirname(file.path) && certificatePem(f) !== undefined);
}

export const artifactSignatureKind: EvidenceKind<Parsed> = {
  name: "artifact-signature",
  detect: (file) => messageBundle(file) !== undefined || cosignBundle(file) !== undefined || bareSignature(file) !== undefined,

  materials(file, all, parsed) {
    const p = parsed ?? (bareSignature(file) ? ({ form: "bare", format: "cosign-signature" } as const) : undefined);
    return p?.form === "bare" && p.format === "cosign-signature" ? certificatesBeside(file, all).map((f) => f.path) : [];
  },

  parse(file) {
    const b = messageBundle(file);
    if (b) {
      const ms = b.messageSignature as { messageDigest?: { algorithm?: unknown; digest?: unknown } } | null;
      const alg = BUNDLE_DIGEST_ALGORITHMS[String(ms?.messageDigest?.algorithm)];
      if (!alg) throw new TollgateError("unsupported", `message-signature bundle: unsupported messageDigest.algorithm ${JSON.stringify(ms?.messageDigest?.algorithm)} (want SHA2_256, SHA2_384 or SHA2_512)`, file.path);
      if (typeof ms?.messageDigest?.digest !== "string") throw new TollgateError("schema_invalid", "message-signature bundle: messageDigest.digest must be base64", file.path);
      const digest = toHex(decodeBase64Strict(ms.messageDigest.digest, "messageDigest.digest"));
      return { form: "bundle", format: `${BUNDLE_FORMATS[b.mediaType as string] ?? "sigstore-bundle"}/message-signature`, bundle: b, algorithm: alg, digest };
    }
    const cb = cosignBundle(file);
    if (cb) {
      const signature = decodeBase64Strict(cb.base64Signature as string, "base64Signature");
      let certificate: string | undefined;
      if (cb.cert !== undefined && cb.cert !== null && cb.cert !== "") {
        if (typeof cb.cert !== "string") throw new TollgateError("schema_invalid", "cosign bundle: cert must be a string", file.path);
        const pem = PEM_CERT.test(cb.cert) ? cb.cert : new TextDecoder().decode(decodeBase64Strict(cb.cert, "cert"));
        if (!PEM_CERT.test(pem)) throw new TollgateError("schema_invalid", "cosign bundle: cert is not a PEM certificate (or its base64)", file.path);
        certificate = pem;
      }
      return { form: "bare", format: "cosign-bundle", signature, ...(certificate ? { certificate } : {}), ...(cb.rekorBundle ? { rekorBundle: true } : {}) };
    }
    const sig = bareSignature(file);
    if (!sig) throw new TollgateError("unknown_kind", "not a message-signature bundle or a cosign signature", file.path);
    return { form: "bare", format: "cosign-signature", signature: sig };
  },

  async verify(p, _file, ctx) {
    const out: Outcome = { transparency: { status: "absent" } };
    const checks = p.form === "bundle" ? await verifyBundle(p, ctx, out) : await verifyBare(p, _file, ctx, out);
    outcomes.set(checks, out);
    return checks;
  },

  normalize(p, checks, file) {
    const o = outcomes.get(checks) ?? { transparency: { status: "absent" as const } };
    const bad = checks.find((c) => !c.ok);
    const verified = !bad && o.signer !== undefined;
    // A bundle names its digest whatever its signature says; a bare signature is about the artifact only once verified over it.
    const subject = p.form === "bundle" ? [{ digest: { [p.algorithm]: p.digest } }] : o.signed ? [{ digest: { [o.signed.algorithm]: o.signed.hex } }] : [];
    const record: EvidenceRecord = {
      id: `sha256:${file.sha256}`,
      kind: "artifact-signature",
      source: { path: file.path, digest: { sha256: file.sha256 }, format: p.format },
      signature: verified ? { status: "verified", signers: [o.signer!] } : { status: "failed", reason: bad?.reason ?? "no signature verified", code: bad?.code ?? "signature_failed", signers: [] },
      transparency: o.transparency,
      integrity: { status: "n/a" },
      checks,
      subject,
      facts: { signed_digest: subject[0]?.digest ?? null, form: p.form },
    };
    return [record];
  },
};

async function verifyBundle(p: Parsed & { form: "bundle" }, ctx: VerifyContext, out: Outcome): Promise<Check[]> {
  // The bundle is checked against its own digest (signature, log entry ↔ content); whether that digest is the
  // artifact's is the policy's question. Only signatures over the message itself need the artifact's bytes.
  const bytes = ctx.artifact?.bytesOrUndefined;
  const artifact = p.algorithm === "sha256" ? { sha256: p.digest } : bytes ? { bytes } : undefined;
  if (!artifact) return [failed("signature.sigstore", "unsupported", `the bundle signs a ${p.algorithm} digest; give --artifact FILE so the signature can be checked over the artifact`)];
  let r: SigstoreVerification;
  try {
    const { verifySigstoreBundle } = await import("../sigstore/verify.ts");
    r = await verifySigstoreBundle(p.bundle, { trustedRoot: ctx.trustedRoot(), keys: ctx.keys, artifact, now: ctx.time });
  } catch (e) {
    const err = asTollgateError(e);
    return [failed("signature.sigstore", err.code, err.message)];
  }
  out.transparency = r.transparency;
  if (r.ok && r.signer) {
    out.signer = r.signer;
    out.signed = { algorithm: p.algorithm, hex: p.digest };
  }
  // "binding.artifact" here only says the signature covers the bundle's own digest: name it for what it is.
  return r.checks.map((c) => (c.name === "binding.artifact" ? { ...c, name: "signature.message_digest" } : c));
}

async function verifyBare(p: Parsed & { form: "bare" }, file: SourceFile, ctx: VerifyContext, out: Outcome): Promise<Check[]> {
  const certs: { path: string; pem: string }[] = p.certificate
    ? [{ path: `${file.path} (cert)`, pem: p.certificate }]
    : p.format === "cosign-signature" ? certificatesBeside(file, ctx.files).map((c) => ({ path: c.path, pem: certificatePem(c)! })) : [];
  if (certs.length && !ctx.artifact) {
    return [failed("signature.cosign", "unsupported", "a signature is over the artifact: give --artifact FILE (or --subject with the digest the key signs)")];
  }
  if (certs.length && ctx.artifact) {
    for (const c of certs) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(c.pem);
      } catch (e) {
        return [failed("signature.certificate_leaf", "certificate_invalid", `${c.path}: not an X.509 certificate: ${(e as Error).message}`)];
      }
      const key = trustedKeyFromObject(cert.publicKey, c.path);
      const r = await signatureOver(p.signature, key, ctx);
      if (r.ok) {
        const who = cert.subjectAltName ?? cert.subject;
        return [
          { name: "signature.cosign", ok: true, detail: { certificate: c.path, digest: `${r.algorithm}:${r.hex}` } },
          failed("signature.certificate_chain", "certificate_invalid",
            p.rekorBundle
              ? `signed by the certificate in ${c.path} (${who}); the legacy cosign bundle's rekorBundle (a signed entry timestamp) is not a trusted time tollgate verifies offline: sign with --new-bundle-format --bundle`
              : `signed by the certificate ${c.path} (${who}), but a signing certificate with no transparency-log entry or timestamp has no trusted time to be checked at offline; verify the bundle instead (cosign sign-blob --new-bundle-format --bundle)`),
        ];
      }
    }
    // No certificate signed it: with --key the keys decide; without, it is another artifact (or certificate).
    if (!ctx.keys.length) return [failed("signature.cosign", "signature_failed", `the signature does not verify over the artifact with the signing certificate (${certs.map((c) => c.path).join(", ")}): another artifact`)];
  }
  if (!ctx.keys.length) {
    return [failed("signature.cosign", "no_trusted_key", "a bare cosign signature (sign-blob --output-signature) verifies only with --key; for keyless signing give the bundle (sign-blob --bundle)")];
  }
  if (!ctx.artifact) {
    return [failed("signature.cosign", "unsupported", "a bare signature is over the artifact: give --artifact FILE (or --subject with the digest the key signs)")];
  }
  const tried: string[] = [];
  for (const k of ctx.keys) {
    const r = await signatureOver(p.signature, k, ctx);
    if (r.ok) {
      out.signer = k.keyid ? { type: "key", keyid: k.keyid, fingerprint: k.fingerprint } : { type: "key", fingerprint: k.fingerprint };
      out.signed = { algorithm: r.algorithm, hex: r.hex };
      return [{ name: "signature.cosign", ok: true, detail: { key: k.fingerprint, digest: `${r.algorithm}:${r.hex}` } }];
    }
    tried.push(r.why ? `${k.fingerprint} (${r.why})` : k.fingerprint);
  }
  return [failed("signature.cosign", "signature_failed", `the signature does not verify over the artifact with any --key (${tried.join(", ")}): another artifact, or another key`)];
}

type Over = { ok: true; algorithm: StrongAlgorithm; hex: string } | { ok: false; why?: string };

/** Does `sig` verify over the artifact with `k`? ECDSA signs the digest with its curve's hash (cosign's convention). */
async function signatureOver(sig: Uint8Array, k: { key: import("node:crypto").KeyObject; source: string }, ctx: VerifyContext): Promise<Over> {
  let alg;
  try {
    alg = keyAlgorithm(k.key, k.source);
  } catch (e) {
    return { ok: false, why: (e as Error).message };
  }
  const hash = hashForKey(alg) ?? "sha256";
  const hex = ctx.artifact!.get(hash);
  if (hex === undefined) return { ok: false, why: `needs the artifact's ${hash}` };
  const bytes = ctx.artifact!.bytesOrUndefined;
  const ok = alg.startsWith("ecdsa") ? verifyEcdsaPrehashed(Buffer.from(hex, "hex"), sig, k.key) : bytes ? await verifySignatureBytes(bytes, sig, k.key) : false;
  return ok ? { ok: true, algorithm: hash, hex } : { ok: false };
}
