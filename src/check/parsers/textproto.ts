// Protocol Buffers text format (conftest parser/textproto: the message type named by a
// `# proto-message: pkg.Type` comment, looked up in the .proto files of --proto-file-dirs, read with
// prototext and printed with protojson using the .proto field names). Library: protobufjs reads the .proto
// files (the schema); it has no text-format reader, so that and the protojson rendering are small ports
// of Go's prototext/protojson rules: 64-bit integers as strings, enums by name, bytes as base64,
// NaN/Infinity as strings, unset proto3 scalars omitted, a repeated non-repeated field an error.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { TollgateError } from "../../core/errors.ts";
import { malformed, text, type ParseContext, type Parser } from "./types.ts";

class Fail extends Error {}

const MSG_TYPE = /#\s+proto-message:\s+([a-zA-Z0-9.]+)/;
const LONG = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);
const INTS = new Set(["int32", "uint32", "sint32", "fixed32", "sfixed32", ...LONG]);

function protoFiles(dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith(".proto")) out.push(p);
    }
  };
  for (const d of dirs) walk(d);
  return out;
}

const roots = new Map<string, protobuf.Root>();
function schema(dirs: readonly string[], ctx: ParseContext): protobuf.Root {
  const key = dirs.join("\0");
  let root = roots.get(key);
  if (!root) {
    const files = protoFiles(dirs);
    if (files.length === 0) throw new TollgateError("usage", "textproto needs the message's .proto files: give --proto-file-dirs DIR", ctx.path);
    root = new protobuf.Root();
    try {
      root.loadSync(files, { keepCase: true });
      root.resolveAll();
    } catch (e) {
      throw new TollgateError("malformed", `cannot load the .proto files: ${(e as Error).message}`, undefined, { cause: e });
    }
    roots.set(key, root);
  }
  return root;
}

// ---- the text format ----

type Tok = { k: "id" | "num" | "str" | "p" | "eof"; v: string; raw?: Uint8Array; line: number };

function tokens(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0, line = 1;
  while (i < src.length) {
    const c = src[i]!;
    if (c === "\n") { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === "#") { while (i < src.length && src[i] !== "\n") i++; continue; }
    if ("{}<>[]:,;/".includes(c)) { out.push({ k: "p", v: c, line }); i++; continue; }
    if (c === '"' || c === "'") {
      const bytes: number[] = [];
      i++;
      for (;;) {
        if (i >= src.length || src[i] === "\n") throw new Fail(`line ${line}: unterminated string`);
        const ch = src[i]!;
        if (ch === c) { i++; break; }
        if (ch === "\\") {
          const e = src[i + 1];
          i += 2;
          const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, "\\": 92, "'": 39, '"': 34, "?": 63 };
          if (e !== undefined && e in simple) bytes.push(simple[e]!);
          else if (e !== undefined && /[0-7]/.test(e)) {
            let o = e;
            while (o.length < 3 && /[0-7]/.test(src[i] ?? "")) o += src[i++];
            bytes.push(parseInt(o, 8) & 0xff);
          } else if (e === "x" || e === "X") {
            let h = "";
            while (h.length < 2 && /[0-9a-fA-F]/.test(src[i] ?? "")) h += src[i++];
            if (!h) throw new Fail(`line ${line}: invalid \\x escape`);
            bytes.push(parseInt(h, 16));
          } else if (e === "u" || e === "U") {
            const n = e === "u" ? 4 : 8;
            const h = src.slice(i, i + n);
            if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) throw new Fail(`line ${line}: invalid \\${e} escape`);
            i += n;
            bytes.push(...new TextEncoder().encode(String.fromCodePoint(parseInt(h, 16))));
          } else throw new Fail(`line ${line}: invalid escape \\${e ?? ""}`);
          continue;
        }
        const cp = src.codePointAt(i)!;
        const s = String.fromCodePoint(cp);
        bytes.push(...new TextEncoder().encode(s));
        i += s.length;
      }
      const prev = out[out.length - 1];
      if (prev?.k === "str") {
        const raw = new Uint8Array([...prev.raw!, ...bytes]);
        prev.raw = raw;
      } else out.push({ k: "str", v: "", raw: new Uint8Array(bytes), line });
      continue;
    }
    const m = /^-?(?:0[xX][0-9a-fA-F]+|\.?\d[\w.+-]*|[A-Za-z_][\w]*)/.exec(src.slice(i));
    if (m && /^-?(\d|\.\d|0[xX])/.test(m[0])) {
      const num = /^-?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fF]?)/.exec(src.slice(i))![0];
      out.push({ k: "num", v: num, line });
      i += num.length;
      continue;
    }
    if (c === "-" && /^-\s*[A-Za-z]/.test(src.slice(i))) {
      const id = /^-\s*([A-Za-z_]\w*)/.exec(src.slice(i))!;
      out.push({ k: "num", v: "-" + id[1], line });
      i += id[0].length;
      continue;
    }
    const id = /^[A-Za-z_][\w]*/.exec(src.slice(i));
    if (!id) throw new Fail(`line ${line}: invalid character ${JSON.stringify(c)}`);
    out.push({ k: "id", v: id[0], line });
    i += id[0].length;
  }
  out.push({ k: "eof", v: "", line });
  return out;
}

