// One streaming pass over a runmanifest.json that checks the decision ledger's hash chain AND recomputes
// the manifest digest, without ever holding the entries in memory.
//
// Formats (DESIGN.md, RunManifest row; checked against the producer):
// - entry_hash = "sha256:" + sha256(canonical {seq, ts, component, event_type, subject_ref, why,
//   evidence_digest, prev_hash}) — `why` as written (the producer writes all five keys, nulls kept);
//   a missing field hashes as null, as the producer's verifier (`entry.get(k)`) does;
// - the first prev_hash and an empty ledger's chain_root are "sha256:" + sha256("vpp-ledger-empty-root-v1");
// - manifest_digest = "sha256:" + sha256(canonical manifest) after setting verification.manifest_digest to
//   null and deleting generated_at_utc, every pass_summaries[].started_at_utc/ended_at_utc and every entry ts.
// Canonical = Python json.dumps(sort_keys=True, separators=(",",":"), ensure_ascii=True): see core/canonical-json.ts.
//
// Checks, each reporting its first failure with the entry position (the seq it should have):
// integrity.seq (contiguous from 1), integrity.prev_hash (the sentinel, then the previous entry's stored
// entry_hash: an edit is reported once, at its own seq, as an entry_hash failure; a re-hashed edit shows as
// the next entry's broken link), integrity.entry_hash (recomputed), integrity.chain_root (the last stored
// entry_hash), integrity.entry_count (the producer's verifier does not check it; the manifest digest covers it
// only until someone re-seals), integrity.manifest_digest, integrity.schema. The verdict equals the
// producer's: its chain check fails exactly when one of seq / prev_hash / entry_hash / chain_root fails here.
//
// Streaming the digest: in canonical (sorted) order the manifest is
//   {<top keys < "decision_ledger">,"decision_ledger":{<ledger keys < "entries">,"entries":[E1,E2,…]<rest of ledger>}<rest of top>}
// When the entries array opens, the members already seen give the prefix, and each entry's canonical form
// is fed to the hash as it completes. At the end the prefix is recomputed from the whole skeleton (the
// document minus its entries); if a member that sorts before the entries turned up after them (an unusual
// key order), the speculative hash is discarded and a second pass over the same bytes re-hashes the
// entries. The producer writes decision_ledger with chain_version/entry_count/chain_root before entries and
// config_hashes before decision_ledger, so its files verify in one pass.
import type { ErrorObject } from "ajv/dist/2020";
import schema from "../../../schemas/runmanifest.schema.json" with { type: "json" };
import {
  JsonNumber,
  JsonTokenizer,
  TreeBuilder,
  canonicalKey,
  canonicalMembers,
  canonicalString,
  canonicalize,
  comparePythonStrings,
  sortPythonKeys,
  toPlain,
  type JsonObject,
  type JsonTree,
} from "../../core/canonical-json.ts";
import { sha256Hex } from "../../core/digest.ts";
import { FastEntryParser, MAX_ENTRY, NEED_MORE, REJECT, skipWs } from "./fast.ts";
import { nativeLane, type NativeLane } from "./native.ts";
import { describeErrors, validator } from "../../core/schema.ts";
import type { ErrorCode } from "../../core/errors.ts";

export const EMPTY_LEDGER_ROOT = "sha256:" + sha256Hex("vpp-ledger-empty-root-v1");

/** Check names in the order they are reported. */
export const LEDGER_CHECKS = [
  "integrity.schema",
  "integrity.seq",
  "integrity.prev_hash",
  "integrity.entry_hash",
  "integrity.chain_root",
  "integrity.entry_count",
  "integrity.manifest_digest",
] as const;
export type LedgerCheckName = (typeof LEDGER_CHECKS)[number];

const CHECK_CODE: Record<LedgerCheckName, ErrorCode> = {
  "integrity.schema": "schema_invalid",
  "integrity.seq": "chain_broken",
  "integrity.prev_hash": "chain_broken",
  "integrity.entry_hash": "digest_mismatch",
  "integrity.chain_root": "chain_broken",
  "integrity.entry_count": "chain_broken",
  "integrity.manifest_digest": "digest_mismatch",
};

/** The first failure of one check. `seq` is the entry's position (the seq it should have); null for document-level failures. */
export interface LedgerFailure {
  check: LedgerCheckName;
  seq: number | null;
  code: ErrorCode;
  reason: string;
  detail?: Record<string, unknown>;
}

/** At most this many distinct reason codes are kept as facts (the list stays bounded for any ledger size). */
export const MAX_REASON_CODES = 64;

