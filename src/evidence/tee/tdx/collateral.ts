// Intel PCS collateral for TDX quotes: TCB info (v3, id "TDX") and QE identity (v2/v3, id "TD_QE"), each
// signed (ECDSA P-256/SHA-256, r‖s hex) by the "Intel SGX TCB Signing" certificate, which chains to the pinned
// Intel SGX Root CA. Evaluation follows Intel's QVL as implemented by Phala-Network/dcap-qvl (verify.rs) and
// google/go-tdx-guest (verify.go):
//   platform TCB level = first tcbLevels entry with every sgxtcbcomponents[i].svn ≤ PCK CPUSVN[i],
//     pcesvn ≤ PCK PCESVN and every tdxtcbcomponents[i].svn ≤ TEE_TCB_SVN[i] (i ≥ 2 when TEE_TCB_SVN[1] > 0:
//     bytes 0–1 are then the module's, as Intel's QVL TcbLevelCheck.cpp skips them);
//   TDX module: TEE_TCB_SVN[1] > 0 selects tdxModuleIdentities "TDX_<hex>" (absent → failure), else tdxModule; its mrsigner must
//     equal MRSIGNERSEAM, SEAMATTRIBUTES must match under attributesMask; an identity's tcbLevels give a module
//     status by ISVSVN = TEE_TCB_SVN[0];
//   QE: MRSIGNER, ISVPRODID, MISCSELECT and ATTRIBUTES (masked) must match; QE status by ISVSVN;
//   final status = worst of platform, module and QE (QE OutOfDate + platform Configuration* →
//     OutOfDateConfigurationNeeded, as Intel's convergeTcbStatusWithQeTcbStatus does).
// Accepted inputs (any of ctx.files):
//   - Intel PCS response bodies: {"tcbInfo": {…}, "signature": "<hex>"} and {"enclaveIdentity": {…}, …}, plus
//     a PEM file holding the issuer chain (the TCB-Info-Issuer-Chain / SGX-Enclave-Identity-Issuer-Chain
//     header, URL-decoded or not). The signed bytes are the compact serialization of the tcbInfo /
//     enclaveIdentity value in its own key order (what Intel's QVL verifies).
//   - dcap-qvl's QuoteCollateralV3 JSON: tcb_info / qe_identity as the signed strings, *_signature hex,
//     *_issuer_chain PEM.
// CRLs (PCK CRL, Root CA CRL) are crl.ts's: revocation of the PCK chain is a separate check.
import { verify as cryptoVerify } from "node:crypto";
import type { Check, SourceFile } from "../../types.ts";
import type { TdxQuote } from "./quote.ts";
import type { PckExtensions } from "./sgx-extensions.ts";
import { tryParseCertificate } from "../common/x509.ts";
import { ecKeyOf, pemCertificates, verifyChain, type PinnedRoot } from "../common/x509chain.ts";

export const TCB_STATUSES = [
  "UpToDate",
  "SWHardeningNeeded",
  "ConfigurationNeeded",
  "ConfigurationAndSWHardeningNeeded",
  "OutOfDate",
  "OutOfDateConfigurationNeeded",
  "Revoked",
] as const;
export type TcbStatus = (typeof TCB_STATUSES)[number];

interface SignedJson {
  /** The exact bytes the signature covers. */
  text: string;
  value: Record<string, unknown>;
  signature: string;
  /** Issuer chain PEM, when the collateral carries it inline (dcap-qvl format). */
  chainPem?: string;
  path: string;
}

