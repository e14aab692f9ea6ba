// Python-compatible canonical JSON, computed from the document's SOURCE TEXT.
//
// The canonical form is what CPython 3 prints for
//   json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
// Producers such as RunManifest hash that form, so a verifier must reproduce it byte for byte. JavaScript
// numbers cannot: `1.0` and `1` are the same JS number but different Python values (float vs int), so every
// number is kept as its source text (JsonNumber) and rendered the way Python would render the parsed value.
//
// What is reproduced exactly (and cross-checked against python3 in test/runmanifest-canonical.test.ts):
// - integers (no fraction, no exponent) are Python ints: printed as written (arbitrary size), `-0` → `0`;
// - numbers with a fraction or exponent are Python floats: the nearest double, printed with repr()
//   (shortest round-trip digits; exponent form when the decimal exponent is < -4 or >= 16:
//   `1e5` → `100000.0`, `1.50` → `1.5`, `1e16` → `1e+16`, `0.00001` → `1e-05`, `-0.0` → `-0.0`,
//   `1e-400` → `0.0`);
// - strings: ASCII only; `\"` `\\` `\n` `\r` `\t` `\b` `\f`, other C0 controls and DEL and every non-ASCII
//   UTF-16 code unit as lower-case `\uXXXX` (astral characters as surrogate pairs, lone surrogates kept);
// - object keys sorted by Unicode code point (Python str order), not by UTF-16 code unit.
// What fails closed (TollgateError):
// - `malformed`: anything that is not RFC 8259 JSON, a UTF-8 BOM (Python's json.loads rejects it), invalid
//   UTF-8, duplicate object keys (Python silently keeps the last one; two parsers could then disagree on
//   the hashed value), nesting deeper than MAX_DEPTH;
// - `unsupported`: NaN / Infinity literals (Python accepts them, JSON does not), a float that overflows a
//   double (Python would print `Infinity`, which is not JSON), an integer of more than 4300 digits (CPython's
//   int/str conversion limit makes json.loads itself fail).
import { TollgateError } from "./errors.ts";

