#!/usr/bin/env bun
// Regenerate examples/: a release artifact and the evidence a pipeline would produce for it, signed with a
// fresh ECDSA P-256 key whose public half ships as examples/keys/release.pub (the private half is thrown
// away). `npm run demo` evaluates this set with the embedded default bundle and admits it.
import { generateKeyPairSync, sign, createHash } from "node:crypto";
import { mkdirSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { preAuthEncoding } from "../src/crypto/dsse.ts";

const ROOT = join(import.meta.dir, "..", "examples");
const PAYLOAD_TYPE = "application/vnd.in-toto+json";

rmSync(join(ROOT, "evidence"), { recursive: true, force: true });
for (const d of ["artifact", "evidence", "keys"]) mkdirSync(join(ROOT, d), { recursive: true });

const artifact = new TextEncoder().encode("acme-api 1.4.2 release payload\n");
writeFileSync(join(ROOT, "artifact/acme-api-1.4.2.tar.gz"), artifact);
const digest = createHash("sha256").update(artifact).digest("hex");
const subject = [{ name: "acme-api-1.4.2.tar.gz", digest: { sha256: digest } }];

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
writeFileSync(join(ROOT, "keys/release.pub"), publicKey.export({ type: "spki", format: "pem" }));
const keyid = "sha256:" + createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex");

function envelope(statement: object): string {
  const payload = new TextEncoder().encode(JSON.stringify(statement));
  const sig = sign("sha256", preAuthEncoding(PAYLOAD_TYPE, payload), privateKey);
  return JSON.stringify({
    payloadType: PAYLOAD_TYPE,
    payload: Buffer.from(payload).toString("base64"),
    signatures: [{ keyid, sig: sig.toString("base64") }],
  }, null, 2) + "\n";
}

writeFileSync(join(ROOT, "evidence/provenance.intoto.json"), envelope({
  _type: "https://in-toto.io/Statement/v1",
  subject,
  predicateType: "https://slsa.dev/provenance/v1",
  predicate: {
    buildDefinition: {
      buildType: "https://actions.github.io/buildtypes/workflow/v1",
      externalParameters: {
        workflow: { ref: "refs/tags/v1.4.2", repository: "https://github.com/acme/api", path: ".github/workflows/release.yml" },
        acme_ai_authorship: "assisted",
      },
      internalParameters: { github: { event_name: "push", repository_id: "123456", repository_owner_id: "654321" } },
      resolvedDependencies: [{ uri: "git+https://github.com/acme/api@refs/tags/v1.4.2", digest: { gitCommit: "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d" } }],
    },
    runDetails: {
      builder: { id: "https://github.com/actions/runner/github-hosted" },
      metadata: { invocationId: "https://github.com/acme/api/actions/runs/1111111111/attempts/1" },
    },
  },
}));

writeFileSync(join(ROOT, "evidence/test-result.intoto.json"), envelope({
  _type: "https://in-toto.io/Statement/v1",
  subject,
  predicateType: "https://in-toto.io/attestation/test-result/v0.1",
  predicate: {
    result: "PASSED",
    configuration: [{ name: "unit", uri: "https://github.com/acme/api/blob/7fd1a60/.github/workflows/test.yml" }],
    url: "https://github.com/acme/api/actions/runs/1111111110",
    passedTests: ["api/health", "api/orders/create", "api/orders/list"],
    warnedTests: [],
    failedTests: [],
  },
}));

writeFileSync(join(ROOT, "data.yaml"), `# Release policy parameters for the example (merged into the bundle's data).
trusted_builders:
  - https://github.com/actions/runner/github-hosted
required_evidence:
  - slsa-provenance
  - test-result
`);
console.log(`examples/ regenerated: artifact sha256:${digest}, key ${keyid}`);
