// Revocation for the TDX PCK chain: Intel's Root CA CRL (issued by the Intel SGX Root CA; revokes
// intermediates such as the PCK Platform/Processor CA and the TCB signing certificate) and the PCK CRL
// (issued by the PCK Platform or Processor CA; revokes PCK leaves). As in go-tdx-guest (verify.go,
// validateCRL + the revocation loops) and dcap-qvl (webpki CRL checks): each CRL must be signed by its issuer's
// key, be current at ctx.time (thisUpdate ≤ t ≤ nextUpdate), and must not list a certificate of the chain.
// Inputs: DER or PEM ("X509 CRL" or "CRL") files among ctx.files, or the hex/PEM `root_ca_crl` / `pck_crl` fields of a
// dcap-qvl QuoteCollateralV3 JSON. CRLs are parsed with @peculiar/asn1-x509; the signed bytes are the
// original tbsCertList encoding (kept raw by the parser), never a re-encoding.
import type { Name } from "@peculiar/asn1-x509";
import { lazyRequire } from "../../../core/lazy.ts";
import { X509Certificate, verify as cryptoVerify } from "node:crypto";
import type { Check, SourceFile } from "../../types.ts";
import { commonName, publicKeyOf } from "../common/x509chain.ts";

// Loaded when CRLs are supplied (most quotes are verified without them).
const asn1Schema = lazyRequire<typeof import("@peculiar/asn1-schema")>("@peculiar/asn1-schema");
const asn1X509 = lazyRequire<typeof import("@peculiar/asn1-x509")>("@peculiar/asn1-x509");

const OID_CN = "2.5.4.3";
const OID_ECDSA_SHA256 = "1.2.840.10045.4.3.2";

export interface ParsedCrl {
  path: string;
  issuerCn: string;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** Revoked serial numbers, upper-case hex without leading zeros. */
  revoked: Set<string>;
  tbs: Uint8Array;
  signature: Uint8Array;
  signatureAlgorithm: string;
}

function cnOf(name: Name): string {
  for (const rdn of name) for (const atv of rdn) if (atv.type === OID_CN) return atv.value.toString();
  return "";
}

/** Certificate serial numbers compare as unsigned integers: upper-case hex, no leading zeros. */
export function normalizeSerial(hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, "");
}

export function parseCrl(der: Uint8Array, path: string): ParsedCrl {
  const crl = asn1Schema().AsnConvert.parse(der, asn1X509().CertificateList);
  const tbs = crl.tbsCertList;
  const revoked = new Set<string>();
  for (const r of tbs.revokedCertificates ?? []) revoked.add(normalizeSerial(Buffer.from(r.userCertificate).toString("hex")));
  if (!crl.tbsCertListRaw) throw new Error("CRL without its tbsCertList encoding");
  return {
    path,
    issuerCn: cnOf(tbs.issuer),
    thisUpdate: tbs.thisUpdate.getTime(),
    ...(tbs.nextUpdate ? { nextUpdate: tbs.nextUpdate.getTime() } : {}),
    revoked,
    tbs: new Uint8Array(crl.tbsCertListRaw),
    signature: new Uint8Array(crl.signature),
    signatureAlgorithm: crl.signatureAlgorithm.algorithm,
  };
}

// RFC 7468's label is "X509 CRL"; some tools write the legacy "CRL".
const PEM_CRL = /-----BEGIN (?:X509 )?CRL-----([A-Za-z0-9+/=\s]*?)-----END (?:X509 )?CRL-----/g;

/** DER blocks of CRLs in raw bytes, PEM text or hex text; [] when the bytes are none of these. */
export function crlDers(bytes: Uint8Array, text: string | undefined): Uint8Array[] {
  if (text && /-----BEGIN (?:X509 )?CRL-----/.test(text)) {
    return [...text.matchAll(PEM_CRL)].map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ""), "base64")));
  }
  const t = text?.trim();
  if (t && /^(?:[0-9a-fA-F]{2})+$/.test(t) && t.startsWith("30")) return [new Uint8Array(Buffer.from(t, "hex"))];
  if (bytes[0] === 0x30 && bytes.length < 4 * 1024 * 1024) return [bytes];
  return [];
}