/** A JSON number kept as its source text. */
export class JsonNumber {
  #canonical: string | undefined;
  constructor(readonly source: string) {}
  /** The text Python's json.dumps prints for json.loads(source). Throws `unsupported`. */
  get canonical(): string {
    return (this.#canonical ??= canonicalNumber(this.source));
  }
  /** The JS value (lossy for big integers and for the int/float distinction). */
  get value(): number {
    return Number(this.source);
  }
}

/** A parsed JSON value with number source text kept; objects are Maps (insertion order, any key). */
export type JsonTree = null | boolean | string | JsonNumber | JsonTree[] | JsonObject;
export type JsonObject = Map<string, JsonTree>;

/** Values canonicalize() accepts: trees, plus plain objects and JS numbers for generated documents. */
export type Canonicalizable =
  | JsonTree
  | number
  | readonly Canonicalizable[]
  | { readonly [key: string]: Canonicalizable | undefined };

export const MAX_DEPTH = 256;
const PY_INT_MAX_DIGITS = 4300;

const NUMBER_RE = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** JSON integer syntax (`-?(0|[1-9][0-9]*)`), checked without a regex: most numbers in a ledger are ints. */
function isJsonInt(s: string): boolean {
  const n = s.length;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return false;
  if (s.charCodeAt(i) === 48) return i + 1 === n;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Python's json.dumps(json.loads(source)) for one JSON number token. */
export function canonicalNumber(source: string): string {
  const isInt = isJsonInt(source);
  if (!isInt && !NUMBER_RE.test(source)) throw new TollgateError("malformed", `not a JSON number: ${clip(source)}`);
  if (isInt) {
    const digits = source.charCodeAt(0) === 45 ? source.length - 1 : source.length;
    if (digits > PY_INT_MAX_DIGITS) {
      throw new TollgateError(
        "unsupported",
        `integer of ${digits} digits: Python's json.loads refuses more than ${PY_INT_MAX_DIGITS}, so its canonical form does not exist`,
      );
    }
    return source === "-0" ? "0" : source;
  }
  const x = Number(source);
  if (!Number.isFinite(x)) {
    throw new TollgateError(
      "unsupported",
      `number ${clip(source)} overflows a double: Python would print Infinity, which is not JSON`,
    );
  }
  return pythonFloatRepr(x);
}

/** repr() of a finite Python float (CPython 3 'r' format: shortest round-trip digits). */
export function pythonFloatRepr(x: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  // toExponential() with no argument gives the shortest digits that round-trip, like Python's repr.
  const exp = Math.abs(x).toExponential();
  const e = exp.indexOf("e");
  const digits = exp.slice(0, e).replace(".", "");
  const decpt = Number(exp.slice(e + 1)) + 1; // position of the decimal point relative to the digits
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${"0".repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const x10 = decpt - 1;
  const abs = Math.abs(x10);
  return `${sign}${mant}e${x10 < 0 ? "-" : "+"}${abs < 10 ? "0" : ""}${abs}`;
}

// Printable ASCII other than `"` and `\`: copied as is.
const PLAIN_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SHORT_ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: "\\\\", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t", 0x08: "\\b", 0x0c: "\\f" };

/** A string as Python's json.dumps(..., ensure_ascii=True) prints it, quotes included. */
export function canonicalString(s: string): string {
  if (PLAIN_STRING.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) out += s[i];
    else out += SHORT_ESCAPES[c] ?? `\\u${c.toString(16).padStart(4, "0")}`;
  }
  return out + '"';
}

// Object keys repeat; their canonical text is remembered (bounded).
const keyTextCache = new Map<string, string>();

/** canonicalString for an object key, memoized. */
export function canonicalKey(k: string): string {
  let t = keyTextCache.get(k);
  if (t === undefined) {
    t = canonicalString(k);
    if (keyTextCache.size < 4096 && k.length <= 128) keyTextCache.set(k, t);
  }
  return t;
}

/** Python str ordering (by code point); JS's default `<` compares UTF-16 code units, which differs for astral characters. */
export function comparePythonStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  // Differing right after a shared high surrogate: if either side pairs it, the whole code points there
  // decide (a lone surrogate U+D8xx sorts before any astral character).
  if (i > 0) {
    const prev = a.charCodeAt(i - 1);
    if (prev >= 0xd800 && prev <= 0xdbff) {
      const d = (a.codePointAt(i - 1) ?? 0) - (b.codePointAt(i - 1) ?? 0);
      if (d !== 0) return d;
    }
  }
  return (a.codePointAt(i) ?? 0) - (b.codePointAt(i) ?? 0);
}

// Documents repeat the same key lists (every ledger entry has the same nine keys, every `why` the same
// five): remember the last sorted order per key count and reuse it when the keys are the same strings in
// the same order (compared one by one, so no two different lists can share a cache slot).
const sortCache = new Map<number, { keys: string[]; sorted: string[] }>();

/** Keys in Python's sort order (a new array; the input is not changed). */
export function sortPythonKeys(keys: Iterable<string>): string[] {
  const list = Array.isArray(keys) ? (keys as string[]) : [...keys];
  const n = list.length;
  if (n < 2) return list.slice();
  const hit = sortCache.get(n);
  if (hit) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (hit.keys[i] !== list[i]) {
        same = false;
        break;
      }
    }
    if (same) return hit.sorted.slice();
  }
  const sorted = list.slice().sort(comparePythonStrings);
  if (n <= 64) sortCache.set(n, { keys: list.slice(), sorted: sorted.slice() });
  return sorted;
}

