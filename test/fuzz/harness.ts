// A seeded, reproducible fuzz harness over every evidence kind, in process. Seeds are the examples, documents
// generated here with real keys (DSSE, in-toto, SARIF, quality events, OTLP logs, a RunManifest ledger) and, when
// present, the real fixtures in ../shared/fixtures (Sigstore bundles, npm/PyPI attestations, ZAP, invarlock, TEE
// reports). Structure-aware mutators: byte flips, truncation, deep nesting, huge numbers, duplicate keys,
// encodings, type confusion, JSON Lines, inflation past the size cap, payload edits with the original signature
// kept and payload edits re-signed by an untrusted key. Each mutated input is read as the CLI reads a file (the
// same limits) and run through every kind's detect → parse → verify → normalize, then through the pipeline.
//
// Asserted for every input:
//   - no untyped exception: anything a kind step or the pipeline throws is a TollgateError with a stable code;
//   - no admit of changed signed content: a record whose signature verified carries exactly the statement its
//     seed was signed over, signed by a trusted key;
//   - the limits: an input over the size cap or nesting deeper than the cap is refused (limit_exceeded), never
//     parsed; the process stays under `maxRssMB`; with `maxMsPerInput` (long runs, never in tests), each input
//     finishes in that time.
//
//   bun test/fuzz/run.ts --seed 1 --iterations 100000 [--max-ms 2000]     # the long run (README)
import { createHash, createPrivateKey, createPublicKey, sign as nodeSign } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { TollgateError } from "../../src/core/errors.ts";
import { stableStringify } from "../../src/core/input.ts";
import { InputBudget, jsonDepth, resolveLimits, type InputLimits } from "../../src/core/limits.ts";
import { loadPublicKeyPem, publicKeyFromPem } from "../../src/crypto/keys.ts";
import { collectEvidence } from "../../src/evidence/collect.ts";
import { evidenceKinds } from "../../src/evidence/registry.ts";
import { evidenceFromBytes, makeVerifyContext } from "../../src/evidence/source.ts";
import type { EvidenceKind, TrustedKey } from "../../src/evidence/types.ts";
import { FIXTURES, REPO_ROOT, haveFixtures } from "../support/fixtures.ts";
import { generateLedger, prng } from "../support/ledger-gen.ts";
import { dsse, provenanceStatement, type TestKey } from "../support/sign.ts";

export interface Seed {
  name: string;
  bytes: Uint8Array;
  /** For signed seeds: the statements the trusted signatures cover (stable form). */
  signedStatements?: string[];
}

export interface FuzzOptions {
  seed: number;
  iterations: number;
  /** Limits the inputs are read under (small, so the size and depth mutators reach them cheaply). */
  limits?: Partial<InputLimits>;
  /** Per-input wall-clock bound; only for long runs (tests never assert time). */
  maxMsPerInput?: number;
  maxRssMB?: number;
  log?: (line: string) => void;
}

export interface FuzzFailure {
  iteration: number;
  seed: string;
  mutators: string[];
  problem: string;
}

export interface FuzzReport {
  iterations: number;
  failures: FuzzFailure[];
  /** How inputs ended: refused at a limit, recorded evidence, input errors only, … */
  outcomes: Record<string, number>;
  mutators: Record<string, number>;
  kinds: Record<string, number>;
  /** Records from signed seeds: verified (content unchanged) and not verified (content or signature changed). */
  signed: { verified: number; refused: number };
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const FUZZ_TIME = new Date("2026-06-01T00:00:00Z");

/**
 * Ed25519 keys derived from a fixed string at run time: the same key and (Ed25519 being deterministic) the same
 * signatures in every process, so a seed reproduces its inputs byte for byte.
 */
function seededKey(label: string): TestKey {
  const d = createHash("sha256").update(`tollgate-fuzz-${label}`).digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), d]), format: "der", type: "pkcs8" });
  const publicKey = createPublicKey(privateKey);
  const pem = publicKey.export({ format: "pem", type: "spki" }).toString();
  const trusted = publicKeyFromPem(pem, `fuzz-${label}.pub`);
  return { kind: "ed25519", privateKey, publicKey, pem, trusted, fingerprint: trusted.fingerprint, sign: async (data) => new Uint8Array(nodeSign(null, data, privateKey)) };
}

/** The trusted key for generated seeds, and an attacker's: content it re-signs must never verify. */
const signer = seededKey("signer");
const attacker = seededKey("attacker");

