// PyPI (PEP 740): the real rfc8785 wheel with its real attestations (logged on Sigstore staging, so verified
// against the staging trusted root at the entry's integrated time), admitted and denied through the real CLI;
// provenance objects with Trusted Publishers signed at test time by a self-made Sigstore instance.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectEvidence } from "../src/evidence/collect.ts";
import { pypiKind } from "../src/evidence/pypi/index.ts";
import { normalizeVersion, ultranormalizeDistFilename } from "../src/evidence/pypi/parse.ts";
import { makeVerifyContext, sourceFromText } from "../src/evidence/source.ts";
import { tollgate } from "./support/cli.ts";
import { fixture, fixtureDescribe, REPO_ROOT } from "./support/fixtures.ts";
import { IN_TOTO_JSON, makeTestSigstore, sha256hex, TEST_ISSUER, type TestSigstore } from "./support/keys.ts";

const STAGING_ROOT = join(REPO_ROOT, "test/support/sigstore/staging-trusted-root.json");
const WHEEL = "rfc8785-0.1.2-py3-none-any.whl";
const WHEEL_SHA = "c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201";
const SIGNER = ["--certificate-identity", "william@yossarian.net", "--certificate-oidc-issuer", "https://github.com/login/oauth"];
const LOGGED = "2024-06-06T18:39:05Z"; // the entry's integratedTime (1717699145)
const PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tollgate-pypi-"));
  // A PyPI gate: publish attestations required instead of SLSA provenance.
  writeFileSync(join(dir, "pypi-gate.yaml"), "provenance_required: false\nrequired_evidence: [pypi-publish]\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rules = (out: string) => [...new Set([...out.matchAll(/^(?:DENY|WARN)\s+(\S+):/gm)].map((m) => m[1]))].sort();

describe("distribution filenames (pypi-attestations' ultranormalization)", () => {
  test("wheels: normalized name, canonical version, sorted compressed tags", () => {
    expect(ultranormalizeDistFilename(WHEEL)).toBe(WHEEL);
    expect(ultranormalizeDistFilename("Foo.Bar-1.0-py3.py2-none-any.whl")).toBe("foo_bar-1.0-py2.py3-none-any.whl");
    expect(ultranormalizeDistFilename("foo-1.0-1-py3-none-any.whl")).toBe("foo-1.0-1-py3-none-any.whl");
    expect(ultranormalizeDistFilename("foo-01.0RC1-py3-none-any.whl")).toBe("foo-1.0rc1-py3-none-any.whl");
  });

  test("sdists and versions", () => {
    expect(ultranormalizeDistFilename("My.Pkg-2.0.post1.tar.gz")).toBe("my_pkg-2.0.post1.tar.gz");
    expect(ultranormalizeDistFilename("pkg-1.0.zip")).toBe("pkg-1.0.zip");
    expect(normalizeVersion("1.0-1")).toBe("1.0.post1");
    expect(normalizeVersion("1.0.dev")).toBe("1.0.dev0");
    expect(normalizeVersion("1!2.0+Local-7")).toBe("1!2.0+local.7");
  });

  test("not a distribution filename", () => {
    expect(() => ultranormalizeDistFilename("rfc8785.txt")).toThrow("unknown distribution format: rfc8785.txt");
    expect(() => ultranormalizeDistFilename("a-b-c.whl")).toThrow("invalid wheel filename");
    expect(() => ultranormalizeDistFilename("foo-notaversion-py3-none-any.whl")).toThrow('invalid version "notaversion"');
  });
});

describe("detect and parse", () => {
  const ctx = makeVerifyContext({ time: new Date(LOGGED) });
  test("PEP 740 shapes are detected by keys; everything else is not", () => {
    expect(pypiKind.detect(sourceFromText("a.attestation", JSON.stringify({ version: 1, verification_material: {}, envelope: {} })))).toBe(true);
    expect(pypiKind.detect(sourceFromText("p.json", JSON.stringify({ version: 1, attestation_bundles: [] })))).toBe(true);
    expect(pypiKind.detect(sourceFromText("x.json", JSON.stringify({ version: 1 })))).toBe(false);
    expect(pypiKind.detect(sourceFromText("x.json", "[1]"))).toBe(false);
  });

  test("bad shapes are schema errors naming the file and field", async () => {
    const cases: [unknown, string][] = [
      [{ version: 2, verification_material: {}, envelope: {} }, "PEP 740: attestation version is 2, not 1"],
      [{ version: 1, verification_material: { certificate: "!!", transparency_entries: [{}] }, envelope: { statement: "e30=", signature: "e30=" } }, "PEP 740: attestation.verification_material.certificate is not base64"],
      [{ version: 1, verification_material: { certificate: "e30=", transparency_entries: [] }, envelope: { statement: "e30=", signature: "e30=" } }, "PEP 740: attestation.verification_material.transparency_entries must be a non-empty array"],
      [{ version: 1, attestation_bundles: [] }, "PEP 740: provenance: attestation_bundles is empty"],
      [{ version: 1, attestation_bundles: [{ publisher: {}, attestations: [] }] }, "PEP 740: attestation_bundles[0].publisher must be an object with a non-empty kind"],
    ];
    for (const [doc, msg] of cases) {
      const c = await collectEvidence([sourceFromText("bad.attestation", JSON.stringify(doc))], ctx);
      expect(c.records).toEqual([]);
      expect(c.errors).toHaveLength(1);
      expect(c.errors[0]!.source).toBe("bad.attestation");
      expect(c.errors[0]!.code).toBe("schema_invalid");
      expect(c.errors[0]!.message).toStartWith(msg);
    }
  });
});

fixtureDescribe("the real rfc8785 wheel and its PEP 740 attestations", () => {
  const att = () => fixture("pypi", `${WHEEL}.publish.attestation`);
  const gate = (extra: string[], evidence: string[], artifact = fixture("pypi", WHEEL)) =>
    tollgate(["eval", "--trusted-root", STAGING_ROOT, "--time", LOGGED, "--data", join(dir, "pypi-gate.yaml"), "--artifact", artifact, ...extra, ...evidence]);

  test("verifies as pypi-attestations does, with the publish facts policies read", async () => {
    const text = readFileSync(att(), "utf8");
    const ctx = makeVerifyContext({ time: new Date(LOGGED), trustedRoot: () => JSON.parse(readFileSync(STAGING_ROOT, "utf8")) });
    const c = await collectEvidence([sourceFromText(att(), text)], ctx);
    expect(c.errors).toEqual([]);
    const [r] = c.records;
    expect(r!.checks.filter((x) => !x.ok)).toEqual([]);
    expect(r!.checks.map((x) => x.name)).toEqual(["sigstore.media_type", "sigstore.bundle", "transparency.entries", "signature.certificate_leaf", "signature.sigstore", "transparency.tlog", "statement.schema", "pypi.subject", "pypi.predicate_type"]);
    expect(r!.kind).toBe("pypi-publish");
    expect(r!.source.format).toBe("pep740-attestation");
    expect(r!.signature).toMatchObject({ status: "verified", signers: [{ type: "keyless", identity: "william@yossarian.net", issuer: "https://github.com/login/oauth" }] });
    expect(r!.transparency).toEqual({ status: "verified", logIndex: 28175749, integratedTime: "2024-06-06T18:39:05.000Z" });
    expect(r!.statement).toEqual({ _type: "https://in-toto.io/Statement/v1", predicateType: PUBLISH_V1, subject: [{ name: WHEEL, digest: { sha256: WHEEL_SHA } }] });
    expect(r!.facts.pypi).toEqual({ predicate_type: PUBLISH_V1, distribution: WHEEL, publisher: null, signer: { identity: "william@yossarian.net", issuer: "https://github.com/login/oauth" }, location: "attestation" });
  });

  test("admitted for the real wheel with its real identity (exit 0), both attestation files", () => {
    for (const f of [att(), fixture("pypi", `${WHEEL}.attestation`)]) {
      const r = gate(SIGNER, [f]);
      expect(r.stdout).toMatch(/^ADMIT: 0 denied/m);
      expect(r.code).toBe(0);
    }
  });

  test("denied for a changed wheel of the same name", () => {
    mkdtempSync(join(dir, "w"));
    const changed = join(dir, WHEEL);
    writeFileSync(changed, Buffer.concat([readFileSync(fixture("pypi", WHEEL)), Buffer.from("\n")]));
    const r = gate(SIGNER, [att()], changed);
    expect(r.code).toBe(1);
    expect(rules(r.stdout)).toEqual(["gate.required-evidence", "pypi.subject-digest"]);
    expect(r.stdout).toContain(`PyPI attestation subject ${WHEEL} (sha256:${WHEEL_SHA}) is not the artifact sha256:${sha256hex(readFileSync(changed))}`);
  });

  test("denied for the same bytes under another distribution name", () => {
    const renamed = join(dir, "rfc8785-0.1.3-py3-none-any.whl");
    writeFileSync(renamed, readFileSync(fixture("pypi", WHEEL)));
    const r = gate(SIGNER, [att()], renamed);
    expect(r.code).toBe(1);
    expect(rules(r.stdout)).toEqual(["pypi.distribution"]);
    expect(r.stdout).toContain(`PyPI attestation is for ${WHEEL}, the artifact is rfc8785-0.1.3-py3-none-any.whl`);
  });

  test("denied for a wrong identity, and with no identity at all", () => {
    const wrong = gate(["--certificate-identity", "william@example.com", "--certificate-oidc-issuer", "https://github.com/login/oauth"], [att()]);
    expect(wrong.code).toBe(1);
    expect(rules(wrong.stdout)).toEqual(["gate.required-evidence", "pypi.signer-identity"]);
    expect(wrong.stdout).toContain("PyPI attestation signed by william@yossarian.net (issuer https://github.com/login/oauth), which is not a trusted signer");
    const issuer = gate(["--certificate-identity", "william@yossarian.net", "--certificate-oidc-issuer", TEST_ISSUER], [att()]);
    expect(rules(issuer.stdout)).toEqual(["gate.required-evidence", "pypi.signer-identity"]);
    expect(gate([], [att()]).code).toBe(1);
  });

  test("denied for a tampered statement (neither the log entry nor the signature covers it)", () => {
    const a = JSON.parse(readFileSync(att(), "utf8"));
    const st = Buffer.from(a.envelope.statement, "base64").toString("utf8").replace(WHEEL_SHA, "0".repeat(64));
    a.envelope.statement = Buffer.from(st).toString("base64");
    const f = join(dir, "tampered.publish.attestation");
    writeFileSync(f, JSON.stringify(a));
    const r = gate(SIGNER, [f]);
    expect(r.code).toBe(1);
    expect(rules(r.stdout)).toContain("pypi.verified");
    expect(r.stdout).toContain("pypi.verified: PyPI attestation (attestation) does not verify: transparency.tlog: DSSE payload hash mismatch");
    const v = tollgate(["verify", "--trusted-root", STAGING_ROOT, "--time", LOGGED, f]);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/FAIL  transparency\.tlog: DSSE payload hash mismatch \[transparency_failed\]/);
    expect(v.stdout).toMatch(/^FAILED: 1 evidence/m);
    // The signature itself altered (statement intact): the signature check fails.
    const b = JSON.parse(readFileSync(att(), "utf8"));
    const sigBytes = Buffer.from(b.envelope.signature, "base64");
    sigBytes[sigBytes.length - 3]! ^= 1;
    b.envelope.signature = sigBytes.toString("base64");
    writeFileSync(f, JSON.stringify(b));
    const s = tollgate(["verify", "--trusted-root", STAGING_ROOT, "--time", LOGGED, f]);
    expect(s.code).toBe(1);
    expect(s.stdout).toMatch(/FAIL  (signature|transparency)\.\S+: /);
  });

  test("denied under the public-good root (the entry was logged on staging), and SLSA provenance stays required by default", () => {
    const prod = tollgate(["eval", "--time", LOGGED, "--data", join(dir, "pypi-gate.yaml"), "--artifact", fixture("pypi", WHEEL), ...SIGNER, att()]);
    expect(prod.code).toBe(1);
    expect(rules(prod.stdout)).toContain("pypi.verified");
    const plain = tollgate(["eval", "--trusted-root", STAGING_ROOT, "--time", LOGGED, "--artifact", fixture("pypi", WHEEL), ...SIGNER, att()]);
    expect(plain.code).toBe(1);
    expect(rules(plain.stdout)).toEqual(["I1.provenance-required"]);
  });

  test("the attestation in a provenance object: its publisher facts, and the Trusted Publisher check", async () => {
    const a = JSON.parse(readFileSync(att(), "utf8"));
    const prov = { version: 1, attestation_bundles: [{ publisher: { kind: "GitHub", repository: "trail-of-forks/rfc8785.py", workflow: "release.yml", environment: null }, attestations: [a] }] };
    const f = join(dir, `${WHEEL}.provenance`);
    writeFileSync(f, JSON.stringify(prov));
    const v = tollgate(["verify", "--trusted-root", STAGING_ROOT, "--time", LOGGED, f]);
    // This attestation was signed by an e-mail identity, not by the GitHub workflow: it is not that publisher's.
    expect(v.code).toBe(1);
    expect(v.stdout).toContain("FAIL  pypi.publisher: certificate issuer is https://github.com/login/oauth, the GitHub Trusted Publisher's is https://token.actions.githubusercontent.com [identity_mismatch]");
  });
});

