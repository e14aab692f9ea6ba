// Sets for the host built-ins that print values. opa-wasm hands a built-in its arguments as JSON, where a Rego set
// is an array, so sprintf("%v", [{"a"}]) would print ["a"] where opa prints {"a"}. For the built-ins named in
// VALUE_BUILTINS, the argument dump is taken from the module's opa_value_dump (Rego text, which keeps sets) and
// re-encoded as JSON with each set tagged ({SET_TAG: [...]}), so the host sees the value opa sees.
// Done by giving opa-wasm an instance whose opa_json_dump export is wrapped, while a builtin call is in progress.
export const SET_TAG = "\u0000rego-set";

/** The members of a tagged set, or undefined for any other value. */
export function setMembers(x: unknown): unknown[] | undefined {
  if (x === null || typeof x !== "object" || Array.isArray(x)) return undefined;
  const m = (x as Record<string, unknown>)[SET_TAG];
  return Array.isArray(m) && Object.keys(x).length === 1 ? m : undefined;
}

export const VALUE_BUILTINS = new Set(["sprintf", "internal.print"]);

/** Rego's text of a value (opa_value_dump) as JSON, sets tagged. */
export function regoTextToJson(text: string): string {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (): string => {
    ws();
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const s = text.slice(i, j + 1);
      i = j + 1;
      return s;
    }
    if (c === "[") {
      i++;
      const items: string[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return "[]";
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
          return `[${items.join(",")}]`;
        } else throw new Error(`unexpected ${text[i]} in Rego value`);
      }
    }
    if (text.startsWith("set()", i)) {
      i += 5;
      return `{${JSON.stringify(SET_TAG)}:[]}`;
    }
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") {
        i++;
        return "{}";
      }
      const first = value();
      ws();
      if (text[i] === ":") {
        const pairs: string[] = [];
        let key = first;
        for (;;) {
          i++; // ':'
          const v = value();
          // Object keys in JSON are strings; a non-string Rego key becomes its text.
          pairs.push(`${key.startsWith('"') ? key : JSON.stringify(key)}:${v}`);
          ws();
          if (text[i] === ",") {
            i++;
            key = value();
            ws();
            continue;
          }
          if (text[i] === "}") {
            i++;
            return `{${pairs.join(",")}}`;
          }
          throw new Error(`unexpected ${text[i]} in Rego object`);
        }
      }
      const items = [first];
      for (;;) {
        ws();
        if (text[i] === ",") {
          i++;
          items.push(value());
        } else if (text[i] === "}") {
          i++;
          return `{${JSON.stringify(SET_TAG)}:[${items.join(",")}]}`;
        } else throw new Error(`unexpected ${text[i]} in Rego set`);
      }
    }
    const m = /^(true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i));
    if (!m) throw new Error(`unexpected ${text.slice(i, i + 10)} in Rego value`);
    i += m[0].length;
    return m[0];
  };
  const out = value();
  return out;
}

type Exports = Record<string, (...a: number[]) => number>;

// ---- Plain values read straight from the module's memory ----
// A host built-in's arguments normally cross as JSON (the module dumps each, the host parses it, and the result is
// stringified and parsed back in the module). For built-ins registered in FAST_BUILTINS, arguments that are
// strings, numbers or arrays of those are read from the module's memory instead, and a string result is written
// as a string value, with no JSON on either side; anything else takes the JSON path as before.
// Layouts (OPA's wasm/src/value.h, the wasm32 build opa 1.x emits; little-endian, pointers and size_t 4 bytes):
//   every value        u8 type at 0: 1 null, 2 boolean, 3 number, 4 string, 5 array, 6 object, 7 set,
//                      8 interned string (the compiler's constants, laid out as a string), 9 interned boolean
//   number             u8 repr at 1; repr 1 (int): i64 at 8; repr 2 (ref, the JSON text as parsed): ptr at 8, len at 12
//   string             u32 len at 4, ptr at 8 (UTF-8 bytes, not NUL-terminated)
//   array              ptr elems at 4, u32 len at 8; elems[i] = {ptr index, ptr value} (8 bytes each)
export const OPA_NUMBER = 3;
export const OPA_STRING = 4;
export const OPA_ARRAY = 5;
export const OPA_OBJECT = 6;
export const OPA_STRING_INTERNED = 8;

