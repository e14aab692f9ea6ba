// invarlock runtime manifests: the real public pair, plus generated manifests for every binding failure.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildInputDocument, validateInputDocument } from "../src/core/input.ts";
import { collectEvidence, readEvidencePaths } from "../src/evidence/collect.ts";
import {
  imageRefBindsDigest,
  orphanEvaluationReportKind,
  parseRuntimeManifest,
  runtimeManifestKind,
  verifyRuntimeManifest,
} from "../src/evidence/runtime-manifest/index.ts";
import { makeVerifyContext, sourceFromBytes, sourceFromText } from "../src/evidence/source.ts";
import { artifactIdentitySha256, pythonEqual, unescapeNonAscii } from "../src/evidence/runtime-manifest/provider.ts";
import { parseJsonTree } from "../src/core/canonical-json.ts";
import type { Check, EvidenceRecord, SourceFile } from "../src/evidence/types.ts";
import { thrown } from "./support/errors.ts";
import { fixture, fixtureDescribe } from "./support/fixtures.ts";
import { decideBothEngines } from "./support/gate-parity.ts";

const TIME = new Date("2026-06-01T00:00:00Z");
const KINDS = [runtimeManifestKind, orphanEvaluationReportKind];
const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
const PINNED = "sha256:" + "b".repeat(64);

async function run(manifest: SourceFile, files: SourceFile[]): Promise<{ checks: Check[]; record: EvidenceRecord }> {
  const ctx = makeVerifyContext({ time: TIME, files });
  const parsed = runtimeManifestKind.parse(manifest);
  const checks = await runtimeManifestKind.verify(parsed, manifest, ctx);
  const [record] = runtimeManifestKind.normalize(parsed, checks, manifest, ctx);
  return { checks, record: record! };
}

function failedCheck(checks: Check[], name: string): Check {
  const c = checks.find((x) => x.name === name);
  expect(c).toBeDefined();
  expect(c!.ok).toBe(false);
  return c!;
}

/** A passing strict invarlock-style report (the fields invarlock's strict report policy reads), with
 *  `assurance` and `meta` overrides. */
function strictReport(assurance: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) {
  const ok = { decision: "allow", passed: true, status: "pass" };
  return {
    assurance: {
      verdict: "pass", report_local_verdict: "pass", blocking_reasons: [], mode: "strict", profile: "release", tier: "balanced",
      canonical_guard_chain_enforced: true, fallback_fields_used: false, claim_set: "invarlock-weight-edit-regression-v1", ...assurance,
    },
    validation: { invariants_pass: true, spectral_stable: true },
    guards: ["invariants", "spectral", "rmt", "variance", "invariants"].map((name) => ({ name })),
    invariants: ok, spectral: ok, rmt: ok, variance: ok,
    meta: { execution_mode: "container", ...meta },
    schema_version: "v1",
  };
}

/** A passing invarlock-style report and a v1 manifest bound to it, under DIR. */
function generatedPair(dir: string, o: { report?: object; manifest?: (m: any, reportSha: string) => void } = {}) {
  const report = o.report ?? strictReport();
  const reportText = JSON.stringify(report, null, 2) + "\n";
  const m: any = {
    manifest_version: 1,
    verifier_contract_version: "runtime-manifest-v1",
    generated_at_utc: "2026-05-30T12:00:00+00:00",
    report: { path: `${dir}/evaluation.report.json`, filename: "evaluation.report.json", sha256: sha256(reportText) },
    config: { path: null, sha256: null, source: "missing" },
    execution_mode: "container",
    runtime: {
      image_ref: "ghcr.io/example/runtime@" + PINNED,
      image_digest: PINNED,
      container_execution: true,
      allow_network: false,
      allow_remote_code: false,
      allow_third_party_plugins: false,
    },
  };
  o.manifest?.(m, sha256(reportText));
  return {
    manifest: sourceFromText(`${dir}/runtime.manifest.json`, JSON.stringify(m, null, 2)),
    report: sourceFromText(`${dir}/evaluation.report.json`, reportText),
    reportText,
    json: m,
  };
}

