// Evidence kind "sev-snp": a bare AMD SEV-SNP ATTESTATION_REPORT (raw 1184 bytes, hex text or base64 text) whose
// VCEK/VLEK is another file of the same invocation or directory (DER or PEM), as is AMD's ARK-signed CRL when
// supplied (crl.ts). Normalizes to a `tee-report`.
import { dirname } from "node:path";
import { asTollgateError, TollgateError } from "../../../core/errors.ts";
import type { Check, EvidenceKind, EvidenceRecord, SourceFile, VerifyContext } from "../../types.ts";
import { type BinaryEncoding, sniffBinary, sniffBinaryAnyLength } from "../common/encoding.ts";
import { toHex } from "../../../core/digest.ts";
import { teeRecord } from "../common/facts.ts";
import { type Certificate, certificateDers, parseCertificate, tryParseCertificate } from "../common/x509.ts";
import { amdCrlFiles } from "./crl.ts";
import { parseSnpReport, REPORT_SIZE, SIG_ALGO_ECDSA_P384_SHA384, type SnpReport } from "./report.ts";
import {
  AMD_OID,
  type AmdTrustSource,
  endorsementKind,
  isAmdEndorsement,
  signerKind,
  snpHardwareFacts,
  type SnpVerification,
  verifySnp,
} from "./verify.ts";

export interface ParsedSnp {
  report: SnpReport;
  encoding: BinaryEncoding;
}

export interface EndorsementFile {
  file: SourceFile;
  cert: Certificate;
}

/** AMD VCEK/VLEK certificates among `all` that belong with `file`: named by the user, or in its directory. */
export function endorsementFiles(file: SourceFile, all: readonly SourceFile[]): EndorsementFile[] {
  const dir = dirname(file.path);
  const out: EndorsementFile[] = [];
  for (const f of all) {
    if (f === file || f.path === file.path) continue;
    if (!f.explicit && dirname(f.path) !== dir) continue;
    for (const der of certificateDers(f.bytes)) {
      const cert = tryParseCertificate(der);
      if (cert && isAmdEndorsement(cert)) out.push({ file: f, cert });
    }
  }
  return out;
}

/**
 * Files beside the report that look like certificates (PEM, or a DER SEQUENCE with a long length) but do not
 * parse as one: when no endorsement was found, these say why ("vcek.der is not a valid X.509 certificate: …").
 */
export function brokenCertificateFiles(file: SourceFile, all: readonly SourceFile[]): string[] {
  const dir = dirname(file.path);
  const out: string[] = [];
  for (const f of all) {
    if (f === file || f.path === file.path || (!f.explicit && dirname(f.path) !== dir)) continue;
    const looksDer = f.bytes[0] === 0x30 && f.bytes[1] === 0x82;
    const looksPem = Buffer.from(f.bytes.subarray(0, 4096)).toString("latin1").includes("-----BEGIN CERTIFICATE-----");
    if (!looksDer && !looksPem) continue;
    const ders = certificateDers(f.bytes);
    if (ders.length === 0) {
      out.push(`${f.path} has no complete PEM certificate`);
      continue;
    }
    for (const der of ders) {
      try {
        parseCertificate(der, f.path);
      } catch (e) {
        out.push((e as Error).message);
      }
    }
  }
  return out;
}

/** The endorsement for this report: the right kind, and for a VCEK the one whose hwID is the CHIP_ID. */
export function pickEndorsement(report: SnpReport, candidates: readonly EndorsementFile[]): EndorsementFile | undefined {
  const want = signerKind(report);
  const ofKind = candidates.filter((c) => endorsementKind(c.cert) === want);
  const byChip = ofKind.find((c) => {
    const hwid = c.cert.extensions.get(AMD_OID.hwid);
    return hwid !== undefined && hwid.length > 0 && Buffer.from(report.chipId.subarray(0, hwid.length)).equals(Buffer.from(hwid));
  });
  return byChip ?? ofKind[0] ?? candidates[0];
}

function looksLikeReport(data: Uint8Array): boolean {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = dv.getUint32(0, true);
  return version >= 2 && version <= 5 && dv.getUint32(0x34, true) === SIG_ALGO_ECDSA_P384_SHA384;
}