export interface TdxCollateral {
  /** One per platform (FMSPC); the quote's PCK FMSPC picks one. */
  tcbInfos: SignedJson[];
  qeIdentity?: SignedJson;
  /** Issuer chain PEM files found beside (PCS format). */
  chainPems: { path: string; pem: string }[];
  paths: string[];
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function parseJsonText(text: string): Record<string, unknown> | undefined {
  try {
    return obj(JSON.parse(text));
  } catch {
    return undefined;
  }
}

const TCB_SIGNING_CN = "Intel SGX TCB Signing";

function isTcbSigningChain(text: string): boolean {
  return pemCertificates(text).some((der) => tryParseCertificate(der)?.subjectCN === TCB_SIGNING_CN);
}

// Intel serves the issuer chain in an HTTP header, URL-encoded ("-----BEGIN%20CERTIFICATE-----%0A…").
const URL_ENCODED_PEM = /(?:-----|%2D%2D%2D%2D%2D)BEGIN%20CERTIFICATE/i;

function decodeMaybeUrlEncoded(text: string): string {
  if (!URL_ENCODED_PEM.test(text)) return text;
  try {
    return decodeURIComponent(text.trim());
  } catch {
    return text;
  }
}

/** A PCS response body ({"tcbInfo"|"enclaveIdentity": {…}, "signature": hex}) whose document has this id. */
function pcsDocument(j: Record<string, unknown>, key: "tcbInfo" | "enclaveIdentity", id: string, path: string): SignedJson | undefined {
  const value = obj(j[key]);
  const signature = j["signature"];
  return value?.["id"] === id && typeof signature === "string" ? { text: JSON.stringify(value), value, signature, path } : undefined;
}

/** One signed document of a dcap-qvl QuoteCollateralV3 ("<key>" JSON text, "<key>_signature", "<key>_issuer_chain"). */
function dcapDocument(j: Record<string, unknown>, key: "tcb_info" | "qe_identity", id: string, path: string): SignedJson | undefined {
  const text = String(j[key]);
  const value = parseJsonText(text);
  if (value?.["id"] !== id) return undefined;
  return { text, value, signature: String(j[`${key}_signature`] ?? ""), chainPem: String(j[`${key}_issuer_chain`] ?? ""), path };
}

/** Pick the collateral pieces out of the invocation's files (pure; nothing is trusted here). */
export function findTdxCollateral(files: readonly SourceFile[]): TdxCollateral {
  const out: TdxCollateral = { tcbInfos: [], chainPems: [], paths: [] };
  for (const f of files) {
    const j = obj(f.json());
    if (j) {
      // A PCS body holds one document; a dcap-qvl collateral both.
      let tcb = pcsDocument(j, "tcbInfo", "TDX", f.path);
      let qe = tcb ? undefined : pcsDocument(j, "enclaveIdentity", "TD_QE", f.path);
      if (!tcb && !qe && typeof j["tcb_info"] === "string" && typeof j["qe_identity"] === "string") {
        tcb = dcapDocument(j, "tcb_info", "TDX", f.path);
        qe = dcapDocument(j, "qe_identity", "TD_QE", f.path);
      }
      if (tcb) out.tcbInfos.push(tcb);
      if (qe) out.qeIdentity ??= qe;
      if (tcb || qe) out.paths.push(f.path);
      continue;
    }
    const text = f.text();
    if (text && (text.includes("-----BEGIN CERTIFICATE-----") || URL_ENCODED_PEM.test(text))) {
      const pem = decodeMaybeUrlEncoded(text);
      if (isTcbSigningChain(pem)) {
        out.chainPems.push({ path: f.path, pem });
        out.paths.push(f.path);
      }
    }
  }
  return out;
}

export function hasCollateral(c: TdxCollateral): boolean {
  return c.tcbInfos.length > 0 || c.qeIdentity !== undefined;
}

// ---- helpers ----

function hexBytes(v: unknown, what: string, len?: number): Uint8Array {
  if (typeof v !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(v)) throw new CollateralError(`${what} is not a hex string`);
  const b = new Uint8Array(Buffer.from(v, "hex"));
  if (len !== undefined && b.length !== len) throw new CollateralError(`${what} is ${b.length} bytes, expected ${len}`);
  return b;
}

class CollateralError extends Error {}

function statusOf(v: unknown, what: string): TcbStatus {
  if (typeof v === "string" && (TCB_STATUSES as readonly string[]).includes(v)) return v as TcbStatus;
  throw new CollateralError(`${what} has unknown tcbStatus ${JSON.stringify(v)}`);
}

const severity = (s: TcbStatus) => TCB_STATUSES.indexOf(s);

/** Intel's convergence of a platform status with a QE (or module) status. */
export function convergeTcbStatus(platform: TcbStatus, other: TcbStatus): TcbStatus {
  if (other === "OutOfDate" && (platform === "ConfigurationNeeded" || platform === "ConfigurationAndSWHardeningNeeded")) {
    return "OutOfDateConfigurationNeeded";
  }
  return severity(other) > severity(platform) ? other : platform;
}

function dateOf(v: unknown, what: string): Date {
  const d = typeof v === "string" ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new CollateralError(`${what} is not an RFC 3339 date`);
  return d;
}

function hexUpper(b: Uint8Array): string {
  return Buffer.from(b).toString("hex").toUpperCase();
}

/** Verify one signed collateral document: issuer chain to the pinned root, signature, validity window. */
function verifySigned(
  doc: SignedJson,
  what: "TCB info" | "QE identity",
  chainPems: readonly { path: string; pem: string }[],
  roots: readonly PinnedRoot[],
  time: Date,
): string | undefined {
  const pem = doc.chainPem || chainPems[0]?.pem;
  if (!pem) return `${what} (${doc.path}) is supplied without its issuer chain (the "Intel SGX TCB Signing" certificate and the root)`;
  const ders = pemCertificates(pem);
  if (ders.length < 2) return `${what} issuer chain has ${ders.length} certificate(s); expected the TCB signing certificate and the root`;
  const chain = verifyChain(
    ders.map((der, i) => ({ role: i === 0 ? `${what} signing` : i === ders.length - 1 ? "root" : `${what} intermediate ${i}`, der })),
    roots,
    time,
  );
  if (!chain.ok) return `${what} issuer chain: ${chain.failure!.reason}`;
  const signer = chain.certs![0]!;
  if (signer.subjectCN !== TCB_SIGNING_CN) return `${what} signing certificate is "${signer.subjectCN ?? ""}", not "${TCB_SIGNING_CN}"`;
  let sig: Uint8Array;
  try {
    sig = hexBytes(doc.signature, `${what} signature`, 64);
  } catch (e) {
    return (e as Error).message;
  }
  let ok = false;
  try {
    const key = ecKeyOf(signer, "prime256v1");
    ok = key !== undefined && cryptoVerify("sha256", new TextEncoder().encode(doc.text), { key, dsaEncoding: "ieee-p1363" }, sig);
  } catch {
    ok = false;
  }
  if (!ok) return `${what} signature does not verify with the "${TCB_SIGNING_CN}" key over the ${what} body (${doc.path})`;
  const issue = doc.value["issueDate"];
  const next = doc.value["nextUpdate"];
  try {
    const from = dateOf(issue, `${what} issueDate`);
    const to = dateOf(next, `${what} nextUpdate`);
    if (time < from) return `${what} issueDate ${String(issue)} is after the verification time ${time.toISOString()}`;
    if (time > to) return `${what} expired: nextUpdate ${String(next)} is before the verification time ${time.toISOString()}`;
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

export interface TcbEvaluation {
  status: TcbStatus;
  platformStatus: TcbStatus;
  qeStatus: TcbStatus;
  moduleStatus?: TcbStatus;
  advisoryIds: string[];
  tcbDate?: string;
  tcbEvaluationDataNumber?: number;
  tcbInfoIssueDate?: string;
  tcbInfoNextUpdate?: string;
  moduleIdentity?: string;
}

interface Level {
  tcb: Record<string, unknown>;
  tcbStatus: TcbStatus;
  tcbDate?: string;
  advisoryIDs: string[];
}

function levels(v: unknown, what: string): Level[] {
  if (!Array.isArray(v) || v.length === 0) throw new CollateralError(`${what} has no tcbLevels`);
  return v.map((l, i) => {
    const o = obj(l);
    const tcb = obj(o?.["tcb"]);
    if (!o || !tcb) throw new CollateralError(`${what} tcbLevels[${i}] is not an object with a tcb`);
    const adv = Array.isArray(o["advisoryIDs"]) ? (o["advisoryIDs"] as unknown[]).filter((x): x is string => typeof x === "string") : [];
    return { tcb, tcbStatus: statusOf(o["tcbStatus"], `${what} tcbLevels[${i}]`), ...(typeof o["tcbDate"] === "string" ? { tcbDate: o["tcbDate"] } : {}), advisoryIDs: adv };
  });
}

function svns(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || v.length !== 16) throw new CollateralError(`${what} is not 16 components`);
  return v.map((c, i) => {
    const s = obj(c)?.["svn"];
    if (typeof s !== "number") throw new CollateralError(`${what}[${i}].svn is not a number`);
    return s;
  });
}

function evaluateModule(tcbInfo: Record<string, unknown>, quote: TdxQuote): { status?: TcbStatus; advisories: string[]; identity?: string } {
  const teeTcbSvn = Buffer.from(quote.body.teeTcbSvn, "hex");
  const moduleIsvSvn = teeTcbSvn[0]!;
  const moduleVersion = teeTcbSvn[1]!;
  const base = obj(tcbInfo["tdxModule"]);
  if (!base) throw new CollateralError("TCB info has no tdxModule");
  let expected = base;
  let identityLevels: Level[] | undefined;
  let identity: string | undefined;
  const identities = Array.isArray(tcbInfo["tdxModuleIdentities"]) ? (tcbInfo["tdxModuleIdentities"] as unknown[]) : [];
  if (moduleVersion > 0) {
    // QVL TdxModuleCheck.cpp: a non-zero module version must have its TDX_<version> identity (else "TDX module
    // mismatch"); only version 0 is judged by the base tdxModule alone.
    identity = `TDX_${moduleVersion.toString(16).toUpperCase().padStart(2, "0")}`;
    const found = identities.map(obj).find((m) => typeof m?.["id"] === "string" && (m["id"] as string).toUpperCase() === identity);
    if (!found) throw new CollateralError(`TCB info has no TDX module identity ${identity} (TEE_TCB_SVN[1] = ${moduleVersion})`);
    expected = found;
    identityLevels = levels(found["tcbLevels"], `TDX module identity ${identity}`);
  }
  const mrsigner = hexBytes(expected["mrsigner"], "TDX module mrsigner", 48);
  const seamSigner = Buffer.from(quote.body.mrSignerSeam, "hex");
  if (!Buffer.from(mrsigner).equals(seamSigner)) {
    throw new CollateralError(`MRSIGNERSEAM ${hexUpper(seamSigner)} is not the TDX module mrsigner ${hexUpper(mrsigner)} in the TCB info`);
  }
  const attrs = hexBytes(expected["attributes"], "TDX module attributes", 8);
  const mask = hexBytes(expected["attributesMask"], "TDX module attributesMask", 8);
  const seamAttrs = Buffer.from(quote.body.seamAttributes, "hex");
  for (let i = 0; i < 8; i++) {
    if ((seamAttrs[i]! & mask[i]!) !== (attrs[i]! & mask[i]!)) {
      throw new CollateralError(`SEAMATTRIBUTES ${hexUpper(seamAttrs)} do not match the TDX module attributes ${hexUpper(attrs)} under mask ${hexUpper(mask)}`);
    }
  }
  if (!identityLevels) return { advisories: [] };
  const lvl = identityLevels.find((l) => typeof l.tcb["isvsvn"] === "number" && moduleIsvSvn >= (l.tcb["isvsvn"] as number));
  if (!lvl) throw new CollateralError(`TDX module ISVSVN ${moduleIsvSvn} is below every TCB level of ${identity}`);
  return { status: lvl.tcbStatus, advisories: lvl.advisoryIDs, ...(identity ? { identity } : {}) };
}

function evaluateQe(qeIdentity: Record<string, unknown>, quote: TdxQuote): { status: TcbStatus; advisories: string[] } {
  const qe = quote.qeReport;
  const mrsigner = hexBytes(qeIdentity["mrsigner"], "QE identity mrsigner", 32);
  if (Buffer.from(mrsigner).toString("hex") !== qe.mrSigner) throw new CollateralError(`QE MRSIGNER ${qe.mrSigner.toUpperCase()} is not the QE identity's ${hexUpper(mrsigner)}`);
  if (qeIdentity["isvprodid"] !== qe.isvProdId) throw new CollateralError(`QE ISVPRODID ${qe.isvProdId} is not the QE identity's ${String(qeIdentity["isvprodid"])}`);
  const misc = Buffer.from(hexBytes(qeIdentity["miscselect"], "QE identity miscselect", 4)).readUInt32LE(0);
  const miscMask = Buffer.from(hexBytes(qeIdentity["miscselectMask"], "QE identity miscselectMask", 4)).readUInt32LE(0);
  if (((qe.miscSelect & miscMask) >>> 0) !== ((misc & miscMask) >>> 0)) {
    throw new CollateralError(`QE MISCSELECT ${qe.miscSelect.toString(16)} does not match the QE identity under its mask`);
  }
  const attrs = hexBytes(qeIdentity["attributes"], "QE identity attributes", 16);
  const mask = hexBytes(qeIdentity["attributesMask"], "QE identity attributesMask", 16);
  const qeAttrs = Buffer.from(qe.attributes, "hex");
  for (let i = 0; i < 16; i++) {
    if ((qeAttrs[i]! & mask[i]!) !== (attrs[i]! & mask[i]!)) throw new CollateralError(`QE ATTRIBUTES ${hexUpper(qeAttrs)} do not match the QE identity's under its mask`);
  }
  const lv = levels(qeIdentity["tcbLevels"], "QE identity");
  const lvl = lv.find((l) => typeof l.tcb["isvsvn"] === "number" && qe.isvSvn >= (l.tcb["isvsvn"] as number));
  if (!lvl) throw new CollateralError(`QE ISVSVN ${qe.isvSvn} is below every QE identity TCB level`);
  return { status: lvl.tcbStatus, advisories: lvl.advisoryIDs };
}

function evaluatePlatform(tcbInfo: Record<string, unknown>, quote: TdxQuote, pck: PckExtensions): Level {
  if (!pck.sgxTcbComponents || pck.pceSvn === undefined) throw new CollateralError("PCK leaf lacks the TCB components or PCESVN needed to match a TCB level");
  const tee = [...Buffer.from(quote.body.teeTcbSvn, "hex")];
  // As Intel's QVL (TcbLevelCheck.cpp isTdxTcbHigherOrEqual): when TEE_TCB_SVN[1] (the TDX module major
  // version) is not 0, bytes 0 and 1 belong to the module and are judged by its identity, not the TCB levels.
  const from = tee[1]! > 0 ? 2 : 0;
  for (const [i, l] of levels(tcbInfo["tcbLevels"], "TCB info").entries()) {
    const sgx = svns(l.tcb["sgxtcbcomponents"], `TCB info tcbLevels[${i}].sgxtcbcomponents`);
    const tdx = svns(l.tcb["tdxtcbcomponents"], `TCB info tcbLevels[${i}].tdxtcbcomponents`);
    const pce = l.tcb["pcesvn"];
    if (typeof pce !== "number") throw new CollateralError(`TCB info tcbLevels[${i}].pcesvn is not a number`);
    if (pck.pceSvn < pce) continue;
    if (sgx.some((s, k) => pck.sgxTcbComponents![k]! < s)) continue;
    if (tdx.some((s, k) => k >= from && tee[k]! < s)) continue;
    return l;
  }
  throw new CollateralError(
    `no TCB level in the TCB info matches the platform (PCK CPUSVN components ${pck.sgxTcbComponents.join(",")}, PCESVN ${pck.pceSvn}, TEE_TCB_SVN ${quote.body.teeTcbSvn})`,
  );
}

/**
 * Verify supplied collateral and evaluate the quote's TCB. Returns the `hardware.tdx_tcb_status` check and,
 * when it passed, the evaluation. `pck` is the PCK leaf's SGX extensions (from the verified chain).
 */
export function evaluateTdxCollateral(
  collateral: TdxCollateral,
  quote: TdxQuote,
  pck: PckExtensions | undefined,
  roots: readonly PinnedRoot[],
  time: Date,
): { check: Check; evaluation?: TcbEvaluation } {
  const fail = (reason: string): { check: Check } => ({ check: { name: "hardware.tdx_tcb_status", ok: false, code: "hardware_failed", reason, detail: { collateral: collateral.paths } } });
  if (collateral.tcbInfos.length === 0) return fail(`QE identity collateral (${collateral.qeIdentity!.path}) is supplied without the TDX TCB info`);
  if (!collateral.qeIdentity) return fail(`TCB info collateral (${collateral.tcbInfos[0]!.path}) is supplied without the TD_QE identity`);
  if (!pck) return fail("the PCK leaf's SGX extensions are unavailable, so the platform TCB cannot be matched");
  // The TCB info for this platform; the FMSPC is checked again after its signature verified.
  const fmspcOf = (d: SignedJson) => String(d.value["fmspc"] ?? "").toLowerCase();
  const signedTcb = collateral.tcbInfos.find((d) => fmspcOf(d) === pck.fmspc) ?? collateral.tcbInfos[0]!;
  const bad = verifySigned(signedTcb, "TCB info", collateral.chainPems, roots, time) ?? verifySigned(collateral.qeIdentity, "QE identity", collateral.chainPems, roots, time);
  if (bad) return fail(bad);
  const tcbInfo = signedTcb.value;
  const qeIdentity = collateral.qeIdentity.value;
  try {
    if (tcbInfo["version"] !== 3) throw new CollateralError(`TCB info version ${String(tcbInfo["version"])} is not 3`);
    if (qeIdentity["version"] !== 2 && qeIdentity["version"] !== 3) throw new CollateralError(`QE identity version ${String(qeIdentity["version"])} is not 2 or 3`);
    const fmspc = String(tcbInfo["fmspc"] ?? "").toLowerCase();
    if (fmspc !== pck.fmspc) {
      throw new CollateralError(`no TCB info for the PCK certificate's FMSPC ${pck.fmspc} among the supplied collateral (FMSPC ${collateral.tcbInfos.map(fmspcOf).join(", ")})`);
    }
    const pceId = String(tcbInfo["pceId"] ?? "").toLowerCase();
    if (pceId !== pck.pceId) throw new CollateralError(`TCB info is for PCE-ID ${pceId}, the PCK certificate's PCE-ID is ${pck.pceId}`);
    const platform = evaluatePlatform(tcbInfo, quote, pck);
    const module = evaluateModule(tcbInfo, quote);
    const qe = evaluateQe(qeIdentity, quote);
    let status = platform.tcbStatus;
    if (module.status) status = convergeTcbStatus(status, module.status);
    status = convergeTcbStatus(status, qe.status);
    const advisoryIds = [...new Set([...platform.advisoryIDs, ...module.advisories, ...qe.advisories])];
    const evaluation: TcbEvaluation = {
      status,
      platformStatus: platform.tcbStatus,
      qeStatus: qe.status,
      ...(module.status ? { moduleStatus: module.status } : {}),
      ...(module.identity ? { moduleIdentity: module.identity } : {}),
      advisoryIds,
      ...(platform.tcbDate ? { tcbDate: platform.tcbDate } : {}),
      ...(typeof tcbInfo["tcbEvaluationDataNumber"] === "number" ? { tcbEvaluationDataNumber: tcbInfo["tcbEvaluationDataNumber"] } : {}),
      tcbInfoIssueDate: String(tcbInfo["issueDate"]),
      tcbInfoNextUpdate: String(tcbInfo["nextUpdate"]),
    };
    if (status === "Revoked") {
      return { check: { name: "hardware.tdx_tcb_status", ok: false, code: "hardware_failed", reason: "TCB status is Revoked", detail: { ...evaluation } }, evaluation };
    }
    return { check: { name: "hardware.tdx_tcb_status", ok: true, detail: { ...evaluation, collateral: collateral.paths } }, evaluation };
  } catch (e) {
    if (e instanceof CollateralError) return fail(e.message);
    throw e;
  }
}
