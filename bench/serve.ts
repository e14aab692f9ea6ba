#!/usr/bin/env bun
// The gate service under load on 127.0.0.1, against `opa run --server` serving the same policy, in one run.
//   bun bench/serve.ts [requests-per-phase] [concurrency]
//
// Same policy: policies/ (tests left out) plus examples/data.yaml as the bundle's data.json, built twice — a WASM
// bundle (`tollgate bundle build`, signed, loaded by `tollgate serve` from a file) and a rego bundle
// (`opa build -b`) for opa, whose `go install`ed build has no WASM engine. Before measuring, both servers must
// return the same decision for the same input document.
// Phases (sequential, so only one server is under load at a time; the load generator is this process), each after
// a warm-up of as many requests (WARMUP=n to change it):
//   tollgate POST /v1/data/tollgate/gate/decision  {"input": <input document of examples/evidence>}
//   opa      POST /v1/data/tollgate/gate/decision  (same body)
//   tollgate POST /v1/gate  {"evidence": [{path, content}] of examples/evidence, "subject": …}  (the full pipeline)
//   memory: 100,000 requests (9 /v1/data : 1 /v1/gate) with the server's RSS sampled every 10,000.
// Every phase is bounded in request count and in time. Results: stdout and bench/results/serve-<date>.json.
import { generateKeyPairSync } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { prepareEvidence, loadDataFile } from "../src/gate/run.ts";
import { loadSigningKey, signBundleArchive } from "../src/policy/signing.ts";
import { requireOpa } from "../src/policy/opa-tool.ts";

const ROOT = join(import.meta.dir, "..");
const BUN = join(ROOT, "node_modules/.bin/bun");
const CLI = join(ROOT, "src/cli/main.ts");
const OPA = requireOpa();
const N = Number(process.argv[2] ?? 20_000);
const C = Number(process.argv[3] ?? 16);
const PHASE_SECONDS = 120;
const MEMORY_REQUESTS = Number(process.env.MEMORY_REQUESTS ?? 100_000);
const WARMUP = Number(process.env.WARMUP ?? N);
// The memory phase's own bound: long enough for MEMORY_REQUESTS at 2,000 requests/s (1M requests: 500 s).
const MEMORY_SECONDS = Math.max(PHASE_SECONDS, Math.ceil(MEMORY_REQUESTS / 2000));
// Threads of the gate service (serve config workers:): auto = one per core, as deployed.
const WORKERS = process.env.WORKERS ?? "auto";
const SUBJECT = "4fadfddc8647253e1e7aa1d3f467b7ab3b28ab9a9a627f6cc9da0f426d4e4c58";
const ex = (p: string) => join(ROOT, "examples", p);

const work = mkdtempSync(join(tmpdir(), "tollgate-bench-serve-"));
const children: ReturnType<typeof Bun.spawn>[] = [];

function sh(cmd: string[], cwd?: string): void {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}\n${r.stderr}`);
}

function copyPolicies(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) copyPolicies(join(from, e.name), join(to, e.name));
    else if (e.name.endsWith(".rego") && !e.name.endsWith("_test.rego")) cpSync(join(from, e.name), join(to, e.name));
  }
}

async function freePort(): Promise<number> {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const p = s.port!;
  await s.stop(true);
  return p;
}

async function waitFor(url: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${url}`);
}

/** A CA and a server certificate for 127.0.0.1 made with the openssl CLI (as the TLS tests make theirs). */
function makeTlsFiles(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => join(dir, n);
  sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=bench-ca", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  sh(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=127.0.0.1"]);
  writeFileSync(f("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  sh(["openssl", "x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("server.pem"), "-days", "2", "-extfile", f("server.ext")]);
  return { ca: f("ca.pem"), cert: f("server.pem"), key: f("server.key") };
}

