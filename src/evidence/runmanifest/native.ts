// The native lane of the ledger scan: native.c compiled once per process by Bun's built-in TinyCC
// (bun:ffi `cc`), parsing a batch of entries with fast.ts's acceptance rules and composing their hash
// inputs, so JavaScript does no per-byte work (JSC runs a JS byte loop at ~3 ns a byte on this machine,
// the C at a fraction of that). JavaScript still takes every SHA-256 (Bun's, native) and every decision
// that is not byte work.
//
// Optional by design: where TinyCC is not there (a platform Bun ships without it) or cannot compile it,
// nativeLane() returns null and the scan runs fast.ts alone, with the same results.
import { cc } from "bun:ffi";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { nodeOs } from "../../core/lazy.ts";
import { join } from "node:path";
import nativeSource from "./native.c" with { type: "file" };

/** Entries one call may take (meta rows). */
export const NATIVE_BATCH = 4096;
const META = 8;
const BUF = 2 << 20;

interface Symbols {
  ledger_scan(buf: Uint8Array, len: number, last: Uint8Array, scr: Uint8Array, scrcap: number, pre: Uint8Array, precap: number, man: Uint8Array, mancap: number, meta: Int32Array, metacap: number, ctl: Int32Array, ctab: Int32Array, cbytes: Uint8Array): number;
  ledger_verify(buf: Uint8Array, len: number, dig: Uint8Array, diglen: number, meta: Int32Array, n: number): number;
}

let symbols: Symbols | null | undefined;

function compile(source: string): Symbols {
  const lib = cc({
    source,
    symbols: {
      ledger_scan: { args: ["ptr", "i32", "ptr", "ptr", "i32", "ptr", "i32", "ptr", "i32", "ptr", "i32", "ptr", "ptr", "ptr"], returns: "i32" },
      ledger_verify: { args: ["ptr", "i32", "ptr", "i32", "ptr", "i32"], returns: "i32" },
    },
  });
  return lib.symbols as unknown as Symbols;
}

function load(): Symbols | null {
  if (symbols !== undefined) return symbols;
  symbols = null; // no TinyCC here, or it failed: fast.ts alone
  if (!nativeSource.startsWith("/$bunfs/")) {
    try {
      symbols = compile(nativeSource);
    } catch {
      // stays null
    }
    return symbols;
  }
  // A compiled binary embeds native.c where TinyCC cannot open it: compiled from a copy in a private
  // directory (mkdtemp: 0700, ours alone, so no one can swap the source), removed once compiled.
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(nodeOs().tmpdir(), "tollgate-native-"));
    const copy = join(dir, "native.c");
    writeFileSync(copy, readFileSync(nativeSource), { mode: 0o600, flag: "wx" });
    symbols = compile(copy);
  } catch {
    // stays null
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  return symbols;
}

/** One scan's buffers for the native lane. */
export class NativeLane {
  readonly #s: Symbols;
  readonly scr = new Uint8Array(1 << 16);
  /** Preimages of the batch, back to back. */
  readonly pre = new Uint8Array(BUF);
  /** Manifest forms of the batch, comma-joined (a leading comma unless the batch starts the ledger). */
  readonly man = new Uint8Array(BUF + 1);
  /**
   * Per entry: preimage start, end, manifest end, source end, stored hash offset, code start (-1: a code
   * already reported in this scan), code end, a 32-bit hash of the code (a cache key).
   */
  readonly meta = new Int32Array(NATIVE_BATCH * META);
  readonly dig = new Uint8Array(NATIVE_BATCH * 32);
  readonly ctl = new Int32Array(5);
  readonly #views: Uint8Array[] = [];
  /** Reason codes the C side has seen reported (it marks their later entries -1 in meta). */
  readonly #ctab = new Int32Array(1 + 2 * 64);
  readonly #cbytes = new Uint8Array(64 * 64);

  constructor(s: Symbols) {
    this.#s = s;
    for (let i = 0; i < NATIVE_BATCH; i++) this.#views.push(this.dig.subarray(i * 32, i * 32 + 32));
  }

  /**
   * Entries from buf[p] (a '{') on, the first at position `seq`: parsed, linked to `last` (updated in place
   * to the last accepted entry's stored entry_hash) and hashed. Returns how many are accepted, every
   * check proven (their entry_hash too); meta describes them.
   */
  run(buf: Uint8Array, len: number, p: number, seq: number, notFirst: boolean, last: Uint8Array): number {
    // The C side takes these sizes as given (71-byte hashes, positions in 32 bits).
    if (seq >= 0x7ffffff0 || len > 0x7fff0000 || len > buf.length || last.length !== 71) return 0;
    const ctl = this.ctl;
    ctl[0] = p;
    ctl[1] = seq;
    ctl[2] = notFirst ? 1 : 0;
    const saved = last.slice();
    const n = this.#s.ledger_scan(buf, len, last, this.scr, this.scr.length, this.pre, this.pre.length, this.man, this.man.length, this.meta, this.meta.length, ctl, this.#ctab, this.#cbytes);
    if (n === 0) return 0;
    const meta = this.meta, pre = this.pre, views = this.#views;
    for (let i = 0, m = 0; i < n; i++, m += META) Bun.SHA256.hash(pre.subarray(meta[m]!, meta[m + 1]!), views[i]!);
    const ok = this.#s.ledger_verify(buf, len, this.dig, this.dig.length, meta, n);
    if (ok < n) {
      // Entry `ok` does not hash to its stored entry_hash: accept those before it; fast.ts judges it. The
      // code table may hold codes of dropped entries: emptied, so every code is reported again.
      this.#ctab[0] = 0;
      if (ok === 0) last.set(saved);
      else {
        const h = meta[(ok - 1) * META + 4]!;
        last.set(buf.subarray(h, h + 71));
      }
    }
    return ok;
  }
}

/** A native lane for one scan, or null where TinyCC is not available. */
export function nativeLane(): NativeLane | null {
  const s = load();
  return s ? new NativeLane(s) : null;
}
