// Malicious bundles given with --policy or pulled by the gate: the signature (.signatures.json) is verified before
// any other entry is inflated, unlisted entries are refused at their tar header, each listed entry is checked as
// soon as it is read, and no entry is inflated past its cap — a 500 MiB gzip bomb (about 500 KB) costs neither
// memory nor time. Peak RSS is measured in a fresh process here and in bench/limits.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TollgateError } from "../src/core/errors.ts";
import { MAX_BUNDLE_ENTRY_BYTES, readArchive, type ArchiveSelector } from "../src/policy/archive.ts";
import { loadSigningKey, loadVerificationKey, signBundleArchive, signatureSelector } from "../src/policy/signing.ts";
import { BundleManager } from "../src/serve/bundles.ts";
import { REPO_ROOT } from "./support/fixtures.ts";
import { gzipBomb } from "./support/bomb.ts";
import { BUN, tollgate } from "./support/cli.ts";

const MiB = 1 << 20;
let dir: string;
let signed: Uint8Array; // the default gate bundle, signed here
let entries: { name: string; bytes: Uint8Array }[];
let pubPath: string;
const keys = () => ({ default: loadVerificationKey(readFileSync(pubPath), { algorithm: "ES256" }) });
const fail = (code: string, reason: string) => Object.assign(new Error(reason), { code });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tollgate-bomb-"));
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  pubPath = join(dir, "pub.pem");
  writeFileSync(pubPath, publicKey.export({ type: "spki", format: "pem" }));
  const key = loadSigningKey(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), "ES256");
  const plain = new Uint8Array(readFileSync(join(REPO_ROOT, "bundles/default.tar.gz")));
  signed = (await signBundleArchive(plain, "default", { key, algorithm: "ES256" })).bytes;
  writeFileSync(join(dir, "signed.tar.gz"), signed);
  entries = await readArchive(signed, "signed");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function thrown(f: () => Promise<unknown>): Promise<TollgateError> {
  try {
    await f();
  } catch (e) {
    return e as TollgateError;
  }
  throw new Error("did not throw");
}

describe("the signature first", () => {
  test("tollgate writes .signatures.json first; the selector sees it before any other entry is read", async () => {
    expect(entries[0]!.name).toBe(".signatures.json");
    const order: string[] = [];
    const inner = signatureSelector(keys(), {}, fail);
    const select: ArchiveSelector = async (sig, source) => {
      order.push(`select(${sig ? "signature" : "none"})`);
      const s = await inner(sig, source);
      return { ...s, check: (n, b) => (order.push(`check ${n}`), s.check!(n, b)) };
    };
    const read = await readArchive(signed, "signed", select);
    expect(read.map((e) => e.name)).toEqual(entries.map((e) => e.name));
    expect(order[0]).toBe("select(signature)");
    expect(order.slice(1)).toEqual(entries.slice(1).map((e) => `check ${e.name}`));
  });

  test("an unlisted entry is refused at its header: nothing after it is inflated, it is never read", async () => {
    const evil = await gzipBomb([...entries.map((e) => ({ name: e.name, bytes: e.bytes })), { name: "evil/data.json", zeros: 20 * MiB }, { name: "after.rego", bytes: new TextEncoder().encode("package x") }]);
    const checked: string[] = [];
    const inner = signatureSelector(keys(), {}, fail);
    const select: ArchiveSelector = async (sig, source) => {
      const s = await inner(sig, source);
      return { ...s, check: (n, b) => (checked.push(n), s.check!(n, b)) };
    };
    const e = await thrown(() => readArchive(evil, "evil.tar.gz", select));
    expect(e.message).toBe("file evil/data.json is in the bundle but not listed in its signature");
    expect(checked).toEqual(entries.slice(1).map((x) => x.name));
  });

  test("a listed entry whose bytes differ is refused as soon as it is read, before the next is inflated", async () => {
    const changed = entries.map((e) => (e.name === "data.json" ? { name: e.name, bytes: new TextEncoder().encode('{"x":1}') } : e));
    const names: string[] = [];
    const inner = signatureSelector(keys(), {}, fail);
    const select: ArchiveSelector = async (sig, source) => {
      const s = await inner(sig, source);
      return { ...s, check: (n, b) => (names.push(n), s.check!(n, b)) };
    };
    const e = await thrown(async () => readArchive(await gzipBomb(changed.map((x) => ({ name: x.name, bytes: x.bytes }))), "t", select));
    expect(e.message).toMatch(/^file data\.json: SHA-256 digest mismatch \(signed [0-9a-f]{64}, actual [0-9a-f]{64}\)$/);
    expect(names.at(-1)).toBe("data.json");
    expect(names.length).toBeLessThan(entries.length - 1 + (entries.findIndex((x) => x.name === "data.json") < entries.length - 1 ? 0 : 1));
  });
});

