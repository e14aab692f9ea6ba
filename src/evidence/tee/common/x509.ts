// X.509 reading shared by every TEE verifier (AMD VCEK/VLEK chains here; Intel PCK and AWS Nitro chains through
// x509chain.ts; PCK SGX extensions; Intel and AMD CRLs). Parsing uses @sigstore/core's DER reader; the async
// signature checks here use WebCrypto, because under Bun node:crypto lacks the rsa-pss key type that AMD's
// ARK/ASK/ASVK certificates sign with.
import { ASN1Obj } from "@sigstore/core";
import { sha256Hex, toHex } from "../../../core/digest.ts";
import { TollgateError } from "../../../core/errors.ts";

export const OID = {
  rsaEncryption: "1.2.840.113549.1.1.1",
  rsassaPss: "1.2.840.113549.1.1.10",
  mgf1: "1.2.840.113549.1.1.8",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
  ecPublicKey: "1.2.840.10045.2.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
  secp256r1: "1.2.840.10045.3.1.7",
  secp384r1: "1.3.132.0.34",
  commonName: "2.5.4.3",
  basicConstraints: "2.5.29.19",
} as const;

const HASH_NAME: Record<string, "SHA-256" | "SHA-384" | "SHA-512"> = {
  [OID.sha256]: "SHA-256",
  [OID.sha384]: "SHA-384",
  [OID.sha512]: "SHA-512",
};

export type SignatureAlgorithm =
  | { kind: "rsa-pss"; hash: "SHA-256" | "SHA-384" | "SHA-512"; mgfHash: string; saltLength: number; trailer: number }
  | { kind: "ecdsa"; hash: "SHA-256" | "SHA-384" }
  | { kind: "unsupported"; oid: string };

/** A parsed certificate: what the TEE chains need, with the exact signed bytes. */
export interface Certificate {
  readonly der: Uint8Array;
  /** sha256 of the DER: the fingerprint roots are pinned by. */
  readonly sha256: string;
  /** TBSCertificate bytes as signed. */
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Uint8Array;
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  readonly publicKeyAlgorithm: string;
  /** Named curve OID for EC keys. */
  readonly publicKeyCurve?: string;
  readonly subjectCN: string | undefined;
  readonly issuerCN: string | undefined;
  /** The subject / issuer Name on one line, in encoded order (`C=US, O=Amazon, CN=…`), for reasons and facts. */
  readonly subject: string;
  readonly issuer: string;
  /** Raw DER of the subject / issuer Name, for exact issuer matching. */
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCA: boolean;
  /** Extension OID → extnValue contents (the bytes inside the OCTET STRING). */
  readonly extensions: ReadonlyMap<string, Uint8Array>;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g;

/**
 * Every certificate in a PEM text, as DER, in order. Anything between blocks is ignored; a block with a
 * character outside the base64 alphabet is not a certificate (skipped, never decoded leniently).
 */
export function pemCertificates(text: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of text.matchAll(PEM_CERT)) {
    const b64 = m[1]!.replace(/\s+/g, "");
    out.push(new Uint8Array(Buffer.from(b64, "base64")));
  }
  return out;
}

// RFC 7468's label is "X509 CRL"; openssl and others also write "CRL".
const PEM_CRL = /-----BEGIN (X509 )?CRL-----([A-Za-z0-9+/=\s]*?)-----END \1CRL-----/g;

/** Every CRL in a PEM text, as DER, in order (the TDX and SEV-SNP revocation inputs). */
export function pemCrls(text: string): Uint8Array[] {
  return [...text.matchAll(PEM_CRL)].map((m) => new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ""), "base64")));
}

/** DER bytes, or the certificates of a PEM file; [] when the bytes are neither. */
export function certificateDers(bytes: Uint8Array): Uint8Array[] {
  if (bytes[0] === 0x30) return [bytes];
  const head = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 4096))).toString("latin1");
  if (!head.includes("-----BEGIN CERTIFICATE-----")) return [];
  return pemCertificates(Buffer.from(bytes).toString("latin1"));
}

