// AMD SEV-SNP ATTESTATION_REPORT (SEV-SNP ABI spec 56860, Table "ATTESTATION_REPORT Structure"): 1184 bytes,
// little-endian. Versions 2, 3 (adds CPUID family/model/stepping at 0x188), 4 (the v3 layout) and 5 (adds
// LAUNCH_MIT_VECTOR and CURRENT_MIT_VECTOR at 0x1F8/0x200) — the 2..5 range go-sev-guest accepts. The signature (ECDSA P-384/SHA-384) covers bytes 0x000–0x29F; R and S are
// 72-byte little-endian fields at 0x2A0 and 0x2E8.
import { TollgateError } from "../../../core/errors.ts";
import type { AmdProduct } from "../common/roots.ts";

export const REPORT_SIZE = 0x4a0;
export const SIGNED_LENGTH = 0x2a0;
export const SUPPORTED_VERSIONS = [2, 3, 4, 5] as const;
/** SIGNATURE_ALGO value for ECDSA P-384 with SHA-384. */
export const SIG_ALGO_ECDSA_P384_SHA384 = 1;

/** One TCB_VERSION, decoded with the product's layout (Turin moved the fields and added FMC). */
export interface Tcb {
  raw: string;
  bootloader: number;
  tee: number;
  snp: number;
  microcode: number;
  fmc?: number;
}

export interface GuestPolicy {
  raw: string;
  abiMinor: number;
  abiMajor: number;
  smt: boolean;
  /** Bit 17 is reserved and must be 1. */
  reservedOne: boolean;
  migrateMA: boolean;
  debug: boolean;
  singleSocket: boolean;
  cxlAllow: boolean;
  memAes256Xts: boolean;
  raplDis: boolean;
  ciphertextHiding: boolean;
  pageSwapDisable: boolean;
  /** Bits above the defined ones that are set (must be zero). */
  reservedBits: string;
}

export interface PlatformInfo {
  raw: string;
  smtEnabled: boolean;
  tsmeEnabled: boolean;
  eccEnabled: boolean;
  raplDisabled: boolean;
  ciphertextHidingEnabled: boolean;
  aliasCheckComplete: boolean;
  tioEnabled: boolean;
}

export interface SnpReport {
  bytes: Uint8Array;
  version: number;
  guestSvn: number;
  policy: GuestPolicy;
  familyId: Uint8Array;
  imageId: Uint8Array;
  vmpl: number;
  signatureAlgo: number;
  currentTcbRaw: bigint;
  platformInfo: PlatformInfo;
  authorKeyEn: boolean;
  maskChipKey: boolean;
  /** SIGNING_KEY: 0 = VCEK, 1 = VLEK, 7 = none. */
  signingKey: number;
  signerInfoRaw: number;
  reportData: Uint8Array;
  measurement: Uint8Array;
  hostData: Uint8Array;
  idKeyDigest: Uint8Array;
  authorKeyDigest: Uint8Array;
  reportId: Uint8Array;
  reportIdMa: Uint8Array;
  reportedTcbRaw: bigint;
  /** CPUID_FAM_ID / CPUID_MOD_ID / CPUID_STEP (version ≥ 3). */
  cpuid?: { family: number; model: number; stepping: number };
  chipId: Uint8Array;
  committedTcbRaw: bigint;
  currentVersion: string;
  committedVersion: string;
  launchTcbRaw: bigint;
  launchMitVector?: bigint;
  currentMitVector?: bigint;
  signatureR: Uint8Array;
  signatureS: Uint8Array;
}

function u32(b: Uint8Array, off: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
}

function u64(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);
}

const hex64 = (v: bigint) => v.toString(16).padStart(16, "0");

/** Family 19h models 0x00–0x0F are Milan, 0x10–0x1F and 0xA0–0xAF Genoa (incl. Siena); family 1Ah is Turin. */
export function productFromCpuid(family: number, model: number): AmdProduct | undefined {
  if (family === 0x19 && model <= 0x0f) return "milan";
  if (family === 0x19 && ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf))) return "genoa";
  if (family === 0x1a && model <= 0x11) return "turin";
  return undefined;
}

/**
 * Decode a TCB_VERSION. Milan/Genoa: BOOT_LOADER byte 0, TEE byte 1, SNP byte 6, MICROCODE byte 7.
 * Turin: FMC byte 0, BOOT_LOADER byte 1, TEE byte 2, SNP byte 3, MICROCODE byte 7.
 */
export function decodeTcb(raw: bigint, product: AmdProduct): Tcb {
  const byte = (i: number) => Number((raw >> BigInt(8 * i)) & 0xffn);
  if (product === "turin") {
    return { raw: hex64(raw), fmc: byte(0), bootloader: byte(1), tee: byte(2), snp: byte(3), microcode: byte(7) };
  }
  return { raw: hex64(raw), bootloader: byte(0), tee: byte(1), snp: byte(6), microcode: byte(7) };
}

/** The bytes of a TCB_VERSION that the layout leaves reserved (must be zero in an endorsed TCB). */
export function tcbReservedBits(raw: bigint, product: AmdProduct): bigint {
  return product === "turin" ? raw & 0x00ffffff00000000n : raw & 0x0000ffffffff0000n;
}

