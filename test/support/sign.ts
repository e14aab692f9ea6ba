// Synchronous DSSE signing for tests that build evidence inline, on top of the key material in ./keys.ts
// (one key generator for every test: this file only adds a flat fingerprint, a PEM writer and a sync signer).
import { sign } from "node:crypto";
import { writeFileSync } from "node:fs";
import { preAuthEncoding } from "../../src/crypto/dsse.ts";
import { hashForKey, keyAlgorithm } from "../../src/crypto/keys.ts";
import { IN_TOTO_JSON, generateTestKey, sha256hex, type TestKey as BaseTestKey } from "./keys.ts";

export { sha256hex as sha256 };

export interface TestKey extends BaseTestKey {
  /** `sha256:<hex>` of the SPKI DER, as tollgate reports a `--key` signer. */
  fingerprint: string;
}

export function newKey(kind: "p256" | "p384" | "ed25519" | "rsa" = "p256"): TestKey {
  const key = generateTestKey(kind);
  return { ...key, fingerprint: key.trusted.fingerprint };
}

export function writeKey(path: string, key: TestKey): string {
  writeFileSync(path, key.pem);
  return path;
}

/** A DSSE envelope as JSON over the statement, signed synchronously (ECDSA DER, curve-implied hash). */
export function dsse(statement: unknown, key: TestKey, payloadType = IN_TOTO_JSON): { payloadType: string; payload: string; signatures: { keyid: string; sig: string }[] } {
  const payload = new TextEncoder().encode(JSON.stringify(statement));
  const sig = sign(hashForKey(keyAlgorithm(key.publicKey)), preAuthEncoding(payloadType, payload), key.privateKey);
  return { payloadType, payload: Buffer.from(payload).toString("base64"), signatures: [{ keyid: key.fingerprint, sig: sig.toString("base64") }] };
}

export function provenanceStatement(subjectSha256: string, over: { predicateType?: string; predicate?: unknown } = {}) {
  return {
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ name: "app.tar.gz", digest: { sha256: subjectSha256 } }],
    predicateType: over.predicateType ?? "https://slsa.dev/provenance/v1",
    predicate: over.predicate ?? {
      buildDefinition: {
        buildType: "https://actions.github.io/buildtypes/workflow/v1",
        externalParameters: { workflow: { ref: "refs/heads/main", repository: "https://github.com/o/r", path: ".github/workflows/release.yml" } },
        resolvedDependencies: [{ uri: "git+https://github.com/o/r@refs/heads/main", digest: { gitCommit: "a".repeat(40) } }],
      },
      runDetails: { builder: { id: "https://github.com/actions/runner/github-hosted" }, metadata: { invocationId: "run-1" } },
    },
  };
}
