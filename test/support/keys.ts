// Test-time key material and signed evidence: keys of every family tollgate verifies, DSSE envelopes, and a
// complete self-made Sigstore instance (Fulcio-like CA, CT log, Rekor-like log) that issues real keyless and
// managed-key bundles — certificate with an embedded SCT, log entry with SET, inclusion proof and signed
// checkpoint — so every verification path runs without the network and without fixtures.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, type KeyObject } from "node:crypto";
import { json as sigstoreJson } from "@sigstore/core";
import { preAuthEncoding } from "../../src/crypto/dsse.ts";
import { publicKeyFromPem } from "../../src/crypto/keys.ts";
import {
  BUNDLE_V01_MEDIA_TYPE as BUNDLE_V01,
  BUNDLE_V02_MEDIA_TYPE as BUNDLE_V02,
  BUNDLE_V03_LEGACY_MEDIA_TYPE as BUNDLE_V03_LEGACY,
  BUNDLE_V03_MEDIA_TYPE as BUNDLE_V03,
} from "../../src/sigstore/media-types.ts";
import { parseCertificate } from "../../src/evidence/tee/common/x509.ts";
import type { TrustedKey } from "../../src/evidence/types.ts";

x509.cryptoProvider.set(globalThis.crypto);
const subtle = globalThis.crypto.subtle;

export type KeyKind = "p256" | "p384" | "ed25519" | "rsa" | "rsa-pss";

export interface TestKey {
  kind: KeyKind;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM of the public key. */
  pem: string;
  /** The public key as tollgate loads it from `--key`. */
  trusted: TrustedKey;
  /** Sign `data` the way cosign/in-toto do for this key family (ECDSA DER unless p1363 is asked). */
  sign(data: Uint8Array, encoding?: "der" | "p1363"): Promise<Uint8Array>;
}

export function generateTestKey(kind: KeyKind): TestKey {
  const pair =
    kind === "p256" ? generateKeyPairSync("ec", { namedCurve: "P-256" })
    : kind === "p384" ? generateKeyPairSync("ec", { namedCurve: "P-384" })
    : kind === "ed25519" ? generateKeyPairSync("ed25519")
    : generateKeyPairSync("rsa", { modulusLength: 2048 });
  return wrapKeyPair(kind, pair.privateKey, pair.publicKey);
}

function wrapKeyPair(kind: KeyKind, privateKey: KeyObject, publicKey: KeyObject): TestKey {
  const pem = publicKey.export({ format: "pem", type: "spki" }).toString();
  return {
    kind,
    privateKey,
    publicKey,
    pem,
    trusted: publicKeyFromPem(pem, `test-${kind}.pub`),
    async sign(data, encoding = "der") {
      switch (kind) {
        case "ed25519":
          return new Uint8Array(nodeSign(null, data, privateKey));
        case "p256":
        case "p384":
          return new Uint8Array(nodeSign(kind === "p256" ? "sha256" : "sha384", data, { key: privateKey, dsaEncoding: encoding === "p1363" ? "ieee-p1363" : "der" }));
        case "rsa":
          return new Uint8Array(nodeSign("sha256", data, privateKey));
        case "rsa-pss": {
          // WebCrypto: Bun's node:crypto has no rsa-pss key type.
          const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
          const k = await subtle.importKey("pkcs8", pkcs8, { name: "RSA-PSS", hash: "SHA-256" }, false, ["sign"]);
          return new Uint8Array(await subtle.sign({ name: "RSA-PSS", saltLength: 32 }, k, new Uint8Array(data)));
        }
      }
    },
  };
}

// ---- in-toto and DSSE -----------------------------------------------------------------------------------

export const SLSA_V1 = "https://slsa.dev/provenance/v1";
export const IN_TOTO_JSON = "application/vnd.in-toto+json";

export function sha256hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export function b64(data: Uint8Array | string): string {
  return Buffer.from(data).toString("base64");
}

/** A minimal, valid SLSA v1 provenance predicate. */
export function slsaPredicate(builderId = "https://github.com/actions/runner/github-hosted"): Record<string, unknown> {
  return {
    buildDefinition: {
      buildType: "https://actions.github.io/buildtypes/workflow/v1",
      externalParameters: { workflow: { ref: "refs/heads/main", repository: "https://github.com/acme/app", path: ".github/workflows/release.yml" } },
      internalParameters: {},
      resolvedDependencies: [],
    },
    runDetails: { builder: { id: builderId }, metadata: { invocationId: "https://github.com/acme/app/actions/runs/1/attempts/1" } },
  };
}

