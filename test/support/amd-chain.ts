// A synthetic AMD SEV-SNP key hierarchy made at test time with the real algorithms: ARK (self-signed), ASK and
// ASVK (RSA-PSS, SHA-384, salt 48, signed by the ARK), a VCEK/VLEK (ECDSA P-384) carrying AMD's KDS extensions,
// and reports signed by it exactly as the AMD-SP does (little-endian R/S over bytes 0x000–0x29F).
// Tests verify with `trust` in place of the pinned roots, so the code paths run on a plain clone.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type { AmdProduct, AmdTrust } from "../../src/evidence/tee/common/roots.ts";
import { parseCertificate } from "../../src/evidence/tee/common/x509.ts";
import { AMD_OID } from "../../src/evidence/tee/sev-snp/verify.ts";

x509.cryptoProvider.set(globalThis.crypto);
const subtle = globalThis.crypto.subtle;

const PSS = { name: "RSA-PSS", hash: "SHA-384", saltLength: 48 } as const;
const RSA_GEN = { name: "RSA-PSS", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-384" } as const;
const EC_GEN = { name: "ECDSA", namedCurve: "P-384" } as const;

const PRODUCT_TITLE: Record<AmdProduct, string> = { milan: "Milan", genoa: "Genoa", turin: "Turin" };
const AMD_NAME = (cn: string) => `OU=Engineering, C=US, L=Santa Clara, ST=CA, O=Advanced Micro Devices, CN=${cn}`;

export interface TcbParts {
  bootloader: number;
  tee: number;
  snp: number;
  microcode: number;
  fmc?: number;
}

export interface SyntheticAmd {
  product: AmdProduct;
  trust: AmdTrust;
  /** DER of each certificate. */
  arkDer: Uint8Array;
  askDer: Uint8Array;
  asvkDer: Uint8Array;
  vcekDer: Uint8Array;
  vlekDer: Uint8Array;
  vcekKey: CryptoKeyPair;
  vlekKey: CryptoKeyPair;
  /** The ARK's keys: it signs the product's CRL. */
  arkKey: CryptoKeyPair;
  chipId: Uint8Array;
  tcb: TcbParts;
  notBefore: Date;
  notAfter: Date;
  /** A time at which every certificate is valid. */
  validTime: Date;
}

function derInteger(n: number): ArrayBuffer {
  // Small non-negative INTEGER, DER (a leading zero when the high bit is set).
  const body = n === 0 ? [0] : [];
  for (let v = n; v > 0; v >>= 8) body.unshift(v & 0xff);
  if (body[0]! & 0x80) body.unshift(0);
  return new Uint8Array([0x02, body.length, ...body]).buffer;
}

function derIA5(s: string): ArrayBuffer {
  const b = Buffer.from(s, "latin1");
  return new Uint8Array([0x16, b.length, ...b]).buffer;
}

/** TCB_VERSION as the report stores it (little-endian u64) with the product's byte layout. */
export function tcbRaw(product: AmdProduct, t: TcbParts): bigint {
  return product === "turin"
    ? BigInt(t.fmc ?? 0) | (BigInt(t.bootloader) << 8n) | (BigInt(t.tee) << 16n) | (BigInt(t.snp) << 24n) | (BigInt(t.microcode) << 56n)
    : BigInt(t.bootloader) | (BigInt(t.tee) << 8n) | (BigInt(t.snp) << 48n) | (BigInt(t.microcode) << 56n);
}

function der(c: x509.X509Certificate): Uint8Array {
  return new Uint8Array(c.rawData);
}

async function caCert(name: string, keys: CryptoKeyPair, issuer: { name: string; key: CryptoKey }, serial: string, nb: Date, na: Date) {
  return x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: AMD_NAME(name),
    issuer: AMD_NAME(issuer.name),
    notBefore: nb,
    notAfter: na,
    publicKey: keys.publicKey,
    signingKey: issuer.key,
    signingAlgorithm: PSS,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
}

export interface SyntheticOptions {
  product?: AmdProduct;
  tcb?: TcbParts;
  chipId?: Uint8Array;
  notBefore?: Date;
  notAfter?: Date;
  /** Override a VCEK extension value (DER bytes) or drop it (null), to build broken certificates. */
  vcekExtensions?: Record<string, ArrayBuffer | null>;
}

/** Generate a whole hierarchy. ~1 s (three RSA keys); build once per test file. */
export async function makeAmdChain(o: SyntheticOptions = {}): Promise<SyntheticAmd> {
  const product = o.product ?? "milan";
  const title = PRODUCT_TITLE[product];
  const tcb = o.tcb ?? (product === "turin" ? { fmc: 1, bootloader: 9, tee: 0, snp: 21, microcode: 72 } : { bootloader: 3, tee: 0, snp: 8, microcode: 115 });
  const chipId = o.chipId ?? Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
  const nb = o.notBefore ?? new Date("2024-01-01T00:00:00Z");
  const na = o.notAfter ?? new Date("2031-01-01T00:00:00Z");
  const [arkKeys, askKeys, asvkKeys] = await Promise.all([
    subtle.generateKey(RSA_GEN, true, ["sign", "verify"]) as Promise<CryptoKeyPair>,
    subtle.generateKey(RSA_GEN, true, ["sign", "verify"]) as Promise<CryptoKeyPair>,
    subtle.generateKey(RSA_GEN, true, ["sign", "verify"]) as Promise<CryptoKeyPair>,
  ]);
  const [vcekKey, vlekKey] = await Promise.all([
    subtle.generateKey(EC_GEN, true, ["sign", "verify"]) as Promise<CryptoKeyPair>,
    subtle.generateKey(EC_GEN, true, ["sign", "verify"]) as Promise<CryptoKeyPair>,
  ]);
  const arkName = `ARK-${title}`;
  const ark = await caCert(arkName, arkKeys, { name: arkName, key: arkKeys.privateKey }, "010000", nb, na);
  const ask = await caCert(`SEV-${title}`, askKeys, { name: arkName, key: arkKeys.privateKey }, "010001", nb, na);
  const asvk = await caCert(`SEV-VLEK-${title}`, asvkKeys, { name: arkName, key: arkKeys.privateKey }, "010002", nb, na);

  const splExtensions = (): Record<string, ArrayBuffer> => {
    const e: Record<string, ArrayBuffer> = {
      [AMD_OID.structVersion]: derInteger(product === "turin" ? 1 : 0),
      [AMD_OID.productName]: derIA5(product === "genoa" ? "Genoa" : `${title}-B0`),
      [AMD_OID.blSpl]: derInteger(tcb.bootloader),
      [AMD_OID.teeSpl]: derInteger(tcb.tee),
      [AMD_OID.snpSpl]: derInteger(tcb.snp),
      [AMD_OID.ucodeSpl]: derInteger(tcb.microcode),
    };
    if (product === "turin") e[AMD_OID.fmcSpl] = derInteger(tcb.fmc ?? 0);
    return e;
  };
  const vcekExt: Record<string, ArrayBuffer | null> = {
    ...splExtensions(),
    // KDS puts the raw hwID bytes in the extension value (no inner OCTET STRING tag). Turin: 8 bytes.
    [AMD_OID.hwid]: Uint8Array.from(product === "turin" ? chipId.subarray(0, 8) : chipId).buffer,
    ...o.vcekExtensions,
  };
  const toExtensions = (m: Record<string, ArrayBuffer | null>) =>
    Object.entries(m).filter((e): e is [string, ArrayBuffer] => e[1] !== null).map(([oid, v]) => new x509.Extension(oid, false, v));
  const vcek = await x509.X509CertificateGenerator.create({
    serialNumber: "00",
    subject: AMD_NAME("SEV-VCEK"),
    issuer: AMD_NAME(`SEV-${title}`),
    notBefore: nb,
    notAfter: na,
    publicKey: vcekKey.publicKey,
    signingKey: askKeys.privateKey,
    signingAlgorithm: PSS,
    extensions: toExtensions(vcekExt),
  });
  const vlek = await x509.X509CertificateGenerator.create({
    serialNumber: "00",
    subject: AMD_NAME("SEV-VLEK"),
    issuer: AMD_NAME(`SEV-VLEK-${title}`),
    notBefore: nb,
    notAfter: na,
    publicKey: vlekKey.publicKey,
    signingKey: asvkKeys.privateKey,
    signingAlgorithm: PSS,
    extensions: toExtensions({ ...splExtensions(), [AMD_OID.cspId]: derIA5("tollgate-test-csp") }),
  });
  const trust: AmdTrust = {
    ark: parseCertificate(der(ark), "synthetic ARK"),
    ask: parseCertificate(der(ask), "synthetic ASK"),
    asvk: parseCertificate(der(asvk), "synthetic ASVK"),
  };
  return {
    product,
    trust,
    arkDer: der(ark),
    askDer: der(ask),
    asvkDer: der(asvk),
    vcekDer: der(vcek),
    vlekDer: der(vlek),
    vcekKey,
    vlekKey,
    arkKey: arkKeys,
    chipId,
    tcb,
    notBefore: nb,
    notAfter: na,
    validTime: new Date((nb.getTime() + na.getTime()) / 2),
  };
}

/** The trust source verifiers take: the synthetic roots for the chain's product, nothing for the others. */
export function syntheticTrust(chain: SyntheticAmd) {
  return (product: AmdProduct): AmdTrust => {
    if (product !== chain.product) throw new Error(`no synthetic ${product} roots`);
    return chain.trust;
  };
}

export interface ReportFields {
  version?: 2 | 3 | 4 | 5;
  policy?: bigint;
  vmpl?: number;
  signingKey?: 0 | 1 | 7;
  maskChipKey?: boolean;
  reportData?: Uint8Array;
  measurement?: Uint8Array;
  hostData?: Uint8Array;
  reportedTcb?: bigint;
  chipId?: Uint8Array;
  cpuid?: { family: number; model: number; stepping: number };
}

const CPUID: Record<AmdProduct, { family: number; model: number; stepping: number }> = {
  milan: { family: 0x19, model: 0x01, stepping: 1 },
  genoa: { family: 0x19, model: 0x11, stepping: 1 },
  turin: { family: 0x1a, model: 0x02, stepping: 0 },
};

/** A 1184-byte report body (unsigned): every field at its ABI offset. */
export function reportBody(chain: SyntheticAmd, f: ReportFields = {}): Uint8Array {
  const b = new Uint8Array(0x4a0);
  const dv = new DataView(b.buffer);
  const version = f.version ?? 3;
  dv.setUint32(0x00, version, true);
  dv.setUint32(0x04, 1, true); // GUEST_SVN
  dv.setBigUint64(0x08, f.policy ?? 0x30000n, true); // SMT allowed + reserved bit 17
  b.fill(0xf1, 0x10, 0x20); // FAMILY_ID
  b.fill(0x1d, 0x20, 0x30); // IMAGE_ID
  dv.setUint32(0x30, f.vmpl ?? 0, true);
  dv.setUint32(0x34, 1, true); // SIGNATURE_ALGO: ECDSA P-384 / SHA-384
  const tcb = f.reportedTcb ?? tcbRaw(chain.product, chain.tcb);
  dv.setBigUint64(0x38, tcb, true); // CURRENT_TCB
  dv.setBigUint64(0x40, 1n, true); // PLATFORM_INFO: SMT enabled
  dv.setUint32(0x48, ((f.signingKey ?? 0) << 2) | (f.maskChipKey ? 2 : 0), true);
  b.set(f.reportData ?? new Uint8Array(64), 0x50);
  b.set(f.measurement ?? Uint8Array.from({ length: 48 }, (_, i) => i + 1), 0x90);
  b.set(f.hostData ?? new Uint8Array(32), 0xc0);
  b.fill(0x42, 0x140, 0x160); // REPORT_ID
  dv.setBigUint64(0x180, tcb, true); // REPORTED_TCB
  if (version >= 3) {
    const c = f.cpuid ?? CPUID[chain.product];
    b[0x188] = c.family;
    b[0x189] = c.model;
    b[0x18a] = c.stepping;
  }
  b.set(f.chipId ?? (f.maskChipKey ? new Uint8Array(64) : chain.chipId), 0x1a0);
  dv.setBigUint64(0x1e0, tcb, true); // COMMITTED_TCB
  b.set([7, 55, 1], 0x1e8); // CURRENT build/minor/major
  b.set([7, 55, 1], 0x1ec); // COMMITTED build/minor/major
  dv.setBigUint64(0x1f0, tcb, true); // LAUNCH_TCB
  if (version >= 5) {
    dv.setBigUint64(0x1f8, 0x3n, true);
    dv.setBigUint64(0x200, 0x3n, true);
  }
  return b;
}

/** Sign bytes 0x000–0x29F with ECDSA P-384/SHA-384 and store R/S little-endian in 72-byte fields at 0x2A0. */
export async function signReport(body: Uint8Array, key: CryptoKey): Promise<Uint8Array> {
  const out = new Uint8Array(body);
  const sig = new Uint8Array(await subtle.sign({ name: "ECDSA", hash: "SHA-384" }, key, out.slice(0, 0x2a0)));
  out.fill(0, 0x2a0);
  out.set(sig.slice(0, 48).reverse(), 0x2a0);
  out.set(sig.slice(48, 96).reverse(), 0x2e8);
  return out;
}

/** A signed report from the chain's VCEK (or VLEK when signingKey is 1). */
export async function signedReport(chain: SyntheticAmd, f: ReportFields = {}): Promise<Uint8Array> {
  const key = f.signingKey === 1 ? chain.vlekKey.privateKey : chain.vcekKey.privateKey;
  return signReport(reportBody(chain, f), key);
}

/** Flip one bit of a copy. */
export function flipBit(bytes: Uint8Array, offset: number, bit = 0): Uint8Array {
  const out = new Uint8Array(bytes);
  out[offset]! ^= 1 << bit;
  return out;
}

/** PEM text of a DER certificate. */
export function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

// ---- Azure SEV-SNP behind a vTPM: HCL report + TPM2 quote, with a vTPM attestation key made at test time ----

export interface AzSnpOptions {
  /** The quote's extraData (the bound value). */
  extraData?: Uint8Array;
  pcrs?: Uint8Array[];
  /** PCR indices the quote selects (default 0–23). */
  selected?: number[];
  /** Replace the runtime data JSON (default: {"keys":[HCLAkPub], "vm-configuration": {...}}). */
  runtimeData?: Uint8Array;
  report?: ReportFields;
}

export interface SyntheticAzSnp {
  /** The evidence object (hcl_report/vcek base64url, tpm_quote hex), as attestation-rs emits it. */
  evidence: { version: number; hcl_report: string; vcek: string; tpm_quote: { signature: string; message: string; pcrs: string[] } };
  akKey: CryptoKeyPair;
  hcl: Uint8Array;
  message: Uint8Array;
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");

/** TPMS_ATTEST for a quote over SHA-256 PCRs. */
export function tpmsAttest(extraData: Uint8Array, selected: number[], pcrDigest: Uint8Array): Uint8Array {
  const bitmap = new Uint8Array(3);
  for (const i of selected) bitmap[i >> 3]! |= 1 << (i & 7);
  const name = new Uint8Array(34).fill(0x5a);
  name.set([0x00, 0x0b]);
  const parts: number[] = [];
  const u16 = (n: number) => parts.push((n >> 8) & 0xff, n & 0xff);
  parts.push(0xff, 0x54, 0x43, 0x47); // TPM_GENERATED_VALUE
  u16(0x8018); // TPM_ST_ATTEST_QUOTE
  u16(name.length);
  parts.push(...name);
  u16(extraData.length);
  parts.push(...extraData);
  parts.push(...new Uint8Array(17).fill(1), ...new Uint8Array(8).fill(2)); // clockInfo, firmwareVersion
  parts.push(0, 0, 0, 1); // one selection
  u16(0x000b); // SHA-256 bank
  parts.push(3, ...bitmap);
  u16(pcrDigest.length);
  parts.push(...pcrDigest);
  return new Uint8Array(parts);
}

export async function makeAzSnpEvidence(chain: SyntheticAmd, o: AzSnpOptions = {}): Promise<SyntheticAzSnp> {
  const akKey = (await subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const jwk = await subtle.exportKey("jwk", akKey.publicKey);
  const runtime = o.runtimeData ?? new TextEncoder().encode(JSON.stringify({
    keys: [{ kid: "HCLAkPub", key_ops: ["sign"], kty: "RSA", e: jwk.e, n: jwk.n }],
    "vm-configuration": { "secure-boot": true, "tpm-enabled": true },
  }));
  const reportData = new Uint8Array(64);
  reportData.set(new Uint8Array(await subtle.digest("SHA-256", new Uint8Array(runtime))));
  const snp = await signedReport(chain, { version: 2, reportData, ...o.report });
  const hcl = new Uint8Array(0x4d4 + runtime.length + 16); // trailing padding after the variable data
  const dv = new DataView(hcl.buffer);
  hcl.set(Buffer.from("HCLA", "latin1"));
  dv.setUint32(4, 1, true);
  dv.setUint32(8, hcl.length, true);
  dv.setUint32(12, 2, true);
  hcl.set(snp, 0x20);
  dv.setUint32(0x4c0, 20 + runtime.length, true);
  dv.setUint32(0x4c4, 1, true);
  dv.setUint32(0x4c8, 2, true); // SNP
  dv.setUint32(0x4cc, 1, true); // SHA-256
  dv.setUint32(0x4d0, runtime.length, true);
  hcl.set(runtime, 0x4d4);
  const pcrs = o.pcrs ?? Array.from({ length: 24 }, (_, i) => new Uint8Array(32).fill(i));
  const selected = o.selected ?? Array.from({ length: 24 }, (_, i) => i);
  const digest = new Uint8Array(await subtle.digest("SHA-256", Buffer.concat(selected.map((i) => pcrs[i]!))));
  const message = tpmsAttest(o.extraData ?? new Uint8Array(32).fill(0xee), selected, digest);
  const signature = new Uint8Array(await subtle.sign("RSASSA-PKCS1-v1_5", akKey.privateKey, new Uint8Array(message)));
  return {
    evidence: {
      version: 1,
      hcl_report: b64url(hcl),
      vcek: b64url(chain.vcekDer),
      tpm_quote: { signature: Buffer.from(signature).toString("hex"), message: Buffer.from(message).toString("hex"), pcrs: pcrs.map((p) => Buffer.from(p).toString("hex")) },
    },
    akKey,
    hcl,
    message,
  };
}

// ---- Kettle attestable builds (lunal.dev): provenance.json + evidence.json + artifacts/ ----

export const KETTLE_CARGO = "https://lunal.dev/kettle/cargo@v1";
export const KETTLE_BUILDER = "https://lunal.dev/kettle-tee/v1";

/** A Kettle-style provenance (in-toto Statement v1 + SLSA v1), pretty-printed as Kettle writes files. */
export function kettleProvenanceText(artifacts: Record<string, Uint8Array>, o: { invocationId?: string; buildType?: string } = {}): string {
  const subject = Object.entries(artifacts).map(([name, bytes]) => ({
    name,
    digest: { sha256: new Bun.CryptoHasher("sha256").update(bytes).digest("hex") },
  }));
  const statement = {
    _type: "https://in-toto.io/Statement/v1",
    subject,
    predicateType: "https://slsa.dev/provenance/v1",
    predicate: {
      buildDefinition: {
        buildType: o.buildType ?? KETTLE_CARGO,
        externalParameters: { buildCommand: "cargo build --release --locked", source: { uri: "git+https://github.com/example/app@refs/heads/main", digest: { gitCommit: "a1b2c3d4e5f67890abcdef1234567890abcdef12" } } },
        internalParameters: { tee: "sev-snp" },
        resolvedDependencies: [
          { uri: "git+https://github.com/example/app@refs/heads/main", digest: { gitCommit: "a1b2c3d4e5f67890abcdef1234567890abcdef12" } },
          { uri: "pkg:cargo/serde@1.0.228", digest: { sha256: "9a8e94ea7f378bd32cbbd37198a4a91436180c5bb472411e48b5ec2e2124ae9e" }, name: "serde" },
        ],
      },
      runDetails: {
        builder: { id: KETTLE_BUILDER },
        metadata: { invocationId: o.invocationId ?? "build-12345", startedOn: "2025-01-15T10:30:00Z", finishedOn: "2025-01-15T10:35:00Z" },
      },
    },
  };
  return `${JSON.stringify(statement, null, 2)}\n`;
}

/** sha256 of the provenance as Kettle binds it: JSON.stringify(JSON.parse(text)), all 32 bytes. */
export function kettleBinding(provenanceText: string): Uint8Array {
  return new Uint8Array(new Bun.CryptoHasher("sha256").update(JSON.stringify(JSON.parse(provenanceText))).digest());
}

/** evidence.json for platform "snp" (report and VCEK as base64 DER, the attestation-rs envelope). */
export function kettleSnpEvidence(report: Uint8Array, vcekDer?: Uint8Array): string {
  return JSON.stringify({
    platform: "snp",
    evidence: { attestation_report: Buffer.from(report).toString("base64"), ...(vcekDer ? { cert_chain: { vcek: Buffer.from(vcekDer).toString("base64") } } : {}) },
  });
}

export interface AmdCrlOptions {
  /** Hex serials to list (e.g. the ASK's "010001"). */
  revoked?: string[];
  thisUpdate?: Date;
  /** null: a CRL without nextUpdate. */
  nextUpdate?: Date | null;
  /** Sign with this key instead of the ARK's (a forged CRL under the ARK's name). */
  signingKey?: CryptoKey;
  /** Issuer Name DER to copy byte for byte (e.g. the real pinned ARK's subject). */
  issuerDer?: Uint8Array;
}

/** The product CRL as AMD's KDS serves it: issuer ARK-<Product>, RSASSA-PSS SHA-384 salt 48 by the ARK. */
export async function makeAmdCrl(chain: SyntheticAmd, o: AmdCrlOptions = {}): Promise<{ der: Uint8Array; pem: string }> {
  const thisUpdate = o.thisUpdate ?? new Date(chain.validTime.getTime() - 86_400_000);
  const nextUpdate = o.nextUpdate === undefined ? new Date(chain.validTime.getTime() + 86_400_000) : o.nextUpdate;
  const crl = await x509.X509CrlGenerator.create({
    issuer: o.issuerDer ? new x509.Name(Uint8Array.from(o.issuerDer)) : AMD_NAME(`ARK-${PRODUCT_TITLE[chain.product]}`),
    thisUpdate,
    ...(nextUpdate ? { nextUpdate } : {}),
    signingAlgorithm: PSS,
    signingKey: o.signingKey ?? chain.arkKey.privateKey,
    entries: (o.revoked ?? []).map((serialNumber) => ({ serialNumber, revocationDate: new Date(thisUpdate.getTime() - 3_600_000) })),
  });
  return { der: new Uint8Array(crl.rawData), pem: crl.toString("pem") };
}
