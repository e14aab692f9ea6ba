// OPA's bundle service protocol end to end on 127.0.0.1: `tollgate bundle serve` answers ETag/304/long polls;
// tollgate gates pull, verify, hot-swap and roll back; a real `opa run --server` pulls tollgate-signed bundles
// from it. Every wait is a bounded loop.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Hex } from "../src/core/digest.ts";
import { loadSigningKey, readArchive, signBundleArchive, writeArchive } from "../src/policy/signing.ts";
import { startBundleServer, type BundleServer } from "../src/serve/bundle-server.ts";
import { BundleManager } from "../src/serve/bundles.ts";
import { resolveServeConfig } from "../src/serve/config.ts";
import { startGateServer, type GateServer } from "../src/serve/server.ts";
import { opaPath } from "./support/opa.ts";
import { BUN, CLI } from "./support/cli.ts";
import { until as untilWithin } from "./support/serve-bundle.ts";

/** Bounded wait (15 s here): `f` until it returns something other than undefined. */
const until = <T>(what: string, f: () => Promise<T | undefined>, ms = 15_000) => untilWithin(what, f, ms);

const OPA = opaPath();

const GATE = `package tollgate.gate

default allow := false

allow if count(input.evidence) > 0

decision := {"allow": allow, "deny": set(), "warn": {{"rule": "rev", "msg": data.rev}}}
`;
const DEMO = `package demo

default allow := false

allow if input.user == data.allowed_user
`;

let work: string;
let served: string; // the directory the bundle server serves
let privPem: string;
let otherPem: string;
let pubPem: string;
let server: BundleServer;
const serverLog: string[] = [];

