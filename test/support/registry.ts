// Real registries on 127.0.0.1 for tests, started and stopped by the test itself:
//   - the distribution registry (v3, storage in memory; no referrers API → the referrers tag schema),
//   - go-containerregistry's registry with its referrers API on (test/support/referrers-registry),
//   - the distribution registry behind token auth (a realm this file runs, signing tokens with a key made now)
//     or htpasswd Basic auth.
// Plus helpers to push a random image with the real crane.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { peerPath, runPeer } from "./peers.ts";

export interface RunningRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  kind: "distribution" | "referrers";
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitUp(url: string, proc: { exitCode: number | null }, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`${what} exited (${proc.exitCode}) before listening`);
    try {
      // Only "is it listening": a TLS registry's test certificate is checked by the tests, not here.
      const r = await fetch(url, { tls: { rejectUnauthorized: false } } as RequestInit);
      await r.body?.cancel();
      return;
    } catch {
      await Bun.sleep(50);
    }
  }
  throw new Error(`${what} did not start listening on ${url}`);
}

export interface DistributionOptions {
  /** Token auth: the realm URL, service, issuer and the PEM bundle of the token signer's certificate. */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** htpasswd Basic auth: the path of an htpasswd file (bcrypt). */
  htpasswd?: string;
  /** Listen on this port (default: a free one). */
  port?: number;
  /** TLS: PEM certificate and key files (the registry then speaks HTTPS only). */
  tls?: { cert: string; key: string };
}

