// cosign image signatures (simple signing) → evidence kind "image-signature". The file form is the line
// `cosign download signature IMAGE` prints — `{Base64Signature, Payload, Cert, Chain, Bundle, RFC3161Timestamp}`
// — which is also what tollgate assembles from a `sha256-<hex>.sig` layer and its annotations. The payload is
// the simple-signing document `{critical: {identity: {docker-reference}, image: {docker-manifest-digest},
// type: "cosign container image signature"}, optional}`; the signature is over the payload bytes.
import { decodeBase64Strict } from "../core/digest.ts";
import { TollgateError } from "../core/errors.ts";
import { verifySignatureBytes } from "../crypto/dsse.ts";
import type { Check, EvidenceKind, SourceFile } from "./types.ts";

export const SIMPLE_SIGNING_TYPE = "cosign container image signature";

interface ParsedSignature {
  signature: Uint8Array;
  payload: Uint8Array;
  dockerReference: string;
  manifestDigest: string;
  optional: Record<string, unknown>;
  certificate: string | null;
}

function shape(file: SourceFile): Record<string, unknown> | undefined {
  const v = file.json();
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  return typeof o.Base64Signature === "string" && typeof o.Payload === "string" ? o : undefined;
}

export const cosignSignatureKind: EvidenceKind<ParsedSignature> = {
  name: "image-signature",
  detect: (file) => shape(file) !== undefined,

  parse(file) {
    const o = shape(file)!;
    const signature = decodeBase64Strict(o.Base64Signature as string, "Base64Signature");
    const payload = decodeBase64Strict(o.Payload as string, "Payload");
    let doc: { critical?: { identity?: { "docker-reference"?: unknown }; image?: { "docker-manifest-digest"?: unknown }; type?: unknown }; optional?: unknown };
    try {
      doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
    } catch (e) {
      throw new TollgateError("malformed", `simple-signing payload is not JSON: ${(e as Error).message}`, file.path);
    }
    const c = doc.critical;
    if (c?.type !== SIMPLE_SIGNING_TYPE) throw new TollgateError("schema_invalid", `simple-signing payload critical.type is ${JSON.stringify(c?.type)}, want "${SIMPLE_SIGNING_TYPE}"`, file.path);
    const digest = c.image?.["docker-manifest-digest"];
    if (typeof digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new TollgateError("schema_invalid", "simple-signing payload has no sha256 critical.image.docker-manifest-digest", file.path);
    const ref = c.identity?.["docker-reference"];
    return {
      signature,
      payload,
      dockerReference: typeof ref === "string" ? ref : "",
      manifestDigest: digest,
      optional: typeof doc.optional === "object" && doc.optional !== null ? (doc.optional as Record<string, unknown>) : {},
      certificate: typeof o.Cert === "string" && o.Cert !== "" ? o.Cert : null,
    };
  },

  async verify(p, _file, ctx) {
    const checks: Check[] = [];
    if (p.certificate) {
      // Keyless simple signatures need the certificate chained to Fulcio and the Rekor bundle checked;
      // until that exists they are reported as unverified, never as signed.
      checks.push({ name: "signature.simple_signing", ok: false, code: "unsupported", reason: "certificate-signed (keyless) cosign image signatures are not verified yet; use an attestation or --key signatures" });
      return checks;
    }
    if (!ctx.keys.length) {
      checks.push({ name: "signature.simple_signing", ok: false, code: "no_trusted_key", reason: "cosign image signature; no --key was given to verify it" });
      return checks;
    }
    const good = [];
    for (const k of ctx.keys) if (await verifySignatureBytes(p.payload, p.signature, k.key)) good.push(k);
    checks.push(good.length
      ? { name: "signature.simple_signing", ok: true, detail: { verified: good.map((k) => k.fingerprint) } }
      : { name: "signature.simple_signing", ok: false, code: "no_trusted_key", reason: `the signature verifies with no --key (${ctx.keys.map((k) => k.fingerprint).join(", ")})` });
    return checks;
  },

  normalize(p, checks, file) {
    const sig = checks.find((c) => c.name === "signature.simple_signing");
    const verified = sig?.ok === true;
    const fps = verified ? ((sig!.detail?.verified as string[]) ?? []) : [];
    return [{
      id: `sha256:${file.sha256}`,
      kind: "image-signature",
      source: { path: file.path, digest: { sha256: file.sha256 }, format: "cosign-simple-signing" },
      signature: verified
        ? { status: "verified", signers: fps.map((fingerprint) => ({ type: "key" as const, fingerprint })) }
        : { status: "failed", signers: [], reason: sig?.reason ?? "not verified", ...(sig?.code ? { code: sig.code } : {}) },
      transparency: { status: "absent" },
      integrity: { status: "n/a" },
      checks,
      // Shaped like a statement subject so the subject-binding helpers policies already use apply unchanged.
      statement: { _type: "cosign/simple-signing", predicateType: SIMPLE_SIGNING_TYPE, subject: [{ name: p.dockerReference, digest: { sha256: p.manifestDigest.slice(7) } }] },
      facts: { dockerReference: p.dockerReference, manifestDigest: p.manifestDigest, optional: p.optional },
    }];
  },
};
