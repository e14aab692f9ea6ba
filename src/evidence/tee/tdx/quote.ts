// Intel TDX quote v4 / v5 parsing (pure). Layout per Intel's "TDX DCAP Quoting Library API" appendix A.3/A.4,
// as implemented by google/go-tdx-guest (abi/abi.go); all integers little-endian.
//
//   header (48)                     version u16, att key type u16 (2 = ECDSA P-256), TEE type u32 (0x81 = TDX),
//                                   PCE SVN u16, QE SVN u16, QE vendor id (16), user data (20)
//   v4: TD report body (584)        TD 1.0 layout
//   v5: body type u16, size u32,    type 2 = TD 1.0 (584), type 3 = TD 1.5 (648: + TEE_TCB_SVN_2, MRSERVICETD)
//       body (size)
//   signature data length u32
//   signature data:                 quote signature (64, r‖s) over everything before the length field,
//                                   attestation key (64, x‖y), certification data type u16 (6) + size u32:
//                                     QE report (384, SGX report body), QE report signature (64),
//                                     QE auth data size u16 + data, certification data type u16 (5) + size u32:
//                                       PCK certificate chain, PEM (leaf ‖ intermediate ‖ root)
import { TollgateError } from "../../../core/errors.ts";
import { toHex } from "../../../core/digest.ts";

export const TEE_TYPE_TDX = 0x81;
export const ATTESTATION_KEY_ECDSA_P256 = 2;
const HEADER_SIZE = 48;
const TD10_BODY_SIZE = 584;
const TD15_BODY_SIZE = 648;
const QE_REPORT_SIZE = 384;
const CERT_DATA_QE_REPORT = 6;
const CERT_DATA_PCK_CHAIN = 5;

export interface TdxHeader {
  version: 4 | 5;
  attestationKeyType: number;
  teeType: number;
  pceSvn: number;
  qeSvn: number;
  qeVendorId: string;
  userData: string;
}

/** TD report body; hex strings are the raw bytes in quote order. */
export interface TdReportBody {
  /** "TD10" (TDX 1.0 layout) or "TD15" (TDX 1.5: adds teeTcbSvn2 and mrServiceTd). */
  layout: "TD10" | "TD15";
  teeTcbSvn: string;
  mrSeam: string;
  mrSignerSeam: string;
  seamAttributes: string;
  tdAttributes: string;
  xfam: string;
  mrTd: string;
  mrConfigId: string;
  mrOwner: string;
  mrOwnerConfig: string;
  rtmrs: [string, string, string, string];
  reportData: string;
  teeTcbSvn2?: string;
  mrServiceTd?: string;
}

/** SGX report body of the Quoting Enclave (384 bytes). */
export interface EnclaveReport {
  cpuSvn: string;
  miscSelect: number;
  attributes: string;
  mrEnclave: string;
  mrSigner: string;
  isvProdId: number;
  isvSvn: number;
  reportData: Uint8Array;
}

export interface TdxQuote {
  header: TdxHeader;
  body: TdReportBody;
  /** TD attribute bit 0: the TD is debuggable (its memory is readable by the host). */
  debug: boolean;
  /** TD attribute bit 28 (SEPT_VE_DISABLE): EPT violations are not reflected to the TD as #VE. */
  septVeDisable: boolean;
  /** Bytes the quote signature covers: header (+ v5 body descriptor) + body. */
  signedRegion: Uint8Array;
  signature: Uint8Array;
  attestationKey: Uint8Array;
  qeReportBytes: Uint8Array;
  qeReport: EnclaveReport;
  qeReportSignature: Uint8Array;
  qeAuthData: Uint8Array;
  pckChainPem: string;
  /** Bytes after the signature data (go-tdx-guest tolerates them; reported, never trusted). */
  trailingBytes: number;
}

function fail(msg: string): never {
  throw new TollgateError("malformed", `TDX quote: ${msg}`);
}

class Reader {
  private readonly view: DataView;
  constructor(
    readonly b: Uint8Array,
    public off = 0,
  ) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  need(n: number, what: string): void {
    if (this.off + n > this.b.length) fail(`truncated: ${what} needs ${n} bytes at offset ${this.off}, only ${this.b.length - this.off} left`);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.off, true);
    this.off += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.off, true);
    this.off += 4;
    return v;
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }
  hex(n: number, what: string): string {
    return toHex(this.bytes(n, what));
  }
}

/** Cheap sniff for detect(): version 4/5, ECDSA P-256 key, TEE type TDX. */
export function looksLikeTdxQuote(b: Uint8Array): boolean {
  if (b.length < HEADER_SIZE) return false;
  const v = b[0]! | (b[1]! << 8);
  const keyType = b[2]! | (b[3]! << 8);
  const tee = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
  return (v === 4 || v === 5) && keyType === ATTESTATION_KEY_ECDSA_P256 && tee === TEE_TYPE_TDX;
}

function parseHeader(r: Reader): TdxHeader {
  const version = r.u16("header version");
  if (version !== 4 && version !== 5) fail(`unsupported quote version ${version} (tollgate reads versions 4 and 5)`);
  const attestationKeyType = r.u16("attestation key type");
  if (attestationKeyType !== ATTESTATION_KEY_ECDSA_P256) fail(`attestation key type ${attestationKeyType} is not 2 (ECDSA-256-with-P-256)`);
  const teeType = r.u32("TEE type");
  if (teeType !== TEE_TYPE_TDX) fail(`TEE type 0x${teeType.toString(16)} is not TDX (0x81)`);
  return {
    version,
    attestationKeyType,
    teeType,
    pceSvn: r.u16("PCE SVN"),
    qeSvn: r.u16("QE SVN"),
    qeVendorId: r.hex(16, "QE vendor id"),
    userData: r.hex(20, "header user data"),
  };
}