type Val = unknown;

function readMessage(t: protobuf.Type, toks: Tok[], pos: { i: number }, close: string): Record<string, Val> {
  const msg: Record<string, Val> = {};
  const seenOneof = new Map<string, string>();
  const peek = () => toks[pos.i]!;
  const take = () => toks[pos.i++]!;
  for (;;) {
    const tk = take();
    if (tk.k === "eof") {
      if (close) throw new Fail(`line ${tk.line}: unexpected end of input, want ${close}`);
      return msg;
    }
    if (tk.k === "p" && tk.v === close) return msg;
    if (tk.k === "p" && tk.v === "[") throw new Fail(`line ${tk.line}: extension and Any fields are not supported`);
    if (tk.k !== "id") throw new Fail(`line ${tk.line}: unexpected token ${JSON.stringify(tk.v)}`);
    const f = t.fields[tk.v] ?? t.fieldsArray.find((x) => x.resolvedType instanceof protobuf.Type && x.resolvedType.name === tk.v && (x.resolvedType as unknown as { group?: boolean }).group === true);
    if (!f) throw new Fail(`line ${tk.line}: unknown field: ${tk.v} (in ${t.fullName.replace(/^\./, "")})`);
    const isMsg = f.resolvedType instanceof protobuf.Type;
    let hasColon = false;
    if (peek().k === "p" && peek().v === ":") { take(); hasColon = true; }
    if (!hasColon && !isMsg && !f.map) throw new Fail(`line ${tk.line}: missing ':' after field ${f.name}`);
    const values: Val[] = [];
    const one = (): Val => {
      if (f.map) return readMapEntry(f as unknown as protobuf.MapField, toks, pos);
      return isMsg ? readNested(f.resolvedType as protobuf.Type, toks, pos) : readScalar(f, take());
    };
    if (peek().k === "p" && peek().v === "[" && (f.repeated || f.map)) {
      take();
      if (!(peek().k === "p" && peek().v === "]")) {
        for (;;) {
          values.push(one());
          const sep = take();
          if (sep.k === "p" && sep.v === "]") break;
          if (!(sep.k === "p" && sep.v === ",")) throw new Fail(`line ${sep.line}: want , or ] in a list`);
        }
      } else take();
    } else values.push(one());
    if (f.map) {
      const m = (msg[f.name] as Map<string, Val> | undefined) ?? new Map<string, Val>();
      for (const e of values as [string, Val][]) m.set(e[0], e[1]);
      msg[f.name] = m;
    } else if (f.repeated) {
      msg[f.name] = [...((msg[f.name] as Val[] | undefined) ?? []), ...values];
    } else {
      if (Object.hasOwn(msg, f.name)) throw new Fail(`line ${tk.line}: non-repeated field "${f.name}" is repeated`);
      if (f.partOf) {
        const other = seenOneof.get(f.partOf.name);
        if (other) throw new Fail(`line ${tk.line}: error parsing "${f.name}", oneof ${f.partOf.name} is already set`);
        seenOneof.set(f.partOf.name, f.name);
      }
      msg[f.name] = values[0];
    }
    if (peek().k === "p" && (peek().v === "," || peek().v === ";")) take();
  }
}

