// The attestation evidence kind: detect → parse → verify → normalize for bare statements, DSSE envelopes
// (also .intoto.jsonl) and Sigstore bundles, with keys and a Sigstore instance made at test time.
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { attestationKind } from "../src/evidence/attestation/index.ts";
import { collectEvidence } from "../src/evidence/collect.ts";
import { slsaProvenance } from "../src/evidence/slsa-provenance.ts";
import { makeVerifyContext, sourceFromBytes, sourceFromText } from "../src/evidence/source.ts";
import type { EvidenceRecord, TrustedKey } from "../src/evidence/types.ts";
import { publicGoodTrustedRoot } from "../src/sigstore/trusted-root.ts";
import { REPO_ROOT, fixture, fixtureDescribe } from "./support/fixtures.ts";
import {
  BUNDLE_V02, IN_TOTO_JSON, SLSA_V1, TEST_IDENTITY, TEST_ISSUER, generateTestKey, makeStatement, makeTestSigstore,
  sha256hex, signDsse, type TestKey, type TestSigstore,
} from "./support/keys.ts";

const SUBJECT = sha256hex("the artifact");
const TIME = new Date("2024-06-01T00:00:00Z");

let key: TestKey;
let sig: TestSigstore;
beforeAll(async () => {
  key = generateTestKey("p256");
  sig = await makeTestSigstore();
});

async function run(name: string, content: string | Uint8Array, o: { keys?: TrustedKey[]; root?: unknown; time?: Date } = {}) {
  const file = typeof content === "string" ? sourceFromText(name, content) : sourceFromBytes(name, content);
  const ctx = makeVerifyContext({ time: o.time ?? TIME, keys: o.keys ?? [], trustedRoot: () => o.root ?? sig.trustedRoot });
  const r = await collectEvidence([file], ctx, [attestationKind]);
  return { ...r, file };
}

async function one(name: string, content: string | Uint8Array, o: Parameters<typeof run>[2] = {}): Promise<EvidenceRecord> {
  const r = await run(name, content, o);
  expect(r.errors).toEqual([]);
  expect(r.records).toHaveLength(1);
  return r.records[0]!;
}

const stmt = (over: Record<string, unknown> = {}) => JSON.stringify({ ...makeStatement([{ name: "app", sha256: SUBJECT }]), ...over });

describe("bare in-toto statements", () => {
  test("a v1 SLSA statement: unsigned, kind from the predicate handler, statement without predicate", async () => {
    const text = stmt();
    const r = await one("prov.json", text);
    expect(r.id).toBe(`sha256:${sha256hex(text)}`);
    expect(r.kind).toBe("slsa-provenance");
    expect(r.source).toEqual({ path: "prov.json", digest: { sha256: sha256hex(text) }, format: "in-toto-statement" });
    expect(r.signature).toEqual({ status: "unsigned", signers: [] });
    expect(r.transparency).toEqual({ status: "absent" });
    expect(r.statement).toEqual({ _type: "https://in-toto.io/Statement/v1", predicateType: SLSA_V1, subject: [{ name: "app", digest: { sha256: SUBJECT } }] });
    expect(r.predicate).toEqual(JSON.parse(text).predicate);
    expect(r.checks.map((c) => [c.name, c.ok])).toEqual([["statement.schema", true], ["predicate.schema", true]]);
    expect(r.facts).toMatchObject({ predicate_version: "v1", build_type: "https://actions.github.io/buildtypes/workflow/v1", known_build_type: true,
      source: { repository: "github.com/acme/app", ref: "refs/heads/main", uri: "git+https://github.com/acme/app@refs/heads/main", commit: null } });
  });

  test("the predicate handler runs once per statement (verify's facts are the record's)", async () => {
    const original = slsaProvenance.facts;
    let calls = 0;
    slsaProvenance.facts = (p, st) => {
      calls++;
      return original(p, st);
    };
    try {
      const r = await one("prov.json", stmt());
      expect(calls).toBe(1);
      expect(r.facts).toMatchObject({ predicate_version: "v1", builder_id: "https://github.com/actions/runner/github-hosted" });
    } finally {
      slsaProvenance.facts = original;
    }
  });

  test("a v0.1 statement of an unknown predicate type is recorded as in-toto", async () => {
    const r = await one("x.json", stmt({ _type: "https://in-toto.io/Statement/v0.1", predicateType: "https://example.com/custom/v1", predicate: { a: 1 } }));
    expect(r.kind).toBe("in-toto");
    expect(r.statement?._type).toBe("https://in-toto.io/Statement/v0.1");
    expect(r.facts).toEqual({});
    expect(r.checks.map((c) => c.name)).toEqual(["statement.schema"]);
  });

  test("a statement with a bad subject digest is a schema_invalid input error naming the file", async () => {
    const r = await run("bad.json", stmt({ subject: [{ digest: { sha256: "xyz" } }] }));
    expect(r.records).toEqual([]);
    expect(r.errors).toEqual([{ source: "bad.json", code: "schema_invalid", message: 'in-toto statement: subject[0].digest.sha256 is not 64 hex digits: "xyz"' }]);
  });

  test("an unknown statement _type is schema_invalid", async () => {
    const r = await run("bad.json", stmt({ _type: "https://in-toto.io/Statement/v9" }));
    expect(r.errors[0]).toMatchObject({ code: "schema_invalid" });
    expect(r.errors[0]!.message).toContain('_type "https://in-toto.io/Statement/v9" is not one of');
  });

  test("a predicate its handler rejects: failed predicate.schema check, record still emitted", async () => {
    const r = await one("p.json", stmt({ predicate: { nonsense: true } }));
    expect(r.kind).toBe("slsa-provenance");
    const c = r.checks.find((x) => x.name === "predicate.schema")!;
    expect(c).toMatchObject({ ok: false, code: "schema_invalid" });
    expect(c.reason).toContain(SLSA_V1);
    expect(r.integrity.status).toBe("failed");
    expect(r.facts).toEqual({});
  });
});

