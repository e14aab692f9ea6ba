// AWS Nitro Enclaves attestation documents: the real 2022-07-14 document (fixture, verified at its own
// timestamp) and synthetic documents signed at test time through a generated AWS-shaped P-384 chain.
import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { decode, encode } from "cbor2";
import { makeVerifyContext, sourceFromBytes, sourceFromText } from "../src/evidence/source.ts";
import { collectEvidence } from "../src/evidence/collect.ts";
import { makeNitroAttestationKind, nitroAttestationKind, verifyNitroDocument } from "../src/evidence/tee/nitro/index.ts";
import { parseNitroDocument } from "../src/evidence/tee/nitro/document.ts";
import { AWS_NITRO_ROOT_G1_PEM, AWS_NITRO_ROOT_G1_SHA256 } from "../src/evidence/tee/roots/aws.ts";
import { pemToDer, type PinnedRoot } from "../src/evidence/tee/common/x509chain.ts";
import { TollgateError } from "../src/core/errors.ts";
import { fixture, fixtureDescribe } from "./support/fixtures.ts";
import { check, expectAllOk, expectFailed } from "./support/tee-expect.ts";
import { flipBit, flipCertSignature, flipCertSubject, indexOfBytes } from "./support/tdx-gen.ts";
import { makeNitroChain, makeNitroDocument, type NitroChain } from "./support/nitro-gen.ts";

const ctxAt = (t: string | number) => makeVerifyContext({ time: new Date(t) });




/** Replace the bytes of one certificate (found by content) inside a document by a same-length tampered copy. */
function tamperCertIn(doc: Uint8Array, der: Uint8Array, tamper: (d: Uint8Array) => Uint8Array): Uint8Array {
  const at = indexOfBytes(doc, der);
  if (at < 0) throw new Error("certificate not found in document");
  const out = new Uint8Array(doc);
  out.set(tamper(der), at);
  return out;
}

describe("pinned AWS Nitro root G1", () => {
  test("the constant's DER sha256 is the pinned (AWS-published) fingerprint", () => {
    expect(createHash("sha256").update(pemToDer(AWS_NITRO_ROOT_G1_PEM)).digest("hex")).toBe(AWS_NITRO_ROOT_G1_SHA256);
  });
});

