// Varnish VCL (conftest parser/vcl: KeisukeYamashita/go-vcl decoded into a map). No JS library decodes VCL
// into go-vcl's map model, so this ports its lexer, Pratt parser and map decoder: top-level `name = value`
// attributes; blocks grouped by type, then by first label (further labels nest); a block with attributes or
// sub-blocks becomes an object (leading/trailing dots of attribute names dropped), one with only bare values
// a list of them; integers are numbers (so `60s` reads 60, as go-vcl reads it); if/return/call statements
// do not appear. go-vcl panics on an assignment of a non-literal (such as `a + b`); that is an error here.
import { malformed, text, type ParseContext, type Parser } from "./types.ts";

class Fail extends Error {}

type T = "ILLEGAL" | "EOF" | "IDENT" | "INT" | "PERCENTAGE" | "STRING" | "CIDR" | "TRUE" | "FALSE" | "=" | "~" | "+" | "!" | "==" | "&&" | "||" | "," | ";" | ":" | "#" | "//" | "/*" | "*/" | "(" | ")" | "{" | "}"
  | "IF" | "ELSE" | "RETURN" | "IMPORT" | "TABLE" | "ACL" | "BACKEND" | "SUBROUTINE" | "CALL" | "DIRECTOR";
interface Tok { type: T; lit: string }

const KEYWORDS: Record<string, T> = { sub: "SUBROUTINE", call: "CALL", true: "TRUE", false: "FALSE", if: "IF", else: "ELSE", return: "RETURN", table: "TABLE", import: "IMPORT", acl: "ACL", backend: "BACKEND", director: "DIRECTOR" };
const isLetter = (c: string) => /^[a-zA-Z_.]$/.test(c);
const isDigit = (c: string) => /^[0-9]$/.test(c);

