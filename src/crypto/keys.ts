// Public keys users trust (`--key`): SPKI PEM → KeyObject + the fingerprint policies pin.
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { sha256Hex } from "../core/digest.ts";
import { TollgateError } from "../core/errors.ts";
import type { TrustedKey } from "../core/verification.ts";
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

/**
 * A PEM private key for signing (PKCS#8 "PRIVATE KEY", SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY"), of a
 * family tollgate also verifies with. Encrypted keys are refused (there is no passphrase prompt in a gate).
 */
export function privateKeyFromPem(text: string, source: string): KeyObject {
  const m = PEM_BLOCK.exec(text);
  if (!m) throw new TollgateError("malformed", "not a PEM private key (no BEGIN/END block)", source);
  if (/ENCRYPTED/.test(m[1]!) || /Proc-Type: 4,ENCRYPTED/.test(m[2]!)) {
    throw new TollgateError("unsupported", `encrypted private keys are not supported (found "${m[1]}"); give an unencrypted PKCS#8 PEM`, source);
  }
  if (!/PRIVATE KEY$/.test(m[1]!)) throw new TollgateError("malformed", `expected a PEM private key, found "${m[1]}"`, source);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: m[0], format: "pem" });
  } catch (e) {
    throw new TollgateError("malformed", `invalid private key: ${(e as Error).message}`, source, { cause: e });
  }
  keyAlgorithm(createPublicKey(key), source);
  return key;
}
