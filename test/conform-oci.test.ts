// Conformance probes against a real registry: the distribution registry on 127.0.0.1, an image pushed with the
// real crane, a SLSA v1 attestation attached with the real cosign (keyed, no transparency log).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { tollgate } from "./support/cli.ts";
import { runPeer } from "./support/peers.ts";
import { pushRandomImage, startDistribution, tempDir, type RunningRegistry } from "./support/registry.ts";

setDefaultTimeout(120_000);

const dir = tempDir("tollgate-conform-oci-");
const PUB = join(dir, "cosign.pub");
const ENV = { COSIGN_PASSWORD: "", COSIGN_YES: "true", HOME: dir };
let reg: RunningRegistry;
let image: string;

function cosign(args: string[]): void {
  const r = runPeer("cosign", args, { cwd: dir, env: ENV });
  if (r.code !== 0) throw new Error(`cosign ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
}

beforeAll(async () => {
  cosign(["generate-key-pair"]);
  reg = await startDistribution();
  image = pushRandomImage(reg.host, "acme/api", dir);
  const pred = join(dir, "pred.json");
  writeFileSync(pred, JSON.stringify({
    buildDefinition: { buildType: "https://actions.github.io/buildtypes/workflow/v1", externalParameters: { workflow: { ref: "refs/tags/v1", repository: "https://github.com/acme/api", path: ".github/workflows/release.yml" } }, resolvedDependencies: [] },
    runDetails: { builder: { id: "https://github.com/actions/runner/github-hosted" }, metadata: { invocationId: "https://github.com/acme/api/actions/runs/1/attempts/1" } },
  }));
  cosign(["attest", "--key", join(dir, "cosign.key"), "--type", "https://slsa.dev/provenance/v1", "--predicate", pred, "--tlog-upload=false", "--allow-http-registry", image]);
});

afterAll(async () => {
  await reg?.stop();
});

describe("conform over oci:// references", () => {
  test("I1: the attestation is found as a referrer of the image; not transparency-logged, so that MUST fails", () => {
    for (const ref of [`oci://${image}`, image]) {
      const r = tollgate(["conform", "I1", ref, "--key", PUB, "--output", "json"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout);
      expect(out.musts.filter((m: any) => !m.ok).map((m: any) => m.id)).toEqual(["I1.signed-transparency-logged"]);
      expect(out.musts.find((m: any) => m.id === "I1.retrievable").reason).toBe("provenance found as an OCI referrer of the image");
    }
  });

  test("I4: the embedded gate pinning the cosign key admits the image and denies it altered", () => {
    const r = tollgate(["conform", "I4", `oci://${image}`, join(dir, "empty.yaml"), "--key", PUB, "--output", "json"]);
    expect(r.code).toBe(2); // the policy file does not exist: could not run
    writeFileSync(join(dir, "empty.yaml"), stringify({ trusted_builders: ["https://github.com/actions/runner/github-hosted"] }));
    const ok = tollgate(["conform", "I4", `oci://${image}`, join(dir, "empty.yaml"), "--key", PUB, "--output", "json"]);
    const out = JSON.parse(ok.stdout);
    expect(out.musts.filter((m: any) => !m.ok).map((m: any) => m.id)).toEqual(["I4.decision-signal"]);
  });

  test("an image the registry does not have: exit 2, one line", () => {
    const missing = `${reg.host}/acme/none@sha256:${"a".repeat(64)}`;
    const r = tollgate(["conform", "I1", `oci://${missing}`, "--key", PUB]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
