// Sigstore bundle verification against a self-made Sigstore instance (CA + CT log + transparency log made at
// test time): every extra check tollgate adds on top of @sigstore/verify has a failing case here.
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { loadPublicKeyPem } from "../src/crypto/keys.ts";
import { parseTrustedRoot, publicGoodTrustedRoot } from "../src/sigstore/trusted-root.ts";
import * as sigstoreBundle from "@sigstore/bundle";
import * as mediaTypes from "../src/sigstore/media-types.ts";
import { verifySigstoreBundle, type SigstoreVerifyOptions } from "../src/sigstore/verify.ts";
import { thrown } from "./support/errors.ts";
import { fixture, fixtureDescribe } from "./support/fixtures.ts";
import {
  BUNDLE_V01, BUNDLE_V02, BUNDLE_V03, BUNDLE_V03_LEGACY, IN_TOTO_JSON, TEST_IDENTITY, TEST_ISSUER,
  generateTestKey, makeStatement, makeTestSigstore, sha256hex, type TestSigstore,
} from "./support/keys.ts";

const ARTIFACT = new TextEncoder().encode("tollgate test artifact\n");
const ARTIFACT_SHA = sha256hex(ARTIFACT);
const LOGGED_AT = 1_700_000_000; // 2023-11-14T22:13:20Z
const NOW = new Date("2024-06-01T00:00:00Z");
const IDENTITY = { identity: TEST_IDENTITY, issuer: TEST_ISSUER };

let sig: TestSigstore;
let statement: string;

beforeAll(async () => {
  sig = await makeTestSigstore();
  statement = JSON.stringify(makeStatement([{ name: "app.tar", sha256: ARTIFACT_SHA }]));
});

