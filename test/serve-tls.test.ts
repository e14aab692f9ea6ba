// TLS on `tollgate serve` over real TLS on 127.0.0.1: certificates made at test time with the openssl CLI, clients
// are Bun's fetch, curl and openssl s_client. Plain HTTP, old protocol versions, missing or foreign client
// certificates are refused (no HTTP answer) with one log line each; replaced certificate files are served
// without a restart, on every worker thread; bad material refuses the start (or the reload) naming the file.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServeConfig } from "../src/serve/config.ts";
import { startGateServer, type GateServer } from "../src/serve/server.ts";
import { BUN, CLI, servedUrl } from "./support/cli.ts";
import { buildSignedBundle, gateConfig, makeSigningKeys, until } from "./support/serve-bundle.ts";
import { makeCa, makeLeaf, servedCertificateCN, type CertFiles } from "./support/tls-certs.ts";

let work: string;
let ca: CertFiles;
let otherCa: CertFiles;
let server1: CertFiles;
let server2: CertFiles;
let client: CertFiles;
let foreignClient: CertFiles;
let bundleFile: string;
let pubFile: string;

function cfg(extra: Record<string, unknown>): ServeConfig {
  return gateConfig(work, bundleFile, pubFile, "gate-tls", extra);
}

/** The served files (copies the tests replace), for a gate that reloads them. */
function servedFiles(name: string, from: CertFiles): { cert_file: string; key_file: string } {
  const cert = join(work, `${name}.served.pem`);
  const key = join(work, `${name}.served.key`);
  copyFileSync(from.cert, cert);
  copyFileSync(from.key, key);
  return { cert_file: cert, key_file: key };
}

/** Atomic replace, as cert-manager or a deploy does it. */
function replace(path: string, from: string): void {
  writeFileSync(`${path}.tmp`, readFileSync(from));
  renameSync(`${path}.tmp`, path);
}

