// How wide a declared type is within its JSON type, so the diff can report a change that stays inside one
// JSON type (DCS `long` → `int`, ODCS `varchar(255)` → `varchar(50)`). Type lists are the standards' own:
// DCS field types ($defs/FieldType: int/integer 32-bit, long/bigint 64-bit, float 32-bit, double 64-bit, number/decimal/
// numeric with precision/scale, timestamp = timestamp_tz, timestamp_ntz, date, time, bytes) and ODCS
// logicalType with logicalTypeOptions.format (integer: Rust integer types i8…u128; number: f32/f64).
// ODCS physicalType is free text: only unambiguous SQL names are read, the rest is "unknown".

/** A set of values, ordered by containment within its kind. */
export type TypeDetail =
  | { kind: "int"; signed: boolean; bits: number | null } // null: unbounded
  | { kind: "float"; bits: 32 | 64 }
  | { kind: "decimal"; precision: number; scale: number }
  | { kind: "number" } // arbitrary precision: contains every numeric kind
  | { kind: "text"; maxLength: number | null }
  | { kind: "bytes" }
  | { kind: "temporal"; form: string; format: string | null }
  | { kind: "bool" }
  | { kind: "container"; name: "array" | "object" | "map" }
  | { kind: "unknown"; physical: string };

/** A typed detail plus how the contract wrote it, for messages. */
export interface TypeWidth {
  detail: TypeDetail;
  label: string;
}

/** `same`: equal sets; `wider`: NEW accepts every OLD value and more; `narrower`: NEW rejects some OLD value. */
export type Relation = "same" | "wider" | "narrower" | "unknown";

// DCS: "precision … Defaults to 38", "scale … Defaults to 0" (definition.schema.json).
const DCS_DEFAULT_PRECISION = 38;
const DCS_DEFAULT_SCALE = 0;

const posInt = (v: unknown): number | undefined => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : undefined);

/** DCS field `type` (lower-cased) with its `precision`/`scale`. */
export function dcsWidth(declared: string, precision: unknown, scale: unknown): TypeWidth | undefined {
  const p = posInt(precision);
  const s = posInt(scale);
  const detail = ((): TypeDetail | undefined => {
    switch (declared) {
      case "int": case "integer": return { kind: "int", signed: true, bits: 32 };
      case "long": case "bigint": return { kind: "int", signed: true, bits: 64 };
      case "float": return { kind: "float", bits: 32 };
      case "double": return { kind: "float", bits: 64 };
      case "number": case "decimal": case "numeric":
        return p === undefined && s === undefined ? { kind: "number" }
          : { kind: "decimal", precision: p ?? DCS_DEFAULT_PRECISION, scale: s ?? DCS_DEFAULT_SCALE };
      case "bytes": return { kind: "bytes" };
      // The DCS README: "timestamp, timestamp_tz: timestamp with timezone" — one type under two names.
      case "timestamp": case "timestamp_tz": return { kind: "temporal", form: "timestamp_tz", format: null };
      case "timestamp_ntz": case "date": case "time": return { kind: "temporal", form: declared, format: null };
      default: return undefined;
    }
  })();
  if (!detail) return undefined;
  return { detail, label: detail.kind === "decimal" ? `${declared}(${detail.precision},${detail.scale})` : declared };
}

const RUST_INT = /^([iu])(8|16|32|64|128)$/;

/**
 * ODCS logicalType with logicalTypeOptions.format. `precision`/`scale` are not keys of the v3.0/v3.1
 * schemas (their place is physicalType `DECIMAL(p,s)`) but are read when a contract writes them anyway.
 */
export function odcsLogicalWidth(logical: string, opts: Record<string, unknown>): TypeWidth | undefined {
  const format = typeof opts.format === "string" ? opts.format : undefined;
  if (logical === "integer") {
    const m = format ? RUST_INT.exec(format) : null;
    if (!m) return undefined; // unbounded integer: the JSON type says it all
    return { detail: { kind: "int", signed: m[1] === "i", bits: Number(m[2]) }, label: `integer (format ${format})` };
  }
  if (logical === "number") {
    if (format === "f32" || format === "f64") return { detail: { kind: "float", bits: format === "f32" ? 32 : 64 }, label: `number (format ${format})` };
    const p = posInt(opts.precision);
    const s = posInt(opts.scale);
    if (p !== undefined) return { detail: { kind: "decimal", precision: p, scale: s ?? 0 }, label: `number (precision ${p}, scale ${s ?? 0})` };
    return undefined;
  }
  if (logical === "date" || logical === "timestamp" || logical === "time") {
    return { detail: { kind: "temporal", form: logical, format: format ?? null }, label: format ? `${logical} (format ${format})` : logical };
  }
  return undefined;
}

const INT_NAMES: Record<string, [boolean, number]> = {
  tinyint: [true, 8], smallint: [true, 16], int2: [true, 16], short: [true, 16], int16: [true, 16],
  int: [true, 32], integer: [true, 32], int4: [true, 32], int32: [true, 32],
  bigint: [true, 64], long: [true, 64], int64: [true, 64],
  uint8: [false, 8], uint16: [false, 16], uint32: [false, 32], uint64: [false, 64],
  // `int8` is left out on purpose: 8 bits in Kafka/ClickHouse, 8 bytes in PostgreSQL.
};
const FLOAT_NAMES: Record<string, 32 | 64> = {
  real: 32, float4: 32, float32: 32,
  double: 64, "double precision": 64, float8: 64, float64: 64,
  // bare `float` is 32 bits in some systems and 64 in others (PostgreSQL, Snowflake): unknown.
};
const DECIMAL_NAMES = new Set(["decimal", "numeric", "number", "dec"]);
const TEXT_NAMES = new Set(["varchar", "nvarchar", "char", "nchar", "character", "character varying", "string", "text", "varchar2", "nvarchar2", "clob"]);
const TEMPORAL_NAMES = new Set([
  "date", "time", "timestamp", "datetime", "timestamptz", "timestamp_tz", "timestamp_ntz", "timestamp_ltz",
  "timestamp with time zone", "timestamp without time zone", "time with time zone", "time without time zone",
]);