fixtureDescribe("invarlock public pair (spectral_guard_failure)", () => {
  const dir = fixture("invarlock", "spectral_guard_failure");
  const manifestPath = `${dir}/runtime.manifest.json`;
  const reportPath = `${dir}/evaluation.report.json`;

  test("detects the manifest by content and binds the report's raw bytes", async () => {
    const manifest = sourceFromBytes(manifestPath, new Uint8Array(readFileSync(manifestPath)));
    const report = sourceFromBytes(reportPath, new Uint8Array(readFileSync(reportPath)), false);
    expect(runtimeManifestKind.detect(manifest)).toBe(true);
    expect(runtimeManifestKind.detect(report)).toBe(false);
    expect(report.sha256).toBe("ee55846994207395ab7ffaedab3e9449d8e9d77ce600c4612bd32fe22208779c");

    const { checks, record } = await run(manifest, [manifest, report]);
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ["schema.runtime_manifest", true],
      ["binding.report_sha256", true],
      ["report.parse", true],
      ["binding.execution_mode", true],
    ]);
    expect(record.kind).toBe("runtime-manifest");
    expect(record.integrity.status).toBe("verified");
    expect(record.signature.status).toBe("unsigned");
    expect(record.source.format).toBe("invarlock-runtime-manifest-v1");
    expect(record.source.materials).toEqual([{ path: reportPath, digest: { sha256: report.sha256 } }]);
    const f = record.facts as any;
    expect(f.execution_mode).toBe("container");
    expect(f.image_ref).toBe("ghcr.io/invarlock/invarlock-runtime:public-fixture");
    expect(f.image_digest).toBe("sha256:" + "a".repeat(64));
    expect(f.image_digest_pinned).toBe(true);
    expect(f.container_execution).toBe(true);
    expect([f.allow_network, f.allow_remote_code, f.allow_third_party_plugins]).toEqual([false, false, false]);
    expect(f.config).toEqual({ source: "missing", path: null, sha256: null, binding: "n/a" });
    expect(f.report_bound).toBe(true);
    expect(f.strict_eligible).toBe(true);
    // The report's own outcome: the spectral guard blocked the edit.
    expect(f.outcome.verdict).toBe("fail");
    expect(f.outcome.blocking_reasons).toEqual(["spectral did not pass."]);
    expect(f.outcome.validation_failed).toEqual(["spectral_stable"]);
    expect(f.outcome.validation.invariants_pass).toBe(true);
    expect(f.outcome.guards_blocking).toEqual(["spectral"]);
    expect(f.outcome.guards.map((g: any) => g.name)).toEqual(["invariants", "spectral", "rmt", "variance"]);
    expect(f.outcome.verdict_ok).toBe(false);
    // ... but it is strict assurance evidence: only its failure denies (see the gate tests below).
    expect([f.outcome.assurance_mode, f.outcome.profile, f.outcome.tier]).toEqual(["strict", "release", "balanced"]);
    expect([f.outcome.canonical_guard_chain_enforced, f.outcome.fallback_fields_used, f.outcome.guards_missing]).toEqual([true, false, []]);
    expect(f.outcome.passed).toBe(false);
  });

  test("a directory walk yields one record; the report is a material, not an error", async () => {
    const { files, errors } = await readEvidencePaths([dir]);
    expect(errors).toEqual([]);
    const r = await collectEvidence(files, makeVerifyContext({ time: TIME, files }), KINDS);
    expect(r.errors).toEqual([]);
    expect(r.records.map((x) => x.kind)).toEqual(["runtime-manifest"]);
    expect(r.materials).toEqual([reportPath]);
  });

  test("naming both files explicitly: still one record, the report consumed", async () => {
    const { files } = await readEvidencePaths([manifestPath, reportPath]);
    const r = await collectEvidence(files, makeVerifyContext({ time: TIME, files }), KINDS);
    expect(r.errors).toEqual([]);
    expect(r.records).toHaveLength(1);
  });

  test("the manifest alone: binding_failed naming the expected report path", async () => {
    const { files } = await readEvidencePaths([manifestPath]);
    const r = await collectEvidence(files, makeVerifyContext({ time: TIME, files }), KINDS);
    const rec = r.records[0]!;
    const c = failedCheck(rec.checks, "binding.report_sha256");
    expect(c.code).toBe("binding_failed");
    expect(c.reason).toContain(`report ${reportPath} was not supplied`);
    expect(rec.integrity.status).toBe("failed");
    expect((rec.facts as any).outcome).toBeNull();
    expect((rec.facts as any).strict_eligible).toBe(false);
    expect((rec.facts as any).strict_blockers).toContain("report is not bound to the manifest");
  });

  test("the report alone, named explicitly: input error, report without runtime.manifest.json", async () => {
    const { files } = await readEvidencePaths([reportPath]);
    const r = await collectEvidence(files, makeVerifyContext({ time: TIME, files }), KINDS);
    expect(r.records).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.code).toBe("binding_failed");
    expect(r.errors[0]!.message).toContain("without runtime.manifest.json");
  });

  test("one changed byte in the report: digest_mismatch with both hex values", async () => {
    const manifest = sourceFromBytes(manifestPath, new Uint8Array(readFileSync(manifestPath)));
    const bytes = new Uint8Array(readFileSync(reportPath));
    const i = new TextDecoder().decode(bytes).indexOf('"verdict": "fail"') + '"verdict": "'.length;
    bytes.set(new TextEncoder().encode("pass"), i); // "fail" → "pass": same length, different bytes
    const tampered = sourceFromBytes(reportPath, bytes);
    const { checks, record } = await run(manifest, [manifest, tampered]);
    const c = failedCheck(checks, "binding.report_sha256");
    expect(c.code).toBe("digest_mismatch");
    expect(c.reason).toContain("ee55846994207395ab7ffaedab3e9449d8e9d77ce600c4612bd32fe22208779c");
    expect(c.reason).toContain(tampered.sha256);
    expect(c.detail).toEqual({ path: reportPath, expected: "ee55846994207395ab7ffaedab3e9449d8e9d77ce600c4612bd32fe22208779c", actual: tampered.sha256 });
    // An unbound report's verdict is never read: the forged "pass" does not reach the facts.
    expect((record.facts as any).outcome).toBeNull();
    expect(record.integrity.status).toBe("failed");
  });

  test("re-serialized report (same JSON, different bytes) does not bind: the hash is over raw bytes", async () => {
    const manifest = sourceFromBytes(manifestPath, new Uint8Array(readFileSync(manifestPath)));
    const compact = JSON.stringify(JSON.parse(readFileSync(reportPath, "utf8")));
    const { checks } = await run(manifest, [manifest, sourceFromText(reportPath, compact)]);
    expect(failedCheck(checks, "binding.report_sha256").code).toBe("digest_mismatch");
  });
});

