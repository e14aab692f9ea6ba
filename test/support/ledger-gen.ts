// A generator of valid RunManifest decision ledgers, shaped like the producer's (key order, indent=2,
// ensure_ascii), deterministic for a given seed. Used by the tests, the bench and scripts/gen-ledger.ts.
// Streaming: generateLedgerChunks() yields the file text piece by piece, so a 1,000,000-entry ledger is
// written without holding it in memory.
//
// It computes hashes with tollgate's own canonicalizer; tests cross-check its output with an independent
// Python verifier (python3's json module) so the two cannot agree on a shared mistake unnoticed.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { JsonNumber, canonicalString, canonicalize, type JsonObject, type JsonTree } from "../../src/core/canonical-json.ts";
import { EMPTY_LEDGER_ROOT, entryHashFromCanon, manifestSplit } from "../../src/evidence/runmanifest/scan.ts";

export interface LedgerOptions {
  entries: number;
  mode?: "compact" | "expanded";
  /** PRNG seed: same seed, same bytes. */
  seed?: number;
  /** Put non-ASCII text (accents, CJK, an astral emoji, a control character) into reason texts. */
  nonAscii?: boolean;
  /** Write non-ASCII as \uXXXX escapes like the producer (default true) or as raw UTF-8. */
  ensureAscii?: boolean;
  /** Write config_hashes after decision_ledger (a key order that needs the verifier's second pass). */
  ledgerFirst?: boolean;
  /** Vary the last entry until its entry_hash ends with this hex suffix (e.g. "00"). */
  lastEntryHashEndsWith?: string;
  /** Vary reason_code over this many distinct values (seq modulo it), to test the bounded code list. */
  distinctCodes?: number;
  /** Extra top-level members (e.g. floats written 1.0), appended after verification. */
  extra?: [string, JsonTree][];
}

/**
 * Whether python3 is installed for the independent cross-checks (its json module is the reference the
 * canonical form and the ledger verifier are checked against). Off CI they skip with one notice; under
 * CI=true a missing python3 is a failure, never a silent skip.
 */
export function requirePython(what: string): boolean {
  if (spawnSync("python3", ["-c", "print(1)"]).status === 0) return true;
  if (process.env.CI === "true") throw new Error(`python3 is required in CI: ${what} cannot be skipped there`);
  console.log(`notice: python3 is absent; ${what} skipped (CI has it)`);
  return false;
}

/** Deterministic PRNG (mulberry32): generated test data is the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sha = (s: string) => "sha256:" + createHash("sha256").update(s).digest("hex");

const COMPONENTS = ["Ingestion", "Enrichment", "Scoring", "TopN", "Summary"];
const REASONS: [string, string, string][] = [
  ["Scoring", "SCORING_SUMMARY_COMPUTED", "Scoring summary metrics computed for this run."],
  ["TopN", "TOPN_RANKING_COMPLETED", "TopN ranking completed for assets and findings."],
  ["TopN", "TOPN_ASSET_RANKED", "Asset ranked by operational risk."],
  ["Ingestion", "INGEST_ROW_DROPPED", "CSV row dropped: minimum-signal contract failed."],
  ["Enrichment", "ENRICH_KEV_MATCH", "Finding matched a KEV entry."],
  ["Summary", "SUMMARY_BUILT", "Summary pass aggregated totals."],
];
const NON_ASCII = ["Résumé naïve café", "日本語の理由", "risk ↑ 😀 (astral)", "tab\tand \u0001 control"];

/** One entry, fields in the producer's order. */
function makeEntry(seq: number, prev: string, rnd: () => number, o: LedgerOptions, nonce = 0): JsonObject {
  const [component, code0, text] = REASONS[Math.floor(rnd() * REASONS.length)]!;
  const code = o.distinctCodes ? `REASON_${seq % o.distinctCodes}` : code0;
  const reasonText = o.nonAscii && seq % 2 === 1 ? `${text} ${NON_ASCII[(seq >> 1) % NON_ASCII.length]}` : text;
  const evidence = new Map<string, JsonTree>([
    ["ranked_assets", new JsonNumber(String(Math.floor(rnd() * 50)))],
    ["coverage_ratio", new JsonNumber(seq % 3 === 0 ? "1.0" : (Math.floor(rnd() * 1000) / 1000).toString())],
    ["nonce", new JsonNumber(String(nonce))],
  ]);
  const ms = 1_774_872_000_000 + seq * 137;
  const ts = new Date(ms).toISOString().replace(/\.(\d{3})Z$/, `.$1${String(seq % 1000).padStart(3, "0")}Z`);
  const why = new Map<string, JsonTree>([
    ["reason_code", code],
    ["reason_text", reasonText],
    ["factor_refs", rnd() < 0.5 ? ["coverage", "avg_scored_risk"] : []],
    ["confidence", rnd() < 0.5 ? "high" : null],
    ["weight_context", rnd() < 0.3 ? `kev=1.0*${(rnd() * 2).toFixed(2)}` : null],
  ]);
  const e = new Map<string, JsonTree>([
    ["seq", new JsonNumber(String(seq))],
    ["ts", ts],
    ["component", component ?? COMPONENTS[0]!],
    ["event_type", rnd() < 0.8 ? "decision" : "lifecycle"],
    ["subject_ref", `${component?.toLowerCase()}:item-${seq}`],
    ["why", why],
    ["evidence_digest", sha(canonicalize(evidence))],
    ["prev_hash", prev],
  ]);
  e.set("entry_hash", entryHash(e));
  return e;
}