fixtureDescribe("Nitro fixture (cape-js attestation.bin, 2022-07-14)", () => {
  const bytes = () => new Uint8Array(readFileSync(fixture("tee/nitro/attestation.bin")));
  const docTime = () => parseNitroDocument(bytes()).payload.timestamp;

  test("the pinned root equals the published AWS Nitro root G1 file", () => {
    const der = pemToDer(readFileSync(fixture("tee/nitro/aws-nitro-root-g1.pem"), "utf8"));
    expect(Buffer.from(der).equals(Buffer.from(pemToDer(AWS_NITRO_ROOT_G1_PEM)))).toBe(true);
  });

  test("verifies at its own timestamp; facts come from the signed payload", () => {
    const b = bytes();
    const v = verifyNitroDocument(b, ctxAt(docTime()));
    expectAllOk(v);
    // Independent decode of the payload with the CBOR library, to compare facts against.
    const outer = decode(b) as unknown[];
    const payload = decode(outer[2] as Uint8Array, { preferMap: true }) as Map<string, unknown>;
    const pcrs = payload.get("pcrs") as Map<number, Uint8Array>;
    expect(v.hardware.platform).toBe("nitro");
    expect(v.hardware.root).toBe("aws-nitro-g1");
    expect(v.hardware["moduleId"]).toBe(payload.get("module_id"));
    expect(v.hardware["timestamp"]).toBe(payload.get("timestamp"));
    expect(v.hardware["time"]).toBe(new Date(payload.get("timestamp") as number).toISOString());
    expect(v.hardware["digest"]).toBe("SHA384");
    expect(Object.keys(v.hardware["pcrs"] as object).length).toBe(pcrs.size);
    expect((v.hardware["pcrs"] as Record<string, string>)["4"]).toBe(Buffer.from(pcrs.get(4)!).toString("hex"));
    expect(v.hardware.measurement).toBe(Buffer.from(pcrs.get(0)!).toString("hex"));
    expect(v.hardware["nonce"]).toBe(Buffer.from(payload.get("nonce") as Uint8Array).toString("hex"));
    expect(v.hardware["publicKey"]).toBe(Buffer.from(payload.get("public_key") as Uint8Array).toString("hex"));
    expect(v.hardware["userData"]).toBeNull();
    expect((v.hardware["certificate"] as { subject: string }).subject).toMatch(/CN=i-029e0eacb65267caa-enc0181fe7484f74a24/);
  });

  test("at today's date the short-lived enclave certificate has expired", () => {
    const v = verifyNitroDocument(bytes(), ctxAt("2026-01-01T00:00:00Z"));
    expectFailed(v, "hardware.nitro_chain", "certificate_invalid", /enclave certificate ".*" is not valid at 2026-01-01T00:00:00\.000Z \(valid 2022-07-14T20:46:04\.000Z to 2022-07-14T23:46:07\.000Z\)/);
    expect(v.hardware["time"]).toBe("2022-07-14T20:46:07.740Z");
  });

  test("a bit flip in the payload (PCR4) breaks the COSE signature", () => {
    const b = bytes();
    const pcr4 = parseNitroDocument(b).payload.pcrs.get(4)!;
    const v = verifyNitroDocument(flipBit(b, indexOfBytes(b, pcr4) + 3), ctxAt(docTime()));
    expectFailed(v, "hardware.nitro_signature", "signature_failed", /COSE_Sign1 ES384 signature does not verify over the Sig_structure/);
    expect(check(v, "hardware.nitro_chain").ok).toBe(true);
  });

  test("a bit flip in the signature is caught", () => {
    const b = bytes();
    const v = verifyNitroDocument(flipBit(b, b.length - 20), ctxAt(docTime()));
    expectFailed(v, "hardware.nitro_signature", "signature_failed", /does not verify/);
  });

  test("a bit flip in the protected header's algorithm is refused", () => {
    const b = bytes();
    // protected = a1 01 38 22 (alg -35): flip -35 to -36 (0x22 → 0x23).
    const v = verifyNitroDocument(flipBit(b, 5, 0), ctxAt(docTime()));
    expectFailed(v, "hardware.nitro_cose_alg", "unsupported", /COSE protected header alg is -36, not ES384 \(-35\)/);
  });

  test("tampered enclave certificate and each cabundle element are caught by the chain", () => {
    const b = bytes();
    const p = parseNitroDocument(b).payload;
    const t = docTime();
    expectFailed(
      verifyNitroDocument(tamperCertIn(b, p.certificate, (d) => flipCertSubject(d, "i-029e0eacb65267caa-enc0181fe7484f74a24")), ctxAt(t)),
      "hardware.nitro_chain",
      "chain_broken",
      /enclave certificate signature does not verify with the cabundle\[3\] key/,
    );
    expectFailed(verifyNitroDocument(tamperCertIn(b, p.cabundle[3]!, flipCertSignature), ctxAt(t)), "hardware.nitro_chain", "chain_broken", /cabundle\[3\] certificate signature does not verify with the cabundle\[2\] key/);
    expectFailed(verifyNitroDocument(tamperCertIn(b, p.cabundle[2]!, flipCertSignature), ctxAt(t)), "hardware.nitro_chain", "chain_broken", /cabundle\[2\] certificate signature does not verify with the cabundle\[1\] key/);
    expectFailed(verifyNitroDocument(tamperCertIn(b, p.cabundle[1]!, flipCertSignature), ctxAt(t)), "hardware.nitro_chain", "chain_broken", /cabundle\[1\] certificate signature does not verify with the cabundle\[0\] \(root\) key/);
    expectFailed(verifyNitroDocument(tamperCertIn(b, p.cabundle[0]!, flipCertSignature), ctxAt(t)), "hardware.nitro_chain", "chain_broken", /chain root "C=US, O=Amazon, OU=AWS, CN=aws\.nitro-enclaves" \(sha256 [0-9a-f]{64}\) is not the pinned root aws-nitro-g1/);
  });

  test("truncated document is a parse failure", () => {
    const b = bytes();
    const v = verifyNitroDocument(b.subarray(0, 1000), ctxAt(docTime()));
    expectFailed(v, "hardware.nitro_parse", "malformed", /Nitro attestation document: document is not well-formed CBOR/);
  });

  test("the evidence kind reads the raw file and its base64 text", async () => {
    const b = bytes();
    for (const file of [sourceFromBytes("attestation.bin", b), sourceFromText("attestation.b64", Buffer.from(b).toString("base64") + "\n")]) {
      expect(nitroAttestationKind.detect(file)).toBe(true);
      const parsed = nitroAttestationKind.parse(file);
      const ctx = makeVerifyContext({ time: new Date(docTime()), files: [file] });
      const checks = await nitroAttestationKind.verify(parsed, file, ctx);
      const [rec] = nitroAttestationKind.normalize(parsed, checks, file, ctx);
      expect(rec!.kind).toBe("tee-report");
      expect(rec!.source.format).toBe(file.path.endsWith(".b64") ? "nitro-cose-sign1+base64" : "nitro-cose-sign1");
      expect(rec!.signature.status).toBe("verified");
      expect(rec!.signature.signers).toEqual([{ type: "hardware", platform: "nitro", measurement: rec!.hardware!.measurement!, root: "aws-nitro-g1" }]);
      expect(rec!.facts["moduleId"]).toBe("i-029e0eacb65267caa-enc0181fe7484f74a24");
      expect(rec!.checks.map((c) => c.name)).toEqual(["hardware.nitro_cose_alg", "hardware.nitro_chain", "hardware.nitro_signature", "hardware.nitro_timestamp"]);
    }
  });
});

