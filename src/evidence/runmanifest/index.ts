// Evidence kind "runmanifest": a RunManifest (runmanifest.json) and its hash-chained decision ledger.
// The whole file is checked in one streaming pass (scan.ts): the entries are never held in memory, so a
// ledger of a million entries costs the bytes of the file and little else.
// A hash chain is tamper evidence, not a signature: signature.status is always "unsigned" and nothing here
// says who wrote the ledger.
import { JsonTokenizer, type JsonSink } from "../../core/canonical-json.ts";
import type { Check, EvidenceKind, EvidenceRecord, SourceFile } from "../types.ts";
import { LEDGER_CHECKS, scanLedgerBytes, type LedgerScan } from "./scan.ts";

const SNIFF_MODE = Buffer.from('"runmanifest_mode"');
const SNIFF_LEDGER = Buffer.from('"decision_ledger"');

/**
 * Content sniffing (the file may be hundreds of megabytes, so never a full parse): a quick byte search for
 * both key names, then a streaming look at the top-level keys only, stopping as soon as `runmanifest_mode`
 * and `decision_ledger` have both been seen there. The second step keeps documents that merely embed a
 * RunManifest (an in-toto statement whose predicate is one, say) out of this kind.
 */
export function looksLikeRunManifest(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] !== 0x7b) return false;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.indexOf(SNIFF_MODE) < 0 || b.indexOf(SNIFF_LEDGER) < 0) return false;
  return topLevelHasKeys(bytes, ["runmanifest_mode", "decision_ledger"]);
}

const FOUND = Symbol("found");

function topLevelHasKeys(bytes: Uint8Array, wanted: readonly string[]): boolean {
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
    for (let i = 0; i < bytes.length; i += 1 << 16) tok.feedBytes(bytes.subarray(i, i + (1 << 16)));
    tok.end();
  } catch (e) {
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

export const runManifestKind: EvidenceKind<LedgerScan> = {
  name: "runmanifest",
  detect(file: SourceFile): boolean {
    try {
      return looksLikeRunManifest(file.bytes);
    } catch {
      return false;
    }
  },
  parse(file: SourceFile): LedgerScan {
    // Pure and deterministic; hashing happens here because the document is only ever seen as a stream.
    return scanLedgerBytes(file.bytes);
  },
  async verify(scan: LedgerScan): Promise<Check[]> {
    return ledgerChecks(scan);
  },
  normalize(scan: LedgerScan, checks: Check[], file: SourceFile): EvidenceRecord[] {
    const ff = scan.firstFailure;
    return [
      {
        id: `sha256:${file.sha256}`,
        kind: "runmanifest",
        source: { path: file.path, digest: { sha256: file.sha256 }, format: "runmanifest-json" },
        signature: { status: "unsigned", signers: [], reason: "a hash-chained ledger is tamper evidence, not a signature" },
        transparency: { status: "absent" },
        integrity: ff ? { status: "failed", reason: `${ff.check}: ${ff.reason}` } : { status: "verified" },
        checks,
        facts: ledgerFacts(scan),
      },
    ];
  },
};
