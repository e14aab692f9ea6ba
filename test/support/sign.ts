// Test-time signing: fresh keys, DSSE envelopes over in-toto statements, PEM files on disk.
import { generateKeyPairSync, sign, createHash, type KeyObject } from "node:crypto";
import { writeFileSync } from "node:fs";
import { preAuthEncoding } from "../../src/crypto/dsse.ts";

export const IN_TOTO = "application/vnd.in-toto+json";

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  pem: string;
  fingerprint: string;
  hash: "sha256" | "sha384" | null;
}

export function newKey(kind: "p256" | "p384" | "ed25519" | "rsa" = "p256"): TestKey {
  const kp = kind === "p256" ? generateKeyPairSync("ec", { namedCurve: "P-256" })
    : kind === "p384" ? generateKeyPairSync("ec", { namedCurve: "P-384" })
    : kind === "ed25519" ? generateKeyPairSync("ed25519")
    : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const der = kp.publicKey.export({ type: "spki", format: "der" });
  return {
    ...kp,
    pem: kp.publicKey.export({ type: "spki", format: "pem" }).toString(),
    fingerprint: "sha256:" + createHash("sha256").update(der).digest("hex"),
    hash: kind === "p384" ? "sha384" : kind === "ed25519" ? null : "sha256",
  };
}

export function writeKey(path: string, key: TestKey): string {
  writeFileSync(path, key.pem);
  return path;
}

export function dsse(statement: unknown, key: TestKey, payloadType = IN_TOTO): { payloadType: string; payload: string; signatures: { keyid: string; sig: string }[] } {
  const payload = new TextEncoder().encode(JSON.stringify(statement));
  const sig = sign(key.hash, preAuthEncoding(payloadType, payload), key.privateKey);
  return { payloadType, payload: Buffer.from(payload).toString("base64"), signatures: [{ keyid: key.fingerprint, sig: sig.toString("base64") }] };
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
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