describe("provenance objects signed at test time by a GitHub Trusted Publisher", () => {
  let sig: TestSigstore;
  const dist = "demo_pkg-1.0-py3-none-any.whl";
  const bytes = new TextEncoder().encode("demo wheel bytes\n");
  const repo = "acme/app";
  const SHA = "a".repeat(40);
  const fulcio = { "12": `https://github.com/${repo}`, "13": SHA, "14": "refs/tags/v1.0", "18": `https://github.com/${repo}/.github/workflows/release.yml@refs/tags/v1.0` };
  const identity = `https://github.com/${repo}/.github/workflows/release.yml@refs/tags/v1.0`;

  async function attestation(statement: Record<string, unknown>): Promise<Record<string, unknown>> {
    const b = await sig.keyless({ content: { dsse: { payloadType: IN_TOTO_JSON, payload: JSON.stringify(statement) } }, integratedTime: 1_700_000_000, identity, fulcio }) as {
      verificationMaterial: { certificate: { rawBytes: string }; tlogEntries: unknown[] };
      dsseEnvelope: { payload: string; signatures: { sig: string }[] };
    };
    return {
      version: 1,
      verification_material: { certificate: b.verificationMaterial.certificate.rawBytes, transparency_entries: b.verificationMaterial.tlogEntries },
      envelope: { statement: b.dsseEnvelope.payload, signature: b.dsseEnvelope.signatures[0]!.sig },
    };
  }
  const stmt = (over: Record<string, unknown> = {}) => ({ _type: "https://in-toto.io/Statement/v1", subject: [{ name: dist, digest: { sha256: sha256hex(bytes) } }], predicateType: PUBLISH_V1, predicate: null, ...over });
  const provenance = (atts: unknown[], publisher: Record<string, unknown> = { kind: "GitHub", repository: repo, workflow: "release.yml", environment: "pypi" }) =>
    ({ version: 1, attestation_bundles: [{ publisher, attestations: atts }] });

  beforeAll(async () => {
    sig = await makeTestSigstore();
    writeFileSync(join(dir, "root.json"), JSON.stringify(sig.trustedRoot));
    writeFileSync(join(dir, dist), bytes);
  });

  const evalProv = (doc: unknown, extra: string[] = []) => {
    const f = join(dir, `${dist}.provenance`);
    writeFileSync(f, JSON.stringify(doc));
    return tollgate(["eval", "--trusted-root", join(dir, "root.json"), "--time", "2024-01-01T00:00:00Z", "--data", join(dir, "pypi-gate.yaml"),
      "--artifact", join(dir, dist), "--certificate-identity", identity, "--certificate-oidc-issuer", TEST_ISSUER, ...extra, f]);
  };

  test("admitted when the certificate is the publisher's workflow; publisher facts reach the policy", async () => {
    const doc = provenance([await attestation(stmt())]);
    const r = evalProv(doc);
    expect(r.stdout).toMatch(/^ADMIT: 0 denied/m);
    expect(r.code).toBe(0);
    const pin = join(dir, "pins.json");
    writeFileSync(pin, JSON.stringify({ pypi_publishers: [{ kind: "GitHub", repository: repo, workflow: "release.yml", environment: "pypi" }] }));
    expect(evalProv(doc, ["--data", pin]).code).toBe(0);
    writeFileSync(pin, JSON.stringify({ pypi_publishers: [{ kind: "GitHub", repository: repo, workflow: "release.yml", environment: "staging" }] }));
    const pinned = evalProv(doc, ["--data", pin]);
    expect(rules(pinned.stdout)).toEqual(["pypi.publisher"]);
    expect(pinned.stdout).toContain("PyPI attestation publisher GitHub acme/app release.yml (environment pypi) is not one of the pinned Trusted Publishers");
  });

  test("denied when the publisher names another workflow or repository", async () => {
    const a = await attestation(stmt());
    const wf = evalProv(provenance([a], { kind: "GitHub", repository: repo, workflow: "other.yml" }));
    expect(rules(wf.stdout)).toEqual(["pypi.verified"]);
    expect(wf.stdout).toContain(`pypi.publisher: certificate Build Config URI https://github.com/${repo}/.github/workflows/release.yml@refs/tags/v1.0 is not the Trusted Publisher's workflow other.yml @ ${repo}`);
    const rp = evalProv(provenance([a], { kind: "GitHub", repository: "acme/other", workflow: "release.yml" }));
    expect(rp.stdout).toContain("pypi.publisher: certificate source repository is https://github.com/acme/app, the Trusted Publisher's is https://github.com/acme/other");
    const unknown = evalProv(provenance([a], { kind: "Nonesuch", repository: repo }));
    expect(unknown.stdout).toContain('pypi.publisher: Trusted Publisher kind "Nonesuch" is not one tollgate can check');
  });

  test("a Google Trusted Publisher: the certificate is the service account's, through Google's issuer", async () => {
    const email = "publisher@acme-project.iam.gserviceaccount.com";
    const b = await sig.keyless({ content: { dsse: { payloadType: IN_TOTO_JSON, payload: JSON.stringify(stmt()) } }, integratedTime: 1_700_000_000, identity: email, issuer: "https://accounts.google.com" }) as {
      verificationMaterial: { certificate: { rawBytes: string }; tlogEntries: unknown[] };
      dsseEnvelope: { payload: string; signatures: { sig: string }[] };
    };
    const a = { version: 1, verification_material: { certificate: b.verificationMaterial.certificate.rawBytes, transparency_entries: b.verificationMaterial.tlogEntries }, envelope: { statement: b.dsseEnvelope.payload, signature: b.dsseEnvelope.signatures[0]!.sig } };
    const f = join(dir, "google.provenance");
    const verify = (publisher: Record<string, unknown>) => {
      writeFileSync(f, JSON.stringify(provenance([a], publisher)));
      return tollgate(["verify", "--trusted-root", join(dir, "root.json"), "--time", "2024-01-01T00:00:00Z", f]);
    };
    const ok = verify({ kind: "Google", email });
    expect(ok.stdout).toContain("ok    pypi.publisher");
    expect(ok.code).toBe(0);
    const other = verify({ kind: "Google", email: "other@acme-project.iam.gserviceaccount.com" });
    expect(other.code).toBe(1);
    expect(other.stdout).toContain(`FAIL  pypi.publisher: certificate identity is ${email}, the Google Trusted Publisher's is other@acme-project.iam.gserviceaccount.com [identity_mismatch]`);
    // the same certificate is not a GitHub publisher's
    expect(verify({ kind: "GitHub", repository: repo, workflow: "release.yml" }).stdout).toContain("FAIL  pypi.publisher: certificate issuer is https://accounts.google.com");
  });

  test("statements PEP 740 refuses: two subjects, no distribution name, an unknown predicate type, Statement v0.1", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ subject: [{ name: dist, digest: { sha256: sha256hex(bytes) } }, { name: "x-1.0.tar.gz", digest: { sha256: "b".repeat(64) } }] }, "pypi.subject: 2 subjects in the statement (PEP 740 requires exactly one)"],
      [{ subject: [{ name: "demo.txt", digest: { sha256: sha256hex(bytes) } }] }, "pypi.subject: the subject name is not a distribution filename: unknown distribution format: demo.txt"],
      [{ predicateType: "https://example.com/other/v1" }, "pypi.predicate_type: unknown attestation type https://example.com/other/v1"],
      [{ _type: "https://in-toto.io/Statement/v0.1" }, "statement.schema: statement _type is https://in-toto.io/Statement/v0.1; PEP 740 requires https://in-toto.io/Statement/v1"],
    ];
    for (const [over, msg] of cases) {
      const r = evalProv(provenance([await attestation(stmt(over))]));
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(msg);
    }
  });

  test("a PEP 740 SLSA provenance attestation is slsa-provenance evidence for the I1 rules", async () => {
    const slsa = stmt({
      predicateType: "https://slsa.dev/provenance/v1",
      predicate: {
        buildDefinition: { buildType: "https://actions.github.io/buildtypes/workflow/v1", externalParameters: { workflow: { ref: "refs/tags/v1.0", repository: `https://github.com/${repo}`, path: ".github/workflows/release.yml" } } },
        runDetails: { builder: { id: "https://github.com/actions/runner/github-hosted" } },
      },
    });
    const f = join(dir, `${dist}.slsa.attestation`);
    writeFileSync(f, JSON.stringify(await attestation(slsa)));
    const r = tollgate(["eval", "--trusted-root", join(dir, "root.json"), "--time", "2024-01-01T00:00:00Z", "--artifact", join(dir, dist),
      "--certificate-identity", identity, "--certificate-oidc-issuer", TEST_ISSUER, f]);
    expect(r.stdout).toContain("ADMIT: 0 denied");
    expect(r.code).toBe(0);
    const doc = JSON.parse(tollgate(["inspect", "--trusted-root", join(dir, "root.json"), "--time", "2024-01-01T00:00:00Z", f]).stdout);
    expect(doc.evidence[0].kind).toBe("slsa-provenance");
    expect(doc.evidence[0].facts.builder_id).toBe("https://github.com/actions/runner/github-hosted");
    expect(doc.evidence[0].facts.pypi.predicate_type).toBe("https://slsa.dev/provenance/v1");
  });
});