export function makeStatement(
  subjects: { name?: string; sha256: string }[],
  predicateType = SLSA_V1,
  predicate: unknown = slsaPredicate(),
  type = "https://in-toto.io/Statement/v1",
): Record<string, unknown> {
  return {
    _type: type,
    subject: subjects.map((s) => (s.name !== undefined ? { name: s.name, digest: { sha256: s.sha256 } } : { digest: { sha256: s.sha256 } })),
    predicateType,
    predicate,
  };
}

export interface DsseSigner {
  key: TestKey;
  keyid?: string;
  encoding?: "der" | "p1363";
}

/** A DSSE envelope as JSON: the payload signed with each signer over PAE(payloadType, payload). */
export async function signDsse(payloadType: string, payload: Uint8Array | string, signers: DsseSigner[]): Promise<{ payloadType: string; payload: string; signatures: { keyid: string; sig: string }[] }> {
  const body = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  const pae = preAuthEncoding(payloadType, body);
  const signatures = [];
  for (const s of signers) signatures.push({ keyid: s.keyid ?? "", sig: b64(await s.key.sign(pae, s.encoding)) });
  return { payloadType, payload: b64(body), signatures };
}

// ---- a self-made Sigstore instance -----------------------------------------------------------------------

export const TEST_LOG_URL = "https://rekor.tollgate.test";
export const TEST_CT_URL = "https://ct.tollgate.test";
export const TEST_FULCIO_URL = "https://fulcio.tollgate.test";
export const TEST_ISSUER = "https://token.actions.githubusercontent.com";
export const TEST_IDENTITY = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";

const EC_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGN_ALG = { name: "ECDSA", hash: "SHA-256" } as const;

export { BUNDLE_V01, BUNDLE_V02, BUNDLE_V03, BUNDLE_V03_LEGACY };

export interface TestSigstore {
  /** Trusted root JSON naming this instance's CA, CT log and transparency log. */
  trustedRoot: Record<string, unknown>;
  logKey: TestKey;
  /** Issue a keyless bundle: a fresh leaf certificate for `identity`, logged at `integratedTime`. */
  keyless(o: KeylessOptions): Promise<Record<string, unknown>>;
  /** A managed-key bundle (publicKey hint), logged unless `tlog: false`. */
  managed(o: ManagedOptions): Promise<Record<string, unknown>>;
}

export type BundleContent = { dsse: { payloadType: string; payload: Uint8Array | string } } | { message: Uint8Array | string };

export interface KeylessOptions {
  content: BundleContent;
  identity?: string;
  issuer?: string;
  mediaType?: string;
  /** Seconds since the epoch. */
  integratedTime: number;
  /** Leaf shape for negative tests. */
  leaf?: "code-signing" | "ca" | "server-auth" | "self-signed";
  /** Fulcio v2 extensions by arc (`"18"` = Build Config URI …), added or replacing the defaults. */
  fulcio?: Record<string, string>;
}

export interface ManagedOptions {
  content: BundleContent;
  key: TestKey;
  hint?: string;
  mediaType?: string;
  integratedTime?: number;
  tlog?: boolean;
}

function logIdOf(key: KeyObject): Buffer {
  return createHash("sha256").update(key.export({ format: "der", type: "spki" })).digest();
}

function derUtf8String(s: string): ArrayBuffer {
  const b = Buffer.from(s, "utf8");
  if (b.length > 127) throw new Error("test helper: short strings only");
  return new Uint8Array([0x0c, b.length, ...b]).buffer;
}

