// Synthetic Intel TDX material made at test time with the real algorithms: an ECDSA P-256 CA chain named like
// Intel's (Root CA → PCK Platform/Processor CA → PCK Certificate, with SGX extensions) and quotes v4/v5 whose
// quote signature, QE report signature and QE report binding are computed exactly as a real QE does.
// Also the generic certificate-chain helper nitro-gen.ts uses (P-384 there).
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import { createHash } from "node:crypto";

x509.cryptoProvider.set(crypto);

export type Curve = "P-256" | "P-384";
const HASH: Record<Curve, string> = { "P-256": "SHA-256", "P-384": "SHA-384" };

export interface TestCert {
  der: Uint8Array;
  pem: string;
  keys: CryptoKeyPair;
  name: string;
}

export interface CertSpec {
  name: string;
  ca: boolean;
  notBefore: Date;
  notAfter: Date;
  extensions?: x509.Extension[];
  pathLength?: number;
}

let serial = 1;
function nextSerial(): string {
  return (serial++).toString(16).padStart(8, "0");
}

export async function ecKeys(curve: Curve): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign", "verify"])) as CryptoKeyPair;
}

function toTestCert(cert: x509.X509Certificate, keys: CryptoKeyPair, name: string): TestCert {
  return { der: new Uint8Array(cert.rawData), pem: cert.toString("pem"), keys, name };
}

function baseExtensions(spec: CertSpec): x509.Extension[] {
  const ext: x509.Extension[] = [
    new x509.BasicConstraintsExtension(spec.ca, spec.ca ? spec.pathLength : undefined, true),
    new x509.KeyUsagesExtension(spec.ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature, true),
  ];
  return [...ext, ...(spec.extensions ?? [])];
}

export async function selfSigned(curve: Curve, spec: CertSpec): Promise<TestCert> {
  const keys = await ecKeys(curve);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: spec.name,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    keys,
    signingAlgorithm: { name: "ECDSA", hash: HASH[curve] },
    extensions: baseExtensions(spec),
  });
  return toTestCert(cert, keys, spec.name);
}

export async function issued(curve: Curve, issuer: TestCert, spec: CertSpec, keys?: CryptoKeyPair): Promise<TestCert> {
  const k = keys ?? (await ecKeys(curve));
  // The issuer signs with its own curve's hash (P-384 issuers sign with SHA-384, as AWS does).
  const issuerCurve = (issuer.keys.privateKey.algorithm as unknown as { namedCurve: string }).namedCurve as Curve;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject: spec.name,
    issuer: issuer.name,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    publicKey: k.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: { name: "ECDSA", hash: HASH[issuerCurve] },
    extensions: baseExtensions(spec),
  });
  return toTestCert(cert, k, spec.name);
}

export async function signRaw(key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  const curve = (key.algorithm as unknown as { namedCurve: string }).namedCurve as Curve;
  return new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: HASH[curve] }, key, new Uint8Array(data)));
}

export async function rawPublicKey(key: CryptoKey): Promise<Uint8Array> {
  // WebCrypto raw export is 0x04 ‖ x ‖ y.
  return new Uint8Array(await crypto.subtle.exportKey("raw", key)).subarray(1);
}

export function flipBit(b: Uint8Array, offset: number, bit = 0): Uint8Array {
  const c = new Uint8Array(b);
  c[offset]! ^= 1 << bit;
  return c;
}

export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

// ---- Intel TDX ----

export const SGX_OID = "1.2.840.113741.1.13.1";

export interface SgxExtensionSpec {
  fmspc: string;
  pceId: string;
  pceSvn: number;
  cpuSvn: Uint8Array;
  /** Leave the FMSPC pair out (a malformed extension). */
  omitFmspc?: boolean;
}

