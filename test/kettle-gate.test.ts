// Kettle builds and SEV-SNP reports end to end: records → input document (schema-validated) → the real opa
// over policies/ (tee.rego with slsa.rego and decision.rego), and the CLI on real fixture reports.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildInputDocument, validateInputDocument } from "../src/core/input.ts";
import { collectEvidence } from "../src/evidence/collect.ts";
import { makeKettleKind } from "../src/evidence/kettle/index.ts";
import { makeVerifyContext, sourceFromBytes, sourceFromText } from "../src/evidence/source.ts";
import type { SourceFile } from "../src/evidence/types.ts";
import { makeSevSnpKind } from "../src/evidence/tee/sev-snp/index.ts";
import {
  flipBit,
  kettleBinding,
  kettleProvenanceText,
  kettleSnpEvidence,
  makeAmdChain,
  signedReport,
  type SyntheticAmd,
  syntheticTrust,
} from "./support/amd-chain.ts";
import { tollgate } from "./support/cli.ts";
import { fixture, fixtureDescribe, REPO_ROOT } from "./support/fixtures.ts";
import { runOpa } from "./support/opa.ts";

let chain: SyntheticAmd;
beforeAll(async () => {
  chain = await makeAmdChain();
}, 60_000);

const APP = new TextEncoder().encode("the attested release binary\n");
const APP_SHA = new Bun.CryptoHasher("sha256").update(APP).digest("hex");
const tmp = mkdtempSync(join(tmpdir(), "tollgate-kettle-gate-"));
let n = 0;

interface Result {
  rule: string;
  msg: string;
}

async function gate(files: SourceFile[], data: Record<string, unknown> = {}, subject = APP_SHA) {
  const trust = syntheticTrust(chain);
  const ctx = makeVerifyContext({ time: chain.validTime, files });
  const { records, errors } = await collectEvidence(files, ctx, [makeKettleKind({ amdTrust: trust }), makeSevSnpKind({ trust })]);
  expect(errors).toEqual([]);
  const input = buildInputDocument({ time: chain.validTime.toISOString(), subject: { digest: { sha256: subject } }, trust: { keys: [], identities: [] } }, records, errors);
  validateInputDocument(input);
  const i = ++n;
  writeFileSync(join(tmp, `input-${i}.json`), JSON.stringify(input));
  writeFileSync(join(tmp, `data-${i}.json`), JSON.stringify(data));
  const r = runOpa(["eval", "--format", "json", "-d", join(REPO_ROOT, "policies"), "-d", join(tmp, `data-${i}.json`), "-i", join(tmp, `input-${i}.json`), "data.tollgate.gate.decision"]);
  if (r.code !== 0) throw new Error(r.stderr);
  const d = JSON.parse(r.stdout).result[0].expressions[0].value as { allow: boolean; deny: Result[]; warn: Result[] };
  return { ...d, records, denyRules: d.deny.map((x) => x.rule).sort(), warnRules: d.warn.map((x) => x.rule).sort() };
}

async function build(o: { provenance?: string; artifact?: Uint8Array | null; bound?: Uint8Array; policy?: bigint; manifest?: unknown } = {}): Promise<SourceFile[]> {
  const provenance = o.provenance ?? kettleProvenanceText({ app: APP });
  const reportData = new Uint8Array(64);
  reportData.set(o.bound ?? kettleBinding(provenance));
  const report = await signedReport(chain, { reportData, ...(o.policy !== undefined ? { policy: o.policy } : {}) });
  return [
    sourceFromText("/b/evidence.json", kettleSnpEvidence(report, chain.vcekDer), false),
    sourceFromText("/b/provenance.json", provenance, false),
    ...(o.artifact === null ? [] : [sourceFromBytes("/b/artifacts/app", o.artifact ?? APP, false)]),
    ...(o.manifest === undefined ? [] : [sourceFromText("/b/manifest.json", JSON.stringify(o.manifest), false)]),
  ];
}

