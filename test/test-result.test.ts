// in-toto test-result v0.1: the predicate handler on its own, then end to end — DSSE envelopes signed by
// keys made here, through the attestation layer and the registry, into the real opa evaluating policies/.
import { describe, expect, test } from "bun:test";
import { TollgateError } from "../src/core/errors.ts";
import { buildInputDocument, validateInputDocument } from "../src/core/input.ts";
import { trustedKeyFromObject } from "../src/crypto/keys.ts";
import { collectEvidence } from "../src/evidence/collect.ts";
import type { InTotoStatement } from "../src/evidence/predicate.ts";
import { predicateHandlerFor } from "../src/evidence/predicates.ts";
import { makeVerifyContext, sourceFromText } from "../src/evidence/source.ts";
import { recognizeDast, TEST_RESULT_V01, testResultFacts, testResultPredicate } from "../src/evidence/test-result.ts";
import type { EvidenceRecord, SourceFile } from "../src/evidence/types.ts";
import { BUNDLE_V03, IN_TOTO_JSON, TEST_IDENTITY, TEST_ISSUER, makeTestSigstore } from "./support/keys.ts";
import { thrown } from "./support/errors.ts";
import { dsse, newKey, sha256, type TestKey } from "./support/sign.ts";
import { decideBothEngines } from "./support/gate-parity.ts";

const TIME = new Date("2026-06-01T00:00:00Z");
const SUBJECT = sha256("app-1.2.3.tar.gz contents");

// The example from the predicate's specification (in-toto/attestation spec/predicates/test-result.md).
const SPEC_EXAMPLE = {
  result: "PASSED",
  configuration: [
    {
      name: ".github/workflows/ci.yml",
      downloadLocation: "https://github.com/in-toto/in-toto/blob/d20ace7968ba43c0219f62d71334c1095bab1602/.github/workflows/ci.yml",
      digest: { gitBlob: "ebe4add40f63c3c98bc9b32ff1e736f04120b023" },
    },
  ],
  url: "https://github.com/in-toto/in-toto/actions/runs/4425592351",
  passedTests: [
    "build (3.7, ubuntu-latest, py)", "build (3.7, macos-latest, py)", "build (3.7, windows-latest, py)",
    "build (3.8, ubuntu-latest, py)", "build (3.8, macos-latest, py)", "build (3.8, windows-latest, py)",
    "build (3.9, ubuntu-latest, py)", "build (3.9, macos-latest, py)", "build (3.9, windows-latest, py)",
    "build (3.10, ubuntu-latest, py)", "build (3.10, macos-latest, py)", "build (3.10, windows-latest, py)",
    "build (3.x, ubuntu-latest, lint)",
  ],
  warnedTests: [],
  failedTests: [],
};

function statement(predicate: unknown, subject = SUBJECT): InTotoStatement {
  return { _type: "https://in-toto.io/Statement/v1", subject: [{ name: "app-1.2.3.tar.gz", digest: { sha256: subject } }], predicateType: TEST_RESULT_V01, predicate };
}

const schemaError = (predicate: unknown): TollgateError => thrown(() => testResultFacts(predicate));

