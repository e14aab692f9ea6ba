// YAML data files as OPA reads them (internal/yaml on go-yaml v3, then encoding/json), reduced to the value
// whose canonical JSON OPA hashes. The `yaml` package parses (failsafe schema: every scalar stays a string with
// its style); plain scalars are then resolved with go-yaml v3's rules (resolve.go), not YAML 1.2 core's:
//   null/~/"" → null; true/True/TRUE, false/… → bool; yes/no/on/off stay strings (v3 decoding into any);
//   `_` is dropped before integer parsing; integers use Go's ParseInt(s, 0, 64) (0x, 0o, 0b and legacy 0777
//   octal), then ParseUint, then floats matching yamlStyleFloat; .inf/.nan cannot become JSON (OPA fails);
//   implicit timestamps stay the original string (OPA re-tags them !!str).
// Maps: duplicate keys keep the last value; `<<` merges, explicit keys win, earlier merged maps win over later;
// keys become strings as OPA's keyString does (ints in decimal, bools as true/false; null keys are an error).
// Anything this does not model (explicit tags other than !!str, float keys, !!binary) throws: fail closed.
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node } from "yaml";
import type { GoJson } from "./gojson.ts";

export class GoYamlError extends Error {}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const STR_TAG = "tag:yaml.org,2002:str";

type Resolved = { kind: "null" } | { kind: "bool"; value: boolean } | { kind: "int"; value: bigint } | { kind: "float"; value: number } | { kind: "str"; value: string };

/** Go's strconv.ParseInt/ParseUint with base 0 (prefix decides the base; a leading 0 means octal). */
function parseGoInt(s: string, signed: boolean): bigint | undefined {
  let neg = false;
  if (s[0] === "+" || s[0] === "-") {
    if (!signed) return undefined;
    neg = s[0] === "-";
    s = s.slice(1);
  }
  let base = 10;
  let digits = s;
  if (/^0[xX]/.test(s)) [base, digits] = [16, s.slice(2)];
  else if (/^0[bB]/.test(s)) [base, digits] = [2, s.slice(2)];
  else if (/^0[oO]/.test(s)) [base, digits] = [8, s.slice(2)];
  else if (s.length > 1 && s[0] === "0") [base, digits] = [8, s.slice(1)];
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[base as 2 | 8 | 10 | 16];
  if (!valid.test(digits)) return undefined;
  let v = 0n;
  for (const ch of digits) v = v * BigInt(base) + BigInt(parseInt(ch, 16));
  if (neg) v = -v;
  if (signed ? v < INT64_MIN || v > INT64_MAX : v > UINT64_MAX) return undefined;
  return v;
}

/** go-yaml v3 resolve() for an untagged plain scalar. */
export function resolvePlain(s: string): Resolved {
  switch (s) {
    case "":
    case "~":
    case "null":
    case "Null":
    case "NULL":
      return { kind: "null" };
    case "true":
    case "True":
    case "TRUE":
      return { kind: "bool", value: true };
    case "false":
    case "False":
    case "FALSE":
      return { kind: "bool", value: false };
  }
  if (/^[-+]?\.(inf|Inf|INF)$/.test(s) || /^\.(nan|NaN|NAN)$/.test(s)) {
    throw new GoYamlError(`${s} has no JSON form (OPA cannot load it either)`);
  }
  const c = s[0]!;
  if (c === ".") {
    if (/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s)) {
      const f = Number(s);
      if (Number.isFinite(f)) return { kind: "float", value: f };
    }
    return { kind: "str", value: s };
  }
  if (c === "+" || c === "-" || (c >= "0" && c <= "9")) {
    // An implicit timestamp is re-tagged !!str by OPA, and nothing else starting YYYY- parses as a number.
    const plain = s.replace(/_/g, "");
    const i = parseGoInt(plain, true) ?? parseGoInt(plain, false);
    if (i !== undefined) return { kind: "int", value: i };
    if (YAML_STYLE_FLOAT.test(plain)) {
      const f = Number(plain);
      if (Number.isFinite(f)) return { kind: "float", value: f }; // Go's ParseFloat fails on overflow: a string then
    }
    return { kind: "str", value: s };
  }
  return { kind: "str", value: s };
}

