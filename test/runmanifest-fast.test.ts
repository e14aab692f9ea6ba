// The ledger scan's fast lanes against the slow path (tokenizer, tree, canonicalize, ajv): the byte-level
// fast path (src/evidence/runmanifest/fast.ts) alone, and with the native lane in front of it
// (native.c through Bun's TinyCC, for entries in the producer's layout). Identical LedgerScans (verdicts,
// every failure's seq/check/reason, hashes, the manifest digest) or the identical error, on generated
// ledgers and on adversarial entries, fed whole and in chunks of every awkward size. Each lane must take
// the entries it is for (or it is not a fast lane: counted, so a bypassed lane fails these tests) and
// must decline every entry it cannot prove canonical and valid, leaving it to the next lane.
import { describe, expect, test } from "bun:test";
import { LedgerScanner, type LedgerScan, type LedgerScanOptions } from "../src/evidence/runmanifest/scan.ts";
import { nativeLane } from "../src/evidence/runmanifest/native.ts";
import { generateLedger, prng, type LedgerOptions } from "./support/ledger-gen.ts";

const enc = new TextEncoder();

type Outcome = { scan: LedgerScan; fastEntries: number; nativeEntries: number } | { error: string };

const LANES: Record<"slow" | "fast" | "native", LedgerScanOptions> = {
  slow: { fast: false },
  fast: { native: false },
  native: { nativeAfter: 0 }, // from the first entry, so small ledgers exercise it
};