/** Not a plain value: the caller takes the JSON path. */
export const NOT_PLAIN = Symbol("not plain");

const utf8 = new TextDecoder();
const utf8Out = new TextEncoder();
const LONE_SURROGATE = /\p{Cs}/u; // with the u flag a paired surrogate is one code point, not Cs

/**
 * A number or string value at `addr` as the JSON path would hand it to the host (JSON.parse of the module's dump:
 * an int64 beyond 2^53 would be rounded there, so it is not plain here), or NOT_PLAIN.
 */
export function readScalar(mem: WebAssembly.Memory, addr: number): string | number | typeof NOT_PLAIN {
  const dv = new DataView(mem.buffer);
  const type = dv.getUint8(addr);
  if (type === OPA_STRING || type === OPA_STRING_INTERNED) {
    const len = dv.getUint32(addr + 4, true);
    const ptr = dv.getUint32(addr + 8, true);
    return utf8.decode(new Uint8Array(mem.buffer, ptr, len));
  }
  if (type === OPA_NUMBER) {
    const repr = dv.getUint8(addr + 1);
    if (repr === 1) {
      const i = dv.getBigInt64(addr + 8, true);
      return i >= -9007199254740991n && i <= 9007199254740991n ? Number(i) : NOT_PLAIN;
    }
    if (repr === 2) {
      // The number's JSON text, which the module's JSON dump writes verbatim: parsed as the JSON path parses it.
      const text = utf8.decode(new Uint8Array(mem.buffer, dv.getUint32(addr + 8, true), dv.getUint32(addr + 12, true)));
      if (!/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(text)) return NOT_PLAIN;
      return JSON.parse(text) as number;
    }
  }
  return NOT_PLAIN;
}

/** A plain value, or an array of plain scalars, at `addr` (see readScalar), or NOT_PLAIN. */
export function readPlain(mem: WebAssembly.Memory, addr: number): string | number | (string | number)[] | typeof NOT_PLAIN {
  const dv = new DataView(mem.buffer);
  if (dv.getUint8(addr) !== OPA_ARRAY) return readScalar(mem, addr);
  const elems = dv.getUint32(addr + 4, true);
  const len = dv.getUint32(addr + 8, true);
  const out: (string | number)[] = [];
  for (let i = 0; i < len; i++) {
    const v = readScalar(mem, dv.getUint32(elems + 8 * i + 4, true));
    if (v === NOT_PLAIN) return NOT_PLAIN;
    out.push(v);
  }
  return out;
}

/**
 * A string value holding `s`, allocated in the module's heap (opa_malloc), or undefined when `s` is not well-formed
 * UTF-16 (a lone surrogate: the JSON path decides what that becomes).
 */
export function writeString(mem: WebAssembly.Memory, ex: Exports, s: string): number | undefined {
  if (LONE_SURROGATE.test(s)) return undefined;
  const bytes = utf8Out.encode(s);
  const str = ex.opa_malloc!(12);
  const data = bytes.length ? ex.opa_malloc!(bytes.length) : 0;
  const dv = new DataView(mem.buffer); // after the allocations: they may grow the memory
  dv.setUint8(str, OPA_STRING);
  dv.setUint8(str + 1, 0); // not owned: the heap is reset after the evaluation
  dv.setUint32(str + 4, bytes.length, true);
  dv.setUint32(str + 8, data, true);
  new Uint8Array(mem.buffer).set(bytes, data);
  return str;
}

/** A built-in computed from plain arguments (see readPlain); undefined hands the call to the JSON path. */
export type FastBuiltin = (...args: (string | number | (string | number)[])[]) => string | undefined;

/** Host built-ins with a plain-argument path, by name (builtins.ts registers sprintf). */
export const FAST_BUILTINS = new Map<string, FastBuiltin>();

/** Counters for tests: calls answered from memory and calls handed to the JSON path. */
export const fastBuiltinStats = { fast: 0, json: 0 };

function cString(mem: WebAssembly.Memory, addr: number): string {
  const bytes = new Uint8Array(mem.buffer);
  let end = addr;
  while (bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(addr, end));
}

