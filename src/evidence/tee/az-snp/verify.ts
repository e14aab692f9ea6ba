// Azure SEV-SNP verification: the SNP report inside the HCL report verified as any SEV-SNP report and requested at
// VMPL 0 (by the paravisor); REPORT_DATA[0..32] binds the HCL runtime data; the runtime data's vTPM attestation key (HCLAkPub) signs the TPM2 quote
// (RSASSA-PKCS1-v1_5, SHA-256); the quote's PCR digest equals the hash of the supplied PCR values. The value bound to
// the workload is the quote's extraData. Never throws for bad evidence.
import { sha256Bytes, toHex } from "../../../core/digest.ts";
import type { ErrorCode } from "../../../core/errors.ts";
import type { Check, HardwareFacts } from "../../types.ts";
import { check } from "../common/facts.ts";
import { type Certificate, certificateDers, parseCertificate } from "../common/x509.ts";
import { parseSnpReport, type SnpReport } from "../sev-snp/report.ts";
import { type AmdTrustSource, snpHardwareFacts, type SnpVerification, type SnpVerifyInput, verifySnp } from "../sev-snp/verify.ts";
import {
  akJwkFromRuntimeData,
  type AzSnpEvidence,
  HCL_HASH_SHA256,
  parseTpmsAttest,
  TPM_ALG_SHA256,
  TPM_GENERATED_VALUE,
  TPM_ST_ATTEST_QUOTE,
  type TpmsAttest,
} from "./hcl.ts";

export interface AzSnpVerification {
  checks: Check[];
  snp: SnpVerification;
  report: SnpReport;
  attest?: TpmsAttest;
  endorsement?: Certificate;
}

const subtle = globalThis.crypto.subtle;

