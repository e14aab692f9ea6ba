// Intel TDX quotes (v4, v5) as evidence kind "tdx-quote" (record kind "tee-report", hardware.platform "tdx").
//
// Public API for other kinds (Kettle builds on TDX call this):
//
//   verifyTdxQuote(bytes: Uint8Array, ctx: VerifyContext, options?: TdxVerifyOptions): TdxVerification
//     → { checks: Check[]; hardware: HardwareFacts; quote?: TdxQuote }
//   verifyParsedTdxQuote(quote: TdxQuote, ctx, options?)   the same for a quote already parsed
//
//   Never throws. A quote that does not parse gives one failed check `hardware.tdx_quote_parse` (code
//   `malformed`) and hardware.status "failed". Otherwise the checks, in order, are:
//     hardware.tdx_quote_signature      ECDSA P-256/SHA-256 over header (+ v5 body descriptor) + TD report body,
//                                       with the quote's attestation key
//     hardware.tdx_pck_chain            PCK leaf → Intel SGX PCK Platform/Processor CA → Intel SGX Root CA,
//                                       the root byte-identical to the pinned root, every cert valid at ctx.time
//     hardware.tdx_revocation           only when Intel CRLs are supplied (crl.ts): Root CA CRL and PCK CRL
//                                       signed by their issuers, current at ctx.time, listing neither the PCK
//                                       intermediate nor the leaf; hardware.revocation says checked/unchecked
//     hardware.tdx_qe_report_signature  QE report (384 bytes) signed by the PCK leaf (ECDSA P-256/SHA-256)
//     hardware.tdx_qe_report_data       QE REPORTDATA = sha256(attestation key ‖ QE auth data) ‖ 32 zero bytes
//     hardware.tdx_pck_extensions       FMSPC / PCE-ID / TCB read from the PCK leaf's SGX extensions
//     hardware.tdx_tcb_status           with no collateral: ok, TCB status "unchecked" (reported, not failed);
//                                       with collateral among ctx.files (TCB info + QE identity + issuer
//                                       chain, see collateral.ts): both verified to the pinned root at
//                                       ctx.time, then the TCB evaluated; fails when the collateral does not
//                                       verify or match, or the status is Revoked; hardware.tcb.status is
//                                       then Intel's status (UpToDate, OutOfDate, …) for policy to judge
//   Anything unforeseen ends in a failed `hardware.tdx_unexpected` check, never an exception.
//   hardware.reportData is the 64-byte REPORTDATA in hex (a 32-byte binding is its first 64 hex digits);
//   hardware.measurement is MRTD; hardware.root is "intel-sgx-root" when the chain verified.
//
// The pinned root is src/evidence/tee/roots/intel.ts. `options.roots` replaces it for tests with synthetic
// chains only; it is not reachable from user configuration.
import { createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { asTollgateError, TollgateError } from "../../../core/errors.ts";
import { bytesEqual, sha256Bytes, toHex } from "../../../core/digest.ts";
import type { Check, EvidenceKind, EvidenceRecord, HardwareFacts, SourceFile, VerifyContext } from "../../types.ts";
import { outcome, teeRecord } from "../common/facts.ts";
import { INTEL_SGX_ROOT_CA_PEM, INTEL_SGX_ROOT_NAME } from "../roots/intel.ts";
import { decodeBinaryEvidence, type BinaryEncoding } from "../common/encoding.ts";
import { looksLikeTdxQuote, parseTdxQuote, type TdxQuote } from "./quote.ts";
import { pckExtensions, type PckExtensions } from "./sgx-extensions.ts";
import { evaluateTdxCollateral, findTdxCollateral, hasCollateral } from "./collateral.ts";
import { checkRevocation, findIntelCrls } from "./crl.ts";
import type { Certificate } from "../common/x509.ts";
import { ecKeyOf, pemCertificates, pemToDer, verifyChain, type PinnedRoot } from "../common/x509chain.ts";

export { parseTdxQuote, looksLikeTdxQuote, type TdxQuote } from "./quote.ts";

export interface TdxVerifyOptions {
  /** Replaces the pinned Intel SGX Root CA (tests with synthetic chains only). */
  roots?: readonly PinnedRoot[];
}

export interface TdxVerification {
  checks: Check[];
  hardware: HardwareFacts;
  quote?: TdxQuote;
}

const PINNED_INTEL: readonly PinnedRoot[] = [{ name: INTEL_SGX_ROOT_NAME, der: pemToDer(INTEL_SGX_ROOT_CA_PEM) }];
const PCK_LEAF_CN = "Intel SGX PCK Certificate";
const PCK_CA_CNS: Record<string, "platform" | "processor"> = {
  "Intel SGX PCK Platform CA": "platform",
  "Intel SGX PCK Processor CA": "processor",
};

function b64url(b: Uint8Array): string {
  return Buffer.from(b).toString("base64url");
}

/** A raw x‖y P-256 point as a KeyObject; throws when it is not on the curve. */
function p256Key(xy: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64url(xy.subarray(0, 32)), y: b64url(xy.subarray(32, 64)) }, format: "jwk" });
}