/** Run `load` (an opa-wasm loadPolicy call) with instantiation wrapped as described above. */
export async function withValueDumps<T>(load: () => Promise<T>): Promise<T> {
  const real = WebAssembly.instantiate;
  const patched = async (src: unknown, imports?: Record<string, Record<string, unknown>>) => {
    const env = (imports?.env ?? {}) as Record<string, unknown>;
    const memory = env.memory as WebAssembly.Memory;
    let current: number | undefined;
    let ex: Exports | undefined; // the module's exports, once instantiated (builtins are only called after)
    for (const k of Object.keys(env)) {
      const f = env[k];
      if (!/^opa_builtin\d$/.test(k) || typeof f !== "function") continue;
      env[k] = (id: number, ctx: number, ...args: number[]) => {
        const fast = ex && FAST_BUILTINS.get(nameOf(id) ?? "");
        if (fast) {
          const plain = args.map((a) => readPlain(memory, a));
          if (!plain.includes(NOT_PLAIN)) {
            const out = fast(...(plain as (string | number | (string | number)[])[]));
            const addr = out === undefined ? undefined : writeString(memory, ex!, out);
            if (addr !== undefined) {
              fastBuiltinStats.fast++;
              return addr;
            }
          }
          fastBuiltinStats.json++;
        }
        const prev = current;
        current = id;
        try {
          return (f as (...a: unknown[]) => unknown)(id, ctx, ...args);
        } finally {
          current = prev;
        }
      };
    }
    const result = (await (real as (s: unknown, i?: Record<string, Record<string, unknown>>) => Promise<unknown>)(src, imports)) as WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance;
    const instance = "instance" in result ? result.instance : result;
    ex = instance.exports as Exports;
    let names: Record<number, string> | undefined;
    function nameOf(id: number): string | undefined {
      names ??= Object.fromEntries(Object.entries(JSON.parse(cString(memory, ex!.opa_json_dump!(ex!.builtins!()))) as Record<string, number>).map(([n, i]) => [i, n]));
      return names[id];
    }
    const mod = ex;
    const exports: Exports = {
      ...mod,
      opa_json_dump: (addr: number) => {
        if (current === undefined || typeof mod.opa_value_dump !== "function" || !VALUE_BUILTINS.has(nameOf(current) ?? "")) return mod.opa_json_dump!(addr);
        const json = new TextEncoder().encode(regoTextToJson(cString(memory, mod.opa_value_dump(addr))));
        const out = mod.opa_malloc!(json.length + 1);
        const view = new Uint8Array(memory.buffer);
        view.set(json, out);
        view[out + json.length] = 0;
        return out;
      },
    };
    const fake = { exports } as unknown as WebAssembly.Instance;
    return "instance" in result ? { module: result.module, instance: fake } : fake;
  };
  (WebAssembly as { instantiate: unknown }).instantiate = patched;
  try {
    return await load();
  } finally {
    (WebAssembly as { instantiate: unknown }).instantiate = real;
  }
}

// ---- A JS value laid out as the module's own value, with no JSON text in between ----
// What opa_json_parse builds from JSON.stringify(value), written by the host straight into the module's memory:
// strings as their UTF-8 bytes, numbers as their JSON text (the "ref" numbers OPA's parser makes), arrays with
// their index values (int numbers, shared between arrays: values are never changed in place), objects hashed into
// buckets exactly as opa_object_insert files them (FNV-1a of the key's bytes, the bucket count its growth reaches
// at that size, each chain in key order), so lookups find every key and iteration visits members in the order the
// parser's object would (the module's JSON dump of both is the same text). JSON.stringify's rules apply: toJSON,
// undefined/functions/symbols dropped from objects and null in arrays, non-finite numbers null. A value it would
// refuse (BigInt, a cycle), a string with a lone surrogate, or nesting deeper than 10,000 is not laid out: the
// caller takes the JSON path. Layout additions (value.h): boolean u8 at 1; number repr 2 also u8 free at 16;
// object: ptr buckets at 4, u32 bucket count at 8, u32 len at 12; bucket element {ptr key, ptr value, ptr next}.
const OBJ_MIN_BUCKETS = 8;
const OBJ_LOAD_FACTOR = 0.7; // wasm/src/value.c's OPA_OBJECT_LOAD_FACTOR
const MAX_DEPTH = 10_000;
const ObjectProto = Object.prototype;