describe("DSSE envelopes", () => {
  test("verified with the matching --key: signer fingerprint and keyid", async () => {
    const env = JSON.stringify(await signDsse(IN_TOTO_JSON, stmt(), [{ key, keyid: "release" }]));
    const r = await one("a.dsse.json", env, { keys: [key.trusted] });
    expect(r.source.format).toBe("dsse");
    expect(r.signature).toEqual({ status: "verified", signers: [{ type: "key", keyid: "release", fingerprint: key.trusted.fingerprint }] });
    expect(r.checks[0]).toMatchObject({ name: "signature.dsse", ok: true });
    expect(r.statement?.subject[0]?.digest.sha256).toBe(SUBJECT);
  });

  test("no --key: failed, no_trusted_key, statement still recorded", async () => {
    const r = await one("a.dsse.json", JSON.stringify(await signDsse(IN_TOTO_JSON, stmt(), [{ key, keyid: "release" }])));
    expect(r.signature.status).toBe("failed");
    expect(r.signature.code).toBe("no_trusted_key");
    expect(r.signature.reason).toBe("DSSE envelope has 1 signature (keyid release); no --key was given to verify it");
    expect(r.kind).toBe("slsa-provenance");
  });

  test("wrong key: no_trusted_key naming the keys tried", async () => {
    const wrong = generateTestKey("ed25519");
    const r = await one("a.dsse.json", JSON.stringify(await signDsse(IN_TOTO_JSON, stmt(), [{ key }])), { keys: [wrong.trusted] });
    expect(r.signature.code).toBe("no_trusted_key");
    expect(r.signature.reason).toContain(wrong.trusted.fingerprint);
    expect(r.signature.signers).toEqual([]);
  });

  test("tampered payload signed under a keyid naming the key: signature_failed", async () => {
    const env = await signDsse(IN_TOTO_JSON, stmt(), [{ key, keyid: key.trusted.fingerprint }]);
    env.payload = Buffer.from(stmt({ subject: [{ digest: { sha256: "f".repeat(64) } }] })).toString("base64");
    const r = await one("a.dsse.json", JSON.stringify(env), { keys: [key.trusted] });
    expect(r.signature.code).toBe("signature_failed");
    expect(r.signature.reason).toContain("does not verify: the payload or signature was altered");
  });

  test("a payloadType other than in-toto: verified bytes, but no statement", async () => {
    const r = await one("a.dsse.json", JSON.stringify(await signDsse("application/json", stmt(), [{ key }])), { keys: [key.trusted] });
    expect(r.signature.status).toBe("verified");
    const c = r.checks.find((x) => x.name === "statement.payload_type")!;
    expect(c).toMatchObject({ ok: false, code: "unsupported" });
    expect(c.reason).toBe('DSSE payloadType is "application/json", expected "application/vnd.in-toto+json"');
    expect(r.statement).toBeUndefined();
    expect(r.kind).toBe("in-toto");
    expect(r.integrity.status).toBe("failed");
  });

  test("a payload that is not a statement: statement.schema failed", async () => {
    const r = await one("a.dsse.json", JSON.stringify(await signDsse(IN_TOTO_JSON, '{"hello":1}', [{ key }])), { keys: [key.trusted] });
    expect(r.checks.find((x) => x.name === "statement.schema")).toMatchObject({ ok: false, code: "schema_invalid" });
  });

  test("bad base64 in the envelope is a malformed input error", async () => {
    const env = await signDsse(IN_TOTO_JSON, stmt(), [{ key }]);
    const r = await run("a.dsse.json", JSON.stringify({ ...env, payload: env.payload.slice(0, -3) + "*==" }), { keys: [key.trusted] });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ source: "a.dsse.json", code: "malformed" });
    expect(r.errors[0]!.message).toContain("payload is not valid base64");
  });

  test(".intoto.jsonl: one record per line, ids suffixed", async () => {
    const other = generateTestKey("ed25519");
    const l1 = JSON.stringify(await signDsse(IN_TOTO_JSON, stmt(), [{ key }]));
    const l2 = JSON.stringify(await signDsse(IN_TOTO_JSON, stmt({ predicateType: "https://example.com/x", predicate: {} }), [{ key: other }]));
    const text = `${l1}\n${l2}\n`;
    const r = await run("build.intoto.jsonl", text, { keys: [key.trusted, other.trusted] });
    expect(r.errors).toEqual([]);
    expect(r.records.map((x) => x.id)).toEqual([`sha256:${sha256hex(text)}`, `sha256:${sha256hex(text)}#1`]);
    expect(r.records.map((x) => x.kind)).toEqual(["slsa-provenance", "in-toto"]);
    expect(r.records.map((x) => x.signature.signers.map((s) => (s as { fingerprint: string }).fingerprint))).toEqual([[key.trusted.fingerprint], [other.trusted.fingerprint]]);
  });

  test(".intoto.jsonl with a broken later line is malformed, naming the line", async () => {
    const l1 = JSON.stringify(await signDsse(IN_TOTO_JSON, stmt(), [{ key }]));
    const r = await run("build.intoto.jsonl", `${l1}\n{"payloadType":\n`);
    expect(r.errors).toEqual([{ source: "build.intoto.jsonl", code: "malformed", message: "line 2 is not valid JSON" }]);
  });
});

