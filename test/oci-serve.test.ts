// The gate service and OCI: a `bundle.oci` source (polled by manifest digest, hot-swapped, last good kept when
// a new one fails) and `oci://` images posted to /v1/gate, against the real distribution registry with a
// real `tollgate serve` process, attestations by the real cosign.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, CLI, servedUrl, tollgate } from "./support/cli.ts";
import { runPeer } from "./support/peers.ts";
import { pushRandomImage, startDistribution, tempDir, type RunningRegistry } from "./support/registry.ts";

setDefaultTimeout(60_000);

const dir = tempDir();
let reg: RunningRegistry;
let proc: ReturnType<typeof Bun.spawn> | undefined;
let url = "";
let stderr = "";
const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const PRIV = join(dir, "bundle.key");
const PUB = join(dir, "bundle.pub");
const COSIGN_ENV = { COSIGN_PASSWORD: "", COSIGN_YES: "true", HOME: dir };

// The gate admits an image whose verified SLSA provenance names the subject; every answer carries data.rev.
const GATE = `package tollgate.gate

default allow := false

allow if {
	some ev in input.evidence
	ev.kind == "slsa-provenance"
	ev.signature.status == "verified"
	some s in ev.statement.subject
	s.digest.sha256 == input.context.subject.digest.sha256
}

deny contains {"rule": "test.provenance-required", "msg": "no verified provenance for the subject"} if not allow

decision := {"allow": allow, "deny": deny, "warn": {{"rule": "rev", "msg": data.rev}}}
`;

function buildBundle(rev: string, sign = true): string {
  const src = join(dir, `src-${rev}`);
  mkdirSync(join(src, "tollgate/gate"), { recursive: true });
  writeFileSync(join(src, "tollgate/gate/gate.rego"), GATE);
  writeFileSync(join(src, "data.json"), JSON.stringify({ rev }));
  const out = join(dir, `${rev}.tar.gz`);
  expect(tollgate(["bundle", "build", src, "-o", out, "-e", "tollgate/gate/decision", "--revision", rev]).code).toBe(0);
  if (sign) expect(tollgate(["bundle", "sign", out, "--signing-key", PRIV, "--signing-alg", "ES256", "--key-id", "gate"]).code).toBe(0);
  return out;
}

async function ready(): Promise<any> {
  return (await fetch(`${url}/ready`)).json();
}

async function until<T>(what: string, f: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; gate stderr:\n${stderr}`);
}

beforeAll(async () => {
  reg = await startDistribution();
  writeFileSync(PRIV, privateKey.export({ format: "pem", type: "pkcs8" }));
  writeFileSync(PUB, publicKey.export({ format: "pem", type: "spki" }));
  expect(runPeer("cosign", ["generate-key-pair"], { cwd: dir, env: COSIGN_ENV }).code).toBe(0);
  expect(tollgate(["bundle", "push", buildBundle("r1"), `oci://${reg.host}/policy/gate:live`]).code).toBe(0);
  writeFileSync(join(dir, "serve.yaml"), [
    `addr: "127.0.0.1:0"`,
    "bundle:",
    `  oci: oci://${reg.host}/policy/gate:live`,
    "  polling: {min_delay_seconds: 0.2, max_delay_seconds: 0.3}",
    "keys:",
    "  gate: {key_file: bundle.pub, algorithm: ES256}",
    "evidence:",
    "  key_files: [cosign.pub]",
  ].join("\n") + "\n");
  proc = Bun.spawn([BUN, CLI, "serve", "--config", join(dir, "serve.yaml")], { stdout: "pipe", stderr: "pipe" });
  void (async () => {
    for await (const c of proc!.stderr as ReadableStream<Uint8Array>) stderr += new TextDecoder().decode(c);
  })();
  url = (await servedUrl(proc as { stdout: ReadableStream<Uint8Array> }, 30_000)) ?? "";
  if (!url) throw new Error(`serve did not start: ${stderr}`);
});

afterAll(async () => {
  proc?.kill("SIGTERM");
  await proc?.exited;
  await reg.stop();
});

describe("bundle.oci: polled by digest, hot swap, last good kept", () => {
  test("the first bundle is active, then a new push is swapped in, and a bad one is refused with the good one kept", async () => {
    const first = await until("r1 active", async () => ((await ready()).bundle?.revision === "r1" ? await ready() : undefined));
    expect(first.bundle.signature.status).toBe("verified");
    expect(first.bundle.source).toMatch(new RegExp(`^oci://${reg.host}/policy/gate:live@sha256:[0-9a-f]{64}$`));

    expect(tollgate(["bundle", "push", buildBundle("r2"), `oci://${reg.host}/policy/gate:live`]).code).toBe(0);
    await until("r2 active", async () => ((await ready()).bundle?.revision === "r2" ? true : undefined));

    // Unsigned: refused (keys are configured); r2 stays active and the failure is reported.
    expect(tollgate(["bundle", "push", buildBundle("r3", false), `oci://${reg.host}/policy/gate:live`]).code).toBe(0);
    const after = await until("r3 refused", async () => { const r = await ready(); return r.last_failure?.source?.includes("policy/gate:live@sha256:") ? r : undefined; });
    expect(after.bundle.revision).toBe("r2");
    expect(after.last_failure.code).toBe("bundle_unverified");
    expect(stderr).toContain("keeping revision \"r2\"");
  });
});

describe("/v1/gate with oci:// images", () => {
  test("?image= fetches the image's attestations; the image digest is the subject", async () => {
    const image = pushRandomImage(reg.host, "acme/api", dir);
    writeFileSync(join(dir, "pred.json"), JSON.stringify({ buildDefinition: { buildType: "https://example.com/b", externalParameters: {} }, runDetails: { builder: { id: "https://example.com/builder" } } }));
    expect(runPeer("cosign", ["attest", "--key", join(dir, "cosign.key"), "--type", "https://slsa.dev/provenance/v1", "--predicate", "pred.json", "--tlog-upload=false", "--allow-http-registry", image], { cwd: dir, env: COSIGN_ENV }).code).toBe(0);
    const r = await fetch(`${url}/v1/gate?image=${encodeURIComponent(`oci://${image}`)}`, { method: "POST" });
    const body = (await r.json()) as any;
    expect(r.status).toBe(200);
    expect(body.allow).toBe(true);
    expect(body.subject).toBe(image.split("@")[1]);
    expect(body.evidence.map((e: any) => e.kind)).toEqual(["slsa-provenance"]);

    // The same as a JSON body; and an image with nothing attached is denied.
    const bare = pushRandomImage(reg.host, "acme/bare", dir);
    const d = await fetch(`${url}/v1/gate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ image: `oci://${bare}` }) });
    expect(d.status).toBe(200);
    expect(((await d.json()) as any).allow).toBe(false);
  });

  test("a registry that cannot serve the image is a 502 naming it, never an admit", async () => {
    const missing = `oci://${reg.host}/acme/api@sha256:${"e".repeat(64)}`;
    const r = await fetch(`${url}/v1/gate?image=${encodeURIComponent(missing)}`, { method: "POST" });
    expect(r.status).toBe(502);
    const body = (await r.json()) as any;
    expect(body.message).toContain("not found in the registry (404)");
    const bad = await fetch(`${url}/v1/gate?image=${encodeURIComponent(`oci://${reg.host}/acme/api:latest`)}`, { method: "POST" });
    expect(bad.status).toBe(400);
  });
});