function opts(extra: Partial<SigstoreVerifyOptions> = {}): SigstoreVerifyOptions {
  return { trustedRoot: sig.trustedRoot, now: NOW, identity: IDENTITY, artifact: { bytes: ARTIFACT }, requireTransparency: true, ...extra };
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

async function firstFailure(bundle: unknown, o: SigstoreVerifyOptions) {
  const r = await verifySigstoreBundle(bundle, o);
  expect(r.ok).toBe(false);
  expect(r.signer).toBeUndefined();
  return r.checks.find((c) => !c.ok)!;
}

const dsse = () => ({ dsse: { payloadType: IN_TOTO_JSON, payload: statement } });
const message = () => ({ message: ARTIFACT });

describe("keyless bundles from a self-made instance", () => {
  for (const mediaType of [BUNDLE_V01, BUNDLE_V02, BUNDLE_V03_LEGACY, BUNDLE_V03]) {
    test(`verifies a message signature, ${mediaType}`, async () => {
      const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT, mediaType });
      const r = await verifySigstoreBundle(b, opts());
      expect(r.checks.filter((c) => !c.ok)).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.signer).toMatchObject({ type: "keyless", identity: TEST_IDENTITY, issuer: TEST_ISSUER });
      expect(r.transparency).toEqual({ status: "verified", logIndex: 1, integratedTime: "2023-11-14T22:13:20.000Z" });
    });
  }

  test("verifies a DSSE attestation bound to the artifact by its subject, and reports certificate facts", async () => {
    const b = await sig.keyless({ content: dsse(), integratedTime: LOGGED_AT });
    const r = await verifySigstoreBundle(b, opts({ artifact: { sha256: ARTIFACT_SHA } }));
    expect(r.ok).toBe(true);
    expect(r.format).toBe("sigstore-bundle-v0.3");
    expect(r.envelope?.payloadType).toBe(IN_TOTO_JSON);
    const cert = (r.signer as { certificate: Record<string, unknown> }).certificate;
    expect(cert.subjectAlternativeNames).toEqual([TEST_IDENTITY]);
    expect(cert.issuer).toBe("tollgate-test-fulcio");
    expect(cert.extensions).toEqual({ sourceRepositoryURI: "https://github.com/acme/app" });
    expect(r.checks.map((c) => c.name)).toContain("binding.artifact");
  });

  test("the certificate expired long before `now`: still valid, checked at the log's integrated time", async () => {
    const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT });
    expect((await verifySigstoreBundle(b, opts({ now: new Date("2035-01-01T00:00:00Z") }))).ok).toBe(true);
  });

  test("wrong identity is rejected, and the identity is matched exactly, not as a regexp", async () => {
    const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT });
    let c = await firstFailure(b, opts({ identity: { identity: "https://github.com/acme/other/.github/workflows/release.yml@refs/heads/main", issuer: TEST_ISSUER } }));
    expect(c).toMatchObject({ name: "signature.identity", code: "identity_mismatch" });
    expect(c.reason).toContain(`certificate identity is "${TEST_IDENTITY}"`);
    // @sigstore/verify alone would accept this: its expected SAN is an unanchored regular expression.
    c = await firstFailure(b, opts({ identity: { identity: "acme/app", issuer: TEST_ISSUER } }));
    expect(c.code).toBe("identity_mismatch");
    // ...unless the user asked for a regexp.
    expect((await verifySigstoreBundle(b, opts({ identity: { identity: "^https://github\\.com/acme/", issuer: TEST_ISSUER, identityRegexp: true } }))).ok).toBe(true);
  });

  test("wrong issuer is rejected", async () => {
    const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT });
    const c = await firstFailure(b, opts({ identity: { identity: TEST_IDENTITY, issuer: "https://accounts.google.com" } }));
    expect(c).toMatchObject({ name: "signature.identity", code: "identity_mismatch" });
    expect(c.reason).toContain('expected "https://accounts.google.com"');
  });

  test("wrong subject: a DSSE statement about another artifact", async () => {
    const b = await sig.keyless({ content: dsse(), integratedTime: LOGGED_AT });
    const c = await firstFailure(b, opts({ artifact: { sha256: "0".repeat(64) } }));
    expect(c).toMatchObject({ name: "binding.artifact", code: "subject_mismatch" });
    expect(c.reason).toContain(`sha256:${ARTIFACT_SHA}`);
  });

  test("wrong artifact: a message signature over other bytes", async () => {
    const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT });
    const c = await firstFailure(b, opts({ artifact: { bytes: new TextEncoder().encode("other") } }));
    expect(c).toMatchObject({ name: "binding.artifact", code: "digest_mismatch" });
  });

  test("a DSSE bundle whose payload is not in-toto is not bound to anything", async () => {
    const b = await sig.keyless({ content: { dsse: { payloadType: "text/plain", payload: "hello" } }, integratedTime: LOGGED_AT });
    const c = await firstFailure(b, opts({ artifact: { sha256: ARTIFACT_SHA } }));
    expect(c).toMatchObject({ name: "binding.artifact", code: "binding_failed" });
    expect(c.reason).toContain('"text/plain"');
  });

  test("tampered DSSE payload is rejected", async () => {
    const b = clone(await sig.keyless({ content: dsse(), integratedTime: LOGGED_AT })) as { dsseEnvelope: { payload: string } };
    b.dsseEnvelope.payload = Buffer.from(statement.replace("app.tar", "evil.tar")).toString("base64");
    const c = await firstFailure(b, opts({ artifact: undefined }));
    expect(c.code).toBe("transparency_failed"); // the log entry's payload hash no longer matches
    expect(c.reason).toContain("DSSE payload hash mismatch");
  });

  test("unknown media type is rejected before anything else", async () => {
    const b = clone(await sig.keyless({ content: message(), integratedTime: LOGGED_AT }));
    (b as { mediaType: string }).mediaType = "application/vnd.dev.sigstore.bundle.v0.4+json";
    const c = await firstFailure(b, opts());
    expect(c).toMatchObject({ name: "sigstore.media_type", code: "unsupported" });
    expect(c.reason).toContain("v0.4");
  });

  test("non-canonical base64 is rejected (strict decoding)", async () => {
    const b = clone(await sig.keyless({ content: message(), integratedTime: LOGGED_AT })) as { messageSignature: { signature: string } };
    b.messageSignature.signature = b.messageSignature.signature.replace(/=*$/, "") + "!";
    const c = await firstFailure(b, opts());
    expect(c).toMatchObject({ name: "sigstore.bundle", code: "malformed" });
    expect(c.reason).toContain("messageSignature.signature");
  });

  test("base64 with line breaks is accepted", async () => {
    const b = clone(await sig.keyless({ content: message(), integratedTime: LOGGED_AT })) as { messageSignature: { signature: string } };
    b.messageSignature.signature = b.messageSignature.signature.replace(/(.{20})/g, "$1\n");
    expect((await verifySigstoreBundle(b, opts())).ok).toBe(true);
  });

  type Entry = { logIndex: string; integratedTime: string; canonicalizedBody?: string; inclusionProof: { rootHash: string; treeSize: string; logIndex: string; checkpoint?: { envelope: string } } };
  const entryOf = (b: unknown) => (b as { verificationMaterial: { tlogEntries: Entry[] } }).verificationMaterial.tlogEntries[0]!;

  test("checkpoint root hash differing from the inclusion proof's is rejected", async () => {
    const b = clone(await sig.keyless({ content: message(), integratedTime: LOGGED_AT }));
    entryOf(b).inclusionProof.rootHash = Buffer.alloc(32, 7).toString("base64");
    const c = await firstFailure(b, opts());
    expect(c).toMatchObject({ name: "transparency.entries", code: "transparency_failed" });
    expect(c.reason).toContain("checkpoint root hash");
  });

  test("an inclusion proof that does not lead to the root: the message a promotion's proof gets (one sequence, sigstore/checkpoint.ts)", async () => {
    const b = clone(await sig.keyless({ content: message(), integratedTime: LOGGED_AT }));
    const e = entryOf(b);
    e.canonicalizedBody = Buffer.from(Buffer.from(e.canonicalizedBody!, "base64").toString() + " ").toString("base64");
    const c = await firstFailure(b, opts());
    expect(c).toMatchObject({ name: "transparency.entries", code: "transparency_failed" });
    expect(c.reason).toMatch(/^tlogEntries\[0\] the inclusion proof at index \d+ leads to [0-9a-f]{64}, not to rootHash [0-9a-f]{64}$/);
  });

  test("an inclusion proof beside no canonicalizedBody (nothing to recompute the leaf from) is rejected, named", async () => {
    const b = clone(await sig.keyless({ content: message(), integratedTime: LOGGED_AT }));
    delete entryOf(b).canonicalizedBody;
    const c = await firstFailure(b, opts());
    expect(c).toMatchObject({ name: "transparency.entries", code: "transparency_failed" });
    expect(c.reason).toBe("tlogEntries[0] has an inclusion proof but no canonicalizedBody, the entry it would prove");
  });

  test("checkpoint size differing from the proof's treeSize is rejected", async () => {
    const b = clone(await sig.keyless({ content: message(), integratedTime: LOGGED_AT }));
    entryOf(b).inclusionProof.treeSize = "3";
    const c = await firstFailure(b, opts());
    expect(c.reason).toContain("checkpoint size 2 differs from the inclusion proof's treeSize 3");
  });

  test("an inclusion proof without a checkpoint is rejected", async () => {
    const b = clone(await sig.keyless({ content: message(), integratedTime: LOGGED_AT, mediaType: BUNDLE_V01 }));
    delete entryOf(b).inclusionProof.checkpoint;
    const c = await firstFailure(b, opts());
    expect(c).toMatchObject({ name: "transparency.entries", code: "transparency_failed" });
    expect(c.reason).toContain("has no checkpoint");
  });

  test("a checkpoint whose origin names another log is rejected", async () => {
    const b = clone(await sig.keyless({ content: message(), integratedTime: LOGGED_AT }));
    const e = entryOf(b);
    e.inclusionProof.checkpoint!.envelope = e.inclusionProof.checkpoint!.envelope.replace(/^[^\n]*/, "rekor.sigstore.dev - 1234");
    const c = await firstFailure(b, opts());
    expect(c.reason).toContain('checkpoint origin "rekor.sigstore.dev - 1234" does not name the trusted log https://rekor.tollgate.test');
  });

  test("a checkpoint signature that is not strict base64 is rejected", async () => {
    const b = clone(await sig.keyless({ content: message(), integratedTime: LOGGED_AT }));
    const e = entryOf(b);
    e.inclusionProof.checkpoint!.envelope = e.inclusionProof.checkpoint!.envelope.replace(/ (\S+)\n$/, " $1$\n");
    const c = await firstFailure(b, opts());
    expect(c).toMatchObject({ name: "transparency.entries", code: "transparency_failed" });
    expect(c.reason).toContain("checkpoint signature is not strict base64");
  });

  test("negative or non-integer log indices and times are rejected", async () => {
    for (const [field, value] of [["logIndex", "-1"], ["logIndex", "1.5"], ["integratedTime", "-5"]] as const) {
      const b = clone(await sig.keyless({ content: message(), integratedTime: LOGGED_AT }));
      (entryOf(b) as Record<string, unknown>)[field] = value;
      const c = await firstFailure(b, opts());
      expect(c).toMatchObject({ name: "transparency.entries", code: "transparency_failed" });
      expect(c.reason).toContain(`${field} must be a non-negative integer, found "${value}"`);
    }
  });

  test("an integrated time after the verification time is rejected", async () => {
    const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT });
    const c = await firstFailure(b, opts({ now: new Date("2023-01-01T00:00:00Z") }));
    expect(c).toMatchObject({ name: "transparency.entries", code: "transparency_failed" });
    expect(c.reason).toContain("is after the verification time 2023-01-01T00:00:00.000Z");
  });

  test("a CA certificate as signer is rejected", async () => {
    const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT, leaf: "ca" });
    const c = await firstFailure(b, opts());
    expect(c).toMatchObject({ name: "signature.certificate_leaf", code: "certificate_invalid" });
    expect(c.reason).toContain("is a CA certificate");
  });

  test("a leaf without the codeSigning extended key usage is rejected", async () => {
    const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT, leaf: "server-auth" });
    const c = await firstFailure(b, opts());
    expect(c).toMatchObject({ name: "signature.certificate_leaf", code: "certificate_invalid" });
    expect(c.reason).toContain("lacks the codeSigning extended key usage (has 1.3.6.1.5.5.7.3.1)");
  });

  test("a self-signed signing certificate is rejected", async () => {
    const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT, leaf: "self-signed" });
    const c = await firstFailure(b, opts());
    expect(c).toMatchObject({ name: "signature.certificate_leaf", code: "certificate_invalid" });
    expect(c.reason).toBe("the signing certificate is self-signed");
  });

  test("a keyless bundle without any trusted time is rejected", async () => {
    const b = clone(await sig.keyless({ content: message(), integratedTime: LOGGED_AT })) as { verificationMaterial: { tlogEntries: unknown[] } };
    b.verificationMaterial.tlogEntries = [];
    const c = await firstFailure(b, opts({ requireTransparency: false }));
    expect(c).toMatchObject({ name: "signature.certificate_chain", code: "certificate_invalid" });
    expect(c.reason).toContain("no trusted time");
  });

  test("a certificate from an untrusted CA is rejected", async () => {
    const other = await makeTestSigstore();
    const b = await other.keyless({ content: message(), integratedTime: LOGGED_AT });
    // Trust the other instance's logs but only our CA: the chain is what fails.
    const root = { ...sig.trustedRoot, tlogs: other.trustedRoot.tlogs, ctlogs: other.trustedRoot.ctlogs };
    const c = await firstFailure(b, opts({ trustedRoot: root }));
    expect(c).toMatchObject({ name: "signature.certificate_chain", code: "certificate_invalid" });
    expect(c.reason).toContain("Failed to verify certificate chain");
  });

  test("a keyless bundle against the public-good root is rejected", async () => {
    const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT });
    const c = await firstFailure(b, opts({ trustedRoot: publicGoodTrustedRoot() }));
    expect(c.code).toBe("transparency_failed");
    expect(c.reason).toContain("is not a log of the trusted root");
  });

  test("a bundle that is not even a bundle never throws", async () => {
    for (const junk of [null, 42, "x", { mediaType: BUNDLE_V03 }, { mediaType: BUNDLE_V03, verificationMaterial: 5 }]) {
      const r = await verifySigstoreBundle(junk, opts());
      expect(r.ok).toBe(false);
      expect(r.checks.at(-1)!.code).toMatch(/unsupported|malformed/);
    }
  });
});