describe("Sigstore bundles", () => {
  test("keyless DSSE bundle: verified keyless signer with certificate facts and log facts", async () => {
    const b = await sig.keyless({ content: { dsse: { payloadType: IN_TOTO_JSON, payload: stmt() } }, integratedTime: 1_700_000_000, mediaType: BUNDLE_V02 });
    const r = await one("att.sigstore.json", JSON.stringify(b));
    expect(r.source.format).toBe("sigstore-bundle-v0.2");
    expect(r.kind).toBe("slsa-provenance");
    expect(r.signature.status).toBe("verified");
    expect(r.signature.signers[0]).toMatchObject({ type: "keyless", identity: TEST_IDENTITY, issuer: TEST_ISSUER, certificate: { issuer: "tollgate-test-fulcio", subjectAlternativeNames: [TEST_IDENTITY] } });
    expect(r.transparency).toEqual({ status: "verified", logIndex: 1, integratedTime: "2023-11-14T22:13:20.000Z" });
    expect(r.checks.map((c) => c.name)).toEqual(["sigstore.media_type", "sigstore.bundle", "transparency.entries", "signature.certificate_leaf", "signature.sigstore", "transparency.tlog", "statement.schema", "predicate.schema"]);
  });

  test("verification time before the log entry: failed, naming the times", async () => {
    const b = await sig.keyless({ content: { dsse: { payloadType: IN_TOTO_JSON, payload: stmt() } }, integratedTime: 1_700_000_000 });
    const r = await one("att.sigstore.json", JSON.stringify(b), { time: new Date("2023-01-01T00:00:00Z") });
    expect(r.signature).toMatchObject({ status: "failed", code: "transparency_failed", signers: [] });
    expect(r.signature.reason).toContain("is after the verification time 2023-01-01T00:00:00.000Z");
    // One failure, reported once (not echoed as a second signature.sigstore check).
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(["transparency.entries"]);
    expect(r.transparency.status).toBe("failed");
    expect(r.transparency.reason).toContain("is after the verification time");
  });

  test("managed-key bundle: needs the --key", async () => {
    const b = JSON.stringify(await sig.managed({ content: { dsse: { payloadType: IN_TOTO_JSON, payload: stmt() } }, key, hint: "k" }));
    expect((await one("m.json", b)).signature.code).toBe("no_trusted_key");
    const r = await one("m.json", b, { keys: [key.trusted] });
    expect(r.signature).toEqual({ status: "verified", signers: [{ type: "key", fingerprint: key.trusted.fingerprint, keyid: "k" }] });
  });

  test("unknown bundle media type: detected, recorded, failed", async () => {
    const b = await sig.keyless({ content: { dsse: { payloadType: IN_TOTO_JSON, payload: stmt() } }, integratedTime: 1_700_000_000 });
    const r = await one("x.json", JSON.stringify({ ...b, mediaType: "application/vnd.dev.sigstore.bundle.v0.9+json" }));
    expect(r.source.format).toBe("sigstore-bundle");
    expect(r.signature).toMatchObject({ status: "failed", code: "unsupported" });
    expect(r.signature.reason).toContain("unknown Sigstore bundle mediaType");
  });

  test("a message-signature bundle is not an attestation: unsupported input error", async () => {
    const b = await sig.keyless({ content: { message: "bytes" }, integratedTime: 1_700_000_000 });
    const r = await run("m.sigstore.json", JSON.stringify(b));
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ source: "m.sigstore.json", code: "unsupported" });
    expect(r.errors[0]!.message).toContain("message signature");
  });
});