/** One DER element's extent inside a buffer: [start, start of contents, end). */
interface Tlv {
  start: number;
  body: number;
  end: number;
}

/**
 * DER framing only (tag, minimal definite length): where each element sits in the original bytes, so the
 * signed TBSCertificate and the SPKI are taken exactly as given, never re-encoded. Meaning comes from ASN1Obj.
 */
function tlvAt(b: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new Error("truncated element");
  if ((b[at]! & 0x1f) === 0x1f) throw new Error("multi-byte tags are not used in certificates");
  let len = b[at + 1]!;
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error("indefinite or oversized length");
    if (body + n > limit) throw new Error("truncated length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[body + i]!;
    if (b[body] === 0 || len < 0x80) throw new Error("non-minimal length encoding (not DER)");
    body += n;
  }
  const end = body + len;
  if (end > limit) throw new Error("element runs past its parent");
  return { start: at, body, end };
}

function tlvChildren(b: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.body; at < parent.end; ) {
    const t = tlvAt(b, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

const slice = (b: Uint8Array, t: Tlv) => b.slice(t.start, t.end);

const SEQUENCE = 0x30;
const BIT_STRING = 0x03;

/** The outer SEQUENCE { tbs SEQUENCE, algorithm SEQUENCE, signature BIT STRING } of a certificate or CRL. */
function signedFrame(b: Uint8Array, top: Tlv, what: string): Tlv[] {
  const frame = tlvChildren(b, top);
  const tags = [b[top.start], ...frame.map((t) => b[t.start])];
  if (tags.length !== 4 || tags[0] !== SEQUENCE || tags[1] !== SEQUENCE || tags[2] !== SEQUENCE || tags[3] !== BIT_STRING) {
    throw new Error(`not a ${what} SEQUENCE`);
  }
  return frame;
}

function nameCN(name: ASN1Obj): string | undefined {
  for (const rdn of name.subs) {
    for (const atv of rdn.subs) {
      if (atv.subs[0]?.tag.isOID() && atv.subs[0].toOID() === OID.commonName) {
        return Buffer.from(atv.subs[1]!.value).toString("utf8");
      }
    }
  }
  return undefined;
}

const SHORT_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "street",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.17": "postalCode",
  "1.2.840.113549.1.9.1": "emailAddress",
  "0.9.2342.19200300.100.1.25": "DC",
};

/** A Name on one line as node prints it, RDNs in encoded order joined by ", " (multi-valued RDNs by "+"). */
function nameLine(name: ASN1Obj): string {
  return name.subs
    .map((rdn) => rdn.subs.map((atv) => `${SHORT_NAMES[atv.subs[0]!.toOID()] ?? atv.subs[0]!.toOID()}=${Buffer.from(atv.subs[1]!.value).toString("utf8")}`).join("+"))
    .join(", ");
}

function parseSigAlg(alg: ASN1Obj): SignatureAlgorithm {
  const oid = alg.subs[0]!.toOID();
  if (oid === OID.ecdsaWithSha256) return { kind: "ecdsa", hash: "SHA-256" };
  if (oid === OID.ecdsaWithSha384) return { kind: "ecdsa", hash: "SHA-384" };
  if (oid !== OID.rsassaPss) return { kind: "unsupported", oid };
  // RSASSA-PSS-params ::= SEQUENCE { [0] hashAlgorithm, [1] maskGenAlgorithm, [2] saltLength, [3] trailerField }
  // Defaults (SHA-1, MGF1-SHA-1, 20, 1) are never acceptable here, so absent fields stay "unsupported" below.
  let hashOid = "1.3.14.3.2.26";
  let mgfHash = "1.3.14.3.2.26";
  let saltLength = 20;
  let trailer = 1;
  const params = alg.subs[1];
  for (const p of params?.subs ?? []) {
    if (p.tag.isContextSpecific(0)) hashOid = p.subs[0]!.subs[0]!.toOID();
    else if (p.tag.isContextSpecific(1)) {
      const mgf = p.subs[0]!;
      if (mgf.subs[0]!.toOID() !== OID.mgf1) return { kind: "unsupported", oid: `${oid} with mask ${mgf.subs[0]!.toOID()}` };
      mgfHash = mgf.subs[1]!.subs[0]!.toOID();
    } else if (p.tag.isContextSpecific(2)) saltLength = Number(p.subs[0]!.toInteger());
    else if (p.tag.isContextSpecific(3)) trailer = Number(p.subs[0]!.toInteger());
  }
  const hash = HASH_NAME[hashOid];
  if (!hash) return { kind: "unsupported", oid: `${oid} with hash ${hashOid}` };
  return { kind: "rsa-pss", hash, mgfHash: HASH_NAME[mgfHash] ?? mgfHash, saltLength, trailer };
}

// Gates see the same few VCEKs/PCK leaves over and over: parsed certificates are memoized by DER sha256
// (immutable results, bounded so a stream of new certificates cannot grow it).
const parsedCache = new Map<string, Certificate>();

/** Parse one DER certificate. Throws TollgateError("malformed") on anything that is not a DER X.509 v3 cert. */
export function parseCertificate(der: Uint8Array, what = "certificate"): Certificate {
  const digest = sha256Hex(der);
  const hit = parsedCache.get(digest);
  if (hit) return hit;
  const cert = parseUncached(new Uint8Array(der), digest, what);
  if (parsedCache.size >= 256) parsedCache.delete(parsedCache.keys().next().value!);
  parsedCache.set(digest, cert);
  return cert;
}

function parseUncached(der: Uint8Array, digest: string, what: string): Certificate {
  let root: ASN1Obj;
  try {
    root = ASN1Obj.parseBuffer(Buffer.from(der));
  } catch (e) {
    throw new TollgateError("malformed", `${what} is not DER: ${(e as Error).message}`);
  }
  try {
    const top = tlvAt(der, 0, der.length);
    if (top.end !== der.length) throw new Error("trailing bytes after the certificate");
    const frame = signedFrame(der, top, "Certificate");
    const tbsFrame = tlvChildren(der, frame[0]!);
    const [tbsObj, sigAlgObj, sigObj] = root.subs;
    if (!tbsObj || !sigAlgObj || !sigObj || root.subs.length !== 3 || frame.length !== 3) throw new Error("not a Certificate SEQUENCE");
    if (tbsFrame.length !== tbsObj.subs.length) throw new Error("TBSCertificate framing differs");
    const t = tbsObj.subs;
    let i = 0;
    if (t[0]?.tag.isContextSpecific(0)) i = 1; // explicit version
    if (t.length < i + 6) throw new Error("TBSCertificate has too few fields");
    const serial = t[i]!;
    const issuer = t[i + 2]!;
    const validity = t[i + 3]!;
    const subject = t[i + 4]!;
    const spkiObj = t[i + 5]!;
    const extensions = new Map<string, Uint8Array>();
    let isCA = false;
    for (const o of t.slice(i + 6)) {
      if (!o.tag.isContextSpecific(3)) continue;
      for (const ext of o.subs[0]?.subs ?? []) {
        const extOid = ext.subs[0]!.toOID();
        const valueObj = ext.subs[ext.subs.length - 1]!;
        if (!valueObj.tag.isOctetString()) throw new Error(`extension ${extOid} has no OCTET STRING value`);
        if (extensions.has(extOid)) throw new Error(`duplicate extension ${extOid}`);
        extensions.set(extOid, new Uint8Array(valueObj.value));
        if (extOid === OID.basicConstraints) {
          const bc = ASN1Obj.parseBuffer(Buffer.from(valueObj.value));
          isCA = bc.subs[0]?.tag.isBoolean() ? bc.subs[0].toBoolean() : false;
        }
      }
    }
    const keyAlg = spkiObj.subs[0]!;
    const publicKeyAlgorithm = keyAlg.subs[0]!.toOID();
    const curve = publicKeyAlgorithm === OID.ecPublicKey ? keyAlg.subs[1]?.toOID() : undefined;
    const sigBits = sigObj.value;
    if (sigBits[0] !== 0) throw new Error("signature BIT STRING has unused bits");
    const cert: Certificate = {
      der,
      sha256: digest,
      tbs: slice(der, frame[0]!),
      signatureAlgorithm: parseSigAlg(sigAlgObj),
      signature: new Uint8Array(sigBits.subarray(1)),
      spki: slice(der, tbsFrame[i + 5]!),
      publicKeyAlgorithm,
      ...(curve ? { publicKeyCurve: curve } : {}),
      subjectCN: nameCN(subject),
      issuerCN: nameCN(issuer),
      subject: nameLine(subject),
      issuer: nameLine(issuer),
      subjectDer: slice(der, tbsFrame[i + 4]!),
      issuerDer: slice(der, tbsFrame[i + 2]!),
      serialHex: toHex(new Uint8Array(serial.value)),
      notBefore: validity.subs[0]!.toDate(),
      notAfter: validity.subs[1]!.toDate(),
      isCA,
      extensions,
    };
    // The TBS signature algorithm must equal the outer one (RFC 5280 4.1.1.2).
    if (!Buffer.from(slice(der, tbsFrame[i + 1]!)).equals(Buffer.from(slice(der, frame[1]!)))) {
      throw new Error("inner and outer signature algorithms differ");
    }
    return cert;
  } catch (e) {
    if (e instanceof TollgateError) throw e;
    throw new TollgateError("malformed", `${what} is not a valid X.509 certificate: ${(e as Error).message}`);
  }
}

/** Parse without throwing: undefined when the bytes are not a certificate. */
export function tryParseCertificate(der: Uint8Array): Certificate | undefined {
  try {
    return parseCertificate(der);
  } catch {
    return undefined;
  }
}

export interface SigResult {
  ok: boolean;
  reason?: string;
}

const subtle = globalThis.crypto.subtle;

function ab(u: Uint8Array): ArrayBuffer {
  return u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
}

/** Does `issuer`'s key sign `child`? RSA-PSS (explicit params, MGF1 hash = hash, trailer 1) or ECDSA. */
export async function verifyCertificateSignature(child: Certificate, issuer: Certificate): Promise<SigResult> {
  const alg = child.signatureAlgorithm;
  const who = `${child.subjectCN ?? "certificate"} by ${issuer.subjectCN ?? "issuer"}`;
  if (!Buffer.from(child.issuerDer).equals(Buffer.from(issuer.subjectDer))) {
    return { ok: false, reason: `${child.subjectCN}'s issuer name (${child.issuerCN}) is not ${issuer.subjectCN}'s subject name` };
  }
  return verifySignedBytes(alg, child.tbs, child.signature, issuer, who);
}

/** Does `issuer`'s key make `signature` over `tbs` with `alg`? Shared by certificates and CRLs; `who` names it in reasons. */
export async function verifySignedBytes(alg: SignatureAlgorithm, tbs: Uint8Array, signature: Uint8Array, issuer: Certificate, who: string): Promise<SigResult> {
  try {
    if (alg.kind === "rsa-pss") {
      if (alg.mgfHash !== alg.hash || alg.trailer !== 1) {
        return { ok: false, reason: `${who}: RSA-PSS parameters are inconsistent (mgf1 ${alg.mgfHash}, trailer ${alg.trailer})` };
      }
      if (issuer.publicKeyAlgorithm !== OID.rsaEncryption && issuer.publicKeyAlgorithm !== OID.rsassaPss) {
        return { ok: false, reason: `${who}: issuer key is not RSA` };
      }
      const key = await subtle.importKey("spki", ab(issuer.spki), { name: "RSA-PSS", hash: alg.hash }, false, ["verify"]);
      const ok = await subtle.verify({ name: "RSA-PSS", saltLength: alg.saltLength }, key, ab(signature), ab(tbs));
      return ok ? { ok } : { ok, reason: `RSA-PSS ${alg.hash} signature on ${who} does not verify` };
    }
    if (alg.kind === "ecdsa") {
      const namedCurve = issuer.publicKeyCurve === OID.secp384r1 ? "P-384" : issuer.publicKeyCurve === OID.secp256r1 ? "P-256" : undefined;
      if (!namedCurve) return { ok: false, reason: `${who}: issuer key is not P-256/P-384 ECDSA` };
      const key = await subtle.importKey("spki", ab(issuer.spki), { name: "ECDSA", namedCurve }, false, ["verify"]);
      const raw = derEcdsaToRaw(signature, namedCurve === "P-384" ? 48 : 32);
      if (!raw) return { ok: false, reason: `ECDSA signature on ${who} is not a DER SEQUENCE of two INTEGERs` };
      const ok = await subtle.verify({ name: "ECDSA", hash: alg.hash }, key, ab(raw), ab(tbs));
      return ok ? { ok } : { ok, reason: `ECDSA ${alg.hash} signature on ${who} does not verify` };
    }
    return { ok: false, reason: `${who}: unsupported signature algorithm ${alg.oid}` };
  } catch (e) {
    return { ok: false, reason: `${who}: ${(e as Error).message}` };
  }
}

/** DER ECDSA-Sig-Value → fixed-width r||s (what WebCrypto verifies); undefined when malformed. */
export function derEcdsaToRaw(sig: Uint8Array, width: number): Uint8Array | undefined {
  try {
    const seq = ASN1Obj.parseBuffer(Buffer.from(sig));
    if (seq.subs.length !== 2) return undefined;
    const out = new Uint8Array(width * 2);
    for (const [k, part] of seq.subs.entries()) {
      if (!part.tag.isInteger()) return undefined;
      let v = new Uint8Array(part.value);
      while (v.length > width && v[0] === 0) v = v.subarray(1);
      if (v.length > width) return undefined;
      out.set(v, k * width + (width - v.length));
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Validity at `time` (inclusive bounds, as RFC 5280). */
export function validAt(cert: Certificate, time: Date): SigResult {
  const t = time.getTime();
  if (t < cert.notBefore.getTime()) {
    return { ok: false, reason: `${cert.subjectCN} is not valid before ${cert.notBefore.toISOString()} (verification time ${time.toISOString()})` };
  }
  if (t > cert.notAfter.getTime()) {
    return { ok: false, reason: `${cert.subjectCN} expired at ${cert.notAfter.toISOString()} (verification time ${time.toISOString()})` };
  }
  return { ok: true };
}

/** DER INTEGER extension value (the AMD SPL extensions) as a number; undefined when it is not one. */
export function extInteger(value: Uint8Array | undefined): number | undefined {
  if (!value) return undefined;
  try {
    const o = ASN1Obj.parseBuffer(Buffer.from(value));
    if (!o.tag.isInteger()) return undefined;
    const n = o.toInteger();
    return n >= 0n && n <= 0xffffffffn ? Number(n) : undefined;
  } catch {
    return undefined;
  }
}

/** DER IA5String extension value (AMD product name) as text; undefined when it is not one. */
export function extIA5String(value: Uint8Array | undefined): string | undefined {
  if (!value || value[0] !== 0x16) return undefined;
  try {
    const o = ASN1Obj.parseBuffer(Buffer.from(value));
    return Buffer.from(o.value).toString("latin1");
  } catch {
    return undefined;
  }
}

/** A parsed X.509 CRL (RFC 5280 5.1): what revocation checks need, with the exact signed bytes. */
export interface CertificateList {
  readonly der: Uint8Array;
  readonly sha256: string;
  /** TBSCertList bytes as signed. */
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Uint8Array;
  readonly issuerCN: string | undefined;
  /** Raw DER of the issuer Name, for exact matching against the issuing certificate's subject. */
  readonly issuerDer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  /** Revoked serial (serialKey form) → revocation date. */
  readonly revoked: ReadonlyMap<string, Date>;
}

/** Serial hex compared as an unsigned integer: lower-case, no leading zero bytes. */
export function serialKey(hex: string): string {
  return hex.toLowerCase().replace(/^(?:00)+(?=..)/, "");
}

/** Parse one DER CRL. Throws TollgateError("malformed") on anything that is not a DER CertificateList. */
export function parseCertificateList(der: Uint8Array, what = "CRL"): CertificateList {
  const bytes = new Uint8Array(der);
  let root: ASN1Obj;
  try {
    root = ASN1Obj.parseBuffer(Buffer.from(bytes));
  } catch (e) {
    throw new TollgateError("malformed", `${what} is not DER: ${(e as Error).message}`);
  }
  try {
    const top = tlvAt(bytes, 0, bytes.length);
    if (top.end !== bytes.length) throw new Error("trailing bytes after the CRL");
    const frame = signedFrame(bytes, top, "CertificateList");
    const [tbsObj, sigAlgObj, sigObj] = root.subs;
    if (!tbsObj || !sigAlgObj || !sigObj || root.subs.length !== 3 || frame.length !== 3) throw new Error("not a CertificateList SEQUENCE");
    const tbsFrame = tlvChildren(bytes, frame[0]!);
    if (tbsFrame.length !== tbsObj.subs.length) throw new Error("TBSCertList framing differs");
    const t = tbsObj.subs;
    let i = t[0]?.tag.isInteger() ? 1 : 0; // optional version (v2)
    const innerAlg = tbsFrame[i];
    const issuer = t[i + 1];
    const issuerFrame = tbsFrame[i + 1];
    const thisUpdate = t[i + 2];
    const isTime = (o: ASN1Obj | undefined) => o !== undefined && (o.tag.isUTCTime() || o.tag.isGeneralizedTime());
    if (!innerAlg || !issuer || !issuerFrame || !isTime(thisUpdate)) throw new Error("TBSCertList lacks its signature algorithm, issuer or thisUpdate");
    i += 3;
    let nextUpdate: Date | undefined;
    if (isTime(t[i])) nextUpdate = t[i++]!.toDate();
    const revoked = new Map<string, Date>();
    const list = t[i];
    if (list && !list.tag.isContextSpecific()) {
      for (const entry of list.subs) {
        const serial = entry.subs[0];
        const date = entry.subs[1];
        if (!serial?.tag.isInteger() || !isTime(date)) throw new Error("revoked entry without a serial number and revocation date");
        revoked.set(serialKey(toHex(new Uint8Array(serial.value))), date!.toDate());
      }
    }
    // The TBS signature algorithm must equal the outer one (RFC 5280 5.1.1.2).
    if (!Buffer.from(slice(bytes, innerAlg)).equals(Buffer.from(slice(bytes, frame[1]!)))) throw new Error("inner and outer signature algorithms differ");
    const sigBits = sigObj.value;
    if (sigBits[0] !== 0) throw new Error("signature BIT STRING has unused bits");
    return {
      der: bytes,
      sha256: sha256Hex(bytes),
      tbs: slice(bytes, frame[0]!),
      signatureAlgorithm: parseSigAlg(sigAlgObj),
      signature: new Uint8Array(sigBits.subarray(1)),
      issuerCN: nameCN(issuer),
      issuerDer: slice(bytes, issuerFrame),
      thisUpdate: thisUpdate!.toDate(),
      ...(nextUpdate ? { nextUpdate } : {}),
      revoked,
    };
  } catch (e) {
    if (e instanceof TollgateError) throw e;
    throw new TollgateError("malformed", `${what} is not a valid X.509 CRL: ${(e as Error).message}`);
  }
}

/** Is `crl` issued (name and signature) by `issuer`? */
export function verifyCrlSignature(crl: CertificateList, issuer: Certificate, what = "CRL"): Promise<SigResult> {
  if (!Buffer.from(crl.issuerDer).equals(Buffer.from(issuer.subjectDer))) {
    return Promise.resolve({ ok: false, reason: `${what} issuer name (${crl.issuerCN}) is not byte-identical to ${issuer.subjectCN}'s subject name` });
  }
  return verifySignedBytes(crl.signatureAlgorithm, crl.tbs, crl.signature, issuer, `${what} by ${issuer.subjectCN ?? "issuer"}`);
}