describe("generated manifests", () => {
  test("a passing pair: verified, strict-eligible, outcome passed", async () => {
    const p = generatedPair("/gen/ok");
    const { checks, record } = await run(p.manifest, [p.manifest, p.report]);
    expect(checks.every((c) => c.ok)).toBe(true);
    expect((record.facts as any).outcome.passed).toBe(true);
    expect((record.facts as any).strict_eligible).toBe(true);
    expect((record.facts as any).strict_blockers).toEqual([]);
  });

  test("relative and absolute spellings of the same directory meet", async () => {
    const p = generatedPair("rel/run");
    const abs = sourceFromText(join(process.cwd(), "rel/run/evaluation.report.json"), p.reportText);
    const { checks } = await run(p.manifest, [p.manifest, abs]);
    expect(checks.find((c) => c.name === "binding.report_sha256")?.ok).toBe(true);
  });

  test("a report in another directory is not beside the manifest", async () => {
    const p = generatedPair("/gen/a");
    const elsewhere = sourceFromText("/gen/b/evaluation.report.json", p.reportText);
    const { checks } = await run(p.manifest, [p.manifest, elsewhere]);
    const c = failedCheck(checks, "binding.report_sha256");
    expect(c.code).toBe("binding_failed");
    expect(c.reason).toContain("/gen/a/evaluation.report.json was not supplied");
  });

  test("empty report file: binding_failed, empty", async () => {
    const p = generatedPair("/gen/empty");
    const { checks } = await run(p.manifest, [p.manifest, sourceFromBytes("/gen/empty/evaluation.report.json", new Uint8Array())]);
    const c = failedCheck(checks, "binding.report_sha256");
    expect(c.code).toBe("binding_failed");
    expect(c.reason).toContain("is empty");
  });

  test("report.filename that escapes the directory is refused", async () => {
    const p = generatedPair("/gen/esc", { manifest: (m) => (m.report.filename = "../other/evaluation.report.json") });
    const { checks } = await run(p.manifest, [p.manifest, sourceFromText("/gen/other/evaluation.report.json", p.reportText)]);
    const c = failedCheck(checks, "binding.report_sha256");
    expect(c.code).toBe("binding_failed");
    expect(c.reason).toContain("is not a plain file name");
  });

  test("host-bypass manifest bound to a report that says container: binding.execution_mode fails", async () => {
    const p = generatedPair("/gen/mode", { manifest: (m) => (m.execution_mode = "host-bypass") });
    const { checks, record } = await run(p.manifest, [p.manifest, p.report]);
    const c = failedCheck(checks, "binding.execution_mode");
    expect(c.code).toBe("binding_failed");
    expect(c.reason).toBe("report declares execution_mode container but the manifest records host-bypass");
    expect((record.facts as any).host_bypass).toBe(true);
    expect((record.facts as any).strict_eligible).toBe(false);
  });

  test("host-bypass with an unpinned image: facts say why it is not strict", async () => {
    const p = generatedPair("/gen/host", {
      report: { assurance: { verdict: "pass" }, validation: {}, guards: [], meta: { execution_mode: "host-bypass" } },
      manifest: (m) => {
        m.execution_mode = "host-bypass";
        m.runtime.container_execution = false;
        m.runtime.image_digest = null;
        m.runtime.image_ref = "local";
      },
    });
    const { checks, record } = await run(p.manifest, [p.manifest, p.report]);
    expect(checks.every((c) => c.ok)).toBe(true);
    const f = record.facts as any;
    expect(f.image_digest_pinned).toBe(false);
    expect(f.strict_blockers).toEqual(["execution_mode is host-bypass", "container_execution is false", "runtime image is not digest-pinned"]);
  });

  test("config from a file: verified when supplied and equal, digest_mismatch when not, not_supplied when absent", async () => {
    const cfgText = "model: tiny\n";
    const mk = (sha: string) => generatedPair("/gen/cfg", { manifest: (m) => (m.config = { path: "configs/run.yaml", sha256: sha, source: "file" }) });
    const good = mk(sha256(cfgText));
    const cfg = sourceFromText("/gen/cfg/run.yaml", cfgText);
    let r = await run(good.manifest, [good.manifest, good.report, cfg]);
    expect(r.checks.find((c) => c.name === "binding.config_sha256")?.ok).toBe(true);
    expect((r.record.facts as any).config.binding).toBe("verified");
    expect(r.record.source.materials?.map((m) => m.path)).toEqual(["/gen/cfg/evaluation.report.json", "/gen/cfg/run.yaml"]);

    const bad = mk("c".repeat(64));
    r = await run(bad.manifest, [bad.manifest, bad.report, cfg]);
    const c = failedCheck(r.checks, "binding.config_sha256");
    expect(c.code).toBe("digest_mismatch");
    expect(c.reason).toContain("c".repeat(64));
    expect(c.reason).toContain(sha256(cfgText));

    r = await run(good.manifest, [good.manifest, good.report]);
    expect(r.checks.some((c) => c.name === "binding.config_sha256")).toBe(false);
    expect((r.record.facts as any).config.binding).toBe("not_supplied");
    expect(r.record.integrity.status).toBe("verified");
  });

  test("report that is not JSON but bound: report.parse malformed", async () => {
    const text = "not json at all\n";
    const p = generatedPair("/gen/nj", { manifest: (m) => (m.report.sha256 = sha256(text)) });
    const { checks } = await run(p.manifest, [p.manifest, sourceFromText("/gen/nj/evaluation.report.json", text)]);
    const c = failedCheck(checks, "report.parse");
    expect(c.code).toBe("malformed");
    expect(c.reason).toContain("is not a JSON object");
  });
});