/** The distribution registry (`registry serve CONFIG`), in-memory storage, on a free loopback port. */
export async function startDistribution(o: DistributionOptions = {}): Promise<RunningRegistry> {
  const port = o.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "tollgate-registry-"));
  const config = [
    "version: 0.1",
    "log:",
    "  level: error",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  inmemory: {}",
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${port}`,
    ...(o.tls ? ["  tls:", `    certificate: ${o.tls.cert}`, `    key: ${o.tls.key}`] : []),
    ...(o.token
      ? ["auth:", "  token:", `    realm: ${o.token.realm}`, `    service: ${o.token.service}`, `    issuer: ${o.token.issuer}`, `    rootcertbundle: ${o.token.rootCertBundle}`]
      : o.htpasswd ? ["auth:", "  htpasswd:", "    realm: tollgate-test", `    path: ${o.htpasswd}`] : []),
  ].join("\n");
  writeFileSync(join(dir, "config.yml"), config + "\n");
  const proc = Bun.spawn([peerPath("registry"), "serve", join(dir, "config.yml")], { stdout: "ignore", stderr: "ignore", env: { ...process.env, OTEL_TRACES_EXPORTER: "none" } });
  const host = `127.0.0.1:${port}`;
  try {
    await waitUp(`${o.tls ? "https" : "http"}://${host}/v2/`, proc, "registry");
  } catch (e) {
    proc.kill();
    throw e;
  }
  return {
    host,
    kind: "distribution",
    async stop() {
      proc.kill();
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const REFERRERS_SRC = join(import.meta.dir, "referrers-registry");

/**
 * A registry with the OCI 1.1 referrers API: go-containerregistry's pkg/registry (what `crane registry
 * serve` runs; crane v0.22.1 leaves referrers off and answers METHOD_UNKNOWN) with referrers support on,
 * built from test/support/referrers-registry with the Go toolchain the peers are installed with.
 */
let referrersBinary: string | undefined;
function buildReferrersRegistry(): string {
  if (referrersBinary) return referrersBinary;
  const out = join(tmpdir(), `tollgate-referrers-registry-${Bun.hash(readFileSync(join(REFERRERS_SRC, "go.sum"))).toString(16)}`);
  if (!existsSync(out)) {
    const go = Bun.which("go") ?? "/usr/local/go/bin/go";
    const tmp = `${out}.${process.pid}`;
    const r = Bun.spawnSync([go, "build", "-o", tmp, "."], { cwd: REFERRERS_SRC, stdout: "pipe", stderr: "pipe", env: { ...process.env, GOFLAGS: "-mod=mod" } });
    if (r.exitCode !== 0) throw new Error(`building the referrers registry failed: ${r.stderr.toString()}`);
    renameSync(tmp, out);
  }
  return (referrersBinary = out);
}

export async function startReferrersRegistry(): Promise<RunningRegistry> {
  const port = await freePort();
  const proc = Bun.spawn([buildReferrersRegistry(), `127.0.0.1:${port}`], { stdout: "ignore", stderr: "ignore" });
  const host = `127.0.0.1:${port}`;
  try {
    await waitUp(`http://${host}/v2/`, proc, "referrers registry");
  } catch (e) {
    proc.kill();
    throw e;
  }
  return {
    host,
    kind: "referrers",
    async stop() {
      proc.kill();
      await proc.exited;
    },
  };
}

/** Run crane, throwing with its stderr on failure; returns stdout trimmed. */
export function crane(args: string[], env: Record<string, string> = {}): string {
  const r = runPeer("crane", args, { env });
  if (r.code !== 0) throw new Error(`crane ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}

/** A tar with one random file, so every image pushed is a new digest. */
export function randomLayerTar(dir: string): string {
  const body = crypto.getRandomValues(new Uint8Array(64));
  const name = "payload.bin";
  const header = new Uint8Array(512);
  const enc = new TextEncoder();
  const put = (s: string, off: number) => header.set(enc.encode(s), off);
  put(name, 0);
  put("0000644\0", 100);
  put("0000000\0", 108);
  put("0000000\0", 116);
  put(body.length.toString(8).padStart(11, "0") + "\0", 124);
  put("00000000000\0", 136);
  put("        ", 148);
  header[156] = "0".charCodeAt(0);
  put("ustar\0", 257);
  put("00", 263);
  let sum = 0;
  for (const b of header) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  const pad = new Uint8Array((512 - (body.length % 512)) % 512);
  const tar = new Uint8Array([...header, ...body, ...pad, ...new Uint8Array(1024)]);
  const p = join(dir, `layer-${Bun.randomUUIDv7()}.tar`);
  writeFileSync(p, tar);
  return p;
}

/** Push a random single-layer image with the real crane; returns `HOST/REPO@sha256:…`. */
export function pushRandomImage(host: string, repo: string, dir: string, tag = "v1", platform?: string): string {
  const ref = `${host}/${repo}:${tag}`;
  crane(["append", "--oci-empty-base", "-f", randomLayerTar(dir), "-t", ref]);
  if (platform) crane(["mutate", "--set-platform", platform, ref]);
  const digest = crane(["digest", ref]);
  return `${host}/${repo}@${digest}`;
}

/** An OCI image index of one random image per platform, pushed with crane; returns the index and its children. */
export function pushRandomIndex(host: string, repo: string, dir: string, platforms: string[], tag = "multi"): { index: string; children: Record<string, string> } {
  const children: Record<string, string> = {};
  platforms.forEach((pl, i) => (children[pl] = pushRandomImage(host, repo, dir, `${tag}-${i}`, pl)));
  const ref = `${host}/${repo}:${tag}`;
  crane(["index", "append", "-t", ref, ...Object.values(children).flatMap((c) => ["-m", c])]);
  return { index: `${host}/${repo}@${crane(["digest", ref])}`, children };
}

export function tempDir(prefix = "tollgate-oci-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A loopback HTTP proxy in front of a real registry that can misbehave: `hook` sees each request and may
 * answer itself (a 429, a 401) or rewrite the upstream response (a flipped byte, an inflated manifest).
 */
export function startProxy(
  upstream: string,
  hook: (req: Request, url: URL, forward: () => Promise<Response>) => Promise<Response> | Response,
): { host: string; requests: string[]; stop(): void } {
  const requests: string[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      const forward = async () => {
        const headers = new Headers(req.headers);
        headers.delete("host");
        const body = req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(await req.arrayBuffer());
        const r = await fetch(`http://${upstream}${url.pathname}${url.search}`, { method: req.method, headers, ...(body ? { body } : {}), redirect: "manual" });
        const out = new Headers(r.headers);
        out.delete("content-encoding");
        return new Response(req.method === "HEAD" ? null : new Uint8Array(await r.arrayBuffer()), { status: r.status, headers: out });
      };
      return hook(req, url, forward);
    },
  });
  return { host: `127.0.0.1:${server.port}`, requests, stop: () => void server.stop(true) };
}

