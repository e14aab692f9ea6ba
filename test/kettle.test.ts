import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TollgateError } from "../src/core/errors.ts";
import { collectEvidence } from "../src/evidence/collect.ts";
import { makeVerifyContext, sourceFromBytes, sourceFromText } from "../src/evidence/source.ts";
import type { Check, EvidenceRecord, SourceFile } from "../src/evidence/types.ts";
import { kettleKind, makeKettleKind } from "../src/evidence/kettle/index.ts";
import { makeAzSnpKind } from "../src/evidence/tee/az-snp/index.ts";
import {
  flipBit,
  KETTLE_BUILDER,
  KETTLE_CARGO,
  kettleBinding,
  kettleProvenanceText,
  kettleSnpEvidence,
  makeAmdChain,
  makeAmdCrl,
  makeAzSnpEvidence,
  signedReport,
  type SyntheticAmd,
  syntheticTrust,
} from "./support/amd-chain.ts";
import { fixture, fixtureDescribe } from "./support/fixtures.ts";
import { makeTdxChain, makeTdxQuote } from "./support/tdx-gen.ts";

let chain: SyntheticAmd;
beforeAll(async () => {
  chain = await makeAmdChain();
}, 60_000);

const APP = new TextEncoder().encode("#!/bin/app\nthe release binary\n");
const LIB = new TextEncoder().encode("libapp.so bytes");

interface Build {
  evidence: string;
  provenance?: string;
  artifacts?: Record<string, Uint8Array>;
  extra?: SourceFile[];
}

/** A Kettle build whose SNP report binds `bindText` (default: the provenance itself). */
async function snpBuild(o: { provenance?: string; bound?: Uint8Array; artifacts?: Record<string, Uint8Array>; inlineVcek?: boolean } = {}): Promise<Build> {
  const artifacts = o.artifacts ?? { app: APP, "lib/libapp.so": LIB };
  const provenance = o.provenance ?? kettleProvenanceText(artifacts);
  const reportData = new Uint8Array(64);
  reportData.set(o.bound ?? kettleBinding(provenance));
  const report = await signedReport(chain, { reportData });
  return { evidence: kettleSnpEvidence(report, o.inlineVcek === false ? undefined : chain.vcekDer), provenance, artifacts };
}

function files(b: Build, dir = "/build"): { evidence: SourceFile; all: SourceFile[] } {
  const evidence = sourceFromText(`${dir}/evidence.json`, b.evidence);
  const all: SourceFile[] = [evidence];
  if (b.provenance !== undefined) all.push(sourceFromText(`${dir}/provenance.json`, b.provenance, false));
  for (const [name, bytes] of Object.entries(b.artifacts ?? {})) all.push(sourceFromBytes(`${dir}/artifacts/${name}`, bytes, false));
  all.push(...(b.extra ?? []));
  return { evidence, all };
}

async function run(b: Build, kind = makeKettleKind({ amdTrust: syntheticTrust(chain) }), time?: Date) {
  const { evidence, all } = files(b);
  expect(kind.detect(evidence)).toBe(true);
  const parsed = kind.parse(evidence);
  const ctx = makeVerifyContext({ time: time ?? chain.validTime, files: all });
  const checks = await kind.verify(parsed, evidence, ctx);
  const records = kind.normalize(parsed, checks, evidence, ctx);
  expect(records.length).toBe(1);
  return { checks, record: records[0]!, materials: kind.materials!(evidence, all) };
}

const failed = (checks: Check[]) => checks.filter((c) => !c.ok);
function expectFailures(checks: Check[], expected: [string, string][], firstReason?: RegExp) {
  const bad = failed(checks);
  expect(bad.map((c) => [c.name, c.code])).toEqual(expected);
  if (firstReason) expect(bad[0]!.reason).toMatch(firstReason);
}

