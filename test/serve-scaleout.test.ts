// Scale-out: two real `tollgate serve` processes started from one identical config, pulling from one bundle
// service (a real `tollgate bundle serve` process on 127.0.0.1 serving signed bundles). Both switch to a new
// revision; both keep the last good one when the service serves a badly signed or tampered bundle, and while the
// service is down; both answer decisions throughout, identically (same decision ids: a load balancer may send a
// request to either); both pick up the next good revision when the service is back.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { sha256Hex } from "../src/core/digest.ts";
import { readArchive, writeArchive } from "../src/policy/signing.ts";
import { BUN, CLI, servedUrl } from "./support/cli.ts";
import { freePort } from "./support/registry.ts";
import { buildSignedBundle, makeSigningKeys, until, type SigningKeys } from "./support/serve-bundle.ts";

let work: string;
let served: string;
let keys: SigningKeys;
let rogue: SigningKeys;
let sourcePort: number;
let source: Subprocess<"ignore", "pipe", "pipe"> | undefined;
const gates: { proc: Subprocess<"ignore", "pipe", "pipe">; url: string; stderr: string[] }[] = [];

/** Publish atomically (write + rename), as the bundle service's README asks. */
function publish(bytes: Uint8Array): string {
  writeFileSync(join(served, ".upload"), bytes);
  renameSync(join(served, ".upload"), join(served, "gate.tar.gz"));
  return sha256Hex(bytes);
}

/** Read a child's stdout until `re` matches (bounded), then keep draining stderr into `sink`. */
async function waitFor(proc: Subprocess<"ignore", "pipe", "pipe">, what: string, re?: RegExp): Promise<string> {
  const url = await servedUrl(proc, 20_000, re);
  if (!url) throw new Error(`${what} did not start`);
  return url;
}

function drain(stream: ReadableStream<Uint8Array>, sink: string[]): void {
  void (async () => {
    const dec = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      rest += dec.decode(chunk);
      const lines = rest.split("\n");
      rest = lines.pop()!;
      sink.push(...lines);
    }
  })();
}

async function startSource(): Promise<void> {
  source = Bun.spawn([BUN, CLI, "bundle", "serve", served, "--addr", `127.0.0.1:${sourcePort}`], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  await waitFor(source, "tollgate bundle serve", /on (http:\/\/127\.0\.0\.1:\d+)\//);
}

async function stopSource(): Promise<void> {
  source?.kill("SIGTERM");
  await source?.exited;
  source = undefined;
}

const ready = async (url: string) => (await (await fetch(`${url}/ready`)).json()) as any;
const allow = async (url: string, user: string) => {
  const r = await fetch(`${url}/v1/data/demo/allow`, { method: "POST", body: JSON.stringify({ input: { user } }), headers: { "Content-Type": "application/json" } });
  return (await r.json()) as { result: boolean; decision_id: string };
};
const STATEMENT = JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [{ name: "app", digest: { sha256: "a".repeat(64) } }], predicateType: "https://example.com/x", predicate: {} });
const gateDecision = async (url: string) => {
  const r = await fetch(`${url}/v1/gate`, { method: "POST", body: STATEMENT, headers: { "Content-Type": "application/json" } });
  return (await r.json()) as { allow: boolean; decision_id: string; bundle: { revision: string; sha256: string }; warn: { msg: string }[] };
};

/** Both gates: ready, on `rev`, the same bundle digest. */
async function bothOn(rev: string): Promise<void> {
  await until(`both gates on ${rev}`, async () => {
    const s = await Promise.all(gates.map((g) => ready(g.url)));
    return s.every((x) => x.ready && x.bundle?.revision === rev) ? true : undefined;
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tollgate-scaleout-"));
  served = join(work, "served");
  mkdirSync(served);
  keys = makeSigningKeys(work, "release");
  rogue = makeSigningKeys(work, "rogue");
  publish(await buildSignedBundle(work, "rev-1", keys.priv, { user: "alice", keyId: "release" }));
  sourcePort = await freePort();
  await startSource();
  // One config for every replica: nothing in it is per-instance.
  const config = join(work, "gate.yaml");
  writeFileSync(
    config,
    [
      'addr: "127.0.0.1:0"',
      "bundle:",
      `  service: http://127.0.0.1:${sourcePort}`,
      "  resource: gate.tar.gz",
      "  polling: { min_delay_seconds: 0.2, max_delay_seconds: 0.4 }",
      "keys:",
      "  release:",
      `    key_file: ${keys.pubFile}`,
      "    algorithm: ES256",
      "",
    ].join("\n"),
  );
  for (let i = 0; i < 2; i++) {
    const proc = Bun.spawn([BUN, CLI, "serve", "--config", config], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, TOLLGATE_DEBUG: "" } });
    const url = await waitFor(proc, `gate ${i}`);
    const stderr: string[] = [];
    drain(proc.stderr, stderr);
    gates.push({ proc, url, stderr });
  }
}, 60_000);

