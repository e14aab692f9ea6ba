// RunManifest decision ledgers: valid ledgers from the generator (checked by an independent python3
// verifier too), every tamper with its precise check and reason, the evidence kind through the pipeline,
// and `tollgate ledger verify` exit codes.
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonNumber, parseJsonTree, type JsonObject, type JsonTree } from "../src/core/canonical-json.ts";
import { TollgateError } from "../src/core/errors.ts";
import { collectEvidence } from "../src/evidence/collect.ts";
import { runManifestKind } from "../src/evidence/runmanifest/index.ts";
import { EMPTY_LEDGER_ROOT, LedgerScanner, scanLedgerBytes, type LedgerScan } from "../src/evidence/runmanifest/scan.ts";
import { makeVerifyContext, sourceFromBytes } from "../src/evidence/source.ts";
import { thrown } from "./support/errors.ts";
import { REPO_ROOT } from "./support/fixtures.ts";
import { runOpa } from "./support/opa.ts";
import { buildInputDocument, validateInputDocument } from "../src/core/input.ts";
import { loadBundleFile, type PolicyBundle } from "../src/policy/bundle.ts";
import { PolicyEngine } from "../src/policy/evaluator.ts";
import { evaluateDecision, toDecision, type PolicyResult } from "../src/policy/gate.ts";
import { entryHash, generateLedger, prettyJson, requirePython, resealManifest, type LedgerOptions } from "./support/ledger-gen.ts";