function run(bytes: Uint8Array, opts: LedgerScanOptions, chunk: number): Outcome {
  const s = new LedgerScanner(opts);
  try {
    for (let i = 0; i < bytes.length; i += chunk) s.feed(bytes.subarray(i, i + chunk));
    const r = s.finish();
    const counts = () => ({ fastEntries: s.fastEntries, nativeEntries: s.nativeEntries });
    if ("scan" in r) return { scan: r.scan, ...counts() };
    for (let i = 0; i < bytes.length; i += chunk) r.secondPass.feed(bytes.subarray(i, i + chunk));
    return { scan: r.complete(r.secondPass.finish()), ...counts() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Fast lane outcomes, fast.ts alone and with the native lane in front. */
type Both = Outcome & { fastOnly: Outcome };

/**
 * Every lane on the same bytes (whole, and in the given chunk sizes): the same outcome as the slow path.
 * Returns the native lane's outcome (its fastOnly: fast.ts alone, whole).
 */
function both(text: string | Uint8Array, chunks: number[] = [1 << 20]): Both {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  const slow = run(bytes, LANES.slow, 1 << 20);
  if ("fastEntries" in slow) expect(slow.fastEntries).toBe(0);
  const strip = (o: Outcome) => ("error" in o ? o : o.scan);
  let first: Outcome | undefined;
  let fastOnly: Outcome | undefined;
  for (const c of chunks) {
    const fast = run(bytes, LANES.fast, c);
    expect(strip(fast)).toEqual(strip(slow));
    if ("nativeEntries" in fast) expect(fast.nativeEntries).toBe(0);
    fastOnly ??= fast;
    const native = run(bytes, LANES.native, c);
    expect(strip(native)).toEqual(strip(slow));
    // The native lane only ever takes entries fast.ts would take: with it in front, no more are taken fast.
    if ("fastEntries" in native && "fastEntries" in fast) expect(native.fastEntries).toBe(fast.fastEntries);
    first ??= native;
  }
  return Object.assign(first!, { fastOnly: fastOnly! });
}

const fastCount = (o: Outcome) => ("fastEntries" in o ? o.fastEntries : -1);
const nativeCount = (o: Outcome) => ("nativeEntries" in o ? o.nativeEntries : -1);
const verdict = (o: Outcome) => ("error" in o ? `error: ${o.error}` : o.scan.firstFailure ? `${o.scan.firstFailure.check} seq ${o.scan.firstFailure.seq}` : "verified");

describe("generated ledgers: fast and slow agree, and the fast path does the work", () => {
  const cases: [string, LedgerOptions][] = [
    ["compact", { entries: 40, seed: 1 }],
    ["expanded", { entries: 40, seed: 2, mode: "expanded" }],
    ["non-ASCII text as \\u escapes (the producer's ensure_ascii)", { entries: 40, seed: 3, nonAscii: true }],
    ["empty ledger", { entries: 0, seed: 4 }],
    ["one entry", { entries: 1, seed: 5 }],
    ["config_hashes after decision_ledger (second pass)", { entries: 12, seed: 6, ledgerFirst: true }],
  ];
  for (const [name, o] of cases) {
    test(name, () => {
      const r = both(generateLedger(o), [1 << 20, 4096, 333, 64]);
      expect(verdict(r)).toBe("verified");
      expect(fastCount(r)).toBe(o.entries);
      expect(nativeCount(r)).toBe(o.entries); // the producer's layout: every entry taken natively
    });
  }

  test("the native lane is there (Bun's TinyCC on this platform): it is not silently skipped", () => {
    expect(nativeLane()).not.toBeNull();
  });

  test("byte-by-byte feeding (every chunk boundary inside every token)", () => {
    const r = both(generateLedger({ entries: 4, seed: 7, nonAscii: true }), [1, 2, 3, 7]);
    expect(fastCount(r)).toBe(4);
    expect(nativeCount(r)).toBe(4);
  });

  test("chunks larger than the boundary head (the cut entry finished in a small buffer, the chunk not copied)", () => {
    const text = generateLedger({ entries: 1500, seed: 9, nonAscii: true });
    for (const c of [(1 << 17) + 1, 200_000, (1 << 18) - 3]) {
      const r = both(text, [c]);
      expect(verdict(r)).toBe("verified");
      expect(fastCount(r)).toBe(1500);
      expect(nativeCount(r)).toBe(1500);
    }
  });

  test("reason codes: more distinct codes than the list keeps (64), and than the native lane's table holds", () => {
    for (const codes of [3, 63, 64, 65, 200]) {
      const r = both(generateLedger({ entries: 400, seed: 12, distinctCodes: codes }), [1 << 20, 5000]);
      expect(verdict(r)).toBe("verified");
      expect(nativeCount(r)).toBe(400);
      const scan = "scan" in r ? r.scan : undefined;
      expect(scan?.reasonCodes.length).toBe(Math.min(codes, 64));
      expect(scan?.reasonCodesTruncated).toBe(codes > 64);
    }
  });

  test("the native lane starts after nativeAfter entries (default 256), fast.ts before it", () => {
    const bytes = enc.encode(generateLedger({ entries: 300, seed: 10 }));
    const r = run(bytes, {}, 1 << 14);
    expect(verdict(r)).toBe("verified");
    expect(fastCount(r)).toBe(300);
    expect(nativeCount(r)).toBe(44);
    // ... or at once when a chunk holds 256 KiB or more of entries
    const big = enc.encode(generateLedger({ entries: 600, seed: 10 }));
    expect(big.length).toBeGreaterThan(1 << 18);
    const b = run(big, {}, 1 << 20);
    expect(verdict(b)).toBe("verified");
    expect(nativeCount(b)).toBe(600);
  });

  test("raw UTF-8 text: declined from the first such entry on, verified by the slow path", () => {
    const o = { entries: 10, seed: 8, nonAscii: true, ensureAscii: false };
    const r = both(generateLedger(o), [1 << 20, 100]);
    expect(verdict(r)).toBe("verified");
    expect(fastCount(r)).toBe(0); // seq 1 carries non-ASCII text
  });
});

// A 6-entry ledger; edits at entry 3 so two entries were taken fast before it.
const base = generateLedger({ entries: 6, seed: 11 });
const entryStart = (text: string, seq: number) => text.indexOf(`"seq": ${seq},`);
/** Replace the first `from` after entry `seq` starts. */
function edit(seq: number, from: string, to: string, text = base): string {
  const at = entryStart(text, seq);
  const i = text.indexOf(from, at);
  if (at < 0 || i < 0) throw new Error(`test bug: ${from} not found in entry ${seq}`);
  return text.slice(0, i) + to + text.slice(i + from.length);
}
/** The whole source text of entry `seq` (from its `{` to its `}`). */
function entryText(text: string, seq: number): [number, number] {
  const s = text.lastIndexOf("{", entryStart(text, seq));
  const e = text.indexOf(`"entry_hash"`, s);
  return [s, text.indexOf("}", e) + 1];
}

const cut = (f: (t: string) => string) => f(base);

describe("adversarial entries: same canonical bytes, written otherwise (both verify; fast declines)", () => {
  const reasonAt = (seq: number) => {
    const at = entryStart(base, seq);
    const m = /"reason_text": "([^"]*)"/.exec(base.slice(at))!;
    return m[1]!;
  };
  const r3 = reasonAt(3);
  const equivalent: [string, string][] = [
    ["a printable character as \\u0041-style escape", edit(3, `"${r3}"`, `"\\u${r3.charCodeAt(0).toString(16).padStart(4, "0")}${r3.slice(1)}"`)],
    ["an escaped solidus", edit(3, `"${r3}"`, `"${r3}\\/"`)],
    ["upper-case hex in an escape that is otherwise canonical", edit(3, `"${r3}"`, `"${r3.slice(0, -1)}\\u00E9"`)],
    ["seq written 3.0 (a float: Python keeps 3.0, so the hash changes)", edit(3, `"seq": 3,`, `"seq": 3.0,`)],
    ["seq with an exponent", edit(3, `"seq": 3,`, `"seq": 3e0,`)],
    ["a big integer member", edit(3, `"seq": 3,`, `"seq": 3, "extra": 123456789012345678901234567890,`)],
    ["a key with an escape", edit(3, `"ts":`, `"\\u0074s":`)],
    ["a raw DEL (0x7f) in a string", edit(3, `"${r3}"`, `"${r3}\x7f"`)],
    ["a raw control character in a string (not JSON)", edit(3, `"${r3}"`, `"${r3}\x01"`)],
    ["an extra top-level member", edit(3, `"seq": 3,`, `"seq": 3, "note": "x",`)],
    ["an extra why member", edit(3, `"reason_text":`, `"zz": null, "reason_text":`)],
    ["confidence true (schema: string or null)", edit(3, `"confidence": `, `"confidence": true, "c2": `)],
    ["factor_refs holding a number", edit(3, `"factor_refs": [`, `"factor_refs": [1, `)],
    ["a duplicate key", edit(3, `"ts":`, `"component": "X", "ts":`)],
    ["a duplicate why key", edit(3, `"reason_text":`, `"reason_code": "X", "reason_text":`)],
    ["an upper-case digest", edit(3, `"evidence_digest": "sha256:`, `"evidence_digest": "SHA256:`)],
    ["-0 as seq", edit(3, `"seq": 3,`, `"seq": -0,`)],
    ["seq 03", edit(3, `"seq": 3,`, `"seq": 03,`)],
    ["a trailing comma in the entry", cut((t) => { const [, e] = entryText(t, 3); return t.slice(0, e - 1) + "," + t.slice(e - 1); })],
    ["a trailing comma after the last entry", cut((t) => { const [, e] = entryText(t, 6); return t.slice(0, e) + "," + t.slice(e); })],
    ["a missing comma between entries", cut((t) => { const [, e] = entryText(t, 3); const c = t.indexOf(",", e); return t.slice(0, c) + t.slice(c + 1); })],
    ["NaN as seq", edit(3, `"seq": 3,`, `"seq": NaN,`)],
    ["a number followed by a letter", edit(3, `"seq": 3,`, `"seq": 3x,`)],
  ];
  for (const [name, text] of equivalent) {
    test(name, () => {
      const r = both(text, [1 << 20, 97]);
      expect(fastCount(r)).toBeLessThanOrEqual(2);
    });
  }

  test("whitespace: none at all, tabs, CRLF: the same verdict, and all of them taken fast", () => {
    const [s, e] = entryText(base, 3);
    const squeeze = (t: string) => t.replace(/\n\s*/g, "");
    for (const [t, native] of [
      [base.slice(0, s) + squeeze(base.slice(s, e)) + base.slice(e), 5], // entry 3 not in the producer's layout
      [base.replace(/\n {2}/g, "\n\t"), 0],
      [base.replace(/\n/g, "\r\n"), 0],
      [base.replace(/,\n {6}\{/g, " ,\t{"), 6], // between entries any whitespace
    ] as const) {
      const r = both(t, [1 << 20, 50]);
      expect(verdict(r)).toBe("verified");
      expect(fastCount(r)).toBe(6);
      expect(nativeCount(r)).toBe(native); // the native lane declines what is not its layout; fast.ts takes it
    }
  });

  test("keys already sorted, or in reverse order: same hashes, taken fast", () => {
    const [s, e] = entryText(base, 3);
    const entry = JSON.parse(base.slice(s, e)) as Record<string, unknown>;
    const sorted = JSON.stringify(Object.fromEntries(Object.keys(entry).sort().map((k) => [k, entry[k]])));
    const reversed = JSON.stringify(Object.fromEntries(Object.keys(entry).sort().reverse().map((k) => [k, entry[k]])));
    for (const t of [sorted, reversed]) {
      const r = both(base.slice(0, s) + t + base.slice(e), [1 << 20, 61]);
      expect(verdict(r)).toBe("verified");
      expect(fastCount(r)).toBe(6);
      expect(nativeCount(r)).toBe(5);
    }
  });

  test("canonical escapes (\\n \\t \\\" \\\\ \\u0001 \\u00e9 and an astral pair) are taken fast; the hash is checked", () => {
    const r3s = `"${r3}"`;
    const t = edit(3, r3s, `"${r3} \\n\\t\\"\\\\\\u0001\\u00e9\\ud83d\\ude00"`);
    const r = both(t, [1 << 20, 5]);
    // The text changed, so entry 3's stored hash no longer matches: both paths name it.
    expect(verdict(r)).toBe("integrity.entry_hash seq 3");
    expect(fastCount(r)).toBe(2);
  });
});

describe("tampering: the fast path never accepts what the slow path rejects", () => {
  const hex = (seq: number, key: string) => {
    const at = entryStart(base, seq);
    return new RegExp(`"${key}": "sha256:([0-9a-f]{64})"`).exec(base.slice(at))![1]!;
  };
  const flip = (h: string) => (h[63] === "0" ? h.slice(0, 63) + "1" : h.slice(0, 63) + "0");
  const cases: [string, string, string][] = [
    ["reason text edited", edit(3, `"reason_text": "`, `"reason_text": "X`), "integrity.entry_hash seq 3"],
    ["entry_hash altered", edit(3, hex(3, "entry_hash"), flip(hex(3, "entry_hash"))), "integrity.entry_hash seq 3"],
    ["prev_hash altered", edit(3, hex(3, "prev_hash"), flip(hex(3, "prev_hash"))), "integrity.prev_hash seq 3"],
    ["seq skipped", edit(3, `"seq": 3,`, `"seq": 4,`), "integrity.seq seq 3"],
    ["seq as a string", edit(3, `"seq": 3,`, `"seq": "3",`), "integrity.schema seq 3"],
    ["ts missing", edit(3, /"ts": "[^"]*",/.exec(base.slice(entryStart(base, 3)))![0], ""), "integrity.schema seq 3"],
    ["why without factor_refs", edit(3, /"factor_refs": \[[^\]]*\],/.exec(base.slice(entryStart(base, 3)))![0], ""), "integrity.schema seq 3"],
    ["first entry's prev_hash not the sentinel", edit(1, hex(1, "prev_hash"), flip(hex(1, "prev_hash"))), "integrity.prev_hash seq 1"],
    ["last entry edited", edit(6, `"reason_text": "`, `"reason_text": "Y`), "integrity.entry_hash seq 6"],
    // every other field of entry 3, edited in place (the producer's layout kept: the native lane parses it)
    ["component edited", edit(3, `"component": "`, `"component": "Z`), "integrity.entry_hash seq 3"],
    ["event_type edited", edit(3, `"event_type": "`, `"event_type": "Z`), "integrity.entry_hash seq 3"],
    ["subject_ref edited", edit(3, `"subject_ref": "`, `"subject_ref": "Z`), "integrity.entry_hash seq 3"],
    ["ts edited", edit(3, `"ts": "2`, `"ts": "3`), "integrity.entry_hash seq 3"],
    ["reason_code edited", edit(3, `"reason_code": "`, `"reason_code": "Z`), "integrity.entry_hash seq 3"],
    ["evidence_digest edited", edit(3, hex(3, "evidence_digest"), flip(hex(3, "evidence_digest"))), "integrity.entry_hash seq 3"],
    ["factor_refs edited", edit(3, `"factor_refs": [`, `"factor_refs": ["z",`), "integrity.entry_hash seq 3"],
    ["confidence edited", edit(3, /"confidence": (null|"[^"]*")/.exec(base.slice(entryStart(base, 3)))![0], `"confidence": "zz"`), "integrity.entry_hash seq 3"],
    ["weight_context edited", edit(3, /"weight_context": (null|"[^"]*")/.exec(base.slice(entryStart(base, 3)))![0], `"weight_context": "zz"`), "integrity.entry_hash seq 3"],
    ["seq 3 written 33", edit(3, `"seq": 3,`, `"seq": 33,`), "integrity.seq seq 3"],
  ];
  for (const [name, text, expected] of cases) {
    test(name, () => {
      const r = both(text, [1 << 20, 128, 7]);
      expect(verdict(r)).toBe(expected);
      // The lanes stop at the edited entry: everything before it taken natively, nothing after it fast.
      const at = Number(/seq (\d+)$/.exec(expected)![1]);
      expect(nativeCount(r)).toBe(at - 1);
      expect(fastCount(r)).toBe(at - 1);
    });
  }

  test("a truncated document: the same error at the same character", () => {
    const [, e] = entryText(base, 4);
    for (const cut of [e - 10, e, e + 3]) {
      const r = both(base.slice(0, cut), [1 << 20, 13]);
      expect(verdict(r)).toMatch(/^error: unexpected end of input \(truncated document\) at character \d+$/);
    }
  });

  test("a syntax error after fast entries names the character the slow path names", () => {
    const [, e] = entryText(base, 4);
    const r = both(base.slice(0, e) + " ; " + base.slice(e), [1 << 20, 9]);
    expect(verdict(r)).toBe(`error: expected ',' or ']' but found ';' at character ${e + 1}`);
  });
});

// An entry whose stored entry_hash is the SHA-256 of its bytes AS WRITTEN (not canonical): exactly what a
// fast path that hashed non-canonical source bytes would accept. The slow path rejects every one of these
// (its canonical bytes differ) except where the text is canonical after all; the fast path must agree.
describe("adversarial entries hashed as written: a fast path that trusted the source would accept them", () => {
  const sha = (s: string) => new Bun.CryptoHasher("sha256").update(s).digest("hex");
  const [s3, e3] = entryText(base, 3);
  const entry = JSON.parse(base.slice(s3, e3)) as Record<string, unknown>;
  const why = entry.why as Record<string, unknown>;
  /** Members (key, raw value text) written in the given order, entry_hash = sha256 of the rest as written. */
  function written(members: [string, string][], sep = ","): string {
    const pre = "{" + members.filter(([k]) => k !== "entry_hash").map(([k, v]) => `"${k}":${v}`).join(sep) + "}";
    const all = members.map(([k, v]) => (k === "entry_hash" ? [k, `"sha256:${sha(pre)}"`] : [k, v]) as [string, string]);
    return "{" + all.map(([k, v]) => `"${k}":${v}`).join(sep) + "}";
  }
  const whyText = (over: Record<string, string> = {}, order?: string[]) => {
    const keys = order ?? [...new Set([...Object.keys(why), ...Object.keys(over)])].sort();
    return "{" + keys.map((k) => `"${k}":${over[k] ?? JSON.stringify(why[k])}`).join(",") + "}";
  };
  const members = (over: Record<string, string> = {}): [string, string][] =>
    Object.keys(entry)
      .sort()
      .map((k) => [k, over[k] ?? (k === "why" ? whyText() : JSON.stringify(entry[k]))]);
  const rt = String(why.reason_text);
  const variants: [string, string, string][] = [
    ["control: canonical bytes throughout (taken)", written(members()), "verified-entry"],
    ["\\u0041 for a printable character", written(members({ why: whyText({ reason_text: `"\\u${rt.charCodeAt(0).toString(16).padStart(4, "0")}${rt.slice(1)}"` }) })), "entry_hash"],
    ["an escaped solidus", written(members({ why: whyText({ reason_text: `"${rt}\\/"` }) })), "entry_hash"],
    ["upper-case hex escape", written(members({ why: whyText({ reason_text: `"${rt}\\u00E9"` }) })), "entry_hash"],
    ["lower-case hex escape (canonical: taken)", written(members({ why: whyText({ reason_text: `"${rt}\\u00e9"` }) })), "verified-entry"],
    ["raw UTF-8", written(members({ why: whyText({ reason_text: `"${rt}é"` }) })), "entry_hash"],
    ["a raw DEL", written(members({ why: whyText({ reason_text: `"${rt}\x7f"` }) })), "entry_hash"],
    ["\\u007f (canonical for DEL: taken)", written(members({ why: whyText({ reason_text: `"${rt}\\u007f"` }) })), "verified-entry"],
    ["\\u000a instead of \\n", written(members({ why: whyText({ reason_text: `"${rt}\\u000a"` }) })), "entry_hash"],
    ["a float written 1.10", written(members({ why: whyText({ zz: "1.10" }) })), "entry_hash"],
    ["a float written 1e5", written(members({ why: whyText({ zz: "1e5" }) })), "entry_hash"],
    ["-0", written(members({ why: whyText({ zz: "-0" }) })), "entry_hash"],
    ["a big integer (canonical as written)", written(members({ why: whyText({ zz: "123456789012345678901234567890" }) })), "verified-entry"],
    ["seq written 3.0 (Python keeps 3.0: canonical)", written(members({ seq: "3.0" })), "verified-entry"],
    ["why keys in the producer's order, hashed so", written(members({ why: whyText({}, ["reason_code", "reason_text", "factor_refs", "confidence", "weight_context"].filter((k) => k in why)) })), "entry_hash"],
    ["top-level keys unsorted, hashed so", written(members().reverse()), "entry_hash"],
    ["whitespace after commas, hashed so", written(members(), ", "), "entry_hash"],
  ];
  for (const [name, text, expected] of variants) {
    test(name, () => {
      const r = both(base.slice(0, s3) + text + base.slice(e3), [1 << 20, 89]);
      if (expected === "entry_hash") {
        expect(verdict(r)).toBe("integrity.entry_hash seq 3");
        expect(fastCount(r)).toBe(2);
      } else {
        // Entry 3 is fine (the manifest digest no longer matches the edited file, so check the entry alone).
        expect("scan" in r && r.scan.failures["integrity.entry_hash"]).toBeFalsy();
        expect("scan" in r && r.scan.failures["integrity.schema"]).toBeFalsy();
        // Taken fast when canonical; entry 4 then links to the old hash, so the fast path stops there.
        if (name.startsWith("control")) expect(fastCount(r)).toBe(6); // same canonical bytes: nothing changed
        else if (name.includes("taken")) expect(fastCount(r)).toBe(3);
      }
    });
  }

  test("a re-hashed edit (prev_hash changed, entry_hash recomputed): the link check, not the hash, catches it", () => {
    const m = members({ prev_hash: `"sha256:${"ab".repeat(32)}"` });
    const r = both(base.slice(0, s3) + written(m) + base.slice(e3), [1 << 20, 31]);
    expect(verdict(r)).toBe("integrity.prev_hash seq 3");
    expect(fastCount(r)).toBe(2);
  });
});

// The native lane composes hash inputs from the source text of entries in the producer's layout. Entries in
// that very layout whose entry_hash is the SHA-256 of their members AS WRITTEN (sorted, whitespace dropped,
// values verbatim) are what a lane that trusted the text would accept; the slow path accepts only those
// whose text is canonical. Every lane must agree with it, and the native lane must really parse these
// (they are in its layout), so its count says where it stopped.
describe("native lane: producer-layout entries hashed as written", () => {
  const sha = (s: string) => new Bun.CryptoHasher("sha256").update(s).digest("hex");
  const [s3, e3] = entryText(base, 3);
  const original = JSON.parse(base.slice(s3, e3)) as Record<string, unknown>;
  const ow = original.why as Record<string, unknown>;
  type Raw = { top: Record<string, string>; why: Record<string, string>; factors: string[] };
  const raw = (): Raw => ({
    top: Object.fromEntries(Object.entries(original).filter(([k]) => k !== "why").map(([k, v]) => [k, JSON.stringify(v)])),
    why: Object.fromEntries(Object.entries(ow).filter(([k]) => k !== "factor_refs").map(([k, v]) => [k, JSON.stringify(v)])),
    factors: (ow.factor_refs as string[]).map((f) => JSON.stringify(f)),
  });
  /** The entry in the producer's layout (indent 2 at the entries' depth), entry_hash over it as written. */
  function pretty(r: Raw): string {
    const I = " ".repeat(8), W = " ".repeat(10), F = " ".repeat(12);
    const fr = r.factors.length ? "[\n" + r.factors.map((f) => F + f).join(",\n") + "\n" + W + "]" : "[]";
    const whyKeys = ["reason_code", "reason_text", "factor_refs", "confidence", "weight_context"];
    const whyVal = (k: string) => (k === "factor_refs" ? fr : r.why[k]!);
    const whyPretty = "{\n" + whyKeys.map((k) => `${W}"${k}": ${whyVal(k)}`).join(",\n") + "\n" + I + "}";
    const whyCompact = "{" + [...whyKeys].sort().map((k) => `"${k}":${k === "factor_refs" ? "[" + r.factors.join(",") + "]" : r.why[k]}`).join(",") + "}";
    const val = (k: string, compact: boolean) => (k === "why" ? (compact ? whyCompact : whyPretty) : r.top[k]!);
    const keys = ["seq", "ts", "component", "event_type", "subject_ref", "why", "evidence_digest", "prev_hash", "entry_hash"];
    const pre = "{" + keys.filter((k) => k !== "entry_hash").sort().map((k) => `"${k}":${val(k, true)}`).join(",") + "}";
    const top = { ...r.top, entry_hash: `"sha256:${sha(pre)}"` };
    return "{\n" + keys.map((k) => `${I}"${k}": ${k === "why" ? whyPretty : top[k as keyof typeof top]}`).join(",\n") + "\n      }";
  }
  const withEntry = (text: string) => base.slice(0, s3) + text + base.slice(e3);
  const change = (f: (r: Raw) => void) => {
    const r = raw();
    f(r);
    return withEntry(pretty(r));
  };

  test("control: the helper writes entry 3 byte for byte as the generator did (all six taken natively)", () => {
    expect(pretty(raw())).toBe(base.slice(s3, e3));
    const r = both(withEntry(pretty(raw())), [1 << 20, 77]);
    expect(verdict(r)).toBe("verified");
    expect(nativeCount(r)).toBe(6);
  });

  const rt = String(ow.reason_text);
  const declined: [string, (r: Raw) => void][] = [
    ["\\u0041 for a printable character in reason_text", (r) => (r.why.reason_text = `"\\u${rt.charCodeAt(0).toString(16).padStart(4, "0")}${rt.slice(1)}"`)],
    ["an escaped solidus in a factor ref", (r) => (r.factors = [`"cov\\/erage"`])],
    ["upper-case hex escape in subject_ref", (r) => (r.top.subject_ref = `"item\\u00E9"`)],
    ["\\u0009 instead of \\t in component", (r) => (r.top.component = `"Scor\\u0009ing"`)],
    ["\\u000a instead of \\n in ts", (r) => (r.top.ts = `"2026\\u000a"`)],
    ["raw UTF-8 in reason_text", (r) => (r.why.reason_text = `"${rt}é"`)],
    ["raw DEL in event_type", (r) => (r.top.event_type = `"decision\x7f"`)],
    ["an escape in reason_code (valid; the lanes keep codes as written, so they leave it)", (r) => (r.why.reason_code = `"CODE\\n"`)],
    ["confidence a number", (r) => (r.why.confidence = "1")],
    ["weight_context true", (r) => (r.why.weight_context = "true")],
    ["seq written 3.0 (valid: Python keeps 3.0)", (r) => (r.top.seq = "3.0")],
    ["a big-integer seq", (r) => (r.top.seq = "300000000000000000003")],
    ["an upper-case evidence_digest", (r) => (r.top.evidence_digest = r.top.evidence_digest!.toUpperCase().replace("SHA256", "sha256"))],
  ];
  for (const [name, f] of declined) {
    test(name, () => {
      const r = both(change(f), [1 << 20, 101]);
      // Declined by the native lane and by fast.ts at entry 3; the slow path judges it (and the rest).
      expect(nativeCount(r)).toBe(2);
      expect(fastCount(r)).toBe(2);
      expect(verdict(r)).toMatch(/^integrity\.(entry_hash|seq|schema) seq 3$|^integrity\.prev_hash seq 4$/);
      if (!name.includes("valid")) expect(verdict(r)).not.toBe("integrity.prev_hash seq 4");
    });
  }

  test("canonical escapes written as the producer does (\\u00e9, \\n, \\\", an astral pair): taken natively", () => {
    const r = both(change((r) => (r.why.reason_text = `"${rt} \\u00e9\\n\\"\\\\\\ud83d\\ude00\\u007f"`)), [1 << 20, 64]);
    // entry 3 is valid (its text changed, so entry 4 no longer links to it)
    expect(verdict(r)).toBe("integrity.prev_hash seq 4");
    expect(nativeCount(r)).toBe(3);
  });

  test("hostile sizes: an entry over the lanes' cap is declined by both and verified by the slow path", () => {
    for (const [n, taken] of [[64_000, 3], [70_000, 2], [1_000_000, 2]] as const) {
      const r = both(change((r) => (r.why.reason_text = `"${"a".repeat(n)}"`)), [1 << 20, 4096]);
      expect(verdict(r)).toBe("integrity.prev_hash seq 4"); // entry 3 itself is valid
      expect(nativeCount(r)).toBe(taken);
      expect(fastCount(r)).toBe(taken);
    }
  });

  test("an entry_hash that does not match in the middle of a native batch: the entries before it are kept", () => {
    const text = pretty(raw()).replace(/("entry_hash": "sha256:)[0-9a-f]{64}/, `$1${"0".repeat(64)}`);
    const r = both(withEntry(text), [1 << 20]);
    expect(verdict(r)).toBe("integrity.entry_hash seq 3");
    expect(nativeCount(r)).toBe(2);
  });
});

// Seeded differential mutations of a producer-layout ledger: every lane against the slow path on bytes
// changed at random inside the entries (the bytes a scanner trips on: quotes, backslashes, escapes, hex,
// digits, whitespace, structure, DEL, raw UTF-8). Deterministic: the same seed, the same inputs.
describe("seeded mutations inside the entries: every lane agrees with the slow path", () => {
  const text = generateLedger({ entries: 8, seed: 21, nonAscii: true });
  const bytes = enc.encode(text);
  const from = text.indexOf("\"entries\": [") + 12;
  const to = text.lastIndexOf("]", text.indexOf("\"verification\""));
  const pieces = ['"', "\\", "\\u", "\\u00e9", "\\u00E9", "\\n", "\\/", "u", "0", "9", "a", "f", "F", " ", "\n", "\t", ",", ":", "{", "}", "[", "]", "\x7f", "é", "null", "1.0", "-", "e5"].map((p) => enc.encode(p));
  const rnd = prng(4242);
  const pick = (n: number) => Math.floor(rnd() * n);
  for (let round = 0; round < 12; round++) {
    test(`round ${round}: 25 mutants`, () => {
      for (let k = 0; k < 25; k++) {
        const at = from + pick(to - from);
        const kind = pick(3); // 0 insert, 1 replace, 2 delete
        const piece = kind === 2 ? new Uint8Array(0) : pieces[pick(pieces.length)]!;
        const cutLen = kind === 0 ? 0 : 1 + pick(3);
        const out = new Uint8Array(bytes.length - cutLen + piece.length);
        out.set(bytes.subarray(0, at));
        out.set(piece, at);
        out.set(bytes.subarray(at + cutLen), at + piece.length);
        both(out, [1 << 20, 257]);
      }
    });
  }
});
