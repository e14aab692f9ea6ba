// YAML (conftest parser/yaml: sigs.k8s.io/yaml, i.e. go-yaml v2 resolved to JSON). Library: `yaml` (eemeli),
// already tollgate's YAML reader, with its YAML 1.1 schema because go-yaml v2 resolves 1.1 scalars
// (yes/no/on/off are booleans) — but numbers resolved by go-yaml v2's own rules (Go integer syntax, its
// float pattern; timestamps, sexagesimals and a lone "." stay strings). Multi-document: conftest splits the bytes on a line that is exactly `---` and, when
// there is more than one part, returns the list of documents (an empty part is null); one part is one document.
import YAML, { type Tags } from "yaml";
import { malformed, text, type ParseContext, type Parser } from "./types.ts";

const INT = "tag:yaml.org,2002:int", FLOAT = "tag:yaml.org,2002:float", TIMESTAMP = "tag:yaml.org,2002:timestamp";

const GO_INT = /^[+-]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** go-yaml v2's resolve() for a plain scalar starting with a digit, a sign or a dot: an int (Go's ParseInt,
 * base from the prefix, underscores dropped), else a float of its YAML style, else the string itself. */
function goNumber(s: string): number | string {
  if (s.startsWith(".")) return YAML_STYLE_FLOAT.test(s) && Number.isFinite(Number(s)) ? Number(s) : s;
  const plain = s.replace(/_/g, "");
  if (GO_INT.test(plain)) {
    const neg = plain.startsWith("-");
    const body = plain.replace(/^[+-]/, "");
    const v = /^0[xXoObB]/.test(body)
      ? Number(body.slice(0, 2).toLowerCase() + body.slice(2))
      : /^0[0-7]+$/.test(body) ? parseInt(body, 8) : Number(body);
    return neg ? -v : v;
  }
  if (/^-0b[01]+$/.test(plain)) return -parseInt(plain.slice(3), 2);
  if (YAML_STYLE_FLOAT.test(plain) && Number.isFinite(Number(plain))) return Number(plain);
  return s;
}

const goTags = (tags: Tags): Tags => [
  ...tags.filter((t) => typeof t === "object" && t.tag !== INT && t.tag !== FLOAT && t.tag !== TIMESTAMP),
  {
    tag: FLOAT,
    default: true,
    test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
    resolve: (s: string) => (s.endsWith("n") || s.endsWith("N") ? NaN : s.startsWith("-") ? -Infinity : Infinity),
  },
  { tag: FLOAT, default: true, test: /^[-+.0-9]/, resolve: goNumber },
];

const options = { version: "1.1" as const, merge: true, uniqueKeys: false, customTags: goTags };

function parts(src: string): string[] {
  const lb = src.includes("\r\n") ? "\r\n" : "\n";
  const sep = `${lb}---${lb}`;
  const split = src.split(sep);
  // A leading directive (%YAML …) belongs to the first document, so its `---` does not start a new one.
  if (src.startsWith("%")) return split.length <= 2 ? [src] : [split[0] + sep + split[1], ...split.slice(2)];
  return split;
}

function jsonable(v: unknown, ctx: ParseContext): unknown {
  if (typeof v === "number" && !Number.isFinite(v)) throw malformed(ctx, "YAML", `unsupported value: ${v} (JSON has no ${v})`);
  if (v instanceof Uint8Array) return new TextDecoder().decode(v); // !!binary: go-yaml decodes to a string
  if (Array.isArray(v)) return v.map((x) => jsonable(x, ctx));
  if (v instanceof Set) return Object.fromEntries([...v].map((k) => [String(k), null]));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonable(x, ctx);
    return out;
  }
  return v;
}

/** One YAML document (go-yaml's Unmarshal reads the first document of what it is given). */
function one(src: string, ctx: ParseContext): unknown {
  const docs = YAML.parseAllDocuments(src, options);
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) {
    const err = d.errors[0];
    if (err) throw malformed(ctx, "YAML", err.message, err);
  }
  const first = list[0];
  if (!first) return null;
  return jsonable(first.toJS({ maxAliasCount: 10000 }) ?? null, ctx);
}

export const yaml: Parser = {
  name: "yaml",
  parse(bytes, ctx) {
    const p = parts(text(bytes));
    return p.length > 1 ? p.map((s) => one(s, ctx)) : one(p[0]!, ctx);
  },
};