describe("v2 manifests", () => {
  // The artifact identity hash is invarlock's canonical form of the parsed value: json.dumps(sort_keys, compact,
  // ensure_ascii=False), UTF-8. This text exercises non-ASCII, escaped controls and a float kept as 1.0.
  const artifactText = '{"artifact_format":"gguf","artifact_name":"tiny-modèl\\u2028😀\\u007f\\n.gguf","byte_length":123,"format_version":"invarlock/model-artifact-identity-v1","ratio":1.0,"sha256":"' + "1".repeat(64) + '"}\n';
  // python3: a = json.loads(artifactText)
  //          hashlib.sha256(json.dumps(a, ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
  const ARTIFACT_SHA = "59dbb97f7952ec00ee31de26a3414a217ccc3b3a541c60906142322068cd9f90";

  // The bound artifact identity: valid against invarlock's model_artifact_identity schema (gguf), still with
  // non-ASCII and `123.0` (an integer to JSON Schema, and Python's == equals the receipt's 123).
  const identityText = '{"artifact_format":"gguf","artifact_name":"tiny-modèl\\u2028😀\\u007f.gguf","byte_length":123.0,"format_version":"invarlock/model-artifact-identity-v1","gguf_metadata_sha256":"' + "2".repeat(64) + '","sha256":"' + "1".repeat(64) + '","tensor_inventory_sha256":"' + "3".repeat(64) + '","tokenizer_metadata_sha256":"' + "4".repeat(64) + '"}\n';
  // python3: the same hash over json.loads(identityText); jsonschema.Draft202012Validator(schema).validate(...) passes
  const IDENTITY_SHA = "60800052db4af358bb857864ef1440d8243066914964331ebe6f4a40aa750efe";

  // Sidecars shaped like invarlock's own v2 test inputs (tests/test_runtime_manifest_v2.py) and valid against its
  // schemas: the receipt carries the artifact identity and the observation's sha256, the observation the
  // artifact identity's canonical sha256.
  function sidecarTexts(o: { receipt?: (r: any) => void; observation?: (x: any) => void; artifact?: (a: any) => string } = {}) {
    const observation: any = {
      format_version: "invarlock/runtime-scoring-observation-v1",
      provider_name: "llama_cpp",
      artifact_identity_sha256: IDENTITY_SHA,
      schedule_sha256: "6".repeat(64),
      records: [{ record_id: "r1", input_sha256: "7".repeat(64), status: "ok", output_text: "Paris", output_sha256: sha256("Paris"), logprob_sum: null, token_count: null, utf8_byte_count: null, error_code: null }],
      aggregate_source_sha256: "8".repeat(64),
    };
    o.observation?.(observation);
    const observationText = JSON.stringify(observation);
    const receipt: any = {
      format_version: "invarlock/runtime-provider-receipt-v1",
      plugin: { name: "llama_cpp", provider_abi: "1", distribution: "invarlock-llama-cpp", distribution_version: "1.0.0" },
      backend: { name: "llama.cpp", version: "b4500", source_sha256: "5".repeat(64), binary_sha256: null, build_sha256: null },
      capabilities: {
        format_version: "runtime-provider-capabilities-v1",
        provider_name: "llama_cpp",
        provider_abi: "1",
        artifact_formats: ["gguf"],
        tasks: ["text_causal"],
        metrics: ["exact_match"],
        execution_modes: ["container"],
        required_extra: null,
        required_image: null,
      },
      artifact_identity: JSON.parse(identityText),
      execution_settings: { seed: 0, context_length: 2048, batch_size: 1, max_output_tokens: 64, timeout_seconds: 600, allow_network: false },
      device: { device_kind: "cpu", device_name: "x86_64", compute_capability: null, driver_version: null, cuda_runtime_version: null },
      outer_image_digest: PINNED,
      scoring_observation_sha256: sha256(observationText),
    };
    o.receipt?.(receipt);
    const artifact = o.artifact ? o.artifact(JSON.parse(identityText)) : identityText;
    return { receipt: JSON.stringify(receipt), scoring_observation: observationText, artifact_identity: artifact };
  }

  function v2(dir: string, tweak?: (m: any) => void, texts: Record<string, string> = sidecarTexts()) {
    const side = { receipt: "receipt.json", scoring_observation: "scoring.json", artifact_identity: "identity.json" };
    const cfgText = "model:\n  id: tiny\n";
    const p = generatedPair(dir, {
      manifest: (m) => {
        m.manifest_version = 2;
        m.verifier_contract_version = "runtime-manifest-v2";
        m.report.path = "evaluation.report.json";
        m.config = { path: "run.yaml", sha256: sha256(cfgText), source: "file" };
        m.outer_container = m.runtime;
        delete m.runtime;
        m.runtime_provider = Object.fromEntries(Object.entries(side).map(([k, f]) => [k, { filename: f, sha256: sha256(texts[k]!) }]));
        tweak?.(m);
      },
    });
    const sidecars = Object.entries(side).map(([k, f]) => sourceFromText(`${dir}/${f}`, texts[k]!));
    const config = sourceFromText(`${dir}/run.yaml`, cfgText);
    return { ...p, sidecars, config, files: [p.manifest, p.report, config, ...sidecars] };
  }

  test("all files bound and cross-bound: verified, sidecar facts", async () => {
    const p = v2("/gen/v2");
    const { checks, record } = await run(p.manifest, p.files);
    expect(checks.map((c) => c.name)).toEqual([
      "schema.runtime_manifest",
      "binding.report_sha256",
      "report.parse",
      "binding.execution_mode",
      "binding.report_path",
      "binding.distinct_files",
      "binding.image_ref",
      "binding.config_sha256",
      "binding.receipt_sha256",
      "schema.runtime_provider.receipt",
      "binding.scoring_observation_sha256",
      "schema.runtime_provider.scoring_observation",
      "binding.artifact_identity_sha256",
      "schema.runtime_provider.artifact_identity",
      "binding.runtime_provider",
    ]);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.find((c) => c.name === "schema.runtime_provider.receipt")!.detail).toEqual({ path: "/gen/v2/receipt.json", schema: "runtime_provider_receipt.schema.json" });
    expect(checks.at(-1)!.detail).toEqual({ provider: "llama_cpp", artifact_identity_sha256: IDENTITY_SHA });
    expect(record.source.format).toBe("invarlock-runtime-manifest-v2");
    expect((record.facts as any).sidecars.map((s: any) => s.bound)).toEqual([true, true, true]);
    expect((record.facts as any).config.binding).toBe("verified");
    expect((record.facts as any).strict_eligible).toBe(true);
    expect(runtimeManifestKind.materials!(p.manifest, p.files).length).toBe(5);
  });

  test("a missing sidecar fails closed; a tampered one is a digest mismatch; contents are then not cross-checked", async () => {
    const p = v2("/gen/v2b");
    const [, scoring, identity] = p.sidecars;
    const tampered = sourceFromText(scoring!.path, '{"s":3}\n');
    const { checks } = await run(p.manifest, [p.manifest, p.report, p.config, tampered, identity!]);
    const missing = failedCheck(checks, "binding.receipt_sha256");
    expect(missing.code).toBe("binding_failed");
    expect(missing.reason).toBe("runtime_provider.receipt /gen/v2b/receipt.json was not supplied: the manifest binds it by sha256 (evaluate the directory holding both, or name both files)");
    expect(failedCheck(checks, "binding.scoring_observation_sha256").code).toBe("digest_mismatch");
    expect(checks.find((c) => c.name === "binding.artifact_identity_sha256")?.ok).toBe(true);
    expect(checks.some((c) => c.name === "binding.runtime_provider")).toBe(false);
  });

  test("the file config is bound like the report: missing fails closed, tampered is a digest mismatch", async () => {
    const p = v2("/gen/v2cfg");
    let r = await run(p.manifest, p.files.filter((f) => f !== p.config));
    let c = failedCheck(r.checks, "binding.config_sha256");
    expect(c.code).toBe("binding_failed");
    expect(c.reason).toStartWith("config /gen/v2cfg/run.yaml was not supplied");
    expect((r.record.facts as any).config.binding).toBe("failed");
    expect(r.record.integrity.status).toBe("failed");
    r = await run(p.manifest, p.files.map((f) => (f === p.config ? sourceFromText(f.path, "tampered: true\n") : f)));
    c = failedCheck(r.checks, "binding.config_sha256");
    expect(c.code).toBe("digest_mismatch");
    expect(c.reason).toContain(sha256("tampered: true\n"));
  });

  test("strict v2 needs a file config: missing or inline is a strict blocker", async () => {
    for (const config of [{ path: null, sha256: null, source: "missing" }, { path: null, sha256: "9".repeat(64), source: "inline" }]) {
      const p = v2("/gen/v2inl", (m) => (m.config = config));
      const { checks, record } = await run(p.manifest, p.files);
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      expect((record.facts as any).strict_eligible).toBe(false);
      expect((record.facts as any).strict_blockers).toEqual([`config.source is ${config.source}: strict v2 needs a verifiable file config`]);
    }
  });

  test("report.path must name the report as report.filename does", async () => {
    const p = v2("/gen/v2path", (m) => (m.report.path = "renamed.report.json"));
    const c = failedCheck((await run(p.manifest, p.files)).checks, "binding.report_path");
    expect(c.code).toBe("binding_failed");
    expect(c.reason).toBe('report.path "renamed.report.json" does not match report.filename "evaluation.report.json": a v2 manifest names the report beside it by both');
  });

  test("colliding bound names: provider files not distinct, a provider file named like the report, the config named like a sidecar", async () => {
    const p = v2("/gen/v2dup", (m) => {
      m.runtime_provider.receipt = { ...m.runtime_provider.artifact_identity };
      m.runtime_provider.scoring_observation = { ...m.runtime_provider.scoring_observation, filename: "evaluation.report.json" };
      m.config.path = "identity.json";
    });
    const c = failedCheck((await run(p.manifest, p.files)).checks, "binding.distinct_files");
    expect(c.code).toBe("binding_failed");
    expect(c.detail!.problems).toEqual([
      "runtime provider binding filenames must be distinct",
      "runtime provider bindings collide with the report or manifest: evaluation.report.json",
      "file config identity.json collides with a runtime provider binding",
    ]);
    const q = v2("/gen/v2dup2", (m) => (m.config.path = "runtime.manifest.json"));
    expect(failedCheck((await run(q.manifest, q.files)).checks, "binding.distinct_files").reason).toBe("file config runtime.manifest.json collides with the report or manifest");
  });

  test("image_ref must pin image_digest: the digest itself or name@digest, one @", async () => {
    expect(imageRefBindsDigest(PINNED, PINNED)).toBe(true);
    expect(imageRefBindsDigest(`ghcr.io/x/y@${PINNED}`, PINNED)).toBe(true);
    expect(imageRefBindsDigest(`@${PINNED}`, PINNED)).toBe(false);
    expect(imageRefBindsDigest(`a@b@${PINNED}`, PINNED)).toBe(false);
    expect(imageRefBindsDigest("ghcr.io/x/y:latest", PINNED)).toBe(false);
    expect(imageRefBindsDigest(`ghcr.io/x/y@sha256:${"c".repeat(64)}`, PINNED)).toBe(false);
    const p = v2("/gen/v2ref", (m) => (m.outer_container.image_ref = "ghcr.io/example/runtime:latest"));
    const c = failedCheck((await run(p.manifest, p.files)).checks, "binding.image_ref");
    expect(c.code).toBe("binding_failed");
    expect(c.reason).toBe(`outer_container.image_ref ghcr.io/example/runtime:latest does not pin image_digest ${PINNED} (expected the digest itself or <name>@${PINNED})`);
  });

  // Each cross-binding invarlock's v2 verifier enforces, with the sidecars re-bound by sha256 so only the
  // contents disagree.
  const crossCases: [string, Parameters<typeof sidecarTexts>[0], string][] = [
    ["receipt artifact_identity edited", { receipt: (r) => (r.artifact_identity.byte_length = 124) }, "receipt artifact_identity does not match the bound artifact file"],
    ["observation sha256 in the receipt", { receipt: (r) => (r.scoring_observation_sha256 = "9".repeat(64)) }, `receipt scoring_observation_sha256 "${"9".repeat(64)}" does not match the observation bytes`],
    ["plugin name", { receipt: (r) => (r.plugin.name = "other_provider") }, 'receipt and observation provider names do not agree (plugin.name "other_provider", capabilities.provider_name "llama_cpp", observation provider_name "llama_cpp")'],
    ["observation artifact sha256", { observation: (x) => (x.artifact_identity_sha256 = "9".repeat(64)) }, `observation artifact_identity_sha256 "${"9".repeat(64)}" does not match the bound artifact (sha256 ${IDENTITY_SHA})`],
    ["receipt outer image digest", { receipt: (r) => (r.outer_image_digest = "sha256:" + "c".repeat(64)) }, `receipt outer_image_digest "sha256:${"c".repeat(64)}" does not match outer_container.image_digest ${PINNED}`],
    ["artifact format not declared", { receipt: (r) => (r.capabilities.artifact_formats = ["hf_snapshot"]) }, 'bound artifact format "gguf" is not declared by provider capabilities (artifact_formats ["hf_snapshot"])'],
  ];
  for (const [what, tweak, reason] of crossCases) {
    test(`cross-binding: ${what}`, async () => {
      const p = v2("/gen/v2x", undefined, sidecarTexts(tweak));
      const { checks, record } = await run(p.manifest, p.files);
      expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(["binding.runtime_provider"]);
      const c = failedCheck(checks, "binding.runtime_provider");
      expect(c.code).toBe("binding_failed");
      expect(c.detail!.problems).toHaveLength(1);
      expect(c.reason).toStartWith(reason);
      expect(record.integrity.status).toBe("failed");
    });
  }

  test("sidecars must be strict JSON objects: duplicate key, NaN, truncated, an array, a byte order mark", async () => {
    const fileName: Record<string, string> = { receipt: "receipt.json", scoring_observation: "scoring.json", artifact_identity: "identity.json" };
    const cases: [string, string, string][] = [
      ["receipt", '{"value":1,"value":2}', "is not strict JSON: duplicate key"],
      ["scoring_observation", '{"value":NaN}', "is not strict JSON: NaN is not JSON"],
      ["artifact_identity", "[", "is not strict JSON: unexpected end of input"],
      ["receipt", "[]", "is not a JSON object"],
      // invarlock's parse_json_bytes refuses a BOM; SourceFile.text() would silently drop it.
      ["receipt", "\ufeff" + sidecarTexts().receipt, "is not strict JSON: starts with a UTF-8 byte order mark"],
    ];
    for (const [role, text, reason] of cases) {
      const texts = { ...sidecarTexts(), [role]: text };
      const p = v2("/gen/v2j", undefined, texts);
      const { checks } = await run(p.manifest, p.files);
      const c = failedCheck(checks, `schema.runtime_provider.${role}`);
      expect(c.code).toBe("malformed");
      expect(c.reason).toStartWith(`runtime_provider.${role} /gen/v2j/${fileName[role]} ${reason}`);
      expect(checks.filter((x) => !x.ok).map((x) => x.name)).toEqual([`schema.runtime_provider.${role}`]);
    }
  });

  // Each sidecar against invarlock's own schema for it: the failed check names the file and the first error
  // (as invarlock picks it: first by instance path, a failed oneOf/anyOf standing for its branches; python3 with
  // jsonschema reports the same location for each case), and nothing is cross-checked.
  const schemaCases: [string, Parameters<typeof sidecarTexts>[0], string, string][] = [
    ["receipt", { receipt: (r) => delete r.capabilities.provider_name }, "receipt.json", "runtime_provider_receipt.schema.json: /capabilities must have required property 'provider_name'"],
    ["receipt", { receipt: (r) => (r.outer_image_digest = "sha256:" + "B".repeat(64)) }, "receipt.json", "runtime_provider_receipt.schema.json: /outer_image_digest must match a schema in anyOf"],
    ["receipt", { receipt: (r) => (r.plugin.vendor = "x") }, "receipt.json", "runtime_provider_receipt.schema.json: /plugin must NOT have additional properties (vendor)"],
    ["scoring_observation", { observation: (x) => (x.records = []) }, "scoring.json", "runtime_scoring_observation.schema.json: /records must NOT have fewer than 1 items"],
    ["scoring_observation", { observation: (x) => delete x.schedule_sha256 }, "scoring.json", "runtime_scoring_observation.schema.json: / must have required property 'schedule_sha256'"],
    ["scoring_observation", { observation: (x) => (x.records[0].status = "error") }, "scoring.json", "runtime_scoring_observation.schema.json: /records/0/error_code must be string"],
    ["artifact_identity", { artifact: (a) => JSON.stringify({ ...a, ratio: 1 }) }, "identity.json", "model_artifact_identity.schema.json: / must match exactly one schema in oneOf"],
    ["artifact_identity", { artifact: (a) => JSON.stringify({ ...a, artifact_name: "../x.gguf" }).replace('"../x.gguf"', '"dir/x.gguf"') }, "identity.json", "model_artifact_identity.schema.json: / must match exactly one schema in oneOf"],
  ];
  for (const [role, tweak, fileName, reason] of schemaCases) {
    test(`schema: ${role} ${reason.split(": ").slice(1).join(": ")}`, async () => {
      const p = v2("/gen/v2s", undefined, sidecarTexts(tweak));
      const { checks, record } = await run(p.manifest, p.files);
      expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([`schema.runtime_provider.${role}`]);
      const c = failedCheck(checks, `schema.runtime_provider.${role}`);
      expect(c.code).toBe("schema_invalid");
      expect(c.reason).toBe(`runtime_provider.${role} /gen/v2s/${fileName} does not match invarlock's ${reason}`);
      expect(checks.some((x) => x.name === "binding.runtime_provider")).toBe(false);
      expect(record.integrity).toEqual({ status: "failed", reason: c.reason! });
    });
  }

  test("the artifact identity hash is Python's ensure_ascii=False form (non-ASCII raw, controls escaped, 1.0 kept)", () => {
    expect(artifactIdentitySha256(parseJsonTree(artifactText))).toBe(ARTIFACT_SHA);
    expect(unescapeNonAscii(String.raw`"\\u00e9\u00e9\n\u007f\ud83d\ude00\u0001"`)).toBe(String.raw`"\\u00e9` + "é" + String.raw`\n` + "\u007f😀" + String.raw`\u0001"`);
    expect(() => unescapeNonAscii(String.raw`"\ud800"`)).toThrow(/lone surrogate/);
  });

  test("the receipt's artifact identity is compared with Python's == (as invarlock does), not by text", () => {
    const eq = (a: string, b: string) => pythonEqual(parseJsonTree(a), parseJsonTree(b));
    // python3: 9007199254740993 == 9007199254740992.0 → False; True == 1.0 → True;
    //          {"a":[1,{"b":0}]} == {"a":[1.0,{"b":False}]} → True; "1" == 1 → False; None == 0 → False
    expect(eq("9007199254740993", "9007199254740992.0")).toBe(false);
    expect(eq("true", "1.0")).toBe(true);
    expect(eq('{"a":[1,{"b":0}]}', '{"a":[1.0,{"b":false}]}')).toBe(true);
    expect(eq('"1"', "1")).toBe(false);
    expect(eq("null", "0")).toBe(false);
    expect(eq('{"a":1}', '{"a":1,"b":null}')).toBe(false);
    expect(eq("[1,2]", "[2,1]")).toBe(false);
  });

  test("v2 refuses host-bypass and unpinned images at the schema", () => {
    const p = v2("/gen/v2c", (m) => (m.execution_mode = "host-bypass"));
    const e = thrown(() => parseRuntimeManifest(p.manifest));
    expect(e.code).toBe("schema_invalid");
    expect(e.message).toContain("/execution_mode");
    const q = v2("/gen/v2d", (m) => (m.outer_container.image_digest = null));
    expect(() => parseRuntimeManifest(q.manifest)).toThrow(/\/outer_container\/image_digest/);
  });
});