/** entry_hash of an entry (its members other than entry_hash). */
export function entryHash(e: JsonObject): string {
  const canon = new Map<string, string>();
  for (const [k, v] of e) if (k !== "entry_hash") canon.set(k, canonicalize(v));
  return entryHashFromCanon(canon).hash;
}

function skeleton(o: LedgerOptions, chainRoot: string, count: number): JsonObject {
  const mode = o.mode ?? "compact";
  const top: [string, JsonTree][] = [
    ["manifest_version", "1.0"],
    ["runmanifest_mode", mode],
    ["run_id", sha(`input.nessus:${o.seed ?? 1}`)],
    ["generated_at_utc", "2026-03-30T12:00:00.000000Z"],
    ["runtime", new Map<string, JsonTree>([["vulnparse_version", "1.1.0"], ["python_version", "3.11.7"], ["platform", "Linux-6.1-x86_64"]])],
    ["inputs", new Map<string, JsonTree>([["target_path", "scans/input.nessus"], ["target_sha256", sha("scan")]])],
    ["config_hashes", new Map<string, JsonTree>([["config_yaml_sha256", sha("cfg")], ["scoring_json_sha256", sha("scoring")], ["tn_triage_json_sha256", null]])],
    ["outputs", new Map<string, JsonTree>([["json", "out/result.json"], ["csv", null], ["executive_markdown", null], ["technical_markdown", null]])],
    ["enrichment_summary", new Map<string, JsonTree>([["kev_enabled", true], ["epss_enabled", false], ["nvd_enabled", "Disabled"], ["exploit_enabled", false], ["stats", new Map<string, JsonTree>([["kev_hits", new JsonNumber("3")]])]])],
    ["pass_summaries", [
      new Map<string, JsonTree>([["name", "Scoring"], ["version", "1.0"], ["started_at_utc", "2026-03-30T11:59:58Z"], ["ended_at_utc", "2026-03-30T11:59:59Z"],
        ["metrics", new Map<string, JsonTree>([["coverage_ratio", new JsonNumber("1.0")], ["avg_scored_risk", new JsonNumber("7.25")], ["scored_findings", new JsonNumber("8")], ["tiny", new JsonNumber("1e-05")]])]]),
      new Map<string, JsonTree>([["name", "TopN"], ["version", "1.0"], ["started_at_utc", null], ["ended_at_utc", null], ["metrics", new Map<string, JsonTree>([["k", new JsonNumber("5")]])]]),
    ]],
    ["decision_ledger", new Map<string, JsonTree>([["chain_version", "1.0"], ["entry_count", new JsonNumber(String(count))], ["chain_root", chainRoot], ["entries", ENTRIES_MARK]])],
    ["verification", new Map<string, JsonTree>([
      ["canonicalization", "json-c14n-v1"],
      ["volatile_fields_excluded", ["decision_ledger.entries.ts", "generated_at_utc", "pass_summaries.ended_at_utc", "pass_summaries.started_at_utc"]],
      ["manifest_digest", DIGEST_MARK],
    ])],
    ...(o.extra ?? []),
  ];
  if (o.ledgerFirst) {
    const i = top.findIndex(([k]) => k === "config_hashes");
    const [cfg] = top.splice(i, 1);
    const j = top.findIndex(([k]) => k === "decision_ledger");
    top.splice(j + 1, 0, cfg!);
  }
  return new Map(top);
}

const ENTRIES_MARK = "\u0000entries\u0000";
const DIGEST_MARK = "\u0000digest\u0000";