export function buildSeeds(): { seeds: Seed[]; keys: TrustedKey[] } {
  const seeds: Seed[] = [];
  const add = (name: string, v: string | Uint8Array | object, ...signed: unknown[]) =>
    seeds.push({ name, bytes: typeof v === "string" ? enc.encode(v) : v instanceof Uint8Array ? v : enc.encode(JSON.stringify(v, null, 1)), ...(signed.length ? { signedStatements: signed.map(signedForm) } : {}) });
  const ex = (p: string) => new Uint8Array(readFileSync(join(REPO_ROOT, "examples", p)));
  for (const f of ["provenance.intoto.json", "test-result.intoto.json"]) {
    const bytes = ex(`evidence/${f}`);
    const env = JSON.parse(dec.decode(bytes)) as { payload: string };
    add(`examples/${f}`, bytes, JSON.parse(Buffer.from(env.payload, "base64").toString("utf8")));
  }
  const subject = "4fadfddc8647253e1e7aa1d3f467b7ab3b28ab9a9a627f6cc9da0f426d4e4c58";
  const prov = provenanceStatement(subject);
  add("generated/provenance.dsse.json", dsse(prov, signer), prov);
  add("generated/statement.json", prov);
  const tr = { _type: "https://in-toto.io/Statement/v1", subject: [{ name: "app", digest: { sha256: subject } }], predicateType: "https://in-toto.io/attestation/test-result/v0.1", predicate: { result: "PASSED", configuration: [{ name: "ci", uri: "https://ci.example/run/1" }], passedTests: ["a", "b"], warnedTests: [], failedTests: [] } };
  add("generated/test-result.dsse.json", dsse(tr, signer), tr);
  add("generated/attestations.intoto.jsonl", [dsse(prov, signer), dsse(tr, signer)].map((d) => JSON.stringify(d)).join("\n") + "\n", prov, tr);
  add("generated/results.sarif", { $schema: "https://json.schemastore.org/sarif-2.1.0.json", version: "2.1.0", runs: [{ tool: { driver: { name: "zap", rules: [{ id: "10021", shortDescription: { text: "X-Content-Type-Options" } }] } }, results: [{ ruleId: "10021", level: "warning", message: { text: "missing header" }, locations: [{ physicalLocation: { artifactLocation: { uri: "https://app.example/" } } }] }] }] });
  add("generated/quality-event.json", { event_id: "e-1", correlation_id: "c-1", ordering: { key: "p", sequence: 1 }, pipeline: "release", passed: true, pass_rate: 0.98, duration_seconds: 12.5 });
  add("generated/quality-events.ndjson", [1, 2, 3].map((i) => JSON.stringify({ event_id: `e-${i}`, correlation_id: "c", ordering: { key: "p", sequence: i }, pipeline: "release", passed: i !== 2, pass_rate: i / 3, duration_seconds: i })).join("\n"));
  add("generated/otel-record.json", { timeUnixNano: "1700000000000000000", observedTimeUnixNano: "1700000000000000001", severityNumber: 9, severityText: "INFO", body: { stringValue: "deployed" }, attributes: [{ key: "k", value: { intValue: "9007199254740993" } }], traceId: "5b8efff798038103d269b633813fc60c", spanId: "eee19b7ec3c1b174" });
  add("generated/otlp-logs.json", { resourceLogs: [{ resource: { attributes: [{ key: "service.name", value: { stringValue: "api" } }, { key: "service.version", value: { stringValue: "1.4.2" } }, { key: "deployment.environment", value: { stringValue: "prod" } }] }, scopeLogs: [{ scope: { name: "s" }, logRecords: [{ timeUnixNano: "1700000000000000000", body: { stringValue: "x" } }] }] }] });
  add("generated/runmanifest.json", generateLedger({ entries: 6, seed: 3 }));
  if (haveFixtures) {
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
    for (const f of walk(FIXTURES)) {
      const rel = f.slice(FIXTURES.length + 1);
      // Evidence, not trust material or schemas (roots, keys, contracts are read by other paths).
      if (/(^odcs\/|README|\.pem$|\.pub$|trusted-root|amd-roots|\.whl$|\.txt$)/.test(rel) || statSync(f).size > 512 * 1024) continue;
      add(`fixtures/${rel}`, new Uint8Array(readFileSync(f)));
    }
  }
  const keys = [loadPublicKeyPem(join(REPO_ROOT, "examples/keys/release.pub")), signer.trusted];
  return { seeds, keys };
}

/** What a signature vouches for, compared across seed and record: the statement's four members. */
function signedForm(st: unknown): string {
  const s = st as Record<string, unknown>;
  return stableStringify({ _type: s._type, subject: s.subject, predicateType: s.predicateType, predicate: s.predicate ?? null });
}