export interface LedgerScan {
  mode: string | null;
  manifestVersion: string | null;
  chainVersion: string | null;
  /** Entries actually present. */
  entryCount: number;
  /** decision_ledger.entry_count as written (null when absent or not a number). */
  claimedEntryCount: number | null;
  /** decision_ledger.chain_root as written. */
  chainRoot: string | null;
  /** entry_hash of the last entry (the sentinel for an empty ledger). */
  lastEntryHash: string | null;
  claimedManifestDigest: string | null;
  computedManifestDigest: string;
  /** Distinct why.reason_code values, sorted, at most MAX_REASON_CODES. */
  reasonCodes: string[];
  reasonCodesTruncated: boolean;
  /** First failure of each check that failed. */
  failures: Partial<Record<LedgerCheckName, LedgerFailure>>;
  /** The first failure overall (document schema, then by entry position, then chain_root, entry_count, manifest_digest). */
  firstFailure: LedgerFailure | null;
  /** Passes over the bytes the digest needed (1 unless a member sorting before the entries came after them). */
  passes: number;
  /** inputs.target_path / target_sha256 as written (null when absent or not a string). */
  inputs: { target_path: string | null; target_sha256: string | null };
  /** config_hashes as written: each `<name>_sha256` key with its string value or null. */
  configHashes: Record<string, string | null>;
}

// ---------------------------------------------------------------------------------------------------------
// Schema (ajv, Draft 2020-12, precompiled by scripts/build-validators.ts: compiling it at run time costs a
// cold process hundreds of milliseconds). The skeleton (entries emptied) is validated once at the end; each
// entry, as it streams by, is validated in place inside a fixed minimal valid document (a probe), so the
// same precompiled validator checks it against #/$defs/entry. Together that is the whole schema, since the
// entries array has no constraint beyond its items.

const ZERO_DIGEST = "sha256:" + "0".repeat(64);
interface Probe {
  decision_ledger: { entries: unknown[] };
}
let probe: Probe | undefined;
function entryProbe(): Probe {
  return (probe ??= {
    manifest_version: "1.0", runmanifest_mode: "compact", run_id: "", generated_at_utc: "",
    runtime: { vulnparse_version: "", python_version: "", platform: "" },
    inputs: { target_path: "", target_sha256: null },
    config_hashes: { config_yaml_sha256: null, scoring_json_sha256: null, tn_triage_json_sha256: null },
    outputs: { json: null, csv: null, executive_markdown: null, technical_markdown: null },
    enrichment_summary: { kev_enabled: false, epss_enabled: false, nvd_enabled: null, exploit_enabled: false, stats: {} },
    pass_summaries: [],
    decision_ledger: { chain_version: "1.0", entry_count: 0, chain_root: ZERO_DIGEST, entries: [null] },
    verification: { canonicalization: "", volatile_fields_excluded: [], manifest_digest: ZERO_DIGEST },
  } as Probe);
}

const PROBE_PATH = "/decision_ledger/entries/0";

/** Schema errors of one entry (null when valid), paths rewritten to the entry's real index. */
function entrySchemaError(entry: unknown, index: number): string | null {
  const p = entryProbe();
  p.decision_ledger.entries[0] = entry;
  const v = validator(schema);
  const ok = v(p);
  p.decision_ledger.entries[0] = null;
  if (ok) return null;
  const e = v.errors?.find((x) => x.instancePath.startsWith(PROBE_PATH)) ?? v.errors?.[0];
  return ajvReason(e ? [{ ...e, instancePath: e.instancePath.replace(PROBE_PATH, "") }] : null, `/decision_ledger/entries/${index}`);
}

function ajvReason(errors: ErrorObject[] | null | undefined, base: string): string {
  const e = errors?.[0];
  if (!e) return `${base || "/"} is invalid`;
  return describeErrors([{ ...e, instancePath: base + e.instancePath }]); // the first error only, named once
}

// ---------------------------------------------------------------------------------------------------------
// Canonical pieces.

const ENTRY_HASH_FIELDS = ["component", "event_type", "evidence_digest", "prev_hash", "seq", "subject_ref", "ts", "why"] as const;
const ENTRY_HASH_KEYS = ENTRY_HASH_FIELDS.map((k) => canonicalString(k) + ":");
const TS = new Set(["ts"]);

/** The manifest with the volatile fields removed and manifest_digest nulled (shallow copies; input untouched). */
export function stripVolatile(root: JsonObject): JsonObject {
  const out = new Map(root);
  out.delete("generated_at_utc");
  const passes = out.get("pass_summaries");
  if (Array.isArray(passes)) {
    out.set(
      "pass_summaries",
      passes.map((p) => {
        if (!(p instanceof Map)) return p;
        const q = new Map(p);
        q.delete("started_at_utc");
        q.delete("ended_at_utc");
        return q;
      }),
    );
  }
  const ver = out.get("verification");
  if (ver instanceof Map) {
    const v = new Map(ver);
    v.set("manifest_digest", null);
    out.set("verification", v);
  }
  const ledger = out.get("decision_ledger");
  if (ledger instanceof Map) {
    const entries = ledger.get("entries");
    if (Array.isArray(entries) && entries.length > 0) {
      const l = new Map(ledger);
      l.set("entries", entries.map((e) => (e instanceof Map ? new Map([...e].filter(([k]) => k !== "ts")) : e)));
      out.set("decision_ledger", l);
    }
  }
  return out;
}

