// Intel SGX PCK certificate extensions (OID 1.2.840.113741.1.13.1), per Intel's "SGX PCK Certificate and
// Certificate Revocation List Profile": a SEQUENCE of { OID, value } pairs carrying the platform's FMSPC, PCE-ID
// and the TCB (16 SGX component SVNs, PCESVN, CPUSVN) the PCK was issued for. Read with the shared DER reader
// (common/x509.ts: the certificate, parsed once per DER and cached; @sigstore/core's ASN1Obj for the value).
import { ASN1Obj } from "@sigstore/core";
import { toHex } from "../../../core/digest.ts";
import { parseCertificate } from "../common/x509.ts";

export const SGX_EXTENSIONS_OID = "1.2.840.113741.1.13.1";
const OID_TCB = `${SGX_EXTENSIONS_OID}.2`;
const OID_PCEID = `${SGX_EXTENSIONS_OID}.3`;
const OID_FMSPC = `${SGX_EXTENSIONS_OID}.4`;
const OID_SGX_TYPE = `${SGX_EXTENSIONS_OID}.5`;
const TAG_ENUMERATED = 0x0a;

export interface PckExtensions {
  fmspc: string;
  pceId: string;
  pceSvn?: number;
  cpuSvn?: string;
  /** The 16 SGX TCB component SVNs, in order. */
  sgxTcbComponents?: number[];
  sgxType?: number;
}

function pairs(seq: ASN1Obj | undefined): Map<string, ASN1Obj> {
  const out = new Map<string, ASN1Obj>();
  for (const item of seq?.subs ?? []) {
    const [oid, value] = item.subs;
    if (oid?.tag.isOID() && value) out.set(oid.toOID(), value);
  }
  return out;
}

const octets = (o: ASN1Obj | undefined): string | undefined => (o?.tag.isOctetString() ? toHex(new Uint8Array(o.value)) : undefined);
const integer = (o: ASN1Obj | undefined): number | undefined => (o?.tag.isInteger() ? Number(o.toInteger()) : undefined);

/**
 * The SGX extensions of a PCK certificate (DER), or undefined when the certificate has none. Throws when the
 * certificate or the extension is not of the documented shape (callers turn that into a failed check).
 */
export function pckExtensions(der: Uint8Array): PckExtensions | undefined {
  const value = parseCertificate(der, "PCK leaf").extensions.get(SGX_EXTENSIONS_OID);
  if (!value) return undefined;
  let top: Map<string, ASN1Obj>;
  try {
    top = pairs(ASN1Obj.parseBuffer(Buffer.from(value)));
  } catch (e) {
    throw new Error(`SGX extension is not DER: ${(e as Error).message}`);
  }
  const fmspc = octets(top.get(OID_FMSPC));
  const pceId = octets(top.get(OID_PCEID));
  if (fmspc === undefined || pceId === undefined) throw new Error("SGX extension lacks the FMSPC or PCE-ID octet string");
  const out: PckExtensions = { fmspc, pceId };
  const tcb = top.get(OID_TCB);
  if (tcb) {
    const comps = pairs(tcb);
    const svns: number[] = [];
    for (let i = 1; i <= 16; i++) {
      const v = integer(comps.get(`${OID_TCB}.${i}`));
      if (v !== undefined) svns.push(v);
    }
    if (svns.length === 16) out.sgxTcbComponents = svns;
    const pceSvn = integer(comps.get(`${OID_TCB}.17`));
    if (pceSvn !== undefined) out.pceSvn = pceSvn;
    const cpuSvn = octets(comps.get(`${OID_TCB}.18`));
    if (cpuSvn !== undefined) out.cpuSvn = cpuSvn;
  }
  const sgxType = top.get(OID_SGX_TYPE);
  if (sgxType?.tag.number === TAG_ENUMERATED && sgxType.tag.isUniversal()) out.sgxType = parseInt(toHex(new Uint8Array(sgxType.value)) || "0", 16);
  return out;
}