function sh(cmd: string[], cwd?: string) {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr}`);
}

/** A bundle built by opa (wasm for tollgate gates, plain rego for opa run), signed by tollgate. */
async function makeBundle(rev: string, user: string, o: { wasm: boolean; key?: string; signed?: boolean; entrypoints?: string[] }): Promise<Uint8Array> {
  const dir = mkdtempSync(join(work, "src-"));
  mkdirSync(join(dir, "tollgate/gate"), { recursive: true });
  writeFileSync(join(dir, "demo.rego"), DEMO);
  if (o.wasm) writeFileSync(join(dir, "tollgate/gate/gate.rego"), GATE);
  writeFileSync(join(dir, "data.json"), JSON.stringify({ allowed_user: user, rev }));
  const out = join(dir, "out.tar.gz");
  if (o.wasm) sh([BUN, CLI, "bundle", "build", dir, "-o", out, ...(o.entrypoints ?? ["tollgate/gate/decision", "demo/allow"]).flatMap((e) => ["-e", e]), "--revision", rev]);
  else sh([OPA, "build", "-b", ".", "-o", out, "--revision", rev], dir);
  const bytes = new Uint8Array(readFileSync(out));
  if (o.signed === false) return bytes;
  return (await signBundleArchive(bytes, out, { key: loadSigningKey(o.key ?? privPem, "ES256"), algorithm: "ES256", keyId: "release-key" })).bytes;
}

/** Atomic replace, as a deploy would do it. */
function publish(name: string, bytes: Uint8Array): string {
  const tmp = join(served, `${name}.tmp-upload`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, join(served, name));
  return sha256Hex(bytes);
}

async function tamper(bytes: Uint8Array): Promise<Uint8Array> {
  const entries = await readArchive(bytes, "x");
  return writeArchive(entries.map((e) => (e.name === "data.json" ? { name: e.name, bytes: new TextEncoder().encode(JSON.stringify({ allowed_user: "mallory", rev: "evil" })) } : e)));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tollgate-bsrv-"));
  served = join(work, "served");
  mkdirSync(join(served, "bundles"), { recursive: true });
  const a = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const b = generateKeyPairSync("ec", { namedCurve: "P-256" });
  privPem = a.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  pubPem = a.publicKey.export({ type: "spki", format: "pem" }).toString();
  otherPem = b.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  writeFileSync(join(work, "pub.pem"), pubPem);
  publish("bundles/gate.tar.gz", await makeBundle("rev-1", "alice", { wasm: true }));
  server = await startBundleServer({ dir: served, port: 0, maxWaitSeconds: 20, watchIntervalMs: 25, log: (l) => serverLog.push(l) });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("bundle server protocol", () => {
  test("200 with ETag = sha256, 304 on If-None-Match, 200 for a stale ETag", async () => {
    const bytes = new Uint8Array(readFileSync(join(served, "bundles/gate.tar.gz")));
    const r = await fetch(`${server.url}/bundles/gate.tar.gz`);
    expect(r.status).toBe(200);
    expect(r.headers.get("etag")).toBe(`"${sha256Hex(bytes)}"`);
    expect(r.headers.get("content-type")).toBe("application/gzip");
    expect(Buffer.compare(Buffer.from(await r.arrayBuffer()), Buffer.from(bytes))).toBe(0);
    const same = await fetch(`${server.url}/bundles/gate.tar.gz`, { headers: { "If-None-Match": `"${sha256Hex(bytes)}"` } });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe("");
    const listed = await fetch(`${server.url}/bundles/gate`, { headers: { "If-None-Match": `"0000", W/"${sha256Hex(bytes)}"` } });
    expect(listed.status).toBe(304);
    const stale = await fetch(`${server.url}/bundles/gate.tar.gz`, { headers: { "If-None-Match": '"0000"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
  });

  test("404 unknown resource, 400 path escaping DIR or badly escaped, 405 other methods", async () => {
    expect((await fetch(`${server.url}/bundles/none.tar.gz`)).status).toBe(404);
    expect((await fetch(`${server.url}/bundles/..%2f..%2f..%2fetc%2fpasswd`)).status).toBe(400);
    const badEscape = await fetch(`${server.url}/bundles/%zz`);
    expect([badEscape.status, await badEscape.text()]).toEqual([400, "bad resource path\n"]);
    expect((await fetch(`${server.url}/bundles/gate.tar.gz`, { method: "POST" })).status).toBe(405);
  });

  test("long polling: a held request returns as soon as the bundle changes", async () => {
    const first = await makeBundle("lp-1", "alice", { wasm: false });
    const firstTag = publish("bundles/lp.tar.gz", first);
    const t0 = Date.now();
    const held = fetch(`${server.url}/bundles/lp.tar.gz`, { headers: { "If-None-Match": `"${firstTag}"`, Prefer: "modes=snapshot,delta;wait=10" } });
    await Bun.sleep(300);
    const nextTag = publish("bundles/lp.tar.gz", await makeBundle("lp-2", "bob", { wasm: false }));
    const r = await held;
    const elapsed = Date.now() - t0;
    expect(r.status).toBe(200);
    expect(r.headers.get("etag")).toBe(`"${nextTag}"`);
    expect(r.headers.get("content-type")).toBe("application/vnd.openpolicyagent.bundles");
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5000);
    await r.arrayBuffer();
  });

  test("long polling: no change within wait=N → 304 after about N seconds", async () => {
    const tag = sha256Hex(new Uint8Array(readFileSync(join(served, "bundles/lp.tar.gz"))));
    const t0 = Date.now();
    const r = await fetch(`${server.url}/bundles/lp.tar.gz`, { headers: { "If-None-Match": `"${tag}"`, Prefer: "modes=snapshot;wait=1" } });
    const elapsed = Date.now() - t0;
    expect(r.status).toBe(304);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(4000);
  });

  test("the CLI: tollgate bundle serve DIR --addr 127.0.0.1:0", async () => {
    const proc = Bun.spawn([BUN, CLI, "bundle", "serve", served, "--addr", "127.0.0.1:0"], { stdout: "pipe", stderr: "pipe" });
    try {
      const reader = proc.stdout.getReader();
      let out = "";
      const url = await until("bundle serve to print its URL", async () => {
        const { value } = await reader.read();
        out += new TextDecoder().decode(value ?? new Uint8Array());
        return /on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
      });
      const r = await fetch(`${url}/bundles/gate.tar.gz`);
      expect(r.status).toBe(200);
      expect(r.headers.get("etag")).toMatch(/^"[0-9a-f]{64}"$/);
    } finally {
      proc.kill();
      await proc.exited;
    }
  });

  test("the CLI's usage errors: exit 2 and one line naming the directory or flag", () => {
    const cases: [string[], string][] = [
      [[join(work, "no-such-dir")], `tollgate bundle serve: ${join(work, "no-such-dir")}: no such bundle directory`],
      [[join(served, "bundles/gate.tar.gz")], `tollgate bundle serve: ${join(served, "bundles/gate.tar.gz")}: not a directory (want the directory the bundles are served from)`],
      [[served, "--addr", "127.0.0.1:99999"], 'tollgate bundle serve: addr wants host:port (port ≤ 65535), got "127.0.0.1:99999"'],
      [[served, "--max-wait", "soon"], "tollgate bundle serve: --max-wait wants a number of seconds"],
      [[served, "--max-wait", "300"], "tollgate bundle serve: --max-wait is at most 245 seconds (Bun closes a connection idle for 255 s, and a held long poll is idle)"],
    ];
    for (const [args, line] of cases) {
      const r = Bun.spawnSync([BUN, CLI, "bundle", "serve", ...args], { stdout: "pipe", stderr: "pipe", timeout: 15_000 });
      expect([r.exitCode, r.stderr.toString().trim()]).toEqual([2, line]);
    }
  });
});

describe("a tollgate gate pulling from the bundle server", () => {
  let gate: GateServer;
  const gateLog: string[] = [];

  const ready = async () => (await (await fetch(`${gate.url}/ready`)).json()) as any;
  const allow = async (user: string) => ((await (await fetch(`${gate.url}/v1/data/demo/allow`, { method: "POST", body: JSON.stringify({ input: { user } }) })).json()) as any).result;

  beforeAll(async () => {
    const cfg = resolveServeConfig(
      {
        addr: "127.0.0.1:0",
        service: { instance_id: "gate-pull-0" },
        bundle: {
          service: server.url,
          resource: "bundles/gate.tar.gz",
          polling: { min_delay_seconds: 0.1, max_delay_seconds: 0.2 },
          signing: { scope: "" },
        },
        keys: { "release-key": { key_file: "pub.pem", algorithm: "ES256" } },
      },
      work,
      "0.0.0-test",
    );
    gate = await startGateServer(cfg, { log: (l) => gateLog.push(l) });
  }, 30_000);

  afterAll(async () => {
    await gate?.stop();
  });

  test("pulls and verifies the first bundle", async () => {
    const s = await ready();
    expect(s.ready).toBe(true);
    expect(s.bundle.revision).toBe("rev-1");
    expect(s.bundle.signature).toMatchObject({ status: "verified", keyId: "release-key" });
    expect(s.bundle.etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(await allow("alice")).toBe(true);
  });

  test("hot-swaps a new signed bundle; requests during the swap all succeed on one revision or the other", async () => {
    const next = await makeBundle("rev-2", "bob", { wasm: true });
    const inflight: Promise<string>[] = [];
    let swapping = true;
    const fire = async () => {
      while (swapping) {
        const r = await fetch(`${gate.url}/v1/gate`, { method: "POST", body: JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [{ name: "a", digest: { sha256: "a".repeat(64) } }], predicateType: "https://example.com/x", predicate: {} }), headers: { "Content-Type": "application/json" } });
        const j = (await r.json()) as any;
        if (r.status !== 200) return `HTTP ${r.status}`;
        if (j.bundle.revision !== j.warn[0].msg) return `mixed: ${j.bundle.revision} vs ${j.warn[0].msg}`;
        if (!["rev-1", "rev-2"].includes(j.bundle.revision)) return `unexpected ${j.bundle.revision}`;
      }
      return "ok";
    };
    for (let i = 0; i < 4; i++) inflight.push(fire());
    publish("bundles/gate.tar.gz", next);
    await until("rev-2 active", async () => ((await ready()).bundle.revision === "rev-2" ? true : undefined));
    swapping = false;
    expect(await Promise.all(inflight)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(await allow("alice")).toBe(false);
    expect(await allow("bob")).toBe(true);
  });

  async function expectRolledBack(bytes: Uint8Array, code: string, message: RegExp) {
    const sha = publish("bundles/gate.tar.gz", bytes);
    const s = await until(`the gate to reject ${sha.slice(0, 12)}`, async () => {
      const r = await ready();
      return r.last_failure?.sha256 === sha ? r : undefined;
    });
    expect(s.ready).toBe(true);
    expect(s.bundle.revision).toBe("rev-2"); // the last good bundle stays active
    expect(s.last_failure.code).toBe(code);
    expect(s.last_failure.message).toMatch(message);
    expect(await allow("bob")).toBe(true);
    expect(await allow("mallory")).toBe(false);
    expect(gateLog.some((l) => l.includes(`(sha256:${sha.slice(0, 12)})`) && l.includes('keeping revision "rev-2"'))).toBe(true);
  }

  test("a tampered bundle is rejected and the last good one stays active", async () => {
    await expectRolledBack(await tamper(await makeBundle("rev-3", "bob", { wasm: true })), "digest_mismatch", /file data\.json: SHA-256 digest mismatch/);
  });

  test("a bundle signed by an untrusted key is rejected", async () => {
    await expectRolledBack(await makeBundle("rev-4", "mallory", { wasm: true, key: otherPem }), "signature_failed", /JWT signature check with key "release-key" failed/);
  });

  test("an unsigned bundle is rejected", async () => {
    await expectRolledBack(await makeBundle("rev-5", "mallory", { wasm: true, signed: false }), "bundle_unverified", /bundle is unsigned/);
  });

  test("a signed rego bundle (no policy.wasm) is rejected", async () => {
    await expectRolledBack(await makeBundle("rev-6", "mallory", { wasm: false }), "policy_invalid", /^bundle has no policy\.wasm \(build it with `opa build -t wasm`\)$/);
  });

  test("a signed WASM bundle without the gate entrypoint is rejected", async () => {
    await expectRolledBack(await makeBundle("rev-6b", "mallory", { wasm: true, entrypoints: ["demo/allow"] }), "policy_invalid", /^bundle has no entrypoint tollgate\/gate\/decision \(it has: demo\/allow\)$/);
  });

  test("a later good bundle activates again", async () => {
    publish("bundles/gate.tar.gz", await makeBundle("rev-7", "carol", { wasm: true }));
    await until("rev-7 active", async () => ((await ready()).bundle.revision === "rev-7" ? true : undefined));
    expect(await allow("carol")).toBe(true);
  });
});

describe("a tollgate gate with nothing to pull yet", () => {
  test("starts not ready (503 with the last failure), then becomes ready when the bundle appears", async () => {
    const cfg = resolveServeConfig(
      {
        addr: "127.0.0.1:0",
        bundle: { service: server.url, resource: "bundles/later.tar.gz", polling: { min_delay_seconds: 0.1, max_delay_seconds: 0.1 } },
        keys: { "release-key": { key_file: "pub.pem", algorithm: "ES256" } },
      },
      work,
      "0.0.0-test",
    );
    const lines: string[] = [];
    const gate = await startGateServer(cfg, { log: (l) => lines.push(l) });
    try {
      const r = await fetch(`${gate.url}/ready`);
      expect(r.status).toBe(503);
      const s = (await r.json()) as any;
      expect(s.ready).toBe(false);
      expect(s.last_failure).toMatchObject({ code: "policy_unreadable", message: "bundle download failed: HTTP 404" });
      const g = await fetch(`${gate.url}/v1/data/demo/allow`, { method: "POST", body: JSON.stringify({ input: { user: "alice" } }) });
      expect(g.status).toBe(503);
      expect(((await g.json()) as any).message).toBe("no policy bundle is active yet: bundle download failed: HTTP 404");
      expect((await fetch(`${gate.url}/health`)).status).toBe(200);
      expect(lines.some((l) => l.includes("bundle download failed: HTTP 404") && l.includes("no bundle active yet"))).toBe(true);
      publish("bundles/later.tar.gz", await makeBundle("later-1", "alice", { wasm: true }));
      await until("later-1 active", async () => ((await fetch(`${gate.url}/ready`)).status === 200 ? true : undefined));
      const ok = await fetch(`${gate.url}/v1/data/demo/allow`, { method: "POST", body: JSON.stringify({ input: { user: "alice" } }) });
      expect(((await ok.json()) as any).result).toBe(true);
    } finally {
      await gate.stop();
    }
  }, 20_000);
});

describe("a tollgate gate long-polling", () => {
  test("picks up a new bundle long before its (30 s) polling delay", async () => {
    publish("bundles/lpgate.tar.gz", await makeBundle("lp-a", "alice", { wasm: true }));
    const cfg = resolveServeConfig(
      {
        addr: "127.0.0.1:0",
        bundle: { service: server.url, resource: "bundles/lpgate.tar.gz", polling: { min_delay_seconds: 30, max_delay_seconds: 30, long_polling_timeout_seconds: 10 } },
        keys: { "release-key": { key_file: "pub.pem", algorithm: "ES256" } },
      },
      work,
      "0.0.0-test",
    );
    const gate = await startGateServer(cfg, { log: () => {} });
    try {
      const rev = async () => (((await (await fetch(`${gate.url}/ready`)).json()) as any).bundle.revision as string);
      expect(await rev()).toBe("lp-a");
      await Bun.sleep(200); // let the long poll be in flight
      const t0 = Date.now();
      publish("bundles/lpgate.tar.gz", await makeBundle("lp-b", "bob", { wasm: true }));
      await until("lp-b active", async () => ((await rev()) === "lp-b" ? true : undefined), 5_000);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect((((await (await fetch(`${gate.url}/ready`)).json()) as any).long_polling)).toBe(true);
    } finally {
      await gate.stop();
    }
  }, 20_000);
});

describe("a tollgate gate offered an oversized bundle", () => {
  test("refuses it while downloading (declared or streamed), records why, and does not fetch that ETag again", async () => {
    const seen: (string | null)[] = [];
    const stub = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        seen.push(req.headers.get("if-none-match"));
        if (req.headers.get("if-none-match") === '"big"') return new Response(null, { status: 304 });
        const chunked = new URL(req.url).pathname.includes("chunked");
        const body = chunked
          ? new ReadableStream({ start(c) { for (let i = 0; i < 10; i++) c.enqueue(new Uint8Array(500)); c.close(); } })
          : new Uint8Array(5000);
        return new Response(body, { headers: { ETag: '"big"' } });
      },
    });
    try {
      for (const resource of ["big.tar.gz", "chunked.tar.gz"]) {
        const lines: string[] = [];
        const m = new BundleManager({
          source: { kind: "service", url: `http://127.0.0.1:${stub.port}/${resource}`, minDelayMs: 60_000, maxDelayMs: 60_000, headers: {} },
          keys: {},
          verification: {},
          allowUnsigned: true,
          requiredEntrypoints: [],
          overlays: [],
          instanceId: "t",
          log: (l) => lines.push(l),
          maxBundleBytes: 1000,
        });
        expect(await m.pollOnce()).toBe(true);
        expect(m.active).toBeUndefined();
        expect(m.failure!.message).toBe(resource === "big.tar.gz" ? "bundle download refused: 5000 bytes exceed the 1000-byte bundle limit" : "bundle download refused: more than 1000 bytes (the bundle limit)");
        expect(lines).toHaveLength(1);
        await m.pollOnce();
        expect(seen.at(-1)).toBe('"big"'); // asked with the refused ETag: 304, nothing downloaded again
        await m.stop();
      }
    } finally {
      await stub.stop(true);
    }
  });
});