/**
 * Canonical text of the stripped manifest split around the entries: prefix ends with `"entries":[`,
 * suffix starts with `]`. `ledger` stands in for root's decision_ledger (which may not be in root yet).
 */
export function manifestSplit(root: JsonObject, ledger: JsonObject): { prefix: string; suffix: string } {
  const stripped = stripVolatile(root);
  const topKeys = sortPythonKeys(new Set([...stripped.keys(), "decision_ledger"]));
  let prefix = "{";
  let suffix = "";
  let afterEntries = false;
  topKeys.forEach((k, i) => {
    const sep = i ? "," : "";
    if (k !== "decision_ledger") {
      const m = sep + canonicalString(k) + ":" + canonicalize(stripped.get(k)!);
      if (afterEntries) suffix += m;
      else prefix += m;
      return;
    }
    prefix += sep + canonicalString(k) + ":{";
    sortPythonKeys(new Set([...ledger.keys(), "entries"])).forEach((lk, j) => {
      const lsep = j ? "," : "";
      if (lk === "entries") {
        prefix += lsep + canonicalString(lk) + ":[";
        suffix += "]";
        afterEntries = true;
      } else {
        const m = lsep + canonicalString(lk) + ":" + canonicalize(ledger.get(lk)!);
        if (afterEntries) suffix += m;
        else prefix += m;
      }
    });
    suffix += "}";
  });
  return { prefix, suffix: suffix + "}" };
}

/** An entry as it appears in the manifest digest (ts removed), from its members' canonical texts. */
function entryManifestForm(canon: Map<string, string>, sortedKeys: readonly string[]): string {
  let out = "{";
  let first = true;
  for (const k of sortedKeys) {
    if (k === "ts") continue;
    out += (first ? "" : ",") + canonicalKey(k) + ":" + canon.get(k)!;
    first = false;
  }
  return out + "}";
}

/** "sha256:<hex>" of the entry-hash preimage built from the entry's members' canonical texts. */
export function entryHashFromCanon(canon: ReadonlyMap<string, string>): { preimage: string; hash: string } {
  let pre = "{";
  for (let i = 0; i < ENTRY_HASH_FIELDS.length; i++) {
    pre += (i ? "," : "") + ENTRY_HASH_KEYS[i] + (canon.get(ENTRY_HASH_FIELDS[i]!) ?? "null");
  }
  pre += "}";
  // Bun's one-shot SHA-256 (same digest as node:crypto, several times cheaper per call on short inputs).
  return { preimage: pre, hash: "sha256:" + Bun.SHA256.hash(pre, "hex") };
}

// ---------------------------------------------------------------------------------------------------------

const HASH_FLUSH = 1 << 16;

