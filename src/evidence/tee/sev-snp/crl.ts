// Revocation for the AMD SEV-SNP chain from a supplied CRL. AMD's KDS publishes one CRL per product line
// (https://kdsintf.amd.com/vcek/v1/<Product>/crl, the ASK/ASVK CRL distribution point), issued and signed by the
// ARK (RSASSA-PSS, SHA-384, salt 48) and listing revoked ASK/ASVK serials. As in go-sev-guest (verify.go,
// verifyCRL): the CRL must be signed by the pinned ARK and must not list the intermediate; it must also be current
// at ctx.time (thisUpdate ≤ t ≤ nextUpdate). A VCEK/VLEK serial listed there is refused too (AMD says it does not
// revoke VCEKs, but a listing is taken at its word). Nothing is fetched: the CRL is a file among the evidence paths.
import { dirname } from "node:path";
import type { Check, SourceFile } from "../../types.ts";
import { type Certificate, type CertificateList, parseCertificateList, pemCrls, serialKey, verifyCrlSignature } from "../common/x509.ts";

export interface AmdCrl {
  path: string;
  sha256: string;
  crl: CertificateList;
}

/** A file that says it holds a CRL (a PEM "X509 CRL" block) but does not parse as one. */
export interface UnreadableCrl {
  path: string;
  reason: string;
}

const PEM_CRL_LABEL = /-----BEGIN (?:X509 )?CRL-----/;

/**
 * DER blocks that may be CRLs: PEM CRL blocks (labelled: they must be CRLs), else the whole file when it is a
 * DER SEQUENCE (a mere candidate: certificates are DER SEQUENCEs too).
 */
function crlCandidates(bytes: Uint8Array): { ders: Uint8Array[]; labelled: boolean } {
  const head = Buffer.from(bytes.subarray(0, 64)).toString("latin1");
  if (head.includes("-----BEGIN")) {
    const text = Buffer.from(bytes).toString("latin1");
    return { ders: pemCrls(text), labelled: PEM_CRL_LABEL.test(text) };
  }
  // A KDS CRL is a few kB; anything far larger beside a report is not one.
  return { ders: bytes[0] === 0x30 && bytes.length < 4 * 1024 * 1024 ? [bytes] : [], labelled: false };
}

/**
 * AMD CRLs (issuer CN "ARK-<product>") among `all` that belong with `file` (named by the user, or in its
 * directory), and the labelled CRL files there that cannot be read.
 */
export function amdCrlFiles(file: SourceFile, all: readonly SourceFile[]): { crls: AmdCrl[]; unreadable: UnreadableCrl[] } {
  const dir = dirname(file.path);
  const crls: AmdCrl[] = [];
  const unreadable: UnreadableCrl[] = [];
  for (const f of all) {
    if (f === file || f.path === file.path) continue;
    if (!f.explicit && dirname(f.path) !== dir) continue;
    const { ders, labelled } = crlCandidates(f.bytes);
    if (labelled && ders.length === 0) unreadable.push({ path: f.path, reason: `${f.path} has no complete PEM CRL block` });
    for (const der of ders) {
      try {
        const crl = parseCertificateList(der, f.path);
        if (/^ARK-/.test(crl.issuerCN ?? "")) crls.push({ path: f.path, sha256: f.sha256, crl });
      } catch (e) {
        // unlabelled: not a CRL (a certificate, a report, anything else)
        if (labelled) unreadable.push({ path: f.path, reason: (e as Error).message });
      }
    }
  }
  return { crls, unreadable };
}

export interface SnpRevocationInput {
  crls: readonly AmdCrl[];
  /** Supplied CRL files that cannot be read: refused, never ignored. */
  unreadable?: readonly UnreadableCrl[];
  ark: Certificate;
  /** The ASK (VCEK chain) or ASVK (VLEK chain). */
  intermediate: Certificate;
  endorsement: Certificate;
  time: Date;
}

/**
 * The `hardware.revocation` check, or undefined when no AMD CRL was supplied (revocation then stays
 * "unchecked"). When CRLs are supplied, one issued by this chain's ARK is required.
 */
export async function checkSnpRevocation(input: SnpRevocationInput): Promise<{ check: Check; crl?: AmdCrl } | undefined> {
  const { crls, unreadable = [], ark, intermediate, endorsement, time } = input;
  if (crls.length === 0 && unreadable.length === 0) return undefined;
  const fail = (code: Check["code"], reason: string, crl?: AmdCrl) => ({
    check: { name: "hardware.revocation", ok: false, code, reason, detail: { crls: [...crls, ...unreadable].map((c) => c.path) } } satisfies Check,
    ...(crl ? { crl } : {}),
  });
  if (unreadable.length > 0) return fail("malformed", `CRL ${unreadable.map((u) => u.reason).join("; ")}`);
  // Selected by name (exact DER, or the same CN so a differently encoded name is refused with its reason below).
  const mine = crls.filter((c) => Buffer.from(c.crl.issuerDer).equals(Buffer.from(ark.subjectDer)) || c.crl.issuerCN === ark.subjectCN);
  if (mine.length === 0) {
    const issuers = [...new Set(crls.map((c) => c.crl.issuerCN))].join(", ");
    return fail("not_found", `no CRL issued by ${ark.subjectCN} among the supplied CRLs (issuers: ${issuers})`);
  }
  // One CRL per product: the newest supersedes older ones supplied alongside it.
  const chosen = mine.reduce((a, b) => (b.crl.thisUpdate > a.crl.thisUpdate ? b : a));
  const { crl } = chosen;
  const sig = await verifyCrlSignature(crl, ark, `CRL ${chosen.path}`);
  if (!sig.ok) return fail("signature_failed", `CRL ${chosen.path} is not signed by the pinned ${ark.subjectCN}: ${sig.reason}`, chosen);
  const t = time.getTime();
  if (t < crl.thisUpdate.getTime()) {
    return fail("certificate_invalid", `CRL ${chosen.path} is not yet valid: thisUpdate ${crl.thisUpdate.toISOString()} is after the verification time ${time.toISOString()}`, chosen);
  }
  if (crl.nextUpdate && t > crl.nextUpdate.getTime()) {
    return fail("certificate_invalid", `CRL ${chosen.path} expired: nextUpdate ${crl.nextUpdate.toISOString()} is before the verification time ${time.toISOString()}`, chosen);
  }
  for (const cert of [intermediate, endorsement]) {
    const when = crl.revoked.get(serialKey(cert.serialHex));
    if (when) {
      return fail("certificate_invalid", `${cert.subjectCN} (serial ${serialKey(cert.serialHex)}) is revoked by ${chosen.path} since ${when.toISOString()}`, chosen);
    }
  }
  return {
    check: {
      name: "hardware.revocation",
      ok: true,
      detail: {
        status: "checked",
        crl: chosen.path,
        thisUpdate: crl.thisUpdate.toISOString(),
        ...(crl.nextUpdate ? { nextUpdate: crl.nextUpdate.toISOString() } : {}),
        revokedCount: crl.revoked.size,
      },
    },
    crl: chosen,
  };
}