describe("malformed manifests", () => {
  const codeOf = (f: SourceFile) => thrown(() => parseRuntimeManifest(f));

  test("missing runtime field: schema_invalid naming it", () => {
    const p = generatedPair("/m/a", { manifest: (m) => delete m.runtime.allow_network });
    const r = codeOf(p.manifest);
    expect(r.code).toBe("schema_invalid");
    expect(r.message).toContain("/runtime must have required property 'allow_network'");
  });

  test("uppercase report sha256 is not the contract's hex: schema_invalid", () => {
    const p = generatedPair("/m/b", { manifest: (m, s) => (m.report.sha256 = s.toUpperCase()) });
    expect(codeOf(p.manifest).message).toContain("/report/sha256");
  });

  test("an unknown manifest_version is unsupported, naming the known ones", () => {
    const p = generatedPair("/m/c", { manifest: (m) => { m.manifest_version = 3; m.verifier_contract_version = "runtime-manifest-v3"; } });
    expect(runtimeManifestKind.detect(p.manifest)).toBe(true);
    const r = codeOf(p.manifest);
    expect(r.code).toBe("unsupported");
    expect(r.message).toContain("manifest_version 3");
    expect(r.message).toContain("runtime-manifest-v1");
  });

  test("version and contract disagree: schema_invalid", () => {
    const p = generatedPair("/m/d", { manifest: (m) => (m.verifier_contract_version = "runtime-manifest-v2") });
    expect(codeOf(p.manifest).code).toBe("schema_invalid");
  });

  test("truncated manifest: not detected, and parse says malformed", async () => {
    const p = generatedPair("/m/e");
    const text = JSON.stringify(p.json).slice(0, 80);
    const f = sourceFromText("/m/e/runtime.manifest.json", text);
    expect(runtimeManifestKind.detect(f)).toBe(false);
    expect(codeOf(f).code).toBe("malformed");
    const r = await collectEvidence([f], makeVerifyContext({ time: TIME, files: [f] }), KINDS);
    expect(r.errors[0]?.code).toBe("malformed");
  });

  test("the manifest is read as strict JSON, as invarlock reads it: a duplicate key or a BOM is malformed", () => {
    const p = generatedPair("/m/s");
    const text = p.manifest.text()!;
    const dup = sourceFromText(p.manifest.path, text.replace('"execution_mode": "container"', '"execution_mode": "host-bypass", "execution_mode": "container"'));
    let e = codeOf(dup);
    expect(e.code).toBe("malformed");
    expect(e.message).toBe('runtime manifest is not strict JSON: duplicate key "execution_mode" in an object (ambiguous: parsers disagree on which value counts)');
    e = codeOf(sourceFromText(p.manifest.path, "\ufeff" + text));
    expect(e.code).toBe("malformed");
    expect(e.message).toBe("runtime manifest is not strict JSON: starts with a UTF-8 byte order mark (Python's json.loads rejects it)");
  });

  test("an orphan report found by walking a directory is an input error too, never silently skipped", async () => {
    const p = generatedPair("/m/f");
    const walked = sourceFromText("/m/f/evaluation.report.json", p.reportText, false);
    const r = await collectEvidence([walked], makeVerifyContext({ time: TIME, files: [walked] }), KINDS);
    expect(r.skipped).toEqual([]);
    expect(r.errors).toEqual([{ source: "/m/f/evaluation.report.json", code: "binding_failed", message: expect.stringContaining("invarlock evaluation report without runtime.manifest.json") }]);
    // Beside its manifest the same walked report is a material, not an error.
    const walkedManifest = sourceFromText(p.manifest.path, p.manifest.text()!, false);
    const both = await collectEvidence([walkedManifest, walked], makeVerifyContext({ time: TIME, files: [walkedManifest, walked] }), KINDS);
    expect(both.errors).toEqual([]);
    expect(both.materials).toEqual(["/m/f/evaluation.report.json"]);
  });

  test("a schema-invalid manifest still claims the report it names: one error, the manifest's", async () => {
    const p = generatedPair("/m/h", { manifest: (m) => (m.generated_at_utc = "2026-05-30T12:00:00.123456") });
    const walkedManifest = sourceFromText(p.manifest.path, p.manifest.text()!, false);
    const walked = sourceFromText(p.report.path, p.reportText, false);
    const r = await collectEvidence([walkedManifest, walked], makeVerifyContext({ time: TIME, files: [walkedManifest, walked] }), KINDS);
    expect(r.records).toEqual([]);
    expect(r.errors).toEqual([{ source: "/m/h/runtime.manifest.json", code: "schema_invalid", message: 'runtime manifest does not match runtime-manifest-v1: /generated_at_utc must match format "date-time"' }]);
    expect(r.materials).toEqual(["/m/h/evaluation.report.json"]);
  });

  test("verifyRuntimeManifest is pure: same inputs, same checks", () => {
    const p = generatedPair("/m/g");
    const m = parseRuntimeManifest(p.manifest);
    expect(verifyRuntimeManifest(m, p.manifest, [p.manifest, p.report]).checks).toEqual(verifyRuntimeManifest(m, p.manifest, [p.report, p.manifest]).checks);
  });
});