/** Buffers small updates (strings, or bytes from the fast path) into large ones (one native call per ~64 KiB). */
class BufferedHash {
  #h = new Bun.CryptoHasher("sha256");
  #pending = "";
  #bytes = new Uint8Array(HASH_FLUSH);
  #n = 0;
  update(s: string): void {
    if (this.#n) this.#flushBytes();
    this.#pending += s;
    if (this.#pending.length >= HASH_FLUSH) {
      this.#h.update(this.#pending);
      this.#pending = "";
    }
  }
  /** Room for `len` bytes at the end of the byte buffer (flushed first when short); returns the buffer. */
  reserve(len: number): Uint8Array {
    if (this.#pending) {
      this.#h.update(this.#pending);
      this.#pending = "";
    }
    if (this.#n + len > HASH_FLUSH) this.#flushBytes();
    return this.#bytes;
  }
  get length(): number {
    return this.#n;
  }
  /** After writing into reserve()'s buffer: the new end. */
  commit(n: number): void {
    this.#n = n;
  }
  /** Append bytes [0, len) of src, after a comma when `comma`. */
  updateBytes(src: Uint8Array, len: number, comma: boolean): void {
    if (this.#pending) {
      this.#h.update(this.#pending);
      this.#pending = "";
    }
    if (this.#n + len + 1 > HASH_FLUSH) this.#flushBytes();
    if (len + 1 > HASH_FLUSH) {
      if (comma) this.#h.update(",");
      this.#h.update(src.subarray(0, len));
      return;
    }
    if (comma) this.#bytes[this.#n++] = 0x2c;
    this.#bytes.set(src.subarray(0, len), this.#n);
    this.#n += len;
  }
  #flushBytes(): void {
    this.#h.update(this.#bytes.subarray(0, this.#n));
    this.#n = 0;
  }
  hex(): string {
    if (this.#n) this.#flushBytes();
    if (this.#pending) this.#h.update(this.#pending);
    this.#pending = "";
    return this.#h.digest("hex");
  }
}

/** Bytes of the entries stretch kept between chunks beyond which the rest goes the slow way. */
const MAX_CARRY = 1 << 20;
/** Bytes in hand from which the native lane starts at once (a ledger this large repays its compile). */
const NATIVE_BYTES = 1 << 18;
/** Head of a chunk joined to the carry to finish the entry cut by the boundary (over fast.ts's entry cap). */
const BOUNDARY_HEAD = 2 * MAX_ENTRY;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Options of a LedgerScanner (tests compare the two paths). */
export interface LedgerScanOptions {
  /** Use the byte-level fast path for entries it can prove canonical and valid (default true). */
  fast?: boolean;
  /**
   * Use the native lane (native.c through Bun's TinyCC) for producer-shaped entries, where it is available
   * (default true). It starts after `nativeAfter` entries taken by fast.ts (default 256), or at once when
   * a chunk holds 256 KiB of entries, so a small ledger does not pay its ~10 ms compile.
   */
  native?: boolean;
  nativeAfter?: number;
}

const STREAM_PATH = ["decision_ledger", "entries"] as const;

/** Bytes in, LedgerScan out. Feed the whole file, then call finish(); it may ask for a second pass. */
export class LedgerScanner {
  #builder: TreeBuilder;
  #tok: JsonTokenizer;
  #count = 0;
  /** The last entry's stored entry_hash (the sentinel before any entry): what the next prev_hash and, at the end, chain_root must equal. */
  #lastEntryHash: string | null = EMPTY_LEDGER_ROOT;
  #failures: Partial<Record<LedgerCheckName, LedgerFailure>> = {};
  #entrySchemaFailure: LedgerFailure | undefined;
  #reasonCodes = new Set<string>();
  #reasonCodesTruncated = false;
  /** Set when the entries array opens: the speculative digest prefix and the hash the entries stream into. */
  #stream: { prefix: string; digest: BufferedHash } | undefined;

  // The fast path (fast.ts). Mode 0: the tokenizer reads the document up to the entries array (fed up to
  // each '[' so it can stop right after the one that opens the entries); mode 1: entries are read by the
  // fast path, straight from the bytes; mode 2: the tokenizer reads everything (the fast path is off, or it
  // met an entry it could not prove, or the end of the entries). Entries the fast path accepted are never
  // seen by the tokenizer: it is told how many characters they took (messages keep their offsets), and a
  // stand-in `null` (dropped) puts it in the state "after an array element" before it reads on.
  #mode: 0 | 1 | 2;
  #opened = false;
  #fast: FastEntryParser | undefined;
  #carry: Uint8Array | null = null;
  #fastCount = 0;
  #fastBytes = 0;
  #indexBase = 0;
  #standIn = false;
  #codeCache = new Map<number, string>();
  /** Entries the fast path accepted, all lanes (for tests and the bench). */
  fastEntries = 0;
  /** Of those, the entries the native lane accepted. */
  nativeEntries = 0;
  /** The native lane: undefined until first wanted, null when off or unavailable. */
  #native: NativeLane | null | undefined;
  #nativeAfter: number;

  constructor(opts: LedgerScanOptions = {}) {
    this.#mode = opts.fast === false ? 2 : 0;
    this.#native = opts.native === false ? null : undefined;
    this.#nativeAfter = opts.nativeAfter ?? 256;
    this.#builder = new TreeBuilder({
      streamAt: STREAM_PATH,
      onStreamOpen: (anc) => this.#onStreamOpen(anc),
      onItem: (item, index) => {
        if (this.#standIn && index === 0) return;
        this.#onEntry(item, index + this.#indexBase);
      },
    });
    this.#tok = new JsonTokenizer(this.#builder);
  }

  feed(chunk: Uint8Array): void {
    if (this.#mode === 2) return this.#tok.feedBytes(chunk);
    if (this.#mode === 1) return this.#fastFeed(chunk);
    let p = 0;
    while (p < chunk.length) {
      const k = chunk.indexOf(0x5b, p);
      if (k < 0) return this.#tok.feedBytes(p ? chunk.subarray(p) : chunk);
      this.#tok.feedBytes(chunk.subarray(p, k + 1));
      p = k + 1;
      if (this.#opened) {
        this.#mode = 1;
        this.#fast = new FastEntryParser(EMPTY_LEDGER_ROOT);
        return this.#fastFeed(chunk.subarray(p));
      }
    }
  }

  #fastFeed(chunk: Uint8Array): void {
    let buf = chunk;
    let from = 0;
    const carry = this.#carry;
    if (carry) {
      this.#carry = null;
      // The entry cut by the chunk boundary is finished in a small buffer (the carry and the chunk's head:
      // more than an entry may take), so the chunk itself is never copied; whatever that entry needs, the
      // head holds it or the entry is over fast.ts's cap (declined alike in either buffer).
      const take = Math.min(chunk.length, BOUNDARY_HEAD);
      if (take < chunk.length) {
        const small = concat(carry, chunk.subarray(0, take));
        const seg = this.#fastRun(small, 0, chunk.subarray(take));
        if (seg < 0) return; // the rest went to the slow path
        if (seg >= carry.length) from = seg - carry.length;
        else buf = concat(small.subarray(seg), chunk.subarray(take)); // not one entry further: as before
      } else buf = concat(carry, chunk);
    }
    const seg = this.#fastRun(buf, from, null);
    if (seg < 0) return;
    const n = buf.length;
    if (n - seg > MAX_CARRY) return this.#toSlow(buf, seg);
    this.#carry = seg < n ? buf.slice(seg) : null;
  }

  /**
   * Entries from buf[from] (just after an accepted entry, or the '['), by the native lane and fast.ts, until
   * the bytes run out inside one: returns the position after the last accepted entry. Returns -1 when it
   * handed the rest to the slow path (buf from there, then `tail`, the bytes after buf in this chunk).
   */
  #fastRun(buf: Uint8Array, from: number, tail: Uint8Array | null): number {
    const fast = this.#fast!;
    const n = buf.length;
    let p = from;
    let seg = from; // just after the last accepted entry (or the '[')
    for (;;) {
      p = skipWs(buf, p, n);
      if (p >= n) break;
      if (this.#fastCount > 0) {
        if (buf[p] !== 0x2c) return this.#toSlowRun(buf, seg, tail); // ']' (the end) or something the tokenizer will judge
        p = skipWs(buf, p + 1, n);
        if (p >= n) break;
      }
      if (buf[p] !== 0x7b) return this.#toSlowRun(buf, seg, tail);
      if ((this.#fastCount >= this.#nativeAfter || n - p >= NATIVE_BYTES) && this.#native !== null) {
        const lane = (this.#native ??= nativeLane()); // null from then on when there is no TinyCC
        const e = lane ? this.#nativeBatch(lane, fast, buf, n, p, seg) : 0;
        if (e > 0) {
          seg = p = e;
          continue;
        }
      }
      const q = fast.entry(buf, p, n, this.#fastCount + 1);
      if (q === NEED_MORE) break;
      if (q === REJECT) return this.#toSlowRun(buf, seg, tail);
      this.#acceptFast(fast);
      this.#fastBytes += q - seg;
      seg = p = q;
    }
    return seg;
  }

  #toSlowRun(buf: Uint8Array, seg: number, tail: Uint8Array | null): number {
    this.#toSlow(buf, seg);
    if (tail?.length) this.#tok.feedBytes(tail);
    return -1;
  }

  /**
   * Entries from buf[p] by the native lane; returns the position after the last it accepted, or 0 when it
   * took none (fast.ts then judges the entry at p). It links and checks each as fast.ts would, sharing
   * fast.ts's lastHash.
   */
  #nativeBatch(lane: NativeLane, fast: FastEntryParser, buf: Uint8Array, n: number, p: number, seg: number): number {
    const k = lane.run(buf, n, p, this.#fastCount + 1, this.#fastCount > 0, fast.lastHash);
    if (k === 0) return 0;
    const meta = lane.meta;
    const last = (k - 1) * 8;
    this.#stream?.digest.updateBytes(lane.man, meta[last + 2]!, false);
    for (let i = 0, m = 0; i < k; i++, m += 8) if (meta[m + 5]! >= 0) this.#noteCode(buf, meta[m + 5]!, meta[m + 6]!, meta[m + 7]!);
    this.#fastCount += k;
    this.#count = this.#fastCount;
    this.fastEntries += k;
    this.nativeEntries += k;
    const end = meta[last + 3]!;
    this.#fastBytes += end - seg;
    return end;
  }

  /** Record why.reason_code held in bytes [a, b) (ASCII, no escapes); h is a hash of it, the cache key (the bytes are compared). */
  #noteCode(bytes: Uint8Array, a: number, b: number, h: number): void {
    let code = this.#codeCache.get(h);
    let same = code !== undefined && code.length === b - a;
    for (let i = 0; same && i < b - a; i++) same = code!.charCodeAt(i) === bytes[a + i];
    if (!same) {
      code = String.fromCharCode(...bytes.subarray(a, b));
      if (this.#codeCache.size < 1024) this.#codeCache.set(h, code);
    }
    if (!this.#reasonCodes.has(code!)) {
      if (this.#reasonCodes.size < MAX_REASON_CODES) this.#reasonCodes.add(code!);
      else this.#reasonCodesTruncated = true;
    }
  }

  #acceptFast(fast: FastEntryParser): void {
    const index = this.#fastCount++;
    this.#count = index + 1;
    this.fastEntries++;
    const digest = this.#stream?.digest;
    if (digest) {
      const room = fast.manifestBound + 2;
      if (room + 1 > HASH_FLUSH) {
        const tmp = new Uint8Array(room);
        digest.updateBytes(tmp, fast.writeManifest(tmp, 0), index > 0);
      } else {
        const dst = digest.reserve(room);
        let n = digest.length;
        if (index > 0) dst[n++] = 0x2c;
        digest.commit(fast.writeManifest(dst, n));
      }
    }
    const out = fast.out;
    const a = fast.codeStart, b = fast.codeEnd;
    let h = 0x811c9dc5;
    for (let i = a; i < b; i++) h = Math.imul(h ^ out[i]!, 0x01000193);
    this.#noteCode(out, a, b, h);
  }

  /** Hand the rest (buf from `from` on) to the tokenizer, for good. */
  #toSlow(buf: Uint8Array, from: number): void {
    this.#mode = 2;
    this.#carry = null;
    if (this.#fastCount > 0) {
      this.#lastEntryHash = this.#fast!.lastHashString();
      this.#tok.skipped(this.#fastBytes - 4); // ASCII only: bytes are characters
      this.#standIn = true;
      this.#indexBase = this.#fastCount - 1;
      this.#tok.feed("null");
    }
    if (from < buf.length) this.#tok.feedBytes(buf.subarray(from));
  }

  #fail(f: Omit<LedgerFailure, "code">): void {
    if (!this.#failures[f.check]) this.#failures[f.check] = { ...f, code: CHECK_CODE[f.check] };
  }

  #onStreamOpen(ancestors: readonly JsonObject[]): void {
    const [root, ledger] = ancestors as [JsonObject, JsonObject];
    const prefix = manifestSplit(root, ledger).prefix;
    const digest = new BufferedHash();
    digest.update(prefix);
    this.#stream = { prefix, digest };
    this.#opened = true;
  }

  #onEntry(item: JsonTree, index: number): void {
    const seq = index + 1;
    this.#count = seq;
    if (!(item instanceof Map)) {
      this.#entrySchemaFailure ??= {
        check: "integrity.schema", seq, code: "schema_invalid",
        reason: `seq ${seq}: /decision_ledger/entries/${index} must be object`,
      };
      this.#fail({ check: "integrity.seq", seq, reason: `entry at position ${seq} is not an object, so it has no seq (expected ${seq})` });
      this.#stream?.digest.update((index ? "," : "") + canonicalize(item));
      this.#lastEntryHash = null;
      return;
    }
    if (!this.#entrySchemaFailure) {
      const problem = entrySchemaError(toPlain(item), index);
      if (problem) this.#entrySchemaFailure = { check: "integrity.schema", seq, code: "schema_invalid", reason: `seq ${seq}: ${problem}` };
    }
    const sortedKeys = sortPythonKeys(item.keys());
    const canon = new Map<string, string>();
    for (const k of sortedKeys) canon.set(k, canonicalize(item.get(k)!));

    const s = item.get("seq");
    if (!(s instanceof JsonNumber) || s.value !== seq) {
      const shown = s === undefined ? "no seq" : `seq ${canon.get("seq")}`;
      this.#fail({
        check: "integrity.seq", seq,
        reason: `entry at position ${seq} has ${shown}; seq must run 1, 2, 3, … without gaps (expected ${seq})`,
        detail: { position: seq, found: s === undefined ? null : toPlain(s) },
      });
    }

