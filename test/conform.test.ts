// `tollgate conform I1…I8` and `conform all`: every probe's MUSTs (seed 003), PASS and FAIL cases, through the real
// CLI. Signing material is made at test time: a self-made Sigstore instance (Fulcio-style CA, transparency log,
// trusted root) for keyless bundles, a fresh key for DSSE; the real fixtures where they fit (the PyPI wheel and its
// PEP 740 attestation, the OTLP example, the example release).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { decisionLogRecord, exportRequest } from "../src/telemetry/decision-log.ts";
import { tollgate } from "./support/cli.ts";
import { fixture, fixtureDescribe, REPO_ROOT } from "./support/fixtures.ts";
import { IN_TOTO_JSON, TEST_IDENTITY, TEST_ISSUER, makeStatement, makeTestSigstore, slsaPredicate, type TestSigstore } from "./support/keys.ts";
import { runOpa } from "./support/opa.ts";

const dir = mkdtempSync(join(tmpdir(), "tollgate-conform-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TIME = "2026-06-01T00:00:00Z";
const INTEGRATED = Date.parse("2026-05-31T12:00:00Z") / 1000;
const ARTIFACT = new TextEncoder().encode("acme app 2.0 release tarball\n");
const SHA = createHash("sha256").update(ARTIFACT).digest("hex");
const TEST_RESULT = "https://in-toto.io/attestation/test-result/v0.1";
const write = (name: string, content: string | Uint8Array) => {
  const p = join(dir, name);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, content);
  return p;
};

let sig: TestSigstore;
let root: string;
let artifact: string;
const TRUST = () => ["--trusted-root", root, "--certificate-identity", TEST_IDENTITY, "--certificate-oidc-issuer", TEST_ISSUER, "--time", TIME];

/** A keyless Sigstore bundle (logged) over an in-toto statement about the artifact. */
async function keyless(name: string, predicateType: string, predicate: unknown, subject = SHA): Promise<string> {
  const statement = makeStatement([{ name: "app.tar.gz", sha256: subject }], predicateType, predicate);
  const b = await sig.keyless({ content: { dsse: { payloadType: IN_TOTO_JSON, payload: JSON.stringify(statement) } }, integratedTime: INTEGRATED });
  return write(`${name}.sigstore.json`, JSON.stringify(b));
}

beforeAll(async () => {
  sig = await makeTestSigstore();
  root = write("trusted_root.json", JSON.stringify(sig.trustedRoot));
  artifact = write("app.tar.gz", ARTIFACT);
}, 60_000);

/** The gate's decision log for the artifact's digest (the real writer): the outcome as an OTel signal. */
function decisionLog(name: string): string {
  const rec = decisionLogRecord({ decisionId: "d1", time: new Date(TIME), endpoint: "gate", entrypoint: "tollgate/gate/decision", allow: true, denyRules: [], warnRules: [], subjectDigest: `sha256:${SHA}`, bundleRevision: "r", bundleSha256: "0".repeat(64), inputDigest: "sha256:" + "1".repeat(64) });
  return write(`${name}.json`, JSON.stringify(exportRequest({ serviceName: "gate", serviceVersion: "1.0.0", instanceId: "g-1", environment: "prod" }, [rec])));
}

const run = (args: string[]) => {
  const r = tollgate(["conform", ...args, "--output", "json"]);
  const out = r.stdout ? JSON.parse(r.stdout) : null;
  const must = (id: string) => out?.musts.find((m: any) => m.id === id);
  return { ...r, out, must, failed: out ? out.musts.filter((m: any) => !m.ok).map((m: any) => m.id) : null };
};

describe("I1 Attestation-Production", () => {
  test("MUSTs listed: digest, provenance v1 subject, Sigstore + transparency log, custom metadata, no v0.2, retrievable", async () => {
    const prov = await keyless("i1-prov", "https://slsa.dev/provenance/v1", slsaPredicate());
    const r = run(["I1", artifact, "--evidence", prov, ...TRUST()]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.out.verdict).toBe("PASS");
    expect(r.out.musts.map((m: any) => m.id)).toEqual(["I1.digest", "I1.provenance-subject", "I1.signed-transparency-logged", "I1.custom-metadata", "I1.no-v0.2", "I1.retrievable"]);
  });

  test("a key-signed DSSE provenance is not transparency-logged: the probe FAILs though the gate only warns", () => {
    const r = run(["I1", join(REPO_ROOT, "examples/artifact/acme-api-1.4.2.tar.gz"), "--evidence", join(REPO_ROOT, "examples/evidence"), "--key", join(REPO_ROOT, "examples/keys/release.pub")]);
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(["I1.signed-transparency-logged"]);
    expect(r.must("I1.signed-transparency-logged").reason).toBe("the signed provenance has no verified transparency-log entry (transparency absent): the gate only warns, the contract requires it");
    // the gate itself admits it (with a warning)
    expect(tollgate(["eval", "--key", "examples/keys/release.pub", "--artifact", "examples/artifact/acme-api-1.4.2.tar.gz", "--data", "examples/data.yaml", "examples/evidence/"]).code).toBe(0);
  });

  test("custom metadata in internalParameters, a v0.2 statement and another digest each fail their MUST", async () => {
    const p: any = slsaPredicate();
    p.buildDefinition.internalParameters = { acme_ai_mode: "assisted" };
    const bad = await keyless("i1-internal", "https://slsa.dev/provenance/v1", p);
    const v02 = await keyless("i1-v02", "https://slsa.dev/provenance/v0.2", { builder: { id: "x" }, buildType: "y" });
    const r = run(["I1", artifact, "--evidence", bad, "--evidence", v02, ...TRUST()]);
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(["I1.custom-metadata", "I1.no-v0.2"]);
    expect(r.must("I1.custom-metadata").reason).toContain("buildDefinition.internalParameters.acme_ai_mode");
    const other = run(["I1", "sha256:" + "e".repeat(64), "--evidence", bad, ...TRUST()]);
    expect(other.failed).toEqual(["I1.provenance-subject", "I1.signed-transparency-logged", "I1.custom-metadata", "I1.retrievable"]);
  });

  test("a tag reference names no content: I1.digest FAILs; an unreachable registry reference could not run (exit 2)", () => {
    const tag = run(["I1", "ghcr.io/acme/app:2.0", ...TRUST()]);
    expect(tag.code).toBe(1);
    expect(tag.must("I1.digest")).toMatchObject({ ok: false, reason: "ghcr.io/acme/app:2.0 is not a digest reference (sha256:…, FILE or HOST/REPO@sha256:…)" });
    const r = tollgate(["conform", "I1", `oci://127.0.0.1:1/acme/app@sha256:${SHA}`, ...TRUST()]);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toStartWith("tollgate conform: ");
  });
});

describe("I2 Promotion-Verification", () => {
  let prov: string;
  let signal: string;
  beforeAll(async () => {
    prov = await keyless("i2-prov", "https://slsa.dev/provenance/v1", slsaPredicate());
    signal = decisionLog("i2-decisions");
  });

  test("owner and predicate type pinned, fail-closed, referrers carried, outcome recorded: PASS", () => {
    const r = run(["I2", artifact, "acme", "https://slsa.dev/provenance/v1", "--evidence", prov, "--evidence", signal, ...TRUST()]);
    expect(r.stderr).toBe("");
    expect(r.out.verdict).toBe("PASS");
    expect(r.out.musts.map((m: any) => m.id)).toEqual(["I2.digest", "I2.pinned-verification", "I2.fail-closed", "I2.referrers-carried", "I2.outcome-signal"]);
  });

  test("another owner: the pinned verification and fail-closed MUSTs fail, naming the signer", () => {
    const r = run(["I2", artifact, "other-org", "https://slsa.dev/provenance/v1", "--evidence", prov, "--evidence", signal, ...TRUST()]);
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(["I2.pinned-verification", "I2.fail-closed", "I2.referrers-carried"]);
    expect(r.must("I2.pinned-verification").reason).toBe(`the https://slsa.dev/provenance/v1 attestation bound to the digest is not signed by a verified GitHub Actions identity under https://github.com/other-org/ (signers: ${TEST_IDENTITY})`);
  });

  test("the owner's identity from another OIDC issuer does not count (gh attestation verify --owner pins GitHub Actions)", async () => {
    const statement = makeStatement([{ name: "app.tar.gz", sha256: SHA }], "https://slsa.dev/provenance/v1", slsaPredicate());
    const b = await sig.keyless({ content: { dsse: { payloadType: IN_TOTO_JSON, payload: JSON.stringify(statement) } }, integratedTime: INTEGRATED, issuer: "https://gitlab.com" });
    const other = write("i2-gitlab.sigstore.json", JSON.stringify(b));
    const r = run(["I2", artifact, "acme", "https://slsa.dev/provenance/v1", "--evidence", other, "--evidence", signal, "--trusted-root", root, "--certificate-identity", TEST_IDENTITY, "--certificate-oidc-issuer", "https://gitlab.com", "--time", TIME]);
    expect(r.failed).toEqual(["I2.pinned-verification", "I2.fail-closed", "I2.referrers-carried"]);
  });

  test("another predicate type, and no decision signal", () => {
    const r = run(["I2", artifact, "acme", TEST_RESULT, "--evidence", prov, ...TRUST()]);
    expect(r.failed).toEqual(["I2.pinned-verification", "I2.fail-closed", "I2.referrers-carried", "I2.outcome-signal"]);
    expect(r.must("I2.pinned-verification").reason).toBe(`no ${TEST_RESULT} attestation is bound to the digest (0 of that type present)`);
  });

  test("wrong number of arguments: exit 2 naming the probe's arguments", () => {
    const r = tollgate(["conform", "I2", artifact]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("conform I2 takes <image@digest> <expected-owner> <predicate-type> (got 1 argument)");
  });
});

describe("I3 Release-Attestation", () => {
  let prov: string;
  beforeAll(async () => {
    prov = await keyless("i3-prov", "https://slsa.dev/provenance/v1", slsaPredicate());
  });
  const wf = (name: string, doc: unknown) => write(`${name}.yml`, stringify(doc));

  test("a release job granted id-token: write that attests: PASS", () => {
    const w = wf("release-ok", { on: { push: { tags: ["v*"] } }, permissions: { contents: "read" }, jobs: { release: { "runs-on": "ubuntu-latest", permissions: { "id-token": "write", attestations: "write" }, steps: [{ uses: "actions/checkout@v4" }, { name: "attest", uses: "actions/attest-build-provenance@v2", with: { "subject-path": "app.tar.gz" } }] } } });
    const r = run(["I3", artifact, "--evidence", prov, "--workflow", w, ...TRUST()]);
    expect(r.out.verdict).toBe("PASS");
    expect(r.must("I3.signing-used").reason).toBe(`${w}: every job granted id-token: write signs (release: attest)`);
  });

  test("id-token: write granted (top level, inherited) but no job signs: FAIL naming the jobs", () => {
    const w = wf("release-unused", { on: "push", permissions: { "id-token": "write" }, jobs: { build: { "runs-on": "ubuntu-latest", steps: [{ run: "make dist" }] }, publish: { "runs-on": "ubuntu-latest", permissions: { contents: "write" }, steps: [{ run: "gh release upload v1 app.tar.gz" }] } } });
    const r = run(["I3", artifact, "--evidence", prov, "--workflow", w, ...TRUST()]);
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(["I3.signing-used"]);
    expect(r.must("I3.signing-used").reason).toBe(`${w}: job(s) build hold id-token: write but no step signs or attests`);
  });

  test("pypi-publish with attestations off does not sign; cosign in a run step does", () => {
    const w = wf("release-pypi", { on: "push", jobs: { pypi: { permissions: { "id-token": "write" }, steps: [{ uses: "pypa/gh-action-pypi-publish@release/v1", with: { attestations: false } }] }, blob: { permissions: "write-all", steps: [{ run: "cosign sign-blob --bundle app.sigstore.json app.tar.gz" }] } } });
    expect(run(["I3", artifact, "--evidence", prov, "--workflow", w, ...TRUST()]).must("I3.signing-used").reason).toBe(`${w}: job(s) pypi hold id-token: write but no step signs or attests`);
  });

  test("no workflow given, and no attestation: every MUST says why", () => {
    const r = run(["I3", artifact, ...TRUST()]);
    expect(r.failed).toEqual(["I3.provenance", "I3.bound", "I3.published", "I3.signing-used"]);
    expect(r.must("I3.signing-used").reason).toBe("no release workflow given (--workflow FILE): granted-but-unused signing capability cannot be ruled out");
  });

  test("a workflow file that is not a workflow: exit 2", () => {
    const r = tollgate(["conform", "I3", artifact, "--workflow", write("not-a-workflow.yml", "name: x\n")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not a GitHub Actions workflow: no jobs mapping");
  });
});

describe("I4 Policy-Gate", () => {
  let prov: string;
  beforeAll(async () => {
    prov = await keyless("i4-prov", "https://slsa.dev/provenance/v1", slsaPredicate());
  });

  test("the embedded gate with a data policy pinning the signer: deny by default, pins type and signer, admits the conformant digest", () => {
    const policy = write("i4-policy.yaml", stringify({ trusted_signers: { identities: [{ issuer: TEST_ISSUER, identity: TEST_IDENTITY }] }, trusted_builders: ["https://github.com/actions/runner/github-hosted"] }));
    const r = run(["I4", artifact, policy, "--evidence", prov, "--evidence", decisionLog("i4-decisions"), "--trusted-root", root, "--time", TIME]);
    expect(r.stderr).toBe("");
    expect(r.out.verdict).toBe("PASS");
    expect(r.out.musts.map((m: any) => m.id)).toEqual(["I4.deny-by-default", "I4.pins-type-and-signer", "I4.policy-as-code", "I4.digest", "I4.admits-conformant", "I4.decision-signal"]);
    expect(r.must("I4.policy-as-code").reason).toMatch(/^.*i4-policy\.yaml is a bundle at revision policies-[0-9a-f]{16} \(unsigned\)$/);
  });

  test("a bundle that admits anything: not deny-by-default, pins nothing", () => {
    const src = join(dir, "permissive");
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, "gate.rego"), 'package tollgate.gate\n\ndecision := {"allow": true, "deny": [], "warn": []}\n');
    const out = join(dir, "permissive.tar.gz");
    const b = runOpa(["build", "-t", "wasm", "-e", "tollgate/gate/decision", "-r", "permissive-1", "-o", out, src]);
    expect(b.code).toBe(0);
    const r = run(["I4", artifact, out, "--evidence", prov, ...TRUST()]);
    expect(r.code).toBe(1);
    expect(r.failed).toEqual(["I4.deny-by-default", "I4.pins-type-and-signer", "I4.decision-signal"]);
    expect(r.must("I4.pins-type-and-signer").reason).toBe("the policy admits the evidence re-signed by an untrusted signer: it does not pin the signer");
  });

  test("a policy that denies the given evidence says why", () => {
    const policy = write("i4-strict.yaml", stringify({ trusted_builders: ["https://builder.invalid/only"] }));
    const r = run(["I4", artifact, policy, "--evidence", prov, ...TRUST()]);
    expect(r.failed).toEqual(["I4.admits-conformant", "I4.decision-signal"]);
    expect(r.must("I4.decision-signal").reason).toStartWith("no OTel LogRecord of the gate's decision for this digest was supplied");
    expect(r.must("I4.admits-conformant").reason).toContain("I1.builder-id: builder https://github.com/actions/runner/github-hosted is not one of the pinned builders");
  });
});

describe("I5 Quality-Event", () => {
  const contract = (fields: string[], latency: Record<string, unknown> | null = { value: 1, unit: "h" }) => stringify({
    apiVersion: "v3.1.0", kind: "DataContract", id: "pipeline-completion", name: "Pipeline completion", version: "1.1.0", status: "active",
    schema: [{ name: "pipeline_completion", logicalType: "object", properties: fields.map((name) => ({ name, logicalType: name === "passed" ? "boolean" : name === "pass_rate" || name === "duration_seconds" ? "number" : "string", required: true })) }],
    ...(latency ? { slaProperties: [{ property: "latency", ...latency }] } : {}),
  });
  const FIELDS = ["event_id", "correlation_id", "pipeline", "passed", "pass_rate", "duration_seconds"];
  const event = (over: Record<string, unknown> = {}) => write(`ev-${JSON.stringify(over).length}-${Object.keys(over).join("")}.json`, JSON.stringify({ event_id: "e1", correlation_id: "run-1", ordering: { key: "dq", sequence: 1 }, pipeline: "dq", passed: true, pass_rate: 0.99, duration_seconds: 3, occurred_at: "2026-05-31T23:30:00Z", ...over }));

  test("versioned contract, fields and envelope, compatible with its previous version, within the declared latency: PASS", () => {
    const prev = write("c-prev.odcs.yaml", contract(FIELDS));
    const cur = write("c-cur.odcs.yaml", contract([...FIELDS, "owner"].slice(0, 6)));
    const r = run(["I5", event(), cur, "--previous-contract", prev, "--time", TIME]);
    expect(r.stderr).toBe("");
    expect(r.out.verdict).toBe("PASS");
    expect(r.out.musts.map((m: any) => m.id)).toEqual(["I5.contract", "I5.fields", "I5.compatibility", "I5.sla"]);
  });

  test("a breaking change from the previous version, no previous version, a late event, no declared SLA", () => {
    const prev = write("c-prev2.odcs.yaml", contract([...FIELDS, "run_url"]));
    const cur = write("c-cur2.odcs.yaml", contract(FIELDS));
    const broke = run(["I5", event(), cur, "--previous-contract", prev, "--time", TIME]);
    expect(broke.failed).toEqual(["I5.compatibility"]);
    expect(broke.must("I5.compatibility").reason).toContain(`breaking change(s) from ${prev}:`);
    expect(broke.must("I5.compatibility").reason).toContain("run_url");
    const none = run(["I5", event({ occurred_at: "2026-05-31T20:00:00Z" }), cur, "--time", TIME]);
    expect(none.failed).toEqual(["I5.compatibility", "I5.sla"]);
    expect(none.must("I5.sla").reason).toContain("exceeds the contract's declared latency 1 h (3600s)");
    const noSla = write("c-nosla.odcs.yaml", contract(FIELDS, null));
    expect(run(["I5", event(), noSla, "--previous-contract", noSla, "--time", TIME]).must("I5.sla").reason).toBe("the contract declares no latency SLA (ODCS slaProperties latency, DCS servicelevels.latency)");
  });

  test("an event missing a required field fails I5.fields naming it", () => {
    const c = write("c-fields.odcs.yaml", contract(FIELDS));
    const ev = write("ev-missing.json", JSON.stringify({ event_id: "e1", correlation_id: "r", ordering: { key: "dq", sequence: 1 }, pipeline: "dq", passed: true, duration_seconds: 3 }));
    const r = run(["I5", ev, c, "--previous-contract", c, "--time", TIME]);
    expect(r.failed).toContain("I5.fields");
    expect(r.must("I5.fields").reason).toContain("pass_rate");
  });
});

describe("I6 Log-Contract", () => {
  const otlp = (attrs: Record<string, string>) => JSON.stringify({ resourceLogs: [{ resource: { attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } })) }, scopeLogs: [{ scope: { name: "app" }, logRecords: [{ timeUnixNano: "1780272000000000000", severityNumber: 9, severityText: "INFO", body: { stringValue: "started" } }] }] }] });

  test("identity attributes and the image digest on the Resource: PASS", () => {
    const f = write("logs-ok.json", otlp({ "service.name": "api", "service.version": "2.0.0", "service.instance.id": "api-1", "deployment.environment": "prod", "container.image.id": `sha256:${SHA}` }));
    const ci = write("ci.yml", stringify({ on: "pull_request", jobs: { test: { steps: [{ run: "npm test" }, { name: "log contract", run: "tollgate conform I6 test/out/logs.json" }] } } }));
    const r = run(["I6", f, "--workflow", ci]);
    expect(r.stderr).toBe("");
    expect(r.out.verdict).toBe("PASS");
    expect(r.must("I6.schema-in-ci").reason).toBe(`${ci} runs the log-contract check: test: log contract`);
    const noCi = run(["I6", f]);
    expect(noCi.failed).toEqual(["I6.schema-in-ci"]);
    expect(run(["I6", f, "--workflow", write("ci-none.yml", stringify({ on: "push", jobs: { t: { steps: [{ run: "npm test" }] } } }))]).must("I6.schema-in-ci").reason).toContain("has no step running the log-contract check");
    expect(r.out.musts.map((m: any) => m.id)).toEqual(["I6.log-record", "I6.identity", "I6.build-link", "I6.schema-in-ci"]);
  });

  fixtureDescribe("the real OTLP example", () => {
    test("lacks service.version and deployment.environment, and names no image or revision", () => {
      const r = run(["I6", fixture("otel", "opentelemetry-proto-examples-logs.json")]);
      expect(r.code).toBe(1);
      expect(r.failed).toEqual(["I6.identity", "I6.build-link", "I6.schema-in-ci"]); // and no CI workflow given
      expect(r.must("I6.identity").reason).toContain("service.version");
      expect(r.must("I6.identity").reason).toContain("deployment.environment");
    });
  });

  test("a file that is not a log record fails I6.log-record; a missing file could not run", () => {
    const r = run(["I6", write("not-logs.json", '{"hello": "world"}')]);
    expect(r.code).toBe(1);
    expect(r.failed).toContain("I6.log-record");
    const gone = tollgate(["conform", "I6", join(dir, "nope.json")]);
    expect(gone.code).toBe(2);
  });
});

