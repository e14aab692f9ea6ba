// OpenTelemetry logs (I6) in the forms a pipeline hands over:
//  - an OTLP/JSON export (`ExportLogsServiceRequest`: resourceLogs[].scopeLogs[].logRecords[]), one per file
//    or one per line (the Collector's file exporter writes NDJSON);
//  - a single OTLP/JSON LogRecord (no Resource: every resource attribute is then missing);
//  - a single record in the Logs Data Model's own JSON shape (Timestamp, Resource{k: v}, Body, …).
// Pure. Nanosecond timestamps and int64 values are kept as exact decimal strings from the source text
// (they exceed 2^53: JSON.parse would round them). Trace and span ids are hex (OTLP/JSON is not base64).
import { TollgateError } from "../../core/errors.ts";
import type { SourceFile } from "../types.ts";

export type OtelForm = "otlp-json" | "otlp-ndjson" | "otlp-log-record" | "log-data-model";

export interface OtelRecord {
  /** `resourceLogs[0].scopeLogs[0].logRecords[3]` (prefixed `line N: ` in NDJSON). */
  location: string;
  /** Decimal nanoseconds since the epoch, exact; null when absent or 0 (unknown). */
  timeUnixNano: string | null;
  observedTimeUnixNano: string | null;
  severityNumber: number | null;
  severityText: string | null;
  /** Lower-case hex, 32 chars; null when absent, empty or all-zero (not associated with a trace). */
  traceId: string | null;
  /** Lower-case hex, 16 chars; null when absent, empty or all-zero. */
  spanId: string | null;
  body: unknown;
  attributes: Record<string, unknown>;
  scope: { name: string | null; version: string | null };
}

export interface OtelResource {
  location: string;
  /** Resource attributes flattened to key → value (AnyValue decoded; int64 as exact decimal strings). */
  attributes: Record<string, unknown>;
  schemaUrl: string | null;
  records: OtelRecord[];
}