/** ODCS physicalType, e.g. `VARCHAR(50)`, `DECIMAL(10,2)`, `BIGINT`. Anything else is `unknown`. */
export function odcsPhysicalWidth(physical: string): TypeWidth {
  const label = physical;
  const norm = physical.trim().toLowerCase().replace(/\s+/g, " ");
  const m = /^([a-z_][a-z0-9_ ]*?)\s*(?:\(\s*([0-9]+)\s*(?:,\s*([0-9]+)\s*)?\))?$/.exec(norm);
  const unknown: TypeWidth = { detail: { kind: "unknown", physical: norm }, label };
  if (!m) return unknown;
  const base = m[1]!;
  const a = m[2] === undefined ? undefined : Number(m[2]);
  const b = m[3] === undefined ? undefined : Number(m[3]);
  const int = INT_NAMES[base];
  if (int && a === undefined) return { detail: { kind: "int", signed: int[0], bits: int[1] }, label };
  const fl = FLOAT_NAMES[base];
  if (fl && a === undefined) return { detail: { kind: "float", bits: fl }, label };
  if (DECIMAL_NAMES.has(base)) {
    // SQL: DECIMAL(p) means scale 0; a bare DECIMAL/NUMERIC/NUMBER is read as arbitrary precision.
    return { detail: a === undefined ? { kind: "number" } : { kind: "decimal", precision: a, scale: b ?? 0 }, label };
  }
  if (TEXT_NAMES.has(base) && b === undefined) {
    // SQL: CHAR/CHARACTER without a length is CHAR(1).
    const max = a ?? (base === "char" || base === "nchar" || base === "character" ? 1 : null);
    return { detail: { kind: "text", maxLength: max }, label };
  }
  if (TEMPORAL_NAMES.has(base)) return { detail: { kind: "temporal", form: m[2] === undefined ? base : `${base}(${a})`, format: null }, label };
  if ((base === "bool" || base === "boolean") && a === undefined) return { detail: { kind: "bool" }, label };
  if ((base === "bytes" || base === "binary" || base === "varbinary" || base === "blob" || base === "bytea") && a === undefined) return { detail: { kind: "bytes" }, label };
  if (a === undefined) {
    if (base === "array" || base === "list") return { detail: { kind: "container", name: "array" }, label };
    if (base === "object" || base === "struct" || base === "record") return { detail: { kind: "container", name: "object" }, label };
    if (base === "map") return { detail: { kind: "container", name: "map" }, label };
  }
  return unknown;
}

/** What a field with no detail accepts: everything of its JSON type. */
export function widest(jsonType: string | undefined): TypeDetail | undefined {
  switch (jsonType) {
    case "integer": return { kind: "int", signed: true, bits: null };
    case "number": return { kind: "number" };
    case "string": return { kind: "text", maxLength: null };
    default: return undefined;
  }
}

const intContains = (outer: { signed: boolean; bits: number | null }, inner: { signed: boolean; bits: number | null }): boolean => {
  if (outer.bits === null) return outer.signed || !inner.signed;
  if (inner.bits === null) return false;
  if (outer.signed === inner.signed) return outer.bits >= inner.bits;
  return outer.signed && outer.bits > inner.bits; // an unsigned range fits in a signed one with one more bit
};

/** Does every value of `inner` belong to `outer`? undefined when the two cannot be compared. */
function contains(outer: TypeDetail, inner: TypeDetail): boolean | undefined {
  if (outer.kind === "unknown" || inner.kind === "unknown") return undefined;
  switch (outer.kind) {
    case "number": return inner.kind === "number" || inner.kind === "decimal" || inner.kind === "float" || inner.kind === "int";
    case "int": return inner.kind === "int" && intContains(outer, inner);
    case "float": return inner.kind === "float" && outer.bits >= inner.bits;
    case "decimal":
      // Exact decimal(p,s): integer digits p-s and fraction digits s must both fit.
      return inner.kind === "decimal" && outer.scale >= inner.scale && outer.precision - outer.scale >= inner.precision - inner.scale;
    case "text":
      if (outer.maxLength === null) return inner.kind === "text" || inner.kind === "bytes" || inner.kind === "temporal";
      return inner.kind === "text" && inner.maxLength !== null && inner.maxLength <= outer.maxLength;
    case "bytes": return inner.kind === "bytes";
    case "temporal": return inner.kind === "temporal" && inner.form === outer.form && inner.format === outer.format;
    case "bool": return inner.kind === "bool";
    case "container": return inner.kind === "container" && inner.name === outer.name;
  }
}

export function relate(oldD: TypeDetail, newD: TypeDetail): Relation {
  const newHoldsOld = contains(newD, oldD);
  const oldHoldsNew = contains(oldD, newD);
  if (newHoldsOld === undefined || oldHoldsNew === undefined) {
    // Two unknown physical types that read the same are the same type.
    return oldD.kind === "unknown" && newD.kind === "unknown" && oldD.physical === newD.physical ? "same" : "unknown";
  }
  if (newHoldsOld && oldHoldsNew) return "same";
  if (newHoldsOld) return "wider";
  return "narrower"; // includes two sets neither of which holds the other: some OLD value is rejected
}
