// oci://HOST/REPO@sha256:HEX as an evidence operand, against real registries on 127.0.0.1: the distribution
// registry (no referrers API: cosign tags and the referrers tag schema) and go-containerregistry's registry with the referrers API. Images are pushed with the real crane, attestations with the real cosign (keyed, --tlog-upload=false,
// classic .att tags and --new-bundle-format referrers), signatures with cosign sign, SBOMs with oras attach.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tollgate } from "./support/cli.ts";
import { runPeer } from "./support/peers.ts";
import { pushRandomImage, startReferrersRegistry, startDistribution, tempDir, type RunningRegistry } from "./support/registry.ts";

// Real peers and registries: cosign and crane take seconds, the referrers registry is built once.
setDefaultTimeout(120_000);

const dir = tempDir();
const registries: RunningRegistry[] = [];
let dist: RunningRegistry;
let craneReg: RunningRegistry;
const KEY = join(dir, "cosign.key");
const PUB = join(dir, "cosign.pub");
const COSIGN_ENV = { COSIGN_PASSWORD: "", COSIGN_YES: "true", HOME: dir };

function cosign(args: string[]): string {
  const r = runPeer("cosign", args, { cwd: dir, env: COSIGN_ENV });
  if (r.code !== 0) throw new Error(`cosign ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** A SLSA v1 provenance predicate (the statement is made by cosign around it). */
function provenancePredicate(): string {
  const p = join(dir, `pred-${Bun.randomUUIDv7()}.json`);
  writeFileSync(p, JSON.stringify({
    buildDefinition: { buildType: "https://actions.github.io/buildtypes/workflow/v1", externalParameters: { workflow: { ref: "refs/tags/v1", repository: "https://github.com/acme/api", path: ".github/workflows/release.yml" } }, resolvedDependencies: [] },
    runDetails: { builder: { id: "https://github.com/actions/runner/github-hosted" }, metadata: { invocationId: "https://github.com/acme/api/actions/runs/1/attempts/1" } },
  }));
  return p;
}

const referrersOf = () => craneReg.host;

function attest(image: string, extra: string[] = []): void {
  cosign(["attest", "--key", KEY, "--type", "https://slsa.dev/provenance/v1", "--predicate", provenancePredicate(), "--tlog-upload=false", "--allow-http-registry", ...extra, image]);
}

beforeAll(async () => {
  cosign(["generate-key-pair"]);
  dist = await startDistribution();
  craneReg = await startReferrersRegistry();
  registries.push(dist, craneReg);
});

afterAll(async () => {
  for (const r of registries) await r.stop();
});

describe("oci:// evidence, keyed cosign attest (.att tag)", () => {
  for (const which of ["distribution", "referrers"] as const) {
    test(`${which}: attested image is admitted; the subject is the image digest`, () => {
      const reg = which === "distribution" ? dist : craneReg;
      const image = pushRandomImage(reg.host, "acme/api", dir);
      attest(image);
      const digest = image.split("@")[1]!;
      const r = tollgate(["eval", "--key", PUB, "--output", "json", `oci://${image}`]);
      expect(r.stderr).toBe("");
      const out = JSON.parse(r.stdout);
      expect(out.subject.digest.sha256).toBe(digest.slice(7));
      expect(out.subject.name).toBe(`${reg.host}/acme/api`);
      const prov = out.evidence.find((e: any) => e.kind === "slsa-provenance");
      expect(prov.path).toStartWith(`oci://${reg.host}/acme/api@sha256:`);
      expect(out.allow).toBe(true);
      expect(r.code).toBe(0);
    });
  }

  test("an attestation signed by another key is denied", () => {
    const image = pushRandomImage(dist.host, "acme/other", dir);
    attest(image);
    const otherDir = tempDir();
    runPeer("cosign", ["generate-key-pair"], { cwd: otherDir, env: { ...COSIGN_ENV, HOME: otherDir } });
    const r = tollgate(["eval", "--key", join(otherDir, "cosign.pub"), `oci://${image}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("I1.provenance-signature");
  });

  test("an attestation for another image is not bound to this one: denied", () => {
    const a = pushRandomImage(dist.host, "acme/bind", dir, "a");
    const b = pushRandomImage(dist.host, "acme/bind", dir, "b");
    attest(a);
    // Copy a's .att manifest under b's cosign tag: the statement names a's digest.
    const aTag = `${dist.host}/acme/bind:${a.split("@")[1]!.replace(":", "-")}.att`;
    const bTag = `${dist.host}/acme/bind:${b.split("@")[1]!.replace(":", "-")}.att`;
    expect(runPeer("crane", ["copy", aTag, bTag]).code).toBe(0);
    const r = tollgate(["eval", "--key", PUB, "--output", "json", `oci://${b}`]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.deny.map((d: any) => d.rule)).toContain("I1.provenance-required");
  });

  test("an image with nothing attached is denied (fail closed), and verify says nothing is attached", () => {
    const image = pushRandomImage(dist.host, "acme/bare", dir);
    const r = tollgate(["eval", "--key", PUB, `oci://${image}`]);
    expect(r.code).toBe(1);
    const v = tollgate(["verify", "--key", PUB, `oci://${image}`]);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain("no signature, attestation or SBOM is attached");
  });
});