// ---------------------------------------------------------------------------------------------------------
// Mutators

type Rng = () => number;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rng, n: number) => Math.floor(r() * n);

function parse(bytes: Uint8Array): Json | undefined {
  try {
    return JSON.parse(dec.decode(bytes)) as Json;
  } catch {
    return undefined;
  }
}

/** Every path into a JSON tree (the root is []). */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = [], max = 4000): (string | number)[][] {
  if (out.length >= max) return out;
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out, max));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out, max);
  return out;
}

function setAt(root: Json, path: (string | number)[], value: Json): Json {
  if (path.length === 0) return value;
  let cur = root as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, Json>;
  cur[path.at(-1)!] = value;
  return root;
}

/** A JSON mutation that needs raw text: `value` is spliced in for a placeholder leaf. */
function spliceText(root: Json, path: (string | number)[], raw: string): Uint8Array {
  const mark = "\u0000FUZZ\u0000";
  const text = JSON.stringify(setAt(structuredClone(root), path, mark));
  return enc.encode(text.replace(JSON.stringify(mark), raw));
}

export type Mutator = (r: Rng, bytes: Uint8Array, limits: InputLimits) => Uint8Array;

const structural = (f: (r: Rng, doc: Json, limits: InputLimits) => Uint8Array): Mutator => (r, bytes, limits) => {
  const doc = parse(bytes);
  return doc === undefined ? MUTATORS.flip!(r, bytes, limits) : f(r, doc, limits);
};

export const MUTATORS: Record<string, Mutator> = {
  flip(r, bytes) {
    const out = new Uint8Array(bytes);
    for (let n = 1 + int(r, 8); n > 0 && out.length; n--) out[int(r, out.length)]! ^= 1 << int(r, 8);
    return out;
  },
  truncate(r, bytes) {
    return bytes.slice(0, int(r, bytes.length));
  },
  deepNest: structural((r, doc, limits) => {
    const n = pick(r, [limits.maxJsonDepth - 2, limits.maxJsonDepth + 1, limits.maxJsonDepth * 10, 50_000]);
    const [open, close] = pick(r, [["[", "]"], ['{"a":', "}"]] as const);
    return spliceText(doc, pick(r, paths(doc)), open.repeat(Math.max(0, n)) + "0" + close.repeat(Math.max(0, n)));
  }),
  hugeNumber: structural((r, doc) => spliceText(doc, pick(r, paths(doc)), pick(r, ["1e999999", "-1e-999999", "123456789012345678901234567890123456789", "-0", "1.0", "9007199254740993", "0.1e+0308", "-9223372036854775809"]))),
  duplicateKey: structural((r, doc) => {
    const objs = paths(doc).filter((p) => {
      let v: Json = doc;
      for (const k of p) v = (v as Record<string | number, Json>)[k]!;
      return v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0;
    });
    if (!objs.length) return enc.encode(JSON.stringify(doc));
    const p = pick(r, objs);
    let v: Json = doc;
    for (const k of p) v = (v as Record<string | number, Json>)[k]!;
    const key = pick(r, Object.keys(v as object));
    const inner = JSON.stringify(v).slice(1);
    return spliceText(doc, p, `{${JSON.stringify(key)}:${JSON.stringify(pick(r, [null, 0, "x", [], {}, true]))},${inner}`);
  }),
  typeConfusion: structural((r, doc) => enc.encode(JSON.stringify(setAt(structuredClone(doc), pick(r, paths(doc)), pick(r, [null, 0, -1, "", "x", [], {}, true, [null], { "": null }] as Json[]))))),
  encoding(r, bytes) {
    const text = dec.decode(bytes);
    switch (int(r, 6)) {
      case 0:
        return new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]); // BOM
      case 1:
        return new Uint8Array(Buffer.from(text, "utf16le")); // UTF-16LE
      case 2: {
        const i = int(r, bytes.length + 1);
        return new Uint8Array([...bytes.subarray(0, i), pick(r, [0xff, 0xc0, 0x80, 0xed, 0x00]), ...bytes.subarray(i)]); // invalid UTF-8 / NUL
      }
      case 3:
        return enc.encode(text.replace(/\n/g, "\r\n"));
      case 4:
        return enc.encode(text.replace(/"([a-z])/i, '"\\ud800$1')); // a lone surrogate escape
      default:
        return enc.encode(text.replace(/[a-z]/, "\\u0000"));
    }
  },
  jsonLines: structural((r, doc) => {
    const line = JSON.stringify(doc);
    const lines = Array.from({ length: 1 + int(r, 4) }, () => line);
    if (r() < 0.5) lines.splice(int(r, lines.length + 1), 0, pick(r, ["{", "[]", "null", "   ", '{"a":1}']));
    return enc.encode(lines.join(pick(r, ["\n", "\r\n", "\n\n"])));
  }),
  inflate(r, bytes, limits) {
    // Past the size cap (or just under it): refused by size, never parsed.
    const target = limits.maxInputBytes + pick(r, [-bytes.length - 1, 1, 4096]);
    const out = new Uint8Array(Math.max(0, target));
    for (let i = 0; i < out.length; i += Math.max(1, bytes.length)) out.set(bytes.subarray(0, Math.min(bytes.length, out.length - i)), i);
    return out;
  },
  payloadEdit: structural((r, doc) => editPayload(r, doc, false)),
  resignedPayloadEdit: structural((r, doc) => editPayload(r, doc, true)),
};

