// The byte-level fast path of the ledger scan (scan.ts): one decision-ledger entry read straight from the
// file's bytes, its canonical form written into a scratch buffer as it is validated (whitespace dropped,
// object members put in code-point key order, strings and numbers kept as written), both hashes taken
// over that buffer, and no string decoded or object built.
//
// It only ever ACCEPTS; it never reports a failure. An entry is accepted only when every one of these is
// proven from the bytes, so that the slow path (tokenizer, tree, canonicalize, ajv, the checks) would
// produce the same canonical bytes and find nothing wrong:
// - it is syntactically a JSON object, all ASCII, every string already in Python's ensure_ascii form
//   (bytes 0x20–0x7e other than `"` and `\`, the short escapes \" \\ \n \r \t \b \f, and \uXXXX in lower-case
//   hex only for a code unit Python escapes that way: below 0x20 without a short form, or 0x7f and above),
//   every key free of backslashes (so byte order is code-point order), no duplicate keys;
// - numbers: only the integer seq, 1–15 digits, no leading zero (Python prints it as written);
// - shape (the schema's #/$defs/entry, exactly): the nine entry keys and no other; seq an integer equal to
//   the entry's position; ts, component, event_type, subject_ref strings; evidence_digest, prev_hash,
//   entry_hash exactly "sha256:" + 64 lower-case hex; why an object with reason_code, reason_text and
//   factor_refs (an array of strings), optionally confidence and weight_context (string or null), nothing else;
// - checks: prev_hash is the previous entry's stored entry_hash, entry_hash is the recomputed hash.
// Anything else (a float, raw UTF-8, an upper-case escape, a tampered entry, a syntax error, an entry
// larger than the scratch buffer, bytes running out) is "not accepted" and scan.ts hands the rest of the
// ledger to the exact slow path, which then reports whatever is wrong as it always did.

export const NEED_MORE = -1;
export const REJECT = -2;

const T_STRING = 1;
const T_NULL = 2;
const T_INT = 3;
const T_ARRAY_OF_STRINGS = 5;
const T_OBJECT = 7;

/** Source bytes one entry may take (less 16) before the fast paths decline it. */
export const MAX_ENTRY = 1 << 16;
const PRE = MAX_ENTRY, MAN = 2 * MAX_ENTRY; // regions of the parser's buffer

// Top-level entry keys in sorted (byte = code-point) order, and the why keys.
const ENTRY_KEYS = ["component", "entry_hash", "event_type", "evidence_digest", "prev_hash", "seq", "subject_ref", "ts", "why"];
const WHY_KEYS = ["confidence", "factor_refs", "reason_code", "reason_text", "weight_context"];
const enc = (s: string) => new TextEncoder().encode(s);
const ENTRY_KEY_BYTES = ENTRY_KEYS.map((k) => enc(`"${k}"`));
const WHY_KEY_BYTES = WHY_KEYS.map((k) => enc(`"${k}"`));
// Indices into ENTRY_KEYS (component 0, event_type 2 and subject_ref 6 are plain strings).
const K_ENTRY_HASH = 1, K_EVIDENCE = 3, K_PREV = 4, K_SEQ = 5, K_TS = 7, K_WHY = 8;
const W_FACTORS = 1, W_CODE = 2, W_TEXT = 3; // confidence 0 and weight_context 4: string or null

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX[0x61 + i] = 10 + i;
// String bytes copied as they are: printable ASCII other than `"` and `\`.
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x7f; c++) if (c !== 0x22 && c !== 0x5c) PLAIN[c] = 1;

/** Reusable state of the fast path for one scan. */
export class FastEntryParser {
  /**
   * One buffer, three regions: [0, MAX_ENTRY) the canonical bytes of the entry being parsed, members in
   * source order; then the entry-hash preimage and the manifest form, each composed from the first region
   * in key order by native copyWithin calls (adjacent members copied as one run).
   */
  #out = new Uint8Array(MAX_ENTRY * 3);
  #o = 0;
  /** Top-level member records by key index (ENTRY_KEYS order): [keyStart, valueStart, memberEnd, type]. */
  #top = new Int32Array(9 * 4);
  /** why member records by key index (WHY_KEYS order), and which keys it has. */
  #why = new Int32Array(5 * 4);
  #whySeen = 0;
  #digest = new Uint8Array(32);
  /** The previous entry's stored entry_hash ("sha256:" + hex, 71 bytes). */
  readonly lastHash = new Uint8Array(71);
  /** reason_code of the last accepted entry: out bytes [codeStart, codeEnd) without quotes. */
  codeStart = 0;
  codeEnd = 0;
  get out(): Uint8Array {
    return this.#out;
  }

  constructor(lastHash: string) {
    this.setLastHash(lastHash);
  }

  setLastHash(h: string): void {
    for (let i = 0; i < 71; i++) this.lastHash[i] = h.charCodeAt(i);
  }

