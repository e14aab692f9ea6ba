// Evidence kind "az-snp": Azure confidential VM evidence (HCL report + TPM2 quote + VCEK) as a JSON object.
// The Kettle/attestation-rs envelope {"platform": "az-snp", "evidence": {…}} is read by the kettle kind, which
// delegates here. Normalizes to a `tee-report` with platform az-snp.
import { asTollgateError } from "../../../core/errors.ts";
import type { Check, EvidenceKind, EvidenceRecord, SourceFile, VerifyContext } from "../../types.ts";
import { toHex } from "../../../core/digest.ts";
import { teeRecord } from "../common/facts.ts";
import type { SnpReport } from "../sev-snp/report.ts";
import { amdCrlFiles } from "../sev-snp/crl.ts";
import type { AmdTrustSource } from "../sev-snp/verify.ts";
import { type AzSnpEvidence, looksLikeAzSnp, parseAzSnpEvidence } from "./hcl.ts";
import { azSnpHardwareFacts, type AzSnpVerification, hclSnpReport, verifyAzSnp } from "./verify.ts";

export interface ParsedAzSnp {
  evidence: AzSnpEvidence;
  report: SnpReport;
}

/** Parse a JSON value as az-snp evidence, naming the file on error. */
export function parseAzSnp(value: unknown, path?: string): ParsedAzSnp {
  try {
    const evidence = parseAzSnpEvidence(value);
    return { evidence, report: hclSnpReport(evidence) };
  } catch (e) {
    throw asTollgateError(e, path, "malformed");
  }
}

/** The `tee-report` record for verified (or failed) az-snp evidence. */
export function azSnpRecord(parsed: ParsedAzSnp, v: AzSnpVerification | undefined, checks: Check[], file: SourceFile, format: string): EvidenceRecord {
  const verification = v ?? { checks, snp: { checks }, report: parsed.report };
  const hardware = azSnpHardwareFacts(parsed.evidence, verification);
  const crl = verification.snp.crl;
  return teeRecord({
    file,
    format,
    checks,
    hardware,
    facts: {
      platform: "az-snp",
      measurement: toHex(parsed.report.measurement),
      ...(hardware.reportData ? { reportData: hardware.reportData } : {}),
      snpVersion: parsed.report.version,
      ...(verification.snp.product ? { product: verification.snp.product } : {}),
      signer: hardware.signer,
      ...(verification.endorsement ? { endorsement: { subject: verification.endorsement.subjectCN, sha256: verification.endorsement.sha256 } } : {}),
    },
    materials: crl ? [{ path: crl.path, digest: { sha256: crl.sha256 } }] : [],
  });
}

export interface AzSnpKindOptions {
  trust?: AmdTrustSource;
}

export function makeAzSnpKind(options: AzSnpKindOptions = {}): EvidenceKind<ParsedAzSnp> {
  const verified = new WeakMap<ParsedAzSnp, AzSnpVerification>();
  return {
    name: "az-snp",
    detect(file: SourceFile): boolean {
      try {
        return looksLikeAzSnp(file.json());
      } catch {
        return false;
      }
    },
    parse(file: SourceFile): ParsedAzSnp {
      return parseAzSnp(file.json(), file.path);
    },
    async verify(parsed: ParsedAzSnp, file: SourceFile, ctx: VerifyContext): Promise<Check[]> {
      const { crls, unreadable } = amdCrlFiles(file, ctx.files);
      const v = await verifyAzSnp(parsed.evidence, parsed.report, ctx.time, options.trust, { crls, unreadableCrls: unreadable });
      verified.set(parsed, v);
      return v.checks;
    },
    normalize(parsed: ParsedAzSnp, checks: Check[], file: SourceFile): EvidenceRecord[] {
      return [azSnpRecord(parsed, verified.get(parsed), checks, file, "az-snp-evidence-v1")];
    },
    materials(file: SourceFile, all: readonly SourceFile[]): string[] {
      const { crls, unreadable } = amdCrlFiles(file, all);
      return [...new Set([...crls.map((c) => c.path), ...unreadable.map((u) => u.path)])];
    },
  };
}

export const azSnpKind = makeAzSnpKind();
