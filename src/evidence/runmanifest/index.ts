// Evidence kind "runmanifest": a RunManifest (runmanifest.json) and its hash-chained decision ledger.
// The whole file is checked in one streaming pass (scan.ts): the entries are never held in memory, so a
// ledger of a million entries costs the bytes of the file and little else.
// A hash chain is tamper evidence, not a signature: signature.status is always "unsigned" and nothing here
// says who wrote the ledger.
import { basename, dirname, resolve } from "node:path";
import { JsonTokenizer, type JsonSink } from "../../core/canonical-json.ts";
import type { Check, EvidenceKind, EvidenceRecord, SourceFile } from "../types.ts";
import { TollgateError } from "../../core/errors.ts";
import { LEDGER_CHECKS, scanLedgerChunks, type LedgerScan } from "./scan.ts";

const SNIFF_MODE = Buffer.from('"runmanifest_mode"');
const SNIFF_LEDGER = Buffer.from('"decision_ledger"');

/**
 * Content sniffing (the file may be hundreds of megabytes, so never a full parse, and never the whole file in
 * memory): a quick byte search for both key names, then a streaming look at the top-level keys only, stopping as
 * soon as `runmanifest_mode` and `decision_ledger` have both been seen there. The second step keeps documents
 * that merely embed a RunManifest (an in-toto statement whose predicate is one, say) out of this kind.
 */
export function looksLikeRunManifest(bytes: Uint8Array | (() => Iterable<Uint8Array>)): boolean {
  const open = typeof bytes === "function" ? bytes : () => [bytes];
  let first = true;
  let sawMode = false;
  let sawLedger = false;
  let tail = Buffer.alloc(0);
  for (const chunk of open()) {
    if (first && chunk.length > 0) {
      first = false;
      let i = 0;
      while (i < chunk.length && (chunk[i] === 0x20 || chunk[i] === 0x0a || chunk[i] === 0x0d || chunk[i] === 0x09)) i++;
      if (i < chunk.length && chunk[i] !== 0x7b) return false;
      if (i === chunk.length) first = true; // all whitespace so far
    }
    // The key names may straddle two chunks: search the end of the previous one too.
    const b = Buffer.concat([tail, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)]);
    sawMode ||= b.indexOf(SNIFF_MODE) >= 0;
    sawLedger ||= b.indexOf(SNIFF_LEDGER) >= 0;
    if (sawMode && sawLedger) break;
    tail = Buffer.from(b.subarray(Math.max(0, b.length - SNIFF_LEDGER.length)));
  }
  if (first || !sawMode || !sawLedger) return false;
  return topLevelHasKeys(open, ["runmanifest_mode", "decision_ledger"]);
}

const FOUND = Symbol("found");

function topLevelHasKeys(open: () => Iterable<Uint8Array>, wanted: readonly string[]): boolean {
  const missing = new Set(wanted);
  let depth = 0;
  const sink: JsonSink = {
    beginObject: () => void depth++,
    endObject: () => void depth--,
    beginArray: () => void depth++,
    endArray: () => void depth--,
    key(k) {
      if (depth === 1 && missing.delete(k) && missing.size === 0) throw FOUND;
    },
    string() {},
    number() {},
    literal() {},
  };
  const tok = new JsonTokenizer(sink);
  try {
    for (const chunk of open()) for (let i = 0; i < chunk.length; i += 1 << 16) tok.feedBytes(chunk.subarray(i, i + (1 << 16)));
    tok.end();
  } catch (e) {
    if (e instanceof TollgateError && e.code !== "malformed") throw e; // a file that changed, a limit: not "no"
    return e === FOUND;
  }
  return false;
}

/** The scan's outcome as checks, one per named check, in LEDGER_CHECKS order. */
export function ledgerChecks(scan: LedgerScan): Check[] {
  return LEDGER_CHECKS.map((name) => {
    const f = scan.failures[name];
    if (!f) return { name, ok: true };
    return { name, ok: false, code: f.code, reason: f.reason, detail: { seq: f.seq, ...f.detail } };
  });
}

/** Facts policies read. */
export function ledgerFacts(scan: LedgerScan): Record<string, unknown> {
  const ff = scan.firstFailure;
  return {
    mode: scan.mode,
    manifest_version: scan.manifestVersion,
    chain_version: scan.chainVersion,
    entry_count: scan.entryCount,
    claimed_entry_count: scan.claimedEntryCount,
    head: scan.chainRoot,
    manifest_digest: scan.claimedManifestDigest,
    reason_codes: scan.reasonCodes,
    reason_codes_truncated: scan.reasonCodesTruncated,
    first_failure: ff ? { seq: ff.seq, check: ff.check, reason: ff.reason } : null,
  };
}

// ---- inputs and config_hashes bound to the files the user passes ---------------------------------------------
// The manifest records the scanned target (inputs.target_path, target_sha256) and the hashes of the run's config
// files (config_hashes.<name>_<ext>_sha256: config.yaml, scoring.json, tn_triage.json). When the user passes
// one of those files in the same invocation, its raw bytes must hash to what the manifest records; files not
// passed are not checked (facts say `not_supplied`).