describe("loading", () => {
  test("the evidence registry does not load the Sigstore verifier until a bundle is verified", () => {
    const probe = `await import(${JSON.stringify(join(REPO_ROOT, "src/evidence/registry.ts"))});
      console.log(Object.keys(require.cache).filter((k) => /@sigstore[\\/](verify|bundle)[\\/]/.test(k)).length)`;
    const r = Bun.spawnSync([process.execPath, "-e", probe], { stdout: "pipe", stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    expect(r.stdout.toString().trim()).toBe("0");
  });
});

describe("detection", () => {
  test("by content, never by name", () => {
    const d = (name: string, text: string) => attestationKind.detect(sourceFromText(name, text));
    expect(d("x.txt", stmt())).toBe(true);
    expect(d("x.json", '{"payloadType":"a","payload":"","signatures":[]}')).toBe(true);
    expect(d("x.json", '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}')).toBe(true);
    expect(d("x.intoto.jsonl", '{"payloadType":"a","payload":"","signatures":[]}\n{"payloadType":"a","payload":"","signatures":[]}\n')).toBe(true);
    expect(d("x.intoto.jsonl", '{"foo":1}')).toBe(false);
    expect(d("prov.intoto.json", '{"_type":"https://in-toto.io/Statement/v1"')).toBe(false); // truncated
    expect(d("sarif.json", '{"version":"2.1.0","runs":[]}')).toBe(false);
    expect(attestationKind.detect(sourceFromBytes("bin", new Uint8Array([0xff, 0xfe, 0x00, 0x7b])))).toBe(false);
  });
});

fixtureDescribe("the conformance in-toto bundle through the evidence kind", () => {
  test("public-good root: verified keyless SLSA provenance bound to a.txt", async () => {
    const path = fixture("sigstore", "conformance", "happy-path-intoto-in-dsse-v3", "bundle.sigstore.json");
    const r = await one(path, new Uint8Array(readFileSync(path)), { root: publicGoodTrustedRoot(), time: new Date("2026-01-01T00:00:00Z") });
    expect(r.kind).toBe("slsa-provenance");
    expect(r.signature.status).toBe("verified");
    expect(r.signature.signers[0]).toMatchObject({ type: "keyless", issuer: "https://token.actions.githubusercontent.com" });
    expect(r.statement?.subject).toEqual([{ name: "a.txt", digest: { sha256: sha256hex(readFileSync(fixture("sigstore", "conformance", "a.txt"))) } }]);
    expect(r.transparency).toMatchObject({ status: "verified", logIndex: 155690850 });
  });

  test("the tampered-signature case is recorded as failed", async () => {
    const path = fixture("sigstore", "conformance", "dsse-invalid-sig_fail", "bundle.sigstore.json");
    const r = await one(path, new Uint8Array(readFileSync(path)), { root: publicGoodTrustedRoot(), time: new Date("2026-01-01T00:00:00Z") });
    expect(r.signature.status).toBe("failed");
    expect(r.signature.code).toBe("transparency_failed");
  });
});
