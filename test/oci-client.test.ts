// The registry client's defences against a registry that misbehaves, with a real registry behind a loopback
// proxy that tampers: a blob whose bytes do not hash to its digest, a manifest over the size limit, 429s and
// 503s before the answer (retried with back-off), a 401 with no way to authenticate. Each gives one line and
// exit 2 — never an admit. Plus the pure parts: references, challenges, docker config credentials.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tollgateAsync as tollgate } from "./support/cli.ts";
import { runPeer } from "./support/peers.ts";
import { pushRandomImage, startProxy, startReferrersRegistry, tempDir, type RunningRegistry } from "./support/registry.ts";
import { parseOciReference } from "../src/evidence/oci/reference.ts";
import { credentialFor, parseChallenge } from "../src/evidence/oci/auth.ts";
import { TollgateError } from "../src/core/errors.ts";

// Real peers and registries: cosign and crane take seconds, the referrers registry is built once.
setDefaultTimeout(120_000);

const dir = tempDir();
let reg: RunningRegistry;
let image: string; // HOST/REPO@sha256:… on the real registry
let attBlob: string;
const KEY = join(dir, "cosign.key");
const PUB = join(dir, "cosign.pub");
const COSIGN_ENV = { COSIGN_PASSWORD: "", COSIGN_YES: "true", HOME: dir };
const proxies: { stop(): void }[] = [];

beforeAll(async () => {
  reg = await startReferrersRegistry();
  expect(runPeer("cosign", ["generate-key-pair"], { cwd: dir, env: COSIGN_ENV }).code).toBe(0);
  image = pushRandomImage(reg.host, "acme/api", dir);
  writeFileSync(join(dir, "pred.json"), JSON.stringify({ buildDefinition: { buildType: "https://example.com/build", externalParameters: {} }, runDetails: { builder: { id: "https://example.com/builder" } } }));
  const r = runPeer("cosign", ["attest", "--key", KEY, "--type", "https://slsa.dev/provenance/v1", "--predicate", "pred.json", "--tlog-upload=false", "--allow-http-registry", image], { cwd: dir, env: COSIGN_ENV });
  expect(r.code).toBe(0);
  const tag = `${reg.host}/acme/api:${image.split("@")[1]!.replace(":", "-")}.att`;
  const m = JSON.parse(runPeer("crane", ["manifest", tag]).stdout);
  attBlob = m.layers[0].digest;
});

afterAll(async () => {
  for (const p of proxies) p.stop();
  await reg.stop();
});

function viaProxy(hook: Parameters<typeof startProxy>[1]): string {
  const p = startProxy(reg.host, hook);
  proxies.push(p);
  return `oci://${p.host}/${image.slice(image.indexOf("/") + 1)}`;
}