/** Run every az-snp check in order. `report` is parsed already (parse() rejects a malformed SNP report). */
export async function verifyAzSnp(ev: AzSnpEvidence, report: SnpReport, time: Date, trust?: AmdTrustSource, revocation: Pick<SnpVerifyInput, "crls" | "unreadableCrls"> = {}): Promise<AzSnpVerification> {
  let endorsement: Certificate | undefined;
  let endorsementProblem: string | undefined;
  try {
    const ders = certificateDers(ev.vcek);
    if (ders.length !== 1) throw new Error("not one DER or PEM certificate");
    endorsement = parseCertificate(ders[0]!, "vcek");
  } catch (e) {
    endorsementProblem = `the evidence's vcek field is not a certificate: ${(e as Error).message}`;
  }
  const snp = await verifySnp({
    report,
    ...(endorsement ? { endorsement } : {}),
    ...(endorsementProblem ? { endorsementProblem } : {}),
    time,
    ...(trust ? { trust } : {}),
    // The AMD CRLs supplied beside the evidence apply to the HCL report's chain exactly as to a plain report.
    ...(revocation.crls?.length ? { crls: revocation.crls } : {}),
    ...(revocation.unreadableCrls?.length ? { unreadableCrls: revocation.unreadableCrls } : {}),
  });
  const checks = [...snp.checks];
  const add = (name: string, ok: boolean, code?: ErrorCode, reason?: string, detail?: Record<string, unknown>) => {
    checks.push(check(name, ok, code, reason, detail));
    return ok;
  };
  const out: AzSnpVerification = { checks, snp, report, ...(endorsement ? { endorsement } : {}) };

  // Only the paravisor (HCL) at VMPL 0 vouches for the vTPM key; the guest OS runs at a lower privilege and
  // could request a report binding runtime data (and an AK) of its own. attestation-rs requires VMPL 0 too.
  add("hardware.hcl_vmpl", report.vmpl === 0, "hardware_failed",
    `the HCL report's SNP report was requested at VMPL ${report.vmpl}; only a VMPL 0 report (the paravisor's) vouches for the vTPM attestation key`);

  // REPORT_DATA[0..32] = SHA-256(runtime data): the hardware vouches for the AK that signs the quote.
  const runtimeHash = sha256Bytes(ev.hcl.runtimeData);
  const bound = report.reportData.subarray(0, 32);
  add("hardware.hcl_binding",
    ev.hcl.hashType === HCL_HASH_SHA256 && Buffer.from(bound).equals(Buffer.from(runtimeHash)),
    "binding_failed",
    ev.hcl.hashType !== HCL_HASH_SHA256
      ? `HCL report data hash type ${ev.hcl.hashType} is not SHA-256 (1)`
      : `REPORT_DATA[0..32] ${toHex(bound)} is not sha256 of the HCL runtime data ${toHex(runtimeHash)}`);

  // The AK and the quote signature.
  const ak = akJwkFromRuntimeData(ev.hcl.runtimeData);
  let key: CryptoKey | undefined;
  if ("jwk" in ak) {
    try {
      key = await subtle.importKey("jwk", ak.jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
    } catch (e) {
      add("hardware.ak_key", false, "hardware_failed", `HCLAkPub is not a usable RSA key: ${(e as Error).message}`);
      return out;
    }
  }
  if (!add("hardware.ak_key", key !== undefined, "hardware_failed", "problem" in ak ? ak.problem : undefined)) return out;
  let sigOk = false;
  try {
    sigOk = await subtle.verify("RSASSA-PKCS1-v1_5", key!, new Uint8Array(ev.quote.signature), new Uint8Array(ev.quote.message));
  } catch {
    sigOk = false;
  }
  add("hardware.quote_signature", sigOk, "signature_failed", "TPM2 quote signature (RSASSA-PKCS1-v1_5 SHA-256) does not verify with the HCLAkPub attestation key");

  // The quote structure and its PCR digest.
  let attest: TpmsAttest;
  try {
    attest = parseTpmsAttest(ev.quote.message);
  } catch (e) {
    add("hardware.quote_format", false, "malformed", (e as Error).message);
    return out;
  }
  out.attest = attest;
  const formatOk = attest.magic === TPM_GENERATED_VALUE && attest.type === TPM_ST_ATTEST_QUOTE;
  add("hardware.quote_format", formatOk, "malformed",
    `TPMS_ATTEST magic 0x${attest.magic.toString(16)} / type 0x${attest.type.toString(16)} is not a TPM-generated quote (0xff544347 / 0x8018)`);

  let pcrReason = "";
  const concat: Uint8Array[] = [];
  for (const sel of attest.selections) {
    if (sel.hashAlg !== TPM_ALG_SHA256) pcrReason ||= `PCR bank 0x${sel.hashAlg.toString(16)} is not SHA-256`;
    for (const i of sel.pcrs) {
      const v = ev.quote.pcrs[i];
      if (!v) pcrReason ||= `the quote selects PCR ${i} but only ${ev.quote.pcrs.length} PCR values were supplied`;
      else concat.push(v);
    }
  }
  if (!pcrReason) {
    const digest = sha256Bytes(Buffer.concat(concat));
    if (!Buffer.from(digest).equals(Buffer.from(attest.pcrDigest))) {
      pcrReason = `quote pcrDigest ${toHex(attest.pcrDigest)} is not sha256 of the supplied PCR values ${toHex(digest)}`;
    }
  }
  add("hardware.pcr_digest", pcrReason === "", "digest_mismatch", pcrReason, { pcrs: attest.selections.flatMap((s) => s.pcrs) });
  return out;
}

/** HardwareFacts for az-snp: the SNP facts, with reportData = the quote's extraData (the bound value). */
export function azSnpHardwareFacts(ev: AzSnpEvidence, v: AzSnpVerification): HardwareFacts {
  const hw = snpHardwareFacts("az-snp", v.report, v.snp, v.checks);
  hw.snpReportData = hw.reportData;
  if (v.attest) hw.reportData = toHex(v.attest.extraData);
  else delete hw.reportData;
  // Only the PCRs the quote selects are covered by its signed pcrDigest: the other supplied values are unattested
  // and never become facts.
  if (v.attest) {
    const selected = v.attest.selections.flatMap((s) => s.pcrs);
    hw.pcrSelection = selected;
    hw.pcrs = Object.fromEntries(selected.filter((i) => ev.quote.pcrs[i] !== undefined).map((i) => [String(i), toHex(ev.quote.pcrs[i]!)]));
  }
  return hw;
}

/** Parse the SNP report carried in the HCL report (throws like parseSnpReport). */
export function hclSnpReport(ev: AzSnpEvidence): SnpReport {
  return parseSnpReport(ev.hcl.snpReport);
}