/** The DSSE envelope in a document (bare, or a Sigstore bundle's), or undefined. */
function envelopeOf(doc: Json): { payload: string; payloadType: string; signatures: { keyid?: string; sig: string }[] } | undefined {
  const d = doc as Record<string, Json> | null;
  if (!d || typeof d !== "object") return undefined;
  const env = (typeof d.payload === "string" ? d : d.dsseEnvelope) as Record<string, Json> | undefined;
  return env && typeof env === "object" && typeof env.payload === "string" ? (env as never) : undefined;
}

function editPayload(r: Rng, doc: Json, resign: boolean): Uint8Array {
  const env = envelopeOf(doc);
  if (!env) return MUTATORS.typeConfusion!(r, enc.encode(JSON.stringify(doc)), resolveLimits());
  const payload = Buffer.from(env.payload, "base64");
  let edited: Uint8Array;
  const stmt = parse(payload);
  if (stmt && typeof stmt === "object" && r() < 0.8) {
    const p = pick(r, paths(stmt).filter((x) => x.length > 0));
    edited = enc.encode(JSON.stringify(setAt(stmt, p ?? [], pick(r, ["sha256:" + "0".repeat(64), "0".repeat(64), "https://slsa.dev/provenance/v0.2", 1, null] as Json[]))));
  } else {
    edited = new Uint8Array(payload);
    if (edited.length) edited[int(r, edited.length)]! ^= 1 << int(r, 8);
  }
  env.payload = Buffer.from(edited).toString("base64");
  if (resign) {
    const signed = dsse(JSON.parse(dec.decode(edited).replace(/^\uFEFF/, "") || "null"), attacker, env.payloadType);
    // keep the trusted signer's keyid: an attacker would, to be checked against the right key
    env.signatures = signed.signatures.map((s) => ({ ...s, keyid: env.signatures[0]?.keyid ?? s.keyid }));
  }
  return enc.encode(JSON.stringify(doc));
}

// ---------------------------------------------------------------------------------------------------------
// The run

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message.slice(0, 200)}` : String(e).slice(0, 200);
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const limits = resolveLimits({ maxInputBytes: 256 * 1024, maxTotalBytes: 256 * 1024, maxJsonDepth: 64, maxLineBytes: 64 * 1024, ...o.limits });
  const { seeds, keys } = buildSeeds();
  const r = prng(o.seed);
  const report: FuzzReport = { iterations: 0, failures: [], outcomes: {}, mutators: {}, kinds: {}, signed: { verified: 0, refused: 0 } };
  const names = Object.keys(MUTATORS);
  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
  for (let it = 0; it < o.iterations; it++) {
    const seed = pick(r, seeds);
    const applied: string[] = [];
    let bytes = seed.bytes;
    for (let n = 1 + (r() < 0.3 ? int(r, 3) : 0); n > 0; n--) {
      const m = pick(r, names);
      applied.push(m);
      try {
        bytes = MUTATORS[m]!(r, bytes, limits);
      } catch (e) {
        // A mutator that cannot apply to this input leaves it as it was (a harness matter, not a finding).
        applied[applied.length - 1] = `${m}(skipped: ${describe(e).slice(0, 40)})`;
      }
    }
    for (const m of applied) bump(report.mutators, m.replace(/\(.*$/, ""));
    const fail = (problem: string) => report.failures.push({ iteration: it, seed: seed.name, mutators: applied, problem });
    const started = performance.now();
    const outcome = await checkOne(seed, bytes, limits, keys, fail, report);
    bump(report.outcomes, outcome);
    const ms = performance.now() - started;
    if (o.maxMsPerInput !== undefined && ms > o.maxMsPerInput) fail(`took ${ms.toFixed(0)} ms (limit ${o.maxMsPerInput} ms) on ${bytes.length} bytes`);
    if (o.maxRssMB !== undefined && it % 50 === 0) {
      Bun.gc(true); // what is still held, not garbage not yet collected
      const rss = process.memoryUsage().rss / 2 ** 20;
      if (rss > o.maxRssMB) fail(`RSS ${rss.toFixed(0)} MB exceeds ${o.maxRssMB} MB`);
    }
    report.iterations++;
    if (o.log && it % 1000 === 999) o.log(`${it + 1} inputs, ${report.failures.length} failures, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
  }
  return report;
}

