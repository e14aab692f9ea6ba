// SLSA VSAs both ways. Emit: `tollgate eval --emit-vsa` writes a DSSE-signed verification_summary/v1 of the
// decision, accepted by the real cosign (verify-blob-attestation --type https://slsa.dev/verification_summary/v1)
// and carrying every field slsa-verifier's verify-vsa matches. Read: the VSA kind's facts, and the gate's rules
// (FAILED denies, trusted verifier, levels, resource URI) on VSAs tollgate wrote itself.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tollgate } from "./support/cli.ts";
import { runPeer } from "./support/peers.ts";
import { generateTestKey, IN_TOTO_JSON, makeStatement, sha256hex, signDsse, type TestKey } from "./support/keys.ts";
import { vsaFacts } from "../src/evidence/vsa.ts";

const dir = mkdtempSync(join(tmpdir(), "tollgate-vsa-"));
const p = (...x: string[]) => join(dir, ...x);
const VERIFIER = "https://tollgate.example/verifier";
const RESOURCE = "oci://registry.example/acme/app";
const ARTIFACT = "the release bytes\n";
const denies = (out: string) => [...new Set([...out.matchAll(/^DENY\s+(\S+):/gm)].map((m) => m[1]))].sort();

let builder: TestKey;
let verifierKey: TestKey;
let other: TestKey;

function payloadOf(file: string): any {
  const env = JSON.parse(readFileSync(file, "utf8"));
  return JSON.parse(Buffer.from(env.payload, "base64").toString());
}

function emit(out: string, evidence: string[], extra: string[] = [], key = "verifier.key"): ReturnType<typeof tollgate> {
  return tollgate(["eval", "--key", p("builder.pub"), "--artifact", p("app.tar.gz"), "--time", "2026-06-01T00:00:00Z",
    "--emit-vsa", p(out), "--vsa-signing-key", p(key), "--verifier-id", VERIFIER, "--resource-uri", RESOURCE, ...extra, ...evidence]);
}

beforeAll(async () => {
  builder = generateTestKey("p256");
  verifierKey = generateTestKey("p256");
  other = generateTestKey("p256");
  writeFileSync(p("app.tar.gz"), ARTIFACT);
  writeFileSync(p("evil.tar.gz"), "other bytes\n");
  writeFileSync(p("builder.pub"), builder.pem);
  writeFileSync(p("verifier.pub"), verifierKey.pem);
  writeFileSync(p("other.pub"), other.pem);
  writeFileSync(p("verifier.key"), verifierKey.privateKey.export({ format: "pem", type: "pkcs8" }).toString());
  writeFileSync(p("verifier.sec1.key"), verifierKey.privateKey.export({ format: "pem", type: "sec1" }).toString());
  const ed = generateTestKey("ed25519");
  writeFileSync(p("ed.key"), ed.privateKey.export({ format: "pem", type: "pkcs8" }).toString());
  writeFileSync(p("ed.pub"), ed.pem);
  const st = makeStatement([{ name: "app.tar.gz", sha256: sha256hex(ARTIFACT) }]);
  writeFileSync(p("prov.dsse.json"), JSON.stringify(await signDsse(IN_TOTO_JSON, JSON.stringify(st), [{ key: builder }])));
  const stEvil = makeStatement([{ name: "app.tar.gz", sha256: sha256hex("nope") }]);
  writeFileSync(p("prov-other.dsse.json"), JSON.stringify(await signDsse(IN_TOTO_JSON, JSON.stringify(stEvil), [{ key: builder }])));
});

