// What the real cosign (v2.6.x, keyed, no transparency log) writes, run at test time, gated by tollgate:
//   attest-blob --type slsaprovenance1 --new-bundle-format --bundle   (DSSE in a Sigstore bundle v0.3)
//   attest-blob --type slsaprovenance1                                (the signed DSSE envelope on stdout)
//   sign-blob --new-bundle-format --bundle                            (a message-signature bundle)
//   sign-blob --output-signature                                      (a bare base64 signature)
// Each is admitted for the right artifact and key and denied for another artifact or key. cosign re-encodes
// the predicate through in-toto-golang (runDetails.metadata.invocationID) and writes in-toto Statement v0.1.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tollgate } from "./support/cli.ts";
import { runPeer } from "./support/peers.ts";
import { fixture, fixtureDescribe } from "./support/fixtures.ts";
import { makeTestSigstore, TEST_IDENTITY, TEST_ISSUER } from "./support/keys.ts";

const dir = mkdtempSync(join(tmpdir(), "tollgate-cosign-"));
const ENV = { COSIGN_PASSWORD: "test-password", COSIGN_YES: "true" };
const p = (...x: string[]) => join(dir, ...x);
const denies = (out: string) => [...new Set([...out.matchAll(/^DENY\s+(\S+):/gm)].map((m) => m[1]))].sort();

