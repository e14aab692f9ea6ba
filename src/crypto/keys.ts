// Public keys users trust (`--key`): SPKI PEM → KeyObject + the fingerprint policies pin.
import { createPublicKey, type KeyObject } from "node:crypto";
import { sha256Hex } from "../core/digest.ts";
import { TollgateError } from "../core/errors.ts";
import type { TrustedKey } from "../evidence/types.ts";
import { readUserFileSync } from "../core/read.ts";

/** The key families tollgate verifies with; anything else is refused at load time. */
export type KeyAlgorithm = "ecdsa-p256" | "ecdsa-p384" | "ed25519" | "rsa";

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/**
 * Load one public key file (PEM text already in memory: publicKeyFromPem). Throws TollgateError("unreadable")
 * when the file cannot be read, ("malformed") when it is not a supported SPKI public key; both name the path.
 */
export function loadPublicKeyPem(path: string, keyid?: string): TrustedKey {
  const text = new TextDecoder().decode(readUserFileSync(path, "public key", "unreadable"));
  return publicKeyFromPem(text, path, keyid);
}

/** Parse PEM text already in memory; `source` names it in errors. */
export function publicKeyFromPem(text: string, source: string, keyid?: string): TrustedKey {
  const m = PEM_BLOCK.exec(text);
  if (!m) throw new TollgateError("malformed", "not a PEM public key (no BEGIN/END block)", source);
  if (m[1] !== "PUBLIC KEY") {
    throw new TollgateError("malformed", `expected a "PUBLIC KEY" (SPKI) PEM block, found "${m[1]}"`, source);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: m[0], format: "pem", type: "spki" });
  } catch (e) {
    throw new TollgateError("malformed", `invalid SPKI public key: ${(e as Error).message}`, source, { cause: e });
  }
  return trustedKeyFromObject(key, source, keyid);
}

/** Wrap a KeyObject (for keys from certificates or bundles) after checking it is a supported family. */
export function trustedKeyFromObject(key: KeyObject, source: string, keyid?: string): TrustedKey {
  keyAlgorithm(key, source); // throws on unsupported families
  const der = key.export({ format: "der", type: "spki" });
  const out: TrustedKey = { source, fingerprint: "sha256:" + sha256Hex(new Uint8Array(der)), key };
  if (keyid !== undefined) out.keyid = keyid;
  return out;
}

/** The family of a public key; throws TollgateError("malformed") for curves and types tollgate does not verify. */
export function keyAlgorithm(key: KeyObject, source = "key"): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === "ed25519") return "ed25519";
  if (type === "rsa" || type === "rsa-pss") return "rsa";
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1" || curve === "P-256") return "ecdsa-p256";
    if (curve === "secp384r1" || curve === "P-384") return "ecdsa-p384";
    throw new TollgateError("malformed", `unsupported EC curve ${curve ?? "(unknown)"} (want P-256 or P-384)`, source);
  }
  throw new TollgateError("malformed", `unsupported public key type ${type ?? "(unknown)"}`, source);
}

/** SHA-2 digest an ECDSA key's curve implies (the Sigstore/cosign convention); RSA uses SHA-256. */
export function hashForKey(alg: KeyAlgorithm): "sha256" | "sha384" | null {
  if (alg === "ed25519") return null;
  return alg === "ecdsa-p384" ? "sha384" : "sha256";
}