// ---- the gate over real records: collect → input document → the real opa over policies/ ----------------


const decide = decideBothEngines;

/** runtime.* rule → messages, from the decision over the records of FILES. */
async function runtimeRules(files: SourceFile[], data: Record<string, unknown>): Promise<Record<string, string[]>> {
  const ctx = makeVerifyContext({ time: TIME, files });
  const { records, errors } = await collectEvidence(files, ctx, KINDS);
  const input = buildInputDocument({ time: TIME.toISOString(), subject: { digest: { sha256: "0".repeat(64) } }, trust: { keys: [], identities: [] } }, records, errors);
  validateInputDocument(input);
  const out: Record<string, string[]> = {};
  for (const d of (await decide(input, data)).deny) {
    if (d.rule.startsWith("runtime.")) (out[d.rule] ??= []).push(d.msg);
  }
  return out;
}

fixtureDescribe("runtime.* rules over the real pair (opa eval and WASM)", () => {
  const dir = fixture("invarlock", "spectral_guard_failure");
  const read = async () => (await readEvidencePaths([dir])).files;

  test("expected digest supplied and equal: only the report's own failure denies", async () => {
    const rules = await runtimeRules(await read(), { expected_runtime_image_digest: "sha256:" + "a".repeat(64) });
    expect(Object.keys(rules).sort()).toEqual(["runtime.report-guard", "runtime.report-validation", "runtime.report-verdict"]);
    expect(rules["runtime.report-verdict"]).toEqual(["evaluation report verdict is fail: spectral did not pass."]);
    expect(rules["runtime.report-guard"]).toEqual(["evaluation guard spectral blocked (decision block, status fail)"]);
  });

  test("no expected digest in data: strict assurance is denied, saying it needs one", async () => {
    const rules = await runtimeRules(await read(), {});
    expect(rules["runtime.expected-digest"]?.[0]).toContain("independently supplied expected runtime image digest");
  });

  test("another expected digest: runtime.image-digest names both", async () => {
    const rules = await runtimeRules(await read(), { expected_runtime_image_digest: PINNED });
    expect(rules["runtime.image-digest"]).toEqual([`runtime image digest sha256:${"a".repeat(64)} differs from the expected ${PINNED}`]);
  });

  test("the manifest without its report: runtime.integrity names the missing file", async () => {
    const files = (await read()).filter((f) => f.path.endsWith("runtime.manifest.json"));
    const rules = await runtimeRules(files, { expected_runtime_image_digest: "sha256:" + "a".repeat(64) });
    expect(rules["runtime.integrity"]?.[0]).toContain(`${dir}/evaluation.report.json was not supplied`);
    expect(rules["runtime.report-verdict"]).toBeUndefined(); // nothing is read from a report that is not bound
  });
});

