// YAML (conftest parser/yaml: sigs.k8s.io/yaml, i.e. go-yaml v2 resolved to JSON). Library: `yaml` (eemeli),
// already tollgate's YAML reader, with its YAML 1.1 schema because go-yaml v2 resolves 1.1 scalars
// (yes/no/on/off are booleans, 0777 is octal) — minus timestamps and sexagesimal numbers, which go-yaml v2
// leaves as strings. Multi-document: conftest splits the bytes on a line that is exactly `---` and, when
// there is more than one part, returns the list of documents (an empty part is null); one part is one document.
import YAML, { type Tags } from "yaml";
import { malformed, text, type ParseContext, type Parser } from "./types.ts";

const TIMESTAMP = "tag:yaml.org,2002:timestamp";
const options = {
  version: "1.1" as const,
  merge: true,
  uniqueKeys: false,
  customTags: (tags: Tags) => tags.filter((t) => !(typeof t === "object" && (t.tag === TIMESTAMP || (t as { format?: string }).format === "TIME"))),
};

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