export interface SevSnpKindOptions {
  /** Pinned roots (default: the shipped AMD constants). Tests pass a synthetic set. */
  trust?: AmdTrustSource;
}

interface SnpVerified {
  verification: SnpVerification;
  endorsementPath?: EndorsementFile;
}

export function makeSevSnpKind(options: SevSnpKindOptions = {}): EvidenceKind<ParsedSnp> {
  // verify() results that normalize() needs beyond the checks (product, signer, root), keyed by parsed report.
  const verified = new WeakMap<ParsedSnp, SnpVerified>();
  return {
    name: "sev-snp",
    detect(file: SourceFile): boolean {
      try {
        // Any length: a truncated or padded report is still recognized, so parse() can name the problem.
        const sniffed = sniffBinary(file.bytes, [REPORT_SIZE]) ?? sniffBinaryAnyLength(file.bytes, 2 * REPORT_SIZE);
        return sniffed !== undefined && sniffed.data.length >= 0x38 && looksLikeReport(sniffed.data);
      } catch {
        return false;
      }
    },
    parse(file: SourceFile): ParsedSnp {
      const sniffed = sniffBinary(file.bytes, [REPORT_SIZE]) ?? sniffBinaryAnyLength(file.bytes, 2 * REPORT_SIZE);
      if (!sniffed) throw new TollgateError("malformed", `not a ${REPORT_SIZE}-byte SEV-SNP report (raw, hex or base64)`, file.path);
      try {
        return { report: parseSnpReport(sniffed.data), encoding: sniffed.encoding };
      } catch (e) {
        throw asTollgateError(e, file.path, "malformed");
      }
    },
    async verify(parsed: ParsedSnp, file: SourceFile, ctx: VerifyContext): Promise<Check[]> {
      const candidates = endorsementFiles(file, ctx.files);
      const chosen = pickEndorsement(parsed.report, candidates);
      const broken = chosen ? [] : brokenCertificateFiles(file, ctx.files);
      const { crls, unreadable } = amdCrlFiles(file, ctx.files);
      const verification = await verifySnp({
        report: parsed.report,
        ...(chosen ? { endorsement: chosen.cert } : {}),
        ...(broken.length > 0 ? { endorsementProblem: `no usable VCEK/VLEK: ${broken.join("; ")}` } : {}),
        time: ctx.time,
        ...(options.trust ? { trust: options.trust } : {}),
        ...(crls.length > 0 ? { crls } : {}),
        ...(unreadable.length > 0 ? { unreadableCrls: unreadable } : {}),
      });
      verified.set(parsed, { verification, ...(chosen ? { endorsementPath: chosen } : {}) });
      return verification.checks;
    },
    normalize(parsed: ParsedSnp, checks: Check[], file: SourceFile): EvidenceRecord[] {
      const v = verified.get(parsed) ?? { verification: { checks } };
      const hardware = snpHardwareFacts("sev-snp", parsed.report, v.verification, checks);
      const materials = v.endorsementPath ? [{ path: v.endorsementPath.file.path, digest: { sha256: v.endorsementPath.file.sha256 } }] : [];
      const crl = v.verification.crl;
      if (crl) materials.push({ path: crl.path, digest: { sha256: crl.sha256 } });
      return [
        teeRecord({
          file,
          format: `sev-snp-report-v${parsed.report.version}`,
          checks,
          hardware,
          facts: {
            platform: "sev-snp",
            encoding: parsed.encoding,
            version: parsed.report.version,
            measurement: toHex(parsed.report.measurement),
            reportData: toHex(parsed.report.reportData),
            ...(v.verification.product ? { product: v.verification.product } : {}),
            signer: hardware.signer,
            ...(v.endorsementPath ? { endorsement: { subject: v.endorsementPath.cert.subjectCN, sha256: v.endorsementPath.cert.sha256 } } : {}),
          },
          materials,
        }),
      ];
    },
    materials(file: SourceFile, all: readonly SourceFile[]): string[] {
      const { crls, unreadable } = amdCrlFiles(file, all);
      return [...new Set([...endorsementFiles(file, all).map((e) => e.file.path), ...crls.map((c) => c.path), ...unreadable.map((u) => u.path)])];
    },
  };
}

/** The registered kind: pinned AMD roots. */
export const sevSnpKind = makeSevSnpKind();
