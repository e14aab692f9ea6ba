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
const OPA_NUMBER = 3;
const OPA_STRING = 4;
const OPA_ARRAY = 5;
const OPA_STRING_INTERNED = 8;

/** Not a plain value: the caller takes the JSON path. */
const NOT_PLAIN = Symbol("not plain");

const utf8 = new TextDecoder();
const utf8Out = new TextEncoder();
const LONE_SURROGATE = /\p{Cs}/u; // with the u flag a paired surrogate is one code point, not Cs

/**
 * A number or string value at `addr` as the JSON path would hand it to the host (JSON.parse of the module's dump:
 * an int64 beyond 2^53 would be rounded there, so it is not plain here), or NOT_PLAIN.
 */
function readScalar(mem: WebAssembly.Memory, addr: number): string | number | typeof NOT_PLAIN {
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
function readPlain(mem: WebAssembly.Memory, addr: number): string | number | (string | number)[] | typeof NOT_PLAIN {
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
function writeString(mem: WebAssembly.Memory, ex: Exports, s: string): number | undefined {
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

const PROBE = '["tollgate layout probe \u00e9\u{1f600}",0,-7,9007199254740991,1.5,-2.5e-7,""]';

/**
 * Whether this module lays values out as the layouts above say: the value its own JSON parser makes of PROBE reads
 * back as JSON.parse reads it, and a string value written here dumps as JSON.stringify writes it. The layouts are
 * those of the opa that built tollgate's bundles; a bundle from another opa whose runtime differs keeps every
 * built-in on the JSON path (checked once per module, during its first built-in call; the heap is reset after).
 */
export function layoutProbe(mem: WebAssembly.Memory, ex: Exports): boolean {
  try {
    const text = utf8Out.encode(PROBE);
    const at = ex.opa_malloc!(text.length);
    new Uint8Array(mem.buffer).set(text, at);
    const v = ex.opa_json_parse!(at, text.length);
    if (!v || JSON.stringify(readPlain(mem, v)) !== JSON.stringify(JSON.parse(PROBE))) return false;
    const sample = "probe \u00e9\u{1f600} \"q\"";
    const sv = writeString(mem, ex, sample);
    return sv !== undefined && cString(mem, ex.opa_json_dump!(sv)) === JSON.stringify(sample);
  } catch {
    return false;
  }
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
    let layoutOk: boolean | undefined; // this module's values are laid out as readPlain/writeString read and write them
    for (const k of Object.keys(env)) {
      const f = env[k];
      if (!/^opa_builtin\d$/.test(k) || typeof f !== "function") continue;
      env[k] = (id: number, ctx: number, ...args: number[]) => {
        const name = ex ? nameOf(id) : undefined;
        const fast = name === undefined ? undefined : FAST_BUILTINS.get(name);
        if (fast && (layoutOk ??= layoutProbe(memory, ex!))) {
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
