// tollgate promote (I2) between real registries: the distribution registry (no referrers API) and
// go-containerregistry's registry with the referrers API, with attachments made by the real cosign and oras.
// Also image indexes per --platform (which digest is the subject) on the evidence side.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tollgate } from "./support/cli.ts";
import { runPeer } from "./support/peers.ts";
import { pushRandomImage, pushRandomIndex, startDistribution, startReferrersRegistry, tempDir, type RunningRegistry } from "./support/registry.ts";

setDefaultTimeout(120_000);

const dir = tempDir();
let dist: RunningRegistry;
let refs: RunningRegistry;
const KEY = join(dir, "cosign.key");
const PUB = join(dir, "cosign.pub");
const COSIGN_ENV = { COSIGN_PASSWORD: "", COSIGN_YES: "true", HOME: dir };

function cosign(args: string[], cwd = dir): void {
  const r = runPeer("cosign", args, { cwd, env: { ...COSIGN_ENV, HOME: cwd } });
  if (r.code !== 0) throw new Error(`cosign ${args.join(" ")}: ${r.stderr}`);
}

function attest(image: string, key = KEY, extra: string[] = []): void {
  const pred = join(dir, `pred-${Bun.randomUUIDv7()}.json`);
  writeFileSync(pred, JSON.stringify({ buildDefinition: { buildType: "https://example.com/build", externalParameters: {} }, runDetails: { builder: { id: "https://example.com/builder" } } }));
  cosign(["attest", "--key", key, "--type", "https://slsa.dev/provenance/v1", "--predicate", pred, "--tlog-upload=false", "--allow-http-registry", ...extra, image]);
}

function tags(repo: string): string[] {
  return runPeer("crane", ["ls", repo]).stdout.trim().split("\n").filter(Boolean);
}

beforeAll(async () => {
  cosign(["generate-key-pair"]);
  dist = await startDistribution();
  refs = await startReferrersRegistry();
});

afterAll(async () => {
  await dist.stop();
  await refs.stop();
});