/** The SGX extension value as Intel's PCK profile lays it out (PPID, TCB, PCE-ID, FMSPC, SGX type). */
export function sgxExtension(spec: SgxExtensionSpec): x509.Extension {
  const pair = (oid: string, value: asn1js.AsnType) => new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid }), value] });
  const tcb: asn1js.AsnType[] = [];
  for (let i = 1; i <= 16; i++) tcb.push(pair(`${SGX_OID}.2.${i}`, new asn1js.Integer({ value: spec.cpuSvn[i - 1] ?? 0 })));
  tcb.push(pair(`${SGX_OID}.2.17`, new asn1js.Integer({ value: spec.pceSvn })));
  tcb.push(pair(`${SGX_OID}.2.18`, new asn1js.OctetString({ valueHex: spec.cpuSvn })));
  const seq = new asn1js.Sequence({
    value: [
      pair(`${SGX_OID}.1`, new asn1js.OctetString({ valueHex: new Uint8Array(16).fill(0xab) })),
      pair(`${SGX_OID}.2`, new asn1js.Sequence({ value: tcb })),
      pair(`${SGX_OID}.3`, new asn1js.OctetString({ valueHex: Buffer.from(spec.pceId, "hex") })),
      ...(spec.omitFmspc ? [] : [pair(`${SGX_OID}.4`, new asn1js.OctetString({ valueHex: Buffer.from(spec.fmspc, "hex") }))]),
      pair(`${SGX_OID}.5`, new asn1js.Enumerated({ value: 0 })),
    ],
  });
  return new x509.Extension(SGX_OID, false, seq.toBER());
}

const INTEL_DN = "O=Intel Corporation, L=Santa Clara, ST=CA, C=US";

export interface TdxChainOptions {
  notBefore?: Date;
  notAfter?: Date;
  /** Leaf validity, when it differs from the CAs'. */
  leafNotBefore?: Date;
  leafNotAfter?: Date;
  caName?: string;
  leafCn?: string;
  sgx?: SgxExtensionSpec | null;
}

export interface TdxChain {
  root: TestCert;
  intermediate: TestCert;
  leaf: TestCert;
  /** leaf ‖ intermediate ‖ root, as a quote carries it. */
  pem: string;
}

export const DEFAULT_SGX: SgxExtensionSpec = {
  fmspc: "00906ed50000",
  pceId: "0000",
  pceSvn: 13,
  cpuSvn: new Uint8Array([4, 4, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0]),
};

export async function makeTdxChain(o: TdxChainOptions = {}): Promise<TdxChain> {
  const notBefore = o.notBefore ?? new Date("2024-01-01T00:00:00Z");
  const notAfter = o.notAfter ?? new Date("2031-01-01T00:00:00Z");
  const root = await selfSigned("P-256", { name: `CN=Intel SGX Root CA, ${INTEL_DN}`, ca: true, pathLength: 1, notBefore, notAfter });
  const intermediate = await issued("P-256", root, { name: `CN=${o.caName ?? "Intel SGX PCK Platform CA"}, ${INTEL_DN}`, ca: true, pathLength: 0, notBefore, notAfter });
  const sgx = o.sgx === undefined ? DEFAULT_SGX : o.sgx;
  const leaf = await issued("P-256", intermediate, {
    name: `CN=${o.leafCn ?? "Intel SGX PCK Certificate"}, ${INTEL_DN}`,
    ca: false,
    notBefore: o.leafNotBefore ?? notBefore,
    notAfter: o.leafNotAfter ?? notAfter,
    extensions: sgx ? [sgxExtension(sgx)] : [],
  });
  return { root, intermediate, leaf, pem: leaf.pem + "\n" + intermediate.pem + "\n" + root.pem + "\n" };
}

export interface TdxQuoteOptions {
  version?: 4 | 5;
  teeTcbSvn?: Uint8Array;
  /** v5 only: 2 = TD 1.0 body, 3 = TD 1.5 body. */
  bodyType?: 2 | 3;
  mrTd?: Uint8Array;
  reportData?: Uint8Array;
  tdAttributes?: Uint8Array;
  qeAuthData?: Uint8Array;
  /** Override the PCK chain PEM embedded in the quote. */
  pem?: string;
  /** Sign the QE report with this key instead of the PCK leaf's. */
  qeSigningKey?: CryptoKey;
  /** Corrupt the QE report data binding (upper half non-zero). */
  qeReportDataTail?: Uint8Array;
}

export interface TdxQuoteLayout {
  bytes: Uint8Array;
  /** Offsets, for targeted bit flips. */
  bodyOffset: number;
  bodySize: number;
  signatureOffset: number;
  attestationKeyOffset: number;
  qeReportOffset: number;
  qeReportSignatureOffset: number;
  qeAuthDataOffset: number;
  pemOffset: number;
}