describe("test-result predicate handler", () => {
  test("registered for the literal predicate type, kind test-result", () => {
    expect(predicateHandlerFor(TEST_RESULT_V01)).toBe(testResultPredicate);
    expect(predicateHandlerFor("https://in-toto.io/attestation/test-result/v0.2")).toBeUndefined();
    expect(testResultPredicate.kind).toBe("test-result");
  });

  test("the specification's example: counts and names kept", () => {
    const f = testResultPredicate.facts(SPEC_EXAMPLE, statement(SPEC_EXAMPLE)) as any;
    expect(f.result).toBe("PASSED");
    expect(f.passed).toBe(true);
    expect([f.passedCount, f.warnedCount, f.failedCount, f.totalCount]).toEqual([13, 0, 0, 13]);
    expect(f.passedTests).toEqual(SPEC_EXAMPLE.passedTests);
    expect(f.url).toBe(SPEC_EXAMPLE.url);
    expect(f.configuration).toEqual(SPEC_EXAMPLE.configuration);
    expect(f.consistent).toBe(true);
    expect(f.dast).toEqual({ recognized: false, via: null });
  });

  test("FAILED with names, optional lists absent", () => {
    const f = testResultFacts({ result: "FAILED", configuration: [{ uri: "file:///ci.yml" }], failedTests: ["login", "logout"] }) as any;
    expect([f.result, f.passed, f.failedCount, f.passedCount, f.warnedCount]).toEqual(["FAILED", false, 2, 0, 0]);
    expect(f.failedTests).toEqual(["login", "logout"]);
    expect(f.url).toBeNull();
  });

  test("PASSED that lists failed tests is inconsistent", () => {
    expect((testResultFacts({ result: "PASSED", configuration: [], failedTests: ["x"] }) as any).consistent).toBe(false);
    expect((testResultFacts({ result: "WARNED", configuration: [], warnedTests: ["x"] }) as any).consistent).toBe(true);
  });

  test("schema: an unknown result, a missing configuration, a descriptor with nothing to resolve, a non-string name", () => {
    let e = schemaError({ ...SPEC_EXAMPLE, result: "SUCCESS" });
    expect(e.code).toBe("schema_invalid");
    expect(e.message).toContain('/result must be equal to one of the allowed values ("PASSED", "WARNED", "FAILED")');

    e = schemaError({ result: "PASSED" });
    expect(e.message).toContain("must have required property 'configuration'");

    e = schemaError({ result: "PASSED", configuration: [{ name: "ci.yml" }] });
    expect(e.message).toContain("/configuration/0");

    e = schemaError({ ...SPEC_EXAMPLE, passedTests: ["ok", 7] });
    expect(e.message).toContain("/passedTests/1 must be string");

    expect(schemaError("PASSED").message).toContain("must be object");
  });

  test("configuration digests are in-toto DigestSets: known fixed-size algorithms are hex of their length", () => {
    const withDigest = (digest: Record<string, string>) => ({ result: "PASSED", configuration: [{ name: "ci.yml", digest }] });
    // Accepted: exact-length hex (either case, as in-toto's Go validator decodes it), SHA-1 or SHA-256 git ids,
    // and any algorithm the spec does not fix.
    for (const d of <Record<string, string>[]>[{ sha256: "ab".repeat(32) }, { sha256: "AB".repeat(32) }, { sha1: "0".repeat(40) }, { gitCommit: "d20ace7968ba43c0219f62d71334c1095bab1602" }, { gitTree: "1".repeat(64) }, { sha512: "f".repeat(128) }, { somecoolhash: "not hex at all" }]) {
      expect((testResultFacts(withDigest(d)) as any).result).toBe("PASSED");
    }
    let e = schemaError(withDigest({ sha256: "00" }));
    expect(e.code).toBe("schema_invalid");
    expect(e.message).toContain("/configuration/0/digest/sha256 must match pattern");
    e = schemaError(withDigest({ gitBlob: "ebe4add40f63c3c98bc9b32ff1e736f04120b02" })); // 39 characters
    expect(e.message).toContain("/configuration/0/digest/gitBlob must match pattern");
    e = schemaError(withDigest({ md5: "z".repeat(32) }));
    expect(e.message).toContain("/configuration/0/digest/md5 must match pattern");
    e = schemaError({ result: "PASSED", configuration: [{ name: "ci.yml", digest: { sha256: 7 } }] });
    expect(e.message).toContain("/configuration/0/digest/sha256 must be string");
  });
});

describe("DAST recognition in a test-result", () => {
  const base = { configuration: [{ name: "ci.yml", uri: "https://ci.example/ci.yml" }] };
  test("annotation, media type, configuration name, url — in that order", () => {
    expect(recognizeDast({ configuration: [{ uri: "x", annotations: { category: "DAST" } }] })).toEqual({ recognized: true, via: "annotation" });
    expect(recognizeDast({ configuration: [{ uri: "x", mediaType: "application/sarif+json" }] })).toEqual({ recognized: true, via: "mediaType" });
    expect(recognizeDast({ configuration: [{ uri: "x", mediaType: "application/vnd.zaproxy.automation+yaml" }] }).via).toBe("mediaType");
    expect(recognizeDast({ configuration: [{ name: "zap-baseline.conf", digest: { sha256: "00" } }] })).toEqual({ recognized: true, via: "configuration-name" });
    expect(recognizeDast({ configuration: [{ uri: "https://github.com/acme/app/blob/main/.zap/rules.tsv" }] }).via).toBe("configuration-name");
    expect(recognizeDast({ ...base, url: "https://ci.example/jobs/owasp-zap/412" })).toEqual({ recognized: true, via: "url" });
  });

  test("whole words only: zapier, dastardly and a plain CI run are not DAST", () => {
    expect(recognizeDast({ ...base, url: "https://ci.example/zapier/run/1" }).recognized).toBe(false);
    expect(recognizeDast({ configuration: [{ name: "dastardly.yml", uri: "u" }] }).recognized).toBe(false);
    expect(recognizeDast({ ...base, url: "https://github.com/o/r/actions/runs/1" }).recognized).toBe(false);
    expect(recognizeDast({ configuration: [{ uri: "x", annotations: { category: "unit" } }] }).recognized).toBe(false);
  });
});