/** curl as a child process, without blocking the event loop (the gate under test runs in this process). */
async function curl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(["curl", "-sS", "--max-time", "10", ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

const tlsFetch = (url: string, init: RequestInit & { tls?: Record<string, unknown> } = {}) => fetch(url, { ...init, tls: { ca: readFileSync(ca.cert, "utf8"), ...init.tls } } as RequestInit);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tollgate-serve-tls-"));
  ca = makeCa(work, "gate-ca");
  otherCa = makeCa(work, "other-ca");
  server1 = makeLeaf(work, ca, "gate-1", "server");
  server2 = makeLeaf(work, ca, "gate-2", "server");
  client = makeLeaf(work, ca, "ci-client", "client");
  foreignClient = makeLeaf(work, otherCa, "foreign-client", "client");
  const keys = makeSigningKeys(work);
  pubFile = keys.pubFile;
  bundleFile = join(work, "gate.tar.gz");
  writeFileSync(bundleFile, await buildSignedBundle(work, "rev-tls", keys.priv));
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("TLS (server certificate only)", () => {
  let gate: GateServer;
  const logs: string[] = [];
  let files: { cert_file: string; key_file: string };

  beforeAll(async () => {
    files = servedFiles("single", server1);
    gate = await startGateServer(cfg({ tls: files }), { log: (l) => logs.push(l) });
  });
  afterAll(async () => gate?.stop());

  test("the gate answers over HTTPS (fetch and curl verify the chain to the CA made here)", async () => {
    expect(gate.url).toStartWith("https://127.0.0.1:");
    const r = await tlsFetch(`${gate.url}/v1/data/demo/allow`, { method: "POST", body: JSON.stringify({ input: { user: "alice" } }) });
    expect([r.status, ((await r.json()) as any).result]).toEqual([200, true]);
    const c = await curl(["--cacert", ca.cert, `${gate.url}/health`]);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.out).status).toBe("ok");
    expect(logs.some((l) => l.startsWith(`listening on https://127.0.0.1:${gate.port}`))).toBe(true);
  });

  test("a client that does not trust the CA refuses the gate (the certificate is really checked)", async () => {
    expect((await curl([`${gate.url}/health`])).code).toBe(60); // curl: peer certificate cannot be authenticated
    await expect(fetch(`${gate.url}/health`)).rejects.toThrow();
  });

  test("plain HTTP on the TLS port: no HTTP answer, one log line", async () => {
    const before = logs.length;
    const url = gate.url.replace("https:", "http:");
    const c = await curl(["-o", "/dev/null", "-w", "%{http_code}", `${url}/v1/data/demo/allow`, "-d", '{"input":{"user":"alice"}}']);
    expect(c.code).not.toBe(0);
    expect(c.out).toBe("000"); // no HTTP status at all
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await until("the refusals logged", async () => (logs.length - before >= 2 ? true : undefined), 5000);
    const lines = logs.slice(before);
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^tls: refused 127\.0\.0\.1:\d+: plain HTTP on the TLS port$/);
    expect((await tlsFetch(`${gate.url}/health`)).status).toBe(200); // and the gate carries on
  });

  test("TLS 1.2 is the minimum: a TLS 1.1 client is refused (one log line); 1.2 and 1.3 are served", async () => {
    const before = logs.length;
    const old = await curl(["--cacert", ca.cert, "--tlsv1.1", "--tls-max", "1.1", `${gate.url}/health`]);
    expect(old.code).not.toBe(0);
    await until("the refusal logged", async () => (logs.length > before ? true : undefined), 5000);
    expect(logs.slice(before)).toHaveLength(1);
    expect(logs[before]).toMatch(/^tls: refused 127\.0\.0\.1:\d+: /);
    expect((await curl(["--cacert", ca.cert, "--tlsv1.2", "--tls-max", "1.2", `${gate.url}/health`])).code).toBe(0);
    expect((await curl(["--cacert", ca.cert, "--tlsv1.3", `${gate.url}/health`])).code).toBe(0);
  });

  test("oversized body over TLS: 413 naming the limit, one log line, the gate carries on", async () => {
    const before = logs.length;
    const r = await tlsFetch(`${gate.url}/v1/gate`, { method: "POST", body: "x".repeat(10_000), headers: { "Content-Type": "application/json" } });
    expect(r.status).toBe(413);
    expect(((await r.json()) as any).message).toContain("exceeds max_body_bytes (4096)");
    expect(logs.slice(before)).toEqual(["413 POST /v1/gate: request body of 10000 bytes exceeds max_body_bytes (4096)"]);
    expect((await tlsFetch(`${gate.url}/health`)).status).toBe(200);
  });

  test("through the TLS front: a 6 MiB body and 48 concurrent requests are all answered in full", async () => {
    const big = await startGateServer(cfg({ max_body_bytes: 16 * 2 ** 20, tls: { cert_file: server1.cert, key_file: server1.key } }), { log: () => {} });
    try {
      const filler = "y".repeat(6 * 2 ** 20);
      const r = await tlsFetch(`${big.url}/v1/data/demo/allow`, { method: "POST", body: JSON.stringify({ input: { user: "alice", filler } }) });
      expect([r.status, ((await r.json()) as any).result]).toEqual([200, true]);
      const all = await Promise.all(
        Array.from({ length: 48 }, async (_, i) => {
          const x = await tlsFetch(`${big.url}/v1/data/demo/allow`, { method: "POST", body: JSON.stringify({ input: { user: i % 2 ? "alice" : "bob", pad: "z".repeat(100_000) } }), headers: { Connection: "close" } });
          return ((await x.json()) as any).result;
        }),
      );
      expect(all).toEqual(Array.from({ length: 48 }, (_, i) => i % 2 === 1));
    } finally {
      await big.stop();
    }
  }, 30_000);

  test("replacing the certificate and key files serves the new certificate without a restart", async () => {
    expect(await servedCertificateCN(gate.port, ca.cert)).toBe("gate-1");
    replace(files.key_file, server2.key);
    replace(files.cert_file, server2.cert);
    await until("gate-2 served", async () => ((await servedCertificateCN(gate.port, ca.cert)) === "gate-2" ? true : undefined), 15_000);
    expect(logs.some((l) => /^tls: certificate reloaded \(subject CN=gate-2, serial [0-9A-F]+, valid until /.test(l))).toBe(true);
    // requests go on being answered by the same gate
    const r = await tlsFetch(`${gate.url}/v1/data/demo/rev`, { method: "POST", body: "{}", headers: { Connection: "close" } });
    expect(((await r.json()) as any).result).toBe("rev-tls");
  }, 30_000);

  test("a key that is not the certificate's is refused at reload (one log line) and the current certificate stays", async () => {
    const before = logs.length;
    replace(files.cert_file, server1.cert); // gate-1's certificate beside gate-2's key
    await until("the refusal logged", async () => (logs.slice(before).some((l) => l.startsWith("tls: new contents refused")) ? true : undefined), 10_000);
    const refusal = logs.slice(before).filter((l) => l.startsWith("tls:"));
    expect(refusal).toEqual([`tls: new contents refused (${files.key_file}: tls.key_file is not the private key of the certificate in ${files.cert_file}); keeping the current one`]);
    expect(await servedCertificateCN(gate.port, ca.cert)).toBe("gate-2");
    await Bun.sleep(1500); // the same refused contents are not logged again on the next polls
    expect(logs.slice(before).filter((l) => l.startsWith("tls:"))).toHaveLength(1);
    replace(files.key_file, server1.key); // the pair completed: now accepted
    await until("gate-1 served again", async () => ((await servedCertificateCN(gate.port, ca.cert)) === "gate-1" ? true : undefined), 15_000);
  }, 30_000);
});