describe("Kettle builds through the gate (real opa over policies/)", () => {
  test("the default gate admits a build whose hardware verifies, whose binding holds and whose artifact is the subject", async () => {
    const g = await gate(await build());
    expect(g.denyRules).toEqual([]);
    expect(g.allow).toBe(true);
    expect(g.warnRules).toContain("tee.measurement-unpinned");
    expect(g.records[0]!.kind).toBe("slsa-provenance");
  });

  test("pinning the measurement removes the warning; pinning another denies", async () => {
    const g0 = await gate(await build());
    const measurement = g0.records[0]!.hardware!.measurement!;
    const pinned = await gate(await build(), { tee_measurements: { "sev-snp": [measurement] } });
    expect(pinned.allow).toBe(true);
    expect(pinned.warnRules).not.toContain("tee.measurement-unpinned");
    const other = await gate(await build(), { tee_measurements: { "sev-snp": ["00".repeat(48)] } });
    expect(other.allow).toBe(false);
    expect(other.denyRules).toEqual(["tee.measurement"]);
  });

  test("a tampered artifact is denied under tee.kettle.artifacts (and is not the subject)", async () => {
    const g = await gate(await build({ artifact: flipBit(APP, 0) }));
    expect(g.allow).toBe(false);
    // only the artifact rule: the provenance itself is still hardware-signed and names the expected subject
    expect(g.denyRules).toEqual(["tee.kettle.artifacts"]);
    expect((g.records[0]!.facts.kettle as { artifacts: { subject: boolean }[] }).artifacts).toEqual([expect.objectContaining({ name: "app", subject: false })]);
    expect(g.deny.find((d) => d.rule === "tee.kettle.artifacts")!.msg).toMatch(/^Kettle build artifacts do not match the provenance subjects: artifacts\/app sha256 [0-9a-f]{64} is not its subject digest/);
  });

  test("a provenance the report does not bind is denied (tee.kettle.binding, and the provenance is not signed)", async () => {
    const files = await build({ bound: new Uint8Array(32).fill(7) });
    const g = await gate(files);
    expect(g.allow).toBe(false);
    expect(g.denyRules).toEqual(["I1.provenance-required", "I1.provenance-signature", "tee.kettle.binding"]);
  });

  test("a build for another artifact is denied on the subject", async () => {
    const g = await gate(await build(), {}, "ab".repeat(32));
    expect(g.allow).toBe(false);
    expect(g.denyRules).toEqual(["I1.provenance-required", "I1.subject-digest"]);
  });

  test("a build directory without artifacts/ is admitted for its subject and denied for another", async () => {
    const g = await gate(await build({ artifact: null }));
    expect(g.denyRules).toEqual([]);
    expect(g.allow).toBe(true);
    expect(g.records[0]!.checks.find((c) => c.name === "integrity.artifacts")!.detail).toMatchObject({ status: "unchecked" });
    const other = await gate(await build({ artifact: null }), {}, "ab".repeat(32));
    expect(other.denyRules).toEqual(["I1.provenance-required", "I1.subject-digest"]);
  });

  test("a manifest.json that disagrees with the provenance is denied under tee.kettle.manifest", async () => {
    const ok = await gate(await build({ manifest: { binary_artifacts: [{ name: "app", hash: APP_SHA }] } }));
    expect(ok.allow).toBe(true);
    const g = await gate(await build({ manifest: { binary_artifacts: [{ name: "app", hash: "ab".repeat(32) }] } }));
    expect(g.denyRules).toEqual(["tee.kettle.manifest"]);
    expect(g.deny[0]!.msg).toStartWith(`Kettle build's manifest.json disagrees with its provenance: /b/manifest.json: binary artifact app hash ${"ab".repeat(32)} is not its subject digest ${APP_SHA}`);
  });

  test("a debuggable guest is denied; minimum TCB and allowed platforms come from data", async () => {
    const debug = await gate(await build({ policy: 0x30000n | (1n << 19n) }));
    expect(debug.denyRules).toEqual(["tee.debug"]);
    const tcb = await gate(await build(), { tee_min_tcb: { snp: 99 } });
    expect(tcb.denyRules).toEqual(["tee.min-tcb"]);
    expect(tcb.deny[0]!.msg).toBe("sev-snp REPORTED_TCB is below data.tee_min_tcb: snp 8 < 99");
    const platform = await gate(await build(), { tee_allowed_platforms: ["tdx"] });
    expect(platform.denyRules).toEqual(["tee.platform"]);
  });

  test("a failing SEV-SNP tee-report is denied under tee.verified with the check's reason", async () => {
    const report = flipBit(await signedReport(chain), 0x90);
    const g = await gate([sourceFromBytes("/vm/report.bin", report), sourceFromBytes("/vm/vcek.der", chain.vcekDer, false)], { required_evidence: ["tee-report"] });
    expect(g.denyRules).toEqual(["I1.provenance-required", "gate.required-evidence", "tee.verified"]);
    expect(g.deny.find((d) => d.rule === "tee.verified")!.msg).toMatch(/^sev-snp hardware evidence does not verify: hardware\.report_signature: ECDSA P-384\/SHA-384 signature over bytes 0x000-0x29F does not verify/);
  });
});

