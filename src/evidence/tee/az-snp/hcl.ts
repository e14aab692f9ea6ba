// Azure confidential VM evidence (SEV-SNP behind a paravisor vTPM), as lunal-dev/attestation-rs emits it:
// { version: 1, hcl_report: base64url, vcek: base64url DER, tpm_quote: { signature: hex, message: hex, pcrs: [hex×24] } }.
// HCL report: 32-byte header ("HCLA", version, size, request type), the 1184-byte SNP report at 0x20, a 20-byte
// IGVM_REQUEST_DATA header at 0x4C0 (data size, version, report type, hash type, variable data size) and the
// variable (runtime) data at 0x4D4: JSON whose `keys` hold the vTPM attestation key as a JWK (kid "HCLAkPub").
import { TollgateError } from "../../../core/errors.ts";
import { base64Field, hexField } from "../common/encoding.ts";

export const HCL_MAGIC = "HCLA";
export const HCL_REPORT_OFFSET = 0x20;
export const HCL_REPORT_SIZE = 1184;
export const HCL_VARDATA_HEADER = HCL_REPORT_OFFSET + HCL_REPORT_SIZE; // 0x4C0
export const HCL_VARDATA_OFFSET = HCL_VARDATA_HEADER + 20; // 0x4D4
export const HCL_REPORT_TYPE_SNP = 2;
export const HCL_HASH_SHA256 = 1;

export interface HclReport {
  bytes: Uint8Array;
  snpReport: Uint8Array;
  reportType: number;
  hashType: number;
  /** Exactly `variable data size` bytes: what REPORT_DATA[0..32] hashes. */
  runtimeData: Uint8Array;
}

export interface TpmQuote {
  signature: Uint8Array;
  /** TPMS_ATTEST bytes as signed. */
  message: Uint8Array;
  pcrs: Uint8Array[];
}

export interface AzSnpEvidence {
  version: number;
  hcl: HclReport;
  vcek: Uint8Array;
  quote: TpmQuote;
}

function u32(b: Uint8Array, off: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
}