/** Canonical text of a value (see the header for the exact rules). */
export function canonicalize(v: Canonicalizable): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return canonicalString(v);
    case "boolean":
      return v ? "true" : "false";
    case "number":
      // JS numbers come only from generated documents: integers are Python ints, the rest floats.
      if (!Number.isFinite(v)) throw new TollgateError("unsupported", `non-finite number ${v} has no JSON form`);
      return Number.isInteger(v) ? (Object.is(v, -0) ? "0" : canonicalNumber(String(v))) : pythonFloatRepr(v);
  }
  if (v instanceof JsonNumber) return v.canonical;
  if (Array.isArray(v)) {
    let out = "[";
    for (let i = 0; i < v.length; i++) out += (i ? "," : "") + canonicalize(v[i] as Canonicalizable);
    return out + "]";
  }
  if (v instanceof Map) {
    const m = v as JsonObject;
    const keys = sortPythonKeys(m.keys());
    let out = "{";
    for (let i = 0; i < keys.length; i++) out += (i ? "," : "") + canonicalKey(keys[i]!) + ":" + canonicalize(m.get(keys[i]!)!);
    return out + "}";
  }
  const rec = v as Record<string, Canonicalizable | undefined>;
  const keys = sortPythonKeys(Object.keys(rec).filter((k) => rec[k] !== undefined));
  let out = "{";
  for (let i = 0; i < keys.length; i++) out += (i ? "," : "") + canonicalString(keys[i]!) + ":" + canonicalize(rec[keys[i]!]!);
  return out + "}";
}

/** Canonical members of an object, `"key":value`, in Python key order. */
export function canonicalMembers(obj: JsonObject, skip?: ReadonlySet<string>): string[] {
  const keys = sortPythonKeys(obj.keys());
  const out: string[] = [];
  for (const k of keys) if (!skip?.has(k)) out.push(canonicalKey(k) + ":" + canonicalize(obj.get(k)!));
  return out;
}

/** Python's canonical JSON of a JSON document given as text. */
export function canonicalJsonFromText(text: string): string {
  return canonicalize(parseJsonTree(text));
}