describe("managed-key bundles", () => {
  for (const kind of ["p256", "p384", "ed25519", "rsa"] as const) {
    test(`${kind}: verifies with the right key, message and DSSE`, async () => {
      const key = generateTestKey(kind);
      for (const content of [message(), dsse()]) {
        const b = await sig.managed({ content, key, hint: "my-key" });
        const r = await verifySigstoreBundle(b, opts({ keys: [key.trusted], identity: undefined }));
        expect(r.checks.filter((c) => !c.ok)).toEqual([]);
        expect(r.signer).toEqual({ type: "key", fingerprint: key.trusted.fingerprint, keyid: "my-key" });
      }
    });
  }

  test("P-384 signatures use SHA-384 (what @sigstore/verify alone gets wrong)", async () => {
    const key = generateTestKey("p384");
    const b = await sig.managed({ content: dsse(), key });
    expect((await verifySigstoreBundle(b, opts({ keys: [key.trusted], identity: undefined }))).ok).toBe(true);
  });

  test("no --key: no_trusted_key naming the hint", async () => {
    const key = generateTestKey("p256");
    const b = await sig.managed({ content: message(), key, hint: "release-key" });
    const c = await firstFailure(b, opts({ identity: undefined }));
    expect(c).toMatchObject({ name: "signature.sigstore", code: "no_trusted_key" });
    expect(c.reason).toContain('"release-key"');
  });

  test("wrong key: no_trusted_key naming the key tried", async () => {
    const key = generateTestKey("p256");
    const wrong = generateTestKey("p256");
    const b = await sig.managed({ content: message(), key });
    const c = await firstFailure(b, opts({ keys: [wrong.trusted], identity: undefined }));
    expect(c.code).toBe("no_trusted_key");
    expect(c.reason).toContain(wrong.trusted.fingerprint);
  });

  test("a log-less bundle verifies (transparency absent) unless transparency is required", async () => {
    const key = generateTestKey("ed25519");
    const b = await sig.managed({ content: dsse(), key, tlog: false });
    const r = await verifySigstoreBundle(b, opts({ keys: [key.trusted], identity: undefined, requireTransparency: false }));
    expect(r.ok).toBe(true);
    expect(r.transparency.status).toBe("absent");
    const c = await firstFailure(b, opts({ keys: [key.trusted], identity: undefined, requireTransparency: true }));
    expect(c).toMatchObject({ name: "transparency.entries", code: "transparency_failed" });
  });

  test("a message signature checked against a sha256 digest alone: ECDSA yes, Ed25519 needs the bytes", async () => {
    const key = generateTestKey("p256");
    const b = await sig.managed({ content: message(), key });
    const r = await verifySigstoreBundle(b, opts({ keys: [key.trusted], identity: undefined, artifact: { sha256: ARTIFACT_SHA } }));
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    const d = await firstFailure(b, opts({ keys: [key.trusted], identity: undefined, artifact: { sha256: "1".repeat(64) } }));
    expect(d).toMatchObject({ name: "binding.artifact", code: "digest_mismatch" });
    // Without a log entry the signature alone decides: a bundle with another key's signature is refused.
    const logless = { keys: [key.trusted], identity: undefined, artifact: { sha256: ARTIFACT_SHA }, requireTransparency: false };
    const own = await sig.managed({ content: message(), key, tlog: false });
    expect((await verifySigstoreBundle(own, opts(logless))).ok).toBe(true);
    const forged = clone(own) as { messageSignature: { signature: string } };
    forged.messageSignature.signature = (await sig.managed({ content: message(), key: generateTestKey("p256"), tlog: false }) as { messageSignature: { signature: string } }).messageSignature.signature;
    const f = await firstFailure(forged, opts(logless));
    expect(f).toMatchObject({ name: "signature.sigstore", code: "no_trusted_key" });
    const ed = generateTestKey("ed25519");
    const e = await firstFailure(await sig.managed({ content: message(), key: ed }), opts({ keys: [ed.trusted], identity: undefined, artifact: { sha256: ARTIFACT_SHA } }));
    expect(e).toMatchObject({ name: "binding.artifact", code: "unsupported" });
    expect(e.reason).toContain("only an ECDSA signature can be checked against a digest");
  });

  test("a keyless message signature verifies against its digest", async () => {
    const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT });
    expect((await verifySigstoreBundle(b, opts({ artifact: { sha256: ARTIFACT_SHA } }))).ok).toBe(true);
    const tampered = clone(b) as { messageSignature: { signature: string } };
    const raw = Buffer.from(tampered.messageSignature.signature, "base64");
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    tampered.messageSignature.signature = raw.toString("base64");
    expect((await verifySigstoreBundle(tampered, opts({ artifact: { sha256: ARTIFACT_SHA } }))).ok).toBe(false);
  });
});