describe("runtime.* rules over generated pairs (opa eval and WASM)", () => {
  test("a passing, pinned, bound container run with the expected digest: no runtime denial, requirement met", async () => {
    const p = generatedPair("/gate/ok");
    expect(await runtimeRules([p.manifest, p.report], { expected_runtime_image_digest: PINNED, required_evidence: ["runtime-manifest"] })).toEqual({});
  });

  // What `invarlock evaluate` writes for a passing strict container run (its own test asserts these values):
  // the verdict waits for the runtime-provenance verification this gate performs.
  const pendingReport = (local: string) =>
    strictReport({ verdict: "pending_verifier", report_local_verdict: local, verified_assurance_verdict: "pending", runtime_provenance_verification_status: "pending" });

  test("a strict report pending the verifier (local verdict pass): admitted once the gate's own provenance checks pass", async () => {
    const p = generatedPair("/gate/pending", { report: pendingReport("pass") });
    const { record } = await run(p.manifest, [p.manifest, p.report]);
    expect((record.facts as any).outcome).toMatchObject({ verdict: "pending_verifier", report_local_verdict: "pass", verdict_ok: true, passed: true });
    const data = { expected_runtime_image_digest: PINNED, required_evidence: ["runtime-manifest"] };
    expect(await runtimeRules([p.manifest, p.report], data)).toEqual({});
    // Without the independent digest the pending verdict is not enough: nothing verified the provenance.
    expect(Object.keys(await runtimeRules([p.manifest, p.report], { required_evidence: ["runtime-manifest"] })).sort()).toEqual(["runtime.expected-digest", "runtime.required"]);
  });

  test("pending the verifier with a local verdict other than pass: runtime.report-verdict says both", async () => {
    const p = generatedPair("/gate/pending-fail", { report: pendingReport("fail") });
    const rules = await runtimeRules([p.manifest, p.report], { expected_runtime_image_digest: PINNED });
    expect(rules).toEqual({ "runtime.report-verdict": ["evaluation report verdict is pending_verifier (report_local_verdict fail)"] });
  });

  test("a passing report that is not strict assurance evidence: runtime.report-assurance names each problem", async () => {
    const p = generatedPair("/gate/lax", { report: { ...strictReport({ mode: "off", profile: "dev", fallback_fields_used: true }), rmt: {} } });
    const { record } = await run(p.manifest, [p.manifest, p.report]);
    expect((record.facts as any).outcome).toMatchObject({ assurance_mode: "off", profile: "dev", tier: "balanced", fallback_fields_used: true, canonical_guard_chain_enforced: true, guards_missing: ["rmt"], passed: true });
    const rules = await runtimeRules([p.manifest, p.report], { expected_runtime_image_digest: PINNED, required_evidence: ["runtime-manifest"] });
    expect(Object.keys(rules).sort()).toEqual(["runtime.report-assurance", "runtime.required"]);
    expect(rules["runtime.report-assurance"]!.sort()).toEqual([
      "evaluation report is not strict assurance evidence: assurance mode is off, not strict",
      "evaluation report is not strict assurance evidence: profile is dev, not ci or release",
      "evaluation report is not strict assurance evidence: rmt guard evidence is missing",
      "evaluation report is not strict assurance evidence: the report used synthesized or repaired fields (fallback_fields_used)",
    ]);
  });

  test("host-bypass with remote code and network: each denied under its own rule", async () => {
    const p = generatedPair("/gate/host", {
      report: strictReport({}, { execution_mode: "host-bypass" }),
      manifest: (m) => {
        m.execution_mode = "host-bypass";
        m.runtime.container_execution = false;
        m.runtime.allow_remote_code = true;
        m.runtime.allow_network = true;
      },
    });
    const rules = await runtimeRules([p.manifest, p.report], { expected_runtime_image_digest: PINNED, required_evidence: ["runtime-manifest"] });
    expect(Object.keys(rules).sort()).toEqual(["runtime.host-bypass", "runtime.network", "runtime.remote-code", "runtime.required"]);
    const allowed = await runtimeRules([p.manifest, p.report], { expected_runtime_image_digest: PINNED, runtime_allow_network: true });
    expect(Object.keys(allowed).sort()).toEqual(["runtime.host-bypass", "runtime.remote-code"]);
  });
});