export interface ParsedOtelLogs {
  form: OtelForm;
  resources: OtelResource[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Fields whose JSON numbers may exceed 2^53 and must be read from source text. */
const EXACT_INTEGER_KEYS = new Set(["timeUnixNano", "observedTimeUnixNano", "intValue", "Timestamp", "ObservedTimestamp"]);

/** JSON.parse that keeps the exact source text of int64/fixed64 fields (Bun's reviver gives the source). */
export function parseJsonExact(text: string, where = ""): unknown {
  try {
    return JSON.parse(text, function (this: unknown, key: string, value: unknown, ctx?: { source?: string }) {
      if (typeof value !== "number" || !EXACT_INTEGER_KEYS.has(key)) return value;
      if (typeof ctx?.source === "string") return new ExactInt(ctx.source);
      if (!Number.isSafeInteger(value)) throw new TollgateError("unsupported", `${key} ${value} exceeds 2^53 and this runtime cannot give its exact text`);
      return new ExactInt(String(value));
    });
  } catch (e) {
    if (e instanceof TollgateError) throw e;
    // The reviver recurses per nesting level: valid JSON nested deeper than the stack allows ends here.
    if (e instanceof RangeError) throw new TollgateError("malformed", `${where}JSON nested too deeply to read`);
    throw new TollgateError("malformed", `${where}not JSON (${(e as Error).message})`);
  }
}

/** A JSON integer literal kept as its source text (never confused with a JSON object). */
class ExactInt {
  constructor(readonly text: string) {}
}
const isExact = (v: unknown): v is ExactInt => v instanceof ExactInt;

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** fixed64 nanoseconds: a JSON string or number of decimal digits (OTLP/JSON allows both), ≤ 2^64−1. */
function nanos(v: unknown, where: string): string | null {
  if (v === undefined || v === null) return null;
  const text = isExact(v) ? v.text : typeof v === "string" ? v : undefined;
  if (text === undefined || !/^\d+$/.test(text)) throw new TollgateError("malformed", `${where}: ${JSON.stringify(isExact(v) ? v.text : v)} is not an unsigned integer count of nanoseconds`);
  const n = BigInt(text);
  if (n > UINT64_MAX) throw new TollgateError("malformed", `${where}: ${text} exceeds the fixed64 range`);
  return n === 0n ? null : n.toString(); // 0 means "unknown" in the data model
}

function int64(v: unknown, where: string): string {
  const text = isExact(v) ? v.text : typeof v === "string" ? v : undefined;
  if (text === undefined || !/^-?\d+$/.test(text)) throw new TollgateError("malformed", `${where}: intValue ${JSON.stringify(isExact(v) ? v.text : v)} is not an integer`);
  const n = BigInt(text);
  if (n < INT64_MIN || n > INT64_MAX) throw new TollgateError("malformed", `${where}: intValue ${text} exceeds the int64 range`);
  return n.toString();
}

function hexId(v: unknown, bytes: number, name: string, where: string): string | null {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v !== "string" || !new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(v)) {
    throw new TollgateError("malformed", `${where}.${name}: ${JSON.stringify(v)} is not ${bytes * 2} hex characters (OTLP/JSON encodes ${name} as hex, not base64)`);
  }
  const hex = v.toLowerCase();
  // opentelemetry-proto logs.proto: an all-zero id is invalid and receivers SHOULD treat the record as not
  // associated with a trace/span (the Collector decodes it as the empty id) — not as an unreadable export.
  return /^0+$/.test(hex) ? null : hex;
}

/** OTLP AnyValue → plain JSON: int64 as exact decimal string, bytes as their base64 text, empty as null. */
export function anyValue(v: unknown, where: string): unknown {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw new TollgateError("malformed", `${where}: AnyValue must be an object ({"stringValue": …} etc.)`);
  const keys = Object.keys(v);
  if (keys.length === 0) return null;
  if (keys.length > 1) throw new TollgateError("malformed", `${where}: AnyValue has more than one value (${keys.join(", ")})`);
  const k = keys[0]!;
  const x = v[k];
  switch (k) {
    case "stringValue":
      if (typeof x !== "string") break;
      return x;
    case "boolValue":
      if (typeof x !== "boolean") break;
      return x;
    case "intValue":
      return int64(x, where);
    case "doubleValue":
      if (typeof x === "number") return x;
      if (typeof x === "string" && ["NaN", "Infinity", "-Infinity"].includes(x)) return x;
      if (typeof x === "string" && x.trim() !== "" && Number.isFinite(Number(x))) return Number(x);
      break;
    case "bytesValue":
      if (typeof x !== "string") break;
      return x;
    case "arrayValue": {
      if (!isObj(x)) break;
      const values = x.values ?? [];
      if (!Array.isArray(values)) break;
      return values.map((e, i) => anyValue(e, `${where}.arrayValue.values[${i}]`));
    }
    case "kvlistValue": {
      if (!isObj(x)) break;
      return keyValues(x.values ?? [], `${where}.kvlistValue.values`);
    }
    default:
      throw new TollgateError("malformed", `${where}: unknown AnyValue field ${k}`);
  }
  throw new TollgateError("malformed", `${where}: ${k} has the wrong JSON type (${JSON.stringify(isExact(x) ? x.text : x)})`);
}

/** KeyValue[] → object; a repeated key is an error (the data model requires unique keys). */
export function keyValues(list: unknown, where: string): Record<string, unknown> {
  if (!Array.isArray(list)) throw new TollgateError("malformed", `${where}: attributes must be an array of {key, value}`);
  const out: Record<string, unknown> = {};
  list.forEach((kv, i) => {
    if (!isObj(kv) || typeof kv.key !== "string") throw new TollgateError("malformed", `${where}[${i}]: not a {key, value} pair`);
    if (Object.hasOwn(out, kv.key)) throw new TollgateError("malformed", `${where}[${i}]: attribute key ${JSON.stringify(kv.key)} is repeated`);
    out[kv.key] = anyValue(kv.value, `${where}[${i}].value`);
  });
  return out;
}

function severityNumber(v: unknown, where: string): number | null {
  if (v === undefined || v === null) return null;
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 24) throw new TollgateError("malformed", `${where}.severityNumber: ${JSON.stringify(v)} is not 0–24`);
  return v === 0 ? null : (v as number);
}

