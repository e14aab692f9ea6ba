// Revocation for the TDX PCK chain: Intel's Root CA CRL (issued by the Intel SGX Root CA; revokes
// intermediates such as the PCK Platform/Processor CA and the TCB signing certificate) and the PCK CRL
// (issued by the PCK Platform or Processor CA; revokes PCK leaves). As in go-tdx-guest (verify.go,
// validateCRL + the revocation loops) and dcap-qvl (webpki CRL checks): each CRL must be signed by its issuer's
// key, be current at ctx.time (thisUpdate ≤ t ≤ nextUpdate), and must not list a certificate of the chain. A
// supplied CRL that does not parse (a PEM CRL block, a collateral crl field) fails the check as a forged one does.
// Inputs: DER or PEM ("X509 CRL" or "CRL") files among ctx.files, or the hex/PEM `root_ca_crl` / `pck_crl` fields of a
// dcap-qvl QuoteCollateralV3 JSON. CRLs are parsed with the shared DER reader (common/x509.ts, as the SEV-SNP
// CRLs); the signed bytes are the original tbsCertList encoding, never a re-encoding.
import { verify as cryptoVerify } from "node:crypto";
import type { Check, SourceFile } from "../../types.ts";
import { type Certificate, type CertificateList, parseCertificateList, pemCrls, serialKey } from "../common/x509.ts";
import { publicKeyOf } from "../common/x509chain.ts";

/** A CRL and where it came from (a file, or `file#root_ca_crl` / `file#pck_crl` inside collateral JSON). */
export type ParsedCrl = CertificateList & { readonly path: string };

/** A certificate's serial as the CRL lists it (serialKey: compared as an unsigned integer). */
const serialOf = (cert: Certificate): string => serialKey(cert.serialHex);

function parseCrl(der: Uint8Array, path: string): ParsedCrl {
  return { ...parseCertificateList(der, path), path };
}

/** DER blocks of CRLs in raw bytes, PEM text or hex text; [] when the bytes are none of these. */
export function crlDers(bytes: Uint8Array, text: string | undefined): Uint8Array[] {
  if (text && /-----BEGIN (?:X509 )?CRL-----/.test(text)) {
    return pemCrls(text);
  }
  const t = text?.trim();
  if (t && /^(?:[0-9a-fA-F]{2})+$/.test(t) && t.startsWith("30")) return [new Uint8Array(Buffer.from(t, "hex"))];
  if (bytes[0] === 0x30 && bytes.length < 4 * 1024 * 1024) return [bytes];
  return [];
}

const CRL_ISSUERS = new Set(["Intel SGX Root CA", "Intel SGX PCK Platform CA", "Intel SGX PCK Processor CA"]);

export interface IntelCrls {
  crls: ParsedCrl[];
  /** Input that says it is a CRL (a PEM "X509 CRL" block, a collateral crl field) but does not parse as one. */
  unreadable: { path: string; reason: string }[];
}

/** Intel SGX CRLs among the files (and inside dcap-qvl collateral JSON). Nothing is trusted here. */
export function findIntelCrls(files: readonly SourceFile[]): IntelCrls {
  const out: IntelCrls = { crls: [], unreadable: [] };
  // A DER file is only a candidate (certificates are DER SEQUENCEs too); labelled input must be a CRL.
  const consider = (der: Uint8Array, path: string, labelled: boolean) => {
    try {
      const crl = parseCrl(der, path);
      if (CRL_ISSUERS.has(crl.issuerCN ?? "")) out.crls.push(crl);
    } catch (e) {
      if (labelled) out.unreadable.push({ path, reason: (e as Error).message });
    }
  };
  for (const f of files) {
    const j = f.json();
    if (j && typeof j === "object" && !Array.isArray(j)) {
      const o = j as Record<string, unknown>;
      for (const key of ["root_ca_crl", "pck_crl"]) {
        const v = o[key];
        if (typeof v !== "string" || v.length === 0) continue;
        const ders = crlDers(new Uint8Array(0), v);
        if (ders.length === 0) out.unreadable.push({ path: `${f.path}#${key}`, reason: `${f.path}#${key} is neither PEM nor hex DER` });
        for (const der of ders) consider(der, `${f.path}#${key}`, true);
      }
      continue;
    }
    const text = f.text();
    const pem = text !== undefined && /-----BEGIN (?:X509 )?CRL-----/.test(text);
    const ders = crlDers(f.bytes, text);
    if (pem && ders.length === 0) out.unreadable.push({ path: f.path, reason: `${f.path} has no complete PEM CRL block` });
    for (const der of ders) consider(der, f.path, pem);
  }
  return out;
}