export async function makeTestSigstore(start = new Date("2020-01-01T00:00:00Z")): Promise<TestSigstore> {
  const caKeys = (await subtle.generateKey(EC_P256, true, ["sign", "verify"])) as CryptoKeyPair;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "O=tollgate.test, CN=tollgate-test-fulcio",
    notBefore: start,
    notAfter: new Date("2040-01-01T00:00:00Z"),
    keys: caKeys,
    signingAlgorithm: SIGN_ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const logKey = generateTestKey("p256");
  const ctKey = generateTestKey("p256");
  const logId = logIdOf(logKey.publicKey);
  const ctLogId = logIdOf(ctKey.publicKey);
  const spkiB64 = (k: KeyObject) => b64(k.export({ format: "der", type: "spki" }));
  const trustedRoot = {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [{ baseUrl: TEST_LOG_URL, hashAlgorithm: "SHA2_256", publicKey: { rawBytes: spkiB64(logKey.publicKey), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start: start.toISOString() } }, logId: { keyId: b64(logId) } }],
    certificateAuthorities: [{ subject: { organization: "tollgate.test", commonName: "tollgate-test-fulcio" }, uri: TEST_FULCIO_URL, certChain: { certificates: [{ rawBytes: b64(new Uint8Array(caCert.rawData)) }] }, validFor: { start: start.toISOString() } }],
    ctlogs: [{ baseUrl: TEST_CT_URL, hashAlgorithm: "SHA2_256", publicKey: { rawBytes: spkiB64(ctKey.publicKey), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start: start.toISOString() } }, logId: { keyId: b64(ctLogId) } }],
    timestampAuthorities: [],
  };

  /** A Fulcio-style leaf with an SCT from the test CT log embedded (precertificate TBS signed, then re-issued). */
  async function issueLeaf(identity: string, issuer: string, at: Date, shape: KeylessOptions["leaf"], fulcio: Record<string, string> = {}): Promise<{ der: Uint8Array; key: TestKey }> {
    const leafKeys = (await subtle.generateKey(EC_P256, true, ["sign", "verify"])) as CryptoKeyPair;
    const pkcs8 = await subtle.exportKey("pkcs8", leafKeys.privateKey);
    const priv = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" });
    const key = wrapKeyPair("p256", priv, createPublicKey(priv));
    const serial = randomSerial();
    const notBefore = new Date(at.getTime() - 60_000);
    const notAfter = new Date(at.getTime() + 9 * 60_000);
    const exts: x509.Extension[] = [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (shape === "ca" ? x509.KeyUsageFlags.keyCertSign : 0), true),
      new x509.ExtendedKeyUsageExtension([shape === "server-auth" ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.3"], false),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      new x509.SubjectAlternativeNameExtension([{ type: "url", value: identity }], true),
      new x509.Extension("1.3.6.1.4.1.57264.1.1", false, Buffer.from(issuer, "utf8")),
      new x509.Extension("1.3.6.1.4.1.57264.1.8", false, derUtf8String(issuer)),
      ...Object.entries({ "12": "https://github.com/acme/app", ...fulcio }).map(([arc, v]) => new x509.Extension(`1.3.6.1.4.1.57264.1.${arc}`, false, derUtf8String(v))),
    ];
    if (shape === "ca") exts.unshift(new x509.BasicConstraintsExtension(true, 0, true));
    const make = (extensions: x509.Extension[]) => x509.X509CertificateGenerator.create({
      serialNumber: serial, subject: "", issuer: caCert.subject, notBefore, notAfter,
      publicKey: leafKeys.publicKey, signingKey: caKeys.privateKey, signingAlgorithm: SIGN_ALG, extensions,
    });
    if (shape === "self-signed") {
      const self = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serial, name: "CN=self", notBefore, notAfter, keys: leafKeys, signingAlgorithm: SIGN_ALG,
        extensions: exts.filter((e) => !(e instanceof x509.AuthorityKeyIdentifierExtension)),
      });
      return { der: new Uint8Array(self.rawData), key };
    }
    const pre = await make(exts);
    const tbs = parseCertificate(new Uint8Array(pre.rawData)).tbs;
    const issuerKeyHash = createHash("sha256").update(Buffer.from(caCert.publicKey.rawData)).digest();
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(BigInt(at.getTime()));
    const signed = Buffer.concat([Buffer.from([0, 0]), ts, Buffer.from([0, 1]), issuerKeyHash, uint24(tbs.length), tbs, Buffer.from([0, 0])]);
    const sig = await ctKey.sign(signed);
    const sct = Buffer.concat([Buffer.from([0]), ctLogId, ts, Buffer.from([0, 0]), Buffer.from([4, 3]), uint16(sig.length), Buffer.from(sig)]);
    const list = Buffer.concat([uint16(sct.length + 2), uint16(sct.length), sct]);
    const octet = Buffer.concat([Buffer.from([0x04]), derLength(list.length), list]);
    const final = await make([...exts, new x509.Extension("1.3.6.1.4.1.11129.2.4.2", false, octet)]);
    return { der: new Uint8Array(final.rawData), key };
  }

  /** A Rekor v1 entry for `body`: SET over the canonical entry, a 2-leaf tree, a signed checkpoint. */
  async function logEntry(kind: "hashedrekord" | "dsse", body: Record<string, unknown>, integratedTime: number): Promise<Record<string, unknown>> {
    const canonical = Buffer.from(sigstoreJson.canonicalize(body), "utf8");
    const logIndex = 1;
    const setPayload = sigstoreJson.canonicalize({ body: b64(canonical), integratedTime, logIndex, logID: logId.toString("hex") });
    const set = await logKey.sign(new TextEncoder().encode(setPayload));
    const leafHash = createHash("sha256").update(Buffer.concat([Buffer.from([0]), canonical])).digest();
    const sibling = createHash("sha256").update("tollgate test leaf 0").digest();
    const root = createHash("sha256").update(Buffer.concat([Buffer.from([1]), sibling, leafHash])).digest();
    const origin = `${new URL(TEST_LOG_URL).host} - 1234`;
    const note = `${origin}\n2\n${b64(root)}\n`;
    const noteSig = await logKey.sign(new TextEncoder().encode(note));
    const envelope = `${note}\n\u2014 ${new URL(TEST_LOG_URL).host} ${b64(Buffer.concat([logId.subarray(0, 4), Buffer.from(noteSig)]))}\n`;
    return {
      logIndex: String(logIndex),
      logId: { keyId: b64(logId) },
      kindVersion: { kind, version: "0.0.1" },
      integratedTime: String(integratedTime),
      inclusionPromise: { signedEntryTimestamp: b64(set) },
      inclusionProof: { logIndex: String(logIndex), rootHash: b64(root), treeSize: "2", hashes: [b64(sibling)], checkpoint: { envelope } },
      canonicalizedBody: b64(canonical),
    };
  }

  async function build(content: BundleContent, signer: TestKey, verifierPem: string, mediaType: string, keyMaterial: Record<string, unknown>, integratedTime: number | undefined): Promise<Record<string, unknown>> {
    let contentJson: Record<string, unknown>;
    let body: Record<string, unknown>;
    let kind: "hashedrekord" | "dsse";
    if ("dsse" in content) {
      const payload = typeof content.dsse.payload === "string" ? new TextEncoder().encode(content.dsse.payload) : content.dsse.payload;
      const sig = await signer.sign(preAuthEncoding(content.dsse.payloadType, payload));
      const env = { payload: b64(payload), payloadType: content.dsse.payloadType, signatures: [{ sig: b64(sig), keyid: "" }] };
      contentJson = { dsseEnvelope: env };
      kind = "dsse";
      body = {
        apiVersion: "0.0.1", kind: "dsse",
        spec: {
          envelopeHash: { algorithm: "sha256", value: sha256hex(JSON.stringify(env)) },
          payloadHash: { algorithm: "sha256", value: sha256hex(payload) },
          signatures: [{ signature: b64(sig), verifier: b64(verifierPem) }],
        },
      };
    } else {
      const data = typeof content.message === "string" ? new TextEncoder().encode(content.message) : content.message;
      const sig = await signer.sign(data);
      const digest = createHash(signer.kind === "p384" ? "sha384" : "sha256").update(data).digest();
      contentJson = { messageSignature: { messageDigest: { algorithm: signer.kind === "p384" ? "SHA2_384" : "SHA2_256", digest: b64(digest) }, signature: b64(sig) } };
      kind = "hashedrekord";
      body = {
        apiVersion: "0.0.1", kind: "hashedrekord",
        spec: { data: { hash: { algorithm: signer.kind === "p384" ? "sha384" : "sha256", value: digest.toString("hex") } }, signature: { content: b64(sig), publicKey: { content: b64(verifierPem) } } },
      };
    }
    const tlogEntries = integratedTime === undefined ? [] : [await logEntry(kind, body, integratedTime)];
    return { mediaType, verificationMaterial: { ...keyMaterial, tlogEntries }, ...contentJson };
  }

  return {
    trustedRoot,
    logKey,
    async keyless(o) {
      const at = new Date(o.integratedTime * 1000);
      const leaf = await issueLeaf(o.identity ?? TEST_IDENTITY, o.issuer ?? TEST_ISSUER, at, o.leaf ?? "code-signing", o.fulcio);
      const mediaType = o.mediaType ?? BUNDLE_V03;
      const certPem = new x509.X509Certificate(leaf.der).toString("pem");
      const material = mediaType === BUNDLE_V01 || mediaType === BUNDLE_V02
        ? { x509CertificateChain: { certificates: [{ rawBytes: b64(leaf.der) }] } }
        : { certificate: { rawBytes: b64(leaf.der) } };
      return build(o.content, leaf.key, certPem, mediaType, material, o.integratedTime);
    },
    async managed(o) {
      const material = { publicKey: { hint: o.hint ?? b64(logIdOf(o.key.publicKey)) } };
      return build(o.content, o.key, o.key.pem, o.mediaType ?? BUNDLE_V03, material, o.tlog === false ? undefined : (o.integratedTime ?? 1_700_000_000));
    },
  };
}

// ---- DER bits the generators need -----------------------------------------------------------------------

let serialCounter = 0x1000;
function randomSerial(): string {
  serialCounter += 1;
  return serialCounter.toString(16).padStart(8, "0");
}

function uint16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function uint24(n: number): Buffer {
  return Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

