// The SARIF reporter as GitHub code scanning takes it: every result has a location (upload-sarif rejects a
// result without one), a repository-relative URI or a file: URI, a region, ruleId and message.text. Locations
// that are not files in the checkout (oci:// evidence, an image's name) are absolute URIs without %SRCROOT%
// (SARIF 2.1.0 §3.4.4), checked against a real registry with evidence attached by the real cosign.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sarifValidator } from "../src/evidence/dast/sarif.ts";
import { artifactLocation, sarifLocation, sarifReporter } from "../src/report/sarif.ts";
import type { GateReport } from "../src/report/types.ts";
import { tollgate } from "./support/cli.ts";
import { runPeer } from "./support/peers.ts";
import { pushRandomImage, startDistribution, type RunningRegistry } from "./support/registry.ts";
import { dsse, newKey, provenanceStatement, sha256, writeKey } from "./support/sign.ts";

const T = ["--time", "2026-06-01T00:00:00Z"];
const dir = mkdtempSync(join(tmpdir(), "tollgate-sarif-"));
let keyFile: string, otherKeyFile: string, evidence: string, digest: string;

beforeAll(() => {
  const key = newKey("p256");
  keyFile = writeKey(join(dir, "release.pub"), key);
  otherKeyFile = writeKey(join(dir, "other.pub"), newKey("p256"));
  digest = sha256("the release bytes\n");
  mkdirSync(join(dir, "evidence"));
  evidence = join(dir, "evidence", "provenance.json");
  writeFileSync(evidence, JSON.stringify(dsse(provenanceStatement(digest), key)));
});

/**
 * SARIF 2.1.0's own rule for every artifactLocation (§3.4.4; the sarif-sdk validator's SARIF1004
 * UriBaseIdRequiresRelativeUri): a uriBaseId only with a relative reference, so a URI with a scheme has none.
 */
function uriBaseProblems(doc: any): string[] {
  const out: string[] = [];
  for (const run of doc.runs ?? []) {
    for (const [i, r] of (run.results ?? []).entries()) {
      for (const l of r.locations ?? []) {
        const a = l.physicalLocation?.artifactLocation ?? {};
        if (a.uriBaseId !== undefined && /^[a-z][a-z0-9+.-]*:/i.test(a.uri)) out.push(`results[${i}] absolute uri ${a.uri} with uriBaseId ${a.uriBaseId}`);
      }
    }
  }
  return out;
}

/** GitHub's rules for a result (docs: "SARIF support for code scanning"; sarif-sdk's GH10xx rules). */
function githubProblems(doc: any): string[] {
  const out: string[] = [];
  if (doc.version !== "2.1.0") out.push("version is not 2.1.0");
  for (const run of doc.runs ?? []) {
    if (!run.tool?.driver?.name) out.push("run without tool.driver.name");
    for (const [i, r] of (run.results ?? []).entries()) {
      if (typeof r.ruleId !== "string" || !r.ruleId) out.push(`results[${i}] has no ruleId`);
      if (typeof r.message?.text !== "string" || !r.message.text) out.push(`results[${i}] has no message.text`);
      if (!Array.isArray(r.locations) || r.locations.length < 1 || r.locations.length > 10) out.push(`results[${i}] has ${r.locations?.length ?? 0} locations (1..10)`);
      for (const l of r.locations ?? []) {
        const uri = l.physicalLocation?.artifactLocation?.uri;
        if (typeof uri !== "string" || !uri) out.push(`results[${i}] location without physicalLocation.artifactLocation.uri`);
        else if (/^[a-z][a-z0-9+.-]*:/i.test(uri) && !uri.startsWith("file:")) out.push(`results[${i}] uri scheme not file: ${uri}`);
        if (!Number.isInteger(l.physicalLocation?.region?.startLine) || l.physicalLocation.region.startLine < 1) out.push(`results[${i}] without region.startLine`);
      }
      if (r.ruleIndex !== undefined && run.tool.driver.rules?.[r.ruleIndex]?.id !== r.ruleId) out.push(`results[${i}] ruleIndex does not name its rule`);
    }
  }
  return out;
}