function readNested(t: protobuf.Type, toks: Tok[], pos: { i: number }): Record<string, Val> {
  const open = toks[pos.i++]!;
  if (!(open.k === "p" && (open.v === "{" || open.v === "<"))) throw new Fail(`line ${open.line}: want { or < for a message`);
  if (t.fullName.startsWith(".google.protobuf.")) throw new Fail(`line ${open.line}: well-known type ${t.fullName.slice(1)} is not supported`);
  return readMessage(t, toks, pos, open.v === "{" ? "}" : ">");
}

function readMapEntry(f: protobuf.MapField, toks: Tok[], pos: { i: number }): [string, Val] {
  const open = toks[pos.i++]!;
  if (!(open.k === "p" && (open.v === "{" || open.v === "<"))) throw new Fail(`line ${open.line}: want { for a map entry`);
  const entry = new protobuf.Type("Entry").add(new protobuf.Field("key", 1, f.keyType)).add(new protobuf.Field("value", 2, f.type));
  if (f.resolvedType) (entry.fields.value as protobuf.Field).resolvedType = f.resolvedType;
  const e = readMessage(entry, toks, pos, open.v === "{" ? "}" : ">");
  const key = e.key ?? (f.keyType === "bool" ? false : f.keyType === "string" ? "" : 0);
  const value = e.value ?? (f.resolvedType instanceof protobuf.Type ? {} : zero(f.type, f.resolvedType));
  return [String(key), value];
}

function zero(type: string, resolved: protobuf.ReflectionObject | null): Val {
  if (resolved instanceof protobuf.Enum) return Object.keys(resolved.values).find((k) => resolved.values[k] === 0) ?? 0;
  if (type === "bool") return false;
  if (type === "string") return "";
  if (type === "bytes") return new Uint8Array();
  return LONG.has(type) ? 0n : 0;
}

function readScalar(f: protobuf.Field, tk: Tok): Val {
  const type = f.type;
  const bad = () => new Fail(`line ${tk.line}: invalid value for ${type} field ${f.name}: ${tk.v || "string"}`);
  if (f.resolvedType instanceof protobuf.Enum) {
    const e = f.resolvedType;
    if (tk.k === "id") {
      if (!(tk.v in e.values)) throw bad();
      return tk.v;
    }
    if (tk.k === "num" && /^-?\d+$/.test(tk.v)) {
      const n = Number(tk.v);
      return Object.keys(e.values).find((k) => e.values[k] === n) ?? n;
    }
    throw bad();
  }
  if (type === "string" || type === "bytes") {
    if (tk.k !== "str") throw bad();
    if (type === "bytes") return tk.raw!;
    const s = new TextDecoder("utf-8", { fatal: true });
    try {
      return s.decode(tk.raw!);
    } catch {
      throw new Fail(`line ${tk.line}: invalid UTF-8 in string field ${f.name}`);
    }
  }
  if (type === "bool") {
    const m: Record<string, boolean> = { true: true, True: true, t: true, "1": true, false: false, False: false, f: false, "0": false };
    if (!(tk.v in m) || tk.k === "str") throw bad();
    return m[tk.v];
  }
  if (type === "float" || type === "double") {
    if (tk.k === "id" || (tk.k === "num" && /^-[A-Za-z]/.test(tk.v))) {
      const w = tk.v.replace(/^-/, "").toLowerCase();
      if (w === "inf" || w === "infinity") return tk.v.startsWith("-") ? -Infinity : Infinity;
      if (w === "nan") return NaN;
      throw bad();
    }
    if (tk.k !== "num") throw bad();
    const v = /^-?0[xX]/.test(tk.v) ? Number(tk.v.replace(/^-/, "")) * (tk.v.startsWith("-") ? -1 : 1) : Number(tk.v.replace(/[fF]$/, ""));
    if (Number.isNaN(v)) throw bad();
    return type === "float" ? Math.fround(v) : v;
  }
  if (INTS.has(type)) {
    if (tk.k !== "num" || !/^-?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.test(tk.v)) throw bad();
    const neg = tk.v.startsWith("-");
    const body = tk.v.replace(/^-/, "");
    let n = /^0[xX]/.test(body) ? BigInt(body) : /^0[0-7]+$/.test(body) ? BigInt("0o" + body.slice(1)) : BigInt(body);
    if (neg) n = -n;
    const unsigned = type.startsWith("uint") || type === "fixed32" || type === "fixed64";
    const bits = type.endsWith("64") ? 64n : 32n;
    const min = unsigned ? 0n : -(1n << (bits - 1n)), max = unsigned ? (1n << bits) - 1n : (1n << (bits - 1n)) - 1n;
    if (n < min || n > max) throw bad();
    return LONG.has(type) ? n : Number(n);
  }
  throw bad();
}