class Writer {
  u8: Uint8Array;
  u32: Uint32Array;
  cap: number;
  off = 0; // the next free byte (an absolute address in the module's memory)
  depth = 0;
  idx: number[] = []; // addresses of the index numbers laid out in this call, by index
  stackE = new Uint32Array(1024); // obj(): bucket elements laid out and not yet linked
  stackH = new Uint32Array(1024); // and their keys' hashes
  top = 0;
  hash = 0; // bytes(): FNV-1a of the last string's bytes, when asked
  sAt = 0; // bytes(): where the last string's bytes are
  sLen = 0; // bytes(): how many
  mem: WebAssembly.Memory | undefined;
  buffer: ArrayBuffer | undefined; // the memory's buffer the views below are over (it changes when memory grows)
  buf: Buffer = Buffer.alloc(0); // Buffer#write encodes UTF-8 in place (TextEncoder#encodeInto needs a subarray each time)
  constructor() {
    this.u8 = new Uint8Array(0);
    this.u32 = new Uint32Array(0);
    this.cap = 0;
  }
  views(): void {
    const b = this.mem!.buffer;
    if (b !== this.buffer) {
      this.buffer = b;
      this.u8 = new Uint8Array(b);
      this.buf = Buffer.from(b);
      this.u32 = new Uint32Array(b);
      this.cap = b.byteLength;
    }
  }
  grow(n: number): void {
    this.mem!.grow(Math.ceil((this.off + n - this.cap) / 65536) + 1);
    this.views();
  }
  alloc(n: number): number {
    const at = (this.off + 7) & ~7;
    if (at + n > this.cap) { this.off = at; this.grow(n); }
    this.off = at + n;
    return at;
  }
  /** The UTF-8 bytes of str at the next free byte (sAt, sLen); with `hash`, also opa_string_hash's FNV-1a of them. */
  bytes(str: string, hash: boolean): void {
    const n = str.length;
    if (this.off + n * 3 > this.cap) this.grow(n * 3);
    const u8 = this.u8;
    const at = this.off;
    let len = 0;
    if (n < 24) {
      let i = 0;
      let h = 0x811c9dc5;
      for (; i < n; i++) {
        const c = str.charCodeAt(i);
        if (c >= 0x80) break;
        u8[at + i] = c;
        h = Math.imul(h, 0x01000193) ^ c;
      }
      len = i;
      if (i === n) {
        // ASCII: the hash is done (keys are short and nearly always ASCII)
        this.off = at + len;
        this.sAt = at;
        this.sLen = len;
        if (hash) this.hash = h >>> 0;
        return;
      }
      const rest = str.slice(i);
      if (LONE_SURROGATE.test(rest)) throw NOT_PLAIN;
      len = i + utf8Out.encodeInto(rest, u8.subarray(at + i, at + n * 3)).written;
    } else {
      len = this.buf.write(str, at, n * 3, "utf8");
      if (len !== n && LONE_SURROGATE.test(str)) throw NOT_PLAIN;
    }
    if (hash) {
      let h = 0x811c9dc5;
      for (let j = at; j < at + len; j++) h = Math.imul(h, 0x01000193) ^ u8[j]!;
      this.hash = h >>> 0;
    }
    this.off = at + len;
    this.sAt = at;
    this.sLen = len;
  }
  str(v: string, hash = false): number {
    const sv = this.alloc(12);
    this.bytes(v, hash);
    const u32 = this.u32;
    const w = sv >> 2;
    u32[w] = OPA_STRING; // free 0: the heap is reset after the evaluation
    u32[w + 1] = this.sLen;
    u32[w + 2] = this.sAt;
    return sv;
  }
  num(v: number): number {
    if (!Number.isFinite(v)) return this.nul();
    const num = this.alloc(24);
    this.bytes("" + v, false);
    const u32 = this.u32;
    const w = num >> 2;
    u32[w] = OPA_NUMBER | (2 << 8); // repr 2: ref, the JSON text
    u32[w + 2] = this.sAt;
    u32[w + 3] = this.sLen;
    u32[w + 4] = 0;
    return num;
  }
  nul(): number {
    const z = this.alloc(4);
    this.u32[z >> 2] = 1;
    return z;
  }
  put(v: unknown): number {
    switch (typeof v) {
      case "string": return this.str(v);
      case "number": return this.num(v);
      case "boolean": { const b = this.alloc(4); this.u32[b >> 2] = 2 | ((v ? 1 : 0) << 8); return b; }
      case "object": {
        if (v === null) return this.nul();
        if (++this.depth > MAX_DEPTH) throw NOT_PLAIN;
        let r: number;
        if (Array.isArray(v)) r = this.arr(v);
        else if (Object.getPrototypeOf(v) === ObjectProto && !("toJSON" in (v as object))) r = this.obj(v as Record<string, unknown>);
        else {
          if (v instanceof String || v instanceof Number || v instanceof Boolean) throw NOT_PLAIN; // JSON.stringify unboxes
          const t = (v as { toJSON?: unknown }).toJSON;
          if (typeof t === "function") { this.depth--; return this.put(t.call(v)); }
          r = this.objKeys(v as Record<string, unknown>);
        }
        this.depth--;
        return r;
      }
      default: throw NOT_PLAIN;
    }
  }
  index(i: number): number {
    let at = this.idx[i];
    if (at === undefined) {
      at = this.alloc(24);
      const w = at >> 2;
      this.u32[w] = OPA_NUMBER | (1 << 8); // repr 1: int
      this.u32[w + 2] = i;
      this.u32[w + 3] = 0;
      this.idx[i] = at;
    }
    return at;
  }
  arr(v: unknown[]): number {
    const len = v.length;
    const arr = this.alloc(16);
    const elems = len ? this.alloc(8 * len) : 0;
    for (let i = 0; i < len; i++) {
      const x = v[i];
      const ix = this.index(i);
      const vv = this.put(x === undefined || typeof x === "function" || typeof x === "symbol" ? null : x);
      const u32 = this.u32;
      u32[(elems >> 2) + 2 * i] = ix;
      u32[(elems >> 2) + 2 * i + 1] = vv;
    }
    const u32 = this.u32;
    const w = arr >> 2;
    u32[w] = OPA_ARRAY;
    u32[w + 1] = len ? elems : 0;
    u32[w + 2] = len;
    u32[w + 3] = len;
    return arr;
  }
  // A plain object: for-in visits own enumerable string keys in Object.keys order (no inherited ones on Object.prototype).
  obj(o: Record<string, unknown>): number {
    // One walk: each member laid out (key, value, its bucket element) and stacked; then the buckets, sized for the
    // count, and the elements linked into their chains. Nested objects stack above and leave the stack as found.
    const start = this.top;
    for (const k in o) {
      const x = o[k];
      if (x === undefined || typeof x === "function" || typeof x === "symbol") continue;
      const kv = this.str(k, true);
      const hash = this.hash;
      const vv = this.put(x);
      const e = this.alloc(12);
      this.u32[e >> 2] = kv;
      this.u32[(e >> 2) + 1] = vv;
      if (this.top === this.stackE.length) this.growStack();
      this.stackE[this.top] = e;
      this.stackH[this.top++] = hash;
    }
    const count = this.top - start;
    let n = OBJ_MIN_BUCKETS;
    while (count > n * OBJ_LOAD_FACTOR) n *= 2;
    const obj = this.alloc(16);
    const buckets = this.alloc(4 * n);
    const u32 = this.u32;
    u32.fill(0, buckets >> 2, (buckets >> 2) + n);
    for (let i = start; i < this.top; i++) this.link(buckets, n, this.stackE[i]!, this.stackH[i]!);
    this.top = start;
    const w = obj >> 2;
    u32[w] = OPA_OBJECT;
    u32[w + 1] = buckets;
    u32[w + 2] = n;
    u32[w + 3] = count;
    return obj;
  }
  growStack(): void {
    const e = new Uint32Array(this.stackE.length * 2);
    const h = new Uint32Array(this.stackE.length * 2);
    e.set(this.stackE);
    h.set(this.stackH);
    this.stackE = e;
    this.stackH = h;
  }
  /** Element e (its key's string at e, hash `hash`) into its bucket's chain, in key order as __opa_object_insert_elem files it. */
  link(buckets: number, n: number, e: number, hash: number): void {
    const u32 = this.u32;
    const u8 = this.u8;
    const kv = u32[e >> 2]!;
    const kAt = u32[(kv >> 2) + 2]!;
    const kLen = u32[(kv >> 2) + 1]!;
    let prev = (buckets >> 2) + (hash % n);
    let curr = u32[prev]!;
    while (curr !== 0) {
      const ck = u32[curr >> 2]!;
      const cAt = u32[(ck >> 2) + 2]!;
      const cLen = u32[(ck >> 2) + 1]!;
      let d = 0;
      const m = kLen < cLen ? kLen : cLen;
      for (let i = 0; i < m && d === 0; i++) d = u8[kAt + i]! - u8[cAt + i]!;
      if ((d || kLen - cLen) < 0) break;
      prev = (curr >> 2) + 2;
      curr = u32[prev]!;
    }
    u32[(e >> 2) + 2] = curr;
    u32[prev] = e;
  }
  objKeys(o: Record<string, unknown>): number {
    const keys = Object.keys(o).filter((k) => { const x = o[k]; return !(x === undefined || typeof x === "function" || typeof x === "symbol"); });
    let n = OBJ_MIN_BUCKETS;
    while (keys.length > n * OBJ_LOAD_FACTOR) n *= 2;
    const obj = this.alloc(16);
    const buckets = this.alloc(4 * n);
    this.u32.fill(0, buckets >> 2, (buckets >> 2) + n);
    for (const k of keys) this.member(buckets, n, k, o[k]);
    const u32 = this.u32;
    const w = obj >> 2;
    u32[w] = OPA_OBJECT;
    u32[w + 1] = buckets;
    u32[w + 2] = n;
    u32[w + 3] = keys.length;
    return obj;
  }
  member(buckets: number, n: number, k: string, x: unknown): void {
    const kv = this.str(k, true);
    const hash = this.hash;
    const vv = this.put(x);
    const e = this.alloc(12);
    this.u32[e >> 2] = kv;
    this.u32[(e >> 2) + 1] = vv;
    this.link(buckets, n, e, hash);
  }

}

