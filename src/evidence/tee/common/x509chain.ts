// X.509 chain checks shared by the TDX (PCK chain, P-256) and Nitro (cabundle, P-384) verifiers, synchronous:
// certificates are read with x509.ts (the same DER reader as the AMD chains, whose RSA-PSS signatures need
// WebCrypto), ECDSA signatures checked with node:crypto.
// A chain is verified leaf → … → root where the root must be byte-identical (DER) to a pinned root: the
// chain's own root is never trusted for what it says about itself. Issuer names match byte for byte. Validity is
// checked at the caller's instant (ctx.time), never the wall clock. Failures are returned, not thrown.
import { createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import type { ErrorCode } from "../../../core/errors.ts";
import { bytesEqual, sha256Hex } from "../../../core/digest.ts";
import { type Certificate, OID, parseCertificate, pemCertificates } from "./x509.ts";

export interface PinnedRoot {
  /** Name recorded as `hardware.root` (`intel-sgx-root`, `aws-nitro-g1`, or a test root's name). */
  name: string;
  der: Uint8Array;
}

/** One certificate of a chain with the role used in messages (`PCK leaf`, `intermediate 1`, `root`). */
export interface ChainElement {
  role: string;
  der: Uint8Array;
}

export interface ChainFailure {
  code: ErrorCode;
  reason: string;
  detail?: Record<string, unknown>;
}

export interface ChainResult {
  ok: boolean;
  failure?: ChainFailure;
  /** Parsed certificates, leaf first (present when every element parsed). */
  certs?: Certificate[];
  /** Name of the pinned root the chain ended in (when ok). */
  root?: string;
}

export { pemCertificates };

export function pemToDer(pem: string): Uint8Array {
  const [der] = pemCertificates(pem);
  if (!der) throw new Error("no PEM CERTIFICATE block");
  return der;
}

/** Is `cert` signed by `parent`'s key (ECDSA with SHA-256/384, the algorithms Intel and AWS chains use)? */
function signedBy(cert: Certificate, parent: Certificate): boolean {
  const alg = cert.signatureAlgorithm;
  if (alg.kind !== "ecdsa") return false;
  const key = publicKeyOf(parent);
  try {
    return key !== undefined && cryptoVerify(alg.hash === "SHA-256" ? "sha256" : "sha384", cert.tbs, key, cert.signature);
  } catch {
    return false;
  }
}

/**
 * Verify `chain` (leaf first, root last). Checks, in order: every element parses; the last element equals a
 * pinned root; each certificate names its parent as issuer and is signed by the parent's key; every parent
 * is a CA (basicConstraints); every certificate is valid at `time`.
 */
export function verifyChain(chain: readonly ChainElement[], pinned: readonly PinnedRoot[], time: Date): ChainResult {
  if (chain.length < 2) {
    return { ok: false, failure: { code: "chain_broken", reason: `certificate chain has ${chain.length} certificate(s); a leaf and the pinned root at least are required` } };
  }
  const certs: Certificate[] = [];
  for (const el of chain) {
    try {
      certs.push(parseCertificate(el.der, `${el.role} certificate`));
    } catch (e) {
      return { ok: false, failure: { code: "certificate_invalid", reason: (e as Error).message } };
    }
  }
  const rootEl = chain[chain.length - 1]!;
  const root = pinned.find((p) => bytesEqual(p.der, rootEl.der));
  if (!root) {
    const rootCert = certs[certs.length - 1]!;
    return {
      ok: false,
      certs,
      failure: {
        code: "chain_broken",
        reason: `chain root "${rootCert.subject}" (sha256 ${rootCert.sha256}) is not the pinned root ${pinned.map((p) => `${p.name} (sha256 ${sha256Hex(p.der)})`).join(" or ")}`,
        detail: { rootSha256: rootCert.sha256, pinned: pinned.map((p) => ({ name: p.name, sha256: sha256Hex(p.der) })) },
      },
    };
  }
  for (let i = 0; i < certs.length - 1; i++) {
    const cert = certs[i]!;
    const parent = certs[i + 1]!;
    const role = chain[i]!.role;
    const parentRole = chain[i + 1]!.role;
    if (!bytesEqual(cert.issuerDer, parent.subjectDer)) {
      return { ok: false, certs, failure: { code: "chain_broken", reason: `${role} issuer "${cert.issuer}" is not the ${parentRole} subject "${parent.subject}"` } };
    }
    if (!parent.isCA) {
      return { ok: false, certs, failure: { code: "chain_broken", reason: `${parentRole} certificate "${parent.subject}" is not a CA (basicConstraints cA is not set)` } };
    }
    if (!signedBy(cert, parent)) {
      return { ok: false, certs, failure: { code: "chain_broken", reason: `${role} certificate signature does not verify with the ${parentRole} key ("${parent.subject}")` } };
    }
  }
  if (certs[0]!.isCA) {
    return { ok: false, certs, failure: { code: "certificate_invalid", reason: `${chain[0]!.role} certificate "${certs[0]!.subject}" is a CA certificate; a signing leaf is required` } };
  }
  for (let i = 0; i < certs.length; i++) {
    const { notBefore: from, notAfter: to, subject } = certs[i]!;
    if (!(time >= from && time <= to)) {
      return {
        ok: false,
        certs,
        failure: {
          code: "certificate_invalid",
          reason: `${chain[i]!.role} certificate "${subject}" is not valid at ${time.toISOString()} (valid ${from.toISOString()} to ${to.toISOString()})`,
          detail: { notBefore: from.toISOString(), notAfter: to.toISOString(), time: time.toISOString() },
        },
      };
    }
  }
  return { ok: true, certs, root: root.name };
}

/** The certificate's public key, or undefined when its SubjectPublicKeyInfo does not decode. */
export function publicKeyOf(cert: Certificate): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.from(cert.spki), format: "der", type: "spki" });
  } catch {
    return undefined;
  }
}

/** An EC public key on the named curve (node's names: prime256v1, secp384r1), or undefined. */
export function ecKeyOf(cert: Certificate, curve: "prime256v1" | "secp384r1"): KeyObject | undefined {
  const want = curve === "prime256v1" ? OID.secp256r1 : OID.secp384r1;
  return cert.publicKeyAlgorithm === OID.ecPublicKey && cert.publicKeyCurve === want ? publicKeyOf(cert) : undefined;
}