function u16(n: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, n, true);
  return b;
}
function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
function filled(n: number, v: number): Uint8Array {
  return new Uint8Array(n).fill(v);
}

/** A TDX quote signed like a real Quoting Enclave would: attestation key made here, QE report signed by the PCK leaf. */
export async function makeTdxQuote(chain: TdxChain, o: TdxQuoteOptions = {}): Promise<TdxQuoteLayout> {
  const version = o.version ?? 4;
  const bodyType = version === 5 ? (o.bodyType ?? 3) : 2;
  const header = concat(u16(version), u16(2), u32(0x81), u16(0), u16(0), filled(16, 0x93), filled(20, 0));
  const td10 = concat(
    o.teeTcbSvn ?? filled(16, 0x03), // TEE_TCB_SVN
    filled(48, 0x11), // MRSEAM
    filled(48, 0x00), // MRSIGNERSEAM
    filled(8, 0x00), // SEAMATTRIBUTES
    o.tdAttributes ?? filled(8, 0x00),
    filled(8, 0xe7), // XFAM
    o.mrTd ?? filled(48, 0x5a),
    filled(48, 0x00), // MRCONFIGID
    filled(48, 0x00), // MROWNER
    filled(48, 0x00), // MROWNERCONFIG
    filled(48, 0x21), filled(48, 0x22), filled(48, 0x23), filled(48, 0x24), // RTMR0-3
    o.reportData ?? filled(64, 0x77),
  );
  const body = bodyType === 3 ? concat(td10, filled(16, 0x0d), filled(48, 0x00)) : td10;
  const descriptor = version === 5 ? concat(u16(bodyType), u32(body.length)) : new Uint8Array(0);
  const signed = concat(header, descriptor, body);

  const ak = await ecKeys("P-256");
  const akRaw = await rawPublicKey(ak.publicKey);
  const signature = await signRaw(ak.privateKey, signed);
  const authData = o.qeAuthData ?? new Uint8Array(32).map((_, i) => i);
  const binding = createHash("sha256").update(akRaw).update(authData).digest();
  const qeReport = concat(
    filled(16, 0x04), // CPUSVN
    u32(0), // MISCSELECT
    filled(28, 0),
    concat(new Uint8Array([0x11]), filled(15, 0)), // ATTRIBUTES (INIT | MODE64BIT)
    filled(32, 0xaa), // MRENCLAVE
    filled(32, 0),
    filled(32, 0xdc), // MRSIGNER
    filled(96, 0),
    u16(2), // ISVPRODID
    u16(7), // ISVSVN
    filled(60, 0),
    binding,
    o.qeReportDataTail ?? filled(32, 0),
  );
  const qeSig = await signRaw(o.qeSigningKey ?? chain.leaf.keys.privateKey, qeReport);
  const pemBytes = new TextEncoder().encode(o.pem ?? chain.pem);
  const inner = concat(u16(5), u32(pemBytes.length), pemBytes);
  const qeCert = concat(qeReport, qeSig, u16(authData.length), authData, inner);
  const sigData = concat(signature, akRaw, u16(6), u32(qeCert.length), qeCert);
  const bytes = concat(signed, u32(sigData.length), sigData);
  const sigStart = signed.length + 4;
  const qeReportOffset = sigStart + 128 + 6;
  return {
    bytes,
    bodyOffset: header.length + descriptor.length,
    bodySize: body.length,
    signatureOffset: sigStart,
    attestationKeyOffset: sigStart + 64,
    qeReportOffset,
    qeReportSignatureOffset: qeReportOffset + 384,
    qeAuthDataOffset: qeReportOffset + 384 + 64 + 2,
    pemOffset: qeReportOffset + 384 + 64 + 2 + authData.length + 6,
  };
}

/** Replace one PEM certificate inside a quote by a same-length tampered copy (DER bit flip, re-encoded). */
export function pemWithTamperedCert(pem: string, index: number, tamper: (der: Uint8Array) => Uint8Array): string {
  let i = 0;
  return pem.replace(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g, (whole, body: string) => {
    if (i++ !== index) return whole;
    const der = new Uint8Array(Buffer.from(body.replace(/\s+/g, ""), "base64"));
    const b64 = Buffer.from(tamper(der)).toString("base64");
    // Keep the original line layout so lengths (and every other offset of the quote) stay the same.
    let k = 0;
    const relaid = body.replace(/[A-Za-z0-9+/=]/g, () => b64[k++]!);
    return `-----BEGIN CERTIFICATE-----${relaid}-----END CERTIFICATE-----`;
  });
}

