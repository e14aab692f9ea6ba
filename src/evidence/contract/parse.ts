// Data contracts: ODCS v3 (`apiVersion: v3.x`, `kind: DataContract`, `schema[].properties[]`) and the Data
// Contract Specification (`dataContractSpecification`, `models.<name>.fields.<field>`), read from YAML or
// JSON into the one field model of model.ts. Pure; throws TollgateError for what is not a readable contract.
import { lazy } from "../../core/lazy.ts";

const yaml = lazy(() => require("yaml") as typeof import("yaml"));
import { TollgateError, asTollgateError } from "../../core/errors.ts";
import { sha256Hex } from "../../core/digest.ts";
import type { SourceFile } from "../types.ts";
import type { ContractObject, DataContract, EnumValue, FieldSpec, JsonType } from "./model.ts";
import { dcsWidth, odcsLogicalWidth, odcsPhysicalWidth } from "./width.ts";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : typeof v === "number" ? String(v) : null);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const int = (v: unknown): number | undefined => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : undefined);

/** A top-level `kind: DataContract` or `dataContractSpecification:` line (YAML), or the same keys in JSON. */
const NAMES_ITSELF_A_CONTRACT =
  /^(?:kind:[ \t]*(["']?)DataContract\1[ \t]*(?:#.*)?|dataContractSpecification[ \t]*:.*)$|"kind"\s*:\s*"DataContract"|"dataContractSpecification"\s*:/m;

/**
 * Cheap sniff on raw text: does this look like a data contract of either standard? Never throws. A file
 * that names itself a contract but cannot be read (a YAML error, an alias bomb) is still claimed, so the
 * events beside it report why it is unusable instead of it being skipped as an unknown file.
 */
export function looksLikeContract(file: SourceFile): boolean {
  const text = file.text();
  if (text === undefined) return false;
  if (!/\bdataContractSpecification\b|\bDataContract\b/.test(text)) return false;
  const read = readContractFile(file);
  return "error" in read ? NAMES_ITSELF_A_CONTRACT.test(text) : standardOf(read.doc) !== undefined;
}

/**
 * A file's contract, read once: the sniff, the materials listing and every event file that resolves
 * against it share one YAML parse and one DataContract (so its derived event schema compiles once too).
 */
type FileRead = { error: TollgateError } | { doc: Obj; contract: DataContract | TollgateError };
const byFile = new WeakMap<SourceFile, FileRead>();

function readContractFile(file: SourceFile): FileRead {
  let read = byFile.get(file);
  if (read === undefined) {
    const doc = attempt(() => readDocument(file.text() ?? notText(file.path), file.path), file.path);
    read = doc instanceof TollgateError ? { error: doc } : { doc, contract: attempt(() => parseContract(doc, file.path, file.sha256), file.path) };
    byFile.set(file, read);
  }
  return read;
}

function notText(path: string): never {
  throw new TollgateError("malformed", "not UTF-8 text", path);
}

function attempt<T>(f: () => T, path: string): T | TollgateError {
  try {
    return f();
  } catch (e) {
    return asTollgateError(e, path, "malformed");
  }
}

export function parseContractFile(file: SourceFile): DataContract {
  const read = readContractFile(file);
  if ("error" in read) throw read.error;
  if (read.contract instanceof TollgateError) throw read.contract;
  return read.contract;
}

/** YAML 1.2 (JSON is YAML): one document, unique keys, no alias bombs. */
export function readDocument(text: string, path: string): Obj {
  const doc = yaml().parseDocument(text, { uniqueKeys: true, strict: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    // linePos is only filled in with prettyErrors (which also appends a source excerpt): count from pos.
    const line = text.slice(0, e.pos[0]).split("\n").length;
    throw new TollgateError("malformed", `not valid YAML/JSON at line ${line}: ${e.message.split("\n")[0]}`, path);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // yaml refuses alias expansion beyond maxAliasCount ("Excessive alias count …"): name the file.
    throw new TollgateError("malformed", `not usable YAML: ${(e as Error).message}`, path);
  }
  if (!isObj(value)) throw new TollgateError("malformed", "a data contract must be a mapping at the top level", path);
  return value;
}

function standardOf(doc: Obj): "odcs" | "dcs" | undefined {
  if ("dataContractSpecification" in doc) return "dcs";
  if (doc.kind === "DataContract" && "apiVersion" in doc) return "odcs";
  return undefined;
}

export function parseContractText(text: string, path: string): DataContract {
  return parseContract(readDocument(text, path), path, sha256Hex(text));
}

export function parseContract(doc: Obj, path: string, sha256: string): DataContract {
  const standard = standardOf(doc);
  if (standard === "odcs") {
    return {
      standard, path, sha256, document: doc,
      id: str(doc.id), name: str(doc.name), version: str(doc.version), apiVersion: str(doc.apiVersion),
      objects: odcsObjects(doc),
    };
  }
  if (standard === "dcs") {
    const info = isObj(doc.info) ? doc.info : {};
    return {
      standard, path, sha256, document: doc,
      id: str(doc.id), name: str(info.title), version: str(info.version), apiVersion: str(doc.dataContractSpecification),
      objects: dcsObjects(doc, path),
    };
  }
  throw new TollgateError(
    "unknown_kind",
    "not a data contract: expected ODCS (`kind: DataContract` + `apiVersion`) or the Data Contract Specification (`dataContractSpecification`)",
    path,
  );
}

// ---------------------------------------------------------------------------------------------- ODCS v3

const ODCS_LOGICAL: Record<string, JsonType> = {
  string: "string", date: "string", timestamp: "string", time: "string",
  number: "number", integer: "integer", boolean: "boolean", object: "object", array: "array",
};

/** Physical types mapped only when the contract gives no logicalType (e.g. a Kafka schema's `int`). */
function physicalToJson(physical: string): JsonType | undefined {
  const base = physical.toLowerCase().replace(/\(.*$/, "").trim();
  if (/^(int|integer|bigint|smallint|tinyint|long|short|int8|int16|int32|int64|uint8|uint16|uint32|uint64)$/.test(base)) return "integer";
  if (/^(number|double|float|float32|float64|decimal|numeric|real|double precision)$/.test(base)) return "number";
  if (/^(bool|boolean)$/.test(base)) return "boolean";
  if (/^(string|varchar|nvarchar|char|nchar|text|uuid|character varying)$/.test(base)) return "string";
  if (/^(array|list)$/.test(base)) return "array";
  if (/^(object|struct|record|map)$/.test(base)) return "object";
  return undefined;
}

/** ODCS integer `format` (i8…u64) as value bounds: a narrower format is a narrower type. */
const INTEGER_FORMAT_BOUNDS: Record<string, [number, number]> = {
  i8: [-128, 127], i16: [-32768, 32767], i32: [-2147483648, 2147483647],
  u8: [0, 255], u16: [0, 65535], u32: [0, 4294967295],
  // i64/i128/u64/u128 reach beyond what a JSON number holds exactly: only the sign is enforced.
  u64: [0, Infinity], u128: [0, Infinity],
};

/** Formats a JSON Schema validator checks; ODCS/DCS free-form formats (`yyyy-MM-dd`, `f32`) are not these. */
export const JSON_SCHEMA_FORMATS = new Set([
  "date", "time", "date-time", "duration", "uri", "uri-reference", "email", "hostname", "ipv4", "ipv6", "uuid", "regex", "byte",
]);

function odcsObjects(doc: Obj): ContractObject[] {
  const schema = Array.isArray(doc.schema) ? doc.schema : [];
  return schema.filter(isObj).map((o, i) => ({
    name: str(o.name) ?? `#${i}`,
    location: `schema[${i}]`,
    fields: odcsFields(o.properties, `schema[${i}]`),
    closed: false, // ODCS has no closed-world flag: undeclared fields are allowed
  }));
}

function odcsFields(properties: unknown, at: string): FieldSpec[] {
  if (!Array.isArray(properties)) return [];
  return properties.flatMap((p, i) => (isObj(p) ? [odcsField(p, `${at}.properties[${i}]`)] : []));
}

function odcsField(p: Obj, location: string, fallbackName = ""): FieldSpec {
  const logical = str(p.logicalType);
  const physical = str(p.physicalType);
  const type = logical ? ODCS_LOGICAL[logical] : physical ? physicalToJson(physical) : undefined;
  const f: FieldSpec = {
    name: str(p.name) ?? fallbackName,
    location,
    required: p.required === true,
    ...(type ? { type } : {}),
    ...(logical || physical ? { declaredType: logical ?? physical! } : {}),
  };
  const opts = isObj(p.logicalTypeOptions) ? p.logicalTypeOptions : {};
  const width = logical ? odcsLogicalWidth(logical, opts) : undefined;
  if (width) f.width = width;
  if (physical) f.physicalWidth = odcsPhysicalWidth(physical);
  if (type === "string" && logical !== "date" && logical !== "timestamp" && logical !== "time") {
    setIf(f, "minLength", int(opts.minLength));
    setIf(f, "maxLength", int(opts.maxLength));
    if (typeof opts.pattern === "string") f.pattern = opts.pattern;
    if (typeof opts.format === "string" && JSON_SCHEMA_FORMATS.has(opts.format)) f.format = opts.format;
  }
  if (type === "number" || type === "integer") {
    setIf(f, "minimum", num(opts.minimum));
    setIf(f, "maximum", num(opts.maximum));
    setIf(f, "exclusiveMinimum", num(opts.exclusiveMinimum));
    setIf(f, "exclusiveMaximum", num(opts.exclusiveMaximum));
    setIf(f, "multipleOf", num(opts.multipleOf));
    // ODCS v3.0.x wrote exclusivity as a boolean beside minimum/maximum (the draft-04 style).
    if (opts.exclusiveMinimum === true && f.minimum !== undefined) { f.exclusiveMinimum = f.minimum; delete f.minimum; }
    if (opts.exclusiveMaximum === true && f.maximum !== undefined) { f.exclusiveMaximum = f.maximum; delete f.maximum; }
    const bounds = type === "integer" && typeof opts.format === "string" ? INTEGER_FORMAT_BOUNDS[opts.format] : undefined;
    if (bounds) {
      f.minimum = Math.max(f.minimum ?? bounds[0], bounds[0]);
      if (Number.isFinite(bounds[1])) f.maximum = Math.min(f.maximum ?? bounds[1], bounds[1]);
    }
  }
  if (type === "array") {
    setIf(f, "minItems", int(opts.minItems));
    setIf(f, "maxItems", int(opts.maxItems));
    if (opts.uniqueItems === true) f.uniqueItems = true;
    if (isObj(p.items)) f.items = odcsField(p.items, `${location}.items`, "[]");
  }
  if (type === "object") {
    setIf(f, "minProperties", int(opts.minProperties));
    setIf(f, "maxProperties", int(opts.maxProperties));
    const nested = odcsFields(p.properties, location);
    const requiredNames = Array.isArray(opts.required) ? opts.required.filter((r): r is string => typeof r === "string") : [];
    for (const n of nested) if (requiredNames.includes(n.name)) n.required = true;
    // Names required by logicalTypeOptions but not declared as nested properties still must be present.
    for (const r of requiredNames) if (!nested.some((n) => n.name === r)) nested.push({ name: r, location: `${location}.logicalTypeOptions.required`, required: true });
    if (nested.length) f.properties = nested;
  }
  const allowed = odcsValidValues(p.quality);
  if (allowed) f.enum = allowed;
  return f;
}

/**
 * An allow-list expressed as a zero-tolerance quality rule is an enum: ODCS v3.1 `metric: invalidValues`
 * with `arguments.validValues` (and the v3.0 `rule: validValues` with `validValues`), when the threshold
 * admits no invalid value (`mustBe: 0`, `mustBeLessThan: 1`, `mustBeLessOrEqualTo: 0`). Percent thresholds
 * are about a dataset, not one event, and are not enforced here.
 */
function odcsValidValues(quality: unknown): EnumValue[] | undefined {
  if (!Array.isArray(quality)) return undefined;
  let result: EnumValue[] | undefined;
  for (const q of quality) {
    if (!isObj(q)) continue;
    const metric = str(q.metric) ?? str(q.rule);
    if (metric !== "invalidValues" && metric !== "validValues") continue;
    if (q.type !== undefined && q.type !== "library") continue;
    if (q.unit === "percent") continue;
    const zeroTolerance = q.mustBe === 0 || q.mustBeLessThan === 1 || q.mustBeLessOrEqualTo === 0
      || (metric === "validValues" && q.mustBe === undefined && q.mustBeLessThan === undefined && q.mustBeLessOrEqualTo === undefined);
    if (!zeroTolerance) continue;
    const args = isObj(q.arguments) ? q.arguments : {};
    const values = Array.isArray(args.validValues) ? args.validValues : Array.isArray(q.validValues) ? q.validValues : undefined;
    if (!values) continue;
    const clean = values.filter((v): v is EnumValue => v === null || ["string", "number", "boolean"].includes(typeof v));
    // Two allow-lists on one field: a value must satisfy both.
    result = result ? result.filter((v) => clean.includes(v)) : clean;
  }
  return result;
}

// ----------------------------------------------------------------------- Data Contract Specification

const DCS_TYPES: Record<string, JsonType> = {
  number: "number", decimal: "number", numeric: "number", float: "number", double: "number",
  int: "integer", integer: "integer", long: "integer", bigint: "integer",
  string: "string", text: "string", varchar: "string", bytes: "string",
  timestamp: "string", timestamp_tz: "string", timestamp_ntz: "string", date: "string", time: "string",
  boolean: "boolean",
  object: "object", record: "object", struct: "object", map: "object",
  array: "array",
  null: "null",
};

/** DCS timestamps and dates are ISO 8601 text in JSON. `timestamp_ntz` has no offset, so no date-time check. */
const DCS_TYPE_FORMAT: Record<string, string> = { timestamp: "date-time", timestamp_tz: "date-time", date: "date" };

function dcsObjects(doc: Obj, path: string): ContractObject[] {
  const models = isObj(doc.models) ? doc.models : {};
  const defs = isObj(doc.definitions) ? doc.definitions : {};
  return Object.entries(models).flatMap(([name, m]) =>
    isObj(m) ? [{
      name,
      location: `models.${name}`,
      fields: dcsFields(m.fields, `models.${name}.fields`, defs, path),
      closed: m.additionalFields !== true, // DCS default: additionalFields false
    }] : [],
  );
}

function dcsFields(fields: unknown, at: string, defs: Obj, path: string): FieldSpec[] {
  if (!isObj(fields)) return [];
  return Object.entries(fields).flatMap(([name, f]) => (isObj(f) ? [dcsField(name, f, `${at}.${name}`, defs, path)] : []));
}

/**
 * A field's `$ref` to `#/definitions/<id>` inherits the definition's properties (the field's own win).
 * Only references inside the contract are followed: verification never fetches.
 */
function resolveDcsRef(d: Obj, location: string, defs: Obj, path: string): Obj {
  const ref = d.$ref;
  if (typeof ref !== "string") return d;
  if (!ref.startsWith("#/definitions/")) {
    throw new TollgateError("unsupported", `${location}.$ref ${JSON.stringify(ref)}: only references to this contract's definitions are followed (no network)`, path);
  }
  const def = defs[ref.slice("#/definitions/".length)];
  if (!isObj(def)) throw new TollgateError("schema_invalid", `${location}.$ref ${JSON.stringify(ref)} names no definition in this contract`, path);
  const { $ref: _, ...own } = d;
  const { domain: _d, name: _n, title: _t, description: _desc, ...inherited } = def;
  return { ...inherited, ...own };
}

function dcsField(name: string, raw: Obj, location: string, defs: Obj, path: string): FieldSpec {
  const d = resolveDcsRef(raw, location, defs, path);
  const declared = str(d.type)?.toLowerCase();
  const type = declared ? DCS_TYPES[declared] : undefined;
  const f: FieldSpec = {
    name,
    location,
    required: d.required === true,
    ...(type ? { type } : {}),
    ...(declared ? { declaredType: declared } : {}),
  };
  const width = declared ? dcsWidth(declared, d.precision, d.scale) : undefined;
  if (width) f.width = width;
  if (Array.isArray(d.enum)) f.enum = d.enum.filter((v): v is EnumValue => v === null || ["string", "number", "boolean"].includes(typeof v));
  setIf(f, "minimum", num(d.minimum));
  setIf(f, "maximum", num(d.maximum));
  setIf(f, "exclusiveMinimum", num(d.exclusiveMinimum));
  setIf(f, "exclusiveMaximum", num(d.exclusiveMaximum));
  setIf(f, "minLength", int(d.minLength));
  setIf(f, "maxLength", int(d.maxLength));
  if (typeof d.pattern === "string") f.pattern = d.pattern;
  const format = typeof d.format === "string" && JSON_SCHEMA_FORMATS.has(d.format) ? d.format : declared ? DCS_TYPE_FORMAT[declared] : undefined;
  if (format) f.format = format;
  if (type === "object" && declared !== "map") {
    const nested = dcsFields(d.fields, `${location}.fields`, defs, path);
    if (nested.length) f.properties = nested;
  }
  if (type === "array" && isObj(d.items)) f.items = dcsField("[]", d.items, `${location}.items`, defs, path);
  return f;
}

function setIf<K extends keyof FieldSpec>(f: FieldSpec, key: K, value: FieldSpec[K] | undefined): void {
  if (value !== undefined) f[key] = value;
}