    const prev = item.get("prev_hash");
    if (prev !== this.#lastEntryHash) {
      const target = seq === 1 ? "the empty-ledger sentinel" : `the entry_hash of seq ${seq - 1}`;
      this.#fail({
        check: "integrity.prev_hash", seq,
        reason: `seq ${seq}: prev_hash ${show(prev)} does not link to ${target} (${this.#lastEntryHash ?? "missing"})`,
        detail: { expected: this.#lastEntryHash, found: toPlain(prev ?? null) },
      });
    }

    const { hash } = entryHashFromCanon(canon);
    const stored = item.get("entry_hash");
    if (stored !== hash) {
      this.#fail({
        check: "integrity.entry_hash", seq,
        reason: `seq ${seq}: entry_hash ${show(stored)} does not match the recomputed hash of the entry's fields (${hash})`,
        detail: { expected: hash, found: toPlain(stored ?? null) },
      });
    }
    this.#lastEntryHash = typeof stored === "string" ? stored : null;

    this.#stream?.digest.update((index ? "," : "") + entryManifestForm(canon, sortedKeys));

    const why = item.get("why");
    const code = why instanceof Map ? why.get("reason_code") : undefined;
    if (typeof code === "string" && !this.#reasonCodes.has(code)) {
      if (this.#reasonCodes.size < MAX_REASON_CODES) this.#reasonCodes.add(code);
      else this.#reasonCodesTruncated = true;
    }
  }

  /** Finish pass 1. When the digest needs a second pass, `secondPass` is set: feed it the same bytes. */
  finish(): { scan: LedgerScan } | { secondPass: DigestPass; complete(digestHex: string): LedgerScan } {
    if (this.#mode === 1) this.#toSlow(this.#carry ?? new Uint8Array(0), 0);
    this.#tok.end();
    const root = this.#builder.root;
    if (!(root instanceof Map)) {
      this.#fail({ check: "integrity.schema", seq: null, reason: `the document is ${typeName(root)}, not an object` });
      return { scan: this.#complete(root, sha256Hex(canonicalize(root))) };
    }
    const ledger = root.get("decision_ledger");
    const stream = this.#stream;
    if (!stream || !(ledger instanceof Map)) {
      return { scan: this.#complete(root, sha256Hex(canonicalize(stripVolatile(root)))) };
    }
    const { prefix, suffix } = manifestSplit(root, ledger);
    if (prefix === stream.prefix) {
      stream.digest.update(suffix);
      return { scan: this.#complete(root, stream.digest.hex()) };
    }
    // A member sorting before the entries came after them: hash the entries again with the right prefix.
    const second = new DigestPass(prefix, suffix);
    return { secondPass: second, complete: (hex: string) => this.#complete(root, hex, 2) };
  }

  #complete(root: JsonTree, digestHex: string, passes = 1): LedgerScan {
    const computed = "sha256:" + digestHex;
    const rootMap = root instanceof Map ? root : undefined;
    const ledger = rootMap?.get("decision_ledger");
    const ledgerMap = ledger instanceof Map ? ledger : undefined;
    const ver = rootMap?.get("verification");
    const claimedDigest = ver instanceof Map ? ver.get("manifest_digest") : undefined;

    // Document-level schema (entries were checked one by one).
    let docSchemaFailure: LedgerFailure | undefined;
    if (rootMap) {
      const v = validator(schema);
      if (!v(toPlain(rootMap))) {
        docSchemaFailure = { check: "integrity.schema", seq: null, code: "schema_invalid", reason: ajvReason(v.errors, "") };
      }
    }
    const schemaFailure = this.#failures["integrity.schema"] ?? docSchemaFailure ?? this.#entrySchemaFailure;
    if (schemaFailure) this.#failures["integrity.schema"] = schemaFailure;

    const n = this.#count;
    const chainRoot = ledgerMap?.get("chain_root");
    if (chainRoot !== this.#lastEntryHash || this.#lastEntryHash === null) {
      const what = n === 0 ? "the empty-ledger sentinel" : `the entry_hash of the last entry (seq ${n})`;
      this.#fail({
        check: "integrity.chain_root", seq: n === 0 ? null : n,
        reason: `decision_ledger.chain_root ${show(chainRoot)} is not ${what} (${this.#lastEntryHash ?? "missing"})`,
        detail: { expected: this.#lastEntryHash, found: toPlain(chainRoot ?? null) },
      });
    }
    const claimedCount = ledgerMap?.get("entry_count");
    const claimedN = claimedCount instanceof JsonNumber ? claimedCount.value : null;
    if (claimedN !== n) {
      this.#fail({
        check: "integrity.entry_count", seq: null,
        reason: `decision_ledger.entry_count is ${claimedCount instanceof JsonNumber ? claimedCount.source : show(claimedCount)} but the ledger holds ${n} entr${n === 1 ? "y" : "ies"}`,
        detail: { expected: n, found: toPlain(claimedCount ?? null) },
      });
    }
    if (claimedDigest !== computed) {
      this.#fail({
        check: "integrity.manifest_digest", seq: null,
        reason: `verification.manifest_digest ${show(claimedDigest)} does not match the recomputed digest of the canonical manifest without its volatile fields (${computed})`,
        detail: { expected: computed, found: toPlain(claimedDigest ?? null) },
      });
    }

    const str = (v: JsonTree | undefined) => (typeof v === "string" ? v : null);
    const inputs = rootMap?.get("inputs");
    const inputsMap = inputs instanceof Map ? inputs : undefined;
    const config = rootMap?.get("config_hashes");
    const configMap = config instanceof Map ? config : undefined;
    return {
      mode: str(rootMap?.get("runmanifest_mode")),
      manifestVersion: str(rootMap?.get("manifest_version")),
      chainVersion: str(ledgerMap?.get("chain_version")),
      entryCount: n,
      claimedEntryCount: claimedN,
      chainRoot: str(chainRoot),
      lastEntryHash: this.#lastEntryHash,
      claimedManifestDigest: str(claimedDigest),
      computedManifestDigest: computed,
      reasonCodes: [...this.#reasonCodes].sort(comparePythonStrings),
      reasonCodesTruncated: this.#reasonCodesTruncated,
      failures: this.#failures,
      firstFailure: firstFailure(this.#failures, docSchemaFailure !== undefined),
      passes,
      inputs: {
        target_path: str(inputsMap?.get("target_path")),
        target_sha256: str(inputsMap?.get("target_sha256")),
      },
      configHashes: Object.fromEntries([...(configMap?.entries() ?? [])].map(([k, v]) => [k, str(v)])),
    };
  }
}