function cosign(args: string[]): string {
  const r = runPeer("cosign", args, { cwd: dir, env: ENV });
  if (r.code !== 0) throw new Error(`cosign ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const PREDICATE = {
  buildDefinition: {
    buildType: "https://actions.github.io/buildtypes/workflow/v1",
    externalParameters: { workflow: { ref: "refs/tags/v1.0.0", repository: "https://github.com/acme/app", path: ".github/workflows/release.yml" } },
    resolvedDependencies: [{ uri: "git+https://github.com/acme/app@refs/tags/v1.0.0", digest: { gitCommit: "c".repeat(40) } }],
  },
  runDetails: { builder: { id: "https://github.com/actions/runner/github-hosted" }, metadata: { invocationId: "https://github.com/acme/app/actions/runs/1/attempts/1", startedOn: "2026-01-01T00:00:00Z" } },
};

beforeAll(() => {
  cosign(["generate-key-pair", "--output-key-prefix", "release"]);
  cosign(["generate-key-pair", "--output-key-prefix", "other"]);
  writeFileSync(p("app.tar.gz"), "the release bytes\n");
  writeFileSync(p("evil.tar.gz"), "other bytes\n");
  writeFileSync(p("predicate.json"), JSON.stringify(PREDICATE));
  const common = ["--key", "release.key", "--tlog-upload=false"];
  cosign(["attest-blob", ...common, "--type", "slsaprovenance1", "--predicate", "predicate.json", "--new-bundle-format", "--bundle", "attest.bundle.json", "app.tar.gz"]);
  writeFileSync(p("attest.envelope.json"), cosign(["attest-blob", ...common, "--type", "slsaprovenance1", "--predicate", "predicate.json", "app.tar.gz"]));
  cosign(["sign-blob", ...common, "--new-bundle-format", "--bundle", "sign.bundle.json", "app.tar.gz"]);
  cosign(["sign-blob", ...common, "--output-signature", "app.tar.gz.sig", "app.tar.gz"]);
  cosign(["sign-blob", ...common, "--bundle", "legacy.bundle.json", "app.tar.gz"]); // cosign's own bundle format, its default
}, 120_000);

describe("what cosign really writes", () => {
  test("attest-blob: in-toto Statement v0.1, runDetails.metadata.invocationID (in-toto-golang's spelling)", () => {
    const b = JSON.parse(readFileSync(p("attest.bundle.json"), "utf8"));
    expect(b.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    const st = JSON.parse(Buffer.from(b.dsseEnvelope.payload, "base64").toString());
    expect(st._type).toBe("https://in-toto.io/Statement/v0.1");
    expect(st.predicate.runDetails.metadata).toHaveProperty("invocationID");
    expect(st.predicate.runDetails.metadata).not.toHaveProperty("invocationId");
    const env = JSON.parse(readFileSync(p("attest.envelope.json"), "utf8"));
    expect(Object.keys(env).sort()).toEqual(["payload", "payloadType", "signatures"]);
  });

  test("sign-blob --bundle: a message-signature bundle over the sha256 of the artifact", () => {
    const b = JSON.parse(readFileSync(p("sign.bundle.json"), "utf8"));
    expect(b.messageSignature.messageDigest.algorithm).toBe("SHA2_256");
    expect(b.dsseEnvelope).toBeUndefined();
  });
});

describe("attest-blob output as SLSA provenance", () => {
  for (const file of ["attest.bundle.json", "attest.envelope.json"]) {
    test(`${file}: admitted for the right artifact and key, denied for another artifact or key`, () => {
      const ok = tollgate(["eval", "--key", p("release.pub"), "--artifact", p("app.tar.gz"), p(file)]);
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      const i = JSON.parse(tollgate(["inspect", "--key", p("release.pub"), "--artifact", p("app.tar.gz"), p(file)]).stdout);
      expect(i.evidence[0].statement._type).toBe("https://in-toto.io/Statement/v0.1");
      expect(i.evidence[0].facts.invocation_id).toBe(PREDICATE.runDetails.metadata.invocationId);
      expect(i.evidence[0].facts.custom_metadata.violations).toEqual([]);

      const art = tollgate(["eval", "--key", p("release.pub"), "--artifact", p("evil.tar.gz"), p(file)]);
      expect(art.code).toBe(1);
      expect(denies(art.stdout)).toEqual(["I1.provenance-required", "I1.subject-digest"]);
      const key = tollgate(["eval", "--key", p("other.pub"), "--artifact", p("app.tar.gz"), p(file)]);
      expect(key.code).toBe(1);
      expect(denies(key.stdout)).toEqual(["I1.provenance-required", "I1.provenance-signature"]);
    });
  }

  test("invocationID is the standard field; a custom field beside it, or invocationId given twice differently, still denies", () => {
    // --type slsaprovenance1 drops fields in-toto-golang does not know; --statement signs the statement verbatim.
    const sha = new Bun.CryptoHasher("sha256").update("the release bytes\n").digest("hex");
    const signStatement = (name: string, metadata: Record<string, unknown>) => {
      const st = { _type: "https://in-toto.io/Statement/v0.1", predicateType: "https://slsa.dev/provenance/v1", subject: [{ name: "app.tar.gz", digest: { sha256: sha } }], predicate: { ...PREDICATE, runDetails: { ...PREDICATE.runDetails, metadata } } };
      writeFileSync(p(`${name}.statement.json`), JSON.stringify(st));
      const env = cosign(["attest-blob", "--key", "release.key", "--tlog-upload=false", "--statement", `${name}.statement.json`]);
      expect(JSON.parse(Buffer.from(JSON.parse(env).payload, "base64").toString()).predicate.runDetails.metadata).toEqual(metadata);
      writeFileSync(p(`${name}.envelope.json`), env);
      return tollgate(["eval", "--key", p("release.pub"), "--artifact", p("app.tar.gz"), p(`${name}.envelope.json`)]);
    };
    expect(signStatement("go-spelling", { invocationID: "run-1", startedOn: "2026-01-01T00:00:00Z", finishedOn: "2026-01-01T00:10:00Z" }).code).toBe(0);
    const custom = signStatement("custom", { invocationId: "run-1", acme_ticket: "T-1" });
    expect(custom.code).toBe(1);
    expect(custom.stdout).toContain("I1.custom-metadata: runDetails.metadata.acme_ticket");
    const twice = signStatement("twice", { invocationId: "run-1", invocationID: "run-2" });
    expect(twice.code).toBe(1);
    expect(twice.stdout).toContain("invocationId given twice");
  });
});

describe("sign-blob output as artifact-signature evidence", () => {
  test("sign-blob --bundle without --new-bundle-format writes cosign's own {base64Signature} bundle", () => {
    expect(Object.keys(JSON.parse(readFileSync(p("legacy.bundle.json"), "utf8")))).toEqual(["base64Signature"]);
  });

  for (const file of ["sign.bundle.json", "app.tar.gz.sig", "legacy.bundle.json"]) {
    test(`${file}: counts as a verified artifact signature beside the provenance; another artifact or key denies`, () => {
      const data = p("require-sig.json");
      writeFileSync(data, JSON.stringify({ required_evidence: ["artifact-signature"] }));
      const ok = tollgate(["eval", "--key", p("release.pub"), "--data", data, "--artifact", p("app.tar.gz"), p("attest.bundle.json"), p(file)]);
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      const i = JSON.parse(tollgate(["inspect", "--key", p("release.pub"), "--artifact", p("app.tar.gz"), p(file)]).stdout);
      expect(i.errors).toEqual([]);
      expect(i.evidence[0].kind).toBe("artifact-signature");
      expect(i.evidence[0].signature.status).toBe("verified");
      expect(i.evidence[0].subject).toEqual([{ digest: { sha256: i.context.subject.digest.sha256 } }]);

      const art = tollgate(["eval", "--key", p("release.pub"), "--data", data, "--artifact", p("evil.tar.gz"), p(file)]);
      expect(art.code).toBe(1);
      expect(denies(art.stdout)).toContain(file === "sign.bundle.json" ? "artifact-signature.subject" : "artifact-signature.signature");
      expect(denies(art.stdout)).toContain("gate.required-evidence");
      const key = tollgate(["eval", "--key", p("other.pub"), "--data", data, "--artifact", p("app.tar.gz"), p(file)]);
      expect(key.code).toBe(1);
      expect(denies(key.stdout)).toContain("artifact-signature.signature");
    });
  }

  test("a bare signature with no --key or no artifact says what it needs", () => {
    const noKey = JSON.parse(tollgate(["inspect", "--artifact", p("app.tar.gz"), p("app.tar.gz.sig")]).stdout);
    expect(noKey.evidence[0].signature.reason).toContain("verifies only with --key");
    const noArtifact = JSON.parse(tollgate(["inspect", "--key", p("release.pub"), p("app.tar.gz.sig")]).stdout);
    expect(noArtifact.evidence[0].signature.reason).toContain("give --artifact FILE");
  });

  test("--subject sha256 suffices for the P-256 signature (it signs the digest)", () => {
    const sha = new Bun.CryptoHasher("sha256").update("the release bytes\n").digest("hex");
    const r = JSON.parse(tollgate(["inspect", "--key", p("release.pub"), "--subject", `sha256:${sha}`, p("app.tar.gz.sig")]).stdout);
    expect(r.evidence[0].signature.status).toBe("verified");
  });
});

fixtureDescribe("keyless message-signature bundles from the Sigstore conformance suite as artifact signatures", () => {
  const C = (...x: string[]) => fixture("sigstore", "conformance", ...x);
  const ID = ["--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main", "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"];
  test("happy path: verified, its subject the artifact's sha256, no artifact-signature denial; a rejected bundle denies", () => {
    const sha = new Bun.CryptoHasher("sha256").update(readFileSync(C("a.txt"))).digest("hex");
    const i = JSON.parse(tollgate(["inspect", ...ID, "--artifact", C("a.txt"), C("happy-path-v0.3", "bundle.sigstore.json")]).stdout);
    expect(i.evidence[0]).toMatchObject({ kind: "artifact-signature", signature: { status: "verified" }, transparency: { status: "verified" }, subject: [{ digest: { sha256: sha } }] });
    const ok = tollgate(["eval", ...ID, "--artifact", C("a.txt"), C("happy-path-v0.3", "bundle.sigstore.json")]);
    expect(denies(ok.stdout)).toEqual(["I1.provenance-required"]); // a signature is not provenance
    const bad = tollgate(["eval", ...ID, "--artifact", C("a.txt"), C("wrong-hashedrekord-artifact_fail", "bundle.sigstore.json")]);
    expect(denies(bad.stdout)).toContain("artifact-signature.signature");
  });
});

describe("keyless sign-blob --output-signature/--output-certificate pairs (a self-made Sigstore instance)", () => {
  test("the bundle verifies; the signature and certificate pair is read as the same signer but denied: no trusted time offline", async () => {
    const sigstore = await makeTestSigstore();
    const art = new TextEncoder().encode("keyless artifact\n");
    const pairDir = mkdtempSync(join(tmpdir(), "tollgate-cosign-pair-"));
    writeFileSync(join(pairDir, "app.bin"), art);
    writeFileSync(join(pairDir, "root.json"), JSON.stringify(sigstore.trustedRoot));
    const bundle = await sigstore.keyless({ content: { message: art }, integratedTime: 1_700_000_000 }) as { verificationMaterial: { certificate: { rawBytes: string } }; messageSignature: { signature: string } };
    const bundleDir = mkdtempSync(join(tmpdir(), "tollgate-cosign-bundle-"));
    writeFileSync(join(bundleDir, "app.bundle.json"), JSON.stringify(bundle));
    const trust = ["--trusted-root", join(pairDir, "root.json"), "--certificate-identity", TEST_IDENTITY, "--certificate-oidc-issuer", TEST_ISSUER, "--time", "2024-01-01T00:00:00Z"];
    const b = JSON.parse(tollgate(["inspect", ...trust, "--artifact", join(pairDir, "app.bin"), join(bundleDir, "app.bundle.json")]).stdout);
    expect(b.evidence[0]).toMatchObject({ kind: "artifact-signature", signature: { status: "verified", signers: [{ type: "keyless", identity: TEST_IDENTITY }] } });

    // what cosign writes with --output-signature / --output-certificate: base64 signature, PEM certificate
    const pem = `-----BEGIN CERTIFICATE-----\n${bundle.verificationMaterial.certificate.rawBytes.match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
    writeFileSync(join(pairDir, "app.bin.sig"), bundle.messageSignature.signature);
    writeFileSync(join(pairDir, "app.bin.pem"), pem);
    const i = JSON.parse(tollgate(["inspect", ...trust, "--artifact", join(pairDir, "app.bin"), join(pairDir, "app.bin.sig"), join(pairDir, "app.bin.pem")]).stdout);
    expect(i.errors).toEqual([]); // the certificate is the signature's material, not unknown input
    expect(i.evidence).toHaveLength(1);
    expect(i.evidence[0].checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([["signature.cosign", true], ["signature.certificate_chain", false]]);
    expect(i.evidence[0].signature).toMatchObject({ status: "failed", code: "certificate_invalid" });
    expect(i.evidence[0].signature.reason).toContain(`(${"URI:" + TEST_IDENTITY})`);
    expect(i.evidence[0].signature.reason).toContain("no trusted time");
    const e = tollgate(["eval", ...trust, "--artifact", join(pairDir, "app.bin"), join(pairDir, "app.bin.sig"), join(pairDir, "app.bin.pem")]);
    expect(denies(e.stdout)).toContain("artifact-signature.signature");

    // cosign's own keyless bundle: {base64Signature, cert: base64(PEM), rekorBundle}
    const legacyDir = mkdtempSync(join(tmpdir(), "tollgate-cosign-legacy-"));
    writeFileSync(join(legacyDir, "app.bundle"), JSON.stringify({ base64Signature: bundle.messageSignature.signature, cert: Buffer.from(pem).toString("base64"), rekorBundle: { SignedEntryTimestamp: "MEUC", Payload: {} } }));
    const l = JSON.parse(tollgate(["inspect", ...trust, "--artifact", join(pairDir, "app.bin"), join(legacyDir, "app.bundle")]).stdout);
    expect(l.evidence[0]).toMatchObject({ kind: "artifact-signature", source: { format: "cosign-bundle" }, signature: { status: "failed", code: "certificate_invalid" } });
    expect(l.evidence[0].signature.reason).toContain("--new-bundle-format");
  });
});