async function checkOne(seed: Seed, bytes: Uint8Array, limits: InputLimits, keys: TrustedKey[], fail: (p: string) => void, report: FuzzReport): Promise<string> {
  const name = `fuzz/${seed.name}`;
  const looksJson = /^\s*[[{]/.test(dec.decode(bytes.subarray(0, 64)).replace(/^\uFEFF/, ""));
  const tooBig = bytes.length > limits.maxInputBytes;
  const tooDeep = !tooBig && looksJson && jsonDepth(bytes) > limits.maxJsonDepth;
  // 1. Read as the CLI reads a file: size, then nesting.
  let file;
  try {
    new InputBudget(limits).admit(name, bytes.length);
    file = evidenceFromBytes(name, bytes, true, limits);
  } catch (e) {
    if (!(e instanceof TollgateError)) fail(`reading threw an untyped ${describe(e)}`);
    else if (e.code !== "limit_exceeded") fail(`reading threw ${e.code}: ${e.message}`);
    else if (!tooBig && !tooDeep) fail(`refused at a limit it is within: ${e.message}`);
    return "limit";
  }
  if (tooBig || tooDeep) fail(`${tooBig ? `${bytes.length} bytes (cap ${limits.maxInputBytes})` : `nesting ${jsonDepth(bytes)} (cap ${limits.maxJsonDepth})`} was read, not refused`);
  const ctx = makeVerifyContext({ time: FUZZ_TIME, keys, files: [file] });
  // 2. Every kind's steps on their own: only TollgateErrors may be thrown (detect: none at all, but a limit).
  for (const kind of evidenceKinds as readonly EvidenceKind<unknown>[]) {
    let detected = false;
    try {
      detected = kind.detect(file);
    } catch (e) {
      if (!(e instanceof TollgateError && e.code === "limit_exceeded")) fail(`${kind.name}.detect threw ${describe(e)}`);
      return "limit";
    }
    if (!detected) continue;
    (report.kinds[kind.name] = (report.kinds[kind.name] ?? 0) + 1);
    let parsed: unknown;
    try {
      parsed = kind.parse(file);
    } catch (e) {
      if (!(e instanceof TollgateError)) fail(`${kind.name}.parse threw an untyped ${describe(e)}`);
      continue;
    }
    try {
      const checks = await kind.verify(parsed, file, ctx);
      kind.normalize(parsed, checks, file, ctx);
    } catch (e) {
      if (!(e instanceof TollgateError)) fail(`${kind.name}.verify/normalize threw an untyped ${describe(e)}`);
    }
  }
  // 3. The pipeline: typed errors only, and nothing verified that the trusted key did not sign.
  let result;
  try {
    result = await collectEvidence([file], ctx);
  } catch (e) {
    if (!(e instanceof TollgateError)) fail(`collectEvidence threw an untyped ${describe(e)}`);
    return (e as TollgateError).code === "limit_exceeded" ? "limit" : "thrown";
  }
  for (const err of result.errors) if (err.code === "internal") fail(`input error with code internal: ${err.message}`);
  for (const rec of result.records) {
    if (seed.signedStatements && rec.statement) report.signed[rec.signature.status === "verified" ? "verified" : "refused"]++;
    if (rec.signature.status !== "verified" || !rec.statement) continue;
    const keyed = rec.signature.signers.filter((s) => s.type === "key");
    if (keyed.length && seed.signedStatements === undefined) fail(`${rec.kind} verified with a key, from an unsigned seed`);
    const got = signedForm({ ...rec.statement, predicate: (rec as { predicate?: unknown }).predicate });
    if (seed.signedStatements !== undefined && keyed.length && !seed.signedStatements.includes(got)) {
      fail(`changed signed content admitted: ${rec.kind} verified with statement ${got.slice(0, 160)}`);
    }
  }
  return result.records.length ? "evidence" : result.errors.length ? "input-error" : "skipped";
}