afterAll(async () => {
  for (const g of gates) g.proc.kill("SIGTERM");
  await Promise.all(gates.map((g) => g.proc.exited));
  await stopSource();
  rmSync(work, { recursive: true, force: true });
});

describe("two gate replicas on one bundle service", () => {
  test("both start on the first revision and answer identically (same /v1/data decision and decision id, same /v1/gate verdict and bundle)", async () => {
    expect(gates).toHaveLength(2);
    expect(gates[0]!.url).not.toBe(gates[1]!.url);
    await bothOn("rev-1");
    const [a, b] = await Promise.all(gates.map((g) => ready(g.url)));
    expect(a.bundle.sha256).toBe(b.bundle.sha256);
    expect(a.bundle.signature).toMatchObject({ status: "verified", keyId: "release" });
    const [da, db] = await Promise.all(gates.map((g) => allow(g.url, "alice")));
    expect(da!.result).toBe(true);
    expect(db).toEqual(da!); // /v1/data ids derive from input, entrypoint and bundle only
    // /v1/gate decisions carry their instant in the input (so their ids differ), the same verdict and bundle
    const [ga, gb] = await Promise.all(gates.map((g) => gateDecision(g.url)));
    expect([ga!.allow, ga!.bundle.revision, ga!.warn[0]!.msg]).toEqual([true, "rev-1", "rev-1"]);
    expect([gb!.allow, gb!.bundle]).toEqual([ga!.allow, ga!.bundle]);
  });

  test("a new signed revision: both switch to it", async () => {
    const sha = publish(await buildSignedBundle(work, "rev-2", keys.priv, { user: "bob", keyId: "release" }));
    await bothOn("rev-2");
    for (const g of gates) {
      expect((await ready(g.url)).bundle.sha256).toBe(sha);
      expect((await allow(g.url, "bob")).result).toBe(true);
      expect((await allow(g.url, "alice")).result).toBe(false);
      expect(g.stderr.some((l) => l.includes('bundle activated:') && l.includes('revision "rev-2"'))).toBe(true);
    }
  });

  async function bothKeepRev2(bad: Uint8Array, code: string, message: RegExp): Promise<void> {
    const sha = publish(bad);
    const states = await until(`both gates to refuse ${sha.slice(0, 12)}`, async () => {
      const s = await Promise.all(gates.map((g) => ready(g.url)));
      return s.every((x) => x.last_failure?.sha256 === sha) ? s : undefined;
    });
    for (const [i, s] of states.entries()) {
      expect(s.ready).toBe(true);
      expect(s.bundle.revision).toBe("rev-2"); // the last good bundle
      expect(s.last_failure.code).toBe(code);
      expect(s.last_failure.message).toMatch(message);
      const g = gates[i]!;
      expect(g.stderr.filter((l) => l.includes(`(sha256:${sha.slice(0, 12)})`) && l.includes('keeping revision "rev-2"'))).toHaveLength(1);
      expect((await allow(g.url, "bob")).result).toBe(true);
      expect((await allow(g.url, "mallory")).result).toBe(false);
      expect((await allow(g.url, "eve")).result).toBe(false);
      expect((await gateDecision(g.url)).bundle.revision).toBe("rev-2");
    }
  }

  test("a bundle signed by a key the gates do not trust: both keep rev-2 and go on deciding", async () => {
    await bothKeepRev2(await buildSignedBundle(work, "rev-evil", rogue.priv, { user: "mallory", keyId: "release" }), "signature_failed", /JWT signature check with key "release" failed/);
  });

  test("a signed bundle tampered with after signing: both keep rev-2", async () => {
    const good = await buildSignedBundle(work, "rev-3", keys.priv, { user: "mallory", keyId: "release" });
    const entries = await readArchive(good, "x");
    expect(entries.some((e) => e.name.replace(/^\//, "") === "data.json")).toBe(true);
    // Different bytes from the signed data.json (whose digest the signature covers): bob's rival gets in.
    const evil = new TextEncoder().encode(JSON.stringify({ rev: "rev-3", allowed_user: "eve" }));
    const tampered = await writeArchive(entries.map((e) => (e.name.replace(/^\//, "") === "data.json" ? { name: e.name, bytes: evil } : e)));
    await bothKeepRev2(tampered, "digest_mismatch", /SHA-256 digest mismatch/);
  });

  test("the bundle service down: both stay ready on rev-2 (last good kept), say why in /ready, and decide", async () => {
    await stopSource();
    const states = await until("both gates to notice the service is down", async () => {
      const s = await Promise.all(gates.map((g) => ready(g.url)));
      return s.every((x) => /^bundle download failed/.test(x.last_failure?.message ?? "")) ? s : undefined;
    });
    for (const [i, s] of states.entries()) {
      expect(s.ready).toBe(true);
      expect(s.bundle.revision).toBe("rev-2");
      expect((await fetch(`${gates[i]!.url}/ready`)).status).toBe(200);
      expect((await allow(gates[i]!.url, "bob")).result).toBe(true);
    }
  });

  test("the service back with a new good revision: both switch to it", async () => {
    publish(await buildSignedBundle(work, "rev-4", keys.priv, { user: "carol", keyId: "release" }));
    await startSource();
    await bothOn("rev-4");
    const [a, b] = await Promise.all(gates.map((g) => allow(g.url, "carol")));
    expect(a!.result).toBe(true);
    expect(b).toEqual(a!);
    for (const g of gates) expect(g.proc.exitCode).toBeNull(); // neither replica crashed at any point
  });
});

/** A `tollgate serve` that must not start: its exit code and stderr, and whether it started (then it is stopped). */
async function mustNotStart(args: string[]): Promise<{ code: number; stderr: string; started: boolean }> {
  const proc = Bun.spawn([BUN, CLI, "serve", ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, TOLLGATE_DEBUG: "" } });
  const started = (await servedUrl(proc, 20_000)) !== undefined;
  if (started) proc.kill("SIGKILL");
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  return { code, stderr, started };
}

describe("one port, one gate", () => {
  const config = () => join(work, "gate.yaml");
  const port = (url: string) => new URL(url).port;
  const healthy = async (url: string, n: number) => {
    const threads = new Set<number>();
    for (let i = 0; i < n; i++) {
      const r = await fetch(`${url}/health`, { headers: { Connection: "close" } });
      expect(r.status).toBe(200);
      threads.add(((await r.json()) as { thread: number }).thread);
    }
    return threads;
  };

  test("a second gate on a running gate's port: one line naming the port, exit 2; the first still answers every request", async () => {
    const first = gates[0]!;
    const r = await mustNotStart(["--config", config(), "--addr", `127.0.0.1:${port(first.url)}`]);
    expect(r.started).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tollgate serve: cannot listen on 127.0.0.1:${port(first.url)}: port ${port(first.url)} is already in use (another gate or process listens on it)\n`);
    await healthy(first.url, 20);
  }, 60_000);

  test("an address this host does not have: one line naming it and the system's reason, exit 2", async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737), on no interface: the exclusive claim fails before any listener binds.
    const r = await mustNotStart(["--config", config(), "--addr", "192.0.2.1:18181"]);
    expect([r.started, r.code, r.stderr]).toEqual([false, 2, "tollgate serve: cannot listen on 192.0.2.1:18181: EADDRNOTAVAIL: Failed to listen at 192.0.2.1\n"]);
  }, 60_000);

  test("workers: 2 — the gate's own threads share the port, a second 2-thread gate on it is refused (SO_REUSEPORT would have let it in)", async () => {
    const multi = join(work, "gate-workers.yaml");
    writeFileSync(multi, `${await Bun.file(config()).text()}workers: 2\n`);
    const proc = Bun.spawn([BUN, CLI, "serve", "--config", multi], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, TOLLGATE_DEBUG: "" } });
    try {
      const url = await waitFor(proc, "the 2-thread gate");
      const r = await mustNotStart(["--config", multi, "--addr", `127.0.0.1:${port(url)}`]);
      expect(r.started).toBe(false);
      expect([r.code, r.stderr]).toEqual([2, `tollgate serve: cannot listen on 127.0.0.1:${port(url)}: port ${port(url)} is already in use (another gate or process listens on it)\n`]);
      // Every connection is the first gate's, on both of its threads.
      expect([...(await healthy(url, 100))].sort()).toEqual([0, 1]);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
  }, 60_000);
});