function otlpRecord(r: unknown, where: string, scope: OtelRecord["scope"]): OtelRecord {
  if (!isObj(r)) throw new TollgateError("malformed", `${where}: a LogRecord must be an object`);
  return {
    location: where,
    timeUnixNano: nanos(r.timeUnixNano, `${where}.timeUnixNano`),
    observedTimeUnixNano: nanos(r.observedTimeUnixNano, `${where}.observedTimeUnixNano`),
    severityNumber: severityNumber(r.severityNumber, where),
    severityText: typeof r.severityText === "string" ? r.severityText : null,
    traceId: hexId(r.traceId, 16, "traceId", where),
    spanId: hexId(r.spanId, 8, "spanId", where),
    body: anyValue(r.body, `${where}.body`),
    attributes: r.attributes === undefined ? {} : keyValues(r.attributes, `${where}.attributes`),
    scope,
  };
}

function otlpExport(doc: unknown, prefix: string): OtelResource[] {
  if (!isObj(doc) || !Array.isArray(doc.resourceLogs)) throw new TollgateError("malformed", `${prefix}not an OTLP logs export (no resourceLogs array)`);
  return doc.resourceLogs.map((rl, i) => {
    const at = `${prefix}resourceLogs[${i}]`;
    if (!isObj(rl)) throw new TollgateError("malformed", `${at}: must be an object`);
    const resource = rl.resource === undefined ? {} : rl.resource;
    if (!isObj(resource)) throw new TollgateError("malformed", `${at}.resource: must be an object`);
    const attributes = resource.attributes === undefined ? {} : keyValues(resource.attributes, `${at}.resource.attributes`);
    // OTLP before 1.0 (collector < 0.59) named scopeLogs instrumentationLibraryLogs; the new name wins when both are sent.
    const field = rl.scopeLogs === undefined && rl.instrumentationLibraryLogs !== undefined ? "instrumentationLibraryLogs" : "scopeLogs";
    const scopeLogs = rl[field] ?? [];
    if (!Array.isArray(scopeLogs)) throw new TollgateError("malformed", `${at}.${field}: must be an array`);
    const records = scopeLogs.flatMap((sl, j) => {
      const sat = `${at}.${field}[${j}]`;
      if (!isObj(sl)) throw new TollgateError("malformed", `${sat}: must be an object`);
      const s = isObj(sl.scope) ? sl.scope : isObj(sl.instrumentationLibrary) ? sl.instrumentationLibrary : {};
      const scope = { name: typeof s.name === "string" ? s.name : null, version: typeof s.version === "string" ? s.version : null };
      const lrs = sl.logRecords ?? [];
      if (!Array.isArray(lrs)) throw new TollgateError("malformed", `${sat}.logRecords: must be an array`);
      return lrs.map((r, k) => otlpRecord(r, `${sat}.logRecords[${k}]`, scope));
    });
    return { location: at, attributes, schemaUrl: typeof rl.schemaUrl === "string" ? rl.schemaUrl : null, records };
  });
}

/** The Logs Data Model's JSON example shape: Resource and Attributes are plain maps, Body any JSON. */
function dataModelRecord(d: Obj): OtelResource[] {
  const resource = d.Resource === undefined ? {} : d.Resource;
  if (!isObj(resource)) throw new TollgateError("malformed", "Resource: must be a map of attributes");
  const attrs = d.Attributes === undefined ? {} : d.Attributes;
  if (!isObj(attrs)) throw new TollgateError("malformed", "Attributes: must be a map");
  const scope = isObj(d.InstrumentationScope) ? d.InstrumentationScope : {};
  const record: OtelRecord = {
    location: "record",
    timeUnixNano: nanos(d.Timestamp, "Timestamp"),
    observedTimeUnixNano: nanos(d.ObservedTimestamp, "ObservedTimestamp"),
    severityNumber: severityNumber(d.SeverityNumber, "record"),
    severityText: typeof d.SeverityText === "string" ? d.SeverityText : null,
    traceId: hexId(d.TraceId, 16, "TraceId", "record"),
    spanId: hexId(d.SpanId, 8, "SpanId", "record"),
    body: unwrapExact(d.Body ?? null),
    attributes: unwrapExact(attrs) as Record<string, unknown>,
    scope: { name: typeof scope.Name === "string" ? scope.Name : null, version: typeof scope.Version === "string" ? scope.Version : null },
  };
  return [{ location: "Resource", attributes: unwrapExact(resource) as Record<string, unknown>, schemaUrl: null, records: [record] }];
}