// ---- protojson (UseProtoNames) ----

/** The shortest decimal that reads back as the same float32 (Go's FormatFloat(x, 'g', -1, 32)). */
function float32(x: number): number {
  for (let p = 1; p <= 9; p++) {
    const s = Number(x.toPrecision(p));
    if (Math.fround(s) === x) return s;
  }
  return x;
}

function jsonScalar(f: protobuf.Field, v: Val): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (typeof v === "number" && (f.type === "float" || f.type === "double")) {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
    return f.type === "float" ? float32(v) : v;
  }
  return v;
}

function isZero(v: Val): boolean {
  return v === 0 || v === 0n || v === false || v === "" || (v instanceof Uint8Array && v.length === 0) || (typeof v === "number" && Object.is(v, -0));
}

function toJSON(t: protobuf.Type, msg: Record<string, Val>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of t.fieldsArray) {
    if (!Object.hasOwn(msg, f.name)) continue;
    const v = msg[f.name];
    const conv = (x: Val) => (f.resolvedType instanceof protobuf.Type ? toJSON(f.resolvedType, x as Record<string, Val>) : jsonScalar(f, x));
    if (f.map) {
      const m = v as Map<string, Val>;
      if (m.size) out[f.name] = Object.fromEntries([...m].map(([k, x]) => [k, conv(x)]));
    } else if (f.repeated) {
      if ((v as Val[]).length) out[f.name] = (v as Val[]).map(conv);
    } else if (f.hasPresence || f.resolvedType instanceof protobuf.Type || f.partOf) {
      out[f.name] = conv(v);
    } else if (!(f.resolvedType instanceof protobuf.Enum ? (f.resolvedType.values[v as string] ?? v) === 0 : isZero(v))) {
      out[f.name] = conv(v);
    }
  }
  return out;
}

export const textproto: Parser = {
  name: "textproto",
  parse(bytes, ctx) {
    const src = text(bytes);
    const name = src.split("\n").map((l) => MSG_TYPE.exec(l)?.[1]).find((x) => x);
    if (!name) throw malformed(ctx, "textproto", "file does not contain necessary proto-message comment (# proto-message: pkg.Message)");
    const root = schema(ctx.protoFileDirs ?? [], ctx);
    let t: protobuf.Type;
    try {
      t = root.lookupType(name);
    } catch {
      throw malformed(ctx, "textproto", `look up message type "${name}": not found in the .proto files`);
    }
    try {
      return toJSON(t, readMessage(t, tokens(src), { i: 0 }, ""));
    } catch (e) {
      if (e instanceof Fail) throw malformed(ctx, "textproto", e.message);
      throw e;
    }
  },
};