/** Python json.dump(indent=2) text of a tree (numbers as written); ensureAscii escapes non-ASCII. */
export function prettyJson(v: JsonTree, ensureAscii = true, level = 0): string {
  const pad = "  ".repeat(level + 1);
  const end = "  ".repeat(level);
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return ensureAscii ? canonicalString(v) : rawString(v);
  if (v instanceof JsonNumber) return v.source;
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return "[\n" + v.map((x) => pad + prettyJson(x, ensureAscii, level + 1)).join(",\n") + "\n" + end + "]";
  }
  if (v.size === 0) return "{}";
  const parts: string[] = [];
  for (const [k, x] of v) parts.push(pad + (ensureAscii ? canonicalString(k) : rawString(k)) + ": " + prettyJson(x, ensureAscii, level + 1));
  return "{\n" + parts.join(",\n") + "\n" + end + "}";
}

/** Like Python's ensure_ascii=False: only `"`, `\` and control characters escaped. */
function rawString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f]/g, "\\u007f");
}

/** The file text in pieces (header, entries in batches, trailer). */
export function* generateLedgerChunks(o: LedgerOptions): Generator<string> {
  const n = o.entries;
  const rnd = prng(o.seed ?? 1);
  const ensureAscii = o.ensureAscii ?? true;
  // The chain is generated twice when its root must be known up front (it is written before the
  // entries): first pass only computes hashes, second pass writes. Same PRNG seed, same entries.
  const root = chainRootOf(o);
  const sk = skeleton(o, root, n);
  const ledger = sk.get("decision_ledger") as JsonObject;
  const { prefix, suffix } = manifestSplit(sk, ledger);
  const digest = createHash("sha256").update(prefix);

  const text = prettyJson(sk, ensureAscii);
  const markAt = text.indexOf(`"\\u0000entries\\u0000"`);
  const head = text.slice(0, markAt);
  let tail = text.slice(markAt + `"\\u0000entries\\u0000"`.length);
  yield n === 0 ? head + "[]" : head + "[\n";

  let prev = EMPTY_LEDGER_ROOT;
  let batch = "";
  for (let seq = 1; seq <= n; seq++) {
    const e = seq === n ? lastEntry(seq, prev, rnd, o) : makeEntry(seq, prev, rnd, o);
    prev = e.get("entry_hash") as string;
    batch += (seq > 1 ? ",\n" : "") + "      " + prettyJson(e, ensureAscii, 3);
    const noTs = new Map([...e].filter(([k]) => k !== "ts"));
    digest.update((seq > 1 ? "," : "") + canonicalize(noTs));
    if (batch.length > 1 << 16) {
      yield batch;
      batch = "";
    }
  }
  if (n > 0) batch += "\n    ]";
  yield batch;
  digest.update(suffix);
  tail = tail.replace(`"\\u0000digest\\u0000"`, `"sha256:${digest.digest("hex")}"`);
  yield tail + "\n";
}

function lastEntry(seq: number, prev: string, rnd: () => number, o: LedgerOptions): JsonObject {
  if (!o.lastEntryHashEndsWith) return makeEntry(seq, prev, rnd, o);
  // A private PRNG per try (same draws every time), only the nonce changes.
  for (let nonce = 0; nonce < 1_000_000; nonce++) {
    const e = makeEntry(seq, prev, prng(seq * 7919 + (o.seed ?? 1)), o, nonce);
    if ((e.get("entry_hash") as string).endsWith(o.lastEntryHashEndsWith)) return e;
  }
  throw new Error(`no nonce gives an entry_hash ending in ${o.lastEntryHashEndsWith}`);
}

function chainRootOf(o: LedgerOptions): string {
  const rnd = prng(o.seed ?? 1);
  let prev = EMPTY_LEDGER_ROOT;
  for (let seq = 1; seq <= o.entries; seq++) {
    const e = seq === o.entries ? lastEntry(seq, prev, rnd, o) : makeEntry(seq, prev, rnd, o);
    prev = e.get("entry_hash") as string;
  }
  return prev;
}

/** The whole file as one string (small ledgers). */
export function generateLedger(o: LedgerOptions): string {
  let s = "";
  for (const c of generateLedgerChunks(o)) s += c;
  return s;
}

/** Recompute manifest_digest of a (small) tree in place: an attacker who re-seals after editing. */
export function resealManifest(doc: JsonObject): void {
  const ledger = doc.get("decision_ledger") as JsonObject;
  const entries = (ledger.get("entries") as JsonTree[]) ?? [];
  const { prefix, suffix } = manifestSplit(doc, ledger);
  const h = createHash("sha256").update(prefix);
  entries.forEach((e, i) => h.update((i ? "," : "") + canonicalize(new Map([...(e as JsonObject)].filter(([k]) => k !== "ts")))));
  h.update(suffix);
  (doc.get("verification") as JsonObject).set("manifest_digest", "sha256:" + h.digest("hex"));
}
