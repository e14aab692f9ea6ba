// INI (conftest parser/ini: go-ini/ini v1 Load with default options, every section but DEFAULT, each value
// a number or boolean when Go's ParseFloat/ParseBool takes it), ported from go-ini's parser: `=` or `:`
// delimiters, # and ; comments (also inline), quoted keys, """/` multi-line values, surrounding quotes
// dropped, backslash continuation lines, a repeated key's last value, a repeated section merged.
import { numberBoolOrString } from "./goconv.ts";
import { malformed, type ParseContext, type Parser } from "./types.ts";

const trimLeft = (s: string) => s.replace(/^\s+/, "");

function readKeyName(line: string): { name: string; offset: number } | "nodelim" | "empty" | { missingQuote: true } {
  let q = "";
  if (line[0] === '"') q = line.length > 6 && line.startsWith('"""') ? '"""' : '"';
  else if (line[0] === "`") q = "`";
  if (q) {
    const s = q.length;
    let pos = line.slice(s).indexOf(q);
    if (pos === -1) return { missingQuote: true };
    pos += s;
    const rest = line.slice(pos + s);
    const i = rest.search(/[=:]/);
    if (i < 0) return "nodelim";
    return { name: line.slice(s, pos).trim(), offset: pos + i + s + 1 };
  }
  const end = line.search(/[=:]/);
  if (end < 0) return "nodelim";
  if (end === 0) return "empty";
  return { name: line.slice(0, end).trim(), offset: end + 1 };
}

const surrounded = (s: string, q: string) => s.length >= 2 && s[0] === q && s[s.length - 1] === q && s.slice(1).indexOf(q) === s.length - 2;

export const ini: Parser = {
  name: "ini",
  parse(bytes, ctx: ParseContext) {
    const fail = (m: string) => malformed(ctx, "INI", m);
    let src = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) src = src.slice(1);
    // Lines with their "\n", as bufio's ReadBytes('\n') gives them.
    const lines = src.match(/[^\n]*\n|[^\n]+$/g) ?? [];
    let li = 0;
    const readLine = () => lines[li++];
    const sections = new Map<string, Map<string, string>>([["DEFAULT", new Map()]]);
    let section = sections.get("DEFAULT")!;

    const readValue = (inp: string): string => {
      let line = trimLeft(inp);
      if (line.length === 0) return "";
      let q = "";
      if (line.length > 3 && line.startsWith('"""')) q = '"""';
      else if (line[0] === "`") q = "`";
      if (q) {
        const s = q.length;
        const pos = line.slice(s).lastIndexOf(q);
        if (pos !== -1) return line.slice(s, pos + s);
        let val = line.slice(s);
        for (;;) {
          const next = readLine();
          if (next === undefined) throw fail(`missing closing key quote from ${JSON.stringify(line)}`);
          const p = next.lastIndexOf(q);
          if (p > -1) return val + next.slice(0, p);
          val += next;
          if (li >= lines.length) throw fail(`missing closing key quote from ${JSON.stringify(line)} to ${JSON.stringify(next)}`);
        }
      }
      line = line.trim();
      if (line.endsWith("\\")) {
        let val = line.slice(0, -1);
        for (;;) {
          const next = (readLine() ?? "").trim();
          if (next.length === 0) break;
          val += next;
          if (!val.endsWith("\\")) break;
          val = val.slice(0, -1);
        }
        return val;
      }
      const i = line.search(/[#;]/);
      if (i > -1) line = line.slice(0, i).trim();
      if (surrounded(line, "'") || surrounded(line, '"')) line = line.slice(1, -1);
      return line;
    };

    let count = 1;
    for (let raw = readLine(); raw !== undefined; raw = readLine()) {
      const line = trimLeft(raw);
      if (line.length === 0 || line[0] === "#" || line[0] === ";") continue;
      if (line[0] === "[") {
        const close = line.lastIndexOf("]");
        if (close === -1) throw fail(`unclosed section: ${line.trimEnd()}`);
        const name = line.slice(1, close);
        if (name.length === 0) throw fail("empty section name");
        if (!sections.has(name)) sections.set(name, new Map());
        section = sections.get(name)!;
        count = 1;
        continue;
      }
      const k = readKeyName(line);
      if (k === "nodelim") throw fail(`key-value delimiter not found: ${line.trimEnd()}`);
      if (k === "empty") throw fail(`empty key name: ${line.trimEnd()}`);
      if ("missingQuote" in k) throw fail(`missing closing key quote: ${line.trimEnd()}`);
      let name = k.name;
      if (name === "-") name = "#" + count++;
      const value = readValue(line.slice(k.offset));
      if (name.length === 0) throw fail("error creating new key: empty key name");
      section.set(name, value);
    }
    const out: Record<string, Record<string, unknown>> = {};
    for (const [name, keys] of sections) {
      if (name === "DEFAULT") continue;
      const o: Record<string, unknown> = {};
      for (const [k, v] of keys) {
        const c = numberBoolOrString(v);
        if (typeof c === "number" && !Number.isFinite(c)) throw fail(`json: unsupported value: ${v} (in [${name}] ${k})`);
        o[k] = c;
      }
      out[name] = o;
    }
    return out;
  },
};
