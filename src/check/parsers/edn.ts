// EDN (conftest parser/edn: olympos.io/encoding/edn into interface{}, then every non-string scalar and every
// map key printed with Go's %v). No JS EDN library yields Go's types (edn-data and jsedn give JS values, not
// Go's int64/float64/rune/Keyword/Tag whose %v conftest prints), so this is a small reader: strings stay
// strings, keywords print as ":name", numbers as Go prints them ("5432", "1e+06"), characters as their
// code point, nil as "<nil>", sets as "map[a:true b:true]", #inst as Go's time.Time, other tags as "#tag value".
import { malformed, text, type ParseContext, type Parser } from "./types.ts";

type V = { k: "str"; v: string } | { k: "kw"; v: string } | { k: "sym"; v: string } | { k: "int"; v: bigint } | { k: "bigint"; v: bigint } | { k: "float"; v: number }
  | { k: "char"; v: number } | { k: "bool"; v: boolean } | { k: "nil" } | { k: "list"; v: V[] } | { k: "map"; v: [V, V][] }
  | { k: "set"; v: V[] } | { k: "tag"; tag: string; v: V } | { k: "inst"; v: string } | { k: "bytes"; v: Uint8Array };

class Fail extends Error {}

/** Go's %v of a float64: %g with the shortest digits, in exponent form when the exponent is < -4 or >= 6. */
export function goFloatV(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "+Inf" : "-Inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [mant, e] = x.toExponential().split("e") as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return String(x).includes("e") ? x.toFixed(Math.max(0, -exp + mant.replace(/^-?\d\.?/, "").length)) : String(x);
}

const DELIM = /[\s,()[\]{}";]/;

function read(src: string): V {
  let i = 0;
  const ws = () => {
    for (;;) {
      while (i < src.length && /[\s,]/.test(src[i]!)) i++;
      if (src[i] === ";") {
        while (i < src.length && src[i] !== "\n") i++;
        continue;
      }
      if (src.startsWith("#_", i)) {
        i += 2;
        value();
        continue;
      }
      return;
    }
  };
  const atom = () => {
    const s = i;
    while (i < src.length && !DELIM.test(src[i]!)) i++;
    return src.slice(s, i);
  };
  const seq = (close: string): V[] => {
    const out: V[] = [];
    for (;;) {
      ws();
      if (i >= src.length) throw new Fail(`unexpected end of input, expected ${close}`);
      if (src[i] === close) {
        i++;
        return out;
      }
      if (")]}".includes(src[i]!)) throw new Fail(`unexpected ${src[i]} at offset ${i}`);
      out.push(value());
    }
  };
  function value(): V {
    ws();
    if (i >= src.length) throw new Fail("unexpected end of input");
    const c = src[i]!;
    if (c === "(" || c === "[") {
      i++;
      return { k: "list", v: seq(c === "(" ? ")" : "]") };
    }
    if (c === "{") {
      i++;
      const items = seq("}");
      if (items.length % 2) throw new Fail("map with an odd number of elements");
      const v: [V, V][] = [];
      for (let j = 0; j < items.length; j += 2) v.push([items[j]!, items[j + 1]!]);
      return { k: "map", v };
    }
    if (c === '"') {
      let s = "";
      i++;
      for (;;) {
        if (i >= src.length) throw new Fail("unterminated string");
        const ch = src[i++]!;
        if (ch === '"') break;
        if (ch === "\\") {
          const e = src[i++];
          if (e === "u") {
            const h = src.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(h)) throw new Fail("invalid \\u escape in string");
            s += String.fromCharCode(parseInt(h, 16));
            i += 4;
          } else if (e !== undefined && e in ESC) s += ESC[e];
          else throw new Fail(`invalid escape \\${e ?? ""} in string`);
        } else s += ch;
      }
      return { k: "str", v: s };
    }
    if (c === "\\") {
      i++;
      const a = src[i]! + atom().slice(1);
      const named: Record<string, number> = { newline: 10, return: 13, space: 32, tab: 9, formfeed: 12 };
      if (a in named) return { k: "char", v: named[a]! };
      if (/^u[0-9a-fA-F]{4}$/.test(a)) return { k: "char", v: parseInt(a.slice(1), 16) };
      const cp = a.codePointAt(0);
      if (cp === undefined || String.fromCodePoint(cp) !== a) throw new Fail(`invalid character \\${a}`);
      return { k: "char", v: cp };
    }
    if (c === "#") {
      if (src[i + 1] === "{") {
        i += 2;
        return { k: "set", v: seq("}") };
      }
      i++;
      const tag = atom();
      if (!/^[A-Za-z]/.test(tag)) throw new Fail(`invalid tag #${tag}`);
      const v = value();
      if (tag === "inst") {
        if (v.k !== "str" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v.v)) throw new Fail("#inst needs an RFC 3339 time string");
        return { k: "inst", v: v.v };
      }
      if (tag === "base64") {
        if (v.k !== "str") throw new Fail("#base64 needs a string");
        return { k: "bytes", v: new Uint8Array(Buffer.from(v.v, "base64")) };
      }
      return { k: "tag", tag, v };
    }
    if (")]}".includes(c)) throw new Fail(`unexpected ${c} at offset ${i}`);
    const a = atom();
    if (a === "nil") return { k: "nil" };
    if (a === "true" || a === "false") return { k: "bool", v: a === "true" };
    if (a.startsWith(":")) {
      if (a.length === 1) throw new Fail("empty keyword");
      return { k: "kw", v: a.slice(1) };
    }
    if (/^[+-]?(0|[1-9]\d*)N?$/.test(a)) {
      const n = BigInt(a.replace(/N$/, "").replace(/^\+/, ""));
      if (!a.endsWith("N") && (n > 9223372036854775807n || n < -9223372036854775808n)) throw new Fail(`integer out of range: ${a}`);
      return { k: a.endsWith("N") ? "bigint" : "int", v: n };
    }
    if (/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?$/.test(a)) return { k: "float", v: Number(a.replace(/M$/, "")) };
    if (/^[+-]?\d/.test(a)) return { k: "sym", v: a };
    return { k: "sym", v: a };
  }
  const v = value();
  ws();
  return v;
}

