// SEV-SNP verification: report signature by the VCEK/VLEK, the endorsement chain to the pinned AMD roots, the
// endorsement's TCB and hwID extensions against the report, certificate validity at ctx.time, revocation when an
// AMD CRL is supplied (crl.ts; else hardware.revocation is "unchecked"). Every outcome is a
// `hardware.*` Check; nothing here throws for a bad report. Used by the sev-snp kind, az-snp and Kettle.
import type { ErrorCode } from "../../../core/errors.ts";
import type { Check, HardwareFacts } from "../../types.ts";
import { toHex } from "../../../core/digest.ts";
import { buildHardwareFacts, check, type TeePlatform } from "../common/facts.ts";
import { type AmdProduct, type AmdTrust, amdTrust } from "../common/roots.ts";
import {
  type Certificate,
  extIA5String,
  extInteger,
  OID,
  type SigResult,
  validAt,
  verifyCertificateSignature,
} from "../common/x509.ts";
import { type AmdCrl, checkSnpRevocation, type UnreadableCrl } from "./crl.ts";
import { decodeTcb, nonZeroReserved, productFromCpuid, SIGNED_LENGTH, type SnpReport, type Tcb, tcbReservedBits } from "./report.ts";

/** AMD KDS certificate extensions (VCEK/VLEK spec 57230, tables 10 and 11). */
export const AMD_OID = {
  structVersion: "1.3.6.1.4.1.3704.1.1",
  productName: "1.3.6.1.4.1.3704.1.2",
  blSpl: "1.3.6.1.4.1.3704.1.3.1",
  teeSpl: "1.3.6.1.4.1.3704.1.3.2",
  snpSpl: "1.3.6.1.4.1.3704.1.3.3",
  ucodeSpl: "1.3.6.1.4.1.3704.1.3.8",
  fmcSpl: "1.3.6.1.4.1.3704.1.3.9",
  hwid: "1.3.6.1.4.1.3704.1.4",
  cspId: "1.3.6.1.4.1.3704.1.5",
} as const;

/** Where the pinned roots come from: the shipped constants, or (tests, benches) a synthetic set. */
export type AmdTrustSource = (product: AmdProduct) => AmdTrust;

export interface SnpVerifyInput {
  report: SnpReport;
  /** The VCEK or VLEK, when one was supplied. */
  endorsement?: Certificate;
  /** Why no endorsement could be used (file unreadable, not a certificate…), for the check's reason. */
  endorsementProblem?: string;
  time: Date;
  trust?: AmdTrustSource;
  /** AMD CRLs supplied with the report; none (or absent) leaves revocation unchecked. */
  crls?: readonly AmdCrl[];
  /** Supplied CRL files that cannot be read (the revocation check then fails). */
  unreadableCrls?: readonly UnreadableCrl[];
}

export interface SnpVerification {
  checks: Check[];
  product?: AmdProduct;
  signer?: "vcek" | "vlek";
  /** `amd-<product>` once the chain reached a pinned ARK. */
  root?: string;
  /** The CRL the revocation check used. */
  crl?: AmdCrl;
}

/** Which endorsement key the report says signed it. */
export function signerKind(report: SnpReport): "vcek" | "vlek" | "none" | "reserved" {
  return report.signingKey === 0 ? "vcek" : report.signingKey === 1 ? "vlek" : report.signingKey === 7 ? "none" : "reserved";
}

/** Is this certificate an AMD VCEK/VLEK (carries the KDS product-name extension and is not a CA)? */
export function isAmdEndorsement(cert: Certificate): boolean {
  return !cert.isCA && cert.extensions.has(AMD_OID.productName) && cert.subjectCN !== undefined;
}

/** The endorsement's own kind: a VLEK carries CSP_ID and no hwID; a VCEK carries hwID. */
export function endorsementKind(cert: Certificate): "vcek" | "vlek" {
  return cert.extensions.has(AMD_OID.cspId) || /VLEK/i.test(cert.subjectCN ?? "") ? "vlek" : "vcek";
}