describe("SARIF reporter", () => {
  test("a denied release: every result has a location, valid against SARIF 2.1.0 and GitHub's rules", () => {
    // The wrong key and another subject: I1.provenance-required names no evidence file.
    const r = tollgate(["eval", ...T, "--key", otherKeyFile, "--subject", "sha256:" + "0".repeat(64), "-o", "sarif", "evidence"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    const results = doc.runs[0].results;
    expect(results.length).toBeGreaterThan(2);
    expect(results.map((x: any) => x.ruleId)).toContain("I1.provenance-required");
    for (const x of results) expect(typeof x.locations[0].physicalLocation.artifactLocation.uri).toBe("string");
    const byRule = Object.fromEntries(results.map((x: any) => [x.ruleId, x.locations[0].physicalLocation.artifactLocation]));
    expect(byRule["I1.provenance-signature"]).toEqual({ uri: "evidence/provenance.json", uriBaseId: "%SRCROOT%" });
    expect(byRule["I1.provenance-required"].uri.length).toBeGreaterThan(0);
    const validate = sarifValidator();
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    expect(githubProblems(doc)).toEqual([]);
    // Fingerprints are stable: the same run twice gives the same ones.
    const again = JSON.parse(tollgate(["eval", ...T, "--key", otherKeyFile, "--subject", "sha256:" + "0".repeat(64), "-o", "sarif", "evidence"], { cwd: dir }).stdout);
    expect(again.runs[0].results.map((x: any) => x.partialFingerprints)).toEqual(results.map((x: any) => x.partialFingerprints));
  }, 60_000);

  test("an admit with warnings: the warnings carry locations too", () => {
    const r = tollgate(["eval", ...T, "--key", keyFile, "--subject", `sha256:${digest}`, "-o", "sarif", evidence], { cwd: dir });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.runs[0].results.length).toBeGreaterThan(0);
    expect(doc.runs[0].results.every((x: any) => x.level === "warning")).toBe(true);
    expect(githubProblems(doc)).toEqual([]);
    // An absolute evidence path is a file: URI, without a base.
    expect(doc.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({ uri: "file://" + encodeURI(evidence) });
    const validate = sarifValidator();
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
  }, 60_000);

  test("the fallbacks: policy file, then the subject's name, then 'tollgate'; URIs are escaped", () => {
    const rep = (bundle: string, subjectName?: string): GateReport =>
      ({
        decision: { allow: false, deny: [{ rule: "x.y", msg: "m" }], warn: [] },
        input: { apiVersion: "tollgate.dev/input/v1", context: { time: "t", trust: { keys: [], identities: [] }, ...(subjectName ? { subject: { name: subjectName, digest: {} } } : {}) }, evidence: [], errors: [] },
        inputDigest: "sha256:0",
        bundle: { source: bundle, revision: "r", sha256: "0" },
        entrypoint: "e",
        skipped: [],
      }) as unknown as GateReport;
    const r = { rule: "x.y", msg: "m" };
    expect(sarifLocation(r, rep("./policy/gate bundle.tar.gz"))).toEqual({ uri: "policy/gate%20bundle.tar.gz", uriBaseId: "%SRCROOT%" });
    expect(sarifLocation(r, rep("embedded:default", "app#1.tar.gz"))).toEqual({ uri: "app%231.tar.gz", uriBaseId: "%SRCROOT%" });
    expect(sarifLocation(r, rep("oci://127.0.0.1:5000/policy:1"))).toEqual({ uri: "tollgate", uriBaseId: "%SRCROOT%" });
    expect(sarifLocation({ ...r, evidence: "ev/a.json" }, rep("p.tar.gz"))).toEqual({ uri: "ev/a.json", uriBaseId: "%SRCROOT%" });
    // Not files in the checkout: absolute URIs, no base. Evidence read from a registry, an image's name as the
    // subject (host:port, which a relative reference cannot spell: "localhost:5000/app" would read as a scheme).
    const layer = `oci://127.0.0.1:5000/acme/api@sha256:${"a".repeat(64)}`;
    expect(sarifLocation({ ...r, evidence: layer }, rep("p.tar.gz"))).toEqual({ uri: layer });
    expect(sarifLocation({ ...r, evidence: "https://example.com/att/1 a.json" }, rep("p.tar.gz"))).toEqual({ uri: "https://example.com/att/1%20a.json" });
    expect(artifactLocation(`oci://[::1]:5000/acme/api@sha256:${"a".repeat(64)}`)).toEqual({ uri: `oci://[::1]:5000/acme/api@sha256:${"a".repeat(64)}` });
    expect(sarifLocation(r, rep("embedded:default", "127.0.0.1:5000/acme/api"))).toEqual({ uri: "oci://127.0.0.1:5000/acme/api" });
    expect(sarifLocation(r, rep("embedded:default", "localhost:5000/acme/api"))).toEqual({ uri: "oci://localhost:5000/acme/api" });
    expect(sarifLocation(r, rep("embedded:default", "[::1]:5000/acme/api"))).toEqual({ uri: "oci://[::1]:5000/acme/api" });
    // An image named without a port is known by the evidence read from it.
    const fromImage = rep("embedded:default", "ghcr.io/acme/api");
    (fromImage.input.evidence as unknown as { source: { path: string } }[]).push({ source: { path: `oci://ghcr.io/acme/api@sha256:${"b".repeat(64)}` } });
    expect(sarifLocation(r, fromImage)).toEqual({ uri: "oci://ghcr.io/acme/api" });
    expect(sarifLocation(r, rep("embedded:default", "ghcr.io/acme/api"))).toEqual({ uri: "ghcr.io/acme/api", uriBaseId: "%SRCROOT%" }); // no sign it is an image: a path
    // A relative path whose first segment has a colon stays a path: the colon is escaped.
    expect(artifactLocation("sbom:v1/app.json")).toEqual({ uri: "sbom%3Av1/app.json", uriBaseId: "%SRCROOT%" });
    expect(artifactLocation("C:\\work\\ev.json")).toEqual({ uri: "file:///C:/work/ev.json" });
    expect(artifactLocation("/abs/ev one.json")).toEqual({ uri: "file:///abs/ev%20one.json" });
    for (const loc of [sarifLocation({ ...r, evidence: layer }, rep("p.tar.gz")), sarifLocation(r, rep("embedded:default", "localhost:5000/acme/api"))]) {
      const d = JSON.parse(sarifReporter.render(rep("embedded:default", "localhost:5000/acme/api")));
      d.runs[0].results[0].locations[0].physicalLocation.artifactLocation = loc;
      const validate = sarifValidator();
      expect(validate(d) ? [] : validate.errors).toEqual([]);
      expect(uriBaseProblems(d)).toEqual([]);
    }
    // The rule checker catches what the reporter used to write.
    expect(uriBaseProblems({ runs: [{ results: [{ locations: [{ physicalLocation: { artifactLocation: { uri: layer, uriBaseId: "%SRCROOT%" } } }] }] }] })).toEqual([`results[0] absolute uri ${layer} with uriBaseId %SRCROOT%`]);
    const doc = JSON.parse(sarifReporter.render(rep("embedded:default")));
    expect(githubProblems(doc)).toEqual([]);
    // The checker itself catches a result without a location (the old output).
    const bad = structuredClone(doc);
    delete bad.runs[0].results[0].locations;
    expect(githubProblems(bad)).toEqual(["results[0] has 0 locations (1..10)"]);
  });
});

describe("SARIF for an image gated from a real registry", () => {
  let reg: RunningRegistry;
  const env = { COSIGN_PASSWORD: "", COSIGN_YES: "true", HOME: dir };

  beforeAll(async () => {
    reg = await startDistribution();
    for (const d of ["cosign-a", "cosign-b"]) {
      mkdirSync(join(dir, d));
      const g = runPeer("cosign", ["generate-key-pair"], { cwd: join(dir, d), env: { ...env, HOME: join(dir, d) } });
      if (g.code !== 0) throw new Error(g.stderr);
    }
  }, 120_000);
  afterAll(async () => reg?.stop());

  test("oci:// evidence and the image's host:port name are absolute URIs with no %SRCROOT%; valid SARIF 2.1.0", () => {
    const image = pushRandomImage(reg.host, "acme/api", dir);
    const predicate = join(dir, "predicate.json");
    writeFileSync(predicate, JSON.stringify({ buildDefinition: { buildType: "https://actions.github.io/buildtypes/workflow/v1", externalParameters: {}, resolvedDependencies: [] }, runDetails: { builder: { id: "https://github.com/actions/runner/github-hosted" }, metadata: {} } }));
    const a = runPeer("cosign", ["attest", "--key", join(dir, "cosign-a/cosign.key"), "--type", "https://slsa.dev/provenance/v1", "--predicate", predicate, "--tlog-upload=false", "--allow-http-registry", image], { cwd: dir, env });
    expect(a.code).toBe(0);
    // Verified with the other key: denied, with results on the evidence and on the image itself.
    const r = tollgate(["eval", ...T, "--key", join(dir, "cosign-b/cosign.pub"), "-o", "sarif", `oci://${image}`], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    const locs = doc.runs[0].results.map((x: any) => x.locations[0].physicalLocation.artifactLocation);
    expect(locs.length).toBeGreaterThan(1);
    for (const l of locs) expect(l.uriBaseId).toBeUndefined();
    const uris = new Set(locs.map((l: any) => l.uri.replace(/@sha256:[0-9a-f]{64}$/, "@sha256:…")));
    expect(uris).toEqual(new Set([`oci://${reg.host}/acme/api@sha256:…`, `oci://${reg.host}/acme/api`]));
    expect(uriBaseProblems(doc)).toEqual([]);
    const validate = sarifValidator();
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
  }, 120_000);
});