/** Flip one bit of the signature value at the end of a DER certificate (the TBS stays intact). */
export function flipCertSignature(der: Uint8Array): Uint8Array {
  return flipBit(der, der.length - 3, 0);
}

/** Flip one bit of a text byte in the certificate's subject CN (content tamper under the issuer's signature). */
export function flipCertSubject(der: Uint8Array, cn: string): Uint8Array {
  const enc = new TextEncoder().encode(cn);
  // The subject comes after the issuer in the TBS: take the last occurrence.
  let at = -1;
  for (let i = indexOfBytes(der, enc); i !== -1; i = indexOfBytes(der, enc, i + 1)) at = i;
  if (at < 0) throw new Error(`CN ${cn} not found in certificate`);
  return flipBit(der, at + enc.length - 1, 1);
}

// ---- Intel PCS collateral (TCB info v3 + QE identity v2), signed like Intel's PCS signs it ----

export interface CollateralLevel {
  sgx: number[];
  pcesvn: number;
  tdx: number[];
  status: string;
  advisoryIDs?: string[];
  tcbDate?: string;
}

export interface CollateralOptions {
  fmspc?: string;
  issueDate?: string;
  nextUpdate?: string;
  levels?: CollateralLevel[];
  moduleIdentities?: { id: string; mrsigner?: string; levels: { isvsvn: number; status: string; advisoryIDs?: string[] }[] }[];
  moduleMrsigner?: string;
  qeMrsigner?: string;
  qeLevels?: { isvsvn: number; status: string; advisoryIDs?: string[] }[];
  /** The certificate that signs (defaults to a fresh "Intel SGX TCB Signing" cert issued by the chain's root). */
  signer?: TestCert;
  signerName?: string;
}

export interface TdxCollateralFiles {
  /** Intel PCS response bodies (compact JSON, as the PCS serves them). */
  tcbInfoBody: string;
  qeIdentityBody: string;
  /** The TCB-Info-Issuer-Chain header value, URL-decoded: signing certificate then root. */
  issuerChainPem: string;
  /** The same collateral in dcap-qvl's QuoteCollateralV3 JSON. */
  dcapQvlJson: string;
  signer: TestCert;
}

const comps = (svns: number[]) => svns.map((svn) => ({ svn }));