test("listening on an IPv6 address, the printed URL brackets it (and works)", async () => {
  const v6 = await startBundleServer({ dir: served, hostname: "::1", port: 0 });
  try {
    expect(v6.url).toBe(`http://[::1]:${v6.port}`);
    expect(await (await fetch(`${v6.url}/health`)).text()).toBe("ok\n");
  } finally {
    await v6.stop();
  }
});

describe("a tollgate gate long-polling a server that does not hold requests", () => {
  test("falls back to its polling delay instead of asking again at once", async () => {
    // --max-wait 0: every long poll is answered 304 at once, still with the long-polling content type
    const lines: string[] = [];
    const eager = await startBundleServer({ dir: served, port: 0, maxWaitSeconds: 0, log: (l) => lines.push(l) });
    publish("bundles/eager.tar.gz", await makeBundle("eager-a", "alice", { wasm: true }));
    const cfg = resolveServeConfig(
      {
        addr: "127.0.0.1:0",
        bundle: { service: eager.url, resource: "bundles/eager.tar.gz", polling: { min_delay_seconds: 0.5, max_delay_seconds: 0.5, long_polling_timeout_seconds: 10 } },
        keys: { "release-key": { key_file: "pub.pem", algorithm: "ES256" } },
      },
      work,
      "0.0.0-test",
    );
    const gate = await startGateServer(cfg, { log: () => {} });
    try {
      await Bun.sleep(1_600);
      // first 200, then one 304 per 0.5 s polling delay (the spinning loop sent tens of thousands)
      const asked = lines.filter((l) => /^(200|304) \/bundles\/eager\.tar\.gz /.test(l)).length;
      expect(asked).toBeGreaterThanOrEqual(3);
      expect(asked).toBeLessThanOrEqual(6);
      expect(((await (await fetch(`${gate.url}/ready`)).json()) as any).bundle.revision).toBe("eager-a");
    } finally {
      await gate.stop();
      await eager.stop();
    }
  }, 20_000);
});