function parseBody(r: Reader, layout: "TD10" | "TD15"): TdReportBody {
  const body: TdReportBody = {
    layout,
    teeTcbSvn: r.hex(16, "TEE_TCB_SVN"),
    mrSeam: r.hex(48, "MRSEAM"),
    mrSignerSeam: r.hex(48, "MRSIGNERSEAM"),
    seamAttributes: r.hex(8, "SEAMATTRIBUTES"),
    tdAttributes: r.hex(8, "TDATTRIBUTES"),
    xfam: r.hex(8, "XFAM"),
    mrTd: r.hex(48, "MRTD"),
    mrConfigId: r.hex(48, "MRCONFIGID"),
    mrOwner: r.hex(48, "MROWNER"),
    mrOwnerConfig: r.hex(48, "MROWNERCONFIG"),
    rtmrs: [r.hex(48, "RTMR0"), r.hex(48, "RTMR1"), r.hex(48, "RTMR2"), r.hex(48, "RTMR3")],
    reportData: r.hex(64, "REPORTDATA"),
  };
  if (layout === "TD15") {
    body.teeTcbSvn2 = r.hex(16, "TEE_TCB_SVN_2");
    body.mrServiceTd = r.hex(48, "MRSERVICETD");
  }
  return body;
}

export function parseEnclaveReport(b: Uint8Array): EnclaveReport {
  const r = new Reader(b);
  const cpuSvn = r.hex(16, "QE CPUSVN");
  const miscSelect = r.u32("QE MISCSELECT");
  r.bytes(28, "QE reserved");
  const attributes = r.hex(16, "QE ATTRIBUTES");
  const mrEnclave = r.hex(32, "QE MRENCLAVE");
  r.bytes(32, "QE reserved");
  const mrSigner = r.hex(32, "QE MRSIGNER");
  r.bytes(96, "QE reserved");
  const isvProdId = r.u16("QE ISVPRODID");
  const isvSvn = r.u16("QE ISVSVN");
  r.bytes(60, "QE reserved");
  const reportData = r.bytes(64, "QE REPORTDATA");
  return { cpuSvn, miscSelect, attributes, mrEnclave, mrSigner, isvProdId, isvSvn, reportData };
}

/** Parse a raw quote. Throws TollgateError("malformed") naming the field and offset that did not fit. */
export function parseTdxQuote(bytes: Uint8Array): TdxQuote {
  const r = new Reader(bytes);
  const header = parseHeader(r);
  let layout: "TD10" | "TD15" = "TD10";
  if (header.version === 5) {
    const bodyType = r.u16("body type");
    const bodySize = r.u32("body size");
    if (bodyType === 2 && bodySize === TD10_BODY_SIZE) layout = "TD10";
    else if (bodyType === 3 && bodySize === TD15_BODY_SIZE) layout = "TD15";
    else fail(`v5 body type ${bodyType} with size ${bodySize} is not a TD report (type 2 size ${TD10_BODY_SIZE} or type 3 size ${TD15_BODY_SIZE})`);
  }
  const body = parseBody(r, layout);
  const signedRegion = bytes.subarray(0, r.off);
  const sigDataLen = r.u32("signature data length");
  r.need(sigDataLen, "signature data");
  const trailingBytes = bytes.length - (r.off + sigDataLen);
  const s = new Reader(bytes.subarray(r.off, r.off + sigDataLen));
  const signature = s.bytes(64, "quote signature");
  const attestationKey = s.bytes(64, "attestation key");
  const certType = s.u16("certification data type");
  if (certType !== CERT_DATA_QE_REPORT) fail(`certification data type ${certType} is not 6 (QE report certification data)`);
  const certSize = s.u32("certification data size");
  if (certSize !== sigDataLen - s.off) fail(`certification data size ${certSize} does not match the ${sigDataLen - s.off} bytes left in the signature data`);
  const qeReportBytes = s.bytes(QE_REPORT_SIZE, "QE report");
  const qeReportSignature = s.bytes(64, "QE report signature");
  const authLen = s.u16("QE auth data size");
  const qeAuthData = s.bytes(authLen, "QE auth data");
  const innerType = s.u16("PCK certification data type");
  if (innerType !== CERT_DATA_PCK_CHAIN) fail(`nested certification data type ${innerType} is not 5 (PCK certificate chain)`);
  const innerSize = s.u32("PCK certificate chain size");
  if (innerSize !== sigDataLen - s.off) fail(`PCK certificate chain size ${innerSize} does not match the ${sigDataLen - s.off} bytes left`);
  const chainBytes = s.bytes(innerSize, "PCK certificate chain");
  // The chain is PEM text, sometimes NUL-terminated.
  let end = chainBytes.length;
  while (end > 0 && chainBytes[end - 1] === 0) end--;
  let pckChainPem: string;
  try {
    pckChainPem = new TextDecoder("utf-8", { fatal: true }).decode(chainBytes.subarray(0, end));
  } catch {
    fail("PCK certificate chain is not UTF-8 PEM text");
  }
  const tdAttr = body.tdAttributes;
  return {
    header,
    body,
    // TDATTRIBUTES is a little-endian 64-bit field: bit 0 is byte 0, bit 28 is bit 4 of byte 3.
    debug: (parseInt(tdAttr.slice(0, 2), 16) & 1) === 1,
    septVeDisable: (parseInt(tdAttr.slice(6, 8), 16) & 0x10) !== 0,
    signedRegion,
    signature,
    attestationKey,
    qeReportBytes,
    qeReport: parseEnclaveReport(qeReportBytes),
    qeReportSignature,
    qeAuthData,
    pckChainPem,
    trailingBytes,
  };
}
