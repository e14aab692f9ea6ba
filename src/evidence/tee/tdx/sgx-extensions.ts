// Intel SGX PCK certificate extensions (OID 1.2.840.113741.1.13.1), per Intel's "SGX PCK Certificate and
// Certificate Revocation List Profile": a SEQUENCE of { OID, value } pairs carrying the platform's FMSPC, PCE-ID
// and the TCB (16 SGX component SVNs, PCESVN, CPUSVN) the PCK was issued for. Read with the standard ASN.1
// parsers (@peculiar/asn1-x509 for the certificate, asn1js for the extension value).
import type * as Asn1js from "asn1js";
import { lazyRequire } from "../../../core/lazy.ts";
import { createHash } from "node:crypto";

// Loaded on the first PCK certificate (the ASN.1 libraries cost more to import than a quote takes to verify).
const asn1Schema = lazyRequire<typeof import("@peculiar/asn1-schema")>("@peculiar/asn1-schema");
const asn1X509 = lazyRequire<typeof import("@peculiar/asn1-x509")>("@peculiar/asn1-x509");
const asn1jsLib = lazyRequire<typeof Asn1js>("asn1js");

export const SGX_EXTENSIONS_OID = "1.2.840.113741.1.13.1";
const OID_TCB = `${SGX_EXTENSIONS_OID}.2`;
const OID_PCEID = `${SGX_EXTENSIONS_OID}.3`;
const OID_FMSPC = `${SGX_EXTENSIONS_OID}.4`;
const OID_SGX_TYPE = `${SGX_EXTENSIONS_OID}.5`;

export interface PckExtensions {
  fmspc: string;
  pceId: string;
  pceSvn?: number;
  cpuSvn?: string;
  /** The 16 SGX TCB component SVNs, in order. */
  sgxTcbComponents?: number[];
  sgxType?: number;
}

function hexOf(buf: ArrayBuffer): string {
  return Buffer.from(buf).toString("hex");
}

function pairs(seq: Asn1js.AsnType): Map<string, Asn1js.AsnType> {
  const asn1js = asn1jsLib();
  const out = new Map<string, Asn1js.AsnType>();
  if (!(seq instanceof asn1js.Sequence)) return out;
  for (const item of seq.valueBlock.value) {
    if (!(item instanceof asn1js.Sequence)) continue;
    const [oid, value] = item.valueBlock.value;
    if (oid instanceof asn1js.ObjectIdentifier && value) out.set(oid.valueBlock.toString(), value);
  }
  return out;
}

// Decoding a certificate with asn1js costs milliseconds, while a gate sees the same few PCK leaves (one per
// platform) over and over: memoize the pure result by the DER's sha256, bounded, oldest evicted first.
const MEMO_MAX = 256;
const memo = new Map<string, PckExtensions | undefined>();

/**
 * The SGX extensions of a PCK certificate (DER), or undefined when the certificate has none. Throws when the
 * extension is present but not of the documented shape (callers turn that into a failed check).
 */
export function pckExtensions(der: Uint8Array): PckExtensions | undefined {
  const key = createHash("sha256").update(der).digest("hex");
  if (memo.has(key)) {
    return copy(memo.get(key));
  }
  const value = decodePckExtensions(der);
  if (memo.size >= MEMO_MAX) memo.delete(memo.keys().next().value!);
  memo.set(key, value);
  return copy(value);
}

function copy(e: PckExtensions | undefined): PckExtensions | undefined {
  if (!e) return undefined;
  return { ...e, ...(e.sgxTcbComponents ? { sgxTcbComponents: [...e.sgxTcbComponents] } : {}) };
}

function decodePckExtensions(der: Uint8Array): PckExtensions | undefined {
  const asn1js = asn1jsLib();
  const cert = asn1Schema().AsnConvert.parse(der, asn1X509().Certificate);
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === SGX_EXTENSIONS_OID);
  if (!ext) return undefined;
  const parsed = asn1js.fromBER(ext.extnValue.buffer);
  if (parsed.offset === -1) throw new Error(`SGX extension is not DER: ${parsed.result.error}`);
  const top = pairs(parsed.result);
  const fmspc = top.get(OID_FMSPC);
  const pceId = top.get(OID_PCEID);
  if (!(fmspc instanceof asn1js.OctetString) || !(pceId instanceof asn1js.OctetString)) {
    throw new Error("SGX extension lacks the FMSPC or PCE-ID octet string");
  }
  const out: PckExtensions = { fmspc: hexOf(fmspc.valueBlock.valueHexView.slice().buffer), pceId: hexOf(pceId.valueBlock.valueHexView.slice().buffer) };
  const tcb = top.get(OID_TCB);
  if (tcb) {
    const comps = pairs(tcb);
    const svns: number[] = [];
    for (let i = 1; i <= 16; i++) {
      const v = comps.get(`${OID_TCB}.${i}`);
      if (v instanceof asn1js.Integer) svns.push(v.valueBlock.valueDec);
    }
    if (svns.length === 16) out.sgxTcbComponents = svns;
    const pceSvn = comps.get(`${OID_TCB}.17`);
    if (pceSvn instanceof asn1js.Integer) out.pceSvn = pceSvn.valueBlock.valueDec;
    const cpuSvn = comps.get(`${OID_TCB}.18`);
    if (cpuSvn instanceof asn1js.OctetString) out.cpuSvn = hexOf(cpuSvn.valueBlock.valueHexView.slice().buffer);
  }
  const sgxType = top.get(OID_SGX_TYPE);
  if (sgxType instanceof asn1js.Enumerated) out.sgxType = sgxType.valueBlock.valueDec;
  return out;
}