function lexer(input: string): () => Tok {
  let pos = 0, readPos = 0, ch = "";
  const readChar = () => { ch = readPos >= input.length ? "" : input[readPos]!; pos = readPos; readPos++; };
  const peek = () => (readPos >= input.length ? "" : input[readPos]!);
  readChar();
  const comment = () => {
    readChar();
    const p = pos + 1;
    while (ch !== "\n") { readChar(); if (ch === "") break; }
    return input.slice(p, pos);
  };
  return () => {
    while (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") readChar();
    let tok: Tok;
    const one = (type: T): Tok => ({ type, lit: ch });
    switch (ch) {
      case "=": if (peek() === "=") { readChar(); tok = { type: "==", lit: "==" }; } else tok = one("="); break;
      case ":": tok = one(":"); break;
      case "~": tok = one("~"); break;
      case ",": tok = one(","); break;
      case ";": tok = one(";"); break;
      case "#": tok = { type: "#", lit: comment() }; break;
      case "/":
        if (peek() === "/") { readChar(); tok = { type: "//", lit: comment() }; }
        else if (peek() === "*") { readChar(); tok = { type: "/*", lit: "/*" }; }
        else tok = { type: "" as T, lit: "" };
        break;
      case "*": tok = peek() === "/" ? (readChar(), { type: "*/", lit: "*/" }) : { type: "" as T, lit: "" }; break;
      case "(": tok = one("("); break;
      case ")": tok = one(")"); break;
      case "{": tok = one("{"); break;
      case "}": tok = one("}"); break;
      case "!": tok = one("!"); break;
      case "+": tok = one("+"); break;
      case '"': {
        const p = pos + 1;
        const at = () => ch as string;
        while (at() !== "" && at() !== ";") {
          readChar();
          if (at() === '"' && peek() !== "/") break;
        }
        let s = input.slice(p, pos);
        const cidr = s.includes("/");
        if (cidr) s = '"' + s;
        tok = { type: cidr ? "CIDR" : "STRING", lit: s };
        break;
      }
      case "|": tok = peek() === "|" ? (readChar(), { type: "||", lit: "||" }) : { type: "" as T, lit: "" }; break;
      case "&": tok = peek() === "&" ? (readChar(), { type: "&&", lit: "&&" }) : { type: "" as T, lit: "" }; break;
      case "": return { type: "EOF", lit: "" };
      default:
        if (isLetter(ch)) {
          const p = pos;
          while (isLetter(ch) || isDigit(ch)) readChar();
          const lit = input.slice(p, pos);
          return { type: KEYWORDS[lit] ?? "IDENT", lit };
        }
        if (isDigit(ch)) {
          const p = pos;
          while (isDigit(ch)) readChar();
          const n = input.slice(p, pos);
          if (ch === "%") { readChar(); return { type: "PERCENTAGE", lit: n + "%" }; }
          return { type: "INT", lit: n };
        }
        tok = one("ILLEGAL");
    }
    readChar();
    return tok;
  };
}

// AST, reduced to what the decoder reads.
type Expr = { k: "ident" | "str" | "cidr" | "pct"; v: string } | { k: "int"; v: number } | { k: "bool"; v: boolean } | { k: "block"; tok: string; labels: string[]; body: Stmt[] | null } | { k: "other" } | null;
type Stmt = { k: "assign"; tok: string; name: string; value: Expr } | { k: "field"; name: string; value: Expr } | { k: "expr"; e: Expr } | { k: "comment" } | { k: "ignored" };

const PREC: Partial<Record<T, number>> = { "==": 2, "~": 2, "+": 4, "&&": 2, "||": 2 };

function parse(input: string): Stmt[] {
  const next = lexer(input);
  let cur = next(), peek = next();
  const advance = () => { cur = peek; peek = next(); };
  const expectPeek = (t: T) => { if (peek.type === t) { advance(); return true; } return false; };
  const peekPrec = () => PREC[peek.type] ?? 1;

  const blockStatement = (): Stmt[] => {
    const out: Stmt[] = [];
    advance();
    while (cur.type !== "}" && cur.type !== "EOF") {
      const s = statement();
      if (s) out.push(s);
      advance();
    }
    return out;
  };
  const prefix = (): Expr | undefined => {
    switch (cur.type) {
      case "IDENT": return { k: "ident", v: cur.lit };
      case "INT": {
        const n = goParseInt(cur.lit);
        if (n === undefined) return null;
        return { k: "int", v: n };
      }
      case "PERCENTAGE": return { k: "pct", v: cur.lit };
      case "STRING": return { k: "str", v: cur.lit };
      case "CIDR": return { k: "cidr", v: cur.lit };
      case "TRUE": case "FALSE": return { k: "bool", v: cur.type === "TRUE" };
      case "!": advance(); expression(6); return { k: "other" };
      case "(": { advance(); const e = expression(1); if (!expectPeek(")")) return null; return e; }
      case "IF": {
        if (!expectPeek("(")) return null;
        advance();
        expression(1);
        if (!expectPeek(")")) return null;
        if (!expectPeek("{")) return null;
        blockStatement();
        if (peek.type === "ELSE") { advance(); if (!expectPeek("{")) return null; blockStatement(); }
        return { k: "other" };
      }
      case "SUBROUTINE": case "ACL": case "BACKEND": case "DIRECTOR": case "TABLE": {
        const tok = cur.lit;
        const labels: string[] = [];
        while (peek.type !== "{" && peek.type !== ";") {
          if (peek.type === "EOF") throw new Fail(`unexpected end of file in the header of ${tok} ${labels.join(" ")}`);
          advance();
          labels.push(cur.lit);
        }
        if (peek.type === ";") return { k: "block", tok, labels, body: null };
        advance();
        return { k: "block", tok, labels, body: blockStatement() };
      }
      case "{": {
        if (peek.type === ";") return { k: "block", tok: "{", labels: [], body: null };
        return { k: "block", tok: "{", labels: [], body: blockStatement() };
      }
    }
    return undefined;
  };
  const expression = (prec: number): Expr => {
    const left = prefix();
    if (left === undefined) return null;
    let l = left;
    while (peek.type !== ";" && prec < peekPrec()) {
      if (peek.type !== "~" && peek.type !== "+") return l;
      advance();
      const p = PREC[cur.type] ?? 1;
      advance();
      expression(p);
      l = { k: "other" };
    }
    return l;
  };
  const statement = (): Stmt | undefined => {
    switch (cur.type) {
      case "IDENT":
        if ((peek.type as T) === "=") {
          const name = cur.lit;
          advance();
          advance();
          const value = expression(1);
          if (peek.type === ";") advance();
          return { k: "assign", tok: name, name, value };
        }
        break;
      case "/*":
        advance();
        while ((cur.type as T) !== "*/") {
          if ((cur.type as T) === "EOF") return undefined;
          advance();
        }
        return { k: "comment" };
      case "#": case "//": return { k: "comment" };
      case "RETURN":
        if (!expectPeek("(")) return undefined;
        advance();
        expression(1);
        if (!expectPeek(")")) return undefined;
        if (peek.type === ";") advance();
        return { k: "ignored" };
      case "CALL":
        advance();
        expression(1);
        if (peek.type === ";") advance();
        return { k: "ignored" };
      case "STRING":
        if (peek.type === ":") {
          const name = cur.lit;
          advance();
          advance();
          const value = expression(1);
          if ((peek.type as T) === ",") advance();
          return { k: "field", name, value };
        }
    }
    const e = expression(1);
    if (peek.type === ";") advance();
    return { k: "expr", e };
  };
  const prog: Stmt[] = [];
  while (cur.type !== "EOF") {
    const s = statement();
    if (s) prog.push(s);
    advance();
  }
  return prog;
}

function goParseInt(s: string): number | undefined {
  if (/^0[0-7]*$/.test(s)) return parseInt(s, 8) || 0;
  if (/^[1-9]\d*$/.test(s)) return Number(s);
  return undefined; // e.g. "08": go-vcl records a parse error and its decoder then panics
}

interface Block { type: string; labels: string[]; body: Content }
interface Content { attrs: Map<string, unknown>; blocks: Block[]; flats: unknown[] }

function content(stmts: Stmt[]): Content {
  const c: Content = { attrs: new Map(), blocks: [], flats: [] };
  for (const s of stmts) {
    if (s.k === "assign") {
      const v = s.value;
      if (v?.k === "block") {
        c.blocks.push({ type: s.tok, labels: [], body: content(v.body ?? []) });
        continue;
      }
      if (!v || v.k === "other") throw new Fail(`the value of ${s.name} is not a literal`);
      c.attrs.set(s.name, v.v);
    } else if (s.k === "field") {
      c.attrs.set(s.name, s.value && (s.value.k === "str") ? s.value.v : null);
    } else if (s.k === "expr") {
      const e = s.e;
      if (e?.k === "block") {
        const b: Block = { type: e.tok, labels: e.labels, body: content(e.body ?? []) };
        if (b.type === "{") c.flats.push(b);
        else c.blocks.push(b);
      } else if (e && (e.k === "str" || e.k === "cidr" || e.k === "bool" || e.k === "int")) c.flats.push(e.v);
    }
  }
  return c;
}

const byType = (bs: Block[]) => {
  const m = new Map<string, Block[]>();
  for (const b of bs) m.set(b.type, [...(m.get(b.type) ?? []), b]);
  return m;
};

function flat(v: unknown): unknown {
  if (v && typeof v === "object" && "body" in (v as Block)) throw new Fail("anonymous { } blocks (as in directors) are not supported");
  return v;
}

function blockToMap(b: Block): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of b.body.attrs) out[k.replace(/^\.+|\.+$/g, "")] = v;
  for (const [ty, bs] of byType(b.body.blocks)) {
    if (bs.length !== 1) {
      out[ty] = bs.map((x) => {
        let v: unknown = blockToMap(x);
        for (const l of x.labels) v = { [l]: v };
        return v;
      });
    } else out[ty] = blockToMap(bs[0]!);
  }
  return out;
}

function decode(prog: Stmt[]): unknown {
  const c = content(prog);
  if (c.attrs.size === 0 && c.blocks.length === 0) return null;
  const out: Record<string, unknown> = Object.fromEntries(c.attrs);
  for (const [ty, bs] of byType(c.blocks)) {
    const m: Record<string, unknown> = {};
    for (const b of bs) {
      let v: unknown;
      if (b.body.attrs.size > 0 || b.body.blocks.length > 0) {
        if (b.labels.length === 0) throw new Fail(`a ${ty} block needs a name`);
        v = blockToMap(b);
        for (const l of b.labels.slice(1)) v = { [l]: v };
      } else v = b.body.flats.map(flat);
      m[b.labels[0] ?? ""] = v;
    }
    out[ty] = m;
  }
  return out;
}

export const vcl: Parser = {
  name: "vcl",
  parse(bytes, ctx: ParseContext) {
    try {
      return decode(parse(text(bytes)));
    } catch (e) {
      if (e instanceof Fail) throw malformed(ctx, "VCL", e.message);
      throw e;
    }
  },
};