function parsePolicy(v: bigint): GuestPolicy {
  const bit = (n: number) => ((v >> BigInt(n)) & 1n) === 1n;
  return {
    raw: hex64(v),
    abiMinor: Number(v & 0xffn),
    abiMajor: Number((v >> 8n) & 0xffn),
    smt: bit(16),
    reservedOne: bit(17),
    migrateMA: bit(18),
    debug: bit(19),
    singleSocket: bit(20),
    cxlAllow: bit(21),
    memAes256Xts: bit(22),
    raplDis: bit(23),
    ciphertextHiding: bit(24),
    pageSwapDisable: bit(25),
    reservedBits: hex64(v & ~((1n << 26n) - 1n)),
  };
}

function parsePlatformInfo(v: bigint): PlatformInfo {
  const bit = (n: number) => ((v >> BigInt(n)) & 1n) === 1n;
  return {
    raw: hex64(v),
    smtEnabled: bit(0),
    tsmeEnabled: bit(1),
    eccEnabled: bit(2),
    raplDisabled: bit(3),
    ciphertextHidingEnabled: bit(4),
    aliasCheckComplete: bit(5),
    tioEnabled: bit(7),
  };
}

/**
 * The must-be-zero byte ranges of a report of this version, [start, end): reserved fields inside the signed
 * part, and everything after S (0x330–0x49F), which the signature does not cover — a flipped bit there would
 * otherwise go unnoticed. Same ranges as go-sev-guest's ReportToProto (v5 uses 0x1F8–0x207 for the mitigation
 * vectors).
 */
export function mbzRanges(version: number): [number, number][] {
  return [
    [0x4c, 0x50],
    [version >= 3 ? 0x18b : 0x188, 0x1a0],
    [0x1eb, 0x1ec],
    [0x1ef, 0x1f0],
    [version >= 5 ? 0x208 : 0x1f8, SIGNED_LENGTH],
    [SIGNED_LENGTH + 2 * 72, REPORT_SIZE],
  ];
}

/** The must-be-zero ranges that are not all zero, as "0xSTART-0xEND" (inclusive) labels. */
export function nonZeroReserved(report: SnpReport): string[] {
  const bad: string[] = [];
  for (const [lo, hi] of mbzRanges(report.version)) {
    if (report.bytes.subarray(lo, hi).some((b) => b !== 0)) bad.push(`0x${lo.toString(16).toUpperCase()}-0x${(hi - 1).toString(16).toUpperCase()}`);
  }
  return bad;
}

/** Parse an ATTESTATION_REPORT. Throws malformed (size) or unsupported (version, signature algorithm). */
export function parseSnpReport(input: Uint8Array): SnpReport {
  if (input.length !== REPORT_SIZE) {
    throw new TollgateError("malformed", `SEV-SNP report is ${input.length} bytes; an ATTESTATION_REPORT is exactly ${REPORT_SIZE}`);
  }
  const b = new Uint8Array(input); // own copy: views below must not alias caller buffers
  const version = u32(b, 0x00);
  if (!(SUPPORTED_VERSIONS as readonly number[]).includes(version)) {
    throw new TollgateError("unsupported", `SEV-SNP report version ${version} is not supported (supported: ${SUPPORTED_VERSIONS.join(", ")})`);
  }
  const signatureAlgo = u32(b, 0x34);
  if (signatureAlgo !== SIG_ALGO_ECDSA_P384_SHA384) {
    throw new TollgateError("unsupported", `SEV-SNP report SIGNATURE_ALGO is ${signatureAlgo}; only 1 (ECDSA P-384 with SHA-384) is defined`);
  }
  const signerInfo = u32(b, 0x48);
  const cur = b.subarray(0x1e8, 0x1ec);
  const com = b.subarray(0x1ec, 0x1f0);
  const r: SnpReport = {
    bytes: b,
    version,
    guestSvn: u32(b, 0x04),
    policy: parsePolicy(u64(b, 0x08)),
    familyId: b.subarray(0x10, 0x20),
    imageId: b.subarray(0x20, 0x30),
    vmpl: u32(b, 0x30),
    signatureAlgo,
    currentTcbRaw: u64(b, 0x38),
    platformInfo: parsePlatformInfo(u64(b, 0x40)),
    authorKeyEn: (signerInfo & 1) === 1,
    maskChipKey: (signerInfo & 2) === 2,
    signingKey: (signerInfo >> 2) & 7,
    signerInfoRaw: signerInfo,
    reportData: b.subarray(0x50, 0x90),
    measurement: b.subarray(0x90, 0xc0),
    hostData: b.subarray(0xc0, 0xe0),
    idKeyDigest: b.subarray(0xe0, 0x110),
    authorKeyDigest: b.subarray(0x110, 0x140),
    reportId: b.subarray(0x140, 0x160),
    reportIdMa: b.subarray(0x160, 0x180),
    reportedTcbRaw: u64(b, 0x180),
    chipId: b.subarray(0x1a0, 0x1e0),
    committedTcbRaw: u64(b, 0x1e0),
    currentVersion: `${cur[2]}.${cur[1]}.${cur[0]}`,
    committedVersion: `${com[2]}.${com[1]}.${com[0]}`,
    launchTcbRaw: u64(b, 0x1f0),
    signatureR: b.subarray(0x2a0, 0x2e8),
    signatureS: b.subarray(0x2e8, 0x330),
  };
  if (version >= 3) r.cpuid = { family: b[0x188]!, model: b[0x189]!, stepping: b[0x18a]! };
  if (version >= 5) {
    r.launchMitVector = u64(b, 0x1f8);
    r.currentMitVector = u64(b, 0x200);
  }
  return r;
}