describe("a real `opa run --server` pulling from tollgate's bundle server", () => {
  let opa: ReturnType<typeof Bun.spawn> | undefined;
  let opaUrl: string;
  let opaLog = "";

  async function freePort(): Promise<number> {
    const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const p = s.port!;
    await s.stop(true);
    return p;
  }

  const opaAllow = async (user: string) => ((await (await fetch(`${opaUrl}/v1/data/demo/allow`, { method: "POST", body: JSON.stringify({ input: { user } }) })).json()) as any).result;
  const opaRevision = async () => ((await (await fetch(`${opaUrl}/v1/data/system/bundles/gate/manifest/revision`)).json()) as any).result;

  beforeAll(async () => {
    publish("bundles/opa.tar.gz", await makeBundle("opa-1", "alice", { wasm: false }));
    const port = await freePort();
    opaUrl = `http://127.0.0.1:${port}`;
    const indented = pubPem.trim().split("\n").map((l) => `      ${l}`).join("\n");
    writeFileSync(
      join(work, "opa.yaml"),
      `services:
  tollgate:
    url: ${server.url}
bundles:
  gate:
    service: tollgate
    resource: bundles/opa.tar.gz
    polling:
      min_delay_seconds: 1
      max_delay_seconds: 2
      long_polling_timeout_seconds: 10
    signing:
      keyid: release-key
keys:
  release-key:
    algorithm: ES256
    key: |
${indented}
`,
    );
    opa = Bun.spawn([OPA, "run", "--server", "--addr", `127.0.0.1:${port}`, "--config-file", join(work, "opa.yaml"), "--log-format", "json"], { stdout: "pipe", stderr: "pipe" });
    void (async () => {
      for await (const c of opa!.stderr as ReadableStream<Uint8Array>) opaLog += new TextDecoder().decode(c);
    })();
  }, 30_000);

  afterAll(async () => {
    opa?.kill();
    await opa?.exited;
  });

  test("opa loads the tollgate-signed bundle, then the next one (long polling), and refuses a tampered one", async () => {
    expect(await until("opa to activate opa-1", async () => ((await opaRevision()) === "opa-1" ? true : undefined))).toBe(true);
    expect(await opaAllow("alice")).toBe(true);
    publish("bundles/opa.tar.gz", await makeBundle("opa-2", "bob", { wasm: false }));
    await until("opa to activate opa-2", async () => ((await opaRevision()) === "opa-2" ? true : undefined));
    expect(await opaAllow("bob")).toBe(true);
    const badSha = publish("bundles/opa.tar.gz", await tamper(await makeBundle("opa-3", "bob", { wasm: false })));
    await until("opa to download the tampered bundle", async () => (serverLog.some((l) => l.startsWith("200 /bundles/opa.tar.gz") && l.includes(badSha.slice(0, 12))) ? true : undefined));
    await until("opa to log the rejection", async () => (/digest mismatch/.test(opaLog) ? true : undefined));
    expect(await opaRevision()).toBe("opa-2");
    expect(await opaAllow("mallory")).toBe(false);
    expect(await opaAllow("bob")).toBe(true);
  }, 45_000);
});
