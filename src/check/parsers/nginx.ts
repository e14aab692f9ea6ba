// nginx.conf (conftest parser/nginx: tufanbarisyildirim/gonginx with comments skipped, then
// {directives: [{name, parameters, block: {directives}}]}). No JS library matches gonginx's model, so this
// ports its lexer and parser: parameters keep their quotes, ${var} stays in a word, *_by_lua_block bodies are
// code, not directives; unknown directive names are errors outside `types` and `map` blocks; and gonginx's
// wrappers reorder as it does: in `http` the `server` blocks come after the other directives, in
// `upstream` the `server` lines come last, each rebuilt as address, sorted key=value, then flags.
import { NGINX_DIRECTIVES } from "./nginx-directives.ts";
import { malformed, text, type ParseContext, type Parser } from "./types.ts";

type Tok = { t: "kw" | "str" | "semi" | "open" | "close" | "comment" | "eol" | "lua" | "eof"; v: string; line: number; col: number };

class Fail extends Error {}

function lexer(src: string): () => Tok {
  const cs = [...src];
  let i = 0, line = 1, col = 0, latest: Tok | undefined, inLua = false;
  const peek = () => cs[i];
  const read = () => {
    const c = cs[i++];
    if (c === "\n") { col = 1; line++; } else col++;
    return c;
  };
  const tok = (t: Tok["t"], v: string, l = line, c = col): Tok => (latest = { t, v, line: l, col: c });
  const untilEol = () => {
    let s = read() ?? "";
    while (i < cs.length && peek() !== "\r" && peek() !== "\n") s += read();
    return s;
  };
  return () => {
    if (inLua) {
      inLua = false;
      const l0 = line, c0 = col;
      let depth = 0, code = "";
      for (;;) {
        const c = read();
        if (c === undefined) throw new Fail(`unexpected end of file while scanning lua code starting at line ${l0}, column ${c0}`);
        if (c === "#") { code += c + (i < cs.length ? untilEol() : ""); continue; }
        if (c === "}") {
          if (depth === 0) { i--; col--; return tok("lua", code, l0, c0); }
          depth--;
        } else if (c === "{") depth++;
        code += c;
      }
    }
    for (;;) {
      const c = peek();
      if (c === " " || c === "\t") { read(); continue; }
      if (c === undefined) return tok("eof", "");
      if (c === ";") return tok("semi", read()!);
      if (c === "{") {
        if (latest?.t === "kw" && latest.v.endsWith("_by_lua_block")) inLua = true;
        return tok("open", read()!);
      }
      if (c === "}") return tok("close", read()!);
      if (c === "#") return tok("comment", untilEol());
      if (c === "\r" || c === "\n") return tok("eol", read()!);
      if (c === '"' || c === "'" || c === "`") {
        const l0 = line, c0 = col;
        let s = read()!;
        for (;;) {
          const ch = read();
          if (ch === undefined) throw new Fail(`unexpected end of file while scanning quoted string starting at line ${l0}, column ${c0}`);
          if (ch === "\\" && peek() === c) { s += ch + read(); continue; }
          s += ch;
          if (ch === c) break;
        }
        return tok("str", s, l0, c0);
      }
      const l0 = line, c0 = col;
      let prev = read()!, s = prev, inVar = false;
      for (;;) {
        const ch = peek();
        if (ch === undefined || ch === " " || ch === "\t" || ch === ";" || ch === "\r" || ch === "\n") break;
        if (ch === "{") {
          if (prev === "$") { inVar = true; s += read(); }
          else if (!inVar) break;
          else s += read();
        } else if (ch === "}") {
          if (inVar) { inVar = false; s += read(); }
          else break;
        } else { prev = read()!; s += prev; }
      }
      return tok("kw", s, l0, c0);
    }
  };
}

interface D { name: string; parameters: string[]; block?: { directives: D[] } }

