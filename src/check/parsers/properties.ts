// Java .properties (conftest parser/properties: magiconair/properties LoadString, then Map()), ported from
// its lexer: an object of raw (unexpanded) string values. As magiconair does, every ${key} reference is
// checked on load — a circular reference or an unclosed "${" is an error — but values are not expanded.
import { malformed, type ParseContext, type Parser } from "./types.ts";

const WS = " \f\t";
const EOF = "";

function lex(input: string, ctx: ParseContext): Map<string, string> {
  const cps = [...input];
  let pos = 0;
  const next = () => (pos < cps.length ? cps[pos++]! : EOF);
  const peek = () => (pos < cps.length ? cps[pos]! : EOF);
  const line = () => 1 + cps.slice(0, pos).filter((c) => c === "\n").length;
  const fail = (msg: string) => malformed(ctx, "properties file", `line ${line()}: ${msg}`);
  const acceptRun = (valid: string) => {
    while (pos < cps.length && valid.includes(cps[pos]!)) pos++;
  };
  const escape = (runes: string[]) => {
    const r = next();
    if (" :=fnrt".includes(r) && r !== EOF) runes.push(({ f: "\f", n: "\n", r: "\r", t: "\t" } as Record<string, string>)[r] ?? r);
    else if (r === "u") {
      let d = "";
      for (let i = 0; i < 4; i++) {
        const c = next();
        if (c === EOF || !/^[0-9a-fA-F]$/.test(c)) throw fail("invalid unicode literal");
        d += c;
      }
      runes.push(String.fromCharCode(parseInt(d, 16)));
    } else if (r === EOF) throw fail("premature EOF");
    else runes.push(r);
  };
  const m = new Map<string, string>();
  let key: string | undefined;
  for (;;) {
    // before a key
    const r = next();
    if (r === EOF) break;
    if (r === "\n" || r === "\r" || WS.includes(r)) continue;
    if (r === "#" || r === "!") {
      // a comment runs to the end of the line
      while (pos < cps.length && cps[pos] !== "\n" && cps[pos] !== "\r") pos++;
      if (pos < cps.length) pos++;
      continue;
    }
    pos--;
    const k: string[] = [];
    let end = "";
    for (;;) {
      const c = next();
      if (c === "\\") escape(k);
      else if (c === EOF) { end = EOF; break; }
      else if (" \f\t\r\n:=".includes(c)) { pos--; end = c; break; }
      else k.push(c);
    }
    if (k.length === 0 && end === EOF) break;
    if (k.length === 0) throw fail("unexpected value, expected a key");
    key = k.join("");
    if (end === EOF) {
      m.set(key, "");
      break;
    }
    acceptRun(WS);
    if (peek() === ":" || peek() === "=") pos++;
    acceptRun(WS);
    const v: string[] = [];
    for (;;) {
      const c = next();
      if (c === "\\") {
        const p = peek();
        if (p === "\n" || p === "\r") {
          next();
          acceptRun(WS);
        } else escape(v);
      } else if (c === "\n" || c === "\r" || c === EOF) {
        m.set(key, v.join(""));
        break;
      } else v.push(c);
    }
    if (pos >= cps.length) break;
  }
  return m;
}

function check(key: string, s: string, keys: string[], values: Map<string, string>, ctx: ParseContext): void {
  if (keys.length > 64) throw malformed(ctx, "properties file", "expansion too deep");
  for (;;) {
    const start = s.indexOf("${");
    if (start === -1) return;
    const len = s.slice(start + 2).indexOf("}");
    if (len === -1) throw malformed(ctx, "properties file", `malformed expression in the value of ${key}`);
    const k = s.slice(start + 2, start + 2 + len);
    if (keys.includes(k)) throw malformed(ctx, "properties file", `circular reference in ${keys.join(" -> ")} -> ${k}`);
    check(key, values.get(k) ?? process.env[k] ?? "", [...keys, k], values, ctx);
    s = s.slice(0, start) + s.slice(start + 3 + len);
  }
}

export const properties: Parser = {
  name: "properties",
  parse(bytes, ctx) {
    const m = lex(new TextDecoder().decode(bytes), ctx);
    for (const [k, v] of m) check(k, v, [k], m, ctx);
    return Object.fromEntries(m);
  },
};
