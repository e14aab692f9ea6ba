// X.509 chain checks (node:crypto X509Certificate) shared by the TDX (PCK chain, P-256) and Nitro (cabundle,
// P-384) verifiers. AMD chains use x509.ts instead: their RSA-PSS signatures need WebCrypto under Bun.
// A chain is verified leaf → … → root where the root must be byte-identical (DER) to a pinned root: the
// chain's own root is never trusted for what it says about itself. Validity is checked at the caller's
// instant (ctx.time), never the wall clock. Failures are returned, not thrown.
import { X509Certificate, type KeyObject } from "node:crypto";
import type { ErrorCode } from "../../../core/errors.ts";
import { bytesEqual, sha256Hex } from "../../../core/digest.ts";
import { pemCertificates } from "./x509.ts";

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
  certs?: X509Certificate[];
  /** Name of the pinned root the chain ended in (when ok). */
  root?: string;
}

export { pemCertificates };

export function pemToDer(pem: string): Uint8Array {
  const [der] = pemCertificates(pem);
  if (!der) throw new Error("no PEM CERTIFICATE block");
  return der;
}

/** Bun and Node both expose validFrom/validTo as strings; validFromDate only in newer runtimes. */
function validity(cert: X509Certificate): { from: Date; to: Date } {
  return { from: new Date(cert.validFrom), to: new Date(cert.validTo) };
}

function firstLine(dn: string): string {
  // node prints a DN one RDN per line; a one-line form reads better in a reason.
  return dn.split("\n").filter(Boolean).join(", ");
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
  const certs: X509Certificate[] = [];
  for (const el of chain) {
    try {
      certs.push(new X509Certificate(el.der));
    } catch (e) {
      return {
        ok: false,
        failure: { code: "certificate_invalid", reason: `${el.role} certificate is not a valid DER X.509 certificate (${e instanceof Error ? e.message : String(e)})` },
      };
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
        reason: `chain root "${firstLine(rootCert.subject)}" (sha256 ${sha256Hex(rootEl.der)}) is not the pinned root ${pinned.map((p) => `${p.name} (sha256 ${sha256Hex(p.der)})`).join(" or ")}`,
        detail: { rootSha256: sha256Hex(rootEl.der), pinned: pinned.map((p) => ({ name: p.name, sha256: sha256Hex(p.der) })) },
      },
    };
  }
  for (let i = 0; i < certs.length - 1; i++) {
    const cert = certs[i]!;
    const parent = certs[i + 1]!;
    const role = chain[i]!.role;
    const parentRole = chain[i + 1]!.role;
    if (cert.issuer !== parent.subject) {
      return {
        ok: false,
        certs,
        failure: { code: "chain_broken", reason: `${role} issuer "${firstLine(cert.issuer)}" is not the ${parentRole} subject "${firstLine(parent.subject)}"` },
      };
    }
    if (!parent.ca) {
      return { ok: false, certs, failure: { code: "chain_broken", reason: `${parentRole} certificate "${firstLine(parent.subject)}" is not a CA (basicConstraints cA is not set)` } };
    }
    let signed = false;
    try {
      const key = publicKeyOf(parent);
      signed = key !== undefined && cert.verify(key);
    } catch {
      signed = false;
    }
    if (!signed) {
      return { ok: false, certs, failure: { code: "chain_broken", reason: `${role} certificate signature does not verify with the ${parentRole} key ("${firstLine(parent.subject)}")` } };
    }
  }
  if (certs[0]!.ca) {
    return { ok: false, certs, failure: { code: "certificate_invalid", reason: `${chain[0]!.role} certificate "${firstLine(certs[0]!.subject)}" is a CA certificate; a signing leaf is required` } };
  }
  for (let i = 0; i < certs.length; i++) {
    const { from, to } = validity(certs[i]!);
    if (!(time >= from && time <= to)) {
      return {
        ok: false,
        certs,
        failure: {
          code: "certificate_invalid",
          reason: `${chain[i]!.role} certificate "${firstLine(certs[i]!.subject)}" is not valid at ${time.toISOString()} (valid ${from.toISOString()} to ${to.toISOString()})`,
          detail: { notBefore: from.toISOString(), notAfter: to.toISOString(), time: time.toISOString() },
        },
      };
    }
  }
  return { ok: true, certs, root: root.name };
}

/** The certificate's public key, or undefined when its SubjectPublicKeyInfo does not decode. */
export function publicKeyOf(cert: X509Certificate): KeyObject | undefined {
  try {
    return cert.publicKey;
  } catch {
    return undefined;
  }
}

/** An EC public key on the named curve (node's names: prime256v1, secp384r1), or undefined. */
export function ecKeyOf(cert: X509Certificate, curve: "prime256v1" | "secp384r1"): KeyObject | undefined {
  const key = publicKeyOf(cert);
  return key && key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === curve ? key : undefined;
}

export function subjectLine(cert: X509Certificate): string {
  return firstLine(cert.subject);
}

/** The CN of a distinguished name as node prints it (`CN=…` on its own line). */
export function commonName(dn: string): string | undefined {
  for (const line of dn.split("\n")) if (line.startsWith("CN=")) return line.slice(3);
  return undefined;
}