  lastHashString(): string {
    return String.fromCharCode(...this.lastHash);
  }

  /**
   * Try one entry starting at buf[p] === '{', for position `seq`. Returns the position after it when
   * accepted (manifest / lastHash / code set), NEED_MORE when the bytes end inside it, REJECT otherwise.
   */
  entry(buf: Uint8Array, p: number, end: number, seq: number): number {
    this.#o = 0;
    this.#whySeen = 0;
    const out = this.#out;
    // Canonical bytes are never longer than their source, so bounding the source bounds every buffer.
    const lim = Math.min(end, p + MAX_ENTRY - 16);
    const q = this.#object(buf, p, lim, 0);
    if (q === NEED_MORE && lim < end) return REJECT;
    if (q < 0) return q;
    // #object proved the nine keys present, each once; now their types.
    const top = this.#top;
    for (let k = 0; k < 9; k++) {
      const t = top[k * 4 + 3];
      if (k === K_SEQ ? t !== T_INT : k === K_WHY ? t !== T_OBJECT : t !== T_STRING) return REJECT;
    }
    if (!isDigest(out, top[K_EVIDENCE * 4 + 1]!, top[K_EVIDENCE * 4 + 2]!)) return REJECT;
    if (!isDigest(out, top[K_PREV * 4 + 1]!, top[K_PREV * 4 + 2]!)) return REJECT;
    if (!isDigest(out, top[K_ENTRY_HASH * 4 + 1]!, top[K_ENTRY_HASH * 4 + 2]!)) return REJECT;
    // seq equals the position.
    {
      let v = 0;
      for (let i = top[K_SEQ * 4 + 1]!; i < top[K_SEQ * 4 + 2]!; i++) v = v * 10 + (out[i]! - 0x30);
      if (v !== seq) return REJECT;
    }
    // prev_hash links.
    {
      const s = top[K_PREV * 4 + 1]! + 1; // after the quote
      const lh = this.lastHash;
      for (let i = 0; i < 71; i++) if (out[s + i] !== lh[i]) return REJECT;
    }
    if (!this.#checkWhy()) return REJECT;

    // Entry-hash preimage: the canonical object without its entry_hash member.
    const n = this.#members(PRE, K_ENTRY_HASH);
    Bun.SHA256.hash(out.subarray(PRE, n), this.#digest);
    {
      const s = top[K_ENTRY_HASH * 4 + 1]! + 8; // after `"sha256:`
      const d = this.#digest;
      for (let i = 0; i < 32; i++) {
        const x = d[i]!;
        if (HEX[out[s + 2 * i]!] !== x >> 4 || HEX[out[s + 2 * i + 1]!] !== (x & 15)) return REJECT;
      }
    }
    {
      const s = top[K_ENTRY_HASH * 4 + 1]! + 1;
      for (let i = 0; i < 71; i++) this.lastHash[i] = out[s + i]!;
    }
    return q;
  }

  /** Upper bound of the manifest form's length for the last accepted entry. */
  get manifestBound(): number {
    return this.#o;
  }

  /** Write the accepted entry's manifest form (the canonical object without ts) at dst[pos]; returns the end. */
  writeManifest(dst: Uint8Array, pos: number): number {
    const n = this.#members(MAN, K_TS);
    dst.set(this.#out.subarray(MAN, n), pos);
    return pos + n - MAN;
  }

  // The run being composed: out[#ra, #rb) not yet copied; #n the destination's end.
  #ra = 0;
  #rb = 0;
  #n = 0;

  /** Append out[a, b) to the composition, after a comma when `comma`. */
  #emit(a: number, b: number, comma: boolean): void {
    if (comma) {
      if (a === this.#rb + 1) {
        this.#rb = b; // out already has the comma between the two
        return;
      }
      this.#flush();
      this.#out[this.#n++] = 0x2c;
    } else if (a === this.#rb) {
      this.#rb = b;
      return;
    } else this.#flush();
    this.#ra = a;
    this.#rb = b;
  }

  #flush(): void {
    const out = this.#out;
    if (this.#rb > this.#ra) out.copyWithin(this.#n, this.#ra, this.#rb);
    this.#n += this.#rb - this.#ra;
    this.#ra = this.#rb = -2;
  }

  /** At out[dst]: `{` + the top-level members but `skip`, in key order (why's members too) + `}`. Returns the end. */
  #members(dst: number, skip: number): number {
    const top = this.#top;
    this.#n = dst;
    this.#ra = this.#rb = -2;
    this.#emit(0, 1, false); // `{`
    let first = true;
    for (let i = 0; i < 9; i++) {
      if (i === skip) continue;
      const m = i * 4;
      if (i !== K_WHY) {
        this.#emit(top[m]!, top[m + 2]!, !first);
        first = false;
        continue;
      }
      // `"why":{` then its members in key order, then `}`.
      this.#emit(top[m]!, top[m + 1]! + 1, !first);
      first = false;
      const why = this.#why;
      const seen = this.#whySeen;
      let firstWhy = true;
      for (let k = 0; k < 5; k++) {
        if (!(seen & (1 << k))) continue;
        this.#emit(why[k * 4]!, why[k * 4 + 2]!, !firstWhy);
        firstWhy = false;
      }
      this.#emit(top[m + 2]! - 1, top[m + 2]!, false); // why's `}`
    }
    this.#emit(this.#o - 1, this.#o, false); // `}`
    this.#flush();
    return this.#n;
  }

  /** The why object's members: the schema's #/$defs/why, restricted as above. */
  #checkWhy(): boolean {
    const why = this.#why;
    const seen = this.#whySeen;
    const required = (1 << W_CODE) | (1 << W_TEXT) | (1 << W_FACTORS);
    if ((seen & required) !== required) return false;
    for (let k = 0; k < 5; k++) {
      if (!(seen & (1 << k))) continue;
      const t = why[k * 4 + 3];
      if (k === W_CODE || k === W_TEXT) {
        if (t !== T_STRING) return false;
      } else if (k === W_FACTORS) {
        if (t !== T_ARRAY_OF_STRINGS) return false;
      } else if (t !== T_STRING && t !== T_NULL) return false;
    }
    const a = why[W_CODE * 4 + 1]! + 1, b = why[W_CODE * 4 + 2]! - 1; // inside the quotes
    const out = this.#out;
    for (let j = a; j < b; j++) if (out[j] === 0x5c) return false;
    this.codeStart = a;
    this.codeEnd = b;
    return true;
  }