describe("mTLS (tls.client_ca_file)", () => {
  let gate: GateServer;
  const logs: string[] = [];

  beforeAll(async () => {
    gate = await startGateServer(cfg({ tls: { cert_file: server1.cert, key_file: server1.key, client_ca_file: ca.cert } }), { log: (l) => logs.push(l) });
  });
  afterAll(async () => gate?.stop());

  test("a client certificate from the CA is served (curl and fetch)", async () => {
    const c = await curl(["--cacert", ca.cert, "--cert", client.cert, "--key", client.key, "-H", "Content-Type: application/json", "-d", '{"input":{"user":"alice"}}', `${gate.url}/v1/data/demo/allow`]);
    expect([c.code, JSON.parse(c.out || "{}").result]).toEqual([0, true]);
    const r = await tlsFetch(`${gate.url}/v1/data/demo/allow`, { method: "POST", body: JSON.stringify({ input: { user: "bob" } }), tls: { cert: readFileSync(client.cert, "utf8"), key: readFileSync(client.key, "utf8") } });
    expect([r.status, ((await r.json()) as any).result]).toEqual([200, false]);
  });

  test("no client certificate: refused before any HTTP (no admit), one log line naming why", async () => {
    const before = logs.length;
    const c = await curl(["-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca.cert, "-H", "Content-Type: application/json", "-d", '{"input":{"user":"alice"}}', `${gate.url}/v1/data/demo/allow`]);
    expect(c.code).not.toBe(0);
    expect(c.out).toBe("000");
    await until("the refusal logged", async () => (logs.length > before ? true : undefined), 5000);
    expect(logs.slice(before)).toHaveLength(1);
    expect(logs[before]).toMatch(/^tls: refused 127\.0\.0\.1:\d+: no client certificate \(mTLS: tls\.client_ca_file is set\)$/);
  });

  test("a client certificate from another CA: refused, one log line", async () => {
    const before = logs.length;
    const c = await curl(["-o", "/dev/null", "-w", "%{http_code}", "--cacert", ca.cert, "--cert", foreignClient.cert, "--key", foreignClient.key, `${gate.url}/v1/data/demo/allow`, "-d", "{}"]);
    expect(c.code).not.toBe(0);
    expect(c.out).toBe("000");
    await expect(tlsFetch(`${gate.url}/health`, { tls: { cert: readFileSync(foreignClient.cert, "utf8"), key: readFileSync(foreignClient.key, "utf8") } })).rejects.toThrow();
    await until("the refusals logged", async () => (logs.length - before >= 2 ? true : undefined), 5000);
    const lines = logs.slice(before);
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^tls: refused 127\.0\.0\.1:\d+: client certificate not accepted \(/);
  });

  test("the probes need the client certificate too (TLS is below HTTP): /health without one is refused", async () => {
    expect((await curl(["--cacert", ca.cert, `${gate.url}/health`])).code).not.toBe(0);
    expect((await curl(["--cacert", ca.cert, "--cert", client.cert, "--key", client.key, `${gate.url}/health`])).code).toBe(0);
  });
});

describe("diagnostic_addr: the probes and /metrics in plain HTTP beside an mTLS port (opa's --diagnostic-addr)", () => {
  let gate: GateServer;
  const logs: string[] = [];

  beforeAll(async () => {
    gate = await startGateServer(cfg({ workers: 2, diagnostic_addr: "127.0.0.1:0", tls: { cert_file: server1.cert, key_file: server1.key, client_ca_file: ca.cert } }), { log: (l) => logs.push(l) });
  }, 30_000);
  afterAll(async () => gate?.stop());

  test("/health, /ready and /metrics answer there without TLS or a client certificate; the main port still asks one", async () => {
    const diag = gate.diagnosticUrl!;
    expect(diag).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(logs).toContain(`diagnostics (/health, /ready, /metrics; plain HTTP, no authentication) on ${diag}`);
    const health = await fetch(`${diag}/health`);
    expect([health.status, await health.json()]).toEqual([200, { status: "ok", thread: 0 }]);
    const ready = await fetch(`${diag}/ready`);
    const body = (await ready.json()) as { ready: boolean; bundle: { revision: string } };
    expect([ready.status, body.ready, body.bundle.revision]).toEqual([200, true, "rev-tls"]);
    const metrics = await fetch(`${diag}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^tollgate_http_requests_total\{path="\/ready",code="200"\} [1-9]/m);
    // The same probe on the main port without a client certificate gets no HTTP answer at all.
    expect((await curl(["--cacert", ca.cert, `${gate.url}/health`])).code).not.toBe(0);
  });

  test("nothing that decides is served there: /v1/* is a 404 naming what is, other methods a 405", async () => {
    const diag = gate.diagnosticUrl!;
    for (const [method, path] of [["POST", "/v1/data/demo/allow"], ["GET", "/v1/data/demo/allow?input=%7B%22user%22%3A%22alice%22%7D"], ["POST", "/v1/gate"], ["POST", "/v1/admission"], ["GET", "/"]] as const) {
      const r = await fetch(`${diag}${path}`, { method, ...(method === "POST" ? { body: JSON.stringify({ input: { user: "alice" } }) } : {}) });
      expect([r.status, await r.json()]).toEqual([404, { code: "not_found", message: `the diagnostic address serves /health, /ready and /metrics only, not ${method} ${path.split("?")[0]}` }]);
    }
    const r = await fetch(`${diag}/health`, { method: "POST", body: "{}" });
    expect(r.status).toBe(405);
  });

  test("a diagnostic port in use, or addr's own, refuses the start in one line, and the gate does not stay up", async () => {
    const free = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const mainPort = free.port!;
    await free.stop(true);
    const squatter = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("not the gate") });
    const refusal = (extra: Record<string, unknown>) => startGateServer(cfg({ addr: `127.0.0.1:${mainPort}`, ...extra }), { log: () => {} }).then(
      (g) => g.stop().then(() => undefined),
      (e: unknown) => (e as Error).message,
    );
    try {
      const port = squatter.port!;
      expect(await refusal({ diagnostic_addr: `127.0.0.1:${port}` })).toBe(`cannot listen on diagnostic_addr 127.0.0.1:${port}: port ${port} is already in use (another gate or process listens on it)`);
      expect(await refusal({ diagnostic_addr: `127.0.0.1:${mainPort}` })).toBe(`diagnostic_addr 127.0.0.1:${mainPort} is addr itself: give the diagnostics a port of their own`);
      // The main port the failed start had bound is free again: an exclusive bind of it succeeds.
      const again = Bun.serve({ hostname: "127.0.0.1", port: mainPort, fetch: () => new Response("") });
      await again.stop(true);
    } finally {
      await squatter.stop(true);
    }
  });

  test("a bad diagnostic_addr is refused naming it", () => {
    expect(() => cfg({ diagnostic_addr: "127.0.0.1:70000" })).toThrow('diagnostic_addr wants host:port (port ≤ 65535), got "127.0.0.1:70000"');
    expect(() => cfg({ diagnostic_addr: "no-port" })).toThrow(/invalid serve config: \/diagnostic_addr must match pattern/);
  });

  test("stopped with the gate: the diagnostic port is closed afterwards", async () => {
    const g = await startGateServer(cfg({ diagnostic_addr: "127.0.0.1:0" }), { log: () => {} });
    const diag = g.diagnosticUrl!;
    expect((await fetch(`${diag}/health`)).status).toBe(200);
    await g.stop();
    await expect(fetch(`${diag}/health`)).rejects.toThrow();
  });
});

describe("TLS with workers: 3", () => {
  let gate: GateServer;
  const logs: string[] = [];
  let files: { cert_file: string; key_file: string };
  const clientTls = () => ({ cert: readFileSync(client.cert, "utf8"), key: readFileSync(client.key, "utf8") });

  beforeAll(async () => {
    files = servedFiles("workers", server1);
    gate = await startGateServer(cfg({ workers: 3, tls: { ...files, client_ca_file: ca.cert } }), { log: (l) => logs.push(l) });
  }, 30_000);
  afterAll(async () => gate?.stop());

  async function threadsSeen(tries: number): Promise<Set<number>> {
    const seen = new Set<number>();
    for (let i = 0; i < tries && seen.size < 3; i++) {
      const r = await tlsFetch(`${gate.url}/health`, { headers: { Connection: "close" }, tls: clientTls() });
      seen.add(((await r.json()) as { thread: number }).thread);
    }
    return seen;
  }

  test("every thread serves TLS with the client-certificate check", async () => {
    expect(gate.threads).toBe(3);
    expect([...(await threadsSeen(200))].sort()).toEqual([0, 1, 2]);
    const before = logs.length;
    for (let i = 0; i < 12; i++) expect((await curl(["--cacert", ca.cert, `${gate.url}/health`])).code).not.toBe(0);
    await until("12 refusals logged", async () => (logs.length - before >= 12 ? true : undefined), 5000);
    const lines = logs.slice(before);
    expect(lines).toHaveLength(12);
    // refusals logged by the threads that refused them, more than one of them
    expect(lines.every((l) => /^(worker \d: )?tls: refused 127\.0\.0\.1:\d+: no client certificate/.test(l))).toBe(true);
    expect(new Set(lines.map((l) => /^worker (\d)/.exec(l)?.[1] ?? "0")).size).toBeGreaterThan(1);
  }, 30_000);

  test("a replaced certificate is reloaded by every thread: no connection gets the old one afterwards", async () => {
    replace(files.key_file, server2.key);
    replace(files.cert_file, server2.cert);
    await until("3 threads reloaded", async () => (logs.filter((l) => /tls: certificate reloaded \(subject CN=gate-2/.test(l)).length >= 3 ? true : undefined), 15_000);
    const reloaded = logs.filter((l) => /tls: certificate reloaded \(subject CN=gate-2/.test(l));
    expect(new Set(reloaded.map((l) => /^worker (\d)/.exec(l)?.[1] ?? "0"))).toEqual(new Set(["0", "1", "2"]));
    const cns = new Set<string | undefined>();
    for (let i = 0; i < 12; i++) cns.add(await servedCertificateCN(gate.port, ca.cert, client));
    expect([...cns]).toEqual(["gate-2"]);
    expect([...(await threadsSeen(200))].sort()).toEqual([0, 1, 2]);
  }, 60_000);
});

describe("read once at start", () => {
  test("the material the config read and checked is what every thread serves; it is not read again at start", async () => {
    const files = servedFiles("once", server1);
    const c = cfg({ workers: 2, tls: files });
    // Changed after the config read it: a thread that read it again would refuse to start.
    writeFileSync(files.key_file, "not a key\n");
    const logs: string[] = [];
    const gate = await startGateServer(c, { log: (l) => logs.push(l) });
    try {
      const cns = new Set<string | undefined>();
      for (let i = 0; i < 12; i++) cns.add(await servedCertificateCN(gate.port, ca.cert));
      expect([...cns]).toEqual(["gate-1"]);
      // Each thread's watch then sees the change and refuses it, keeping the certificate checked at start.
      await until("both threads refused the new key", async () => (logs.filter((l) => /^(worker 1: )?tls: new contents refused \(.*tls\.key_file: not a PEM private key/.test(l)).length >= 2 ? true : undefined), 10_000);
    } finally {
      await gate.stop();
    }
  }, 60_000);
});

describe("configuration", () => {
  const refusal = (extra: Record<string, unknown>) => {
    try {
      cfg(extra);
      return "started";
    } catch (e) {
      return (e as Error & { oneLine(): string }).oneLine();
    }
  };

  test("bad TLS material refuses the start, naming the file", () => {
    expect(refusal({ tls: { cert_file: server1.cert, key_file: server2.key } })).toBe(`${server2.key}: tls.key_file is not the private key of the certificate in ${server1.cert}`);
    expect(refusal({ tls: { cert_file: server1.key, key_file: server1.key } })).toBe(`${server1.key}: tls.cert_file holds no PEM certificate`);
    expect(refusal({ tls: { cert_file: server1.cert, key_file: server1.cert } })).toStartWith(`${server1.cert}: tls.key_file: not a PEM private key`);
    expect(refusal({ tls: { cert_file: "missing.pem", key_file: server1.key } })).toBe(`${join(work, "missing.pem")}: TLS certificate file not found`);
    expect(refusal({ tls: { cert_file: server1.cert, key_file: server1.key, client_ca_file: server1.key } })).toBe(`${server1.key}: tls.client_ca_file holds no PEM certificate`);
    expect(refusal({ tls: { cert_file: server1.cert, key_file: server1.key, min_version: "1.1" } })).toContain("invalid serve config");
    expect(refusal({ tls: { cert_file: server1.cert } })).toContain("must have required property 'key_file'");
  });

  test("min_version 1.3 refuses a TLS 1.2 client", async () => {
    const logs: string[] = [];
    const gate = await startGateServer(cfg({ tls: { cert_file: server1.cert, key_file: server1.key, min_version: "1.3" } }), { log: (l) => logs.push(l) });
    try {
      expect((await curl(["--cacert", ca.cert, "--tlsv1.2", "--tls-max", "1.2", `${gate.url}/health`])).code).not.toBe(0);
      expect((await curl(["--cacert", ca.cert, "--tlsv1.3", `${gate.url}/health`])).code).toBe(0);
      await until("the refusal logged", async () => (logs.some((l) => l.startsWith("tls: refused")) ? true : undefined), 5000);
    } finally {
      await gate.stop();
    }
  });
});

describe("the CLI with OPA's flags", () => {
  const yaml = () => {
    const p = join(work, "cli.yaml");
    writeFileSync(p, `addr: "127.0.0.1:0"\nbundle:\n  file: ${bundleFile}\nkeys:\n  k:\n    key_file: ${pubFile}\n    algorithm: ES256\n`);
    return p;
  };

  test("--tls-cert-file/--tls-private-key-file/--tls-ca-cert-file/--authentication=tls serve mTLS; SIGTERM stops it", async () => {
    const proc = Bun.spawn([BUN, CLI, "serve", "--config", yaml(), "--tls-cert-file", server1.cert, "--tls-private-key-file", server1.key, "--tls-ca-cert-file", ca.cert, "--authentication=tls", "--tls-min-version", "1.2"], { stdout: "pipe", stderr: "pipe" });
    try {
      const url = await servedUrl(proc);
      expect(url).toBeDefined();
      expect((await curl(["--cacert", ca.cert, "--cert", client.cert, "--key", client.key, `${url}/health`])).code).toBe(0);
      expect((await curl(["--cacert", ca.cert, `${url}/health`])).code).not.toBe(0);
    } finally {
      proc.kill("SIGTERM");
    }
    expect(await proc.exited).toBe(0);
    const err = await new Response(proc.stderr).text();
    expect(err).toMatch(/tollgate serve: tls: refused 127\.0\.0\.1:\d+: no client certificate/);
  }, 30_000);

  test("a second TLS gate on a TLS gate's port (1 thread, then 3): one line naming the port, exit 2; the first still answers", async () => {
    for (const workers of [1, 3]) {
      const gate = await startGateServer(cfg({ workers, tls: { cert_file: server1.cert, key_file: server1.key } }), { log: () => {} });
      try {
        const proc = Bun.spawn([BUN, CLI, "serve", "--config", yaml(), "--addr", `127.0.0.1:${gate.port}`, "--tls-cert-file", server2.cert, "--tls-private-key-file", server2.key], { stdout: "pipe", stderr: "pipe" });
        // Before the port was claimed, the second gate started and took a share of the connections.
        const started = (await servedUrl(proc, 20_000)) !== undefined;
        if (started) proc.kill("SIGKILL");
        const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
        expect({ workers, started, code, stderr }).toEqual({ workers, started: false, code: 2, stderr: `tollgate serve: cannot listen on 127.0.0.1:${gate.port}: port ${gate.port} is already in use (another gate or process listens on it)\n` });
        // Every connection reaches the first gate (its certificate, CN gate-1; the second would serve gate-2).
        const cns = new Set<string | undefined>();
        for (let i = 0; i < 12; i++) cns.add(await servedCertificateCN(gate.port, ca.cert));
        expect([...cns]).toEqual(["gate-1"]);
        expect((await tlsFetch(`${gate.url}/health`)).status).toBe(200);
      } finally {
        await gate.stop();
      }
    }
  }, 60_000);

  test("--diagnostic-addr serves the probes in plain HTTP beside an mTLS port; it may not be addr itself", async () => {
    const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = probe.port!;
    await probe.stop(true);
    const proc = Bun.spawn([BUN, CLI, "serve", "--config", yaml(), "--tls-cert-file", server1.cert, "--tls-private-key-file", server1.key, "--tls-ca-cert-file", ca.cert, "--diagnostic-addr", `127.0.0.1:${port}`], { stdout: "pipe", stderr: "pipe" });
    try {
      expect(await servedUrl(proc)).toBeDefined();
      const c = await curl(["-w", " %{http_code}", `http://127.0.0.1:${port}/ready`]);
      expect(c.code).toBe(0);
      expect(c.out).toMatch(/"ready":true.* 200$/);
    } finally {
      proc.kill("SIGTERM");
    }
    expect(await proc.exited).toBe(0);
    const same = Bun.spawnSync([BUN, CLI, "serve", "--config", yaml(), "--addr", "127.0.0.1:18181", "--diagnostic-addr", "127.0.0.1:18181"], { stdout: "pipe", stderr: "pipe" });
    expect([same.exitCode, same.stderr.toString()]).toEqual([2, "tollgate serve: diagnostic_addr 127.0.0.1:18181 is addr itself: give the diagnostics a port of their own\n"]);
    const bad = Bun.spawnSync([BUN, CLI, "serve", "--config", yaml(), "--diagnostic-addr", "8282"], { stdout: "pipe", stderr: "pipe" });
    expect([bad.exitCode, bad.stderr.toString()]).toEqual([2, 'tollgate serve: --diagnostic-addr wants host:port (port ≤ 65535), got "8282"\n']);
  }, 30_000);

  test("flag mistakes are one line and exit 2", () => {
    const run = (args: string[]) => {
      const r = Bun.spawnSync([BUN, CLI, "serve", "--config", yaml(), ...args], { stdout: "pipe", stderr: "pipe" });
      return [r.exitCode, r.stderr.toString().trim()];
    };
    expect(run(["--tls-cert-file", server1.cert])).toEqual([2, "tollgate serve: --tls-cert-file needs --tls-private-key-file (or tls.key_file in the config)"]);
    expect(run(["--tls-cert-file", server1.cert, "--tls-private-key-file", server1.key, "--tls-min-version", "1.1"])).toEqual([2, "tollgate serve: --tls-min-version 1.1: tollgate serves TLS 1.2 or 1.3 (give 1.2 or 1.3)"]);
    expect(run(["--tls-ca-cert-file", ca.cert])).toEqual([2, "tollgate serve: --tls-ca-cert-file needs TLS (--tls-cert-file and --tls-private-key-file, or tls: in the config)"]);
    expect(run(["--authentication=tls", "--tls-cert-file", server1.cert, "--tls-private-key-file", server1.key])).toEqual([2, "tollgate serve: --authentication=tls needs --tls-ca-cert-file (or tls.client_ca_file in the config): the CA client certificates must chain to"]);
    expect(run(["--authentication=basic"])).toEqual([2, "tollgate serve: --authentication must be one of token, tls, off (got basic)"]);
    expect(run(["--tls-cert-file", server1.cert, "--tls-private-key-file", server2.key])).toEqual([2, `tollgate serve: ${server2.key}: tls.key_file is not the private key of the certificate in ${server1.cert}`]);
  }, 30_000);
});
