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
    for (const k of Object.keys(env)) {
      const f = env[k];
      if (!/^opa_builtin\d$/.test(k) || typeof f !== "function") continue;
      env[k] = (id: number, ...rest: unknown[]) => {
        const prev = current;
        current = id;
        try {
          return (f as (...a: unknown[]) => unknown)(id, ...rest);
        } finally {
          current = prev;
        }
      };
    }
    const result = (await (real as (s: unknown, i?: Record<string, Record<string, unknown>>) => Promise<unknown>)(src, imports)) as WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance;
    const instance = "instance" in result ? result.instance : result;
    const ex = instance.exports as Exports;
    let names: Record<number, string> | undefined;
    const nameOf = (id: number) => {
      names ??= Object.fromEntries(Object.entries(JSON.parse(cString(memory, ex.opa_json_dump!(ex.builtins!()))) as Record<string, number>).map(([n, i]) => [i, n]));
      return names[id];
    };
    const exports: Exports = {
      ...ex,
      opa_json_dump: (addr: number) => {
        if (current === undefined || typeof ex.opa_value_dump !== "function" || !VALUE_BUILTINS.has(nameOf(current) ?? "")) return ex.opa_json_dump!(addr);
        const json = new TextEncoder().encode(regoTextToJson(cString(memory, ex.opa_value_dump(addr))));
        const out = ex.opa_malloc!(json.length + 1);
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