/**
 * The distribution registry behind token auth: a realm process (test/support/token-realm.ts) issuing ES256 JWTs
 * with a self-signed certificate made now, which the registry trusts as its rootcertbundle. Credentials
 * `user`/`password` get tokens; anything else gets a 401 from the realm.
 */
export async function startTokenAuthRegistry(user: string, password: string): Promise<RunningRegistry & { realm: string }> {
  await import("reflect-metadata"); // @peculiar/x509 needs it loaded first
  const x509 = await import("@peculiar/x509");
  x509.cryptoProvider.set(globalThis.crypto);
  const dir = mkdtempSync(join(tmpdir(), "tollgate-realm-"));
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: "01", name: "CN=tollgate test token issuer", notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + 86400_000), keys, signingAlgorithm: alg });
  const pk8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64").replace(/(.{64})/g, "$1\n");
  writeFileSync(join(dir, "key.pem"), `-----BEGIN PRIVATE KEY-----\n${pk8}\n-----END PRIVATE KEY-----\n`);
  writeFileSync(join(dir, "cert.pem"), cert.toString("pem"));
  const realmPort = await freePort();
  const registryPort = await freePort();
  const realm = Bun.spawn([process.execPath, join(import.meta.dir, "token-realm.ts"), String(realmPort), `127.0.0.1:${registryPort}`, join(dir, "key.pem"), join(dir, "cert.pem"), "tollgate-test-issuer", user, password], { stdout: "pipe", stderr: "ignore" });
  const reader = (realm.stdout as ReadableStream<Uint8Array>).getReader();
  const first = await reader.read();
  reader.releaseLock();
  if (!new TextDecoder().decode(first.value ?? new Uint8Array()).startsWith("listening")) throw new Error("token realm did not start");
  const realmUrl = `http://127.0.0.1:${realmPort}/token`;
  let inner: RunningRegistry;
  try {
    inner = await startDistribution({ port: registryPort, token: { realm: realmUrl, service: "tollgate-test-registry", issuer: "tollgate-test-issuer", rootCertBundle: join(dir, "cert.pem") } });
  } catch (e) {
    realm.kill();
    throw e;
  }
  return {
    ...inner,
    // Clients talk to the front (realm + proxy); the registry's own port stays behind it.
    host: `127.0.0.1:${realmPort}`,
    realm: realmUrl,
    async stop() {
      await inner.stop();
      realm.kill();
      await realm.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A CA and a server certificate for 127.0.0.1 signed by it, made now (PEM files in `dir`). */
export async function makeTestCa(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  await import("reflect-metadata");
  const x509 = await import("@peculiar/x509");
  x509.cryptoProvider.set(globalThis.crypto);
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
  const caKeys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const notBefore = new Date(Date.now() - 3600_000);
  const notAfter = new Date(Date.now() + 86400_000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01", name: "CN=tollgate test registry CA", notBefore, notAfter, keys: caKeys, signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  const leafKeys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: "02", subject: "CN=127.0.0.1", issuer: ca.subject, notBefore, notAfter, publicKey: leafKeys.publicKey, signingKey: caKeys.privateKey, signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: "ip", value: "127.0.0.1" }]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  const pk8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", leafKeys.privateKey)).toString("base64").replace(/(.{64})/g, "$1\n");
  const out = { ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key") };
  writeFileSync(out.ca, ca.toString("pem"));
  writeFileSync(out.cert, leaf.toString("pem"));
  writeFileSync(out.key, `-----BEGIN PRIVATE KEY-----\n${pk8}\n-----END PRIVATE KEY-----\n`);
  return out;
}