fixtureDescribe("CLI on real SEV-SNP evidence (shared fixtures)", () => {
  test("tollgate verify lists every hardware check; --time sets the instant", () => {
    const dir = fixture("tee", "sev-snp", "go-sev-guest");
    const ok = tollgate(["verify", "--time", "2024-06-01T00:00:00Z", dir]);
    expect(ok.code).toBe(0);
    for (const name of ["report_format", "endorsement_key", "product", "root", "ask_chain", "vcek_chain", "cert_validity", "report_signature", "tcb", "chip_id", "vmpl"]) {
      expect(ok.stdout).toMatch(new RegExp(`ok\\s+hardware\\.${name}\\b`));
    }
    const early = tollgate(["verify", "--time", "2021-01-01T00:00:00Z", dir]);
    expect(early.code).not.toBe(0);
    expect(early.stdout).toMatch(/hardware\.cert_validity.*SEV-VCEK is not valid before 2022-09-24/);
  });

  test("tollgate verify on a Kettle directory built around a real report shows the binding failure", () => {
    const dir = join(tmp, "kettle-real");
    mkdirSync(join(dir, "artifacts"), { recursive: true });
    const report = Bun.file(fixture("tee", "sev-snp", "attestation-rs", "test-report.bin"));
    const vcek = Bun.file(fixture("tee", "sev-snp", "attestation-rs", "test-vcek.der"));
    return Promise.all([report.bytes(), vcek.bytes()]).then(([r, v]) => {
      writeFileSync(join(dir, "evidence.json"), kettleSnpEvidence(r, v));
      writeFileSync(join(dir, "provenance.json"), kettleProvenanceText({ app: APP }));
      writeFileSync(join(dir, "artifacts", "app"), APP);
      const out = tollgate(["verify", "--time", "2024-06-01T00:00:00Z", dir]);
      expect(out.code).not.toBe(0);
      expect(out.stdout).toMatch(/ok\s+hardware\.report_signature/);
      expect(out.stdout).toMatch(/binding\.provenance_sha256.*REPORT_DATA\[0\.\.32\] ec6c52d7/);
      expect(out.stdout).toMatch(/ok\s+integrity\.artifacts/);
      // tollgate eval DIR: the gate denies (exit 1) because the provenance is not bound to the hardware
      const ev = tollgate(["eval", "--time", "2024-06-01T00:00:00Z", "--subject", `sha256:${APP_SHA}`, dir]);
      expect(ev.stderr).toBe("");
      expect(ev.code).toBe(1);
      expect(ev.stdout).toMatch(/I1\.provenance-signature: provenance signature did not verify: binding\.provenance_sha256: REPORT_DATA\[0\.\.32\] ec6c52d7/);
      // The same directory without artifacts/: the artifact check says it did not check, and fails nothing.
      const bare = join(tmp, "kettle-real-bare");
      mkdirSync(bare, { recursive: true });
      writeFileSync(join(bare, "evidence.json"), kettleSnpEvidence(r, v));
      writeFileSync(join(bare, "provenance.json"), kettleProvenanceText({ app: APP }));
      const b = tollgate(["verify", "--time", "2024-06-01T00:00:00Z", bare]);
      expect(b.stdout).toContain(`  ok    integrity.artifacts (unchecked: not checked: no files under ${join(bare, "artifacts")}/; the subject is bound by --artifact/--subject)`);
      expect(b.stdout.match(/^  FAIL  .*$/gm)).toEqual([expect.stringMatching(/^  FAIL  binding\.provenance_sha256: /)]);
    });
  });
});