async function waitForTls(url: string, ca: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(url, { tls: { ca } } as RequestInit)).ok) return;
    } catch {}
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${url}`);
}

/** CPU time (user + system, all threads) the process has used so far, in ms, from /proc/PID/stat. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}
const CLK_TCK = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

interface PhaseResult {
  name: string;
  requests: number;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  /** server CPU (user + system) per request, ms */
  cpuMsPerRequest?: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** `total` requests from `concurrency` workers, stopped early at `seconds`. */
async function load(name: string, total: number, concurrency: number, send: (i: number) => Promise<Response>, onProgress?: (done: number) => void, serverPid?: number, maxSeconds = PHASE_SECONDS): Promise<PhaseResult> {
  const cpu0 = serverPid ? cpuMs(serverPid) : 0;
  const lat = new Float64Array(total);
  let next = 0;
  let done = 0;
  let errors = 0;
  const deadline = performance.now() + maxSeconds * 1000;
  const t0 = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total || performance.now() > deadline) return;
      const s = performance.now();
      try {
        const r = await send(i);
        await r.arrayBuffer();
        if (r.status !== 200) errors++;
      } catch {
        errors++;
      }
      lat[i] = performance.now() - s;
      done++;
      if (onProgress && done % 10_000 === 0) onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const sorted = lat.slice(0, done).sort();
  const cpuMsPerRequest = serverPid ? (cpuMs(serverPid) - cpu0) / done : undefined;
  const r = { name, requests: done, seconds, perSecond: done / seconds, p50ms: percentile(sorted, 0.5), p99ms: percentile(sorted, 0.99), errors, cpuMsPerRequest };
  const cpuText = cpuMsPerRequest === undefined ? "" : `  server CPU ${cpuMsPerRequest.toFixed(3)} ms/req`;
  console.log(`${name.padEnd(40)} ${String(done).padStart(7)} req  ${r.perSecond.toFixed(0).padStart(6)}/s  p50 ${r.p50ms.toFixed(2)} ms  p99 ${r.p99ms.toFixed(2)} ms  errors ${errors}${cpuText}`);
  return r;
}

async function main() {
  // --- the same policy for both servers
  const data = await loadDataFile(ex("data.yaml"));
  const src = join(work, "policy");
  copyPolicies(join(ROOT, "policies"), src);
  writeFileSync(join(src, "data.json"), JSON.stringify(data));
  const wasmBundle = join(work, "gate.tar.gz");
  sh([BUN, CLI, "bundle", "build", src, "-o", wasmBundle, "-e", "tollgate/gate/decision", "--revision", "bench"]);
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  writeFileSync(join(work, "pub.pem"), publicKey.export({ type: "spki", format: "pem" }));
  const signed = await signBundleArchive(new Uint8Array(readFileSync(wasmBundle)), wasmBundle, {
    key: loadSigningKey(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), "ES256"),
    algorithm: "ES256",
  });
  writeFileSync(wasmBundle, signed.bytes);
  const regoBundle = join(work, "rego.tar.gz");
  sh([OPA, "build", "-b", ".", "-o", regoBundle, "--revision", "bench"], src);

  // --- request bodies
  const prepared = await prepareEvidence([ex("evidence")], { time: new Date(), keyFiles: [ex("keys/release.pub")], subject: SUBJECT, data });
  const dataBody = JSON.stringify({ input: prepared.input });
  const evidenceDir = ex("evidence");
  const gateBody = JSON.stringify({
    subject: `sha256:${SUBJECT}`,
    evidence: readdirSync(evidenceDir).sort().map((f) => ({ path: `evidence/${f}`, content: readFileSync(join(evidenceDir, f), "utf8") })),
  });

  // --- servers
  writeFileSync(
    join(work, "serve.yaml"),
    YAML.stringify({
      addr: "127.0.0.1:0",
      workers: WORKERS === "auto" ? "auto" : Number(WORKERS),
      max_body_bytes: 4 * 1024 * 1024,
      service: { name: "tollgate-bench", instance_id: "bench-0", environment: "bench" },
      bundle: { file: wasmBundle },
      keys: { default: { key_file: join(work, "pub.pem"), algorithm: "ES256" } },
      evidence: { key_files: [ex("keys/release.pub")] },
    }),
  );
  // The same gate with decision logs written as OTLP/JSON to a file, to price the decision signal.
  const logged = YAML.parse(readFileSync(join(work, "serve.yaml"), "utf8"));
  logged.decision_logs = { file: join(work, "decisions.otlp.jsonl") };
  writeFileSync(join(work, "serve-logged.yaml"), YAML.stringify(logged));
  async function startTollgate(config: string): Promise<{ proc: ReturnType<typeof Bun.spawn>; url: string }> {
    const proc = Bun.spawn([BUN, CLI, "serve", "--config", config], { stdout: "pipe", stderr: "inherit" });
    children.push(proc);
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    let out = "";
    const end = Date.now() + 30_000;
    while (Date.now() < end) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
      const m = /ready on (https?:\/\/[^\s]+)/.exec(out);
      if (m) return { proc, url: m[1]! };
    }
    throw new Error(`tollgate serve did not start: ${out}`);
  }
  const { proc: tg, url: tgUrl } = await startTollgate(join(work, "serve.yaml"));
  const { proc: tgLogProc, url: tgLoggedUrl } = await startTollgate(join(work, "serve-logged.yaml"));
  const opaPort = await freePort();
  const opaUrl = `http://127.0.0.1:${opaPort}`;
  const opa = Bun.spawn([OPA, "run", "--server", "--addr", `127.0.0.1:${opaPort}`, "--log-level", "error", "-b", regoBundle], { stdout: "ignore", stderr: "inherit" });
  children.push(opa);
  await waitFor(`${opaUrl}/health`);
  await waitFor(`${tgUrl}/ready`);

  // --- same decision from both
  const post = (url: string, body: string) => fetch(url, { method: "POST", body, headers: { "Content-Type": "application/json" } });
  const tgRes = (await (await post(`${tgUrl}/v1/data/tollgate/gate/decision`, dataBody)).json()) as { result: { allow: boolean; deny: { rule: string }[] } };
  const opaRes = (await (await post(`${opaUrl}/v1/data/tollgate/gate/decision`, dataBody)).json()) as { result: { allow: boolean; deny: { rule: string }[] } };
  const summary = (r: { allow: boolean; deny: { rule: string }[] }) => JSON.stringify({ allow: r.allow, deny: r.deny.map((d) => d.rule).sort() });
  if (summary(tgRes.result) !== summary(opaRes.result)) throw new Error(`decisions differ: tollgate ${summary(tgRes.result)} opa ${summary(opaRes.result)}`);
  console.log(`same decision from both: ${summary(tgRes.result)}`);
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Bun ${Bun.version}; ${N} requests per phase, concurrency ${C}`);

  // --- throughput and latency
  // As many warm-up requests as measured ones, for every server: the steady figure. JavaScriptCore is still
  // compiling the request path into its optimizing tiers after 2,000 requests (the JIT threads took ~11 µs of CPU per
  // request of the next 20,000, and p99 was 5.9 ms instead of 3.5), and each of the gate's threads warms its own.
  const warm = Math.min(WARMUP, N);
  await load("warm-up tollgate /v1/data", warm, C, () => post(`${tgUrl}/v1/data/tollgate/gate/decision`, dataBody));
  await load("warm-up opa /v1/data", warm, C, () => post(`${opaUrl}/v1/data/tollgate/gate/decision`, dataBody));
  await load("warm-up tollgate /v1/gate", Math.min(500, N), C, () => post(`${tgUrl}/v1/gate`, gateBody));
  const results: PhaseResult[] = [];
  results.push(await load("tollgate POST /v1/data (wasm)", N, C, () => post(`${tgUrl}/v1/data/tollgate/gate/decision`, dataBody), undefined, tg.pid));
  results.push(await load("opa POST /v1/data (rego)", N, C, () => post(`${opaUrl}/v1/data/tollgate/gate/decision`, dataBody), undefined, opa.pid));
  results.push(await load("tollgate POST /v1/gate (full pipeline)", Math.ceil(N / 4), C, () => post(`${tgUrl}/v1/gate`, gateBody), undefined, tg.pid));
  await load("warm-up tollgate+log /v1/data", warm, C, () => post(`${tgLoggedUrl}/v1/data/tollgate/gate/decision`, dataBody));
  results.push(await load("tollgate POST /v1/data + decision log file", N, C, () => post(`${tgLoggedUrl}/v1/data/tollgate/gate/decision`, dataBody), undefined, tgLogProc.pid));

  // --- production mode: TLS on both (tollgate's TLS front per thread; opa's Go crypto/tls), keep-alive clients
  const tls = makeTlsFiles(work);
  const tlsCfg = YAML.parse(readFileSync(join(work, "serve.yaml"), "utf8"));
  tlsCfg.tls = { cert_file: tls.cert, key_file: tls.key };
  writeFileSync(join(work, "serve-tls.yaml"), YAML.stringify(tlsCfg));
  const { proc: tgTls, url: tgTlsUrl } = await startTollgate(join(work, "serve-tls.yaml"));
  const opaTlsPort = await freePort();
  const opaTlsUrl = `https://127.0.0.1:${opaTlsPort}`;
  const opaTls = Bun.spawn([OPA, "run", "--server", "--addr", `127.0.0.1:${opaTlsPort}`, "--tls-cert-file", tls.cert, "--tls-private-key-file", tls.key, "--log-level", "error", "-b", regoBundle], { stdout: "ignore", stderr: "inherit" });
  children.push(opaTls);
  const ca = readFileSync(tls.ca, "utf8");
  const postTls = (url: string, body: string) => fetch(url, { method: "POST", body, headers: { "Content-Type": "application/json" }, tls: { ca } } as RequestInit);
  await waitForTls(`${opaTlsUrl}/health`, ca);
  await waitForTls(`${tgTlsUrl}/ready`, ca);
  await load("warm-up tollgate TLS /v1/data", warm, C, () => postTls(`${tgTlsUrl}/v1/data/tollgate/gate/decision`, dataBody));
  await load("warm-up opa TLS /v1/data", warm, C, () => postTls(`${opaTlsUrl}/v1/data/tollgate/gate/decision`, dataBody));
  const tlsResults: PhaseResult[] = [];
  tlsResults.push(await load("tollgate TLS POST /v1/data (wasm)", N, C, () => postTls(`${tgTlsUrl}/v1/data/tollgate/gate/decision`, dataBody), undefined, tgTls.pid));
  tlsResults.push(await load("opa TLS POST /v1/data (rego)", N, C, () => postTls(`${opaTlsUrl}/v1/data/tollgate/gate/decision`, dataBody), undefined, opaTls.pid));
  tgTls.kill();
  opaTls.kill();
  results.push(...tlsResults);

  // --- memory over MEMORY_REQUESTS requests (100,000 unless set; 1,000,000 for issue 14's row)
  const rss: { requests: number; rssMiB: number }[] = [{ requests: 0, rssMiB: rssKiB(tg.pid) / 1024 }];
  const mem = await load(
    `tollgate mixed x${MEMORY_REQUESTS} (memory)`,
    MEMORY_REQUESTS,
    C,
    (i) => (i % 10 === 9 ? post(`${tgUrl}/v1/gate`, gateBody) : post(`${tgUrl}/v1/data/tollgate/gate/decision`, dataBody)),
    (done) => rss.push({ requests: done, rssMiB: rssKiB(tg.pid) / 1024 }),
    tg.pid,
    MEMORY_SECONDS,
  );
  // Every sample is in the results file; the console shows one per 50,000 requests on long runs.
  const every = MEMORY_REQUESTS > 200_000 ? 50_000 : 10_000;
  const peak = Math.max(...rss.slice(1).map((r) => r.rssMiB));
  console.log(`RSS MiB peak after start ${peak.toFixed(0)}; by requests: ${rss.filter((r) => r.requests % every === 0).map((r) => `${r.requests / 1000}k=${r.rssMiB.toFixed(0)}`).join(" ")}`);
  const after20k = rss.find((r) => r.requests === 20_000)?.rssMiB ?? rss[1]?.rssMiB ?? NaN;
  const last = rss.at(-1)!.rssMiB;
  console.log(`RSS growth from 20k to ${rss.at(-1)!.requests / 1000}k requests: ${(last - after20k).toFixed(1)} MiB (${(((last - after20k) / after20k) * 100).toFixed(1)} %)`);

  // A ratio over failed requests would measure error paths: any failure voids the run.
  const failed = [...results, mem].filter((r) => r.errors > 0);
  if (failed.length) throw new Error(`requests failed, no ratios recorded: ${failed.map((r) => `${r.name}: ${r.errors}`).join("; ")}`);
  const [tgData, opaData, tgGate, tgLogged, tgTlsData, opaTlsData] = results as [PhaseResult, PhaseResult, PhaseResult, PhaseResult, PhaseResult, PhaseResult];
  console.log(`decision log file cost on /v1/data: ${((1 - tgLogged.perSecond / tgData.perSecond) * 100).toFixed(1)} % throughput`);
  console.log(`\nratios: /v1/data throughput tollgate/opa = ${(tgData.perSecond / opaData.perSecond).toFixed(2)}×, p50 ${(tgData.p50ms / opaData.p50ms).toFixed(2)}×, p99 ${(tgData.p99ms / opaData.p99ms).toFixed(2)}×, server CPU per request opa/tollgate ${(opaData.cpuMsPerRequest! / tgData.cpuMsPerRequest!).toFixed(2)}×; /v1/gate vs opa /v1/data throughput ${(tgGate.perSecond / opaData.perSecond).toFixed(2)}×`);
  console.log(`TLS: /v1/data throughput tollgate/opa = ${(tgTlsData.perSecond / opaTlsData.perSecond).toFixed(2)}×, p99 ${tgTlsData.p99ms.toFixed(2)} ms vs ${opaTlsData.p99ms.toFixed(2)} ms, server CPU per request opa/tollgate ${(opaTlsData.cpuMsPerRequest! / tgTlsData.cpuMsPerRequest!).toFixed(2)}×; TLS cost on tollgate's CPU per request ${((tgTlsData.cpuMsPerRequest! / tgData.cpuMsPerRequest! - 1) * 100).toFixed(0)} %`);
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  const file = join(ROOT, "bench/results", `serve-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), cores: cpus().length, bun: Bun.version, concurrency: C, results, memory: { phase: mem, rss } }, null, 2));
  console.log(`results: ${file}`);
}

try {
  await main();
} finally {
  for (const c of children) c.kill();
  await Promise.all(children.map((c) => c.exited));
  rmSync(work, { recursive: true, force: true });
}