const writer = new Writer();

/**
 * Lay `value` out at `at` (8-aligned) in `mem`, growing it as needed, as the module's own value: its address and
 * the first byte after the layout (where the module's heap may start), or undefined when the value must take the
 * JSON path (see above; nothing the caller relies on is written then, but the bytes from `at` are scratch).
 */
export function writeValue(mem: WebAssembly.Memory, at: number, value: unknown): { addr: number; end: number } | undefined {
  if (at & 7) throw new Error("writeValue: the address must be 8-aligned");
  const w = writer;
  w.mem = mem;
  w.views();
  w.off = at;
  w.depth = 0;
  w.top = 0;
  w.idx.length = 0;
  try {
    const addr = w.put(value);
    return { addr, end: w.off };
  } catch (e) {
    if (e === NOT_PLAIN || e instanceof RangeError) return undefined;
    throw e;
  } finally {
    w.mem = undefined;
    w.buffer = undefined;
  }
}

/** What evaluateValue needs of a loaded module (opa-wasm's LoadedPolicy keeps these). */
export interface ModuleState {
  exports: Exports;
  memory: WebAssembly.Memory;
  /** the data document's address (setData) */
  dataAddr: number;
  /** the first heap byte above the data: evaluations start there, the heap is reset to it each time */
  heapStart: number;
}