function ecdsaP256Verify(key: KeyObject, data: Uint8Array, rs: Uint8Array): boolean {
  try {
    return cryptoVerify("sha256", data, { key, dsaEncoding: "ieee-p1363" }, rs);
  } catch {
    return false;
  }
}

/** Files among ctx.files that are TDX collateral (TCB info, QE identity, their issuer chain). */
export function tdxCollateralFiles(files: readonly SourceFile[]): string[] {
  const { crls, unreadable } = findIntelCrls(files);
  const crlFiles = [...crls, ...unreadable].map((c) => c.path.replace(/#(?:root_ca_crl|pck_crl)$/, ""));
  return [...new Set([...findTdxCollateral(files).paths, ...crlFiles])];
}

function failedHardware(reason: string): HardwareFacts {
  return { platform: "tdx", status: "failed", reason };
}

/** Verify a raw TDX quote. See the header of this file for the checks; never throws. */
export function verifyTdxQuote(bytes: Uint8Array, ctx: VerifyContext, options: TdxVerifyOptions = {}): TdxVerification {
  let quote: TdxQuote;
  try {
    quote = parseTdxQuote(bytes);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return { checks: [{ name: "hardware.tdx_quote_parse", ok: false, code: "malformed", reason }], hardware: failedHardware(reason) };
  }
  return verifyParsedTdxQuote(quote, ctx, options);
}

export function verifyParsedTdxQuote(quote: TdxQuote, ctx: VerifyContext, options: TdxVerifyOptions = {}): TdxVerification {
  const checks: Check[] = [];
  try {
    runTdxChecks(quote, ctx, options, checks);
  } catch (e) {
    // Fail closed on anything unforeseen (a certificate node cannot decode, …): never a thrown verification.
    checks.push({ name: "hardware.tdx_unexpected", ok: false, code: "hardware_failed", reason: `TDX verification stopped: ${e instanceof Error ? e.message : String(e)}` });
  }
  return { checks, hardware: tdxHardwareFacts(quote, checks), quote };
}

function runTdxChecks(quote: TdxQuote, ctx: VerifyContext, options: TdxVerifyOptions, checks: Check[]): void {

  // 1. Quote signature with the attestation key carried in the quote (bound to the PCK by the QE report, step 4).
  try {
    const ak = p256Key(quote.attestationKey);
    const ok = ecdsaP256Verify(ak, quote.signedRegion, quote.signature);
    checks.push(
      ok
        ? { name: "hardware.tdx_quote_signature", ok: true }
        : {
            name: "hardware.tdx_quote_signature",
            ok: false,
            code: "signature_failed",
            reason: `TDX quote signature does not verify over the quote header and TD report body (${quote.signedRegion.length} bytes) with the attestation key`,
          },
    );
  } catch {
    checks.push({ name: "hardware.tdx_quote_signature", ok: false, code: "signature_failed", reason: "attestation key in the quote is not a valid P-256 public key (point not on the curve)" });
  }

  // 2. PCK certificate chain to the pinned Intel SGX Root CA.
  const ders = pemCertificates(quote.pckChainPem);
  let verifiedChain: Certificate[] = [];
  let leaf: Certificate | undefined;
  let pckCa: "platform" | "processor" | undefined;
  if (ders.length !== 3) {
    checks.push({
      name: "hardware.tdx_pck_chain",
      ok: false,
      code: "chain_broken",
      reason: `PCK certificate chain has ${ders.length} PEM certificate(s); expected 3 (PCK leaf, PCK Platform/Processor CA, Intel SGX Root CA)`,
    });
  } else {
    const res = verifyChain(
      [
        { role: "PCK leaf", der: ders[0]! },
        { role: "PCK intermediate CA", der: ders[1]! },
        { role: "root", der: ders[2]! },
      ],
      options.roots ?? PINNED_INTEL,
      ctx.time,
    );
    leaf = res.certs?.[0];
    const leafCn = leaf?.subjectCN;
    const caCn = res.certs?.[1]?.subjectCN;
    pckCa = caCn ? PCK_CA_CNS[caCn] : undefined;
    if (!res.ok) {
      checks.push({ name: "hardware.tdx_pck_chain", ok: false, code: res.failure!.code, reason: `PCK chain: ${res.failure!.reason}`, ...(res.failure!.detail ? { detail: res.failure!.detail } : {}) });
    } else if (leafCn !== PCK_LEAF_CN) {
      checks.push({ name: "hardware.tdx_pck_chain", ok: false, code: "certificate_invalid", reason: `PCK leaf common name is "${leafCn ?? ""}", not "${PCK_LEAF_CN}"` });
    } else if (!pckCa) {
      checks.push({ name: "hardware.tdx_pck_chain", ok: false, code: "certificate_invalid", reason: `PCK intermediate common name is "${caCn ?? ""}", not "Intel SGX PCK Platform CA" or "Intel SGX PCK Processor CA"` });
    } else {
      checks.push({ name: "hardware.tdx_pck_chain", ok: true, detail: { root: res.root, ca: pckCa, leaf: leaf!.subject, issuer: res.certs![1]!.subject } });
      verifiedChain = res.certs!;
    }
  }

  // 2b. Revocation, when Intel CRLs are supplied (else reported as unchecked).
  const revocation = checkRevocation(findIntelCrls(ctx.files), verifiedChain, ctx.time);
  if (revocation) checks.push(revocation);

  // 3. QE report signed by the PCK leaf (only meaningful when the leaf parsed; the chain check says why not).
  const leafKey = leaf && ecKeyOf(leaf, "prime256v1");
  if (!leaf) {
    checks.push({ name: "hardware.tdx_qe_report_signature", ok: false, code: "chain_broken", reason: "no parsable PCK leaf certificate to verify the QE report signature with" });
  } else if (!leafKey) {
    checks.push({ name: "hardware.tdx_qe_report_signature", ok: false, code: "certificate_invalid", reason: "PCK leaf key is not a decodable ECDSA P-256 key" });
  } else if (!ecdsaP256Verify(leafKey, quote.qeReportBytes, quote.qeReportSignature)) {
    checks.push({ name: "hardware.tdx_qe_report_signature", ok: false, code: "signature_failed", reason: "QE report signature does not verify with the PCK leaf certificate's key" });
  } else {
    checks.push({ name: "hardware.tdx_qe_report_signature", ok: true });
  }

  // 4. The QE report binds the attestation key: REPORTDATA = sha256(attestation key ‖ QE auth data) ‖ 0^32.
  const expected = sha256Bytes(Buffer.concat([quote.attestationKey, quote.qeAuthData]));
  const rd = quote.qeReport.reportData;
  if (!bytesEqual(rd.subarray(0, 32), expected)) {
    checks.push({
      name: "hardware.tdx_qe_report_data",
      ok: false,
      code: "binding_failed",
      reason: `QE report data[0..32] ${toHex(rd.subarray(0, 32))} is not sha256(attestation key ‖ QE auth data) ${toHex(expected)}`,
    });
  } else if (!rd.subarray(32, 64).every((b) => b === 0)) {
    checks.push({ name: "hardware.tdx_qe_report_data", ok: false, code: "binding_failed", reason: `QE report data[32..64] is not all zero: ${toHex(rd.subarray(32, 64))}` });
  } else {
    checks.push({ name: "hardware.tdx_qe_report_data", ok: true });
  }

  // 5. Platform identity from the PCK leaf's SGX extensions.
  let ext: PckExtensions | undefined;
  if (leaf) {
    try {
      ext = pckExtensions(leaf.der);
      checks.push(
        ext
          ? { name: "hardware.tdx_pck_extensions", ok: true, detail: { ...ext } }
          : { name: "hardware.tdx_pck_extensions", ok: false, code: "certificate_invalid", reason: "PCK leaf has no SGX extensions (OID 1.2.840.113741.1.13.1)" },
      );
    } catch (e) {
      checks.push({ name: "hardware.tdx_pck_extensions", ok: false, code: "certificate_invalid", reason: `PCK leaf SGX extensions are malformed: ${e instanceof Error ? e.message : String(e)}` });
    }
  } else {
    checks.push({ name: "hardware.tdx_pck_extensions", ok: false, code: "chain_broken", reason: "no parsable PCK leaf certificate to read SGX extensions from" });
  }

  // 6. TCB status: evaluated against supplied collateral (verified first), else reported as unchecked.
  const collateral = findTdxCollateral(ctx.files);
  if (hasCollateral(collateral)) {
    checks.push(evaluateTdxCollateral(collateral, quote, ext, options.roots ?? PINNED_INTEL, ctx.time).check);
  } else {
    checks.push({ name: "hardware.tdx_tcb_status", ok: true, detail: { status: "unchecked", why: "no TCB info / QE identity collateral supplied; TCB status not evaluated" } });
  }
}

/**
 * Pure: the hardware facts of a quote given the checks that ran on it (chain and extension details are read
 * from the checks, so normalize() needs no crypto).
 */
export function tdxHardwareFacts(quote: TdxQuote, checks: readonly Check[]): HardwareFacts {
  const verdict = outcome(checks);
  const chain = checks.find((c) => c.name === "hardware.tdx_pck_chain" && c.ok)?.detail as
    | { root: string; ca: string; leaf: string; issuer: string }
    | undefined;
  const ext = checks.find((c) => c.name === "hardware.tdx_pck_extensions" && c.ok)?.detail as PckExtensions | undefined;
  const tcbCheck = checks.find((c) => c.name === "hardware.tdx_tcb_status");
  // Unchecked (no collateral), an Intel TCB status (collateral verified), or "invalid" (collateral failed).
  const tcbEval: Record<string, unknown> = !tcbCheck
    ? { status: "unchecked", reason: "TCB status not evaluated" }
    : tcbCheck.ok && tcbCheck.detail?.["status"] === "unchecked"
      ? { status: "unchecked", reason: tcbCheck.detail["why"] }
      : tcbCheck.ok
        ? { ...tcbCheck.detail, evaluated: true }
        : { status: "invalid", reason: tcbCheck.reason, evaluated: false };
  const revocationCheck = checks.find((c) => c.name === "hardware.tdx_revocation");
  const b = quote.body;
  return {
    platform: "tdx",
    status: verdict.ok ? "verified" : "failed",
    ...(verdict.ok ? {} : { reason: verdict.reason }),
    measurement: b.mrTd,
    reportData: b.reportData,
    tcb: {
      ...tcbEval,
      teeTcbSvn: b.teeTcbSvn,
      // The 16 TEE_TCB_SVN bytes as numbers, so policies can compare minimum SVNs component-wise.
      teeTcbSvnComponents: [...Buffer.from(b.teeTcbSvn, "hex")],
      ...(b.teeTcbSvn2 !== undefined ? { teeTcbSvn2: b.teeTcbSvn2 } : {}),
      pceSvn: quote.header.pceSvn,
      qeSvn: quote.header.qeSvn,
      ...(ext ? { fmspc: ext.fmspc, pceId: ext.pceId } : {}),
      ...(ext?.pceSvn !== undefined ? { pckPceSvn: ext.pceSvn } : {}),
      ...(ext?.cpuSvn !== undefined ? { pckCpuSvn: ext.cpuSvn } : {}),
    },
    ...(chain && verdict.ok ? { root: chain.root } : {}),
    // PCK chain revocation: "checked" against supplied Intel CRLs, "failed", or "unchecked" (none supplied).
    revocation: !revocationCheck ? "unchecked" : revocationCheck.ok ? "checked" : "failed",
    quoteVersion: quote.header.version,
    bodyLayout: b.layout,
    mrTd: b.mrTd,
    rtmrs: [...b.rtmrs],
    mrSeam: b.mrSeam,
    mrSignerSeam: b.mrSignerSeam,
    seamAttributes: b.seamAttributes,
    tdAttributes: b.tdAttributes,
    debug: quote.debug,
    septVeDisable: quote.septVeDisable,
    xfam: b.xfam,
    mrConfigId: b.mrConfigId,
    mrOwner: b.mrOwner,
    mrOwnerConfig: b.mrOwnerConfig,
    ...(b.mrServiceTd !== undefined ? { mrServiceTd: b.mrServiceTd } : {}),
    qe: {
      mrEnclave: quote.qeReport.mrEnclave,
      mrSigner: quote.qeReport.mrSigner,
      isvProdId: quote.qeReport.isvProdId,
      isvSvn: quote.qeReport.isvSvn,
      vendorId: quote.header.qeVendorId,
    },
    ...(chain ? { pck: { subject: chain.leaf, issuer: chain.issuer, ca: chain.ca } } : {}),
  };
}


// ---- the evidence kind ----

export interface ParsedTdxQuote {
  quote: TdxQuote;
  encoding: BinaryEncoding;
}

/** The kind, with the trust anchors fixed at construction (the registered kind pins Intel's root). */
export function makeTdxQuoteKind(options: TdxVerifyOptions = {}): EvidenceKind<ParsedTdxQuote> {
  return {
    name: "tdx-quote",
    detect(file) {
      return decodeBinaryEvidence(file, looksLikeTdxQuote) !== undefined;
    },
    parse(file) {
      const decoded = decodeBinaryEvidence(file, looksLikeTdxQuote);
      if (!decoded) throw new TollgateError("malformed", "not a TDX quote (version 4/5, ECDSA P-256, TEE type 0x81)", file.path);
      try {
        return { quote: parseTdxQuote(decoded.bytes), encoding: decoded.encoding };
      } catch (e) {
        throw asTollgateError(e, file.path, "malformed");
      }
    },
    async verify(parsed, _file, ctx) {
      return verifyParsedTdxQuote(parsed.quote, ctx, options).checks;
    },
    normalize(parsed, checks, file) {
      return [tdxRecord(parsed, checks, file)];
    },
    materials(_file, all) {
      return tdxCollateralFiles(all);
    },
  };
}

function tdxRecord(parsed: ParsedTdxQuote, checks: Check[], file: SourceFile): EvidenceRecord {
  const q = parsed.quote;
  const hardware = tdxHardwareFacts(q, checks);
  return teeRecord({
    file,
    format: `tdx-quote-v${q.header.version}${parsed.encoding === "raw" ? "" : `+${parsed.encoding}`}`,
    checks,
    hardware,
    facts: {
      platform: "tdx",
      quoteVersion: q.header.version,
      bodyLayout: q.body.layout,
      mrTd: q.body.mrTd,
      rtmrs: [...q.body.rtmrs],
      reportData: q.body.reportData,
      teeTcbSvn: q.body.teeTcbSvn,
      mrSeam: q.body.mrSeam,
      mrConfigId: q.body.mrConfigId,
      mrOwner: q.body.mrOwner,
      mrOwnerConfig: q.body.mrOwnerConfig,
      tdAttributes: q.body.tdAttributes,
      debug: q.debug,
      ...(hardware.tcb?.["fmspc"] !== undefined ? { fmspc: hardware.tcb["fmspc"] } : {}),
      ...(hardware.root !== undefined ? { root: hardware.root } : {}),
      tcbStatus: hardware.tcb?.["status"],
    },
  });
}

export const tdxQuoteKind: EvidenceKind<ParsedTdxQuote> = makeTdxQuoteKind();
