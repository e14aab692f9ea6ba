// The ledger scan's byte-level fast path (src/evidence/runmanifest/fast.ts) against the slow path (tokenizer,
// tree, canonicalize, ajv): identical LedgerScans (verdicts, every failure's seq/check/reason, hashes, the
// manifest digest) or the identical error, on generated ledgers and on adversarial entries, fed whole and in
// chunks of every awkward size. The fast path must take producer-shaped entries (or it is not a fast path)
// and must decline every entry it cannot prove canonical and valid, leaving it to the slow path.
import { describe, expect, test } from "bun:test";
import { LedgerScanner, type LedgerScan } from "../src/evidence/runmanifest/scan.ts";
import { generateLedger, type LedgerOptions } from "./support/ledger-gen.ts";

const enc = new TextEncoder();

type Outcome = { scan: LedgerScan; fastEntries: number } | { error: string };

function run(bytes: Uint8Array, fast: boolean, chunk: number): Outcome {
  const s = new LedgerScanner({ fast });
  try {
    for (let i = 0; i < bytes.length; i += chunk) s.feed(bytes.subarray(i, i + chunk));
    const r = s.finish();
    if ("scan" in r) return { scan: r.scan, fastEntries: s.fastEntries };
    for (let i = 0; i < bytes.length; i += chunk) r.secondPass.feed(bytes.subarray(i, i + chunk));
    return { scan: r.complete(r.secondPass.finish()), fastEntries: s.fastEntries };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Both paths on the same bytes (whole, and in the given chunk sizes): same outcome. Returns the fast one. */
function both(text: string | Uint8Array, chunks: number[] = [1 << 20]): Outcome {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  const slow = run(bytes, false, 1 << 20);
  if ("fastEntries" in slow) expect(slow.fastEntries).toBe(0);
  let first: Outcome | undefined;
  for (const c of chunks) {
    const fast = run(bytes, true, c);
    const strip = (o: Outcome) => ("error" in o ? o : o.scan);
    expect(strip(fast)).toEqual(strip(slow));
    first ??= fast;
  }
  return first!;
}

const fastCount = (o: Outcome) => ("fastEntries" in o ? o.fastEntries : -1);
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
    });
  }

  test("byte-by-byte feeding (every chunk boundary inside every token)", () => {
    const r = both(generateLedger({ entries: 4, seed: 7, nonAscii: true }), [1, 2, 3, 7]);
    expect(fastCount(r)).toBe(4);
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
    for (const t of [
      base.slice(0, s) + squeeze(base.slice(s, e)) + base.slice(e),
      base.replace(/\n {2}/g, "\n\t"),
      base.replace(/\n/g, "\r\n"),
    ]) {
      const r = both(t, [1 << 20, 50]);
      expect(verdict(r)).toBe("verified");
      expect(fastCount(r)).toBe(6);
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
  ];
  for (const [name, text, expected] of cases) {
    test(name, () => {
      const r = both(text, [1 << 20, 128, 7]);
      expect(verdict(r)).toBe(expected);
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