fixtureDescribe("I7 Polyglot-Attestation (the real PyPI wheel)", () => {
  const WHEEL = fixture("pypi", "rfc8785-0.1.2-py3-none-any.whl");
  const PYPI = ["--trusted-root", join(REPO_ROOT, "test/support/sigstore/staging-trusted-root.json"), "--time", "2024-06-06T18:39:05Z", "--certificate-identity", "william@yossarian.net", "--certificate-oidc-issuer", "https://github.com/login/oauth"];

  test("python: the PEP 740 publish attestation is the native signature and the provenance: PASS", () => {
    const r = run(["I7", WHEEL, "python", "--evidence", `${WHEEL}.publish.attestation`, ...PYPI]);
    expect(r.stderr).toBe("");
    expect(r.out.verdict).toBe("PASS");
    expect(r.out.musts.map((m: any) => m.id)).toEqual(["I7.signature", "I7.provenance", "I7.published", "I7.literal-v1"]);
  });

  test("an unknown class, another signer, or no attestation FAIL", () => {
    expect(run(["I7", WHEEL, "cobol", "--evidence", `${WHEEL}.publish.attestation`, ...PYPI]).failed).toEqual(["I7.signature", "I7.published"]);
    const other = run(["I7", WHEEL, "python", "--evidence", `${WHEEL}.publish.attestation`, ...PYPI.slice(0, 4), "--certificate-identity", "someone@else.example", "--certificate-oidc-issuer", "https://github.com/login/oauth"]);
    expect(other.failed).toEqual(["I7.signature", "I7.provenance", "I7.published"]);
    expect(run(["I7", WHEEL, "python", ...PYPI]).failed).toEqual(["I7.signature", "I7.provenance", "I7.published"]);
  });
});