const CTX = ["opa_eval_ctx_new", "opa_eval_ctx_set_input", "opa_eval_ctx_set_data", "opa_eval_ctx_set_entrypoint", "eval", "opa_eval_ctx_get_result", "opa_json_dump", "opa_heap_ptr_set"];

/**
 * One evaluation with the input laid out by writeValue (no JSON.stringify, no parse in the module), through the
 * evaluation-context ABI. Returns the result set's JSON text as the module dumps it, or undefined when the module
 * lacks that ABI or the input must take the JSON path.
 */
export function evaluateValue(m: ModuleState, entrypoint: number, input: unknown): string | undefined {
  const ex = m.exports;
  if (CTX.some((f) => typeof ex[f] !== "function")) return undefined;
  const at = (m.heapStart + 7) & ~7;
  const laid = writeValue(m.memory, at, input);
  if (!laid) return undefined;
  ex.opa_heap_ptr_set!(laid.end);
  const ctx = ex.opa_eval_ctx_new!();
  ex.opa_eval_ctx_set_input!(ctx, laid.addr);
  ex.opa_eval_ctx_set_data!(ctx, m.dataAddr);
  ex.opa_eval_ctx_set_entrypoint!(ctx, entrypoint);
  ex.eval!(ctx);
  const out = ex.opa_json_dump!(ex.opa_eval_ctx_get_result!(ctx));
  const mem = new Uint8Array(m.memory.buffer); // the evaluation may have grown the memory
  return utf8.decode(mem.subarray(out, mem.indexOf(0, out)));
}