describe("kettle: synthetic SEV-SNP builds (runs on a plain clone)", () => {
  test("a build whose report binds the provenance and whose artifacts are its subjects verifies; the provenance counts as hardware-signed", async () => {
    const b = await snpBuild();
    const { checks, record, materials } = await run(b);
    expect(failed(checks)).toEqual([]);
    expect(checks.map((c) => c.name).filter((n) => !n.startsWith("hardware."))).toEqual(["statement.schema", "binding.provenance_sha256", "predicate.schema", "integrity.artifacts"]);
    expect(record.kind).toBe("slsa-provenance");
    expect(record.source.path).toBe("/build/provenance.json");
    expect(record.source.format).toBe("kettle-evidence-snp");
    expect(record.source.materials!.map((m) => m.path)).toEqual(["/build/evidence.json", "/build/artifacts/app", "/build/artifacts/lib/libapp.so"]);
    expect(record.signature.status).toBe("verified");
    expect(record.signature.signers).toEqual([{ type: "hardware", platform: "sev-snp", measurement: record.hardware!.measurement!, root: "amd-milan" }]);
    expect(record.integrity.status).toBe("verified");
    expect(record.hardware!.status).toBe("verified");
    expect(record.statement!.predicateType).toBe("https://slsa.dev/provenance/v1");
    expect(record.statement!.subject.map((s) => s.name)).toEqual(["app", "lib/libapp.so"]);
    const k = record.facts.kettle as Record<string, unknown>;
    expect(k).toMatchObject({ platform: "snp", buildType: KETTLE_CARGO, builderId: KETTLE_BUILDER });
    expect(k.artifacts).toEqual([
      { name: "app", sha256: new Bun.CryptoHasher("sha256").update(APP).digest("hex"), subject: true },
      { name: "lib/libapp.so", sha256: new Bun.CryptoHasher("sha256").update(LIB).digest("hex"), subject: true },
    ]);
    // the lead's SLSA handler ran on the predicate: Kettle's build type is known, buildCommand/source are its
    // defined externalParameters (not custom metadata)
    expect(record.facts.build_type).toBe(KETTLE_CARGO);
    expect(record.facts.known_build_type).toBe(true);
    expect(record.facts.builder_id).toBe(KETTLE_BUILDER);
    expect(record.facts.custom_metadata).toEqual({ vendor_fields: [], violations: [] });
    expect(materials.sort()).toEqual(["/build/artifacts/app", "/build/artifacts/lib/libapp.so", "/build/provenance.json"]);
  });

  test("the binding is over the compact re-serialization: re-indenting provenance.json changes nothing", async () => {
    const b = await snpBuild();
    const reindented = JSON.stringify(JSON.parse(b.provenance!), null, 4);
    const { checks } = await run({ ...b, provenance: reindented });
    expect(failed(checks)).toEqual([]);
  });

  test("…in the provenance's own key order: the same document with keys reordered does not bind", async () => {
    const b = await snpBuild();
    const doc = JSON.parse(b.provenance!) as Record<string, unknown>;
    const reordered = JSON.stringify({ predicateType: doc.predicateType, _type: doc._type, subject: doc.subject, predicate: doc.predicate }, null, 2);
    const { checks } = await run({ ...b, provenance: reordered });
    expectFailures(checks, [["binding.provenance_sha256", "binding_failed"]], /REPORT_DATA\[0\.\.32\] [0-9a-f]{64} is not sha256 of the compactly re-serialized provenance [0-9a-f]{64}/);
  });

  test("a single bit flipped in provenance.json breaks the binding", async () => {
    const b = await snpBuild();
    const text = b.provenance!;
    const at = text.indexOf("cargo build") + 2; // "cargo" → "caroo"-like: still valid JSON
    const flipped = Buffer.from(flipBit(new TextEncoder().encode(text), at, 2)).toString("utf8");
    expect(JSON.parse(flipped)).toBeTruthy();
    const { checks, record } = await run({ ...b, provenance: flipped });
    expectFailures(checks, [["binding.provenance_sha256", "binding_failed"]]);
    expect(record.signature.status).toBe("failed");
    expect(record.signature.reason).toMatch(/^binding\.provenance_sha256: REPORT_DATA/);
    expect(record.signature.signers).toEqual([]);
  });

  test("all 32 bytes are compared: a provenance hash ending in 0x00 binds, and a bound value differing only in its last byte does not", async () => {
    const artifacts = { app: APP };
    let text = "";
    for (let i = 0; ; i++) {
      text = kettleProvenanceText(artifacts, { invocationId: `build-${i}` });
      if (kettleBinding(text)[31] === 0) break;
    }
    const ok = await run(await snpBuild({ provenance: text, artifacts }));
    expect(failed(ok.checks)).toEqual([]);
    // REPORT_DATA = hash with its (non-zero) last byte zeroed: an implementation that strips trailing zeros
    // and compares prefixes would accept this.
    let other = "";
    for (let i = 0; ; i++) {
      other = kettleProvenanceText(artifacts, { invocationId: `run-${i}` });
      if (kettleBinding(other)[31] !== 0) break;
    }
    const truncated = kettleBinding(other);
    truncated[31] = 0;
    const bad = await run(await snpBuild({ provenance: other, artifacts, bound: truncated }));
    expectFailures(bad.checks, [["binding.provenance_sha256", "binding_failed"]]);
  });

  test("the rest of REPORT_DATA must be zero padding (attestation-rs compares the hash zero-padded to 64 bytes)", async () => {
    const b = await snpBuild();
    const bound = new Uint8Array(64);
    bound.set(kettleBinding(b.provenance!));
    bound[63] = 1;
    const { checks, record } = await run(await snpBuild({ provenance: b.provenance!, bound }));
    expectFailures(checks, [["binding.provenance_sha256", "binding_failed"]], /^REPORT_DATA\[32\.\.64\] is not zero padding \(0{62}01\): the field must hold only the provenance sha256$/);
    expect(record.signature.status).toBe("failed");
  });

  test("an artifact whose bytes changed by one bit no longer matches its subject", async () => {
    const b = await snpBuild();
    const { checks, record } = await run({ ...b, artifacts: { ...b.artifacts, app: flipBit(APP, 3) } });
    expectFailures(checks, [["integrity.artifacts", "subject_mismatch"]], /artifacts\/app sha256 [0-9a-f]{64} is not its subject digest [0-9a-f]{64}/);
    expect(record.integrity.status).toBe("failed");
    // the provenance is still hardware-signed; it is the artifact that is wrong
    expect(record.signature.status).toBe("verified");
  });

  test("an artifact that is not a subject fails", async () => {
    const b = await snpBuild();
    const r = await run({ ...b, artifacts: { ...b.artifacts, "extra.bin": LIB } });
    expectFailures(r.checks, [["integrity.artifacts", "subject_mismatch"]], /artifacts\/extra\.bin is not a subject of the provenance/);
  });

  test("a build without artifacts/: every hardware and binding check passes, artifacts are 'not checked', and the provenance is hardware-signed", async () => {
    const b = await snpBuild();
    const { checks, record } = await run({ ...b, artifacts: {} });
    expect(failed(checks)).toEqual([]);
    expect(checks.find((c) => c.name === "integrity.artifacts")).toEqual({ name: "integrity.artifacts", ok: true, detail: { status: "unchecked", why: "not checked: no files under /build/artifacts/; the subject is bound by --artifact/--subject" } });
    expect(record.signature.status).toBe("verified");
    expect(record.integrity.status).toBe("verified");
    expect(record.facts.kettle).toMatchObject({ artifacts: [], artifacts_checked: false, manifest: null });
    // the subjects are still the provenance's, for the gate to bind on
    expect(record.statement!.subject.map((s) => s.name)).toEqual(["app", "lib/libapp.so"]);
  });

  test("provenance that is not an in-toto v1 SLSA v1 statement fails statement.schema", async () => {
    const b = await snpBuild();
    const doc = JSON.parse(b.provenance!) as Record<string, unknown>;
    const v02 = JSON.stringify({ ...doc, predicateType: "https://slsa.dev/provenance/v0.2" });
    const bound = kettleBinding(v02);
    const r = await run({ ...(await snpBuild({ provenance: v02, bound })) });
    expectFailures(r.checks, [["statement.schema", "schema_invalid"]], /predicateType is "https:\/\/slsa\.dev\/provenance\/v0\.2", not https:\/\/slsa\.dev\/provenance\/v1/);
    expect(r.record.signature.status).toBe("failed");
  });

  test("a tampered report fails the hardware, so the provenance is not signed", async () => {
    const b = await snpBuild();
    const env = JSON.parse(b.evidence) as { evidence: { attestation_report: string } };
    const report = flipBit(Buffer.from(env.evidence.attestation_report, "base64"), 0x90);
    env.evidence.attestation_report = Buffer.from(report).toString("base64");
    const { checks, record } = await run({ ...b, evidence: JSON.stringify(env) });
    expectFailures(checks, [["hardware.report_signature", "signature_failed"]]);
    expect(record.signature).toMatchObject({ status: "failed", code: "signature_failed" });
    expect(record.hardware!.status).toBe("failed");
  });

  test("an inline VCEK that is not a certificate is named as the reason there is no endorsement", async () => {
    const b = await snpBuild();
    const env = JSON.parse(b.evidence) as { evidence: { cert_chain: { vcek: string } } };
    env.evidence.cert_chain.vcek = Buffer.from("not a certificate").toString("base64");
    const { checks } = await run({ ...b, evidence: JSON.stringify(env) });
    expectFailures(checks, [["hardware.endorsement_key", "not_found"]], /^evidence\.cert_chain\.vcek is not a certificate: /);
  });

  test("a provenance.json that is not JSON fails statement.schema and cannot be bound", async () => {
    const b = await snpBuild();
    const { checks, record } = await run({ ...b, provenance: `${b.provenance!}}` }); // a stray closing brace
    expectFailures(checks, [["statement.schema", "malformed"], ["binding.provenance_sha256", "binding_failed"]], /^\/build\/provenance\.json is not JSON: /);
    expect(failed(checks)[1]!.reason).toBe("the provenance cannot be hashed: it is not JSON");
    expect(record.signature.status).toBe("failed");
    expect(record.integrity).toEqual({ status: "failed", reason: "artifacts not checked: the provenance is not an in-toto v1 SLSA v1 statement" });
  });

  test("the VCEK may come from the build directory instead of evidence.cert_chain", async () => {
    const b = await snpBuild({ inlineVcek: false });
    const vcek = sourceFromBytes("/build/vcek.der", chain.vcekDer, false);
    const { checks, materials } = await run({ ...b, extra: [vcek] });
    expect(failed(checks)).toEqual([]);
    expect(materials).toContain("/build/vcek.der");
    const none = await run(b);
    expectFailures(none.checks, [["hardware.endorsement_key", "not_found"]], /no VCEK certificate supplied/);
  });

  test("Azure SEV-SNP: the quote's extraData binds the provenance", async () => {
    const artifacts = { app: APP };
    const provenance = kettleProvenanceText(artifacts);
    const { evidence } = await makeAzSnpEvidence(chain, { extraData: kettleBinding(provenance) });
    const b: Build = { evidence: JSON.stringify({ platform: "az-snp", evidence }), provenance, artifacts };
    const { checks, record } = await run(b);
    expect(failed(checks)).toEqual([]);
    expect(record.signature.signers[0]).toMatchObject({ type: "hardware", platform: "az-snp", root: "amd-milan" });
    expect((record.facts.kettle as { platform: string }).platform).toBe("az-snp");
    // attestation-rs pads the nonce with zeros to 50 bytes: the first 32 are the binding
    const padded = new Uint8Array(50);
    padded.set(kettleBinding(provenance));
    const p50 = await makeAzSnpEvidence(chain, { extraData: padded });
    const r50 = await run({ ...b, evidence: JSON.stringify({ platform: "az-snp", evidence: p50.evidence }) });
    expect(failed(r50.checks)).toEqual([]);
    // …and the padding is zeros: anything else after the hash is not the nonce attestation-rs would accept
    padded[49] = 0x80;
    const dirty = await makeAzSnpEvidence(chain, { extraData: padded });
    const rDirty = await run({ ...b, evidence: JSON.stringify({ platform: "az-snp", evidence: dirty.evidence }) });
    expectFailures(rDirty.checks, [["binding.provenance_sha256", "binding_failed"]], /^the TPM quote's extraData\[32\.\.50\] is not zero padding \(0{34}80\)/);
    // …but a shorter nonce is never zero-extended into a match
    const short = await makeAzSnpEvidence(chain, { extraData: kettleBinding(provenance).slice(0, 31) });
    const r31 = await run({ ...b, evidence: JSON.stringify({ platform: "az-snp", evidence: short.evidence }) });
    expectFailures(r31.checks, [["binding.provenance_sha256", "binding_failed"]], /^the quote's extraData is 31 bytes, shorter than a 32-byte sha256$/);
    // a different provenance: the quote names the wrong hash
    const other = kettleProvenanceText(artifacts, { invocationId: "other" });
    const r = await run({ ...b, provenance: other });
    expectFailures(r.checks, [["binding.provenance_sha256", "binding_failed"]], /the TPM quote's extraData\[0\.\.32\] [0-9a-f]{64} is not sha256/);
  }, 20_000);

  test("Intel TDX: REPORTDATA[0..32] binds the provenance, verified by the TDX verifier (synthetic Intel chain)", async () => {
    const artifacts = { app: APP };
    const provenance = kettleProvenanceText(artifacts);
    const reportData = new Uint8Array(64);
    reportData.set(kettleBinding(provenance));
    const tdx = await makeTdxChain();
    const quote = await makeTdxQuote(tdx, { reportData });
    const b: Build = { evidence: JSON.stringify({ platform: "tdx", evidence: { quote: Buffer.from(quote.bytes).toString("base64") } }), provenance, artifacts };
    const kind = makeKettleKind({ tdx: { roots: [{ name: "test-intel-root", der: tdx.root.der }] } });
    const { checks, record } = await run(b, kind, new Date("2026-06-01T00:00:00Z"));
    expect(failed(checks)).toEqual([]);
    expect(checks.some((c) => c.name.startsWith("hardware.tdx_"))).toBe(true);
    expect(record.signature.signers[0]).toMatchObject({ type: "hardware", platform: "tdx", root: "test-intel-root" });
    // a quote over other REPORTDATA does not bind this provenance
    const other = await makeTdxQuote(tdx, { reportData: new Uint8Array(64).fill(1) });
    const r = await run({ ...b, evidence: JSON.stringify({ platform: "tdx", evidence: { quote: Buffer.from(other.bytes).toString("base64") } }) }, kind, new Date("2026-06-01T00:00:00Z"));
    expectFailures(r.checks, [["binding.provenance_sha256", "binding_failed"]], /^REPORT_DATA\[0\.\.32\] (01){32} is not sha256/);
  });

  test("without provenance.json beside it, evidence.json is plain hardware evidence (a tee-report)", async () => {
    const b = await snpBuild();
    const { checks, record } = await run({ evidence: b.evidence });
    expect(failed(checks)).toEqual([]);
    expect(record.kind).toBe("tee-report");
    expect(record.hardware!.platform).toBe("sev-snp");
  });

  test("parse errors are typed and name the field", () => {
    const v2 = Buffer.alloc(1184);
    v2[0] = 2; // VERSION
    v2[0x34] = 1; // SIGNATURE_ALGO
    const minimalReport = v2.toString("base64");
    const cases: [unknown, string, RegExp][] = [
      [{ platform: "sgx", evidence: {} }, "unsupported", /platform "sgx" is not supported \(snp, az-snp, tdx\)/],
      [{ platform: "snp", evidence: { attestation_report: "AAAA" } }, "malformed", /SEV-SNP report is 3 bytes/],
      [{ platform: "snp", evidence: {} }, "schema_invalid", /evidence\.attestation_report must be a non-empty base64 string/],
      [{ platform: "tdx", evidence: { quote: Buffer.from("nope").toString("base64") } }, "malformed", /evidence\.quote is not a TDX quote/],
      [{ platform: "snp", evidence: { attestation_report: minimalReport, cert_chain: "vcek" } }, "schema_invalid", /^evidence\.cert_chain must be an object \{vcek, ask\?, ark\?\}$/],
    ];
    for (const [value, code, reason] of cases) {
      const f = sourceFromText("/b/evidence.json", JSON.stringify(value));
      expect(kettleKind.detect(f)).toBe(true);
      let err: unknown;
      try {
        kettleKind.parse(f);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TollgateError);
      expect((err as TollgateError).code).toBe(code as never);
      expect((err as TollgateError).message).toMatch(reason);
      expect((err as TollgateError).path).toBe("/b/evidence.json");
    }
    expect(kettleKind.detect(sourceFromText("/b/x.json", '{"platform":"snp","evidence":{},"other":1}'))).toBe(false);
    expect(kettleKind.detect(sourceFromText("/b/x.json", '{"_type":"https://in-toto.io/Statement/v1"}'))).toBe(false);
  });
});

describe("kettle: a build directory through the evidence pipeline", () => {
  test("collectEvidence reads the directory: one slsa-provenance record, provenance/artifacts/VCEK consumed", async () => {
    const b = await snpBuild({ inlineVcek: false });
    const dir = mkdtempSync(join(tmpdir(), "tollgate-kettle-"));
    writeFileSync(join(dir, "evidence.json"), b.evidence);
    writeFileSync(join(dir, "provenance.json"), b.provenance!);
    writeFileSync(join(dir, "vcek.der"), chain.vcekDer);
    mkdirSync(join(dir, "artifacts", "lib"), { recursive: true });
    writeFileSync(join(dir, "artifacts", "app"), APP);
    writeFileSync(join(dir, "artifacts", "lib", "libapp.so"), LIB);
    const all = ["evidence.json", "provenance.json", "vcek.der", "artifacts/app", "artifacts/lib/libapp.so"].map((p) =>
      sourceFromBytes(join(dir, p), new Uint8Array(readFileSync(join(dir, p))), false));
    const ctx = makeVerifyContext({ time: chain.validTime, files: all });
    const result = await collectEvidence(all, ctx, [makeKettleKind({ amdTrust: syntheticTrust(chain) })]);
    expect(result.errors).toEqual([]);
    expect(result.records.map((r: EvidenceRecord) => [r.kind, r.signature.status, r.integrity.status])).toEqual([["slsa-provenance", "verified", "verified"]]);
    expect(result.materials).toEqual([join(dir, "artifacts", "app"), join(dir, "artifacts", "lib", "libapp.so"), join(dir, "provenance.json"), join(dir, "vcek.der")].sort());
  });
});

fixtureDescribe("kettle: real hardware evidence in a Kettle envelope (shared fixtures)", () => {
  const artifacts = { app: APP };

  test("the real attestation-rs SEV-SNP report verifies, and its REPORT_DATA is checked against the provenance over 32 bytes", async () => {
    const report = new Uint8Array(readFileSync(fixture("tee", "sev-snp", "attestation-rs", "test-report.bin")));
    const vcek = new Uint8Array(readFileSync(fixture("tee", "sev-snp", "attestation-rs", "test-vcek.der")));
    const b: Build = { evidence: kettleSnpEvidence(report, vcek), provenance: kettleProvenanceText(artifacts), artifacts };
    const { checks, record } = await run(b, kettleKind, new Date("2024-06-01T00:00:00Z"));
    expectFailures(checks, [["binding.provenance_sha256", "binding_failed"]], /^REPORT_DATA\[0\.\.32\] ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e2 is not sha256/);
    expect(record.hardware).toMatchObject({ platform: "sev-snp", status: "verified", root: "amd-milan" });
    expect(record.signature.status).toBe("failed");
  });

  test("the real Azure evidence verifies, but a 9-byte extraData cannot bind a provenance", async () => {
    const env = readFileSync(fixture("tee", "az-snp", "evidence-v1.json"), "utf8");
    const b: Build = { evidence: env, provenance: kettleProvenanceText(artifacts), artifacts };
    const { checks, record } = await run(b, kettleKind, new Date("2025-06-01T00:00:00Z"));
    expectFailures(checks, [["binding.provenance_sha256", "binding_failed"]], /^the quote's extraData is 9 bytes, shorter than a 32-byte sha256$/);
    expect(record.hardware).toMatchObject({ platform: "az-snp", status: "verified" });
  });

  test("the real Azure evidence alone is a verified az-snp tee-report", async () => {
    const { checks, record } = await run({ evidence: readFileSync(fixture("tee", "az-snp", "evidence-v1.json"), "utf8") }, kettleKind, new Date("2025-06-01T00:00:00Z"));
    expect(failed(checks)).toEqual([]);
    expect(record).toMatchObject({ kind: "tee-report", hardware: { platform: "az-snp", status: "verified", reportData: Buffer.from("challenge").toString("hex") } });
  });

  test("a TDX quote in a Kettle envelope runs the TDX verifier and the 32-byte binding", async () => {
    const quote = new Uint8Array(readFileSync(fixture("tee", "tdx", "tdx_prod_quote_SPR_E4.dat")));
    const b: Build = { evidence: JSON.stringify({ platform: "tdx", evidence: { quote: Buffer.from(quote).toString("base64") } }), provenance: kettleProvenanceText(artifacts), artifacts };
    const { checks, record } = await run(b, kettleKind, new Date("2024-06-01T00:00:00Z"));
    expect(checks.some((c) => c.name.startsWith("hardware.tdx_"))).toBe(true);
    expect(record.hardware!.platform).toBe("tdx");
    const binding = checks.find((c) => c.name === "binding.provenance_sha256")!;
    expect(binding).toMatchObject({ ok: false, code: "binding_failed" });
    expect(binding.reason).toMatch(/^REPORT_DATA\[0\.\.32\] [0-9a-f]{64} is not sha256 of the compactly re-serialized provenance/);
  });
});

describe("kettle: AMD CRLs on the Kettle SEV-SNP and az-snp paths, as for plain reports", () => {
  const crlAt = async (revoked: string[]) => sourceFromBytes("/build/amd.crl", (await makeAmdCrl(chain, { revoked })).der, false);

  test("snp: a revoked ASK is noticed; a CRL that lists nothing else is checked and a material", async () => {
    const b = await snpBuild();
    const revoked = await run({ ...b, extra: [await crlAt(["7777", "010001"])] });
    expectFailures(revoked.checks, [["hardware.revocation", "certificate_invalid"]], /^SEV-Milan \(serial 010001\) is revoked by \/build\/amd\.crl since /);
    expect(revoked.record.signature.status).toBe("failed");
    expect(revoked.record.hardware!.revocation).toBe("failed");
    expect(revoked.materials).toContain("/build/amd.crl");
    const clean = await run({ ...b, extra: [await crlAt(["7777"])] });
    expect(failed(clean.checks)).toEqual([]);
    expect(clean.record.hardware!.revocation).toBe("checked");
    expect(clean.record.source.materials!.map((m) => m.path)).toContain("/build/amd.crl");
    // without a CRL the revocation stays unchecked, exactly as before
    expect((await run(b)).record.hardware!.revocation).toBe("unchecked");
  });

  test("snp: a CRL file that cannot be read fails the revocation check, never ignored", async () => {
    const b = await snpBuild();
    const bad = sourceFromText("/build/amd.crl.pem", "-----BEGIN X509 CRL-----\nAAAA\n", false);
    const r = await run({ ...b, extra: [bad] });
    expect(failed(r.checks).map((c) => c.name)).toEqual(["hardware.revocation"]);
  });

  test("az-snp in a Kettle envelope: a revoked ASK is noticed", async () => {
    const artifacts = { app: APP };
    const provenance = kettleProvenanceText(artifacts);
    const { evidence } = await makeAzSnpEvidence(chain, { extraData: kettleBinding(provenance) });
    const b: Build = { evidence: JSON.stringify({ platform: "az-snp", evidence }), provenance, artifacts, extra: [await crlAt(["010001"])] };
    const { checks, record } = await run(b);
    expectFailures(checks, [["hardware.revocation", "certificate_invalid"]], /SEV-Milan \(serial 010001\) is revoked/);
    expect(record.signature.status).toBe("failed");
  });

  test("plain az-snp evidence: a revoked ASK beside it is noticed too", async () => {
    const { evidence } = await makeAzSnpEvidence(chain, {});
    const kind = makeAzSnpKind({ trust: syntheticTrust(chain) });
    const ev = sourceFromText("/az/evidence.json", JSON.stringify(evidence));
    const crl = sourceFromBytes("/az/amd.crl", (await makeAmdCrl(chain, { revoked: ["010001"] })).der, false);
    const check = async (files: SourceFile[]) => {
      const parsed = kind.parse(ev);
      const ctx = makeVerifyContext({ time: chain.validTime, files });
      const checks = await kind.verify(parsed, ev, ctx);
      return { checks, record: kind.normalize(parsed, checks, ev, ctx)[0]!, materials: kind.materials!(ev, files) };
    };
    const revoked = await check([ev, crl]);
    expectFailures(revoked.checks, [["hardware.revocation", "certificate_invalid"]], /SEV-Milan \(serial 010001\) is revoked by \/az\/amd\.crl/);
    expect(revoked.record.hardware!.revocation).toBe("failed");
    expect(revoked.materials).toEqual(["/az/amd.crl"]);
    const none = await check([ev]);
    expect(failed(none.checks)).toEqual([]);
    expect(none.record.hardware!.revocation).toBe("unchecked");
  });
});

describe("kettle: manifest.json cross-checked against the provenance and artifacts", () => {
  const GIT = "5e92101a8fe716d9d9c4676ba9775e17936abb0c";
  const TREE = "b40b914c8332a5aab59b9cadbd129c71a3e0287f";
  const LOCK = "23b2e23aa04c93c350cac09ac73636e4ecedf564acc7f5d1c40a7e3fcf227c10";
  const ROOT = "e47367b6cd0aafeaa53de30c062cd27eb9078d605e1e5ce423fb79820eac07a3";
  const RUSTC = "cb5d96f4c51e916fbc4fee5bbd3c3bd5030734f170ef50ec1d0dad0e9e9b9943";
  const SERDE = { uri: "pkg:cargo/serde@1.0.228", digest: "9a8e94ea7f378bd32cbbd37198a4a91436180c5bb472411e48b5ec2e2124ae9e" };
  const sha = (b: Uint8Array) => new Bun.CryptoHasher("sha256").update(b).digest("hex");

  /** A provenance in Kettle's SLSA mapping: source digest, lockfileHash, toolchain, input_merkle_root byproduct. */
  function provenance(): string {
    const doc = JSON.parse(kettleProvenanceText({ app: APP }));
    doc.predicate.buildDefinition.externalParameters.source.digest = { gitCommit: GIT, gitTree: TREE };
    doc.predicate.buildDefinition.internalParameters = { lockfileHash: { sha256: LOCK }, toolchain: { rustc: { version: "rustc 1.90.0", digest: { sha256: RUSTC } } } };
    doc.predicate.runDetails.byproducts = [{ name: "input_merkle_root", digest: { sha256: ROOT } }];
    return `${JSON.stringify(doc, null, 2)}\n`;
  }
  const manifest = (over: Record<string, unknown> = {}) => ({
    git_commit: GIT, git_tree: TREE, lockfile_hash: LOCK, input_merkle_root: ROOT, toolchain: { rustc_hash: RUSTC },
    dependencies: [{ name: "serde", ...SERDE }], binary_artifacts: [{ name: "app", hash: sha(APP) }], ...over,
  });
  const withManifest = async (m: unknown, artifacts: Record<string, Uint8Array> = { app: APP }) => {
    const b = await snpBuild({ provenance: provenance(), artifacts });
    const text = typeof m === "string" ? m : JSON.stringify(m, null, 2);
    return run({ ...b, extra: [sourceFromText("/build/manifest.json", text, false)] });
  };

  test("a manifest that agrees verifies; its fields and file are recorded", async () => {
    const { checks, record, materials } = await withManifest(manifest());
    expect(failed(checks)).toEqual([]);
    const c = checks.find((x) => x.name === "integrity.manifest")!;
    expect(c.detail).toEqual({ manifest: "/build/manifest.json", checked: ["git_commit", "git_tree", "lockfile_hash", "input_merkle_root", "toolchain.rustc_hash", "dependencies", "binary_artifacts"] });
    expect((record.facts.kettle as { manifest: { path: string } }).manifest.path).toBe("/build/manifest.json");
    expect(materials).toContain("/build/manifest.json");
    expect(record.source.materials!.map((m) => m.path)).toContain("/build/manifest.json");
    // Kettle's older spelling of the lockfile hash
    const { lockfile_hash: _l, ...rest } = manifest();
    expect(failed((await withManifest({ ...rest, cargo_lock_hash: LOCK })).checks)).toEqual([]);
  });

  test("a manifest that names another git commit, lockfile or merkle root fails, naming each", async () => {
    const r = await withManifest(manifest({ git_commit: "0".repeat(40), lockfile_hash: "1".repeat(64) }));
    expectFailures(r.checks, [["integrity.manifest", "subject_mismatch"]],
      new RegExp(`^/build/manifest\\.json: git_commit 0{40} is not the provenance's ${GIT} \\(externalParameters\\.source\\.digest\\.gitCommit\\); lockfile_hash 1{64} is not the provenance's ${LOCK}`));
    expect(r.record.integrity.status).toBe("failed");
  });

  test("a manifest value the provenance does not record fails", async () => {
    const r = await withManifest(manifest({ git_binary_hash: "dd".repeat(32) }));
    expectFailures(r.checks, [["integrity.manifest", "subject_mismatch"]], /git_binary_hash d{64} is not recorded in the provenance \(runDetails\.byproducts git_binary_hash\)/);
  });

  test("binary_artifacts must match both the subjects and the bytes under artifacts/ (when present)", async () => {
    const other = flipBit(APP, 1);
    const wrong = await withManifest(manifest({ binary_artifacts: [{ name: "app", hash: sha(other) }] }));
    expectFailures(wrong.checks, [["integrity.manifest", "subject_mismatch"]], new RegExp(`binary artifact app hash ${sha(other)} is not its subject digest ${sha(APP)}; binary artifact app hash ${sha(other)} is not artifacts/app's sha256 ${sha(APP)}`));
    const missing = await withManifest(manifest({ binary_artifacts: [{ name: "cli", hash: sha(APP) }] }));
    expectFailures(missing.checks, [["integrity.manifest", "subject_mismatch"]], /binary artifact cli is not a subject of the provenance/);
    // without artifacts/ the manifest is still compared with the subjects
    const noArtifacts = await withManifest(manifest(), {});
    expect(failed(noArtifacts.checks)).toEqual([]);
  });

  test("a dependency that is not resolved, or resolved to another digest, fails", async () => {
    const r = await withManifest(manifest({ dependencies: [{ name: "serde", uri: SERDE.uri, digest: "ff".repeat(32) }, { name: "evil", uri: "pkg:cargo/evil@1.0.0", digest: "aa".repeat(32) }] }));
    expectFailures(r.checks, [["integrity.manifest", "subject_mismatch"]], new RegExp(`dependency pkg:cargo/serde@1\\.0\\.228 digest f{64} is not the provenance's ${SERDE.digest}; dependency pkg:cargo/evil@1\\.0\\.0 is not among the provenance's resolvedDependencies`));
  });

  test("a manifest that is not JSON, or names nothing, fails", async () => {
    expectFailures((await withManifest("{not json")).checks, [["integrity.manifest", "malformed"]], /^\/build\/manifest\.json: not a JSON object$/);
    expectFailures((await withManifest({ version: "1.0" })).checks, [["integrity.manifest", "schema_invalid"]], /names none of git_commit/);
  });
});