describe("Nitro synthetic documents (chains generated at test time)", () => {
  const TS = Date.parse("2026-06-01T12:00:00Z");
  let chain: NitroChain;
  let roots: PinnedRoot[];
  const verify = (b: Uint8Array, t: string | number = TS, r: readonly PinnedRoot[] = roots) => verifyNitroDocument(b, ctxAt(t), { roots: r });

  beforeAll(async () => {
    chain = await makeNitroChain();
    roots = [{ name: "test-nitro-root", der: chain.root.der }];
  });

  test("untagged and tag-18 documents verify; facts carry user_data, nonce, public_key", async () => {
    for (const tagged of [false, true]) {
      const d = await makeNitroDocument(chain, { tagged });
      const v = verify(d.bytes);
      expectAllOk(v);
      expect(v.document!.tagged).toBe(tagged);
      expect(v.hardware.root).toBe("test-nitro-root");
      expect(v.hardware["userData"]).toBe(Buffer.from("hello tollgate").toString("hex"));
      expect(v.hardware.reportData).toBe(Buffer.from("hello tollgate").toString("hex"));
      expect(v.hardware["nonce"]).toBe("010203040506");
      expect(v.hardware["publicKey"]).toBe("4e".repeat(32));
      expect(v.hardware["publicKeyBase64"]).toBe(Buffer.alloc(32, 0x4e).toString("base64"));
      expect(v.hardware.measurement).toBe("a0".repeat(48));
      expect(v.hardware["time"]).toBe("2026-06-01T12:00:00.000Z");
      expect(v.hardware["ageSeconds"]).toBe(0);
    }
    const d = await makeNitroDocument(chain);
    expect(verify(d.bytes, TS + 90_500).hardware["ageSeconds"]).toBe(90);
    expect(verify(d.bytes, TS - 10_000).hardware["ageSeconds"]).toBe(-10);
  });

  test("a synthetic chain is refused against the real pinned AWS root", async () => {
    const d = await makeNitroDocument(chain);
    expectFailed(verifyNitroDocument(d.bytes, ctxAt(TS)), "hardware.nitro_chain", "chain_broken", /is not the pinned root aws-nitro-g1 \(sha256 641a0321/);
  });

  test("single-bit flips in payload, signature, certificate and every cabundle element", async () => {
    const d = await makeNitroDocument(chain);
    const b = d.bytes;
    const nonceAt = indexOfBytes(b, new Uint8Array([1, 2, 3, 4, 5, 6]));
    expectFailed(verify(flipBit(b, nonceAt)), "hardware.nitro_signature", "signature_failed", /does not verify over the Sig_structure/);
    expectFailed(verify(flipBit(b, b.length - 1)), "hardware.nitro_signature", "signature_failed", /does not verify/);
    expectFailed(verify(tamperCertIn(b, chain.leaf.der, flipCertSignature)), "hardware.nitro_chain", "chain_broken", /enclave certificate signature does not verify with the cabundle\[3\] key/);
    for (let i = 3; i >= 1; i--) {
      expectFailed(verify(tamperCertIn(b, chain.cabundle[i]!.der, flipCertSignature)), "hardware.nitro_chain", "chain_broken", new RegExp(`cabundle\\[${i}\\] certificate signature does not verify with the cabundle\\[${i - 1}\\]`));
    }
    expectFailed(verify(tamperCertIn(b, chain.root.der, flipCertSignature)), "hardware.nitro_chain", "chain_broken", /is not the pinned root test-nitro-root/);
  });

  test("a document signed by a key other than the enclave certificate's fails", async () => {
    const other = await makeNitroChain({ intermediates: 1 });
    const d = await makeNitroDocument(chain, { signingKey: other.leaf.keys.privateKey });
    expectFailed(verify(d.bytes), "hardware.nitro_signature", "signature_failed", /enclave certificate's key/);
  });

  test("a cabundle out of order breaks the chain", async () => {
    const bundle = chain.cabundle.map((c) => c.der);
    const d = await makeNitroDocument(chain, { cabundle: [bundle[0]!, bundle[2]!, bundle[1]!, bundle[3]!] });
    expectFailed(verify(d.bytes), "hardware.nitro_chain", "chain_broken", /issuer ".*level\d.*" is not the cabundle\[\d\] subject/);
  });

  test("validity is checked at ctx.time, and the signed timestamp must lie within the leaf's validity", async () => {
    const short = await makeNitroChain({ leafNotBefore: new Date("2026-06-01T11:00:00Z"), leafNotAfter: new Date("2026-06-01T14:00:00Z") });
    const r = [{ name: "r", der: short.root.der }];
    const d = await makeNitroDocument(short);
    expectAllOk(verifyNitroDocument(d.bytes, ctxAt(TS), { roots: r }));
    expectFailed(verifyNitroDocument(d.bytes, ctxAt("2026-06-02T00:00:00Z"), { roots: r }), "hardware.nitro_chain", "certificate_invalid", /enclave certificate .* is not valid at 2026-06-02T00:00:00\.000Z/);
    const late = await makeNitroDocument(short, { timestamp: Date.parse("2026-06-01T15:00:00Z") });
    expectFailed(verifyNitroDocument(late.bytes, ctxAt(TS), { roots: r }), "hardware.nitro_timestamp", "certificate_invalid", /document timestamp 2026-06-01T15:00:00\.000Z is outside the enclave certificate's validity/);
  });

  test("a non-ES384 algorithm in the protected header is refused even when the signature verifies", async () => {
    const d = await makeNitroDocument(chain, { alg: -7 });
    const v = verify(d.bytes);
    expectFailed(v, "hardware.nitro_cose_alg", "unsupported", /alg is -7, not ES384/);
    expect(check(v, "hardware.nitro_signature").ok).toBe(true);
  });

  test("payload schema violations are schema_invalid parse errors naming the field", async () => {
    const cases: [Parameters<typeof makeNitroDocument>[1], RegExp][] = [
      [{ digest: "SHA256" }, /digest is "SHA256", not "SHA384"/],
      [{ omit: ["module_id"] }, /module_id is missing/],
      [{ omit: ["timestamp"] }, /timestamp is missing or not a positive integer number of milliseconds/],
      [{ omit: ["cabundle"] }, /cabundle is not a non-empty array/],
      [{ cabundle: [] }, /cabundle is not a non-empty array/],
      [{ pcrs: new Map([[0, new Uint8Array(40)]]) }, /pcrs\[0\] is 40 bytes \(32, 48 or 64 expected\)/],
      [{ pcrs: new Map([[32, new Uint8Array(48)]]) }, /pcrs has index 32 outside 0\.\.31/],
      [{ userData: new Uint8Array(1025) }, /user_data is 1025 bytes \(allowed 0\.\.1024\)/],
      [{ nonce: new Uint8Array(1025) }, /nonce is 1025 bytes \(allowed 0\.\.1024\)/],
      [{ publicKey: new Uint8Array(1025) }, /public_key is 1025 bytes \(allowed 0\.\.1024\)/],
    ];
    for (const [opts, reason] of cases) {
      const d = await makeNitroDocument(chain, opts);
      try {
        parseNitroDocument(d.bytes);
        throw new Error(`accepted ${reason}`);
      } catch (e) {
        expect(e).toBeInstanceOf(TollgateError);
        expect((e as TollgateError).code).toBe("schema_invalid");
        expect((e as TollgateError).message).toMatch(reason);
      }
      expectFailed(verify(d.bytes), "hardware.nitro_parse", "schema_invalid", reason);
    }
  });

  test("user_data, nonce and public_key of 1024 bytes each (the NSM's maximum) verify, with their facts", async () => {
    const full = (b: number) => new Uint8Array(1024).fill(b);
    const d = await makeNitroDocument(chain, { userData: full(0x75), nonce: full(0x6e), publicKey: full(0x70) });
    const v = verify(d.bytes);
    expectAllOk(v);
    expect(v.hardware["userData"]).toBe("75".repeat(1024));
    expect(v.hardware["nonce"]).toBe("6e".repeat(1024));
    expect(v.hardware["publicKey"]).toBe("70".repeat(1024));
  });

  test("null user_data / nonce / public_key are absent facts, not empty strings", async () => {
    const d = await makeNitroDocument(chain, { userData: null, nonce: null, publicKey: null });
    const v = verify(d.bytes);
    expectAllOk(v);
    expect(v.hardware["userData"]).toBeNull();
    expect(v.hardware["nonce"]).toBeNull();
    expect(v.hardware["publicKey"]).toBeNull();
    expect(v.hardware.reportData).toBeUndefined();
  });

  test("malformed COSE structures are refused", () => {
    expect(() => parseNitroDocument(encode([1, 2, 3]))).toThrow(/not a COSE_Sign1 array of 4 items/);
    expect(() => parseNitroDocument(encode(["x", new Map(), new Uint8Array(1), new Uint8Array(1)]))).toThrow(/protected header is not a byte string/);
    // Duplicate map keys are refused by the strict decoder (a classic parser-differential trick).
    const dup = new Uint8Array([0x84, 0x44, 0xa1, 0x01, 0x38, 0x22, 0xa0, 0x45, 0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x40]);
    expect(() => parseNitroDocument(dup)).toThrow(TollgateError);
  });

  test("detect ignores JSON and arbitrary binary; the kind's parse errors name the file", async () => {
    expect(nitroAttestationKind.detect(sourceFromText("x.json", '{"a":1}'))).toBe(false);
    expect(nitroAttestationKind.detect(sourceFromBytes("r.bin", new Uint8Array(64).fill(9)))).toBe(false);
    const d = await makeNitroDocument(chain, { digest: "MD5" });
    const kind = makeNitroAttestationKind({ roots });
    const f = sourceFromBytes("doc.cbor", d.bytes);
    expect(kind.detect(f)).toBe(true);
    try {
      kind.parse(f);
      throw new Error("accepted");
    } catch (e) {
      expect((e as TollgateError).code).toBe("schema_invalid");
      expect((e as TollgateError).path).toBe("doc.cbor");
    }
  });

  test("a failed document normalizes to a failed signature with no signer", async () => {
    const d = await makeNitroDocument(chain);
    const kind = makeNitroAttestationKind({ roots });
    const f = sourceFromBytes("doc.cbor", flipBit(d.bytes, d.bytes.length - 2));
    const parsed = kind.parse(f);
    const ctx = makeVerifyContext({ time: new Date(TS), files: [f] });
    const [rec] = kind.normalize(parsed, await kind.verify(parsed, f, ctx), f, ctx);
    expect(rec!.signature.status).toBe("failed");
    expect(rec!.signature.signers).toEqual([]);
    expect(rec!.signature.reason).toMatch(/^hardware\.nitro_signature: /);
  });
});

describe("Nitro through the collect pipeline", () => {
  test("a base64 document is detected by the registered kind and nothing else; a custom root verifies it", async () => {
    const chain = await makeNitroChain({ intermediates: 2 });
    const d = await makeNitroDocument(chain);
    const files = [sourceFromText("enclave/attestation.b64", Buffer.from(d.bytes).toString("base64"))];
    const ctx = makeVerifyContext({ time: new Date("2026-06-01T12:00:00Z"), files });
    const res = await collectEvidence(files, ctx);
    expect(res.errors).toEqual([]);
    expect(res.records.map((r) => [r.kind, r.hardware?.platform, r.source.format])).toEqual([["tee-report", "nitro", "nitro-cose-sign1+base64"]]);
    expect(res.records[0]!.hardware!.reason).toMatch(/is not the pinned root aws-nitro-g1/);
    const own = await collectEvidence(files, ctx, [makeNitroAttestationKind({ roots: [{ name: "r", der: chain.root.der }] })]);
    expect(own.records[0]!.hardware!.status).toBe("verified");
    expect(own.records[0]!.hardware!["ageSeconds"]).toBe(0);
  });
});

describe("Nitro: every single-bit flip is caught or changes nothing verified", () => {
  test("flip bit 1 of every third byte of a synthetic document", async () => {
    const chain = await makeNitroChain({ intermediates: 2 });
    const r = [{ name: "r", der: chain.root.der }];
    const d = await makeNitroDocument(chain, { timestamp: Date.parse("2026-06-01T12:00:00Z") });
    const base = parseNitroDocument(d.bytes);
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
    let caught = 0;
    let benign = 0;
    for (let i = 0; i < d.bytes.length; i += 3) {
      const mutated = flipBit(d.bytes, i, 1);
      const v = verifyNitroDocument(mutated, ctxAt("2026-06-01T12:00:00Z"), { roots: r });
      if (v.hardware.status === "failed") {
        caught++;
        continue;
      }
      const m = parseNitroDocument(mutated);
      expect(same(m.protectedBytes, base.protectedBytes) && same(m.payloadBytes, base.payloadBytes) && same(m.signature, base.signature)).toBe(true);
      benign++;
    }
    expect(caught).toBeGreaterThan(0);
    expect(benign).toBe(0); // every byte of a COSE_Sign1 is structure, signed, or the signature itself
  }, 60_000);

  test("an absurd timestamp is a schema error, not a crash", async () => {
    const chain = await makeNitroChain({ intermediates: 1 });
    const d = await makeNitroDocument(chain, { timestamp: 9e15 });
    const v = verifyNitroDocument(d.bytes, ctxAt("2026-06-01T12:00:00Z"), { roots: [{ name: "r", der: chain.root.der }] });
    expect(v.checks).toEqual([{ name: "hardware.nitro_parse", ok: false, code: "schema_invalid", reason: "Nitro attestation document: timestamp is missing or not a positive integer number of milliseconds" }]);
  });
});