describe("oci:// evidence, cosign attest --new-bundle-format (referrers)", () => {
  for (const which of ["distribution", "referrers"] as const) {
    test(`${which}: the Sigstore bundle referrer is fetched and verified with --key`, () => {
      const reg = which === "distribution" ? dist : craneReg;
      const image = pushRandomImage(reg.host, "acme/bundle", dir);
      attest(image, ["--new-bundle-format"]);
      const r = tollgate(["inspect", "--key", PUB, `oci://${image}`]);
      expect(r.stderr).toBe("");
      const input = JSON.parse(r.stdout);
      const prov = input.evidence.find((e: any) => e.kind === "slsa-provenance");
      expect(prov.source.format).toBe("sigstore-bundle-v0.3");
      expect(prov.statement.subject[0].digest.sha256).toBe(image.split("@sha256:")[1]);
      expect(prov.signature.status).toBe("verified");
    });
  }
});

describe("oci:// evidence, cosign sign and oras attach", () => {
  test("a keyed cosign signature (.sig) is an image-signature record, verified with --key", () => {
    const image = pushRandomImage(dist.host, "acme/signed", dir);
    cosign(["sign", "--key", KEY, "--tlog-upload=false", "--allow-http-registry", image]);
    const r = tollgate(["verify", "--key", PUB, "--output", "json", `oci://${image}`]);
    const out = JSON.parse(r.stdout);
    const sig = out.evidence.find((e: any) => e.kind === "image-signature");
    expect(sig.signature.status).toBe("verified");
    expect(r.code).toBe(0);
  });

  test("the same signature saved by `cosign download signature` is the same evidence as a file", () => {
    const image = pushRandomImage(dist.host, "acme/dl", dir);
    cosign(["sign", "--key", KEY, "--tlog-upload=false", "--allow-http-registry", image]);
    const dl = runPeer("cosign", ["download", "signature", "--allow-http-registry", image], { cwd: dir, env: COSIGN_ENV });
    expect(dl.code).toBe(0);
    const file = join(dir, "sig.json");
    writeFileSync(file, dl.stdout);
    const r = tollgate(["verify", "--key", PUB, "--output", "json", file]);
    const out = JSON.parse(r.stdout);
    expect(out.evidence[0].kind).toBe("image-signature");
    expect(out.evidence[0].signature.status).toBe("verified");
    expect(r.code).toBe(0);
    const fromRegistry = JSON.parse(tollgate(["inspect", "--key", PUB, `oci://${image}`]).stdout).evidence[0];
    expect(fromRegistry.facts).toEqual(JSON.parse(tollgate(["inspect", "--key", PUB, file]).stdout).evidence[0].facts);
  });

  test("an SBOM attached with oras (referrer) is fetched; with no attestation the gate denies", () => {
    const image = pushRandomImage(craneReg.host, "acme/sbom", dir);
    const sbom = join(dir, "sbom.spdx.json");
    writeFileSync(sbom, JSON.stringify({ spdxVersion: "SPDX-2.3", SPDXID: "SPDXRef-DOCUMENT", name: "acme", dataLicense: "CC0-1.0", documentNamespace: "https://acme.example/sbom", creationInfo: { created: "2026-01-01T00:00:00Z", creators: ["Tool: test"] }, packages: [] }));
    const r0 = runPeer("oras", ["attach", "--plain-http", "--artifact-type", "application/spdx+json", image, "sbom.spdx.json:application/spdx+json"], { cwd: dir });
    expect(r0.stderr).toBe("");
    // The SBOM is fetched (and skipped: no SBOM evidence kind yet), so verify has nothing it verified.
    const v = tollgate(["verify", `oci://${image}`]);
    expect(v.code).toBe(2);
    expect(v.stderr).toContain("nothing verified: no evidence tollgate recognizes");
    expect(v.stderr).toContain("(1 file(s) skipped)");
    expect(tollgate(["eval", `oci://${image}`]).code).toBe(1);
  });
});

describe("bad registry input: one line, exit 2", () => {
  test("a blob nested deeper than the JSON limit (a real, digest-correct oras attachment) is refused like a file", () => {
    const image = pushRandomImage(referrersOf(), "acme/deep", dir);
    writeFileSync(join(dir, "deep.json"), "[".repeat(5000) + "]".repeat(5000));
    expect(runPeer("oras", ["attach", "--plain-http", "--artifact-type", "application/json", image, "deep.json:application/json"], { cwd: dir }).code).toBe(0);
    const r = tollgate(["eval", `oci://${image}`]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("JSON nested 5000 levels deep");
  });

  test("unreachable registry", () => {
    const r = tollgate(["eval", `oci://127.0.0.1:1/acme/api@sha256:${"a".repeat(64)}`]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("registry unreachable (connection refused)");
  });

  test("an image that is not there", () => {
    const r = tollgate(["eval", `oci://${dist.host}/acme/api@sha256:${"b".repeat(64)}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not found in the registry (404)");
  });

  test("an operand not pinned by digest", () => {
    const r = tollgate(["eval", `oci://${dist.host}/acme/api:v1`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not pinned by digest");
  });

  test("plain HTTP to a non-loopback host is refused without --allow-http-registry", () => {
    // The refusal happens before any connection: the host is never contacted over HTTP.
    const r = tollgate(["eval", `oci://registry.invalid/acme/api@sha256:${"c".repeat(64)}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("registry unreachable");
  });

  test("--registry-config that is not JSON", () => {
    const cfg = join(dir, "bad-config.json");
    writeFileSync(cfg, "{not json");
    const image = `oci://${dist.host}/acme/api@sha256:${"d".repeat(64)}`;
    const r = tollgate(["eval", "--registry-config", cfg, image]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("registry config is not a docker config.json");
  });
});

void readFileSync;