describe("a misbehaving registry: one line, exit 2, never an admit", () => {
  test("the straight path through the proxy admits (the proxy itself is faithful)", async () => {
    const r = await tollgate(["eval", "--key", PUB, viaProxy((_q, _u, fwd) => fwd())]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("a blob whose bytes do not hash to its digest", async () => {
    const op = viaProxy(async (_q, url, fwd) => {
      const res = await fwd();
      if (!url.pathname.endsWith(`/blobs/${attBlob}`)) return res;
      const body = new Uint8Array(await res.arrayBuffer());
      body[body.length - 2] = body[body.length - 2]! ^ 1;
      return new Response(body, { status: 200, headers: res.headers });
    });
    const r = await tollgate(["eval", "--key", PUB, op]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`blob digest mismatch: asked for ${attBlob}`);
  });

  test("a manifest whose bytes do not hash to the pinned digest", async () => {
    const op = viaProxy(async (_q, url, fwd) => {
      const res = await fwd();
      if (!url.pathname.endsWith(`/manifests/${image.split("@")[1]}`)) return res;
      const text = (await res.text()).replace('"schemaVersion":2', '"schemaVersion": 2');
      return new Response(text, { status: 200, headers: { "content-type": res.headers.get("content-type")! } });
    });
    const r = await tollgate(["eval", "--key", PUB, op]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("manifest digest mismatch");
  });

  test("a manifest over the size limit is refused before it is read", async () => {
    const op = viaProxy(async (_q, url, fwd) => {
      if (url.pathname.includes("/manifests/")) return new Response(new Uint8Array(5 << 20).fill(32), { status: 200, headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" } });
      return fwd();
    });
    const r = await tollgate(["eval", "--key", PUB, op]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("over the 4194304-byte limit");
  });

  test("evidence blobs count against the run's input limits like files do", async () => {
    const r = await tollgate(["eval", "--key", PUB, "--max-input-bytes", "200", `oci://${image}`]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("exceeds the per-input size limit of 200 bytes (raise it with --max-input-bytes)");
  });

  test("429 and 503 are retried with back-off, then the answer is used", async () => {
    let n = 0;
    const op = viaProxy((_q, url, fwd) => {
      if (url.pathname.includes("/manifests/") && n++ < 2) return new Response("slow down", { status: n === 1 ? 429 : 503, headers: { "retry-after": "0" } });
      return fwd();
    });
    const r = await tollgate(["eval", "--key", PUB, op]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(n).toBeGreaterThan(2);
  });

  test("a registry that keeps answering 503 gives up after the retries", async () => {
    let n = 0;
    const op = viaProxy(() => {
      n++;
      return new Response("down", { status: 503 });
    });
    const r = await tollgate(["eval", "--key", PUB, op]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("registry answered 503");
    expect(n).toBe(4); // the first try and three retries (the TLS probe never reaches a plain-HTTP proxy)
  });

  test("a 401 Bearer challenge whose realm refuses anonymous tokens", async () => {
    // The realm sits on the registry's own host:port (the only private address a realm may have).
    const op = viaProxy((_q, url) => url.pathname === "/token"
      ? new Response("no", { status: 401 })
      : new Response('{"errors":[{"code":"UNAUTHORIZED"}]}', { status: 401, headers: { "www-authenticate": `Bearer realm="http://${url.host}/token",service="test",scope="repository:acme/api:pull"` } }));
    const r = await tollgate(["eval", "--key", PUB, op]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/token realm .* refused a token \(401\); no credentials were found/);
  });

  test("a realm on another private or loopback address is refused, credentials never sent (as go-containerregistry does)", async () => {
    let realmHits = 0;
    const realm = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => (realmHits++, new Response("{}")) });
    proxies.push({ stop: () => void realm.stop(true) });
    const op = viaProxy(() => new Response("{}", { status: 401, headers: { "www-authenticate": `Bearer realm="http://127.0.0.1:${realm.port}/token",service="test"` } }));
    const r = await tollgate(["eval", "--key", PUB, op]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("token realm host 127.0.0.1 is a private, loopback or link-local address other than the registry's");
    expect(realmHits).toBe(0);
    const meta = viaProxy(() => new Response("{}", { status: 401, headers: { "www-authenticate": 'Bearer realm="https://169.254.169.254/latest/meta-data"' } }));
    expect((await tollgate(["eval", "--key", PUB, meta])).stderr).toContain("token realm host 169.254.169.254 is a private");
  });
});

describe("the cache keyed by digest, and referrers filtered by artifactType", () => {
  test("with --registry-cache, blobs come from the cache when the registry cannot serve them; a corrupted entry is refetched", async () => {
    const cache = tempDir("tollgate-cache-");
    expect((await tollgate(["eval", "--key", PUB, "--registry-cache", cache, `oci://${image}`])).code).toBe(0);
    const noBlobs = viaProxy((_q, url, fwd) => (url.pathname.includes("/blobs/") ? new Response("gone", { status: 500 }) : fwd()));
    const r = await tollgate(["eval", "--key", PUB, "--registry-cache", cache, noBlobs]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // A cache entry that no longer hashes to its name is not trusted: it is fetched again (and here fails).
    writeFileSync(join(cache, "sha256", attBlob.slice(7)), "tampered");
    const t = await tollgate(["eval", "--key", PUB, "--registry-cache", cache, noBlobs]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain("registry answered 500");
  });

  test("referrers are filtered by artifactType (registry-side or client-side)", async () => {
    const { RegistryClient } = await import("../src/evidence/oci/client.ts");
    const img = pushRandomImage(reg.host, "acme/filter", dir);
    writeFileSync(join(dir, "a.json"), "{}");
    for (const t of ["application/spdx+json", "application/vnd.cyclonedx+json"]) {
      expect(runPeer("oras", ["attach", "--plain-http", "--artifact-type", t, img, `a.json:${t}`], { cwd: dir }).code).toBe(0);
    }
    const client = new RegistryClient();
    const ref = { registry: reg.host, repository: "acme/filter" };
    const digest = img.split("@")[1]!;
    expect((await client.referrers(ref, digest)).length).toBe(2);
    const spdx = await client.referrers(ref, digest, "application/spdx+json");
    expect(spdx.map((d) => d.artifactType)).toEqual(["application/spdx+json"]);

    // A registry that paginates (Link: <…>; rel="next"): one referrer per page, both found.
    const p = startProxy(reg.host, async (_q, url, fwd) => {
      if (!url.pathname.includes("/referrers/")) return fwd();
      const all = (await (await fwd()).json()) as { manifests: unknown[] };
      const page = url.searchParams.get("page") === "2" ? 1 : 0;
      const headers: Record<string, string> = { "content-type": "application/vnd.oci.image.index.v1+json" };
      if (page === 0) headers.link = `<${url.pathname}?page=2>; rel="next"`;
      return new Response(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [all.manifests[page]] }), { headers });
    });
    proxies.push(p);
    const paged = await new RegistryClient().referrers({ registry: p.host, repository: "acme/filter" }, digest);
    expect(paged.length).toBe(2);
    expect(p.requests.filter((r) => r.includes("/referrers/"))).toEqual([`GET /v2/acme/filter/referrers/${digest}`, `GET /v2/acme/filter/referrers/${digest}?page=2`]);
  });
});

describe("references, challenges, credentials", () => {
  test("oci:// references are parsed strictly", () => {
    expect(parseOciReference(`oci://127.0.0.1:5000/acme/api@sha256:${"a".repeat(64)}`)).toEqual({ registry: "127.0.0.1:5000", repository: "acme/api", digest: `sha256:${"a".repeat(64)}` });
    expect(parseOciReference("oci://ghcr.io/acme/policy:v1", "tag")).toEqual({ registry: "ghcr.io", repository: "acme/policy", tag: "v1" });
    for (const bad of ["oci://ghcr.io", "oci:///acme", "oci://ghcr.io/Acme/api:v1", `oci://ghcr.io/a@sha256:${"a".repeat(63)}`, "ghcr.io/acme/api:v1"]) {
      expect(() => parseOciReference(bad)).toThrow(TollgateError);
    }
    expect(() => parseOciReference("oci://ghcr.io/acme/api:v1", "digest")).toThrow("not pinned by digest");
  });

  test("WWW-Authenticate challenges with quoted commas", () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.example/token", service: "registry.example", scope: "repository:a/b:pull,push" },
    });
    expect(parseChallenge('Basic realm="x"')?.scheme).toBe("basic");
  });

  test("docker config: auths under any key spelling, credHelpers and credsStore programs", async () => {
    const auth = Buffer.from("alice:s3cret").toString("base64");
    expect(credentialFor({ auths: { "https://registry.example/v1/": { auth } } }, "registry.example")).toEqual({ username: "alice", password: "s3cret" });
    expect(credentialFor({ auths: { "registry.example": { identitytoken: "rt" } } }, "registry.example")).toEqual({ identityToken: "rt" });
    expect(credentialFor({ auths: {} }, "registry.example")).toBeUndefined();
    // A real helper program on PATH, speaking the docker-credential-helpers protocol.
    const bin = tempDir();
    const helper = join(bin, "docker-credential-tollgatetest");
    writeFileSync(helper, `#!/bin/sh\nread host\nif [ "$host" = "registry.example" ]; then echo '{"ServerURL":"registry.example","Username":"bob","Secret":"pw"}'; else echo "credentials not found in native keychain"; exit 1; fi\n`);
    chmodSync(helper, 0o755);
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      expect(credentialFor({ credHelpers: { "registry.example": "tollgatetest" } }, "registry.example")).toEqual({ username: "bob", password: "pw" });
      expect(credentialFor({ credsStore: "tollgatetest" }, "registry.example")).toEqual({ username: "bob", password: "pw" });
      expect(credentialFor({ credsStore: "tollgatetest" }, "other.example")).toBeUndefined();
      expect(() => credentialFor({ credsStore: "missing-helper" }, "other.example")).toThrow("docker-credential-missing-helper");
    } finally {
      process.env.PATH = oldPath;
    }
  });
});