/** Product line from the certificate: product-name extension ("Milan-B0", "Genoa", "Turin-B0"), else issuer CN. */
export function productFromCertificate(cert: Certificate): AmdProduct | undefined {
  const name = extIA5String(cert.extensions.get(AMD_OID.productName)) ?? cert.issuerCN ?? "";
  const m = /(milan|genoa|turin)/i.exec(name);
  return m ? (m[1]!.toLowerCase() as AmdProduct) : undefined;
}

// The pinned chain (ARK self-signature, ASK/ASVK by ARK) is the same for every report: verify it once per
// process and certificate pair.
const chainCache = new Map<string, Promise<SigResult>>();
function cachedSignature(child: Certificate, issuer: Certificate): Promise<SigResult> {
  const key = `${child.sha256}<${issuer.sha256}`;
  let p = chainCache.get(key);
  if (!p) {
    p = verifyCertificateSignature(child, issuer);
    chainCache.set(key, p);
  }
  return p;
}

/** Little-endian 72-byte R/S → big-endian 48-byte scalar; undefined when the high bytes are not zero. */
function leScalar(le: Uint8Array): Uint8Array | undefined {
  for (let i = 48; i < le.length; i++) if (le[i] !== 0) return undefined;
  return Uint8Array.from(le.subarray(0, 48)).reverse();
}

const subtle = globalThis.crypto.subtle;
const keyCache = new Map<string, Promise<CryptoKey>>();

/** ECDSA P-384/SHA-384 over bytes 0x000–0x29F with the report's little-endian R/S. */
export async function verifyReportSignature(report: SnpReport, endorsement: Certificate): Promise<SigResult> {
  if (endorsement.publicKeyAlgorithm !== OID.ecPublicKey || endorsement.publicKeyCurve !== OID.secp384r1) {
    return { ok: false, reason: `${endorsement.subjectCN} does not hold a P-384 ECDSA key` };
  }
  const r = leScalar(report.signatureR);
  const s = leScalar(report.signatureS);
  if (!r || !s) return { ok: false, reason: "signature R or S has non-zero bytes above the 48-byte P-384 scalar" };
  try {
    let key = keyCache.get(endorsement.sha256);
    if (!key) {
      const spki = endorsement.spki;
      key = subtle.importKey("spki", spki.buffer.slice(spki.byteOffset, spki.byteOffset + spki.byteLength) as ArrayBuffer, { name: "ECDSA", namedCurve: "P-384" }, false, ["verify"]);
      // A gate sees the same few chips again and again; bound the memo so a stream of new VCEKs cannot grow it.
      if (keyCache.size >= 256) keyCache.delete(keyCache.keys().next().value!);
      keyCache.set(endorsement.sha256, key);
    }
    const sig = new Uint8Array(96);
    sig.set(r, 0);
    sig.set(s, 48);
    const ok = await subtle.verify({ name: "ECDSA", hash: "SHA-384" }, await key, sig, report.bytes.slice(0, SIGNED_LENGTH));
    return ok ? { ok } : { ok, reason: `ECDSA P-384/SHA-384 signature over bytes 0x000-0x29F does not verify with ${endorsement.subjectCN} (serial ${endorsement.serialHex})` };
  } catch (e) {
    return { ok: false, reason: `report signature could not be checked: ${(e as Error).message}` };
  }
}

/** The TCB an endorsement certifies, from its SPL extensions; a reason when one is missing or out of range. */
export function endorsedTcb(cert: Certificate, product: AmdProduct): { tcb: Tcb; raw: bigint } | { problem: string } {
  const need: [keyof Tcb, string][] = [
    ["bootloader", AMD_OID.blSpl],
    ["tee", AMD_OID.teeSpl],
    ["snp", AMD_OID.snpSpl],
    ["microcode", AMD_OID.ucodeSpl],
  ];
  if (product === "turin") need.push(["fmc", AMD_OID.fmcSpl]);
  const parts: Partial<Record<keyof Tcb, number>> = {};
  for (const [field, oid] of need) {
    const v = extInteger(cert.extensions.get(oid));
    if (v === undefined) return { problem: `${cert.subjectCN} lacks a valid ${field} SPL extension (${oid})` };
    if (v > 255) return { problem: `${cert.subjectCN} ${field} SPL ${v} does not fit a TCB byte` };
    parts[field] = v;
  }
  const p = parts as Record<"bootloader" | "tee" | "snp" | "microcode", number> & { fmc?: number };
  const raw =
    product === "turin"
      ? BigInt(p.fmc!) | (BigInt(p.bootloader) << 8n) | (BigInt(p.tee) << 16n) | (BigInt(p.snp) << 24n) | (BigInt(p.microcode) << 56n)
      : BigInt(p.bootloader) | (BigInt(p.tee) << 8n) | (BigInt(p.snp) << 48n) | (BigInt(p.microcode) << 56n);
  return { tcb: decodeTcb(raw, product), raw };
}

