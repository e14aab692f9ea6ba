// Registry authentication against the real distribution registry: token auth (a realm on loopback issuing
// scoped JWTs, the registry trusting its certificate made at test time) and htpasswd Basic auth; credentials from a
// docker config.json written by the real `crane auth login`, found through --registry-config or $DOCKER_CONFIG.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tollgate } from "./support/cli.ts";
import { runPeer } from "./support/peers.ts";
import { crane, makeTestCa, pushRandomImage, startDistribution, startTokenAuthRegistry, tempDir, type RunningRegistry } from "./support/registry.ts";

setDefaultTimeout(120_000);

const dir = tempDir();
const dockerConfig = tempDir("tollgate-docker-config-");
let tokenReg: RunningRegistry & { realm: string };
let basicReg: RunningRegistry;
let image: string;
const COSIGN_ENV = { COSIGN_PASSWORD: "", COSIGN_YES: "true", HOME: dir, DOCKER_CONFIG: dockerConfig };

beforeAll(async () => {
  tokenReg = await startTokenAuthRegistry("alice", "s3cret");
  const htpasswd = join(dir, "htpasswd");
  writeFileSync(htpasswd, `bob:${await Bun.password.hash("hunter2", { algorithm: "bcrypt", cost: 4 })}\n`);
  basicReg = await startDistribution({ htpasswd });
  // The real crane writes the docker config, as `docker login` would.
  crane(["auth", "login", tokenReg.host, "-u", "alice", "-p", "s3cret"], { DOCKER_CONFIG: dockerConfig });
  crane(["auth", "login", basicReg.host, "-u", "bob", "-p", "hunter2"], { DOCKER_CONFIG: dockerConfig });
  process.env.DOCKER_CONFIG = dockerConfig; // pushRandomImage's crane runs inherit it
  image = pushRandomImage(tokenReg.host, "acme/api", dir);
  expect(runPeer("cosign", ["generate-key-pair"], { cwd: dir, env: COSIGN_ENV }).code).toBe(0);
  writeFileSync(join(dir, "pred.json"), JSON.stringify({ buildDefinition: { buildType: "https://example.com/b", externalParameters: {} }, runDetails: { builder: { id: "https://example.com/builder" } } }));
  const a = runPeer("cosign", ["attest", "--key", join(dir, "cosign.key"), "--type", "https://slsa.dev/provenance/v1", "--predicate", "pred.json", "--tlog-upload=false", "--allow-http-registry", image], { cwd: dir, env: COSIGN_ENV });
  expect(a.stderr).not.toContain("UNAUTHORIZED");
  expect(a.code).toBe(0);
});

afterAll(async () => {
  delete process.env.DOCKER_CONFIG;
  await tokenReg.stop();
  await basicReg.stop();
});

const PUB = () => join(dir, "cosign.pub");