describe("I8 DAST-Evidence", () => {
  const dast = (result: string) => ({ result, configuration: [{ name: "owasp-zap-baseline", uri: "https://github.com/zaproxy/zaproxy" }], url: "https://www.zaproxy.org/", passedTests: [], warnedTests: [], failedTests: result === "FAILED" ? ["10038 Content Security Policy"] : [] });

  test("a signed, passing DAST test-result attestation bound to the digest: PASS", async () => {
    const att = await keyless("i8-pass", TEST_RESULT, dast("PASSED"));
    const r = run(["I8", artifact, TEST_RESULT, "--evidence", att, ...TRUST()]);
    expect(r.stderr).toBe("");
    expect(r.out.verdict).toBe("PASS");
    expect(r.out.musts.map((m: any) => m.id)).toEqual(["I8.result-bound", "I8.signed", "I8.gate-fails-closed"]);
  });

  test("a failing scan: the gate's I8 denial is the reason; nothing for the digest: every MUST fails", async () => {
    const att = await keyless("i8-fail", TEST_RESULT, dast("FAILED"));
    const r = run(["I8", artifact, TEST_RESULT, "--evidence", att, ...TRUST()]);
    expect(r.failed).toEqual(["I8.gate-fails-closed"]);
    expect(r.must("I8.gate-fails-closed").reason).toMatch(/I8|FAILED|failed/);
    expect(run(["I8", "sha256:" + "d".repeat(64), TEST_RESULT, "--evidence", att, ...TRUST()]).failed).toEqual(["I8.result-bound", "I8.signed", "I8.gate-fails-closed"]);
  });
});