function tcbText(t: Tcb): string {
  const parts = [`bootloader=${t.bootloader}`, `tee=${t.tee}`, `snp=${t.snp}`, `microcode=${t.microcode}`];
  if (t.fmc !== undefined) parts.unshift(`fmc=${t.fmc}`);
  return parts.join(" ");
}

/** Run every SEV-SNP check, in order. Never throws. */
export async function verifySnp(input: SnpVerifyInput): Promise<SnpVerification> {
  const { report, endorsement, time } = input;
  const trustOf = input.trust ?? amdTrust;
  const checks: Check[] = [];
  const out: SnpVerification = { checks };
  const add = (name: string, ok: boolean, code?: ErrorCode, reason?: string, detail?: Record<string, unknown>) => {
    checks.push(check(name, ok, code, reason, detail));
    return ok;
  };

  // 1. Report fields the ABI fixes: reserved policy bit 17 is one, reserved signer-info bits and reserved byte
  //    ranges (including the unsigned tail after S) are zero, a signing key.
  const kind = signerKind(report);
  const formatProblems: string[] = [];
  if (!report.policy.reservedOne) formatProblems.push("POLICY bit 17 (reserved, must be one) is zero");
  if (BigInt(`0x${report.policy.reservedBits}`) !== 0n) formatProblems.push(`POLICY reserved bits are set (0x${report.policy.reservedBits})`);
  if (report.signerInfoRaw >>> 5 !== 0) formatProblems.push(`signer info reserved bits 31:5 are set (0x${report.signerInfoRaw.toString(16)})`);
  const reservedBytes = nonZeroReserved(report);
  if (reservedBytes.length > 0) formatProblems.push(`reserved bytes ${reservedBytes.join(", ")} are not zero`);
  if (kind === "none") formatProblems.push("SIGNING_KEY is 7: the report is unsigned");
  if (kind === "reserved") formatProblems.push(`SIGNING_KEY ${report.signingKey} is reserved`);
  add("hardware.report_format", formatProblems.length === 0, "hardware_failed", formatProblems.join("; "));

  // 2. Product line: from CPUID (v3+) and from the endorsement; they must agree.
  const cpuProduct = report.cpuid ? productFromCpuid(report.cpuid.family, report.cpuid.model) : undefined;
  const certProduct = endorsement ? productFromCertificate(endorsement) : undefined;
  out.product = certProduct ?? cpuProduct;

  // 3. The endorsement key is there and is the kind the report names.
  if (!endorsement) {
    add("hardware.endorsement_key", false, "not_found", input.endorsementProblem ?? `no ${kind === "vlek" ? "VLEK" : "VCEK"} certificate supplied (give it as another path in the same invocation or directory, DER or PEM)`);
    return out;
  }
  const certKind = endorsementKind(endorsement);
  out.signer = certKind;
  if (!add("hardware.endorsement_key", certKind === kind, "certificate_invalid",
    `report SIGNING_KEY says ${kind.toUpperCase()} but the supplied certificate (${endorsement.subjectCN}) is a ${certKind.toUpperCase()}`,
    { certificate: endorsement.subjectCN, sha256: endorsement.sha256 })) return out;

  let productReason = "";
  if (!certProduct) productReason = `cannot tell the product line of ${endorsement.subjectCN} (product name / issuer)`;
  else if (report.cpuid && !cpuProduct) productReason = `report CPUID family 0x${report.cpuid.family.toString(16)} model 0x${report.cpuid.model.toString(16)} is not a known SEV-SNP product`;
  else if (cpuProduct && cpuProduct !== certProduct) productReason = `report CPUID says ${cpuProduct} but ${endorsement.subjectCN} is a ${certProduct} certificate`;
  if (!add("hardware.product", productReason === "", "hardware_failed", productReason, { product: out.product, cpuid: report.cpuid })) return out;
  const product = certProduct!;

  // 4. Chain: pinned ARK (self-signed) → ASK (VCEK) or ASVK (VLEK) → endorsement.
  let trust: AmdTrust;
  try {
    trust = trustOf(product);
  } catch (e) {
    add("hardware.root", false, "internal", `pinned AMD ${product} roots unusable: ${(e as Error).message}`);
    return out;
  }
  const intermediate = certKind === "vlek" ? trust.asvk : trust.ask;
  const rootSelf = await cachedSignature(trust.ark, trust.ark);
  if (!add("hardware.root", rootSelf.ok, "chain_broken", `pinned ARK-${product} is not self-signed: ${rootSelf.reason}`, { ark: trust.ark.sha256 })) return out;
  const mid = await cachedSignature(intermediate, trust.ark);
  if (!add("hardware.ask_chain", mid.ok, "chain_broken", mid.reason, { intermediate: intermediate.subjectCN, sha256: intermediate.sha256 })) return out;
  const leaf = await verifyCertificateSignature(endorsement, intermediate);
  // A VCEK that does not chain fails verification, but the remaining checks still run against it, so the
  // forensic view also says whether the report was signed by that key and matches its TCB and chip.
  if (add("hardware.vcek_chain", leaf.ok, "chain_broken", leaf.reason
    ? `${leaf.reason} (the ${certKind.toUpperCase()} must chain to the pinned ${intermediate.subjectCN})`
    : undefined, { certificate: endorsement.subjectCN, issuer: intermediate.subjectCN, product })) out.root = `amd-${product}`;

  // 5. Validity of every certificate at the verification time.
  const invalid = [trust.ark, intermediate, endorsement].map((c) => validAt(c, time)).filter((v) => !v.ok);
  add("hardware.cert_validity", invalid.length === 0, "certificate_invalid", invalid.map((v) => v.reason).join("; "), { time: time.toISOString() });

  // 5b. Revocation, when AMD CRLs are supplied (else no check, and hardware.revocation says "unchecked").
  const revocation = await checkSnpRevocation({ crls: input.crls ?? [], unreadable: input.unreadableCrls ?? [], ark: trust.ark, intermediate, endorsement, time });
  if (revocation) {
    checks.push(revocation.check);
    if (revocation.crl) out.crl = revocation.crl;
  }

  // 6. The report signature.
  const sig = await verifyReportSignature(report, endorsement);
  add("hardware.report_signature", sig.ok, "signature_failed", sig.reason);

  // 7. The endorsement certifies exactly the REPORTED_TCB.
  const reported = decodeTcb(report.reportedTcbRaw, product);
  const endorsed = endorsedTcb(endorsement, product);
  if ("problem" in endorsed) add("hardware.tcb", false, "certificate_invalid", endorsed.problem);
  else {
    const fields = (["fmc", "bootloader", "tee", "snp", "microcode"] as const).filter((f) => reported[f] !== endorsed.tcb[f]);
    const reserved = tcbReservedBits(report.reportedTcbRaw, product);
    let reason = "";
    if (fields.length > 0) reason = `REPORTED_TCB (${tcbText(reported)}) differs from the ${certKind.toUpperCase()}'s TCB extensions (${tcbText(endorsed.tcb)}) in ${fields.join(", ")}`;
    else if (reserved !== 0n) reason = `REPORTED_TCB has reserved bytes set (0x${report.reportedTcbRaw.toString(16).padStart(16, "0")})`;
    add("hardware.tcb", reason === "", "hardware_failed", reason, { reported: reported.raw, endorsed: endorsed.tcb.raw });
  }

  // 8. A VCEK is per chip: its hwID is the report's CHIP_ID (Turin: the first 8 bytes). A VLEK names a CSP instead.
  if (certKind === "vcek") {
    const hwid = endorsement.extensions.get(AMD_OID.hwid);
    const want = product === "turin" ? report.chipId.subarray(0, 8) : report.chipId;
    let reason = "";
    if (!hwid) reason = `${endorsement.subjectCN} has no hwID extension (${AMD_OID.hwid})`;
    else if (report.maskChipKey) reason = "report has MASK_CHIP_KEY set (CHIP_ID zeroed), so it cannot be tied to this VCEK";
    else if (!Buffer.from(hwid).equals(Buffer.from(want))) reason = `CHIP_ID ${toHex(want)} is not the VCEK hwID ${toHex(hwid)}`;
    add("hardware.chip_id", reason === "", "hardware_failed", reason);
  } else {
    const csp = extIA5String(endorsement.extensions.get(AMD_OID.cspId));
    add("hardware.chip_id", csp !== undefined && !endorsement.extensions.has(AMD_OID.hwid), "certificate_invalid",
      `VLEK ${endorsement.subjectCN} must carry a CSP_ID and no hwID`, csp ? { cspId: csp } : undefined);
  }

  // 9. Guests request reports at VMPL 0–3; anything else was not produced for a guest.
  add("hardware.vmpl", report.vmpl <= 3, "hardware_failed", `VMPL ${report.vmpl} is not a guest VMPL (0-3)`);
  return out;
}

