// Loading the pinned AMD roots: parse each constant once and refuse any whose DER fingerprint differs from the
// pinned sha256 (an edited constant is an internal error, never a silently different trust anchor).
import { TollgateError } from "../../../core/errors.ts";
import { AMD_ROOTS, type AmdProduct, type PinnedCert } from "../roots/amd.ts";
import { type Certificate, parseCertificate, pemCertificates } from "./x509.ts";

export type { AmdProduct } from "../roots/amd.ts";

export interface AmdTrust {
  ark: Certificate;
  ask: Certificate;
  asvk: Certificate;
}

/** Parse a pinned certificate and check its fingerprint. */
export function loadPinned(pinned: PinnedCert, what: string): Certificate {
  const ders = pemCertificates(pinned.pem);
  if (ders.length !== 1) throw new TollgateError("internal", `pinned ${what}: expected one PEM certificate`);
  const cert = parseCertificate(ders[0]!, `pinned ${what}`);
  if (cert.sha256 !== pinned.sha256) {
    throw new TollgateError("internal", `pinned ${what}: fingerprint ${cert.sha256} is not the pinned ${pinned.sha256}`);
  }
  return cert;
}

const cache = new Map<AmdProduct, AmdTrust>();

/** The pinned ARK/ASK/ASVK of one product line (parsed once per process). */
export function amdTrust(product: AmdProduct): AmdTrust {
  let t = cache.get(product);
  if (!t) {
    const set = AMD_ROOTS[product];
    t = {
      ark: loadPinned(set.ark, `ARK-${product}`),
      ask: loadPinned(set.ask, `ASK-${product}`),
      asvk: loadPinned(set.asvk, `ASVK-${product}`),
    };
    cache.set(product, t);
  }
  return t;
}
