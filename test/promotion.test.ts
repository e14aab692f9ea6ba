// Promotion attestations (stella.ops/promotion@v1) verified offline: each SBOM/VEX material re-hashed from its
// file, the Rekor inclusion proof recomputed to its root, the checkpoint's size, root, origin and signature held
// against the trusted root. The real case carries a real Rekor v1 proof and checkpoint (the Sigstore conformance
// suite's happy-path bundle, checked against the embedded public-good root); the synthetic case a log whose key and
// Merkle tree are made here, so checkpoint signatures and origins can be varied. One tamper case per field, each
// naming the failing check and denied by the embedded gate under its rule id.
import { beforeAll, describe, expect, test } from "bun:test";
import { createHash, createPublicKey, X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { validateInputDocument } from "../src/core/input.ts";
import { tollgate } from "./support/cli.ts";
import { fixture, fixtureDescribe } from "./support/fixtures.ts";
import { b64, generateTestKey, IN_TOTO_JSON, makeTestSigstore, sha256hex, signDsse, TEST_LOG_URL, type TestKey, type TestSigstore } from "./support/keys.ts";

const dir = mkdtempSync(join(tmpdir(), "tollgate-promotion-"));
const p = (...x: string[]) => join(dir, ...x);
const ARTIFACT = "the promoted image config\n";
const SUBJECT = sha256hex(ARTIFACT);
const SBOM = JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6", components: [{ type: "library", name: "left-pad", version: "1.3.0" }] });
const VEX = JSON.stringify({ "@context": "https://openvex.dev/ns/v0.2.0", statements: [] });
const TIME = "2026-06-01T00:00:00Z";

let promoter: TestKey;
let caseNo = 0;

interface Rekor {
  uuid: string;
  logIndex: string | number;
  inclusionProof: { logIndex?: string | number; rootHash: string; treeSize: string | number; hashes: string[]; checkpoint: string };
  /** The entry's canonicalized body, base64, as Rekor's API returns it. */
  body?: string;
}

function predicate(rekor: Rekor, materials?: Record<string, unknown>[]): Record<string, unknown> {
  return {
    materials: materials ?? [
      { role: "sbom", algo: "sha256", digest: sha256hex(SBOM), format: "cyclonedx-json", uri: "sbom.cdx.json" },
      { role: "vex", algo: "sha256", digest: sha256hex(VEX), format: "openvex", uri: "docs/app.vex.json" },
    ],
    promotion: { from: "staging", to: "prod", actor: "alice@example.com", timestamp: "2026-05-30T12:00:00Z", pipeline: "https://ci.example/acme/app/runs/42" },
    rekor,
  };
}

/** A promotion case in its own directory: the signed statement with its SBOM and VEX beside it. */
async function writeCase(pred: Record<string, unknown>, files: { sbom?: string; vex?: string } = {}, subject = SUBJECT): Promise<string> {
  const d = p(`case${++caseNo}`);
  mkdirSync(join(d, "docs"), { recursive: true });
  writeFileSync(join(d, "sbom.cdx.json"), files.sbom ?? SBOM);
  writeFileSync(join(d, "docs", "app.vex.json"), files.vex ?? VEX);
  const st = { _type: "https://in-toto.io/Statement/v1", subject: [{ name: "app", digest: { sha256: subject } }], predicateType: "stella.ops/promotion@v1", predicate: pred };
  const file = join(d, "promotion.dsse.json");
  writeFileSync(file, JSON.stringify(await signDsse(IN_TOTO_JSON, JSON.stringify(st), [{ key: promoter }])));
  return file;
}

const GATE = (subject = SUBJECT) => ["--data", p("data.json"), "--key", p("promoter.pub"), "--subject", `sha256:${subject}`, "--time", TIME];

/** The record of one statement file as `tollgate inspect` builds it, plus the gate's exit code and denials. */
function run(file: string, extra: string[] = [], opts: { others?: string[]; cwd?: string; stdin?: string; subject?: string } = {}) {
  const operands = [...(opts.others ?? []), opts.stdin === undefined ? file : "-"];
  const ins = tollgate(["inspect", ...GATE(opts.subject), ...extra, ...operands], opts);
  expect(ins.stderr).toBe("");
  const doc = JSON.parse(ins.stdout);
  const ev = doc.evidence.find((e: any) => e.source.path === file);
  const ev2 = tollgate(["eval", "-o", "json", ...GATE(opts.subject), ...extra, ...operands], opts);
  const out = JSON.parse(ev2.stdout);
  const ids = (rs: any[] | undefined) => [...new Set((rs ?? []).map((r: any) => r.rule as string))].sort();
  const rules = ids(out.decision?.deny ?? out.deny);
  const warns = ids(out.decision?.warn ?? out.warn);
  return { ev, doc, code: ev2.code, rules, warns, out };
}

function failedChecks(ev: any): { name: string; code: string; reason: string }[] {
  return ev.checks.filter((c: any) => !c.ok).map((c: any) => ({ name: c.name, code: c.code, reason: c.reason }));
}

// ---- an RFC 6962 Merkle tree made here, independent of src/sigstore/checkpoint.ts ----
const h = (...parts: Uint8Array[]) => createHash("sha256").update(Buffer.concat(parts)).digest();
const leaf = (b: Uint8Array) => h(Buffer.from([0]), b);
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return h(Buffer.from([1]), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
function auditPath(m: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length === 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m < k ? [...auditPath(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...auditPath(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

beforeAll(() => {
  promoter = generateTestKey("p256");
  writeFileSync(p("promoter.pub"), promoter.pem);
  writeFileSync(p("data.json"), JSON.stringify({ provenance_required: false, required_evidence: ["promotion"] }));
});

fixtureDescribe("a real Rekor v1 proof and checkpoint (public-good root)", () => {
  let real: Rekor;
  // The entry is a hashedrekord of the conformance suite's artifact: a promotion of that artifact is the one it binds.
  let REAL_SUBJECT = "";
  const writeReal = (pred: Record<string, unknown>, files: { sbom?: string; vex?: string } = {}) => writeCase(pred, files, REAL_SUBJECT);
  const runReal = (file: string, extra: string[] = [], opts: { others?: string[] } = {}) => run(file, extra, { ...opts, subject: REAL_SUBJECT });
  /** A conformance bundle's public-good entry in the form Rekor's API gives it, and its decoded body. */
  function realEntry(dir: string): { rekor: Rekor; body: any } {
    const bundle = JSON.parse(readFileSync(fixture(`sigstore/conformance/${dir}/bundle.sigstore.json`), "utf8"));
    const e = bundle.verificationMaterial.tlogEntries[0];
    const hex = (s: string) => Buffer.from(s, "base64").toString("hex");
    const treeId = BigInt(e.inclusionProof.checkpoint.envelope.split("\n")[0].split(" - ")[1]).toString(16).padStart(16, "0");
    return {
      rekor: {
        uuid: treeId + leaf(Buffer.from(e.canonicalizedBody, "base64")).toString("hex"),
        logIndex: e.logIndex, // the global index; the proof's own is tree-local, as Rekor's API returns both
        inclusionProof: { logIndex: e.inclusionProof.logIndex, rootHash: hex(e.inclusionProof.rootHash), treeSize: e.inclusionProof.treeSize, hashes: e.inclusionProof.hashes.map(hex), checkpoint: e.inclusionProof.checkpoint.envelope },
        body: e.canonicalizedBody,
      },
      body: JSON.parse(Buffer.from(e.canonicalizedBody, "base64").toString()),
    };
  }
  /** `sha256:` of a key's SPKI DER, computed here rather than by the code under test. */
  const spkiFingerprint = (k: import("node:crypto").KeyObject) => `sha256:${createHash("sha256").update(k.export({ format: "der", type: "spki" })).digest("hex")}`;
  beforeAll(() => {
    writeFileSync(p("require-rekor-signer.json"), JSON.stringify({ promotion_require_trusted_rekor_signer: true }));
    const e = realEntry("happy-path-v0.3");
    real = e.rekor;
    REAL_SUBJECT = e.body.spec.data.hash.value;
  });

  test("logged_by from real public-good entries: a managed-key hashedrekord names its key; trusting it satisfies promotion_require_trusted_rekor_signer", async () => {
    const { rekor, body } = realEntry("managed-key-happy-path");
    const keyFile = fixture("sigstore/conformance/managed-key-happy-path/key.pub");
    const subject = body.spec.data.hash.value;
    const file = await writeCase(predicate(rekor), {}, subject);
    const plain = run(file, [], { subject });
    expect(failedChecks(plain.ev)).toEqual([]);
    expect(plain.ev.facts.rekor.logged_by).toEqual([{ type: "key", fingerprint: spkiFingerprint(createPublicKey(readFileSync(keyFile))) }]);
    expect(plain.rules).toEqual([]);
    const required = run(file, ["--data", p("require-rekor-signer.json")], { subject });
    expect([required.code, required.rules]).toEqual([1, ["promotion.rekor-signer"]]);
    const trusted = run(file, ["--data", p("require-rekor-signer.json"), "--key", keyFile], { subject });
    expect([trusted.code, trusted.rules]).toEqual([0, []]);
  });

  test("logged_by from a real dsse entry (Rekor's canonical signatures[].verifier): the Fulcio certificate, by its key; never trusted", async () => {
    const { rekor, body } = realEntry("happy-path-intoto-in-dsse-v3");
    const subject = body.spec.payloadHash.value;
    const file = await writeCase(predicate(rekor), {}, subject);
    const r = run(file, ["--data", p("require-rekor-signer.json")], { subject });
    expect(failedChecks(r.ev)).toEqual([]);
    expect(r.ev.checks.at(-1).detail).toEqual({ kind: "dsse 0.0.1", names: "subject[0]", digest: `sha256:${subject}` });
    const cert = new X509Certificate(Buffer.from(body.spec.signatures[0].verifier, "base64").toString());
    expect(r.ev.facts.rekor.logged_by).toEqual([{ type: "certificate", fingerprint: spkiFingerprint(cert.publicKey) }]);
    expect(r.rules).toEqual(["promotion.rekor-signer"]);
  });
  const with_ = (f: (r: Rekor) => void): Rekor => {
    const r = structuredClone(real);
    f(r);
    return r;
  };

  test("admit: materials re-hashed, proof to the root, checkpoint signed by rekor.sigstore.dev", async () => {
    const { ev, code, rules, warns, doc } = runReal(await writeReal(predicate(real)));
    expect(failedChecks(ev)).toEqual([]);
    expect(ev.kind).toBe("promotion");
    expect(ev.checks.map((c: any) => c.name)).toEqual(["signature.dsse", "statement.schema", "predicate.schema", "integrity.material", "integrity.material", "transparency.inclusion_proof", "transparency.checkpoint", "transparency.binding"]);
    expect(ev.checks.at(-2).detail).toEqual({ origin: "rekor.sigstore.dev - 2605736670972794746", log: "https://rekor.sigstore.dev" });
    expect(ev.checks.at(-1).detail).toEqual({ kind: "hashedrekord 0.0.1", names: "subject[0]", digest: `sha256:${REAL_SUBJECT}` });
    expect(ev.signature.status).toBe("verified");
    // The record's transparency is the envelope's: a DSSE envelope is not logged. The proof's result is a fact.
    expect(ev.transparency).toEqual({ status: "absent" });
    expect(ev.integrity.status).toBe("verified");
    expect(ev.facts).toMatchObject({ from: "staging", to: "prod", actor: "alice@example.com", pipeline: "https://ci.example/acme/app/runs/42", timestamp: "2026-05-30T12:00:00Z", log_verified: true });
    expect(ev.facts.transparency).toEqual({ status: "verified", logIndex: 79571823 });
    // Who logged it, as the body names them: the conformance suite's Fulcio certificate, by its key (its identity
    // is not verified offline).
    const cert = new X509Certificate(Buffer.from(JSON.parse(Buffer.from(real.body!, "base64").toString()).spec.signature.publicKey.content, "base64").toString());
    const certKey = spkiFingerprint(cert.publicKey);
    expect(ev.facts.rekor).toEqual({ uuid: real.uuid, tree_id: "2605736670972794746", log_index: 79571823, proof_log_index: 75408392, log_index_proven: false, tree_size: 75408393, root_hash: real.inclusionProof.rootHash, logged_by: [{ type: "certificate", fingerprint: certKey }] });
    expect(ev.facts.materials_by_role.sbom).toEqual([{ role: "sbom", algo: "sha256", digest: sha256hex(SBOM), format: "cyclonedx-json", uri: "sbom.cdx.json", verified: true }]);
    expect(ev.facts.materials_by_role.vex.map((m: any) => m.verified)).toEqual([true]);
    // The SBOM and VEX are the statement's materials, not unknown evidence.
    expect(doc.errors).toEqual([]);
    expect(code).toBe(0);
    expect(rules).toEqual([]);
    // The global index beside the shard-local one the proof is at is the statement's word only: warned.
    expect(warns).toEqual(["promotion.log-index"]);
  });

  test("the global logIndex: below the proof's tree-local index fails; a changed one above it is unproven (warned, denied on request)", async () => {
    const low = runReal(await writeReal(predicate(with_((r) => (r.logIndex = 75408391)))));
    expect(failedChecks(low.ev)).toEqual([{ name: "transparency.inclusion_proof", code: "transparency_failed", reason: "rekor.logIndex 75408391 is below the proof's tree-local index 75408392: a global index is the shard's offset plus the tree-local one" }]);
    expect(low.code).toBe(1);
    expect(low.rules).toEqual(["promotion.transparency"]);
    const file = await writeReal(predicate(with_((r) => (r.logIndex = 79571824))));
    const high = runReal(file);
    expect(failedChecks(high.ev)).toEqual([]);
    expect(high.ev.facts.rekor).toMatchObject({ log_index: 79571824, proof_log_index: 75408392, log_index_proven: false });
    expect(high.code).toBe(0);
    expect(high.warns).toEqual(["promotion.log-index"]);
    writeFileSync(p("strict-index.json"), JSON.stringify({ promotion_require_proven_log_index: true }));
    const strict = runReal(file, ["--data", p("strict-index.json")]);
    expect(strict.code).toBe(1);
    expect(strict.rules).toEqual(["promotion.log-index"]);
    expect(JSON.stringify(strict.out)).toContain("the proof is at tree-local index 75408392; the stated log index 79571824 is not proven offline");
  });

  // The attack: a real entry's uuid and proof pasted into a statement about something else. The proof and the
  // checkpoint verify (the entry IS in the log); only the binding can tell it is not this statement's.
  test("pasted: the real entry's uuid and proof without its body are unbound (not verified), denied", async () => {
    const { ev, code, rules, doc } = runReal(await writeReal(predicate(with_((r) => delete r.body))));
    // "unbound" is the predicate's log result only: the input schema refuses it as a record's own transparency.
    const forged = structuredClone(doc) as any;
    validateInputDocument(doc);
    forged.evidence.find((e: any) => e.kind === "promotion").transparency = { status: "unbound" };
    expect(() => validateInputDocument(forged)).toThrow(/input document does not match input v1 schema: .*transparency\/status must be equal to one of the allowed values/);
    expect(failedChecks(ev)).toEqual([{ name: "transparency.binding", code: "binding_failed", reason: "the Rekor entry's body is not given (rekor.body, base64, as Rekor's API returns it), so the proof is not bound to this statement: it shows only that some entry is in the log" }]);
    expect(ev.checks.filter((c: any) => c.ok).map((c: any) => c.name)).toContain("transparency.checkpoint");
    expect(ev.transparency.status).toBe("absent");
    expect(ev.facts.log_verified).toBe(false);
    expect(ev.facts.transparency.status).toBe("unbound");
    expect(code).toBe(1);
    expect(rules).toEqual(["promotion.rekor-unbound"]);
  });

  test("pasted: entry A's uuid, proof and body with statement B (another subject, other materials) are refused", async () => {
    // B promotes SUBJECT; entry A (the conformance hashedrekord) logs the conformance artifact.
    const file = await writeCase(predicate(real));
    const { ev, code, rules } = run(file);
    expect(failedChecks(ev)).toEqual([{ name: "transparency.binding", code: "binding_failed", reason: `the Rekor entry (hashedrekord 0.0.1) logs sha256:${REAL_SUBJECT}, which is neither a subject's nor a material's digest of this statement: the proof is another entry's` }]);
    expect(ev.facts.transparency.status).toBe("failed");
    expect(ev.facts.log_verified).toBe(false);
    expect(code).toBe(1);
    expect(rules).toEqual(["promotion.transparency"]);
  });

  test("pasted: a body that is not the uuid's entry (another body under A's uuid and proof) is refused", async () => {
    const other = Buffer.from(Buffer.from(real.body!, "base64").toString().replace(REAL_SUBJECT, SUBJECT)).toString("base64");
    const { ev, code, rules } = run(await writeCase(predicate(with_((r) => (r.body = other)))));
    const bad = failedChecks(ev);
    expect(bad).toEqual([{ name: "transparency.binding", code: "binding_failed", reason: expect.stringMatching(/^rekor\.body hashes to leaf [0-9a-f]{64}, not to [0-9a-f]{64} \(rekor\.uuid's\): it is not this entry's body$/) }]);
    expect(code).toBe(1);
    expect(rules).toEqual(["promotion.transparency"]);
  });

  const tampers: [string, () => Promise<string>, string, RegExp, string][] = [
    ["the SBOM file's content", () => writeReal(predicate(real), { sbom: SBOM.replace("1.3.0", "1.3.1") }), "integrity.material", /materials\[0\] \(sbom sbom\.cdx\.json\) has sha256 [0-9a-f]{64}, the statement says/, "promotion.material"],
    ["the SBOM material's digest", () => writeReal(predicate(real, [
      { role: "sbom", algo: "sha256", digest: sha256hex(SBOM + "\n"), format: "cyclonedx-json", uri: "sbom.cdx.json" },
      { role: "vex", algo: "sha256", digest: sha256hex(VEX), format: "openvex", uri: "docs/app.vex.json" },
    ])), "integrity.material", /^materials\[0\] \(sbom sbom\.cdx\.json\) has sha256 [0-9a-f]{64}, the statement says [0-9a-f]{64}$/, "promotion.material"],
    ["the VEX file's content", () => writeReal(predicate(real), { vex: VEX.replace("[]", "[{}]") }), "integrity.material", /^materials\[1\] \(vex docs\/app\.vex\.json\) has sha256 [0-9a-f]{64}, the statement says [0-9a-f]{64}$/, "promotion.material"],
    ["the VEX material's digest", () => writeReal(predicate(real, [
      { role: "sbom", algo: "sha256", digest: sha256hex(SBOM), format: "cyclonedx-json", uri: "sbom.cdx.json" },
      { role: "vex", algo: "sha256", digest: sha256hex(VEX + " "), format: "openvex", uri: "docs/app.vex.json" },
    ])), "integrity.material", /materials\[1\] \(vex docs\/app\.vex\.json\) has sha256/, "promotion.material"],
    ["a material that is not there", () => writeReal(predicate(real, [{ role: "sbom", algo: "sha256", digest: sha256hex(SBOM), format: "cyclonedx-json", uri: "missing.json" }])), "integrity.material", /materials\[0\] \(sbom missing\.json\): .*(not found|no such file)/i, "promotion.material"],
    ["uuid (the leaf hash)", () => writeReal(predicate(with_((r) => (r.uuid = r.uuid.slice(0, -1) + (r.uuid.endsWith("0") ? "1" : "0"))))), "transparency.inclusion_proof", /leads to [0-9a-f]{64}, not to rootHash/, "promotion.transparency"],
    ["uuid's tree id", () => writeReal(predicate(with_((r) => (r.uuid = "0000000000000001" + r.uuid.slice(16))))), "transparency.checkpoint", /rekor\.uuid names tree 1, the checkpoint is of tree 2605736670972794746/, "promotion.transparency"],
    ["the proof's logIndex", () => writeReal(predicate(with_((r) => (r.inclusionProof.logIndex = "75408391")))), "transparency.inclusion_proof", /at index 75408391( leads to|$)/, "promotion.transparency"],
    ["logIndex, with no tree-local index beside it", () => writeReal(predicate(with_((r) => delete r.inclusionProof.logIndex))), "transparency.inclusion_proof", /at index 79571823|logIndex 79571823 is not below treeSize/, "promotion.transparency"],
    // The checkpoint is held against the proof before the path is walked (the sequence bundle entries go through).
    ["treeSize", () => writeReal(predicate(with_((r) => (r.inclusionProof.treeSize = "75408394")))), "transparency.checkpoint", /^checkpoint size 75408393 differs from the inclusion proof's treeSize 75408394$/, "promotion.transparency"],
    ["rootHash", () => writeReal(predicate(with_((r) => (r.inclusionProof.rootHash = "00".repeat(32))))), "transparency.checkpoint", /^checkpoint root hash [0-9a-f]{64} differs from the inclusion proof's rootHash 0{64}$/, "promotion.transparency"],
    ["a proof hash", () => writeReal(predicate(with_((r) => (r.inclusionProof.hashes[3] = "11".repeat(32))))), "transparency.inclusion_proof", /^the inclusion proof at index 75408392 leads to [0-9a-f]{64}, not to rootHash [0-9a-f]{64}$/, "promotion.transparency"],
    ["a dropped proof hash", () => writeReal(predicate(with_((r) => r.inclusionProof.hashes.pop()))), "transparency.inclusion_proof", /fewer than a tree of 75408393 needs/, "promotion.transparency"],
    ["the checkpoint's size line", () => writeReal(predicate(with_((r) => (r.inclusionProof.checkpoint = r.inclusionProof.checkpoint.replace("\n75408393\n", "\n75408394\n"))))), "transparency.checkpoint", /checkpoint size 75408394 differs from the inclusion proof's treeSize 75408393/, "promotion.transparency"],
    ["the checkpoint's signed text (an extra line)", () => writeReal(predicate(with_((r) => (r.inclusionProof.checkpoint = r.inclusionProof.checkpoint.replace("=\n\n", "=\nextra\n\n"))))), "transparency.checkpoint", /checkpoint signature by rekor\.sigstore\.dev does not verify with the key of the trusted log https:\/\/rekor\.sigstore\.dev/, "promotion.transparency"],
    ["the checkpoint's signature", () => writeReal(predicate(with_((r) => {
      const [note, sig] = r.inclusionProof.checkpoint.split("\n\n");
      const m = /^(\u2014 \S+ )(\S+)\n$/.exec(sig!)!;
      const raw = Buffer.from(m[2]!, "base64");
      raw.writeUInt8(raw.readUInt8(raw.length - 1) ^ 1, raw.length - 1);
      r.inclusionProof.checkpoint = `${note}\n\n${m[1]}${raw.toString("base64")}\n`;
    }))), "transparency.checkpoint", /does not verify with the key of the trusted log/, "promotion.transparency"],
  ];
  for (const [what, make, check, reason, rule] of tampers) {
    test(`tampered ${what}: ${check} fails, ${rule} denies`, async () => {
      const { ev, code, rules } = runReal(await make());
      const bad = failedChecks(ev);
      expect(bad.map((c) => c.name)).toEqual([check]);
      expect(bad[0]!.reason).toMatch(reason);
      // A log-proof failure is not the envelope's signature: that still verified.
      expect(ev.signature.status).toBe("verified");
      expect(code).toBe(1);
      expect(rules).toEqual([rule]);
    });
  }

  test("a checkpoint by a log the trusted root does not hold (another root): untrusted origin", async () => {
    const other = await makeTestSigstore();
    writeFileSync(p("other-root.json"), JSON.stringify(other.trustedRoot));
    const { ev, code, rules } = runReal(await writeReal(predicate(real)), ["--trusted-root", p("other-root.json")]);
    expect(failedChecks(ev)).toEqual([{ name: "transparency.checkpoint", code: "transparency_failed", reason: expect.stringMatching(/^no checkpoint signature is by a log of the trusted root \(key hints c0d23d6a\)$/) }]);
    expect(code).toBe(1);
    expect(rules).toEqual(["promotion.transparency"]);
  });
});

describe("a log made here (key and Merkle tree made at test time)", () => {
  let ss: TestSigstore;
  let logId: Buffer;
  const host = new URL(TEST_LOG_URL).host;
  // Entry bodies as Rekor v1 canonicalizes them: at 5 a hashedrekord of the SBOM (as `cosign sign-blob` logs it),
  // at 3 an intoto entry whose payload hash is the subject's, at 0 a rekord entry (it logs the SBOM's digest too, but
  // its kind is not one tollgate reads).
  const digest = (value: string) => ({ algorithm: "sha256", value });
  // Who logged the SBOM's entry (its body names the key): not the promoter.
  const logger = generateTestKey("p256");
  const bodies: Record<string, unknown>[] = [
    { apiVersion: "0.0.1", kind: "rekord", spec: { data: { hash: digest(sha256hex(SBOM)) } } },
    { apiVersion: "0.0.1", kind: "dsse", spec: { payloadHash: digest(sha256hex("another payload 1")), envelopeHash: digest(sha256hex("another envelope 1")) } },
    { apiVersion: "0.0.1", kind: "hashedrekord", spec: { data: { hash: digest(sha256hex("another artifact")) }, signature: { content: b64(Buffer.from("sig")) } } },
    { apiVersion: "0.0.2", kind: "intoto", spec: { content: { hash: digest(sha256hex("an envelope")), payloadHash: digest(SUBJECT) } } },
    { apiVersion: "0.0.1", kind: "dsse", spec: { payloadHash: digest(sha256hex("another payload 4")) } },
    { apiVersion: "0.0.1", kind: "hashedrekord", spec: { data: { hash: digest(sha256hex(SBOM)) }, signature: { content: b64(Buffer.from("sig")), publicKey: { content: b64(Buffer.from(logger.pem)) } } } },
    { apiVersion: "0.0.1", kind: "dsse", spec: { payloadHash: digest(sha256hex("another payload 6")) } },
  ];
  const entries = bodies.map((b) => Buffer.from(JSON.stringify(b)));
  const leaves = entries.map(leaf);
  const INDEX = 5;

  async function signedNote(origin: string, size: number, root: Buffer, key: TestKey, name = host, hint = logId.subarray(0, 4)): Promise<string> {
    const note = `${origin}\n${size}\n${b64(root)}\n`;
    const sig = await key.sign(new TextEncoder().encode(note));
    return `${note}\n\u2014 ${name} ${b64(Buffer.concat([hint, Buffer.from(sig)]))}\n`;
  }
  async function rekor(o: { origin?: string; key?: TestKey; uuidPrefix?: string; index?: number } = {}): Promise<Rekor> {
    const root = mth(leaves);
    const at = o.index ?? INDEX;
    return {
      uuid: (o.uuidPrefix ?? "") + leaves[at]!.toString("hex"),
      logIndex: at,
      inclusionProof: { rootHash: root.toString("hex"), treeSize: leaves.length, hashes: auditPath(at, leaves).map((x) => x.toString("hex")), checkpoint: await signedNote(o.origin ?? `${host} - 1234`, leaves.length, root, o.key ?? ss.logKey) },
      body: b64(entries[at]!),
    };
  }

  beforeAll(async () => {
    ss = await makeTestSigstore();
    writeFileSync(p("test-root.json"), JSON.stringify(ss.trustedRoot));
    logId = Buffer.from(((ss.trustedRoot.tlogs as any[])[0].logId.keyId as string), "base64");
  });
  const ROOT = () => ["--trusted-root", p("test-root.json")];

  test("admit at index 5 of 7 (an audit path with a right-edge subtree), numbers as JSON numbers", async () => {
    const { ev, code, rules } = run(await writeCase(predicate(await rekor())), ROOT());
    expect(failedChecks(ev)).toEqual([]);
    expect(ev.checks.at(-1)).toEqual({ name: "transparency.binding", ok: true, detail: { kind: "hashedrekord 0.0.1", names: "materials[0]", digest: `sha256:${sha256hex(SBOM)}` } });
    expect(ev.transparency).toEqual({ status: "absent" });
    expect(ev.facts.transparency).toEqual({ status: "verified", logIndex: 5 });
    expect(code).toBe(0);
    expect(rules).toEqual([]);
  });

  test("facts.rekor.logged_by names the key that logged the bound entry; data.promotion_require_trusted_rekor_signer makes it count", async () => {
    writeFileSync(p("logger.pub"), logger.pem);
    writeFileSync(p("require-logger.json"), JSON.stringify({ promotion_require_trusted_rekor_signer: true }));
    const file = await writeCase(predicate(await rekor()));
    const plain = run(file, ROOT());
    expect(plain.ev.facts.rekor.logged_by).toEqual([{ type: "key", fingerprint: logger.trusted.fingerprint }]);
    expect([plain.code, plain.rules]).toEqual([0, []]);
    // Required: the promoter's key is trusted, the logger's is not.
    const required = run(file, [...ROOT(), "--data", p("require-logger.json")]);
    expect([required.code, required.rules]).toEqual([1, ["promotion.rekor-signer"]]);
    expect(required.out.decision?.deny ?? required.out.deny).toContainEqual(expect.objectContaining({ rule: "promotion.rekor-signer", msg: `promotion Rekor entry ${leaves[INDEX]!.toString("hex")} was logged by key ${logger.trusted.fingerprint}, not by a trusted key` }));
    // Trusting the logger's key too admits.
    const trusted = run(file, [...ROOT(), "--data", p("require-logger.json"), "--key", p("logger.pub")]);
    expect([trusted.code, trusted.rules]).toEqual([0, []]);
    // A bound entry that names no key (entry 3, intoto) lists none; another entry's keys are never listed.
    expect(run(await writeCase(predicate(await rekor({ index: 3 }))), ROOT()).ev.facts.rekor.logged_by).toEqual([]);
    expect(run(await writeCase(predicate(await rekor({ index: 2 }))), ROOT()).ev.facts.rekor.logged_by).toEqual([]);
  });

  test("the envelope's log entry and the predicate's stay apart: a verified Rekor proof never masks a failed or absent envelope entry", async () => {
    const statement = (pred: Record<string, unknown>) => JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [{ name: "app", digest: { sha256: SUBJECT } }], predicateType: "stella.ops/promotion@v1", predicate: pred });
    const bundleCase = async (integratedTime: number) => {
      const file = await writeCase(predicate(await rekor()));
      const payload = statement(predicate(await rekor()));
      writeFileSync(file, JSON.stringify(await ss.managed({ content: { dsse: { payloadType: IN_TOTO_JSON, payload } }, key: promoter, integratedTime })));
      return file;
    };
    // Logged before the verification time: both verified, each its own.
    const logged = run(await bundleCase(Date.parse("2026-05-31T00:00:00Z") / 1000), ROOT());
    expect(failedChecks(logged.ev)).toEqual([]);
    expect(logged.ev.transparency.status).toBe("verified");
    expect(logged.ev.transparency).toEqual({ status: "verified", logIndex: 1, integratedTime: "2026-05-31T00:00:00.000Z" });
    expect(logged.ev.facts.transparency).toEqual({ status: "verified", logIndex: 5 });
    expect(logged.code).toBe(0);
    // The envelope's entry integrated after the verification time: its failure stands beside the proof's success.
    const future = run(await bundleCase(Date.parse("2026-06-02T00:00:00Z") / 1000), ROOT());
    expect(future.ev.transparency.status).toBe("failed");
    expect(future.ev.transparency.reason).toMatch(/integratedTime 2026-06-02T00:00:00\.000Z is after the verification time/);
    expect(future.ev.facts.transparency).toEqual({ status: "verified", logIndex: 5 });
    expect(future.code).toBe(1);
  });

  test("bound through the subject: an intoto entry whose payload hash is the subject's digest", async () => {
    const { ev, code } = run(await writeCase(predicate(await rekor({ index: 3 }))), ROOT());
    expect(failedChecks(ev)).toEqual([]);
    expect(ev.checks.at(-1).detail).toEqual({ kind: "intoto 0.0.2", names: "subject[0]", digest: `sha256:${SUBJECT}` });
    expect(code).toBe(0);
  });

  test("pasted: entry 2's proof and body (another artifact) in this statement; entry 0's kind is not read", async () => {
    const other = run(await writeCase(predicate(await rekor({ index: 2 }))), ROOT());
    expect(failedChecks(other.ev)).toEqual([{ name: "transparency.binding", code: "binding_failed", reason: `the Rekor entry (hashedrekord 0.0.1) logs sha256:${sha256hex("another artifact")}, which is neither a subject's nor a material's digest of this statement: the proof is another entry's` }]);
    expect(other.code).toBe(1);
    expect(other.rules).toEqual(["promotion.transparency"]);
    const rekord = run(await writeCase(predicate(await rekor({ index: 0 }))), ROOT());
    expect(failedChecks(rekord.ev)).toEqual([{ name: "transparency.binding", code: "binding_failed", reason: "the Rekor entry is a rekord 0.0.1 entry; only hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.1/0.0.2 entries are read for the digest they log" }]);
    expect(rekord.code).toBe(1);
  });

  // A log of its own for the binding's other entry forms: each kind and version it reads, and bodies that are the
  // proven leaf but name nothing (not JSON; a dsse entry without its hashes).
  async function rekorOf(raw: (Record<string, unknown> | string)[], at: number): Promise<Rekor> {
    const es = raw.map((b) => Buffer.from(typeof b === "string" ? b : JSON.stringify(b)));
    const ls = es.map(leaf);
    const root = mth(ls);
    return {
      uuid: ls[at]!.toString("hex"),
      logIndex: at,
      inclusionProof: { rootHash: root.toString("hex"), treeSize: ls.length, hashes: auditPath(at, ls).map((x) => x.toString("hex")), checkpoint: await signedNote(`${host} - 1234`, ls.length, root, ss.logKey) },
      body: b64(es[at]!),
    };
  }
  // The keys each form names where Rekor canonicalizes them: dsse signatures[].verifier (one here is not a key and
  // is not listed), intoto 0.0.1 publicKey, intoto 0.0.2 content.envelope.signatures[].publicKey.
  const formKeys = [generateTestKey("ed25519"), generateTestKey("p384"), generateTestKey("rsa")];
  const pemB64 = (k: TestKey) => b64(Buffer.from(k.pem));
  const formBodies: (Record<string, unknown> | string)[] = [
    { apiVersion: "0.0.1", kind: "dsse", spec: { envelopeHash: digest(sha256hex("an envelope")), payloadHash: digest(sha256hex(VEX)), signatures: [{ signature: b64(Buffer.from("sig")), verifier: pemB64(formKeys[0]!) }, { signature: b64(Buffer.from("sig2")), verifier: b64(Buffer.from("key")) }] } },
    { apiVersion: "0.0.1", kind: "intoto", spec: { content: { hash: digest(SUBJECT), payloadHash: digest(sha256hex("a payload")) }, publicKey: pemB64(formKeys[1]!) } },
    "not a JSON entry",
    { apiVersion: "0.0.1", kind: "dsse", spec: { signatures: [] } },
    { apiVersion: "0.0.2", kind: "hashedrekord", spec: { data: { hash: digest(SUBJECT) } } },
    // Names of Object.prototype's members where a kind and a digest algorithm are looked up.
    { apiVersion: "0.0.1", kind: "constructor", spec: {} },
    { apiVersion: "0.0.1", kind: "hashedrekord", spec: { data: { hash: { algorithm: "constructor", value: "x" } } } },
    { apiVersion: "0.0.2", kind: "intoto", spec: { content: { envelope: { payloadType: IN_TOTO_JSON, signatures: [{ sig: b64(Buffer.from("sig")), publicKey: pemB64(formKeys[2]!) }] }, hash: digest(sha256hex("an envelope 7")), payloadHash: digest(SUBJECT) } } },
  ];

  test("bound through a dsse 0.0.1 entry's payloadHash (a material) and an intoto 0.0.1 entry's envelope hash (the subject)", async () => {
    const dsse = run(await writeCase(predicate(await rekorOf(formBodies, 0))), ROOT());
    expect(failedChecks(dsse.ev)).toEqual([]);
    expect(dsse.ev.checks.at(-1)).toEqual({ name: "transparency.binding", ok: true, detail: { kind: "dsse 0.0.1", names: "materials[1]", digest: `sha256:${sha256hex(VEX)}` } });
    expect(dsse.code).toBe(0);
    const intoto = run(await writeCase(predicate(await rekorOf(formBodies, 1))), ROOT());
    expect(failedChecks(intoto.ev)).toEqual([]);
    expect(intoto.ev.checks.at(-1).detail).toEqual({ kind: "intoto 0.0.1", names: "subject[0]", digest: `sha256:${SUBJECT}` });
    expect(intoto.code).toBe(0);
    const intoto2 = run(await writeCase(predicate(await rekorOf(formBodies, 7))), ROOT());
    expect(intoto2.ev.checks.at(-1).detail).toEqual({ kind: "intoto 0.0.2", names: "subject[0]", digest: `sha256:${SUBJECT}` });
    // Who logged each, as its body names them.
    expect([dsse, intoto, intoto2].map((r) => r.ev.facts.rekor.logged_by)).toEqual(formKeys.map((k) => [{ type: "key", fingerprint: k.trusted.fingerprint }]));
  });

  test("a proven leaf whose body binds nothing: not JSON, no logged digest, an unread version of a read kind, prototype names", async () => {
    const cases: [number, string][] = [
      [2, "rekor.body is not a JSON entry"],
      [3, "the Rekor entry (dsse 0.0.1) logs no digest, which is neither a subject's nor a material's digest of this statement: the proof is another entry's"],
      [4, "the Rekor entry is a hashedrekord 0.0.2 entry; only hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.1/0.0.2 entries are read for the digest they log"],
      [5, "the Rekor entry is a constructor 0.0.1 entry; only hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.1/0.0.2 entries are read for the digest they log"],
      [6, "the Rekor entry (hashedrekord 0.0.1) logs constructor:x, which is neither a subject's nor a material's digest of this statement: the proof is another entry's"],
    ];
    for (const [at, reason] of cases) {
      const { ev, code, rules } = run(await writeCase(predicate(await rekorOf(formBodies, at))), ROOT());
      expect(failedChecks(ev)).toEqual([{ name: "transparency.binding", code: "binding_failed", reason }]);
      expect(ev.facts.transparency).toEqual({ status: "failed", reason, logIndex: at });
      expect(ev.facts.log_verified).toBe(false);
      expect(code).toBe(1);
      expect(rules).toEqual(["promotion.transparency"]);
    }
  });

  test("without the body: unbound, denied; warned only with data.promotion_allow_unbound_rekor", async () => {
    const r = await rekor();
    delete r.body;
    const file = await writeCase(predicate(r));
    const denied = run(file, ROOT());
    expect(denied.ev.facts.transparency.status).toBe("unbound");
    expect(denied.code).toBe(1);
    expect(denied.rules).toEqual(["promotion.rekor-unbound"]);
    expect(JSON.stringify(denied.out)).toContain("is not bound to this statement: the Rekor entry's body is not given");
    writeFileSync(p("allow-unbound.json"), JSON.stringify({ promotion_allow_unbound_rekor: true }));
    const warned = run(file, [...ROOT(), "--data", p("allow-unbound.json")]);
    expect(warned.code).toBe(0);
    expect(warned.warns).toEqual(["promotion.rekor-unbound"]);
  });

  test("every index of the tree verifies, and none verifies at another index", async () => {
    const { rootFromInclusionProof } = await import("../src/sigstore/checkpoint.ts");
    const root = mth(leaves);
    for (let i = 0; i < leaves.length; i++) {
      const path = auditPath(i, leaves);
      expect(Buffer.from(rootFromInclusionProof(leaves[i]!, BigInt(i), BigInt(leaves.length), path)).equals(root)).toBe(true);
      const j = (i + 1) % leaves.length;
      let other: Buffer | undefined;
      try {
        other = Buffer.from(rootFromInclusionProof(leaves[i]!, BigInt(j), BigInt(leaves.length), path));
      } catch {
        other = undefined; // a path of the wrong length for that index
      }
      expect(other?.equals(root) ?? false).toBe(false);
    }
  });

  test("a checkpoint whose origin names another log", async () => {
    const { ev, code } = run(await writeCase(predicate(await rekor({ origin: "rekor.elsewhere.example - 1234" }))), ROOT());
    expect(failedChecks(ev)).toEqual([{ name: "transparency.checkpoint", code: "transparency_failed", reason: `checkpoint origin "rekor.elsewhere.example - 1234" does not name the trusted log ${TEST_LOG_URL}` }]);
    expect(code).toBe(1);
  });

  test("a checkpoint signed by another key under the log's key hint", async () => {
    const { ev, code } = run(await writeCase(predicate(await rekor({ key: generateTestKey("p256") }))), ROOT());
    expect(failedChecks(ev)).toEqual([{ name: "transparency.checkpoint", code: "transparency_failed", reason: `checkpoint signature by ${host} does not verify with the key of the trusted log ${TEST_LOG_URL}` }]);
    expect(code).toBe(1);
  });

  test("the UUID's tree id must be the checkpoint's tree", async () => {
    const ok = run(await writeCase(predicate(await rekor({ uuidPrefix: (1234).toString(16).padStart(16, "0") }))), ROOT());
    expect(failedChecks(ok.ev)).toEqual([]);
    const bad = run(await writeCase(predicate(await rekor({ uuidPrefix: (1235).toString(16).padStart(16, "0") }))), ROOT());
    expect(failedChecks(bad.ev)).toEqual([{ name: "transparency.checkpoint", code: "transparency_failed", reason: "rekor.uuid names tree 1235, the checkpoint is of tree 1234" }]);
  });

  test("a changed promotion field breaks the envelope's signature (from/to/actor are signed)", async () => {
    const file = await writeCase(predicate(await rekor()));
    const env = JSON.parse(readFileSync(file, "utf8"));
    const st = JSON.parse(Buffer.from(env.payload, "base64").toString());
    st.predicate.promotion.to = "prod-eu";
    env.payload = Buffer.from(JSON.stringify(st)).toString("base64");
    writeFileSync(file, JSON.stringify(env));
    const { ev, code, rules } = run(file, ROOT());
    expect(ev.signature.status).toBe("failed");
    expect(code).toBe(1);
    expect(rules).toContain("promotion.signature");
  });

  test("data knobs: allowed environment moves and required material roles", async () => {
    const file = await writeCase(predicate(await rekor(), [{ role: "sbom", algo: "sha256", digest: sha256hex(SBOM), format: "cyclonedx-json", uri: "sbom.cdx.json" }]));
    writeFileSync(p("knobs.json"), JSON.stringify({ promotion_allowed_paths: [{ from: "dev", to: "staging" }], promotion_required_materials: ["sbom", "vex"] }));
    const { code, rules, out } = run(file, [...ROOT(), "--data", p("knobs.json")]);
    expect(code).toBe(1);
    expect(rules).toEqual(["promotion.materials-missing", "promotion.path"]);
    expect(JSON.stringify(out)).toContain("promotion staging → prod is not an allowed move (dev → staging)");
  });

  describe("where material files are read from", () => {
    const sbomAt = (uri: string, digest = sha256hex(SBOM)) => [{ role: "sbom", algo: "sha256", digest, format: "cyclonedx-json", uri }];

    test("a `..` that stays inside the statement's directory is followed", async () => {
      const { ev, code } = run(await writeCase(predicate(await rekor(), sbomAt("docs/../sbom.cdx.json"))), ROOT());
      expect(failedChecks(ev)).toEqual([]);
      expect(code).toBe(0);
    });

    test("a `..` out of the statement's directory is refused, unless the file is named on the command line", async () => {
      const file = await writeCase(predicate(await rekor(), sbomAt("../outside.cdx.json")));
      const outside = join(dirname(dirname(file)), "outside.cdx.json");
      writeFileSync(outside, SBOM);
      const refused = run(file, ROOT());
      expect(failedChecks(refused.ev)).toEqual([{ name: "integrity.material", code: "unsupported", reason: `materials[0] (sbom ../outside.cdx.json): ${outside} is outside the statement's directory ${dirname(file)} (name the file on the command line to use it)` }]);
      expect(refused.code).toBe(1);
      expect(refused.rules).toEqual(["promotion.material"]);
      const named = run(file, ROOT(), { others: [outside] });
      expect(failedChecks(named.ev)).toEqual([]);
      expect(named.doc.errors).toEqual([]);
      expect(named.code).toBe(0);
    });

    test("a symbolic link inside the directory that leads out of it is refused", async () => {
      const file = await writeCase(predicate(await rekor(), sbomAt("linked.cdx.json")));
      const target = p("secret.cdx.json");
      writeFileSync(target, SBOM);
      symlinkSync(target, join(dirname(file), "linked.cdx.json"));
      const { ev, code, rules } = run(file, ROOT());
      expect(failedChecks(ev)).toEqual([{ name: "integrity.material", code: "unsupported", reason: `materials[0] (sbom linked.cdx.json): ${join(dirname(file), "linked.cdx.json")} is a symbolic link to ${target}, outside the statement's directory (name the file on the command line to use it)` }]);
      expect(code).toBe(1);
      expect(rules).toEqual(["promotion.material"]);
    });

    test("a statement from stdin reads nothing from disk: only the files given with it", async () => {
      const file = await writeCase(predicate(await rekor()));
      const cwd = dirname(file);
      const stdin = readFileSync(file, "utf8");
      const alone = run("<stdin>", ROOT(), { cwd, stdin });
      expect(alone.ev.checks.filter((c: any) => !c.ok).map((c: any) => c.reason)).toEqual([
        `materials[0] (sbom sbom.cdx.json): not supplied: the statement is not a file on disk, so only files given with it are read`,
        `materials[1] (vex docs/app.vex.json): not supplied: the statement is not a file on disk, so only files given with it are read`,
      ]);
      expect(alone.code).toBe(1);
      expect(alone.rules).toEqual(["promotion.material"]);
      const given = tollgate(["eval", "-o", "json", ...GATE(), ...ROOT(), "sbom.cdx.json", "docs/app.vex.json", "-"], { cwd, stdin });
      expect(given.stderr).toBe("");
      expect(given.code).toBe(0);
    });

    test("where the statement came from decides, not whether a file at its path has its bytes", async () => {
      const { attestationKind } = await import("../src/evidence/attestation/index.ts");
      const { makeVerifyContext, readEvidenceFile, sourceFromBytes } = await import("../src/evidence/source.ts");
      const { DEFAULT_LIMITS } = await import("../src/core/limits.ts");
      const file = await writeCase(predicate(await rekor()));
      const bytes = new Uint8Array(readFileSync(file));
      const materialReasons = async (src: ReturnType<typeof sourceFromBytes>) => {
        const ctx = makeVerifyContext({ time: new Date(TIME), keys: [], trustedRoot: () => ss.trustedRoot, files: [src] });
        const checks = await attestationKind.verify(attestationKind.parse(src), src, ctx);
        return checks.filter((c) => c.name === "integrity.material").map((c) => c.ok || c.reason);
      };
      // Read from its path: the files beside it are read.
      const disk = readEvidenceFile(file, bytes.byteLength, true, DEFAULT_LIMITS);
      expect(disk.onDisk).toBe(true);
      expect(await materialReasons(disk)).toEqual([true, true]);
      // The same bytes under the same path, but from memory (a request item, a blob): nothing is read from disk.
      const memory = sourceFromBytes(file, bytes);
      expect(memory.onDisk).toBe(false);
      expect(await materialReasons(memory)).toEqual([
        "materials[0] (sbom sbom.cdx.json): not supplied: the statement is not a file on disk, so only files given with it are read",
        "materials[1] (vex docs/app.vex.json): not supplied: the statement is not a file on disk, so only files given with it are read",
      ]);
    });

    test("the whole directory given: the SBOM and VEX are the statement's materials, not unknown evidence", async () => {
      const file = await writeCase(predicate(await rekor()));
      const ins = tollgate(["inspect", ...GATE(), ...ROOT(), dirname(file)]);
      const doc = JSON.parse(ins.stdout);
      expect(doc.errors).toEqual([]);
      expect(doc.evidence.map((e: any) => e.kind)).toEqual(["promotion"]);
      expect(failedChecks(doc.evidence[0])).toEqual([]);
      expect(tollgate(["eval", ...GATE(), ...ROOT(), dirname(file)]).code).toBe(0);
    });

    test("material reads are bounded: past --max-total-bytes the material fails, named", async () => {
      const big = "x".repeat(40_000);
      // (the entry at 3 logs the subject: this SBOM is not one the log names)
      const file = await writeCase(predicate(await rekor({ index: 3 }), sbomAt("sbom.cdx.json", sha256hex(big))), { sbom: big });
      const { ev, code, rules } = run(file, [...ROOT(), "--max-total-bytes", "32KiB", "--max-input-bytes", "32KiB"]);
      const bad = failedChecks(ev);
      expect(bad.map((c) => [c.name, c.code])).toEqual([["integrity.material", "limit_exceeded"]]);
      expect(bad[0]!.reason).toMatch(/^materials\[0\] \(sbom sbom\.cdx\.json\): .*40000 bytes/);
      expect(code).toBe(1);
      expect(rules).toEqual(["promotion.material"]);
    });
  });

  const malformed: [string, (pr: any) => void, RegExp][] = [
    ["an absolute material uri", (pr) => (pr.materials[0].uri = "/etc/passwd"), /materials\[0\]\.uri "\/etc\/passwd" must be a path relative to the statement's file/],
    ["a URL material uri", (pr) => (pr.materials[0].uri = "https://example.com/sbom.json"), /must be a path relative to the statement's file/],
    ["a file: URI", (pr) => (pr.materials[0].uri = "file:///etc/passwd"), /materials\[0\]\.uri "file:\/\/\/etc\/passwd" must be a path relative to the statement's file \(absolute paths and URLs are refused\)/],
    ["a network path", (pr) => (pr.materials[0].uri = "//host/share/sbom.json"), /must be a path relative to the statement's file/],
    ["a drive-letter path", (pr) => (pr.materials[0].uri = "C:\\sbom.json"), /must be a path relative to the statement's file/],
    ["a NUL byte in the uri", (pr) => (pr.materials[0].uri = "sbom.json\u0000.txt"), /materials\[0\]\.uri .* contains a NUL byte/],
    ["an unknown role", (pr) => (pr.materials[0].role = "license"), /materials\[0\]\.role must be one of sbom, vex/],
    ["an unknown algorithm", (pr) => (pr.materials[0].algo = "md5"), /materials\[0\]\.algo "md5" is not one of sha256, sha384, sha512/],
    ["a short digest", (pr) => (pr.materials[0].digest = "abcd"), /materials\[0\]\.digest must be 64 lower-case hex digits for sha256/],
    ["a uuid that is not a leaf hash", (pr) => (pr.rekor.uuid = "24296fb24b8ad77a"), /rekor\.uuid must be the entry's leaf hash/],
    ["a base64 rootHash", (pr) => (pr.rekor.inclusionProof.rootHash = b64(Buffer.alloc(32))), /rekor\.inclusionProof\.rootHash must be 64 lower-case hex digits/],
    ["a negative logIndex", (pr) => (pr.rekor.logIndex = -1), /rekor\.logIndex must be a non-negative integer/],
    ["a body that is not base64", (pr) => (pr.rekor.body = "not base64!"), /^stella\.ops\/promotion@v1: promotion predicate: rekor\.body is not valid base64$/],
    ["a body that is not a string", (pr) => (pr.rekor.body = { kind: "dsse" }), /rekor\.body must be a non-empty string/],
    ["no promotion.actor", (pr) => delete pr.promotion.actor, /promotion\.actor must be a non-empty string/],
    ["a timestamp that is not RFC 3339", (pr) => (pr.promotion.timestamp = "yesterday"), /promotion\.timestamp is not an RFC 3339 timestamp/],
    ["a timestamp without seconds or offset (local time to Date.parse)", (pr) => (pr.promotion.timestamp = "2026-05-30T12:00"), /promotion\.timestamp is not an RFC 3339 timestamp/],
  ];
  for (const [what, patch, reason] of malformed) {
    test(`malformed: ${what} → predicate.schema fails, promotion.schema denies`, async () => {
      const pr = predicate(await rekor());
      patch(pr);
      const { ev, code, rules } = run(await writeCase(pr), ROOT());
      const bad = failedChecks(ev);
      expect(bad.map((c) => [c.name, c.code])).toEqual([["predicate.schema", "schema_invalid"]]);
      expect(bad[0]!.reason).toMatch(reason);
      expect(code).toBe(1);
      expect(rules).toEqual(["promotion.schema"]);
    });
  }
});

describe("the predicate's shape and its verification fail apart", () => {
  const st = (pred: Record<string, unknown>) => ({ _type: "https://in-toto.io/Statement/v1", subject: [{ name: "app", digest: { sha256: SUBJECT } }], predicateType: "stella.ops/promotion@v1", predicate: pred });
  const shaped = predicate({ uuid: "ab".repeat(32), logIndex: 1, inclusionProof: { rootHash: "00".repeat(32), treeSize: 2, hashes: [], checkpoint: "x" } });

  async function record(statement: unknown) {
    const { attestationKind } = await import("../src/evidence/attestation/index.ts");
    const { makeVerifyContext, sourceFromText } = await import("../src/evidence/source.ts");
    const file = sourceFromText(p("bare-promotion.json"), JSON.stringify(statement));
    const ctx = makeVerifyContext({ time: new Date(TIME), keys: [], trustedRoot: () => ({}) });
    const parsed = attestationKind.parse(file);
    return attestationKind.normalize(parsed, await attestationKind.verify(parsed, file, ctx), file, ctx)[0]!;
  }

  test("an exception inside the handler's verify is predicate.verify, not predicate.schema; the facts stand", async () => {
    const { promotionPredicate } = await import("../src/evidence/promotion/index.ts");
    const verify = promotionPredicate.verify;
    promotionPredicate.verify = async () => {
      throw new Error("the material reader broke");
    };
    let ev;
    try {
      ev = await record(st(shaped));
    } finally {
      promotionPredicate.verify = verify;
    }
    expect(ev.checks.map((c) => [c.name, c.ok])).toEqual([["statement.schema", true], ["predicate.schema", true], ["predicate.verify", false]]);
    expect(ev.checks.at(-1)).toMatchObject({ code: "internal", reason: "stella.ops/promotion@v1: verification error: the material reader broke" });
    expect(ev.integrity).toEqual({ status: "failed", reason: "stella.ops/promotion@v1: verification error: the material reader broke" });
    // Parsed, so its facts are there; unverified, so no material counts and no log result stands.
    expect(ev.facts.from).toBe("staging");
    expect(ev.facts.transparency).toBeUndefined();
    expect((ev.facts.materials as any[]).map((m) => m.verified)).toEqual([undefined, undefined]);
  });

  test("a malformed predicate is predicate.schema and its verification does not run", async () => {
    const ev = await record(st({ ...shaped, promotion: { from: "staging" } }));
    expect(ev.checks.map((c) => [c.name, c.ok, c.code])).toEqual([["statement.schema", true, undefined], ["predicate.schema", false, "schema_invalid"]]);
    expect(ev.checks.at(-1)!.reason).toBe("stella.ops/promotion@v1: promotion predicate: promotion.to must be a non-empty string");
  });
});