/** Second pass: re-hash the entries (ts removed) between a known prefix and suffix. */
export class DigestPass {
  #tok: JsonTokenizer;
  #hash = new BufferedHash();
  #suffix: string;
  constructor(prefix: string, suffix: string) {
    this.#suffix = suffix;
    this.#hash.update(prefix);
    const builder = new TreeBuilder({
      streamAt: STREAM_PATH,
      onItem: (item, index) => {
        const form = item instanceof Map ? "{" + canonicalMembers(item, TS).join(",") + "}" : canonicalize(item);
        this.#hash.update((index ? "," : "") + form);
      },
    });
    this.#tok = new JsonTokenizer(builder);
  }
  feed(chunk: Uint8Array): void {
    this.#tok.feedBytes(chunk);
  }
  finish(): string {
    this.#tok.end();
    this.#hash.update(this.#suffix);
    return this.#hash.hex();
  }
}

const ORDER: Record<LedgerCheckName, number> = {
  "integrity.schema": 0, "integrity.seq": 1, "integrity.prev_hash": 2, "integrity.entry_hash": 3,
  "integrity.chain_root": 4, "integrity.entry_count": 5, "integrity.manifest_digest": 6,
};

function firstFailure(f: Partial<Record<LedgerCheckName, LedgerFailure>>, docSchema: boolean): LedgerFailure | null {
  const all = Object.values(f).filter((x): x is LedgerFailure => x !== undefined);
  const rank = (x: LedgerFailure): number => {
    if (x.check === "integrity.schema" && docSchema) return -1;
    if (ORDER[x.check] <= 3 && x.seq !== null) return x.seq * 8 + ORDER[x.check];
    return Number.MAX_SAFE_INTEGER - 8 + ORDER[x.check];
  };
  all.sort((a, b) => rank(a) - rank(b));
  return all[0] ?? null;
}