export async function makeTdxCollateral(chain: TdxChain, o: CollateralOptions = {}): Promise<TdxCollateralFiles> {
  const signer =
    o.signer ??
    (await issued("P-256", chain.root, {
      name: `CN=${o.signerName ?? "Intel SGX TCB Signing"}, ${INTEL_DN}`,
      ca: false,
      notBefore: new Date("2024-01-01T00:00:00Z"),
      notAfter: new Date("2031-01-01T00:00:00Z"),
    }));
  const levels = o.levels ?? [
    { sgx: [4, 4, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0], pcesvn: 13, tdx: [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3], status: "UpToDate" },
    { sgx: [2, 2, 2, 2, 2, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0], pcesvn: 11, tdx: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], status: "OutOfDate", advisoryIDs: ["INTEL-SA-00837"] },
  ];
  const tcbInfo = {
    id: "TDX",
    version: 3,
    issueDate: o.issueDate ?? "2026-05-01T00:00:00Z",
    nextUpdate: o.nextUpdate ?? "2026-07-01T00:00:00Z",
    fmspc: o.fmspc ?? "00906ed50000",
    pceId: "0000",
    tcbType: 0,
    tcbEvaluationDataNumber: 17,
    tdxModule: { mrsigner: o.moduleMrsigner ?? "00".repeat(48), attributes: "0000000000000000", attributesMask: "FFFFFFFFFFFFFFFF" },
    tdxModuleIdentities: (o.moduleIdentities ?? [{ id: "TDX_03", levels: [{ isvsvn: 3, status: "UpToDate" }, { isvsvn: 1, status: "OutOfDate", advisoryIDs: ["INTEL-SA-01111"] }] }]).map((m) => ({
      id: m.id,
      mrsigner: m.mrsigner ?? "00".repeat(48),
      attributes: "0000000000000000",
      attributesMask: "FFFFFFFFFFFFFFFF",
      tcbLevels: m.levels.map((l) => ({ tcb: { isvsvn: l.isvsvn }, tcbDate: "2024-03-13T00:00:00Z", tcbStatus: l.status, ...(l.advisoryIDs ? { advisoryIDs: l.advisoryIDs } : {}) })),
    })),
    tcbLevels: levels.map((l) => ({
      tcb: { sgxtcbcomponents: comps(l.sgx), pcesvn: l.pcesvn, tdxtcbcomponents: comps(l.tdx) },
      tcbDate: l.tcbDate ?? "2024-03-13T00:00:00Z",
      tcbStatus: l.status,
      ...(l.advisoryIDs ? { advisoryIDs: l.advisoryIDs } : {}),
    })),
  };
  const qeIdentity = {
    id: "TD_QE",
    version: 2,
    issueDate: o.issueDate ?? "2026-05-01T00:00:00Z",
    nextUpdate: o.nextUpdate ?? "2026-07-01T00:00:00Z",
    tcbEvaluationDataNumber: 17,
    miscselect: "00000000",
    miscselectMask: "FFFFFFFF",
    attributes: "11000000000000000000000000000000",
    attributesMask: "FBFFFFFFFFFFFFFF0000000000000000",
    mrsigner: o.qeMrsigner ?? "DC".repeat(32),
    isvprodid: 2,
    tcbLevels: (o.qeLevels ?? [{ isvsvn: 7, status: "UpToDate" }, { isvsvn: 4, status: "OutOfDate", advisoryIDs: ["INTEL-SA-00615"] }]).map((l) => ({
      tcb: { isvsvn: l.isvsvn },
      tcbDate: "2024-03-13T00:00:00Z",
      tcbStatus: l.status,
      ...(l.advisoryIDs ? { advisoryIDs: l.advisoryIDs } : {}),
    })),
  };
  const tcbText = JSON.stringify(tcbInfo);
  const qeText = JSON.stringify(qeIdentity);
  const enc = new TextEncoder();
  const tcbSig = Buffer.from(await signRaw(signer.keys.privateKey, enc.encode(tcbText))).toString("hex");
  const qeSig = Buffer.from(await signRaw(signer.keys.privateKey, enc.encode(qeText))).toString("hex");
  const issuerChainPem = signer.pem + "\n" + chain.root.pem + "\n";
  return {
    tcbInfoBody: `{"tcbInfo":${tcbText},"signature":"${tcbSig}"}`,
    qeIdentityBody: `{"enclaveIdentity":${qeText},"signature":"${qeSig}"}`,
    issuerChainPem,
    dcapQvlJson: JSON.stringify({
      tcb_info_issuer_chain: issuerChainPem,
      tcb_info: tcbText,
      tcb_info_signature: tcbSig,
      qe_identity_issuer_chain: issuerChainPem,
      qe_identity: qeText,
      qe_identity_signature: qeSig,
    }),
    signer,
  };
}

// ---- Intel SGX CRLs (Root CA CRL, PCK CRL), ECDSA P-256 / SHA-256 like Intel's ----

export interface CrlOptions {
  revoked?: TestCert[];
  thisUpdate?: Date;
  nextUpdate?: Date;
  /** Sign with this key instead of the issuer's (a forged CRL). */
  signingKey?: CryptoKey;
}

export async function makeCrl(issuer: TestCert, o: CrlOptions = {}): Promise<{ der: Uint8Array; pem: string }> {
  const { X509Certificate: NodeCert } = await import("node:crypto");
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer.name,
    thisUpdate: o.thisUpdate ?? new Date("2026-05-01T00:00:00Z"),
    nextUpdate: o.nextUpdate ?? new Date("2026-07-01T00:00:00Z"),
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    signingKey: o.signingKey ?? issuer.keys.privateKey,
    entries: (o.revoked ?? []).map((c) => ({ serialNumber: new NodeCert(c.der).serialNumber, revocationDate: new Date("2026-04-01T00:00:00Z") })),
  });
  return { der: new Uint8Array(crl.rawData), pem: crl.toString("pem") };
}
