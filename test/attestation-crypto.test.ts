// Keys and DSSE: the PAE byte for byte, every key family, both ECDSA signature encodings, and each way a
// signature or key can be wrong. Keys are generated at test time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Hex } from "../src/core/digest.ts";
import { parseDsseEnvelope, preAuthEncoding, verifyDsseEnvelope } from "../src/crypto/dsse.ts";
import { loadPublicKeyPem, publicKeyFromPem } from "../src/crypto/keys.ts";
import { thrown } from "./support/errors.ts";
import { IN_TOTO_JSON, generateTestKey, signDsse, type KeyKind } from "./support/keys.ts";

describe("PAE", () => {
  test("matches the DSSE spec's worked example byte for byte", () => {
    const pae = preAuthEncoding("http://example.com/HelloWorld", new TextEncoder().encode("hello world"));
    expect(new TextDecoder().decode(pae)).toBe("DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  });

  test("lengths are byte lengths, not character counts", () => {
    const pae = preAuthEncoding("t/é", new TextEncoder().encode("ü"));
    expect(new TextDecoder().decode(pae)).toBe("DSSEv1 4 t/é 2 ü");
  });
});

describe("loadPublicKeyPem", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tollgate-keys-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const kind of ["p256", "p384", "ed25519", "rsa"] as const) {
    test(`${kind}: fingerprint is sha256 of the SPKI DER`, () => {
      const k = generateTestKey(kind);
      const path = join(dir, `${kind}.pub`);
      writeFileSync(path, k.pem);
      const t = loadPublicKeyPem(path);
      const der = new Uint8Array(k.publicKey.export({ format: "der", type: "spki" }));
      expect(t.fingerprint).toBe(`sha256:${sha256Hex(der)}`);
      expect(t.source).toBe(path);
      expect(publicKeyFromPem(k.pem, "inline").fingerprint).toBe(t.fingerprint); // PEM text in memory too
    });
  }

  test("a missing file is unreadable, naming the path", () => {
    const e = thrown(() => loadPublicKeyPem(join(dir, "nope.pub")));
    expect(e.code).toBe("unreadable");
    expect(e.path).toBe(join(dir, "nope.pub"));
    expect(e.message).toBe("public key not found");
  });

  test("not PEM, a private key, a bad key, an unsupported curve: malformed", () => {
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    let e = thrown(() => loadPublicKeyPem(write("junk.pub", "hello")));
    expect([e.code, e.message]).toEqual(["malformed", "not a PEM public key (no BEGIN/END block)"]);
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    e = thrown(() => loadPublicKeyPem(write("priv.pem", privateKey.export({ format: "pem", type: "pkcs8" }).toString())));
    expect(e.code).toBe("malformed");
    expect(e.message).toContain('found "PRIVATE KEY"');
    const pem = publicKey.export({ format: "pem", type: "spki" }).toString();
    e = thrown(() => loadPublicKeyPem(write("trunc.pub", pem.replace(/[A-Za-z0-9+/]{20}\n/, "\n"))));
    expect(e.code).toBe("malformed");
    expect(e.message).toContain("invalid SPKI public key");
    const k1 = generateKeyPairSync("ec", { namedCurve: "P-521" }).publicKey.export({ format: "pem", type: "spki" }).toString();
    e = thrown(() => loadPublicKeyPem(write("k1.pub", k1)));
    expect(e.code).toBe("malformed");
    expect(e.message).toContain("unsupported EC curve secp521r1");
  });
});

describe("verifyDsseEnvelope", () => {
  const payload = JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [], predicateType: "x" });
  const kinds: KeyKind[] = ["p256", "p384", "ed25519", "rsa", "rsa-pss"];

  for (const kind of kinds) {
    test(`${kind}: verifies with its key, not with another`, async () => {
      const key = generateTestKey(kind);
      const env = parseDsseEnvelope(await signDsse(IN_TOTO_JSON, payload, [{ key, keyid: "k1" }]));
      const ok = await verifyDsseEnvelope(env, [key.trusted]);
      expect(ok.verified.map((k) => [k.fingerprint, k.keyid])).toEqual([[key.trusted.fingerprint, "k1"]]);
      const other = generateTestKey(kind === "rsa-pss" ? "rsa" : kind);
      expect((await verifyDsseEnvelope(env, [other.trusted])).verified).toEqual([]);
    });
  }

  for (const kind of ["p256", "p384"] as const) {
    test(`${kind}: raw r||s (IEEE P1363) signatures verify too`, async () => {
      const key = generateTestKey(kind);
      const raw = await signDsse(IN_TOTO_JSON, payload, [{ key, encoding: "p1363" }]);
      expect(Buffer.from(raw.signatures[0]!.sig, "base64").length).toBe(kind === "p256" ? 64 : 96);
      expect((await verifyDsseEnvelope(parseDsseEnvelope(raw), [key.trusted])).verified).toHaveLength(1);
    });
  }

  test("P-384 signatures are over SHA-384: a SHA-256 signature by the same key does not verify", async () => {
    const key = generateTestKey("p384");
    const { sign } = await import("node:crypto");
    const pae = preAuthEncoding(IN_TOTO_JSON, new TextEncoder().encode(payload));
    const sha256sig = sign("sha256", pae, key.privateKey);
    const env = { payloadType: IN_TOTO_JSON, payload: new TextEncoder().encode(payload), signatures: [{ sig: new Uint8Array(sha256sig) }] };
    expect((await verifyDsseEnvelope(env, [key.trusted])).verified).toEqual([]);
  });

  test("a tampered payload or payloadType does not verify", async () => {
    const key = generateTestKey("p256");
    const env = await signDsse(IN_TOTO_JSON, payload, [{ key }]);
    const tampered = parseDsseEnvelope({ ...env, payload: Buffer.from(payload.replace('"x"', '"y"')).toString("base64") });
    expect((await verifyDsseEnvelope(tampered, [key.trusted])).verified).toEqual([]);
    const retyped = parseDsseEnvelope({ ...env, payloadType: "application/json" });
    expect((await verifyDsseEnvelope(retyped, [key.trusted])).verified).toEqual([]);
  });

  test("keyids are hints: a signature is tried against every key", async () => {
    const a = generateTestKey("ed25519");
    const b = generateTestKey("p256");
    const env = parseDsseEnvelope(await signDsse(IN_TOTO_JSON, payload, [{ key: b, keyid: "claims-to-be-a" }]));
    const r = await verifyDsseEnvelope(env, [a.trusted, b.trusted]);
    expect(r.verified.map((k) => k.fingerprint)).toEqual([b.trusted.fingerprint]);
  });

  test("two signers, two keys: both reported", async () => {
    const a = generateTestKey("ed25519");
    const b = generateTestKey("p384");
    const env = parseDsseEnvelope(await signDsse(IN_TOTO_JSON, payload, [{ key: a }, { key: b }]));
    expect((await verifyDsseEnvelope(env, [a.trusted, b.trusted])).verified).toHaveLength(2);
  });
});