describe("the 500 MiB gzip bomb (about 500 KB on disk)", () => {
  let bomb: string;
  let many: string;
  beforeAll(async () => {
    bomb = join(dir, "bomb.tar.gz");
    writeFileSync(bomb, await gzipBomb([{ name: "data.json", zeros: 500 * MiB }, { name: "policy.wasm", bytes: new Uint8Array([0, 0x61, 0x73, 0x6d]) }]));
    // each entry under the entry cap, together far over the total
    many = join(dir, "many.tar.gz");
    writeFileSync(many, await gzipBomb(Array.from({ length: 9 }, (_, i) => ({ name: `d${i}/data.json`, zeros: 30 * MiB }))));
  }, 60_000);

  test("eval --policy: refused at the entry's header, one line naming the bundle and the cap, exit 2 (with or without a key)", () => {
    expect(readFileSync(bomb).length).toBeLessThan(MiB);
    for (const trust of [["--verification-key", pubPath], ["--allow-unsigned"]]) {
      const r = tollgate(["eval", "--policy", bomb, ...trust, join(REPO_ROOT, "examples/evidence")]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toEqual([`tollgate eval: ${bomb}: bundle entry data.json unpacks to ${500 * MiB} bytes, more than the ${MAX_BUNDLE_ENTRY_BYTES}-byte limit of one entry (a gzip bomb?)`]);
    }
    // many entries each under the entry cap: the total cap, read from the headers, before the third is inflated
    for (const trust of [["--verification-key", pubPath], ["--allow-unsigned"]]) {
      expect(tollgate(["eval", "--policy", many, ...trust, join(REPO_ROOT, "examples/evidence")]).stderr).toBe(`tollgate eval: ${many}: bundle unpacks to more than 67108864 bytes (a gzip bomb?)\n`);
    }
  });

  test("the gate refuses both as a hot swap, keeps its bundle, and stays small", async () => {
    const lines: string[] = [];
    const m = new BundleManager({
      source: { kind: "file", path: join(dir, "signed.tar.gz") },
      keys: keys(),
      verification: {},
      allowUnsigned: false,
      requiredEntrypoints: [],
      overlays: [],
      instanceId: "t",
      log: (l) => lines.push(l),
    });
    await m.start();
    for (const f of [bomb, many]) {
      expect(await m.offer(new Uint8Array(readFileSync(f)), f, undefined)).toBe(false);
      expect(m.active?.signature.status).toBe("verified");
    }
    expect(lines.filter((l) => l.startsWith("bundle rejected")).map((l) => l.replace(/ \(sha256:[0-9a-f]+\)/g, ""))).toEqual([
      `bundle rejected: ${bomb}: bundle entry data.json unpacks to ${500 * MiB} bytes, more than the ${MAX_BUNDLE_ENTRY_BYTES}-byte limit of one entry (a gzip bomb?) [malformed]; keeping revision "${m.active!.revision}" active`,
      `bundle rejected: ${many}: bundle unpacks to more than 67108864 bytes (a gzip bomb?) [malformed]; keeping revision "${m.active!.revision}" active`,
    ]);
    await m.stop();
  });

  test("peak RSS stays under 256 MB, each case in a fresh process: the CLI reader (with and without a key) and the gate, for both bombs", () => {
    const script = `
      const [f, mode, pub] = process.argv.slice(1);
      const fs = await import("node:fs");
      let out;
      if (mode === "gate") {
        const { BundleManager } = await import(${JSON.stringify(join(REPO_ROOT, "src/serve/bundles.ts"))});
        const { loadVerificationKey } = await import(${JSON.stringify(join(REPO_ROOT, "src/policy/signing.ts"))});
        const m = new BundleManager({ source: { kind: "default" }, keys: { default: loadVerificationKey(fs.readFileSync(pub), { algorithm: "ES256" }) }, verification: {}, allowUnsigned: false, requiredEntrypoints: [], overlays: [], instanceId: "t", log: () => {} });
        out = await m.offer(new Uint8Array(fs.readFileSync(f)), f, undefined, false);
      } else {
        const { loadPolicy, makeBundleVerifier } = await import(${JSON.stringify(join(REPO_ROOT, "src/gate/run.ts"))});
        const verifyBundle = await makeBundleVerifier(mode === "key" ? { verificationKeys: [{ file: pub, keyId: "default" }] } : { allowUnsigned: true });
        try { await loadPolicy({ policy: f, verifyBundle }); out = "loaded"; } catch (e) { out = e.code; }
      }
      // VmHWM is this process's own peak: getrusage's maxRSS also carries the parent's peak across exec on Linux.
      const hwm = /VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
      console.log(JSON.stringify({ out, maxRssMB: Number(hwm[1]) / 1024 }));`;
    const results: Record<string, unknown> = {};
    const peaks: string[] = [];
    for (const f of [bomb, many]) {
      for (const mode of ["unsigned", "key", "gate"]) {
        const p = Bun.spawnSync([BUN, "-e", script, f, mode, pubPath], { stdout: "pipe", stderr: "pipe", cwd: REPO_ROOT });
        expect(p.stderr.toString()).toBe("");
        const r = JSON.parse(p.stdout.toString()) as { out: unknown; maxRssMB: number };
        const name = `${f === bomb ? "bomb" : "many"}/${mode}`;
        results[name] = r.out;
        peaks.push(`${name} ${r.maxRssMB.toFixed(0)} MB`);
        expect([name, r.maxRssMB < 256]).toEqual([name, true]);
      }
    }
    console.log(`peak RSS: ${peaks.join(", ")}`);
    expect(results).toEqual({ "bomb/unsigned": "policy_invalid", "bomb/key": "policy_invalid", "bomb/gate": false, "many/unsigned": "policy_invalid", "many/key": "policy_invalid", "many/gate": false });
  }, 60_000);
});
