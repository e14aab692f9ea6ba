// Every strict claim invarlock's own strict verification makes (assurance.strict_report_policy_errors and the
// runtime-provenance guide, seed 000), each denied on a variant of the real public pair: the fixture is copied
// into a temp dir, made to pass, then exactly one claim is changed and the manifest's report.sha256 re-bound, so
// the claim under test is the only difference. Decisions come from both engines (opa eval and WASM).
import { afterAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildInputDocument, validateInputDocument } from "../src/core/input.ts";
import { collectEvidence, readEvidencePaths } from "../src/evidence/collect.ts";
import { makeVerifyContext } from "../src/evidence/source.ts";
import { tollgate } from "./support/cli.ts";
import { fixture, fixtureDescribe } from "./support/fixtures.ts";
import { decideBothEngines } from "./support/gate-parity.ts";

const TIME = new Date("2026-06-01T00:00:00Z");
const DIGEST = "sha256:" + "a".repeat(64); // the fixture's runtime image digest, supplied independently
const STRICT = { required_evidence: ["runtime-manifest"], expected_runtime_image_digest: DIGEST };
const root = mkdtempSync(join(tmpdir(), "tollgate-invarlock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Json = any;
let n = 0;

/**
 * A copy of the real pair under a fresh temp dir: the report made passing (spectral passed, its validation flag
 * true, verdict pending_verifier as invarlock writes for a locally passing strict run), then `edit` applied to
 * the report and `editManifest` to the manifest, the manifest re-bound to the edited report's bytes.
 */
function variant(edit: (r: Json) => void = () => {}, editManifest: (m: Json) => void = () => {}): string {
  const dir = join(root, `v${++n}`);
  cpSync(fixture("invarlock", "spectral_guard_failure"), dir, { recursive: true });
  const report = JSON.parse(readFileSync(join(dir, "evaluation.report.json"), "utf8"));
  Object.assign(report.spectral, { decision: "allow", passed: true, status: "pass", violations: [], diagnostics: [] });
  report.validation.spectral_stable = true;
  Object.assign(report.assurance, { verdict: "pending_verifier", report_local_verdict: "pass", verified_assurance_verdict: "pending", blocking_reasons: [] });
  edit(report);
  const text = JSON.stringify(report, null, 2) + "\n";
  writeFileSync(join(dir, "evaluation.report.json"), text);
  const manifest = JSON.parse(readFileSync(join(dir, "runtime.manifest.json"), "utf8"));
  manifest.report.sha256 = createHash("sha256").update(text).digest("hex");
  editManifest(manifest);
  writeFileSync(join(dir, "runtime.manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return dir;
}

async function decide(dir: string, data: Record<string, unknown> = STRICT) {
  const { files, errors: readErrors } = await readEvidencePaths([dir]);
  expect(readErrors).toEqual([]);
  const ctx = makeVerifyContext({ time: TIME, files });
  const { records, errors } = await collectEvidence(files, ctx);
  expect(errors).toEqual([]);
  const input = buildInputDocument({ time: TIME.toISOString(), subject: { digest: { sha256: "0".repeat(64) } }, trust: { keys: [], identities: [] } }, records, errors);
  validateInputDocument(input);
  const d = await decideBothEngines(input, data);
  const pick = (rs: { rule: string; msg: string }[]) => {
    const out: Record<string, string[]> = {};
    for (const r of rs) if (r.rule.startsWith("runtime.")) (out[r.rule] ??= []).push(r.msg);
    for (const k of Object.keys(out)) out[k]!.sort();
    return out;
  };
  return { deny: pick(d.deny), warn: pick(d.warn), facts: records[0]!.facts as Json };
}

/** The variant is denied as strict evidence with exactly MSG (runtime.required because nothing else meets it). */
async function deniedWith(dir: string, msg: string) {
  const { deny } = await decide(dir);
  expect(deny).toEqual({ "runtime.required": ["no runtime manifest bound to its evaluation report meets strict assurance"], "runtime.report-assurance": [`evaluation report is not strict assurance evidence: ${msg}`] });
}

fixtureDescribe("strict claims on variants of the real invarlock pair", () => {
  test("the passing variant meets the requirement: no runtime denial (so each case below differs by one claim)", async () => {
    const { deny, facts } = await decide(variant());
    expect(deny).toEqual({});
    expect(facts.outcome).toMatchObject({
      claim_set: "invarlock-weight-edit-regression-v1",
      guard_chain_observed: ["invariants", "spectral", "rmt", "variance", "invariants"],
      guard_chain_canonical: true,
      report_build_events: [],
      tiny_relax: false,
      runtime_provenance_verification_status: "pending",
      passed: true,
    });
  });

  test("the real fixture itself: the spectral regression denies", async () => {
    const { deny } = await decide(fixture("invarlock", "spectral_guard_failure"));
    expect(Object.keys(deny).sort()).toEqual(["runtime.report-guard", "runtime.report-validation", "runtime.report-verdict", "runtime.required"]);
  });

  test("unknown assurance.claim_set", async () => {
    await deniedWith(variant((r) => (r.assurance.claim_set = "invarlock-weight-edit-regression-v0")), "claim_set is invarlock-weight-edit-regression-v0, not invarlock-weight-edit-regression-v1");
    await deniedWith(variant((r) => delete r.assurance.claim_set), "claim_set is null, not invarlock-weight-edit-regression-v1");
  });

  test("guard_chain_observed not the canonical chain, though canonical_guard_chain_enforced says true", async () => {
    const dir = variant((r) => (r.assurance.guard_chain_observed = ["invariants", "spectral", "variance", "invariants"]));
    await deniedWith(dir, "observed guard chain [invariants, spectral, variance, invariants] is not the canonical chain [invariants, spectral, rmt, variance, invariants]");
  });

  test("no guard_chain_observed: the chain comes from guards[], as invarlock reads it", async () => {
    const dir = variant((r) => {
      delete r.assurance.guard_chain_observed;
      r.guards = r.guards.slice(1);
    });
    await deniedWith(dir, "observed guard chain [spectral, rmt, variance, invariants] is not the canonical chain [invariants, spectral, rmt, variance, invariants]");
  });

  test("report_build records synthesized or repaired fields", async () => {
    await deniedWith(
      variant((r) => (r.report_build = { synthesized_fields: [{ field: "primary_metric.ci", reason: "bootstrap_unavailable" }] })),
      "report_build records synthesized_fields: primary_metric.ci (bootstrap_unavailable): strict assurance forbids synthesized or repaired fields",
    );
    await deniedWith(
      variant((r) => (r.report_build = { repaired_fields: [{ field: "dataset.windows.stats", reason: "recomputed" }] })),
      "report_build records repaired_fields: dataset.windows.stats (recomputed): strict assurance forbids synthesized or repaired fields",
    );
  });

  test("report_build's one exempt event (display_ci computed from the primary metric's ci) stays strict", async () => {
    const { deny } = await decide(variant((r) => (r.report_build = { synthesized_fields: [{ field: "primary_metric.display_ci", reason: "computed_from_primary_metric_ci" }] })));
    expect(deny).toEqual({});
  });

  test("a guard with supported: false and assurance_blocking: true", async () => {
    const dir = variant((r) => Object.assign(r.rmt, { supported: false, assurance_blocking: true, reason: "model family not covered" }));
    await deniedWith(dir, "rmt guard is unsupported for strict assurance (supported false, assurance_blocking true): model family not covered");
  });

  test("a degraded or monitor-only guard", async () => {
    await deniedWith(variant((r) => (r.variance.status = "monitor_only")), "variance guard status monitor_only is not strict-assurance passing");
    await deniedWith(variant((r) => (r.invariants.status = "degraded")), "invariants guard status degraded is not strict-assurance passing");
  });

  test("a guard section with no pass evidence (no decision, passed, status or supported)", async () => {
    await deniedWith(variant((r) => (r.rmt = { metrics: { checked: 0 } })), "rmt guard has no pass evidence (no decision, passed or passing status)");
  });

  test("a missing guard section", async () => {
    await deniedWith(variant((r) => delete r.variance), "variance guard evidence is missing");
  });

  test("synthesized fields flagged by the report itself (fallback_fields_used)", async () => {
    await deniedWith(variant((r) => (r.assurance.fallback_fields_used = true)), "the report used synthesized or repaired fields (fallback_fields_used)");
  });

  test("the development-only tiny_relax policy", async () => {
    await deniedWith(variant((r) => (r.context.run = { tiny_relax: "yes" })), "the report declares the development-only tiny_relax policy");
  });

  test("host provenance declared by the report; provenance verification neither pending nor verified", async () => {
    await deniedWith(variant((r) => (r.assurance.runtime_provenance_declared = "host")), "the report declares runtime provenance host, not container");
    await deniedWith(variant((r) => (r.assurance.runtime_provenance_verification_status = "skipped")), "runtime_provenance_verification_status is skipped, not pending or verified");
  });

  test("assurance mode, profile and tier (read as invarlock does: trimmed, lower-cased, context and auto fallbacks)", async () => {
    await deniedWith(variant((r) => (r.assurance.mode = "off")), "assurance mode is off, not strict");
    await deniedWith(variant((r) => (r.assurance.profile = "dev")), "profile is dev, not ci or release");
    await deniedWith(variant((r) => {
      delete r.assurance.tier;
      r.auto.tier = "Aggressive";
    }), "tier is aggressive, not balanced or conservative");
  });

  test("manifest claims the seed names: container execution, pinned and expected image, remote code, plugins, network", async () => {
    const rules = async (m: (m: Json) => void, data: Record<string, unknown> = STRICT) => Object.keys((await decide(variant(() => {}, m), data)).deny).sort();
    expect(await rules((m) => (m.runtime.container_execution = false))).toEqual(["runtime.container-execution", "runtime.required"]);
    expect(await rules((m) => (m.runtime.image_digest = null))).toEqual(["runtime.image-unpinned", "runtime.required"]);
    expect(await rules((m) => (m.runtime.image_digest = "sha256:" + "c".repeat(64)))).toEqual(["runtime.image-digest", "runtime.required"]);
    expect(await rules((m) => (m.runtime.allow_remote_code = true))).toEqual(["runtime.remote-code", "runtime.required"]);
    expect(await rules((m) => (m.runtime.allow_third_party_plugins = true))).toEqual(["runtime.required", "runtime.third-party-plugins"]);
    expect(await rules((m) => (m.runtime.allow_network = true))).toEqual(["runtime.network", "runtime.required"]);
    expect(await rules((m) => (m.runtime.allow_network = true), { ...STRICT, runtime_allow_network: true })).toEqual([]);
    expect(await rules(() => {}, { required_evidence: ["runtime-manifest"] })).toEqual(["runtime.expected-digest", "runtime.required"]);
  }, 60_000);

  test("host execution forfeits strict assurance", async () => {
    const dir = variant(
      (r) => {
        r.meta.execution_mode = r.context.runtime.execution_mode = r.provenance.execution_mode = "host-bypass";
      },
      (m) => {
        m.execution_mode = "host-bypass";
        m.runtime.container_execution = false;
      },
    );
    expect(Object.keys((await decide(dir)).deny).sort()).toEqual(["runtime.host-bypass", "runtime.required"]);
  });
});

fixtureDescribe("a declared non-assurance run (host, assurance off) on a variant of the real pair", () => {
  // What `invarlock evaluate --execution-mode host --assurance off` writes: mode off, verdict pass, host-bypass.
  const hostOff = (edit: (r: Json) => void = () => {}) =>
    variant(
      (r) => {
        r.meta.execution_mode = r.context.runtime.execution_mode = r.provenance.execution_mode = "host-bypass";
        Object.assign(r.assurance, { mode: "off", verdict: "pass", report_local_verdict: "pass", runtime_provenance_declared: "host-bypass" });
        edit(r);
      },
      (m) => {
        m.execution_mode = "host-bypass";
        m.runtime.container_execution = false;
        m.runtime.image_digest = null;
      },
    );

  test("by default it is gated as strict and denied", async () => {
    const { deny } = await decide(hostOff(), { required_evidence: ["runtime-manifest"] });
    expect(Object.keys(deny).sort()).toEqual(["runtime.expected-digest", "runtime.host-bypass", "runtime.image-unpinned", "runtime.report-assurance", "runtime.required"]);
  });

  test("with runtime_assurance: off it is gated as what it declares: admitted, with a warning saying so", async () => {
    const { deny, warn } = await decide(hostOff(), { required_evidence: ["runtime-manifest"], runtime_assurance: "off" });
    expect(deny).toEqual({});
    expect(warn).toEqual({ "runtime.non-assurance": ["evaluation declares assurance off (execution_mode host-bypass): gated as a non-assurance run, not as strict assurance"] });
  });

  test("a non-assurance run must still have passed: a failing guard denies", async () => {
    const dir = hostOff((r) => {
      Object.assign(r.spectral, { decision: "block", passed: false, status: "fail" });
      r.validation.spectral_stable = false;
    });
    const { deny } = await decide(dir, { required_evidence: ["runtime-manifest"], runtime_assurance: "off" });
    expect(Object.keys(deny).sort()).toEqual(["runtime.report-guard", "runtime.report-validation", "runtime.required"]);
  });

  test("a strict claim is still held to strict under runtime_assurance: off", async () => {
    const { deny } = await decide(variant((r) => (r.assurance.claim_set = "other")), { ...STRICT, runtime_assurance: "off" });
    expect(Object.keys(deny).sort()).toEqual(["runtime.report-assurance", "runtime.required"]);
  });
});

fixtureDescribe("tollgate eval over variants (CLI)", () => {
  test("an unknown claim set is named in the CLI's JSON decision; the passing variant has no runtime denial", () => {
    const data = join(root, "strict.json");
    writeFileSync(data, JSON.stringify(STRICT));
    const ok = tollgate(["eval", "--data", data, "--time", TIME.toISOString(), "--output", "json", variant()]);
    const bad = tollgate(["eval", "--data", data, "--time", TIME.toISOString(), "--output", "json", variant((r) => (r.assurance.claim_set = "x"))]);
    expect(bad.code).toBe(1);
    const rules = (out: string) => (JSON.parse(out).deny as { rule: string; msg: string }[]).filter((d) => d.rule.startsWith("runtime."));
    expect(rules(ok.stdout)).toEqual([]);
    expect(rules(bad.stdout).map((d) => d.msg).sort()).toEqual([
      "evaluation report is not strict assurance evidence: claim_set is x, not invarlock-weight-edit-regression-v1",
      "no runtime manifest bound to its evaluation report meets strict assurance",
    ]);
  });
});