function typeName(v: JsonTree): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v instanceof JsonNumber) return "a number";
  return `a ${typeof v}`;
}

function show(v: JsonTree | undefined): string {
  if (v === undefined) return "(missing)";
  if (typeof v === "string") return v;
  return `${canonicalize(v).slice(0, 80)}`;
}

const CHUNK = 1 << 20;

/** Scan a ledger held in memory (one pass, or two when keys are out of the usual order). */
export function scanLedgerBytes(bytes: Uint8Array, opts?: LedgerScanOptions): LedgerScan {
  const s = new LedgerScanner(opts);
  for (let i = 0; i < bytes.length; i += CHUNK) s.feed(bytes.subarray(i, i + CHUNK));
  const r = s.finish();
  if ("scan" in r) return r.scan;
  for (let i = 0; i < bytes.length; i += CHUNK) r.secondPass.feed(bytes.subarray(i, i + CHUNK));
  return r.complete(r.secondPass.finish());
}

/** Scan a ledger read in chunks, synchronously (bounded memory); `open` is called again if a second pass is needed. */
export function scanLedgerChunks(open: () => Iterable<Uint8Array>, opts?: LedgerScanOptions): LedgerScan {
  const s = new LedgerScanner(opts);
  for (const chunk of open()) s.feed(chunk);
  const r = s.finish();
  if ("scan" in r) return r.scan;
  for (const chunk of open()) r.secondPass.feed(chunk);
  return r.complete(r.secondPass.finish());
}

/** Scan a ledger read as a stream (bounded memory); `open` is called again if a second pass is needed. */
export async function scanLedgerStream(open: () => AsyncIterable<Uint8Array>, opts?: LedgerScanOptions): Promise<LedgerScan> {
  const s = new LedgerScanner(opts);
  for await (const chunk of open()) s.feed(chunk);
  const r = s.finish();
  if ("scan" in r) return r.scan;
  for await (const chunk of open()) r.secondPass.feed(chunk);
  return r.complete(r.secondPass.finish());
}