describe("parseDsseEnvelope", () => {
  test("strict base64: stray characters, bad padding and non-canonical bits are malformed", () => {
    const good = { payloadType: IN_TOTO_JSON, payload: "aGVsbG8=", signatures: [{ sig: "AAAA" }] };
    expect(new TextDecoder().decode(parseDsseEnvelope(good).payload)).toBe("hello");
    expect(new TextDecoder().decode(parseDsseEnvelope({ ...good, payload: "aGVs\nbG8=" }).payload)).toBe("hello"); // line breaks are fine
    for (const [payload, want] of [["aGVsbG8*", "not valid base64"], ["aGVsbG8==", "mis-padded"], ["aGVsbG9=", "not canonical"], ["aGVsbG8=aGVs", "not valid base64"]] as const) {
      const e = thrown(() => parseDsseEnvelope({ ...good, payload }));
      expect(e.code).toBe("malformed");
      expect(e.message).toContain(want);
      expect(e.message).toContain("payload");
    }
    const e = thrown(() => parseDsseEnvelope({ ...good, signatures: [{ sig: "AA$A" }] }));
    expect(e.message).toContain("signatures[0].sig");
  });

  test("missing fields are named", () => {
    expect(thrown(() => parseDsseEnvelope({ payload: "", signatures: [] })).message).toContain("payloadType must be a non-empty string");
    expect(thrown(() => parseDsseEnvelope({ payloadType: "x", signatures: [] })).message).toContain("payload must be a base64 string");
    expect(thrown(() => parseDsseEnvelope({ payloadType: "x", payload: "" })).message).toContain("signatures must be an array");
    expect(thrown(() => parseDsseEnvelope({ payloadType: "x", payload: "", signatures: [{ sig: "" }] })).message).toContain("signatures[0].sig must be a non-empty");
    expect(thrown(() => parseDsseEnvelope([])).message).toContain("not a JSON object");
  });
});