function unwrapExact(v: unknown): unknown {
  if (isExact(v)) return v.text;
  if (Array.isArray(v)) return v.map(unwrapExact);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapExact(x)]));
  return v;
}

const OTLP_RECORD_KEYS = ["timeUnixNano", "observedTimeUnixNano", "severityNumber", "severityText", "body", "traceId", "spanId"];
const DATA_MODEL_KEYS = ["Timestamp", "ObservedTimestamp", "SeverityNumber", "SeverityText", "Body", "Resource", "TraceId"];

function formOf(doc: unknown): "export" | "record" | "data-model" | undefined {
  if (!isObj(doc)) return undefined;
  if (Array.isArray(doc.resourceLogs)) return "export";
  const has = (keys: string[]) => keys.filter((k) => k in doc).length;
  if (has(OTLP_RECORD_KEYS) >= 2 && ("timeUnixNano" in doc || "observedTimeUnixNano" in doc)) return "record";
  if (has(DATA_MODEL_KEYS) >= 2 && ("Timestamp" in doc || "ObservedTimestamp" in doc || "Resource" in doc)) return "data-model";
  return undefined;
}

/** Cheap sniff, never throws: JSON (or the first NDJSON line) in one of the three shapes. */
export function detectOtelLogs(file: SourceFile): boolean {
  const doc = file.json();
  if (doc !== undefined) return formOf(doc) !== undefined;
  const first = file.jsonLines()?.[0];
  if (!first) return false;
  if (first.error === undefined) return formOf(first.value) === "export";
  // A truncated or corrupt export still names itself early: claim it so parse says what is wrong.
  return /^\s*\{\s*"resourceLogs"\s*:/.test(file.text()!.slice(0, 4096));
}

export function parseOtelLogs(file: SourceFile): ParsedOtelLogs {
  const text = file.text();
  if (text === undefined) throw new TollgateError("malformed", "not UTF-8 text", file.path);
  try {
    if (file.json() !== undefined) {
      const doc = parseJsonExact(text);
      const form = formOf(doc);
      if (form === "export") return { form: "otlp-json", resources: otlpExport(doc, "") };
      if (form === "record") {
        const r = otlpRecord(doc, "logRecord", { name: null, version: null });
        return { form: "otlp-log-record", resources: [{ location: "(no resource: a bare LogRecord)", attributes: {}, schemaUrl: null, records: [r] }] };
      }
      if (form === "data-model") return { form: "log-data-model", resources: dataModelRecord(doc as Obj) };
      throw new TollgateError("malformed", "not an OTLP logs export, an OTLP LogRecord or a Logs Data Model record");
    }
    const resources: OtelResource[] = [];
    const lines = file.jsonLines() ?? [];
    if (lines[0]?.error !== undefined) {
      // Neither one JSON document nor NDJSON: report the whole-document parse error (truncated, corrupt).
      parseJsonExact(text);
    }
    // Each line again with the exact parse (int64 fields keep their source text), one line at a time.
    let start = 0;
    let n = 0;
    const next = new Map(lines.map((l) => [l.line, l]));
    while (start <= text.length) {
      n++;
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      const l = next.get(n);
      if (l) resources.push(...otlpExport(parseJsonExact(text.slice(start, end).replace(/\r$/, ""), `line ${n}: `), `line ${n}: `));
      start = end + 1;
    }
    if (resources.length === 0) throw new TollgateError("malformed", "no OTLP exports in the stream");
    return { form: "otlp-ndjson", resources };
  } catch (e) {
    if (e instanceof TollgateError && !e.path) throw new TollgateError(e.code, e.message, file.path, { cause: e });
    throw e;
  }
}