/** The normalized hardware facts policies read for one SEV-SNP report. */
export function snpHardwareFacts(platform: TeePlatform, report: SnpReport, v: SnpVerification, checks: readonly Check[]): HardwareFacts {
  const product = v.product ?? (report.cpuid ? productFromCpuid(report.cpuid.family, report.cpuid.model) : undefined);
  const layout: AmdProduct = product ?? "milan";
  const tcb = {
    reported: decodeTcb(report.reportedTcbRaw, layout),
    committed: decodeTcb(report.committedTcbRaw, layout),
    current: decodeTcb(report.currentTcbRaw, layout),
    launch: decodeTcb(report.launchTcbRaw, layout),
  };
  const fields: Record<string, unknown> = {
    measurement: toHex(report.measurement),
    reportData: toHex(report.reportData),
    tcb,
    version: report.version,
    hostData: toHex(report.hostData),
    policy: report.policy,
    debug: report.policy.debug,
    vmpl: report.vmpl,
    guestSvn: report.guestSvn,
    familyId: toHex(report.familyId),
    imageId: toHex(report.imageId),
    idKeyDigest: toHex(report.idKeyDigest),
    authorKeyDigest: toHex(report.authorKeyDigest),
    authorKeyEn: report.authorKeyEn,
    reportId: toHex(report.reportId),
    reportIdMa: toHex(report.reportIdMa),
    platformInfo: report.platformInfo,
    chipId: toHex(report.chipId),
    maskChipKey: report.maskChipKey,
    currentVersion: report.currentVersion,
    committedVersion: report.committedVersion,
    signer: v.signer ?? signerKind(report),
  };
  if (product) fields.product = product;
  if (!product) fields.tcbLayout = "assumed milan/genoa (product unknown)";
  if (report.cpuid) fields.cpuid = report.cpuid;
  if (report.launchMitVector !== undefined) fields.launchMitVector = report.launchMitVector.toString(16).padStart(16, "0");
  if (report.currentMitVector !== undefined) fields.currentMitVector = report.currentMitVector.toString(16).padStart(16, "0");
  if (v.root) fields.root = v.root;
  // Chain revocation, as TDX: "checked" against a supplied ARK CRL, "failed", or "unchecked" (none supplied).
  const revocation = checks.find((c) => c.name === "hardware.revocation");
  fields.revocation = !revocation ? "unchecked" : revocation.ok ? "checked" : "failed";
  return buildHardwareFacts(platform, checks, fields);
}
