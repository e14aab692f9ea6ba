// The gate on several threads (config `workers`): one port shared with SO_REUSEPORT, bundles pulled and verified
// once by the primary and swapped in every thread together, decision records from every thread in the one log.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSigningKey, signBundleArchive } from "../src/policy/signing.ts";
import { startBundleServer, type BundleServer } from "../src/serve/bundle-server.ts";
import { resolveServeConfig } from "../src/serve/config.ts";
import { startGateServer, type GateServer } from "../src/serve/server.ts";
import { BUN, CLI } from "./support/cli.ts";

const POLICY = `package demo

rev := data.rev

allow if input.user == "alice"
`;
const GATE = `package tollgate.gate

decision := {"allow": false, "deny": [], "warn": []}
`;

let work: string;
let keyPem: string;
let otherKeyPem: string;
let bundles: BundleServer;
let gate: GateServer;
const logs: string[] = [];

async function buildBundle(rev: string, signer = keyPem): Promise<Uint8Array> {
  const dir = join(work, `policy-${rev}`);
  mkdirSync(join(dir, "tollgate/gate"), { recursive: true });
  writeFileSync(join(dir, "demo.rego"), POLICY);
  writeFileSync(join(dir, "tollgate/gate/gate.rego"), GATE);
  writeFileSync(join(dir, "data.json"), JSON.stringify({ rev }));
  const out = join(work, `${rev}.tar.gz`);
  const r = Bun.spawnSync([BUN, CLI, "bundle", "build", dir, "-o", out, "--revision", rev, "-e", "demo/rev", "-e", "demo/allow", "-e", "tollgate/gate/decision"], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  const { bytes } = await signBundleArchive(new Uint8Array(readFileSync(out)), out, { key: loadSigningKey(signer, "ES256"), algorithm: "ES256", keyId: "k" });
  return bytes;
}

/** Publish atomically (write + rename), as the bundle server's README asks. */
function publish(bytes: Uint8Array): void {
  const tmp = join(work, "served", ".gate.tmp");
  writeFileSync(tmp, bytes);
  renameSync(tmp, join(work, "served", "gate.tar.gz"));
}

/** One request on a fresh connection (the kernel picks a thread per connection). */
async function fresh(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(gate.url + path, { ...init, headers: { ...(init.headers as Record<string, string>), Connection: "close" } });
}

async function revisionsSeen(n: number): Promise<{ revs: Set<string>; threads: Set<number> }> {
  const revs = new Set<string>();
  const threads = new Set<number>();
  for (let i = 0; i < n; i++) {
    const r = await fresh("/v1/data/demo/rev", { method: "POST", body: "{}" });
    revs.add(((await r.json()) as { result: string }).result);
    threads.add(((await (await fresh("/health")).json()) as { thread: number }).thread);
  }
  return { revs, threads };
}

async function until(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tollgate-serve-workers-"));
  const k = generateKeyPairSync("ec", { namedCurve: "P-256" });
  keyPem = k.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  writeFileSync(join(work, "pub.pem"), k.publicKey.export({ type: "spki", format: "pem" }));
  otherKeyPem = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  mkdirSync(join(work, "served"));
  publish(await buildBundle("v1"));
  bundles = await startBundleServer({ dir: join(work, "served"), hostname: "127.0.0.1", port: 0, maxWaitSeconds: 30, watchIntervalMs: 25, log: () => {} });
  const cfg = resolveServeConfig(
    {
      addr: "127.0.0.1:0",
      workers: 3,
      service: { name: "gate-test", instance_id: "gate-w", environment: "test" },
      bundle: { service: bundles.url, resource: "gate.tar.gz", polling: { min_delay_seconds: 0.05, max_delay_seconds: 0.1, long_polling_timeout_seconds: 10 } },
      keys: { k: { key_file: "pub.pem", algorithm: "ES256" } },
      decision_logs: { file: "decisions.jsonl", flush_interval_ms: 20 },
    },
    work,
    "0.0.0-test",
  );
  gate = await startGateServer(cfg, { log: (l) => logs.push(l) });
}, 60_000);

afterAll(async () => {
  await gate?.stop();
  await bundles?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("serve with workers: 3", () => {
  test("several threads answer on the one port, all with the bundle the primary verified", async () => {
    expect(gate.threads).toBe(3);
    expect(logs.some((l) => l.includes("3 threads"))).toBe(true);
    const { revs, threads } = await revisionsSeen(60);
    expect([...revs]).toEqual(["v1"]);
    // The kernel spreads fresh connections: more than one thread answered (60 draws over 3 threads).
    expect(threads.size).toBeGreaterThan(1);
    const r = await fresh("/v1/data/demo/allow", { method: "POST", body: JSON.stringify({ input: { user: "alice" } }) });
    expect(((await r.json()) as { result: boolean }).result).toBe(true);
  }, 60_000);

  test("a hot swap reaches every thread; once the primary reports it, no thread answers with the old bundle", async () => {
    publish(await buildBundle("v2"));
    await until("v2 active", async () => ((await (await fresh("/ready")).json()) as { bundle: { revision: string } }).bundle.revision === "v2");
    const { revs, threads } = await revisionsSeen(60);
    expect([...revs]).toEqual(["v2"]);
    expect(threads.size).toBeGreaterThan(1);
  }, 60_000);

  test("a bundle that fails verification is refused for all threads; every one keeps the last good bundle", async () => {
    publish(await buildBundle("v3-forged", otherKeyPem));
    await until("the rejection", async () => logs.some((l) => l.startsWith("bundle rejected:")));
    const { revs } = await revisionsSeen(30);
    expect([...revs]).toEqual(["v2"]);
    // /ready from any thread shows the primary's state: the failure and the active revision.
    for (let i = 0; i < 10; i++) {
      const s = (await (await fresh("/ready")).json()) as { bundle: { revision: string }; last_failure: { code: string } | null };
      expect(s.bundle.revision).toBe("v2");
      expect(s.last_failure?.code).toBe("signature_failed");
    }
  }, 60_000);

  test("decision records from every thread land in the primary's one log", async () => {
    const ids = async () => {
      await until("the flush", async () => gate.decisionLog.snapshot().queued === 0);
      await Bun.sleep(100);
      return new Set(readFileSync(join(work, "decisions.jsonl"), "utf8").match(/"tollgate\.decision\.id","value":\{"stringValue":"[^"]+"/g) ?? []);
    };
    const before = await ids();
    const n = 40;
    // Distinct inputs, so distinct decision ids: each request's record is told apart in the file.
    for (let i = 0; i < n; i++) await fresh("/v1/data/demo/allow", { method: "POST", body: JSON.stringify({ input: { user: `u${i}` } }) });
    const after = await ids();
    expect([...after].filter((id) => !before.has(id)).length).toBe(n);
  }, 60_000);
});