describe("token auth (WWW-Authenticate: Bearer realm/service/scope)", () => {
  test("credentials from --registry-config: the realm issues a token, the image is admitted", () => {
    const r = tollgate(["eval", "--key", PUB(), "--registry-config", join(dockerConfig, "config.json"), `oci://${image}`], { env: { DOCKER_CONFIG: join(dir, "nowhere") } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("credentials found through $DOCKER_CONFIG", () => {
    const r = tollgate(["eval", "--key", PUB(), `oci://${image}`], { env: { DOCKER_CONFIG: dockerConfig } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("no credentials: one line, exit 2, the realm's refusal named", () => {
    const r = tollgate(["eval", "--key", PUB(), `oci://${image}`], { env: { DOCKER_CONFIG: join(dir, "nowhere") } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`token realm http://${new URL(tokenReg.realm).host}/token refused a token (401); no credentials were found for ${tokenReg.host}`);
  });

  test("wrong password: exit 2", () => {
    const cfg = join(dir, "wrong.json");
    writeFileSync(cfg, JSON.stringify({ auths: { [tokenReg.host]: { auth: Buffer.from("alice:wrong").toString("base64") } } }));
    const r = tollgate(["eval", "--key", PUB(), "--registry-config", cfg, `oci://${image}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("refused a token (401)");
  });

  test("credentials from a credHelpers program (docker-credential-helpers protocol) on PATH", () => {
    const bin = tempDir("tollgate-helper-");
    writeFileSync(join(bin, "docker-credential-tollgatetest"), `#!/bin/sh\n[ "$1" = get ] || exit 1\nread host\nif [ "$host" = "${tokenReg.host}" ]; then printf '{"ServerURL":"%s","Username":"alice","Secret":"s3cret"}' "$host"; else echo "credentials not found in native keychain"; exit 1; fi\n`);
    chmodSync(join(bin, "docker-credential-tollgatetest"), 0o755);
    const cfg = join(bin, "config.json");
    writeFileSync(cfg, JSON.stringify({ credHelpers: { [tokenReg.host]: "tollgatetest" } }));
    const r = tollgate(["eval", "--key", PUB(), "--registry-config", cfg, `oci://${image}`], { env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // credsStore: the same helper for every registry without an auths entry.
    writeFileSync(cfg, JSON.stringify({ credsStore: "tollgatetest" }));
    expect(tollgate(["eval", "--key", PUB(), "--registry-config", cfg, `oci://${image}`], { env: { PATH: `${bin}:${process.env.PATH}` } }).code).toBe(0);
  });

  test("bundle push and pull with a pull,push token", () => {
    const ref = `oci://${tokenReg.host}/policy/gate:v1`;
    const push = tollgate(["bundle", "push", "bundles/default.tar.gz", ref], { env: { DOCKER_CONFIG: dockerConfig } });
    expect(push.stderr).toBe("");
    expect(tollgate(["bundle", "pull", ref, "-o", join(dir, "pulled.tar.gz")], { env: { DOCKER_CONFIG: dockerConfig } }).code).toBe(0);
  });
});

describe("Basic auth (htpasswd)", () => {
  test("with the docker config's credentials the image is read; without, a 401 is one line and exit 2", () => {
    const img = pushRandomImage(basicReg.host, "acme/basic", dir);
    const ok = tollgate(["verify", "--key", PUB(), `oci://${img}`], { env: { DOCKER_CONFIG: dockerConfig } });
    expect(ok.stderr).not.toContain("401");
    expect(ok.stdout).toContain("no signature, attestation or SBOM is attached");
    const r = tollgate(["verify", `oci://${img}`], { env: { DOCKER_CONFIG: join(dir, "nowhere") } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("registry requires authentication (401, Basic) and no credentials were found");
  });
});

describe("HTTPS: system CAs plus --registry-ca", () => {
  let tlsReg: RunningRegistry;
  let pki: { ca: string; cert: string; key: string };
  let img: string;
  beforeAll(async () => {
    pki = await makeTestCa(tempDir("tollgate-pki-"));
    tlsReg = await startDistribution({ tls: { cert: pki.cert, key: pki.key } });
    process.env.SSL_CERT_FILE = pki.ca; // crane (Go) trusts the CA for the push; tollgate runs never see it
    try {
      img = pushRandomImage(tlsReg.host, "acme/tls", dir);
    } finally {
      delete process.env.SSL_CERT_FILE;
    }
  });
  afterAll(async () => {
    await tlsReg?.stop();
  });

  test("a certificate from a CA the system does not know: one line, exit 2, no fallback to plain HTTP", () => {
    const r = tollgate(["verify", `oci://${img}`]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("registry TLS certificate not trusted");
    expect(r.stderr).toContain("--registry-ca FILE");
  });

  test("with --registry-ca the registry is read over HTTPS", () => {
    const r = tollgate(["verify", "--registry-ca", pki.ca, `oci://${img}`]);
    expect(r.stderr).not.toContain("TLS");
    expect(r.stdout).toContain("no signature, attestation or SBOM is attached");
  });
});