export interface BoundFile {
  field: string;
  name: string;
  expected: string | null;
}

/** The files a manifest names: the target and each config hash (`config_yaml_sha256` → `config.yaml`). */
export function boundFiles(scan: LedgerScan): BoundFile[] {
  const out: BoundFile[] = [];
  if (scan.inputs.target_path) out.push({ field: "inputs.target_sha256", name: scan.inputs.target_path, expected: scan.inputs.target_sha256 });
  for (const [key, expected] of Object.entries(scan.configHashes)) {
    const m = /^(.+)_([A-Za-z0-9]+)_sha256$/.exec(key);
    if (m) out.push({ field: `config_hashes.${key}`, name: `${m[1]}.${m[2]}`, expected });
  }
  return out;
}

/** The supplied files that are `name` (same path, or same file name), those beside the manifest first. */
function candidates(manifest: SourceFile, files: readonly SourceFile[], name: string): SourceFile[] {
  const want = resolve(dirname(manifest.path), name);
  const matches = files.filter((f) => f !== manifest && (resolve(f.path) === want || resolve(f.path) === resolve(name) || basename(f.path) === basename(name)));
  const beside = matches.filter((f) => dirname(resolve(f.path)) === dirname(resolve(manifest.path)));
  return beside.length ? beside : matches;
}

const hexOf = (d: string) => d.toLowerCase().replace(/^sha256:/, "");

export function bindingChecks(scan: LedgerScan, manifest: SourceFile, files: readonly SourceFile[]): Check[] {
  const checks: Check[] = [];
  for (const b of boundFiles(scan)) {
    const found = candidates(manifest, files, b.name);
    if (found.length === 0) continue;
    const name = `binding.${b.field.split(".").pop()}`;
    if (found.length > 1) {
      checks.push({ name, ok: false, code: "binding_failed", reason: `${b.field} names ${b.name}, which ${found.length} supplied files could be: ${found.map((f) => f.path).join(", ")}`, detail: { field: b.field, paths: found.map((f) => f.path) } });
      continue;
    }
    const f = found[0]!;
    const detail = { field: b.field, path: f.path, expected: b.expected, actual: `sha256:${f.sha256}` };
    if (b.expected === null) checks.push({ name, ok: false, code: "binding_failed", reason: `${f.path} was supplied but the manifest records no ${b.field} for it`, detail });
    else if (hexOf(b.expected) !== f.sha256) checks.push({ name, ok: false, code: "digest_mismatch", reason: `${f.path} hashes to sha256:${f.sha256} (raw bytes) but the manifest's ${b.field} is ${b.expected}`, detail });
    else checks.push({ name, ok: true, detail });
  }
  return checks;
}

function bindingFacts(scan: LedgerScan, checks: Check[]) {
  return boundFiles(scan).map((b) => {
    const c = checks.find((x) => x.detail?.field === b.field);
    return {
      field: b.field,
      name: b.name,
      expected: b.expected,
      path: (c?.detail?.path as string | undefined) ?? null,
      status: !c ? "not_supplied" : c.ok ? "verified" : "failed",
      ...(c && !c.ok ? { reason: c.reason } : {}),
    };
  });
}

export const runManifestKind: EvidenceKind<LedgerScan> = {
  name: "runmanifest",
  detect(file: SourceFile): boolean {
    // Streamed (file.chunks): a large ledger is never loaded whole, here or in parse.
    return looksLikeRunManifest(() => file.chunks());
  },
  parse(file: SourceFile): LedgerScan {
    // Pure and deterministic; hashing happens here because the document is only ever seen as a stream.
    return scanLedgerChunks(() => file.chunks());
  },
  async verify(scan: LedgerScan, file, ctx): Promise<Check[]> {
    return [...ledgerChecks(scan), ...bindingChecks(scan, file, ctx.files)];
  },
  materials(file, all, scan) {
    if (!scan) return [];
    return boundFiles(scan).flatMap((b) => {
      const found = candidates(file, all, b.name);
      return found.length === 1 ? [found[0]!.path] : [];
    });
  },
  normalize(scan: LedgerScan, checks: Check[], file: SourceFile): EvidenceRecord[] {
    const ff = scan.firstFailure;
    const bindings = bindingFacts(scan, checks);
    return [
      {
        id: `sha256:${file.sha256}`,
        kind: "runmanifest",
        source: { path: file.path, digest: { sha256: file.sha256 }, format: "runmanifest-json" },
        signature: { status: "unsigned", signers: [], reason: "a hash-chained ledger is tamper evidence, not a signature" },
        transparency: { status: "absent" },
        integrity: ff ? { status: "failed", reason: `${ff.check}: ${ff.reason}` } : { status: "verified" },
        checks,
        facts: { ...ledgerFacts(scan), bindings },
      },
    ];
  },
};