// ---- end to end: signed envelopes → records → input document → opa over policies/ ------------------------

interface GateOutcome {
  records: EvidenceRecord[];
  deny: { rule: string; msg: string }[];
  warn: { rule: string; msg: string }[];
}

// Files are made in memory (sourceFromText); the directory is only their name.
const tmp = "/gen/test-result";
let n = 0;

const decide = decideBothEngines;

interface KeylessTrust {
  identities: { issuer: string; identity: string }[];
  trustedRoot: unknown;
}

async function gate(files: SourceFile[], key: TestKey | undefined, data: Record<string, unknown> = {}, keyless?: KeylessTrust): Promise<GateOutcome> {
  const trusted = key ? [trustedKeyFromObject(key.publicKey, "test-key")] : [];
  const ctx = makeVerifyContext({ time: TIME, keys: trusted, files, ...(keyless ? { trustedRoot: () => keyless.trustedRoot } : {}) });
  const { records, errors } = await collectEvidence(files, ctx);
  expect(errors).toEqual([]);
  const input = buildInputDocument(
    { time: TIME.toISOString(), subject: { digest: { sha256: SUBJECT } }, trust: { keys: trusted.map((k) => k.fingerprint), identities: keyless?.identities ?? [] } },
    records,
    errors,
  );
  validateInputDocument(input);
  const decision = await decide(input, data);
  return { records, deny: decision.deny, warn: decision.warn };
}

const rules = (rs: { rule: string }[], prefix = "I1.test-result") => rs.map((r) => r.rule).filter((r) => r.startsWith(prefix)).sort();