describe("tollgate promote", () => {
  test("verified, then copied with every attachment (tag scheme and referrers) to a registry with the referrers API", () => {
    const image = pushRandomImage(dist.host, "staging/api", dir);
    const digest = image.split("@")[1]!;
    attest(image);
    attest(image, KEY, ["--new-bundle-format"]);
    cosign(["sign", "--key", KEY, "--tlog-upload=false", "--allow-http-registry", image]);
    writeFileSync(join(dir, "sbom.cdx.json"), JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.5", version: 1, components: [] }));
    expect(runPeer("oras", ["attach", "--plain-http", "--artifact-type", "application/vnd.cyclonedx+json", image, "sbom.cdx.json:application/vnd.cyclonedx+json"], { cwd: dir }).code).toBe(0);

    const log = join(dir, "promote.log.jsonl");
    const r = tollgate(["promote", "--key", PUB, "--decision-log", log, "--environment", "prod", `oci://${image}`, `oci://${refs.host}/prod/api:1.0`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("verified and admitted first");
    expect(r.stdout).toContain("1 .sig, 1 .att, 0 .sbom, 2 referrers");

    // The copy is byte-identical (same digest), tagged, and its evidence came along.
    expect(runPeer("crane", ["digest", `${refs.host}/prod/api:1.0`]).stdout.trim()).toBe(digest);
    const t = tags(`${refs.host}/prod/api`);
    expect(t).toContain(`${digest.replace(":", "-")}.att`);
    expect(t).toContain(`${digest.replace(":", "-")}.sig`);
    const v = tollgate(["verify", "--key", PUB, "--output", "json", `oci://${refs.host}/prod/api@${digest}`]);
    const out = JSON.parse(v.stdout);
    expect(out.evidence.map((e: any) => e.source.format).sort()).toEqual(["cosign-simple-signing", "dsse", "sigstore-bundle-v0.3"]);
    expect(out.skipped).toHaveLength(1); // the CycloneDX SBOM referrer
    expect(v.code).toBe(0);
    expect(tollgate(["eval", "--key", PUB, `oci://${refs.host}/prod/api@${digest}`]).code).toBe(0);

    // The decision signal: one OTLP/JSON LogRecord.
    const rec = JSON.parse(readFileSync(log, "utf8").trim()).resourceLogs[0].scopeLogs[0].logRecords[0];
    const attr = Object.fromEntries(rec.attributes.map((a: any) => [a.key, a.value.stringValue ?? a.value.boolValue ?? a.value.intValue]));
    expect(rec.eventName).toBe("tollgate.decision");
    expect(attr["tollgate.decision.endpoint"]).toBe("promote");
    expect(attr["tollgate.decision.allow"]).toBe(true);
    expect(attr["tollgate.promotion.verified"]).toBe(true);
    expect(attr["tollgate.promotion.destination"]).toBe(`oci://${refs.host}/prod/api@${digest}`);
    expect(attr["tollgate.subject.digest"]).toBe(digest);
  });

  test("to a registry without the referrers API, referrers land under the referrers tag schema", () => {
    const image = pushRandomImage(refs.host, "staging/web", dir);
    const digest = image.split("@")[1]!;
    attest(image, KEY, ["--new-bundle-format"]);
    const r = tollgate(["promote", "--key", PUB, `oci://${image}`, `oci://${dist.host}/prod/web`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(tags(`${dist.host}/prod/web`)).toContain(digest.replace(":", "-"));
    const v = tollgate(["inspect", "--key", PUB, `oci://${dist.host}/prod/web@${digest}`]);
    expect(JSON.parse(v.stdout).evidence[0].source.format).toBe("sigstore-bundle-v0.3");
  });

  test("denied by the gate: nothing is copied, exit 1, and the signal says deny", () => {
    const image = pushRandomImage(dist.host, "staging/bad", dir);
    const other = tempDir();
    cosign(["generate-key-pair"], other);
    attest(image, join(other, "cosign.key"));
    const log = join(dir, "deny.log.jsonl");
    const r = tollgate(["promote", "--key", PUB, "--decision-log", log, `oci://${image}`, `oci://${refs.host}/prod/bad:1.0`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("NOT PROMOTED");
    expect(r.stdout).toContain("I1.provenance-signature");
    expect(runPeer("crane", ["manifest", `${refs.host}/prod/bad@${image.split("@")[1]}`]).code).not.toBe(0);
    const rec = JSON.parse(readFileSync(log, "utf8").trim()).resourceLogs[0].scopeLogs[0].logRecords[0];
    expect(rec.attributes.find((a: any) => a.key === "tollgate.decision.allow").value.boolValue).toBe(false);
  });

  test("--policy oci://… gates the promotion with a signed bundle pulled from the registry", () => {
    const { generateKeyPairSync } = require("node:crypto") as typeof import("node:crypto");
    const kp = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const priv = join(dir, "policy.key");
    const pub = join(dir, "policy.pub");
    writeFileSync(priv, kp.privateKey.export({ format: "pem", type: "pkcs8" }));
    writeFileSync(pub, kp.publicKey.export({ format: "pem", type: "spki" }));
    const bundle = join(dir, "gate.tar.gz");
    writeFileSync(bundle, readFileSync("bundles/default.tar.gz"));
    expect(tollgate(["bundle", "sign", bundle, "--signing-key", priv, "--signing-alg", "ES256"]).code).toBe(0);
    expect(tollgate(["bundle", "push", bundle, `oci://${dist.host}/policy/gate:v1`]).code).toBe(0);
    const image = pushRandomImage(dist.host, "staging/pol", dir);
    attest(image);
    const args = ["promote", "--policy", `oci://${dist.host}/policy/gate:v1`, "--key", PUB, `oci://${image}`, `oci://${refs.host}/prod/pol`];
    const unverified = tollgate(args);
    expect(unverified.code).toBe(2);
    expect(unverified.stderr).toContain("refusing to evaluate an unverified bundle");
    const r = tollgate([...args.slice(0, 3), "--verification-key", pub, ...args.slice(3)]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("an image with nothing attached is not promoted under a trust flag (fail closed)", () => {
    const image = pushRandomImage(dist.host, "staging/bare", dir);
    const r = tollgate(["promote", "--key", PUB, `oci://${image}`, `oci://${refs.host}/prod/bare`]);
    expect(r.code).toBe(1);
    expect(runPeer("crane", ["manifest", `${refs.host}/prod/bare@${image.split("@")[1]}`]).code).not.toBe(0);
  });

  test("--only sig copies the signature and not the image (as cosign copy --only)", () => {
    const image = pushRandomImage(dist.host, "staging/only", dir);
    const digest = image.split("@")[1]!;
    attest(image);
    cosign(["sign", "--key", KEY, "--tlog-upload=false", "--allow-http-registry", image]);
    const r = tollgate(["promote", "--only", "sig", `oci://${image}`, `oci://${refs.host}/prod/only`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("NOT verified");
    expect(tags(`${refs.host}/prod/only`)).toEqual([`${digest.replace(":", "-")}.sig`]);
    expect(runPeer("crane", ["manifest", `${refs.host}/prod/only@${digest}`]).code).not.toBe(0);
  });

  test("an index is copied with every platform, within one registry by cross-repository mount", () => {
    const { index, children } = pushRandomIndex(dist.host, "staging/multi", dir, ["linux/amd64", "linux/arm64"]);
    const r = tollgate(["promote", `oci://${index}`, `oci://${dist.host}/prod/multi:1.0`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/3 manifests; blobs 0 uploaded, [1-9]\d* mounted/);
    for (const c of Object.values(children)) expect(runPeer("crane", ["manifest", `${dist.host}/prod/multi@${c.split("@")[1]}`]).code).toBe(0);
  });

  test("--emit-vsa: a signed VSA of the promotion decision (PASSED and copied; FAILED and not copied); none for an unverified copy", () => {
    const { generateKeyPairSync } = require("node:crypto") as typeof import("node:crypto");
    const kp = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const vkey = join(dir, "vsa.key");
    const vpub = join(dir, "vsa.pub");
    writeFileSync(vkey, kp.privateKey.export({ format: "pem", type: "pkcs8" }));
    writeFileSync(vpub, kp.publicKey.export({ format: "pem", type: "spki" }));
    const vsaArgs = (out: string) => ["--emit-vsa", join(dir, out), "--vsa-signing-key", vkey, "--verifier-id", "https://ci.example/promote", "--resource-uri", `oci://${refs.host}/prod/vsa`];
    const payload = (out: string) => JSON.parse(Buffer.from(JSON.parse(readFileSync(join(dir, out), "utf8")).payload, "base64").toString());

    const image = pushRandomImage(dist.host, "staging/vsa", dir);
    const digest = image.split("@")[1]!;
    attest(image);
    const ok = tollgate(["promote", "--key", PUB, ...vsaArgs("promote.vsa.json"), `oci://${image}`, `oci://${refs.host}/prod/vsa`]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    const st = payload("promote.vsa.json");
    expect(st.subject[0].digest).toEqual({ sha256: digest.slice("sha256:".length) });
    expect(st.predicate.verificationResult).toBe("PASSED");
    expect(st.predicate.resourceUri).toBe(`oci://${refs.host}/prod/vsa`);
    expect(st.predicate.inputAttestations.length).toBeGreaterThan(0);
    // Read back by tollgate as the VSA evidence of the promoted image.
    writeFileSync(join(dir, "vsa-gate.json"), JSON.stringify({ provenance_required: false, required_evidence: ["vsa"], trusted_vsa_verifiers: ["https://ci.example/promote"] }));
    expect(tollgate(["eval", "--key", vpub, "--subject", digest, "--data", join(dir, "vsa-gate.json"), join(dir, "promote.vsa.json")]).code).toBe(0);

    const bad = pushRandomImage(dist.host, "staging/vsabad", dir);
    const other = tempDir();
    cosign(["generate-key-pair"], other);
    attest(bad, join(other, "cosign.key"));
    const no = tollgate(["promote", "--key", PUB, ...vsaArgs("denied.vsa.json"), `oci://${bad}`, `oci://${refs.host}/prod/vsabad`]);
    expect(no.code).toBe(1);
    expect(payload("denied.vsa.json").predicate.verificationResult).toBe("FAILED");
    expect(runPeer("crane", ["manifest", `${refs.host}/prod/vsabad@${bad.split("@")[1]}`]).code).not.toBe(0);

    const unverified = tollgate(["promote", ...vsaArgs("never.vsa.json"), `oci://${image}`, `oci://${refs.host}/prod/vsa2`]);
    expect(unverified.code).toBe(2);
    expect(unverified.stderr).toContain("--emit-vsa records a verified decision");
    expect(existsSync(join(dir, "never.vsa.json"))).toBe(false);
  });

  test("bad arguments: --emit-vsa without its companions, a source not pinned by digest, --only with an unknown item", () => {
    const src = `oci://${dist.host}/staging/api@sha256:${"a".repeat(64)}`;
    const vsa = tollgate(["promote", "--key", PUB, "--emit-vsa", join(dir, "vsa.json"), src, `oci://${refs.host}/prod/x`]);
    expect(vsa.code).toBe(2);
    expect(vsa.stderr).toContain("--emit-vsa needs --vsa-signing-key, --verifier-id, --resource-uri");
    expect(tollgate(["promote", `oci://${dist.host}/staging/api:v1`, `oci://${refs.host}/prod/x`]).stderr).toContain("not pinned by digest");
    expect(tollgate(["promote", "--only", "sig,img", src, `oci://${refs.host}/prod/x`]).stderr).toContain("--only takes sig,att,sbom");
  });
});

describe("image indexes and --platform", () => {
  test("attested by index digest: with --platform the index stays the subject", () => {
    const { index } = pushRandomIndex(dist.host, "plat/a", dir, ["linux/amd64", "linux/arm64"]);
    attest(index);
    const r = tollgate(["eval", "--key", PUB, "--platform", "linux/arm64", "--output", "json", `oci://${index}`]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).subject.digest.sha256).toBe(index.split("@sha256:")[1]);
  });

  test("attested per platform: --platform makes that platform's manifest the subject", () => {
    const { index, children } = pushRandomIndex(dist.host, "plat/b", dir, ["linux/amd64", "linux/arm64"]);
    attest(children["linux/arm64"]!);
    const arm = tollgate(["eval", "--key", PUB, "--platform", "linux/arm64", "--output", "json", `oci://${index}`]);
    expect(arm.code).toBe(0);
    expect(JSON.parse(arm.stdout).subject.digest.sha256).toBe(children["linux/arm64"]!.split("@sha256:")[1]);
    // The amd64 image has no attestation of its own: denied.
    expect(tollgate(["eval", "--key", PUB, "--platform", "linux/amd64", `oci://${index}`]).code).toBe(1);
    const none = tollgate(["eval", "--key", PUB, "--platform", "linux/s390x", `oci://${index}`]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("index has no manifest for platform linux/s390x (it has linux/amd64, linux/arm64)");
  });
});