describe("conform all: the conformance matrix", () => {
  test("one row per interface, PASS/FAIL/NOT RUN with target and reasons, in Markdown and JSON", async () => {
    const prov = await keyless("all-prov", "https://slsa.dev/provenance/v1", slsaPredicate());
    const logs = write("all/logs.json", JSON.stringify({ resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ logRecords: [{ timeUnixNano: "1", body: { stringValue: "x" } }] }] }] }));
    const cfg = write("all/conformance.yaml", stringify({
      trusted_root: "../trusted_root.json",
      identities: [{ issuer: TEST_ISSUER, identity: TEST_IDENTITY }],
      time: TIME,
      I1: { target: "../app.tar.gz", evidence: [prov] },
      I6: { record: "logs.json" },
    }));
    const md = join(dir, "all/matrix.md");
    const js = join(dir, "all/matrix.json");
    const r = tollgate(["conform", "all", cfg, "--matrix", md, "--json", js]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1); // I6 fails
    const m = JSON.parse(readFileSync(js, "utf8"));
    expect(m.apiVersion).toBe("tollgate/conformance-matrix/v1");
    expect(m.rows.map((x: any) => [x.interface, x.verdict])).toEqual([["I1", "PASS"], ["I2", "NOT RUN"], ["I3", "NOT RUN"], ["I4", "NOT RUN"], ["I5", "NOT RUN"], ["I6", "FAIL"], ["I7", "NOT RUN"], ["I8", "NOT RUN"]]);
    expect(m.rows[0].target).toBe(join(dir, "all/../app.tar.gz"));
    expect(m.rows[5].musts.find((x: any) => x.id === "I6.identity").ok).toBe(false);
    void logs;
    const text = readFileSync(md, "utf8");
    expect(text).toContain("| # | Interface | Boundary | Reference probe | Target | Verdict | Reasons |");
    expect(text).toContain("| I1 | Attestation-Production | a build emits signed SLSA provenance + in-toto statements for its output | `conformance/verify-attestation-production.sh` (`tollgate conform I1`) |");
    expect(text).toMatch(/\| I1 \|.*\| \*\*PASS\*\* \| ✓ I1\.digest: /);
    expect(text).toMatch(/\| I6 \|.*\| \*\*FAIL\*\* \|.*✗ I6\.identity: missing: /);
    expect(text).toContain("| I2 | Promotion-Verification |");
    expect(text).toMatch(/\| I2 \|.*\| — \| \*\*NOT RUN\*\* \| not configured \|/);
    expect(text).toContain("PASS 1 · FAIL 1 · NOT RUN 6");
    expect(text.split("\n").filter((l) => /^\| I\d \|/.test(l))).toHaveLength(8);
  });

  test("a probe that cannot run is NOT RUN with why (exit 2); a bad config is one line, exit 2, nothing written", () => {
    const cfg = write("all2/conformance.yaml", stringify({ I6: { record: "missing.json" } }));
    const js = join(dir, "all2/m.json");
    const r = tollgate(["conform", "all", cfg, "--json", js]);
    expect(r.code).toBe(2);
    const m = JSON.parse(readFileSync(js, "utf8"));
    expect(m.rows[5]).toMatchObject({ interface: "I6", verdict: "NOT RUN" });
    expect(m.rows[5].error).toStartWith("could not run: ");
    const bad = write("all3/conformance.yaml", stringify({ I5: { event: "e.json" } }));
    const b = tollgate(["conform", "all", bad, "--json", join(dir, "all3/m.json")]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("I5.contract is required (a string)");
    expect(() => readFileSync(join(dir, "all3/m.json"))).toThrow();
    const unknown = tollgate(["conform", "all", write("all4/c.yaml", stringify({ I9: {} })), "--json", join(dir, "all4/m.json")]);
    expect(unknown.stderr).toContain("unknown key I9");
  });

  test("usage: unknown interface, --matrix outside all, all without outputs", () => {
    expect(tollgate(["conform", "I9", "x"]).stderr).toContain("unknown interface I9");
    expect(tollgate(["conform", "I6", "x", "--matrix", "m.md"]).code).toBe(2);
    expect(tollgate(["conform", "all", "c.yaml"]).stderr).toContain("conform all writes --matrix OUT.md and/or --json OUT.json");
  });
});

describe("I7 Polyglot-Attestation (a JAR: cosign sign-blob style signature plus SLSA provenance)", () => {
  test("a message-signature bundle over the bytes and a provenance v1 attestation: PASS; the signature alone lacks provenance", async () => {
    const jar = write("app.jar", ARTIFACT);
    const signature = write("app.jar.sigstore.json", JSON.stringify(await sig.keyless({ content: { message: ARTIFACT }, integratedTime: INTEGRATED })));
    const prov = await keyless("i7-prov", "https://slsa.dev/provenance/v1", slsaPredicate());
    const r = run(["I7", jar, "java", "--evidence", signature, "--evidence", prov, ...TRUST()]);
    expect(r.stderr).toBe("");
    expect(r.out.verdict).toBe("PASS");
    const alone = run(["I7", jar, "java", "--evidence", signature, ...TRUST()]);
    expect(alone.failed).toEqual(["I7.provenance", "I7.published"]);
    const typo = await keyless("i7-typo", "https://slsa.dev/provenance/v1.0", slsaPredicate());
    expect(run(["I7", jar, "java", "--evidence", signature, "--evidence", prov, "--evidence", typo, ...TRUST()]).failed).toEqual(["I7.literal-v1"]);
  });
});