/** encoding/json's float64 text: shortest round-trip, exponent below 1e-6 and from 1e21, "-0" kept. */
export function goFloatText(f: number): string {
  if (!Number.isFinite(f)) throw new GoYamlError(`${f} has no JSON form`);
  if (Object.is(f, -0)) return "-0";
  return String(f); // JS and Go agree on the shortest digits, the 1e-6/1e21 cut-offs and "e-7"/"e+21" spelling
}

function toGoJson(r: Resolved): GoJson {
  switch (r.kind) {
    case "null":
      return null;
    case "bool":
    case "str":
      return r.value;
    case "int":
      return { num: r.value.toString() };
    case "float":
      return { num: goFloatText(r.value) };
  }
}

function keyText(r: Resolved, where: string): string {
  switch (r.kind) {
    case "str":
      return r.value;
    case "int":
      return r.value.toString();
    case "bool":
      return String(r.value);
    case "null":
      throw new GoYamlError(`${where}: a null mapping key has no JSON form (OPA refuses it)`);
    case "float":
      throw new GoYamlError(`${where}: float mapping keys are not supported`);
  }
}

function scalarOf(node: Node, doc: Document): Resolved | undefined {
  const n = isAlias(node) ? node.resolve(doc) : node;
  if (!n || !isScalar(n)) return undefined;
  if (n.tag && n.tag !== STR_TAG && n.tag !== "!") throw new GoYamlError(`explicit tag ${n.tag} is not supported`);
  if (n.tag === STR_TAG || n.type !== "PLAIN") return { kind: "str", value: String(n.value ?? "") };
  return resolvePlain(String(n.value ?? ""));
}

function convert(node: unknown, doc: Document, depth: number): GoJson {
  if (depth > 1000) throw new GoYamlError("nesting too deep (or an alias cycle)");
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return convert(node.resolve(doc), doc, depth + 1);
  if (isScalar(node)) return toGoJson(scalarOf(node as Node, doc)!);
  if (isSeq(node)) {
    if (node.tag && node.tag !== "tag:yaml.org,2002:seq") throw new GoYamlError(`explicit tag ${node.tag} is not supported`);
    return node.items.map((x) => convert(x, doc, depth + 1));
  }
  if (isMap(node)) {
    if (node.tag && node.tag !== "tag:yaml.org,2002:map") throw new GoYamlError(`explicit tag ${node.tag} is not supported`);
    const out = new Map<string, GoJson>();
    const merges: unknown[] = [];
    for (const pair of node.items) {
      const k = pair.key as Node | null;
      if (k && isScalar(k) && k.type === "PLAIN" && !k.tag && k.value === "<<") {
        merges.push(pair.value);
        continue;
      }
      const r = k ? scalarOf(k, doc) : { kind: "null" as const };
      if (!r) throw new GoYamlError("a mapping key that is a collection has no JSON form");
      out.set(keyText(r, "mapping"), convert(pair.value, doc, depth + 1)); // duplicates: last wins
    }
    // Merged maps fill only keys not set explicitly; among them the first to set a key wins.
    const sources: unknown[] = [];
    for (const m of merges) {
      const v = isAlias(m) ? m.resolve(doc) : m;
      if (isSeq(v)) sources.push(...v.items);
      else sources.push(m);
    }
    for (const src of sources) {
      const merged = convert(src, doc, depth + 1);
      if (!(merged instanceof Map)) throw new GoYamlError("<< must merge a mapping or a sequence of mappings");
      for (const [k, v] of merged) if (!out.has(k)) out.set(k, v);
    }
    return out;
  }
  throw new GoYamlError(`unsupported YAML node`);
}

/** The first YAML document as OPA would turn it into JSON (later documents must still parse). */
export function goYamlToJson(text: string): GoJson {
  const docs = parseAllDocuments(text, { schema: "failsafe", uniqueKeys: false, prettyErrors: false });
  if (!Array.isArray(docs)) return null; // an empty stream
  for (const d of docs) if (d.errors.length) throw new GoYamlError(d.errors[0]!.message.split("\n")[0]!);
  const first = docs[0];
  return first ? convert(first.contents, first as unknown as Document, 0) : null;
}