function checkOne(crl: ParsedCrl, issuer: Certificate, issuerRole: string, time: Date): string | undefined {
  const alg = crl.signatureAlgorithm;
  if (alg.kind !== "ecdsa" || alg.hash !== "SHA-256") return `CRL ${crl.path} is signed with ${alg.kind === "unsupported" ? alg.oid : `${alg.kind} ${alg.hash}`}, not ECDSA with SHA-256`;
  const key = publicKeyOf(issuer);
  let ok = false;
  try {
    ok = key !== undefined && cryptoVerify("sha256", crl.tbs, key, crl.signature);
  } catch {
    ok = false;
  }
  if (!ok) return `CRL ${crl.path} ("${crl.issuerCN}") is not signed by the ${issuerRole} key`;
  if (time < crl.thisUpdate) return `CRL ${crl.path} thisUpdate ${crl.thisUpdate.toISOString()} is after the verification time ${time.toISOString()}`;
  if (crl.nextUpdate && time > crl.nextUpdate) return `CRL ${crl.path} expired: nextUpdate ${crl.nextUpdate.toISOString()} is before the verification time ${time.toISOString()}`;
  return undefined;
}

/**
 * The `hardware.tdx_revocation` check for a verified PCK chain [leaf, intermediate, root], or undefined when
 * no Intel CRL was supplied (revocation then stays "unchecked"). Both CRLs are required once any is given.
 */
export function checkRevocation({ crls, unreadable }: IntelCrls, chain: readonly Certificate[], time: Date): Check | undefined {
  if (crls.length === 0 && unreadable.length === 0) return undefined;
  const [leaf, intermediate, root] = chain;
  const fail = (reason: string): Check => ({
    name: "hardware.tdx_revocation",
    ok: false,
    code: "certificate_invalid",
    reason,
    detail: { crls: [...crls, ...unreadable].map((c) => c.path) },
  });
  // A CRL that was supplied but cannot be read is refused like a forged one, never ignored.
  if (unreadable.length > 0) return fail(`CRL ${unreadable.map((u) => u.reason).join("; ")}`);
  if (!leaf || !intermediate || !root) return fail("the PCK chain did not verify, so revocation cannot be checked");
  const rootCrl = crls.find((c) => c.issuerCN === root.subjectCN);
  const pckCrl = crls.find((c) => c.issuerCN === intermediate.subjectCN);
  if (!rootCrl) return fail(`no Root CA CRL (issuer "${root.subjectCN ?? ""}") among the supplied CRLs`);
  if (!pckCrl) return fail(`no PCK CRL (issuer "${intermediate.subjectCN ?? ""}") among the supplied CRLs`);
  const bad = checkOne(rootCrl, root, "Intel SGX Root CA", time) ?? checkOne(pckCrl, intermediate, "PCK intermediate CA", time);
  if (bad) return fail(bad);
  if (rootCrl.revoked.has(serialOf(intermediate))) return fail(`the PCK intermediate CA (serial ${serialOf(intermediate).toUpperCase()}) is revoked by ${rootCrl.path}`);
  if (pckCrl.revoked.has(serialOf(leaf))) return fail(`the PCK leaf certificate (serial ${serialOf(leaf).toUpperCase()}) is revoked by ${pckCrl.path}`);
  return {
    name: "hardware.tdx_revocation",
    ok: true,
    detail: { rootCaCrl: rootCrl.path, pckCrl: pckCrl.path, pckCrlNextUpdate: pckCrl.nextUpdate?.toISOString() },
  };
}