const CRL_ISSUERS = new Set(["Intel SGX Root CA", "Intel SGX PCK Platform CA", "Intel SGX PCK Processor CA"]);

/** Intel SGX CRLs among the files (and inside dcap-qvl collateral JSON). Nothing is trusted here. */
export function findIntelCrls(files: readonly SourceFile[]): ParsedCrl[] {
  const out: ParsedCrl[] = [];
  const consider = (der: Uint8Array, path: string) => {
    try {
      const crl = parseCrl(der, path);
      if (CRL_ISSUERS.has(crl.issuerCn)) out.push(crl);
    } catch {
      // not a CRL
    }
  };
  for (const f of files) {
    const j = f.json();
    if (j && typeof j === "object" && !Array.isArray(j)) {
      const o = j as Record<string, unknown>;
      for (const key of ["root_ca_crl", "pck_crl"]) {
        const v = o[key];
        if (typeof v === "string" && v.length > 0) for (const der of crlDers(new Uint8Array(0), v)) consider(der, `${f.path}#${key}`);
      }
      continue;
    }
    for (const der of crlDers(f.bytes, f.text())) consider(der, f.path);
  }
  return out;
}

function checkOne(crl: ParsedCrl, issuer: X509Certificate, issuerRole: string, time: Date): string | undefined {
  if (crl.signatureAlgorithm !== OID_ECDSA_SHA256) return `CRL ${crl.path} is signed with ${crl.signatureAlgorithm}, not ECDSA with SHA-256`;
  const key = publicKeyOf(issuer);
  let ok = false;
  try {
    ok = key !== undefined && cryptoVerify("sha256", crl.tbs, key, crl.signature);
  } catch {
    ok = false;
  }
  if (!ok) return `CRL ${crl.path} ("${crl.issuerCn}") is not signed by the ${issuerRole} key`;
  if (time < crl.thisUpdate) return `CRL ${crl.path} thisUpdate ${crl.thisUpdate.toISOString()} is after the verification time ${time.toISOString()}`;
  if (crl.nextUpdate && time > crl.nextUpdate) return `CRL ${crl.path} expired: nextUpdate ${crl.nextUpdate.toISOString()} is before the verification time ${time.toISOString()}`;
  return undefined;
}

/**
 * The `hardware.tdx_revocation` check for a verified PCK chain [leaf, intermediate, root], or undefined when
 * no Intel CRL was supplied (revocation then stays "unchecked"). Both CRLs are required once any is given.
 */
export function checkRevocation(crls: readonly ParsedCrl[], chain: readonly X509Certificate[], time: Date): Check | undefined {
  if (crls.length === 0) return undefined;
  const [leaf, intermediate, root] = chain;
  const fail = (reason: string): Check => ({ name: "hardware.tdx_revocation", ok: false, code: "certificate_invalid", reason, detail: { crls: crls.map((c) => c.path) } });
  if (!leaf || !intermediate || !root) return fail("the PCK chain did not verify, so revocation cannot be checked");
  const rootCrl = crls.find((c) => c.issuerCn === commonName(root.subject));
  const pckCrl = crls.find((c) => c.issuerCn === commonName(intermediate.subject));
  if (!rootCrl) return fail(`no Root CA CRL (issuer "${commonName(root.subject) ?? ""}") among the supplied CRLs`);
  if (!pckCrl) return fail(`no PCK CRL (issuer "${commonName(intermediate.subject) ?? ""}") among the supplied CRLs`);
  const bad = checkOne(rootCrl, root, "Intel SGX Root CA", time) ?? checkOne(pckCrl, intermediate, "PCK intermediate CA", time);
  if (bad) return fail(bad);
  if (rootCrl.revoked.has(normalizeSerial(intermediate.serialNumber))) return fail(`the PCK intermediate CA (serial ${intermediate.serialNumber}) is revoked by ${rootCrl.path}`);
  if (pckCrl.revoked.has(normalizeSerial(leaf.serialNumber))) return fail(`the PCK leaf certificate (serial ${leaf.serialNumber}) is revoked by ${pckCrl.path}`);
  return {
    name: "hardware.tdx_revocation",
    ok: true,
    detail: { rootCaCrl: rootCrl.path, pckCrl: pckCrl.path, pckCrlNextUpdate: pckCrl.nextUpdate?.toISOString() },
  };
}