/** JS value of a tree (numbers become JS numbers): for schema validation and display. */
export function toPlain(v: JsonTree): unknown {
  if (v === null || typeof v !== "object") return v;
  if (v instanceof JsonNumber) return v.value;
  if (Array.isArray(v)) return v.map(toPlain);
  const o: Record<string, unknown> = {};
  for (const [k, val] of v) {
    if (k === "__proto__") Object.defineProperty(o, k, { value: toPlain(val), enumerable: true, writable: true, configurable: true });
    else o[k] = toPlain(val);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------------
// Streaming tokenizer. Push text (or UTF-8 bytes) in chunks of any size; the sink receives structural events
// with numbers as source text. Grammar is RFC 8259 (what Python's json.loads accepts, minus NaN/Infinity).

export interface JsonSink {
  beginObject(): void;
  endObject(): void;
  beginArray(): void;
  endArray(): void;
  key(k: string): void;
  string(s: string): void;
  number(source: string): void;
  literal(v: boolean | null): void;
}

const enum St {
  Value, // a value is required
  ArrayFirst, // a value or `]`
  ObjectFirst, // a key or `}`
  Key, // a key is required (after `,` in an object)
  Colon,
  AfterValue, // `,` or the closing bracket, or the end at top level
  Done,
}

const SPECIAL_IN_STRING = /["\\\x00-\x1f]/g;

export class JsonTokenizer {
  #sink: JsonSink;
  #buf = "";
  #consumed = 0; // code units dropped from the front of #buf so far (for offsets in messages)
  #state = St.Value;
  #stack: number[] = []; // 1 = object, 2 = array
  #decoder = new TextDecoder("utf-8", { fatal: true });
  #firstBytes = true;

  constructor(sink: JsonSink) {
    this.#sink = sink;
  }

  /** Feed UTF-8 bytes. */
  feedBytes(chunk: Uint8Array): void {
    if (this.#firstBytes && chunk.length > 0) {
      this.#firstBytes = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        throw new TollgateError("malformed", "starts with a UTF-8 byte order mark (Python's json.loads rejects it)");
      }
    }
    let text: string;
    try {
      text = this.#decoder.decode(chunk, { stream: true });
    } catch {
      throw new TollgateError("malformed", `invalid UTF-8 after character ${this.#consumed + this.#buf.length}`);
    }
    this.feed(text);
  }

  /**
   * Count `chars` code units of input that were handled elsewhere (a caller that read a stretch itself and
   * feeds what follows): later messages keep their offsets into the whole input. Only between tokens.
   */
  skipped(chars: number): void {
    if (this.#buf.length) throw new TollgateError("internal", "skipped() inside a token");
    this.#consumed += chars;
  }

  /** Feed decoded text. */
  feed(text: string): void {
    this.#buf = this.#buf.length ? this.#buf + text : text;
    this.#run(false);
  }

  /** End of input: everything must be complete. */
  end(): void {
    try {
      const tail = this.#decoder.decode();
      if (tail) this.#buf += tail;
    } catch {
      throw new TollgateError("malformed", "invalid UTF-8 at the end of the input (truncated multi-byte character)");
    }
    this.#run(true);
    if (this.#state !== St.Done) throw this.#err("unexpected end of input (truncated document)", this.#buf.length);
  }

  #err(msg: string, at: number): TollgateError {
    return new TollgateError("malformed", `${msg} at character ${this.#consumed + at}`);
  }

  #run(final: boolean): void {
    const buf = this.#buf;
    const n = buf.length;
    const sink = this.#sink;
    let i = 0;
    let tokenStart = 0;
    scan: while (true) {
      // whitespace
      let c = 0;
      while (i < n) {
        c = buf.charCodeAt(i);
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
        else break;
      }
      tokenStart = i;
      if (i >= n) break;
      const state = this.#state;
      if (state === St.Done) throw this.#err("unexpected data after the top-level value", i);
      if (state === St.Colon) {
        if (c !== 0x3a) throw this.#err(`expected ':' but found ${show(c)}`, i);
        i++;
        this.#state = St.Value;
        continue;
      }
      if (state === St.AfterValue) {
        const top = this.#stack[this.#stack.length - 1];
        if (c === 0x2c) {
          i++;
          this.#state = top === 1 ? St.Key : St.Value;
        } else if (c === 0x7d && top === 1) {
          i++;
          this.#stack.pop();
          sink.endObject();
          this.#afterValue();
        } else if (c === 0x5d && top === 2) {
          i++;
          this.#stack.pop();
          sink.endArray();
          this.#afterValue();
        } else throw this.#err(`expected ',' or '${top === 1 ? "}" : "]"}' but found ${show(c)}`, i);
        continue;
      }
      if (state === St.ObjectFirst || state === St.Key) {
        if (c === 0x7d && state === St.ObjectFirst) {
          i++;
          this.#stack.pop();
          sink.endObject();
          this.#afterValue();
          continue;
        }
        if (c !== 0x22) throw this.#err(`expected a string key but found ${show(c)}`, i);
        const r = this.#string(buf, i, true);
        if (r === undefined) break scan; // incomplete
        sink.key(r.value);
        i = r.next;
        this.#state = St.Colon;
        continue;
      }
      // St.Value or St.ArrayFirst
      if (c === 0x5d && state === St.ArrayFirst) {
        i++;
        this.#stack.pop();
        sink.endArray();
        this.#afterValue();
        continue;
      }
      if (c === 0x22) {
        const r = this.#string(buf, i);
        if (r === undefined) break scan;
        sink.string(r.value);
        i = r.next;
        this.#afterValue();
      } else if (c === 0x7b || c === 0x5b) {
        if (this.#stack.length >= MAX_DEPTH) throw this.#err(`nesting deeper than ${MAX_DEPTH} levels`, i);
        i++;
        if (c === 0x7b) {
          this.#stack.push(1);
          this.#state = St.ObjectFirst;
          sink.beginObject();
        } else {
          this.#stack.push(2);
          this.#state = St.ArrayFirst;
          sink.beginArray();
        }
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        let j = i + 1;
        while (j < n) {
          const d = buf.charCodeAt(j);
          if ((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) j++;
          else break;
        }
        if (j === n && !final) break scan; // the number may continue in the next chunk
        const src = buf.slice(i, j);
        if (!NUMBER_RE.test(src)) {
          if (src === "-" && buf.startsWith("Infinity", j)) throw new TollgateError("unsupported", `-Infinity is not JSON (Python accepts it) at character ${this.#consumed + i}`);
          throw this.#err(`invalid number ${clip(src)}`, i);
        }
        sink.number(src);
        i = j;
        this.#afterValue();
      } else {
        const word = c === 0x74 ? "true" : c === 0x66 ? "false" : c === 0x6e ? "null" : c === 0x4e ? "NaN" : c === 0x49 ? "Infinity" : undefined;
        if (word === undefined) throw this.#err(`unexpected character ${show(c)}`, i);
        if (n - i < word.length && !final && word.startsWith(buf.slice(i))) break scan;
        if (!buf.startsWith(word, i)) throw this.#err(`unexpected character ${show(c)}`, i);
        if (word === "NaN" || word === "Infinity") {
          throw new TollgateError("unsupported", `${word} is not JSON (Python accepts it) at character ${this.#consumed + i}`);
        }
        sink.literal(word === "true" ? true : word === "false" ? false : null);
        i += word.length;
        this.#afterValue();
      }
    }
    // Keep the unfinished token (if any) for the next chunk.
    const keepFrom = i >= n ? n : tokenStart;
    this.#consumed += keepFrom;
    this.#buf = keepFrom >= n ? "" : buf.slice(keepFrom);
  }

  // Keys repeat (every ledger entry has the same ones). Handing the sink the same string object each time
  // lets Map lookups reuse its cached hash instead of hashing a fresh substring of the input.
  #keys: string[] = [];
  #intern(k: string): string {
    const ks = this.#keys;
    if (ks.length < 64 && k.length <= 64) {
      // A slice may share the whole input chunk's storage; keep a copy so the chunk is not pinned.
      const own = (JSON.parse(JSON.stringify(k)) as string);
      ks.push(own);
      return own;
    }
    return k;
  }

  #afterValue(): void {
    this.#state = this.#stack.length === 0 ? St.Done : St.AfterValue;
  }

  /** Decode the string starting at the quote at `i`; undefined when it does not end inside `buf`. */
  #string(buf: string, i: number, isKey = false): { value: string; next: number } | undefined {
    // Fast path: scan to the closing quote; most strings have no escapes.
    const n = buf.length;
    let end = i + 1;
    while (end < n) {
      const c = buf.charCodeAt(end);
      if (c === 0x22 || c === 0x5c || c < 0x20) break;
      end++;
    }
    if (end >= n) return undefined;
    if (buf.charCodeAt(end) === 0x22) {
      if (isKey) {
        // A key seen before is matched in place, without cutting a new string out of the input.
        const len = end - i - 1;
        const first = buf.charCodeAt(i + 1);
        const ks = this.#keys;
        for (let k = 0; k < ks.length; k++) {
          const key = ks[k]!;
          if (key.length === len && key.charCodeAt(0) === first && buf.startsWith(key, i + 1)) return { value: key, next: end + 1 };
        }
        return { value: this.#intern(buf.slice(i + 1, end)), next: end + 1 };
      }
      return { value: buf.slice(i + 1, end), next: end + 1 };
    }
    SPECIAL_IN_STRING.lastIndex = end;
    let m = SPECIAL_IN_STRING.exec(buf);
    // Slow path: escapes.
    let out = "";
    let from = i + 1;
    while (true) {
      if (m === null) return undefined;
      const j = m.index;
      const c = buf.charCodeAt(j);
      out += buf.slice(from, j);
      if (c === 0x22) return { value: out, next: j + 1 };
      if (c < 0x20) throw this.#err(`unescaped control character ${show(c)} in a string`, j);
      // backslash
      if (j + 1 >= buf.length) return undefined;
      const e = buf.charCodeAt(j + 1);
      let next = j + 2;
      switch (e) {
        case 0x22: out += '"'; break;
        case 0x5c: out += "\\"; break;
        case 0x2f: out += "/"; break;
        case 0x62: out += "\b"; break;
        case 0x66: out += "\f"; break;
        case 0x6e: out += "\n"; break;
        case 0x72: out += "\r"; break;
        case 0x74: out += "\t"; break;
        case 0x75: {
          if (j + 6 > buf.length) return undefined;
          const hex = buf.slice(j + 2, j + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.#err(`invalid \\u escape "\\u${hex}"`, j);
          out += String.fromCharCode(parseInt(hex, 16));
          next = j + 6;
          break;
        }
        default:
          throw this.#err(`invalid escape "\\${String.fromCharCode(e)}"`, j);
      }
      from = next;
      SPECIAL_IN_STRING.lastIndex = next;
      m = SPECIAL_IN_STRING.exec(buf);
    }
  }
}

function show(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

// ---------------------------------------------------------------------------------------------------------
// Tree building on top of the tokenizer.

interface Frame {
  obj?: JsonObject;
  arr?: JsonTree[];
  key?: string;
  /** Elements are handed to onItem instead of stored (see TreeBuilder.streamAt). */
  streamed: boolean;
  count: number;
}

export interface TreeBuilderOptions {
  /**
   * Stream the array at this path of object keys (e.g. ["decision_ledger", "entries"]): each element is
   * built, handed to onItem and dropped, so a huge array never sits in memory. The array stays in the
   * tree as an empty array.
   */
  streamAt?: readonly string[];
  /** Called when the streamed array opens, with the objects on its path (root first), as filled so far. */
  onStreamOpen?(ancestors: readonly JsonObject[]): void;
  onItem?(item: JsonTree, index: number): void;
}

/** A JsonSink that builds a JsonTree; rejects duplicate keys. */
export class TreeBuilder implements JsonSink {
  #stack: Frame[] = [];
  #root: JsonTree | undefined;
  #done = false;
  #opts: TreeBuilderOptions;

  constructor(opts: TreeBuilderOptions = {}) {
    this.#opts = opts;
  }

  /** The finished document. */
  get root(): JsonTree {
    if (!this.#done) throw new TollgateError("malformed", "the document is incomplete");
    return this.#root!;
  }

  #put(v: JsonTree): void {
    const top = this.#stack[this.#stack.length - 1];
    if (top === undefined) {
      this.#root = v;
      this.#done = true;
    } else if (top.obj) {
      const k = top.key!;
      const size = top.obj.size;
      top.obj.set(k, v); // one map operation: a key already there leaves the size unchanged
      if (top.obj.size === size) throw new TollgateError("malformed", `duplicate key ${canonicalString(k)} in an object (ambiguous: parsers disagree on which value counts)`);
      top.key = undefined;
    } else if (top.streamed) {
      this.#opts.onItem?.(v, top.count++);
    } else {
      top.arr!.push(v);
    }
  }

  beginObject(): void {
    this.#stack.push({ obj: new Map(), streamed: false, count: 0 });
  }
  endObject(): void {
    this.#put(this.#stack.pop()!.obj!);
  }
  beginArray(): void {
    const path = this.#opts.streamAt;
    let streamed = false;
    if (path && this.#stack.length === path.length) {
      streamed = path.every((k, d) => this.#stack[d]!.obj !== undefined && this.#stack[d]!.key === k);
      if (streamed) this.#opts.onStreamOpen?.(this.#stack.map((f) => f.obj!));
    }
    this.#stack.push({ arr: [], streamed, count: 0 });
  }
  endArray(): void {
    this.#put(this.#stack.pop()!.arr!);
  }
  key(k: string): void {
    this.#stack[this.#stack.length - 1]!.key = k;
  }
  string(s: string): void {
    this.#put(s);
  }
  number(source: string): void {
    this.#put(new JsonNumber(source));
  }
  literal(v: boolean | null): void {
    this.#put(v);
  }
}

/**
 * Parse a whole JSON document given as UTF-8 bytes: as parseJsonTree, and a byte order mark or invalid UTF-8
 * is `malformed` too (a SourceFile's text() tolerates a BOM, so strict readers parse the bytes).
 */
export function parseJsonTreeBytes(bytes: Uint8Array): JsonTree {
  const b = new TreeBuilder();
  const t = new JsonTokenizer(b);
  t.feedBytes(bytes);
  t.end();
  return b.root;
}

/** Parse a whole JSON text into a tree (numbers keep their source). Throws `malformed`/`unsupported`. */
export function parseJsonTree(text: string): JsonTree {
  const b = new TreeBuilder();
  const t = new JsonTokenizer(b);
  if (text.charCodeAt(0) === 0xfeff) throw new TollgateError("malformed", "starts with a byte order mark (Python's json.loads rejects it)");
  t.feed(text);
  t.end();
  return b.root;
}