const enc = new TextEncoder();
const scan = (text: string): LedgerScan => scanLedgerBytes(enc.encode(text));
const tmp = mkdtempSync(join(tmpdir(), "tollgate-ledger-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const havePython = requirePython("the independent Python ledger verifier");

// The producer's verification algorithm, run by python3 on the same bytes: the first failure it raises
// (its order: seq, prev_hash against the recomputed chain, entry_hash per entry; then chain_root, then
// manifest_digest) and, separately, whether the manifest digest matches.
const PY_VERIFY = String.raw`
import json, sys, hashlib
def canon(v): return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
def h(t): return "sha256:" + hashlib.sha256(t.encode("utf-8")).hexdigest()
m = json.loads(open(sys.argv[1], encoding="utf-8").read())
w = json.loads(json.dumps(m)); w["verification"]["manifest_digest"] = None
w.pop("generated_at_utc", None)
for ps in w.get("pass_summaries", []): ps.pop("started_at_utc", None); ps.pop("ended_at_utc", None)
for e in w.get("decision_ledger", {}).get("entries", []): e.pop("ts", None)
digest_ok = m["verification"]["manifest_digest"] == h(canon(w))
def first():
    led = m.get("decision_ledger", {}); prev = h("vpp-ledger-empty-root-v1")
    for i, e in enumerate(led.get("entries", []), 1):
        if e.get("seq") != i: return "seq:%d" % i
        if e.get("prev_hash") != prev: return "prev_hash:%d" % i
        x = h(canon({k: e.get(k) for k in ["seq","ts","component","event_type","subject_ref","why","evidence_digest","prev_hash"]}))
        if e.get("entry_hash") != x: return "entry_hash:%d" % i
        prev = x
    if led.get("chain_root") != prev: return "chain_root"
    if not digest_ok: return "manifest_digest"
    return "ok"
print(json.dumps({"first": first(), "digest_ok": digest_ok}))
`;

let pyN = 0;
function python(text: string): { first: string; digest_ok: boolean } | undefined {
  if (!havePython) return undefined;
  const p = join(tmp, `py-${pyN++}.json`);
  writeFileSync(p, text);
  const r = spawnSync("python3", ["-c", PY_VERIFY, p], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python3 verifier failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function failed(s: LedgerScan): string[] {
  return Object.keys(s.failures).sort();
}

function expectVerified(text: string): LedgerScan {
  const s = scan(text);
  expect(s.failures).toEqual({});
  expect(s.firstFailure).toBeNull();
  const py = python(text);
  if (py) expect(py).toEqual({ first: "ok", digest_ok: true });
  return s;
}

const doc = (text: string): JsonObject => parseJsonTree(text) as JsonObject;
const ledgerOf = (d: JsonObject): JsonObject => d.get("decision_ledger") as JsonObject;
const entriesOf = (d: JsonObject): JsonObject[] => ledgerOf(d).get("entries") as JsonObject[];

const BASE: LedgerOptions = { entries: 6, seed: 11 };
const baseText = generateLedger(BASE);

describe("valid ledgers verify (and python3's reference algorithm agrees)", () => {
  test("compact: every check passes, facts carry mode, count, head and reason codes", () => {
    const s = expectVerified(generateLedger({ entries: 25, seed: 3 }));
    expect(s.mode).toBe("compact");
    expect(s.entryCount).toBe(25);
    expect(s.claimedEntryCount).toBe(25);
    expect(s.chainRoot).toBe(s.lastEntryHash!);
    expect(s.chainRoot).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(s.reasonCodes.length).toBeGreaterThan(2);
    expect([...s.reasonCodes].sort()).toEqual(s.reasonCodes);
    expect(new Set(s.reasonCodes).size).toBe(s.reasonCodes.length);
    expect(s.passes).toBe(1);
  });

  test("expanded mode", () => {
    expect(expectVerified(generateLedger({ entries: 9, mode: "expanded", seed: 5 })).mode).toBe("expanded");
  });

  test("empty ledger: chain_root is the sentinel sha256('vpp-ledger-empty-root-v1')", () => {
    const sentinel = "sha256:" + createHash("sha256").update("vpp-ledger-empty-root-v1").digest("hex");
    expect(EMPTY_LEDGER_ROOT).toBe(sentinel);
    const s = expectVerified(generateLedger({ entries: 0 }));
    expect(s.entryCount).toBe(0);
    expect(s.chainRoot).toBe(sentinel);
  });

  test("non-ASCII text, escaped (\\uXXXX, like the producer) or raw UTF-8: same hashes", () => {
    const escaped = generateLedger({ entries: 8, nonAscii: true, seed: 2 });
    const raw = generateLedger({ entries: 8, nonAscii: true, ensureAscii: false, seed: 2 });
    expect(escaped).toContain("\\ud83d\\ude00");
    expect(raw).toContain("😀");
    expect(raw).toContain("日本語");
    const a = expectVerified(escaped);
    const b = expectVerified(raw);
    expect(a.chainRoot).toBe(b.chainRoot!);
    expect(a.computedManifestDigest).toBe(b.computedManifestDigest);
  });

  test("last entry_hash ending in 00 (no trailing-zero or numeric mishandling of hashes)", () => {
    const s = expectVerified(generateLedger({ entries: 5, seed: 9, lastEntryHashEndsWith: "00" }));
    expect(s.chainRoot!.endsWith("00")).toBe(true);
  });

  test("floats written 1.0 keep their form: 1.0, 1.00 and 1e0 are the same Python float", () => {
    expect(baseText).toContain('"coverage_ratio": 1.0');
    expectVerified(baseText);
    expectVerified(baseText.replace('"coverage_ratio": 1.0', '"coverage_ratio": 1.00'));
    expectVerified(baseText.replace('"coverage_ratio": 1.0', '"coverage_ratio": 1e0'));
    expectVerified(baseText.replace('"tiny": 1e-05', '"tiny": 0.00001'));
  });

  test("key order that puts a member sorting before the entries after them: verified with a second pass", () => {
    const s = expectVerified(generateLedger({ entries: 7, ledgerFirst: true, seed: 4 }));
    expect(s.passes).toBe(2);
  });

  test("volatile fields are outside the manifest digest: generated_at_utc and pass timestamps may change", () => {
    expectVerified(baseText.replace("2026-03-30T12:00:00.000000Z", "2027-01-01T00:00:00Z"));
    expectVerified(baseText.replace('"started_at_utc": "2026-03-30T11:59:58Z"', '"started_at_utc": "yesterday"'));
  });

  test("re-serializing the same document (pretty, escaped) verifies: only values are hashed, not layout", () => {
    expectVerified(prettyJson(doc(baseText)));
  });

  test("the result does not depend on how the bytes are chunked", () => {
    const bytes = enc.encode(generateLedger({ entries: 5, nonAscii: true, ensureAscii: false, seed: 8 }));
    const whole = scanLedgerBytes(bytes);
    for (const size of [1, 3, 17, 4096]) {
      const sc = new LedgerScanner();
      for (let i = 0; i < bytes.length; i += size) sc.feed(bytes.subarray(i, i + size));
      const r = sc.finish();
      expect("scan" in r).toBe(true);
      if ("scan" in r) expect(r.scan).toEqual(whole);
    }
  });
});

describe("tampering: each names the first bad seq and the check", () => {
  test("reordered entries (2 and 3 swapped)", () => {
    const d = doc(baseText);
    const es = entriesOf(d);
    [es[1], es[2]] = [es[2]!, es[1]!];
    const text = prettyJson(d);
    const s = scan(text);
    expect(s.firstFailure).toMatchObject({ check: "integrity.seq", seq: 2 });
    expect(s.failures["integrity.seq"]!.reason).toBe("entry at position 2 has seq 3; seq must run 1, 2, 3, … without gaps (expected 2)");
    expect(s.failures["integrity.prev_hash"]!.seq).toBe(2);
    expect(s.failures["integrity.prev_hash"]!.reason).toContain("seq 2: prev_hash sha256:");
    expect(s.failures["integrity.prev_hash"]!.reason).toContain("does not link to the entry_hash of seq 1");
    expect(python(text)?.first ?? "seq:2").toBe("seq:2");
  });

  test("deleted entry (seq 3 of 6)", () => {
    const d = doc(baseText);
    entriesOf(d).splice(2, 1);
    const text = prettyJson(d);
    const s = scan(text);
    expect(s.firstFailure).toMatchObject({ check: "integrity.seq", seq: 3 });
    expect(s.failures["integrity.seq"]!.reason).toBe("entry at position 3 has seq 4; seq must run 1, 2, 3, … without gaps (expected 3)");
    expect(s.failures["integrity.entry_count"]!.reason).toBe("decision_ledger.entry_count is 6 but the ledger holds 5 entries");
    expect(failed(s)).toEqual(["integrity.entry_count", "integrity.manifest_digest", "integrity.prev_hash", "integrity.seq"]);
    expect(python(text)?.first ?? "seq:3").toBe("seq:3");
  });

  test("deleted last entry: chain_root no longer matches", () => {
    const d = doc(baseText);
    entriesOf(d).pop();
    const s = scan(prettyJson(d));
    expect(s.firstFailure).toMatchObject({ check: "integrity.chain_root", seq: 5 });
    expect(s.failures["integrity.chain_root"]!.reason).toMatch(/^decision_ledger\.chain_root sha256:[0-9a-f]{64} is not the entry_hash of the last entry \(seq 5\) \(sha256:[0-9a-f]{64}\)$/);
    expect(failed(s)).toEqual(["integrity.chain_root", "integrity.entry_count", "integrity.manifest_digest"]);
  });

  test("edited why.reason_text (seq 4)", () => {
    const d = doc(baseText);
    const why = entriesOf(d)[3]!.get("why") as JsonObject;
    why.set("reason_text", (why.get("reason_text") as string) + " (edited)");
    const text = prettyJson(d);
    const s = scan(text);
    expect(s.firstFailure).toMatchObject({ check: "integrity.entry_hash", seq: 4 });
    expect(s.failures["integrity.entry_hash"]!.reason).toMatch(/^seq 4: entry_hash sha256:[0-9a-f]{64} does not match the recomputed hash of the entry's fields \(sha256:[0-9a-f]{64}\)$/);
    expect(failed(s)).toEqual(["integrity.entry_hash", "integrity.manifest_digest"]);
    expect(s.failures["integrity.manifest_digest"]!.reason).toContain("does not match the recomputed digest of the canonical manifest");
    const py = python(text);
    if (py) expect(py).toEqual({ first: "entry_hash:4", digest_ok: false });
  });

  test("edited ts (seq 2): breaks the entry hash, not the manifest digest", () => {
    const d = doc(baseText);
    entriesOf(d)[1]!.set("ts", "2026-03-30T12:00:09.999999Z");
    const text = prettyJson(d);
    const s = scan(text);
    expect(s.firstFailure).toMatchObject({ check: "integrity.entry_hash", seq: 2 });
    expect(failed(s)).toEqual(["integrity.entry_hash"]);
    const py = python(text);
    if (py) expect(py).toEqual({ first: "entry_hash:2", digest_ok: true });
  });

  test("a float written 1.0 rewritten as 1 (int): the manifest digest changes", () => {
    const text = baseText.replace('"coverage_ratio": 1.0', '"coverage_ratio": 1');
    const s = scan(text);
    expect(failed(s)).toEqual(["integrity.manifest_digest"]);
    expect(s.firstFailure).toMatchObject({ check: "integrity.manifest_digest", seq: null });
    const py = python(text);
    if (py) expect(py).toEqual({ first: "manifest_digest", digest_ok: false });
  });

  test("non-ASCII text edited (raw UTF-8 and escaped forms)", () => {
    const raw = generateLedger({ entries: 8, nonAscii: true, ensureAscii: false, seed: 2 });
    const s1 = scan(raw.replace("日本語", "日本誤"));
    expect(s1.firstFailure?.check).toBe("integrity.entry_hash");
    const seq = s1.firstFailure!.seq!;
    expect(raw.split("日本語")[0]!.split('"seq": ').length - 1).toBe(seq); // the entry that holds the text
    const escaped = generateLedger({ entries: 8, nonAscii: true, seed: 2 });
    const s2 = scan(escaped.replace("\\u65e5\\u672c\\u8a9e", "\\u65e5\\u672c\\u8aa4"));
    expect(s2.firstFailure).toMatchObject({ check: "integrity.entry_hash", seq });
  });

  test("chain_root of a ledger whose last hash ends in 00, altered in its last digit", () => {
    const text = generateLedger({ entries: 5, seed: 9, lastEntryHashEndsWith: "00" });
    const root = scan(text).chainRoot!;
    const forged = root.slice(0, -1) + "1";
    const s = scan(text.replace(`"chain_root": "${root}"`, `"chain_root": "${forged}"`));
    expect(s.firstFailure).toMatchObject({ check: "integrity.chain_root", seq: 5 });
    expect(s.failures["integrity.chain_root"]!.reason).toBe(`decision_ledger.chain_root ${forged} is not the entry_hash of the last entry (seq 5) (${root})`);
  });

  test("entry_count disagreeing, manifest re-sealed: only entry_count fails (the producer's verifier misses it)", () => {
    const d = doc(baseText);
    ledgerOf(d).set("entry_count", new JsonNumber("7"));
    resealManifest(d);
    const text = prettyJson(d);
    const s = scan(text);
    expect(failed(s)).toEqual(["integrity.entry_count"]);
    expect(s.failures["integrity.entry_count"]!.reason).toBe("decision_ledger.entry_count is 7 but the ledger holds 6 entries");
    expect(s.firstFailure?.check).toBe("integrity.entry_count");
    const py = python(text);
    if (py) expect(py).toEqual({ first: "ok", digest_ok: true });
  });

  test("entry_count disagreeing without re-sealing also breaks the manifest digest", () => {
    const s = scan(baseText.replace('"entry_count": 6', '"entry_count": 5'));
    expect(failed(s)).toEqual(["integrity.entry_count", "integrity.manifest_digest"]);
  });

  test("first prev_hash not the sentinel", () => {
    const d = doc(baseText);
    const e1 = entriesOf(d)[0]!;
    e1.set("prev_hash", "sha256:" + "0".repeat(64));
    e1.set("entry_hash", entryHash(e1)); // even re-hashed, the link to the sentinel is gone
    const s = scan(prettyJson(d));
    expect(s.firstFailure).toMatchObject({ check: "integrity.prev_hash", seq: 1 });
    expect(s.failures["integrity.prev_hash"]!.reason).toBe(
      `seq 1: prev_hash sha256:${"0".repeat(64)} does not link to the empty-ledger sentinel (${EMPTY_LEDGER_ROOT})`,
    );
  });

  test("a re-hashed edit still breaks the link from the next entry", () => {
    const d = doc(baseText);
    const e3 = entriesOf(d)[2]!;
    e3.set("subject_ref", "forged:item");
    e3.set("entry_hash", entryHash(e3));
    const s = scan(prettyJson(d));
    expect(s.firstFailure).toMatchObject({ check: "integrity.prev_hash", seq: 4 });
    expect(s.failures["integrity.prev_hash"]!.reason).toContain("seq 4: prev_hash");
    expect(s.failures["integrity.prev_hash"]!.reason).toContain("does not link to the entry_hash of seq 3");
  });

  test("top-level field outside the volatile set edited (run_id): manifest digest", () => {
    const s = scan(baseText.replace(/"run_id": "sha256:[0-9a-f]+"/, `"run_id": "sha256:${"1".repeat(64)}"`));
    expect(failed(s)).toEqual(["integrity.manifest_digest"]);
  });

  test("schema: unknown mode, and an entry missing a required field", () => {
    const s1 = scan(baseText.replace('"runmanifest_mode": "compact"', '"runmanifest_mode": "verbose"'));
    expect(s1.firstFailure).toMatchObject({ check: "integrity.schema", seq: null });
    expect(s1.failures["integrity.schema"]!.reason).toBe('/runmanifest_mode must be equal to one of the allowed values ("compact", "expanded")');
    expect(s1.failures["integrity.schema"]!.code).toBe("schema_invalid");

    const d = doc(baseText);
    entriesOf(d)[2]!.delete("subject_ref");
    const s2 = scan(prettyJson(d));
    expect(s2.firstFailure).toMatchObject({ check: "integrity.schema", seq: 3 });
    expect(s2.failures["integrity.schema"]!.reason).toBe("seq 3: /decision_ledger/entries/2 must have required property 'subject_ref'");
    expect(s2.failures["integrity.entry_hash"]!.seq).toBe(3);
  });

  test("an entry that is not an object", () => {
    const d = doc(baseText);
    (entriesOf(d) as unknown as JsonTree[])[1] = new JsonNumber("42");
    const s = scan(prettyJson(d));
    expect(s.firstFailure).toMatchObject({ check: "integrity.schema", seq: 2 });
    expect(s.failures["integrity.schema"]!.reason).toBe("seq 2: /decision_ledger/entries/1 must be object");
    expect(s.failures["integrity.seq"]!.reason).toBe("entry at position 2 is not an object, so it has no seq (expected 2)");
  });

  test("`why` is hashed as written: without its optional keys the producer's verifier agrees", () => {
    const d = doc(baseText);
    const es = entriesOf(d);
    const why = es[2]!.get("why") as JsonObject;
    why.delete("confidence");
    why.delete("weight_context");
    // Re-chain from the edited entry on, and re-seal: a ledger a producer could have written.
    for (let i = 2; i < es.length; i++) {
      if (i > 2) es[i]!.set("prev_hash", es[i - 1]!.get("entry_hash")!);
      es[i]!.set("entry_hash", entryHash(es[i]!));
    }
    ledgerOf(d).set("chain_root", es[es.length - 1]!.get("entry_hash")!);
    resealManifest(d);
    expectVerified(prettyJson(d));
  });

  test("schema: a digest that is not sha256:<64 hex>", () => {
    const s = scan(baseText.replace(/"manifest_digest": "sha256:[0-9a-f]+"/, '"manifest_digest": "SHA256:ABC"'));
    expect(s.failures["integrity.schema"]!.reason).toBe('/verification/manifest_digest must match pattern "^sha256:[0-9a-f]{64}$"');
  });
});

describe("unreadable ledgers fail closed with a parse error (never a verdict)", () => {
  const err = (text: string): TollgateError => thrown(() => scan(text));
  test("truncated file", () => {
    const e = err(baseText.slice(0, Math.floor(baseText.length * 0.7)));
    expect(e.code).toBe("malformed");
    expect(e.message).toContain("unexpected end of input (truncated document)");
  });
  test("duplicate key inside an entry", () => {
    const e = err(baseText.replace('"component": ', '"component": "x", "component": '));
    expect(e.code).toBe("malformed");
    expect(e.message).toContain('duplicate key "component"');
  });
  test("a number Python would turn into Infinity", () => {
    const e = err(baseText.replace('"avg_scored_risk": 7.25', '"avg_scored_risk": 1e400'));
    expect(e.code).toBe("unsupported");
    expect(e.message).toContain("overflows a double");
  });
  test("not JSON at all", () => {
    expect(err("{runmanifest_mode: compact}").message).toContain("expected a string key");
  });
});

describe("evidence kind 'runmanifest' through the pipeline", () => {
  const ctx = makeVerifyContext({ time: new Date("2026-04-01T00:00:00Z") });
  test("detected by content, verified record with facts; unsigned by nature", async () => {
    const bytes = enc.encode(baseText);
    const file = sourceFromBytes("run/runmanifest.json", bytes);
    expect(runManifestKind.detect(file)).toBe(true);
    expect(runManifestKind.detect(sourceFromBytes("x.json", enc.encode('{"decision_ledger": {}}')))).toBe(false);
    expect(runManifestKind.detect(sourceFromBytes("x.json", enc.encode('["runmanifest_mode", "decision_ledger"]')))).toBe(false);
    // A statement that embeds a RunManifest as its predicate is not itself one.
    const embedded = `{"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicateType": "x", "predicate": ${baseText}}`;
    expect(runManifestKind.detect(sourceFromBytes("st.json", enc.encode(embedded)))).toBe(false);
    // Keys found before a truncation still identify the kind (the parse then reports the truncation).
    expect(runManifestKind.detect(sourceFromBytes("t.json", enc.encode(baseText.slice(0, Math.floor(baseText.length * 0.8)))))).toBe(true);
    const { records, errors } = await collectEvidence([file], ctx, [runManifestKind]);
    expect(errors).toEqual([]);
    const r = records[0]!;
    expect(r.kind).toBe("runmanifest");
    expect(r.signature.status).toBe("unsigned");
    expect(r.integrity).toEqual({ status: "verified" });
    expect(r.checks.map((c) => c.name)).toEqual([
      "integrity.schema", "integrity.seq", "integrity.prev_hash", "integrity.entry_hash",
      "integrity.chain_root", "integrity.entry_count", "integrity.manifest_digest",
    ]);
    expect(r.checks.every((c) => c.ok)).toBe(true);
    const s = scan(baseText);
    expect(r.facts).toMatchObject({ mode: "compact", chain_version: "1.0", entry_count: 6, head: s.chainRoot, reason_codes: s.reasonCodes, first_failure: null });
  });

  test("a tampered ledger is a failed record naming seq and check; an unreadable one is an input error", async () => {
    const tampered = baseText.replace('"ts": "2026', '"ts": "2025');
    const truncated = baseText.slice(0, Math.floor(baseText.length * 0.8));
    const { records, errors } = await collectEvidence(
      [sourceFromBytes("t.json", enc.encode(tampered)), sourceFromBytes("u.json", enc.encode(truncated))], ctx, [runManifestKind]);
    expect(records).toHaveLength(1);
    expect(records[0]!.integrity.status).toBe("failed");
    expect(records[0]!.integrity.reason).toMatch(/^integrity\.entry_hash: seq 1: entry_hash /);
    expect(records[0]!.facts.first_failure).toMatchObject({ seq: 1, check: "integrity.entry_hash" });
    const bad = records[0]!.checks.find((c) => !c.ok)!;
    expect(bad).toMatchObject({ name: "integrity.entry_hash", code: "digest_mismatch", detail: { seq: 1 } });
    expect(errors).toEqual([{ source: "u.json", code: "malformed", message: expect.stringContaining("unexpected end of input") }]);
  });
});

describe("tollgate ledger verify FILE", () => {
  const bun = process.execPath;
  const cli = (...args: string[]) => spawnSync(bun, [join(REPO_ROOT, "src/cli/main.ts"), "ledger", "verify", ...args], { encoding: "utf8" });
  const write = (name: string, text: string) => {
    const p = join(tmp, name);
    writeFileSync(p, text);
    return p;
  };

  test("exit 0 and a VERIFIED line for a valid ledger", () => {
    const r = cli(write("ok.json", baseText));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("  ok    integrity.manifest_digest");
    expect(r.stdout).toMatch(/VERIFIED: 6 entries, chain_root sha256:[0-9a-f]{64}, manifest_digest sha256:[0-9a-f]{64}\n$/);
  });

  test("exit 1 for a tampered ledger; JSON output names the first failure", () => {
    const d = doc(baseText);
    (entriesOf(d)[3]!.get("why") as JsonObject).set("reason_text", "rewritten");
    const p = write("bad.json", prettyJson(d));
    const t = cli(p);
    expect(t.status).toBe(1);
    expect(t.stdout).toContain("  FAIL  integrity.entry_hash: seq 4: entry_hash ");
    expect(t.stdout).toContain("TAMPERED: first failure at seq 4 (integrity.entry_hash)");
    const j = cli("--output", "json", p);
    expect(j.status).toBe(1);
    const out = JSON.parse(j.stdout);
    expect(out.verified).toBe(false);
    expect(out.facts.first_failure).toMatchObject({ seq: 4, check: "integrity.entry_hash" });
    expect(out.sha256).toBe(createHash("sha256").update(prettyJson(d)).digest("hex"));
  });

  test("exit 1 and INVALID, not TAMPERED, for JSON that is not a RunManifest", () => {
    const t = cli(write("not-a-ledger.json", "{}"));
    expect(t.status).toBe(1);
    expect(t.stdout).toContain("  FAIL  integrity.schema: / must have required property 'manifest_version' [schema_invalid]");
    expect(t.stdout).toEndWith("INVALID: not a RunManifest as its schema defines one (/ must have required property 'manifest_version')\n");
  });

  test("exit 2 for unreadable input, a missing file, and bad usage", () => {
    const t = cli(write("trunc.json", baseText.slice(0, 200)));
    expect(t.status).toBe(2);
    expect(t.stderr).toContain("trunc.json: unexpected end of input");
    const m = cli(join(tmp, "absent.json"));
    expect(m.status).toBe(2);
    expect(m.stderr).toContain("absent.json: no such file");
    expect(cli("--output", "xml", write("ok2.json", baseText)).status).toBe(2);
    expect(cli().status).toBe(2);
  });

  test("the second-pass key order verifies from disk too", () => {
    const r = cli(write("ledger-first.json", generateLedger({ entries: 4, ledgerFirst: true })));
    expect(r.status).toBe(0);
  });
});


// ---- the gate over real records: collect → input document → opa eval over policies/ and its WASM build ----
describe("runmanifest.* gate rules over real records (opa eval and WASM agree)", () => {
  const TIME = new Date("2026-04-01T00:00:00Z");
  let wasm: PolicyBundle | undefined;
  let n = 0;

  async function ledgerRules(texts: Record<string, string>, data: Record<string, unknown>): Promise<Record<string, string[]>> {
    const files = Object.entries(texts).map(([p, t]) => sourceFromBytes(p, enc.encode(t)));
    const { records, errors } = await collectEvidence(files, makeVerifyContext({ time: TIME, files }), [runManifestKind]);
    const input = buildInputDocument({ time: TIME.toISOString(), subject: { digest: { sha256: "0".repeat(64) } }, trust: { keys: [], identities: [] } }, records, errors);
    validateInputDocument(input);
    const i = n++;
    writeFileSync(join(tmp, `gate-input-${i}.json`), JSON.stringify(input));
    writeFileSync(join(tmp, `gate-data-${i}.json`), JSON.stringify(data));
    const r = runOpa(["eval", "--format", "json", "-d", join(REPO_ROOT, "policies"), "-d", join(tmp, `gate-data-${i}.json`), "-i", join(tmp, `gate-input-${i}.json`), "data.tollgate.gate.decision"]);
    if (r.code !== 0) throw new Error(r.stderr);
    const go = toDecision(JSON.parse(r.stdout).result[0].expressions[0].value, "opa eval");
    if (!wasm) {
      const out = join(tmp, "gate.tar.gz");
      const b = runOpa(["build", "-t", "wasm", "-e", "tollgate/gate/decision", "--ignore", "*_test.rego", "-o", out, "policies"], REPO_ROOT);
      if (b.code !== 0) throw new Error(b.stderr);
      wasm = await loadBundleFile(out);
    }
    const w = evaluateDecision(await PolicyEngine.create(wasm, [{ source: "test data", data }]), "tollgate/gate/decision", input);
    const key = (rs: PolicyResult[]) => rs.map((x) => JSON.stringify([x.rule, x.msg, x.evidence ?? null])).sort();
    expect(key(w.deny)).toEqual(key(go.deny));
    const out: Record<string, string[]> = {};
    // runmanifest.* rules, and the generic required-evidence rule should it ever claim a ledger (it must
    // not: an unsigned ledger can never be "signed and bound"; runmanifest.required decides presence).
    for (const d of w.deny) {
      if (d.rule.startsWith("runmanifest.") || (d.rule === "gate.required-evidence" && d.msg.includes("runmanifest"))) (out[d.rule] ??= []).push(d.msg);
    }
    return out;
  }

  test("a verified ledger, required: no runmanifest.* denial", async () => {
    expect(await ledgerRules({ "run/runmanifest.json": baseText }, { required_evidence: ["runmanifest"] })).toEqual({});
  }, 60_000);

  test("a tampered ledger is denied naming seq and check, and does not count as present", async () => {
    const d = doc(baseText);
    (entriesOf(d)[4]!.get("why") as JsonObject).set("reason_text", "edited after the run");
    const rules = await ledgerRules({ "run/runmanifest.json": prettyJson(d) }, { required_evidence: ["runmanifest"] });
    expect(Object.keys(rules).sort()).toEqual(["runmanifest.integrity", "runmanifest.required"]);
    expect(rules["runmanifest.integrity"]![0]).toMatch(
      /^decision ledger failed integrity\.entry_hash at seq 5: entry_hash sha256:[0-9a-f]{64} does not match the recomputed hash of the entry's fields \(sha256:[0-9a-f]{64}\)$/,
    );
    expect(rules["runmanifest.required"]).toEqual(["no verified RunManifest decision ledger (1 present, 0 verified)"]);
  }, 60_000);

  test("configured mode and denied reason codes", async () => {
    const s = scan(baseText);
    const rules = await ledgerRules({ "run/runmanifest.json": baseText }, { runmanifest_required_mode: "expanded", runmanifest_denied_reason_codes: [s.reasonCodes[0]] });
    expect(rules["runmanifest.mode"]).toEqual(["decision ledger was recorded in compact mode; policy requires expanded"]);
    expect(rules["runmanifest.reason-code"]).toEqual([`decision ledger records reason code ${s.reasonCodes[0]}, which policy does not admit`]);
  }, 60_000);
});