describe("eval --emit-vsa", () => {
  test("admit: a PASSED VSA with the artifact's digest set, the bundle, the evidence and the levels", () => {
    const r = emit("pass.vsa.json", [p("prov.dsse.json")], ["--data", writeData("pinned.json", { trusted_builders: ["https://github.com/actions/runner/github-hosted"] })]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const st = payloadOf(p("pass.vsa.json"));
    expect(st._type).toBe("https://in-toto.io/Statement/v1");
    expect(st.predicateType).toBe("https://slsa.dev/verification_summary/v1");
    expect(st.subject).toEqual([{ name: "app.tar.gz", digest: { sha256: sha256hex(ARTIFACT) } }]);
    const pr = st.predicate;
    expect(pr.verifier.id).toBe(VERIFIER);
    expect(pr.resourceUri).toBe(RESOURCE);
    expect(pr.timeVerified).toBe("2026-06-01T00:00:00.000Z");
    expect(pr.verificationResult).toBe("PASSED");
    expect(pr.verifiedLevels).toEqual(["SLSA_BUILD_LEVEL_2"]); // signed provenance from a pinned builder
    const json = JSON.parse(tollgate(["eval", "-o", "json", "--key", p("builder.pub"), "--artifact", p("app.tar.gz"), p("prov.dsse.json")]).stdout);
    expect(pr.policy).toEqual({ uri: "embedded:default", digest: { sha256: json.bundle.sha256 }, annotations: { revision: json.bundle.revision, entrypoint: "tollgate/gate/decision" } });
    expect(pr.inputAttestations).toEqual([{ uri: p("prov.dsse.json"), digest: { sha256: sha256hex(readFileSync(p("prov.dsse.json"))) } }]);
    expect(pr.slsaVersion).toBe("1.0");
  });

  test("an unpinned builder's signed provenance is L1", () => {
    expect(emit("l1.vsa.json", [p("prov.dsse.json")]).code).toBe(0);
    expect(payloadOf(p("l1.vsa.json")).predicate.verifiedLevels).toEqual(["SLSA_BUILD_LEVEL_1"]);
  });

  test("deny: a FAILED VSA (verifiedLevels [FAILED]), exit 1", () => {
    const r = emit("fail.vsa.json", [p("prov-other.dsse.json")]);
    expect(r.code).toBe(1);
    const pr = payloadOf(p("fail.vsa.json")).predicate;
    expect(pr.verificationResult).toBe("FAILED");
    expect(pr.verifiedLevels).toEqual(["FAILED"]);
  });

  test("the real cosign accepts it: verify-blob-attestation --type https://slsa.dev/verification_summary/v1", () => {
    const ok = runPeer("cosign", ["verify-blob-attestation", "--key", p("verifier.pub"), "--type", "https://slsa.dev/verification_summary/v1",
      "--insecure-ignore-tlog", "--signature", p("pass.vsa.json"), p("app.tar.gz")], { cwd: dir });
    expect(ok.stderr).toContain("Verified OK");
    expect(ok.code).toBe(0);
    // The other artifact, the other key, the other type: cosign refuses each.
    const wrongBlob = runPeer("cosign", ["verify-blob-attestation", "--key", p("verifier.pub"), "--type", "https://slsa.dev/verification_summary/v1", "--insecure-ignore-tlog", "--signature", p("pass.vsa.json"), p("evil.tar.gz")], { cwd: dir });
    expect(wrongBlob.code).not.toBe(0);
    const wrongKey = runPeer("cosign", ["verify-blob-attestation", "--key", p("other.pub"), "--type", "https://slsa.dev/verification_summary/v1", "--insecure-ignore-tlog", "--signature", p("pass.vsa.json"), p("app.tar.gz")], { cwd: dir });
    expect(wrongKey.code).not.toBe(0);
    const wrongType = runPeer("cosign", ["verify-blob-attestation", "--key", p("verifier.pub"), "--type", "slsaprovenance1", "--insecure-ignore-tlog", "--signature", p("pass.vsa.json"), p("app.tar.gz")], { cwd: dir });
    expect(wrongType.code).not.toBe(0);
  });

  test("cosign accepts an Ed25519-signed VSA and a SEC1 EC key's", () => {
    expect(emit("ed.vsa.json", [p("prov.dsse.json")], [], "ed.key").code).toBe(0);
    const ed = runPeer("cosign", ["verify-blob-attestation", "--key", p("ed.pub"), "--type", "https://slsa.dev/verification_summary/v1", "--insecure-ignore-tlog", "--signature", p("ed.vsa.json"), p("app.tar.gz")], { cwd: dir });
    expect(ed.code).toBe(0);
    expect(emit("sec1.vsa.json", [p("prov.dsse.json")], [], "verifier.sec1.key").code).toBe(0);
    const sec1 = runPeer("cosign", ["verify-blob-attestation", "--key", p("verifier.pub"), "--type", "https://slsa.dev/verification_summary/v1", "--insecure-ignore-tlog", "--signature", p("sec1.vsa.json"), p("app.tar.gz")], { cwd: dir });
    expect(sec1.code).toBe(0);
  });

  test("every field slsa-verifier verify-vsa matches is there (subject digests, verifier.id, resourceUri, PASSED, levels)", () => {
    const st = payloadOf(p("pass.vsa.json"));
    const f = vsaFacts(st.predicate);
    expect(f.verifier_id).toBe(VERIFIER);
    expect(f.resource_uri).toBe(RESOURCE);
    expect(f.result).toBe("PASSED");
    expect(f.track_levels).toEqual({ BUILD: 2 });
    expect(Object.keys(st.subject[0].digest)).toEqual(["sha256"]);
    const env = JSON.parse(readFileSync(p("pass.vsa.json"), "utf8"));
    expect(env.payloadType).toBe("application/vnd.in-toto+json");
    expect(env.signatures).toHaveLength(1);
  });

  test("bad invocations: one clear line, exit 2, no file written", () => {
    const cases: [string[], RegExp][] = [
      [["--emit-vsa", p("x1.json"), "--verifier-id", VERIFIER, "--resource-uri", RESOURCE], /--emit-vsa needs --vsa-signing-key/],
      [["--verifier-id", VERIFIER], /--verifier-id is only used with --emit-vsa FILE/],
      [["--emit-vsa", p("x2.json"), "--vsa-signing-key", p("verifier.pub"), "--verifier-id", VERIFIER, "--resource-uri", RESOURCE], /verifier\.pub.*expected a PEM private key, found "PUBLIC KEY"/],
      [["--emit-vsa", p("x3.json"), "--vsa-signing-key", p("missing.key"), "--verifier-id", VERIFIER, "--resource-uri", RESOURCE], /missing\.key/],
      [["--emit-vsa", p("x4.json"), "--vsa-signing-key", p("verifier.key"), "--verifier-id", "not a uri", "--resource-uri", RESOURCE], /--verifier-id must be a URI/],
      [["--emit-vsa", p("nodir/x5.json"), "--vsa-signing-key", p("verifier.key"), "--verifier-id", VERIFIER, "--resource-uri", RESOURCE, "--artifact", p("app.tar.gz")], /nodir\/x5\.json: cannot write the VSA/],
      [["--emit-vsa", p("x6.json"), "--vsa-signing-key", p("verifier.key"), "--verifier-id", VERIFIER, "--resource-uri", RESOURCE], /--emit-vsa needs the artifact's digest/],
    ];
    for (const [args, want] of cases) {
      const r = tollgate(["eval", "--key", p("builder.pub"), ...args, p("prov.dsse.json")]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(want);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stdout).toBe("");
    }
    for (const f of ["x1.json", "x2.json", "x3.json", "x4.json", "x6.json"]) expect(existsSync(p(f))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

function writeData(name: string, data: unknown): string {
  writeFileSync(p(name), JSON.stringify(data));
  return p(name);
}

describe("VSAs read back as evidence", () => {
  const readArgs = (vsa: string, extra: string[] = []) => ["eval", "--key", p("verifier.pub"), "--artifact", p("app.tar.gz"), "--data", writeData("vsa-gate.json", { provenance_required: false, required_evidence: ["vsa"] }), ...extra, vsa];

  test("a tollgate-emitted PASSED VSA admits where the gate requires a VSA, with its facts", () => {
    const r = tollgate(readArgs(p("pass.vsa.json")));
    expect(r.stdout).not.toContain("DENY");
    expect(r.code).toBe(0);
    const i = JSON.parse(tollgate(["inspect", "--key", p("verifier.pub"), "--artifact", p("app.tar.gz"), p("pass.vsa.json")]).stdout);
    const ev = i.evidence[0];
    expect(ev.kind).toBe("vsa");
    expect(ev.signature.status).toBe("verified");
    expect(ev.facts).toMatchObject({ verifier_id: VERIFIER, resource_uri: RESOURCE, result: "PASSED", passed: true, verified_levels: ["SLSA_BUILD_LEVEL_2"], build_level: 2 });
    expect(ev.facts.input_attestations).toHaveLength(1);
  });

  test("a FAILED VSA denies (vsa.failed), though signed and bound", () => {
    const r = tollgate(readArgs(p("fail.vsa.json")));
    expect(r.code).toBe(1);
    expect(denies(r.stdout)).toEqual(["vsa.failed"]);
    expect(r.stdout).toContain(`verifier ${VERIFIER} reports FAILED for ${RESOURCE}`);
  });

  test("data knobs: trusted verifier, levels, resource URI", () => {
    const knobs = (name: string, d: Record<string, unknown>) => writeData(name, { provenance_required: false, required_evidence: ["vsa"], ...d });
    const run = (d: string) => tollgate(["eval", "--key", p("verifier.pub"), "--artifact", p("app.tar.gz"), "--data", d, p("pass.vsa.json")]);
    expect(run(knobs("k1.json", { trusted_vsa_verifiers: [VERIFIER], vsa_required_levels: ["SLSA_BUILD_LEVEL_2"], expected_vsa_resource_uri: RESOURCE })).code).toBe(0);
    const v = run(knobs("k2.json", { trusted_vsa_verifiers: ["https://someone.else/verifier"] }));
    expect(denies(v.stdout)).toEqual(["vsa.verifier"]);
    const l = run(knobs("k3.json", { vsa_required_levels: ["SLSA_BUILD_LEVEL_3"] }));
    expect(denies(l.stdout)).toEqual(["vsa.levels"]);
    expect(l.stdout).toContain("VSA verified levels [SLSA_BUILD_LEVEL_2] do not reach SLSA_BUILD_LEVEL_3");
    const u = run(knobs("k4.json", { expected_vsa_resource_uri: "oci://registry.example/acme/other" }));
    expect(denies(u.stdout)).toEqual(["vsa.resource-uri"]);
  });

  test("another key's VSA, another artifact: denied naming why", () => {
    const k = tollgate(["eval", "--key", p("other.pub"), "--artifact", p("app.tar.gz"), "--data", p("vsa-gate.json"), p("pass.vsa.json")]);
    expect(k.code).toBe(1);
    expect(denies(k.stdout)).toContain("vsa.signature");
    const a = tollgate(["eval", "--key", p("verifier.pub"), "--artifact", p("evil.tar.gz"), "--data", p("vsa-gate.json"), p("pass.vsa.json")]);
    expect(a.code).toBe(1);
    expect(denies(a.stdout)).toContain("vsa.subject");
  });

  test("Google-style subjects with non-hash digests parse; only strong digests bind", async () => {
    const st = { _type: "https://in-toto.io/Statement/v1", predicateType: "https://slsa.dev/verification_summary/v1",
      subject: [{ name: "gce_image://x", digest: { gce_image_id: "8970095005306000053", sha256: sha256hex(ARTIFACT) } }],
      predicate: { verifier: { id: "https://bcid.corp.google.com/verifier/bcid_package_enforcer/v0.1" }, timeVerified: "2024-01-01T00:00:00Z", resourceUri: "gce_image://gke-node-images:x", policy: { uri: "googlefile:/google_src/files/policy.txtpb" }, verificationResult: "PASSED", verifiedLevels: ["BCID_L1", "SLSA_BUILD_LEVEL_2"] } };
    writeFileSync(p("gce.vsa.json"), JSON.stringify(await signDsse(IN_TOTO_JSON, JSON.stringify(st), [{ key: verifierKey, keyid: "keystore://76574:prod:vsa_signing_public_key" }])));
    const r = tollgate(readArgs(p("gce.vsa.json"), ["--data", writeData("gce.json", { vsa_required_levels: ["BCID_L1", "SLSA_BUILD_LEVEL_1"] })]));
    expect(r.stdout).not.toContain("DENY");
    expect(r.code).toBe(0);
  });

  test("malformed predicates: a failed predicate.schema naming the field", () => {
    const base = { verifier: { id: VERIFIER }, timeVerified: "2026-01-01T00:00:00Z", resourceUri: RESOURCE, policy: { uri: "x:y" }, verificationResult: "PASSED", verifiedLevels: [] };
    expect(() => vsaFacts({ ...base, verificationResult: "passed" })).toThrow(/verificationResult must be "PASSED" or "FAILED"/);
    expect(() => vsaFacts({ ...base, verifier: {} })).toThrow(/verifier\.id must be a non-empty string/);
    expect(() => vsaFacts({ ...base, policy: {} })).toThrow(/policy\.uri must be a non-empty string/);
    expect(() => vsaFacts({ ...base, resourceUri: undefined })).toThrow(/resourceUri/);
    expect(() => vsaFacts({ ...base, verifiedLevels: ["SLSA_BUILD_LEVEL_X"] })).toThrow(/malformed SLSA level/);
    expect(() => vsaFacts({ ...base, inputAttestations: [{ uri: "a:b" }] })).toThrow(/inputAttestations\[0\] must carry a digest/);
    expect(() => vsaFacts({ ...base, timeVerified: "yesterday" })).toThrow(/timeVerified/);
  });
});