const ESC: Record<string, string> = { t: "\t", r: "\r", n: "\n", "\\": "\\", '"': '"', b: "\b", f: "\f" };


/** Go's time.Time.String() of a parsed RFC 3339 time. */
function goTimeString(s: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(s)!;
  const frac = (m[3] ?? "").replace(/0+$/, "");
  const zone = m[4] === "Z" ? "+0000 UTC" : `${m[4]!.replace(":", "")} ${m[4]!.replace(":", "")}`;
  return `${m[1]} ${m[2]}${frac ? "." + frac : ""} ${zone}`;
}

/** Go's %v of the decoded value. */
function fmtV(v: V): string {
  switch (v.k) {
    case "str": case "sym": return v.v;
    case "kw": return ":" + v.v;
    case "int": return v.v.toString();
    case "bigint": {
      // a big.Int value (not a pointer) prints as its struct: {neg [64-bit words, least significant first]}
      const words: string[] = [];
      for (let a = v.v < 0n ? -v.v : v.v; a > 0n; a >>= 64n) words.push((a & 0xffffffffffffffffn).toString());
      return `{${v.v < 0n} [${words.join(" ")}]}`;
    }
    case "float": return goFloatV(v.v);
    case "char": return String(v.v);
    case "bool": return String(v.v);
    case "nil": return "<nil>";
    case "list": return "[" + v.v.map(fmtV).join(" ") + "]";
    case "map": return "map[" + sortedKeys(v.v.map(([a, b]) => [fmtV(a), fmtV(b)] as const)).map(([a, b]) => `${a}:${b}`).join(" ") + "]";
    case "set": return "map[" + sortedKeys(v.v.map((a) => [fmtV(a), "true"] as const)).map(([a, b]) => `${a}:${b}`).join(" ") + "]";
    case "tag": return `#${v.tag} ${fmtV(v.v)}`;
    case "inst": return goTimeString(v.v);
    case "bytes": return "[" + [...v.v].join(" ") + "]";
  }
}

const sortedKeys = <T extends readonly [string, string]>(xs: T[]) => [...xs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** conftest's cleanupMapValue: lists and maps stay, strings stay, anything else becomes its %v. */
function cleanup(v: V): unknown {
  if (v.k === "list") return v.v.map(cleanup);
  if (v.k === "map") return Object.fromEntries(v.v.map(([k, x]) => [fmtV(k), cleanup(x)]));
  if (v.k === "str") return v.v;
  return fmtV(v);
}

export const edn: Parser = {
  name: "edn",
  parse(bytes, ctx: ParseContext) {
    const src = text(bytes);
    try {
      if (src.replace(/;[^\n]*/g, "").trim() === "") throw new Fail("EOF");
      return cleanup(read(src));
    } catch (e) {
      if (e instanceof Fail) throw malformed(ctx, "EDN", e.message);
      throw e;
    }
  },
};