describe("media types", () => {
  test("tollgate's copies of the bundle media types are @sigstore/bundle's", () => {
    for (const name of ["BUNDLE_V01_MEDIA_TYPE", "BUNDLE_V02_MEDIA_TYPE", "BUNDLE_V03_LEGACY_MEDIA_TYPE", "BUNDLE_V03_MEDIA_TYPE"] as const) {
      expect(mediaTypes[name]).toBe(sigstoreBundle[name]);
    }
  });
});

describe("trusted roots", () => {
  test("the embedded default is the public-good root from @sigstore/tuf", () => {
    const r = publicGoodTrustedRoot();
    expect(r.json.mediaType).toBe("application/vnd.dev.sigstore.trustedroot+json;version=0.1");
    expect((r.json.tlogs as { baseUrl: string }[]).map((t) => t.baseUrl)).toContain("https://rekor.sigstore.dev");
  });

  test("a validity window without a start is refused", () => {
    const root = clone(sig.trustedRoot) as { tlogs: { publicKey: { validFor: Record<string, string> } }[] };
    delete root.tlogs[0]!.publicKey.validFor.start;
    const e = thrown(() => parseTrustedRoot(root, "root.json"));
    expect([e.code, e.path, e.message]).toEqual(["malformed", "root.json", "trusted root: tlogs[0].publicKey.validFor.start is missing"]);
  });

  test("a window whose start is after its end is refused", () => {
    const root = clone(sig.trustedRoot) as { certificateAuthorities: { validFor: Record<string, string> }[] };
    root.certificateAuthorities[0]!.validFor.end = "2019-01-01T00:00:00Z";
    expect(() => parseTrustedRoot(root, "root.json")).toThrow("certificateAuthorities[0].validFor: start 2020-01-01T00:00:00.000Z is after end 2019-01-01T00:00:00Z");
  });

  // TrustedRoot TimeRange: start required, end optional (open-ended), both ends inclusive.
  const at = (secs: number) => new Date(secs * 1000).toISOString();
  const withWindows = (tlog: Record<string, unknown>, ca?: Record<string, unknown>) => {
    const root = clone(sig.trustedRoot) as { tlogs: { publicKey: { validFor: unknown } }[]; certificateAuthorities: { validFor: unknown }[] };
    root.tlogs[0]!.publicKey.validFor = tlog;
    if (ca) root.certificateAuthorities[0]!.validFor = ca;
    return root;
  };

  test("an open-ended log key (end absent or null) is accepted, and a time exactly at its start verifies", async () => {
    const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT });
    for (const window of [{ start: at(LOGGED_AT) }, { start: at(LOGGED_AT), end: null }]) {
      const root = withWindows(window);
      expect(parseTrustedRoot(root, "root.json").json).toBe(root);
      const r = await verifySigstoreBundle(b, opts({ trustedRoot: root }));
      expect(r.checks.filter((c) => !c.ok)).toEqual([]);
      expect(r.transparency.status).toBe("verified");
    }
  });

  test("a closed log key verifies a time exactly at its end and refuses one a second past it", async () => {
    const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT });
    const inclusive = await verifySigstoreBundle(b, opts({ trustedRoot: withWindows({ start: at(LOGGED_AT - 3600), end: at(LOGGED_AT) }) }));
    expect(inclusive.checks.filter((c) => !c.ok)).toEqual([]);
    const instant = await verifySigstoreBundle(b, opts({ trustedRoot: withWindows({ start: at(LOGGED_AT), end: at(LOGGED_AT) }) }));
    expect(instant.ok).toBe(true);
    const c = await firstFailure(b, opts({ trustedRoot: withWindows({ start: at(LOGGED_AT - 3600), end: at(LOGGED_AT - 1) }) }));
    expect(c).toMatchObject({ name: "transparency.tlog", code: "transparency_failed" });
    const before = await firstFailure(b, opts({ trustedRoot: withWindows({ start: at(LOGGED_AT + 1) }) }));
    expect(before).toMatchObject({ name: "transparency.tlog", code: "transparency_failed" });
  });

  test("a closed certificate authority verifies a certificate exactly at its end and refuses one past it", async () => {
    const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT });
    const open = { start: "2020-01-01T00:00:00Z" };
    const ok = await verifySigstoreBundle(b, opts({ trustedRoot: withWindows(open, { start: "2020-01-01T00:00:00Z", end: at(LOGGED_AT) }) }));
    expect(ok.checks.filter((c) => !c.ok)).toEqual([]);
    const c = await firstFailure(b, opts({ trustedRoot: withWindows(open, { start: "2020-01-01T00:00:00Z", end: at(LOGGED_AT - 1) }) }));
    expect(c).toMatchObject({ name: "signature.certificate_chain", code: "certificate_invalid" });
  });

  test("a window's start must be present and both ends RFC 3339 times", () => {
    expect(() => parseTrustedRoot(withWindows({ start: null }), "root.json")).toThrow("trusted root: tlogs[0].publicKey.validFor.start is missing");
    expect(() => parseTrustedRoot(withWindows({ start: "2020-01-01" }), "root.json")).toThrow('tlogs[0].publicKey.validFor.start is not an RFC 3339 time: "2020-01-01"');
    expect(() => parseTrustedRoot(withWindows({ start: "2020-01-01T00:00:00Z", end: 7 }), "root.json")).toThrow("tlogs[0].publicKey.validFor.end is not an RFC 3339 time: 7");
  });

  test("an unknown trusted-root media type is refused", () => {
    expect(() => parseTrustedRoot({ ...sig.trustedRoot, mediaType: "application/json" }, "root.json")).toThrow("unknown mediaType");
  });

  test("verification with a bad root fails closed as a check", async () => {
    const b = await sig.keyless({ content: message(), integratedTime: LOGGED_AT });
    const c = await firstFailure(b, opts({ trustedRoot: { mediaType: "nope" } }));
    expect(c).toMatchObject({ name: "sigstore.trusted_root", code: "malformed" });
  });
});