export function parseHclReport(bytes: Uint8Array): HclReport {
  if (bytes.length < HCL_VARDATA_OFFSET) {
    throw new TollgateError("malformed", `HCL report is ${bytes.length} bytes; it needs at least ${HCL_VARDATA_OFFSET} (header, SNP report, request data header)`);
  }
  const magic = Buffer.from(bytes.subarray(0, 4)).toString("latin1");
  if (magic !== HCL_MAGIC) throw new TollgateError("malformed", `HCL report magic is ${JSON.stringify(magic)}, not "HCLA"`);
  const reportType = u32(bytes, HCL_VARDATA_HEADER + 8);
  if (reportType !== HCL_REPORT_TYPE_SNP) {
    throw new TollgateError("unsupported", `HCL report type ${reportType} is not SEV-SNP (${HCL_REPORT_TYPE_SNP})`);
  }
  const hashType = u32(bytes, HCL_VARDATA_HEADER + 12);
  const size = u32(bytes, HCL_VARDATA_HEADER + 16);
  if (size === 0 || HCL_VARDATA_OFFSET + size > bytes.length) {
    throw new TollgateError("malformed", `HCL variable data size ${size} does not fit the ${bytes.length - HCL_VARDATA_OFFSET} bytes after the header`);
  }
  return {
    bytes,
    snpReport: bytes.slice(HCL_REPORT_OFFSET, HCL_REPORT_OFFSET + HCL_REPORT_SIZE),
    reportType,
    hashType,
    runtimeData: bytes.slice(HCL_VARDATA_OFFSET, HCL_VARDATA_OFFSET + size),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Does this JSON value look like Azure SNP evidence (the bare object, not the Kettle/attestation-rs envelope)? */
export function looksLikeAzSnp(v: unknown): boolean {
  return isObject(v) && typeof v.hcl_report === "string" && isObject(v.tpm_quote) && typeof v.vcek === "string";
}

/** JSON → decoded evidence. Throws schema_invalid (shape) or malformed (encodings, HCL layout). */
export function parseAzSnpEvidence(v: unknown): AzSnpEvidence {
  if (!isObject(v)) throw new TollgateError("schema_invalid", "az-snp evidence must be a JSON object");
  if (v.version !== 1) throw new TollgateError("unsupported", `az-snp evidence version ${JSON.stringify(v.version)} is not supported (1)`);
  const q = v.tpm_quote;
  if (!isObject(q)) throw new TollgateError("schema_invalid", "az-snp evidence lacks tpm_quote {signature, message, pcrs}");
  if (!Array.isArray(q.pcrs) || q.pcrs.length === 0) throw new TollgateError("schema_invalid", "tpm_quote.pcrs must be a non-empty array of hex PCR values");
  const pcrs = q.pcrs.map((p, i) => {
    const b = hexField(p, `tpm_quote.pcrs[${i}]`);
    if (b.length !== 32) throw new TollgateError("malformed", `tpm_quote.pcrs[${i}] is ${b.length} bytes, not a SHA-256 PCR (32)`);
    return b;
  });
  return {
    version: 1,
    hcl: parseHclReport(base64Field(v.hcl_report, "hcl_report")),
    vcek: base64Field(v.vcek, "vcek"),
    quote: { signature: hexField(q.signature, "tpm_quote.signature"), message: hexField(q.message, "tpm_quote.message"), pcrs },
  };
}

/** TPMS_ATTEST of a quote (TPM 2.0 Part 2, 10.12.12), the parts a verifier needs. */
export interface TpmsAttest {
  magic: number;
  type: number;
  qualifiedSigner: Uint8Array;
  extraData: Uint8Array;
  /** (hash algorithm, selected PCR indices) per TPMS_PCR_SELECTION. */
  selections: { hashAlg: number; pcrs: number[] }[];
  pcrDigest: Uint8Array;
}

export const TPM_GENERATED_VALUE = 0xff544347;
export const TPM_ST_ATTEST_QUOTE = 0x8018;
export const TPM_ALG_SHA256 = 0x000b;

/** Parse the quote message. Throws malformed with the field that ran out. */
export function parseTpmsAttest(m: Uint8Array): TpmsAttest {
  const dv = new DataView(m.buffer, m.byteOffset, m.byteLength);
  let off = 0;
  const need = (n: number, field: string) => {
    if (off + n > m.length) throw new TollgateError("malformed", `TPM quote message is truncated at ${field} (offset ${off}, ${m.length} bytes)`);
  };
  const u16 = (field: string) => (need(2, field), (off += 2), dv.getUint16(off - 2));
  const u32be = (field: string) => (need(4, field), (off += 4), dv.getUint32(off - 4));
  const sized = (field: string) => {
    const n = u16(`${field} size`);
    need(n, field);
    off += n;
    return m.slice(off - n, off);
  };
  const magic = u32be("magic");
  const type = u16("type");
  const qualifiedSigner = sized("qualifiedSigner");
  const extraData = sized("extraData");
  need(17 + 8, "clockInfo/firmwareVersion");
  off += 17 + 8;
  const count = u32be("pcrSelect count");
  const selections: TpmsAttest["selections"] = [];
  for (let i = 0; i < count; i++) {
    const hashAlg = u16("pcrSelect hash");
    need(1, "sizeofSelect");
    const size = m[off++]!;
    need(size, "pcrSelect bitmap");
    const pcrs: number[] = [];
    for (let byte = 0; byte < size; byte++) for (let bit = 0; bit < 8; bit++) if (m[off + byte]! & (1 << bit)) pcrs.push(byte * 8 + bit);
    off += size;
    selections.push({ hashAlg, pcrs });
  }
  const pcrDigest = sized("pcrDigest");
  if (off !== m.length) throw new TollgateError("malformed", `TPM quote message has ${m.length - off} trailing bytes after pcrDigest`);
  return { magic, type, qualifiedSigner, extraData, selections, pcrDigest };
}

/** The vTPM attestation key from the runtime data: the RSA JWK with kid "HCLAkPub". */
/** The RSA public JWK fields WebCrypto imports. */
export interface RsaJwk {
  kty: "RSA";
  n: string;
  e: string;
}

export function akJwkFromRuntimeData(runtime: Uint8Array): { jwk: RsaJwk } | { problem: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(runtime));
  } catch (e) {
    return { problem: `HCL runtime data is not JSON: ${(e as Error).message}` };
  }
  const keys = isObject(doc) && Array.isArray(doc.keys) ? doc.keys : undefined;
  if (!keys) return { problem: "HCL runtime data has no `keys` array" };
  const ak = keys.find((k): k is Record<string, unknown> => isObject(k) && k.kid === "HCLAkPub");
  if (!ak) return { problem: 'HCL runtime data has no key with kid "HCLAkPub"' };
  if (ak.kty !== "RSA" || typeof ak.n !== "string" || typeof ak.e !== "string") return { problem: "HCLAkPub is not an RSA JWK with n and e" };
  return { jwk: { kty: "RSA", n: ak.n, e: ak.e } };
}
