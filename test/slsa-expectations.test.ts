// SLSA provenance v1: custom metadata outside externalParameters (internalParameters included), the build's
// source as facts, and the expectations a release pins in data (like slsa-verifier's --source-uri,
// --source-tag and --builder-id): in the predicate handler's facts and through the real CLI.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { slsaProvenance } from "../src/evidence/slsa-provenance.ts";
import { tollgate } from "./support/cli.ts";
import { REPO_ROOT } from "./support/fixtures.ts";
import { makeStatement, slsaPredicate } from "./support/keys.ts";

const ARTIFACT_SHA256 = new Bun.CryptoHasher("sha256").update(readFileSync(join(REPO_ROOT, "examples/artifact/acme-api-1.4.2.tar.gz"))).digest("hex");
const facts = (predicate: any) => slsaProvenance.facts(predicate, makeStatement([{ sha256: "0".repeat(64) }], undefined, predicate) as any) as any;

describe("internalParameters", () => {
  test("a <vendor>_<field> key there is flagged under any build type: only externalParameters may carry them", () => {
    const p: any = slsaPredicate();
    p.buildDefinition.internalParameters = { github: { event_name: "push" }, acme_ai_mode: "assisted" };
    expect(facts(p).custom_metadata.violations).toEqual([
      { path: "buildDefinition.internalParameters.acme_ai_mode", reason: "custom metadata in internalParameters: only externalParameters may carry <vendor>_<field> fields" },
    ]);
    p.buildDefinition.buildType = "https://example.com/unknown-build/v1";
    expect(facts(p).custom_metadata.violations.map((v: any) => v.path)).toEqual(["buildDefinition.internalParameters.acme_ai_mode"]);
  });

  test("a key the GitHub workflow build type does not define is flagged; its own `github` is not", () => {
    const p: any = slsaPredicate();
    p.buildDefinition.internalParameters = { github: {}, trigger: "manual" };
    expect(facts(p).custom_metadata.violations).toEqual([
      { path: "buildDefinition.internalParameters.trigger", reason: "not defined by https://actions.github.io/buildtypes/workflow/v1" },
    ]);
  });

  test("under an unknown build type its own (non-vendor) internal keys are the builder's business", () => {
    const p: any = slsaPredicate();
    p.buildDefinition.buildType = "https://lunal.dev/kettle/cargo@v1";
    p.buildDefinition.externalParameters = { buildCommand: "cargo build", source: {} };
    p.buildDefinition.internalParameters = { tee: "sev-snp" };
    expect(facts(p).custom_metadata.violations).toEqual([]);
  });
});

describe("source facts", () => {
  test("GitHub workflow: repository and ref from externalParameters.workflow, commit from the git dependency", () => {
    const p: any = slsaPredicate();
    p.buildDefinition.externalParameters.workflow = { repository: "https://github.com/acme/app", ref: "refs/tags/v2.0.0", path: ".github/workflows/r.yml" };
    p.buildDefinition.resolvedDependencies = [{ uri: "git+https://github.com/acme/app@refs/tags/v2.0.0", digest: { gitCommit: "abc123" } }];
    expect(facts(p).source).toEqual({ uri: "git+https://github.com/acme/app@refs/tags/v2.0.0", repository: "github.com/acme/app", ref: "refs/tags/v2.0.0", commit: "abc123" });
  });

  test("other build types: the first git+ dependency, git+<repo>@<ref>", () => {
    const p: any = slsaPredicate();
    p.buildDefinition.buildType = "https://example.com/b/v1";
    p.buildDefinition.externalParameters = {};
    p.buildDefinition.resolvedDependencies = [{ uri: "pkg:npm/x@1", digest: { sha512: "00" } }, { uri: "git+https://gitlab.com/acme/lib.git@refs/heads/main", digest: { sha1: "def" } }];
    expect(facts(p).source).toEqual({ uri: "git+https://gitlab.com/acme/lib.git@refs/heads/main", repository: "gitlab.com/acme/lib", ref: "refs/heads/main", commit: "def" });
  });

  test("no source at all: null", () => {
    const p: any = slsaPredicate();
    p.buildDefinition.externalParameters = {};
    expect(facts(p).source).toBeNull();
  });
});

describe("tollgate eval with provenance expectations (the example release)", () => {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-slsa-exp-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const evalWith = (extra: Record<string, unknown>) => {
    const f = join(dir, `d${Object.keys(extra).join("-")}${JSON.stringify(extra).length}.json`);
    writeFileSync(f, JSON.stringify(extra));
    return tollgate(["eval", "--key", "examples/keys/release.pub", "--artifact", "examples/artifact/acme-api-1.4.2.tar.gz", "--data", "examples/data.yaml", "--data", f, "--output", "json", "--time", "2026-06-01T00:00:00Z", "examples/evidence/"]);
  };
  const denied = (r: { stdout: string }) => (JSON.parse(r.stdout).deny as { rule: string; msg: string }[]).map((d) => `${d.rule}: ${d.msg}`).sort();

  test("the expected source, ref, build type and dependency digest admit", () => {
    const r = evalWith({
      expected_source_uri: "github.com/acme/api",
      expected_source_ref: "refs/tags/v1.4.2",
      expected_build_type: "https://actions.github.io/buildtypes/workflow/v1",
      required_resolved_dependencies: [{ uri: "git+https://github.com/acme/api@refs/tags/v1.4.2", digest: { gitCommit: "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d" } }],
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("another source repository, ref, build type or dependency digest: exit 1, each named", () => {
    const r = evalWith({
      expected_source_uri: "git+https://github.com/acme/other",
      expected_source_ref: "refs/tags/v1.4.3",
      expected_build_type: "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
      required_resolved_dependencies: [{ digest: { gitCommit: "0000000000000000000000000000000000000000" } }],
    });
    expect(r.code).toBe(1);
    expect(denied(r)).toEqual([
      "I1.expected-build-type: provenance build type https://actions.github.io/buildtypes/workflow/v1 is not the expected https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
      "I1.expected-source-ref: provenance source ref refs/tags/v1.4.2 is not the expected refs/tags/v1.4.3",
      "I1.expected-source-uri: provenance source repository github.com/acme/api is not the expected github.com/acme/other",
      `I1.provenance-required: no https://slsa.dev/provenance/v1 attestation verified for a trusted signer and bound to subject sha256:${ARTIFACT_SHA256}`,
      "I1.resolved-dependency: provenance resolvedDependencies has no dependency with gitCommit:0000000000000000000000000000000000000000",
    ].sort());
  });
});