function parse(src: string): { directives: D[] } {
  const next = lexer(src);
  let cur = next(), fol = next();
  const advance = () => { cur = fol; fol = cur.t === "eof" ? cur : next(); };

  const block = (inBlock: boolean, skipValid: boolean): D[] => {
    const ds: D[] = [];
    for (;;) {
      if (cur.t === "eof") {
        if (inBlock) throw new Fail("unexpected eof in block");
        return ds;
      }
      if (cur.t === "close") return ds;
      if (cur.t === "kw" || cur.t === "str") ds.push(statement(skipValid));
      advance();
    }
  };

  const statement = (skipValid: boolean): D => {
    const name = cur.v;
    if (!skipValid && !NGINX_DIRECTIVES.has(name)) throw new Fail(`unknown directive '${name}' on line ${cur.line}, column ${cur.col}`);
    const d: D = { name, parameters: [] };
    for (;;) {
      advance();
      if (cur.t === "kw" || cur.t === "str") {
        d.parameters.push(cur.v);
      } else if (cur.t === "semi") {
        if (name === "include" && d.parameters.length !== 1) throw new Fail(`include directive requires exactly 1 parameter, got ${d.parameters.length}`);
        if (name === "server") return upstreamServer(d);
        return d;
      } else if (cur.t === "comment" || cur.t === "eol") {
        continue;
      } else if (cur.t === "open") {
        if (name.endsWith("_by_lua_block")) {
          // the lexer hands the body over as one code token; the directive's block has no directives
          advance();
          const at = () => cur.t as Tok["t"];
          while (at() !== "close" && at() !== "eof") advance();
          if (at() === "eof") throw new Fail("unexpected eof in block");
          d.block = { directives: [] };
          return d;
        }
        advance();
        const inner = block(true, skipValid || name === "types" || name === "map");
        return wrap({ ...d, block: { directives: inner } });
      } else if (cur.t === "lua") {
        continue;
      } else {
        throw new Fail(`unexpected token ${cur.t === "eof" ? "EOF" : cur.t} (${cur.v}) on line ${cur.line}, column ${cur.col}`);
      }
    }
  };

  return { directives: block(false, false) };
}

function upstreamServer(d: D): D {
  const [address, ...rest] = d.parameters;
  const kv = new Map<string, string>();
  const flags: string[] = [];
  for (const p of rest) {
    const i = p.indexOf("=");
    if (i >= 0) kv.set(p.slice(0, i), p.slice(i + 1));
    else flags.push(p);
  }
  const keys = [...kv.keys()].sort();
  return { name: "server", parameters: [address ?? "", ...keys.map((k) => `${k}=${kv.get(k)}`), ...flags] };
}

function wrap(d: D): D {
  const ds = d.block!.directives;
  switch (d.name) {
    case "http":
      return { name: "http", parameters: [], block: { directives: [...ds.filter((x) => !(x.name === "server" && x.block)), ...ds.filter((x) => x.name === "server" && x.block)] } };
    case "server":
      return { name: "server", parameters: [], block: d.block! };
    case "location":
      if (d.parameters.length === 0) throw new Fail("no enough parameter for location");
      if (d.parameters.length > 2) throw new Fail("too many arguments for location directive");
      return d;
    case "upstream": {
      if (d.parameters.length === 0) throw new Fail("upstream directive requires a name parameter");
      const servers = ds.filter((x) => x.name === "server").map(upstreamServer);
      return { name: "upstream", parameters: [d.parameters[0]!], block: { directives: [...ds.filter((x) => x.name !== "server"), ...servers] } };
    }
    case "include":
      throw new Fail("include directive cannot have a block; missing semicolon?");
  }
  return d;
}

/** conftest's JSON: parameters omitted when empty (omitempty), block only when there is one. */
function out(d: D): unknown {
  return { name: d.name, ...(d.parameters.length ? { parameters: d.parameters } : {}), ...(d.block ? { block: { directives: d.block.directives.map(out) } } : {}) };
}

export const nginx: Parser = {
  name: "nginx",
  parse(bytes, ctx: ParseContext) {
    try {
      return { directives: parse(text(bytes)).directives.map(out) };
    } catch (e) {
      if (e instanceof Fail) throw malformed(ctx, "nginx configuration", e.message);
      throw e;
    }
  },
};