  /**
   * An object at buf[p] === '{' (depth 0 = the entry, 1 = why). Returns the position after it. Every key
   * must be one of that object's known keys (ENTRY_KEYS / WHY_KEYS), each at most once; at depth 0 all nine.
   */
  #object(buf: Uint8Array, p: number, end: number, depth: number): number {
    const out = this.#out;
    const recs = depth === 0 ? this.#top : this.#why;
    const keys = depth === 0 ? ENTRY_KEY_BYTES : WHY_KEY_BYTES;
    out[this.#o++] = 0x7b;
    p++;
    let seen = 0;
    let count = 0;
    p = skipWs(buf, p, end);
    if (p >= end) return NEED_MORE;
    if (buf[p] === 0x7d) return REJECT; // an empty object is never an entry nor a why
    for (;;) {
      if (p >= end) return NEED_MORE;
      if (buf[p] !== 0x22) return REJECT;
      if (count) out[this.#o++] = 0x2c;
      const keyStart = this.#o;
      p = this.#string(buf, p, end, true);
      if (p < 0) return p;
      const keyEnd = this.#o;
      let k = 0;
      for (; k < keys.length; k++) if (eqBytes(out, keyStart, keyEnd, keys[k]!)) break;
      if (k === keys.length) return REJECT; // a key the entry (or why) shape does not have
      if (seen & (1 << k)) return REJECT; // duplicate key: the slow path refuses the document
      seen |= 1 << k;
      p = skipWs(buf, p, end);
      if (p >= end) return NEED_MORE;
      if (buf[p] !== 0x3a) return REJECT;
      out[this.#o++] = 0x3a;
      p = skipWs(buf, p + 1, end);
      if (p >= end) return NEED_MORE;
      const valueStart = this.#o;
      const t = this.#value(buf, p, end, depth);
      if (t < 0) return t;
      p = this.#p;
      const m = k * 4;
      recs[m] = keyStart;
      recs[m + 1] = valueStart;
      recs[m + 2] = this.#o;
      recs[m + 3] = t;
      count++;
      p = skipWs(buf, p, end);
      if (p >= end) return NEED_MORE;
      const c = buf[p];
      if (c === 0x2c) {
        p = skipWs(buf, p + 1, end);
        continue;
      }
      if (c !== 0x7d) return REJECT;
      p++;
      break;
    }
    out[this.#o++] = 0x7d;
    if (depth === 0) {
      if (seen !== 0x1ff) return REJECT; // the nine entry keys, no other
    } else this.#whySeen = seen;
    return p;
  }

  #p = 0;

  /** A value at buf[p] (not whitespace): writes its canonical form, sets #p after it, returns its type. */
  #value(buf: Uint8Array, p: number, end: number, depth: number): number {
    const c = buf[p]!;
    const out = this.#out;
    if (c === 0x22) {
      const q = this.#string(buf, p, end, false);
      if (q < 0) return q;
      this.#p = q;
      return T_STRING;
    }
    if (c === 0x7b) {
      if (depth >= 1) return REJECT; // only the entry and its why are objects
      const q = this.#object(buf, p, end, depth + 1);
      if (q < 0) return q;
      this.#p = q;
      return T_OBJECT;
    }
    if (c === 0x5b) {
      out[this.#o++] = 0x5b;
      p = skipWs(buf, p + 1, end);
      if (p >= end) return NEED_MORE;
      if (buf[p] === 0x5d) {
        out[this.#o++] = 0x5d;
        this.#p = p + 1;
        return T_ARRAY_OF_STRINGS;
      }
      for (let n = 0; ; n++) {
        if (n) out[this.#o++] = 0x2c;
        if (buf[p] !== 0x22) return REJECT; // arrays of anything but strings go the slow way
        const q = this.#string(buf, p, end, false);
        if (q < 0) return q;
        p = skipWs(buf, q, end);
        if (p >= end) return NEED_MORE;
        if (buf[p] === 0x2c) {
          p = skipWs(buf, p + 1, end);
          if (p >= end) return NEED_MORE;
          continue;
        }
        if (buf[p] !== 0x5d) return REJECT;
        out[this.#o++] = 0x5d;
        this.#p = p + 1;
        return T_ARRAY_OF_STRINGS;
      }
    }
    if (c >= 0x31 && c <= 0x39) {
      let q = p;
      while (q < end && buf[q]! >= 0x30 && buf[q]! <= 0x39) q++;
      if (q >= end) return NEED_MORE; // the number may go on
      if (q - p > 15) return REJECT;
      const d = buf[q]!;
      if (d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2d || d === 0x2b) return REJECT;
      for (let i = p; i < q; i++) out[this.#o++] = buf[i]!;
      this.#p = q;
      return T_INT;
    }
    if (c === 0x6e) {
      if (p + 4 > end) return NEED_MORE;
      if (buf[p + 1] !== 0x75 || buf[p + 2] !== 0x6c || buf[p + 3] !== 0x6c) return REJECT;
      out[this.#o++] = 0x6e; out[this.#o++] = 0x75; out[this.#o++] = 0x6c; out[this.#o++] = 0x6c;
      this.#p = p + 4;
      return T_NULL;
    }
    return REJECT; // true/false, negative numbers, 0, anything else: not in an entry's fast shape
  }

  /** A string at buf[p] === '"', already canonical, copied to out. Returns the position after it. */
  #string(buf: Uint8Array, p: number, end: number, key: boolean): number {
    const out = this.#out;
    let o = this.#o;
    out[o++] = 0x22;
    p++;
    for (;;) {
      if (p >= end) return NEED_MORE;
      const c = buf[p]!;
      if (PLAIN[c]) {
        out[o++] = c;
        p++;
        continue;
      }
      if (c === 0x22) {
        out[o++] = 0x22;
        this.#o = o;
        return p + 1;
      }
      if (c === 0x5c) {
        if (key) return REJECT;
        if (p + 1 >= end) return NEED_MORE;
        const e = buf[p + 1]!;
        if (e === 0x22 || e === 0x5c || e === 0x6e || e === 0x72 || e === 0x74 || e === 0x62 || e === 0x66) {
          out[o++] = 0x5c;
          out[o++] = e;
          p += 2;
          continue;
        }
        if (e !== 0x75) return REJECT;
        if (p + 6 > end) return NEED_MORE;
        let v = 0;
        for (let i = p + 2; i < p + 6; i++) {
          const h = HEX[buf[i]!]!;
          if (h < 0) return REJECT; // upper-case hex or not hex
          v = (v << 4) | h;
        }
        // Python writes \uXXXX only for what has no short escape below 0x20, and for 0x7f and above.
        if (v >= 0x20 && v < 0x7f) return REJECT;
        if (v === 0x08 || v === 0x09 || v === 0x0a || v === 0x0c || v === 0x0d) return REJECT;
        for (let i = p; i < p + 6; i++) out[o++] = buf[i]!;
        p += 6;
        continue;
      }
      return REJECT; // a control byte, or a byte 0x7f and above
    }
  }
}

/** Whitespace as JSON has it. */
export function skipWs(buf: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const c = buf[p];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
    else break;
  }
  return p;
}

function eqBytes(a: Uint8Array, s: number, e: number, b: Uint8Array): boolean {
  if (e - s !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[s + i] !== b[i]) return false;
  return true;
}

/** `"sha256:` + 64 lower-case hex + `"` at out[s, e). */
function isDigest(a: Uint8Array, s: number, e: number): boolean {
  if (e - s !== 73) return false;
  const P = [0x22, 0x73, 0x68, 0x61, 0x32, 0x35, 0x36, 0x3a];
  for (let i = 0; i < 8; i++) if (a[s + i] !== P[i]) return false;
  for (let i = s + 8; i < e - 1; i++) if (HEX[a[i]!]! < 0) return false;
  return a[e - 1] === 0x22;
}