describe("signed test-result attestations end to end", () => {
  const key = newKey("p256");
  const envelope = (predicate: unknown, k = key) => sourceFromText(`${tmp}/tests-${++n}.intoto.json`, JSON.stringify(dsse(statement(predicate), k)));

  test("PASSED, signed by the trusted key, bound: verified record, no I1 denial, requirement met", async () => {
    const g = await gate([envelope(SPEC_EXAMPLE)], key, { required_evidence: ["test-result"] });
    expect(g.records).toHaveLength(1);
    const rec = g.records[0]!;
    expect(rec.kind).toBe("test-result");
    expect(rec.signature.status).toBe("verified");
    expect(rec.signature.signers.map((x) => [x.type, (x as { fingerprint?: string }).fingerprint])).toEqual([["key", key.fingerprint]]);
    expect(rec.checks.find((c) => c.name === "predicate.schema")?.ok).toBe(true);
    expect((rec.facts as any).passedCount).toBe(13);
    expect(rules(g.deny)).toEqual([]);
    expect(g.deny.some((d) => d.rule === "gate.required-evidence")).toBe(false);
  });

  test("FAILED denies under I1.test-result-failed naming the failed tests", async () => {
    const g = await gate([envelope({ result: "FAILED", configuration: SPEC_EXAMPLE.configuration, failedTests: ["build (3.9, ubuntu-latest, py)"] })], key);
    expect(rules(g.deny)).toEqual(["I1.test-result-failed"]);
    expect(g.deny.find((d) => d.rule === "I1.test-result-failed")!.msg).toBe("test run FAILED: 1 failed test(s): build (3.9, ubuntu-latest, py)");
  });

  test("WARNED warns; with test_result_warned_denies it denies", async () => {
    const p = { result: "WARNED", configuration: SPEC_EXAMPLE.configuration, passedTests: ["a"], warnedTests: ["slow-test"] };
    let g = await gate([envelope(p)], key);
    expect(rules(g.deny)).toEqual([]);
    expect(rules(g.warn)).toEqual(["I1.test-result-warned"]);
    g = await gate([envelope(p)], key, { test_result_warned_denies: true });
    expect(rules(g.deny)).toEqual(["I1.test-result-warned"]);
  });

  test("a predicate of the wrong shape: failed predicate.schema check (schema_invalid), denied under I1.test-result-schema", async () => {
    const g = await gate([envelope({ result: "OK", configuration: [] })], key);
    const c = g.records[0]!.checks.find((x) => x.name === "predicate.schema")!;
    expect(c.ok).toBe(false);
    expect(c.code).toBe("schema_invalid");
    expect(c.reason).toContain("/result must be equal to one of the allowed values");
    expect(rules(g.deny)).toEqual(["I1.test-result-schema"]);
  });

  test("tampered payload: signature_failed, denied, and the requirement is not met", async () => {
    const env = dsse(statement(SPEC_EXAMPLE), key);
    const forged = { ...env, payload: Buffer.from(JSON.stringify(statement({ ...SPEC_EXAMPLE, url: "https://evil.example/run" }))).toString("base64") };
    const g = await gate([sourceFromText(`${tmp}/forged.intoto.json`, JSON.stringify(forged))], key, { required_evidence: ["test-result"] });
    const rec = g.records[0]!;
    expect(rec.signature.status).toBe("failed");
    expect(rec.signature.code).toBe("signature_failed");
    expect(rules(g.deny)).toEqual(["I1.test-result-signature"]);
    expect(g.deny.some((d) => d.rule === "gate.required-evidence" && d.msg.includes("test-result"))).toBe(true);
  });

  test("signed by another key: no_trusted_key; a FAILED result still denies", async () => {
    const other = newKey("p256");
    const g = await gate([envelope({ result: "FAILED", configuration: [] }, other)], key, { required_evidence: ["test-result"] });
    expect(g.records[0]!.signature.code).toBe("no_trusted_key");
    expect(rules(g.deny)).toEqual(["I1.test-result-failed", "I1.test-result-signature"]);
    expect(g.deny.some((d) => d.rule === "gate.required-evidence")).toBe(true);
  });

  test("bound to another artifact: the requirement is not met", async () => {
    const env = sourceFromText(`${tmp}/other.intoto.json`, JSON.stringify(dsse(statement(SPEC_EXAMPLE, sha256("another artifact")), key)));
    const g = await gate([env], key, { required_evidence: ["test-result"] });
    expect(g.records[0]!.signature.status).toBe("verified");
    expect(g.deny.some((d) => d.rule === "gate.required-evidence" && d.msg.includes("test-result"))).toBe(true);
  });
});

describe("test-result in a Sigstore bundle (keyless, a Sigstore instance made at test time)", () => {
  test("trusted identity: verified keyless signer, requirement met; FAILED denies; untrusted identity does not count", async () => {
    const sig = await makeTestSigstore();
    const bundle = async (predicate: unknown) =>
      sourceFromText(`${tmp}/tests-${++n}.sigstore.json`, JSON.stringify(await sig.keyless({
        content: { dsse: { payloadType: IN_TOTO_JSON, payload: JSON.stringify(statement(predicate)) } },
        integratedTime: 1_700_000_000,
        mediaType: BUNDLE_V03,
      })));
    const trust = { identities: [{ issuer: TEST_ISSUER, identity: TEST_IDENTITY }], trustedRoot: sig.trustedRoot };

    let g = await gate([await bundle(SPEC_EXAMPLE)], undefined, { required_evidence: ["test-result"] }, trust);
    const rec = g.records[0]!;
    expect(rec.kind).toBe("test-result");
    expect(rec.source.format).toBe("sigstore-bundle-v0.3");
    expect(rec.signature.status).toBe("verified");
    expect(rec.signature.signers[0]).toMatchObject({ type: "keyless", issuer: TEST_ISSUER, identity: TEST_IDENTITY });
    expect(rec.transparency.status).toBe("verified");
    expect(g.deny.filter((d) => d.rule === "gate.required-evidence" || d.rule.startsWith("I1.test-result"))).toEqual([]);

    g = await gate([await bundle({ result: "FAILED", configuration: [], failedTests: ["e2e"] })], undefined, {}, trust);
    expect(rules(g.deny)).toEqual(["I1.test-result-failed"]);

    g = await gate([await bundle(SPEC_EXAMPLE)], undefined, { required_evidence: ["test-result"] }, { ...trust, identities: [{ issuer: TEST_ISSUER, identity: TEST_IDENTITY + "x" }] });
    expect(g.deny.some((d) => d.rule === "gate.required-evidence" && d.msg.includes("test-result"))).toBe(true);
  });
});