fixtureDescribe("trusted root fixture", () => {
  test("the embedded root equals the shared public-good fixture", async () => {
    const want = await Bun.file(fixture("sigstore", "trusted-root-public-good.json")).json();
    expect(publicGoodTrustedRoot().json).toEqual(want);
  });
});

fixtureDescribe("RFC 3161 timestamps (conformance managed-key bundle, log entry removed)", () => {
  const load = () => {
    const dir = fixture("sigstore", "conformance", "managed-key-happy-path");
    const b = JSON.parse(readFileSync(`${dir}/bundle.sigstore.json`, "utf8")) as { verificationMaterial: { tlogEntries: unknown[] } };
    b.verificationMaterial.tlogEntries = [];
    return { b, key: loadPublicKeyPem(`${dir}/key.pub`), artifact: new Uint8Array(readFileSync(fixture("sigstore", "conformance", "a.txt"))) };
  };

  test("the timestamp authority's time alone anchors the bundle", async () => {
    const { b, key, artifact } = load();
    const r = await verifySigstoreBundle(b, { trustedRoot: publicGoodTrustedRoot(), keys: [key], now: new Date("2026-01-01T00:00:00Z"), artifact: { bytes: artifact } });
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.transparency.status).toBe("absent");
  });

  test("a timestamp after the verification time is rejected", async () => {
    const { b, key, artifact } = load();
    const r = await verifySigstoreBundle(b, { trustedRoot: publicGoodTrustedRoot(), keys: [key], now: new Date("2025-12-18T17:04:38Z"), artifact: { bytes: artifact } });
    const c = r.checks.find((x) => !x.ok)!;
    expect(c).toMatchObject({ name: "transparency.timestamp", code: "transparency_failed" });
    expect(c.reason).toBe("rfc3161Timestamps[0] time 2025-12-18T17:04:39.000Z is after the verification time 2025-12-18T17:04:38.000Z");
  });
});
