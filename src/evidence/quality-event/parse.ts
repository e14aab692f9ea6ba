// Pipeline-completion quality events (I5): one JSON object, or an NDJSON stream of them. Pure; every line
// is checked against schemas/quality-event.schema.json and a bad line fails the whole file, naming the line.
import eventSchema from "../../../schemas/quality-event.schema.json" with { type: "json" };
import { TollgateError } from "../../core/errors.ts";
import { validator } from "../../core/schema.ts";
import type { SourceFile } from "../types.ts";
import { ajvErrors } from "../contract/validate.ts";

export interface ContractRef {
  /** Which key carried the reference. */
  field: "contract" | "dataContract";
  /** Contract id (or name) the event names. */
  id: string;
  version?: string;
  /** Schema object / model that describes the event. */
  schema?: string;
}

export interface QualityEvent {
  /** 1-based line of the event in its file (1 for a single JSON document). */
  line: number;
  event_id: string;
  correlation_id: string;
  ordering: { key: string; sequence: number };
  occurred_at: string | null;
  pipeline: string;
  passed: boolean;
  pass_rate: number;
  duration_seconds: number;
  ref: ContractRef | null;
  /** The event as written, minus its contract reference: what the data contract describes. */
  data: Record<string, unknown>;
}

export interface ParsedEvents {
  form: "json" | "ndjson";
  events: QualityEvent[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Content sniff: an object with `pipeline` and `passed` plus one more event field. Never throws. */
export function looksLikeQualityEvent(value: unknown): boolean {
  return isObj(value) && "pipeline" in value && "passed" in value && ("event_id" in value || "pass_rate" in value || "duration_seconds" in value);
}

export function detectQualityEvents(file: SourceFile): boolean {
  const doc = file.json();
  if (doc !== undefined) return looksLikeQualityEvent(doc);
  const first = file.jsonLines()?.[0];
  if (!first) return false;
  if (first.error === undefined) return looksLikeQualityEvent(first.value);
  // A truncated or corrupt event still shows its fields early: claim it so parse says what is wrong.
  const head = file.text()!.slice(0, 4096);
  return /^\s*\{/.test(head) && /"pipeline"\s*:/.test(head) && /"passed"\s*:/.test(head);
}

export function parseQualityEvents(file: SourceFile): ParsedEvents {
  const text = file.text();
  if (text === undefined) throw new TollgateError("malformed", "not UTF-8 text", file.path);
  const single = file.json();
  if (single !== undefined) {
    if (!isObj(single)) throw new TollgateError("malformed", "a quality-event file holds one JSON object or NDJSON (one object per line)", file.path);
    return { form: "json", events: [toEvent(single, 1, file.path, false)] };
  }
  const events: QualityEvent[] = [];
  const lines = file.jsonLines() ?? [];
  if (lines[0]?.error !== undefined) {
    // Neither one JSON document nor NDJSON (a truncated or corrupt file): report the document's parse error.
    let why = lines[0].error;
    try {
      JSON.parse(text); // within the caps: the file's nesting was measured when it was read
    } catch (e) {
      why = (e as Error).message;
    }
    throw new TollgateError("malformed", `not JSON and not NDJSON (${why})`, file.path);
  }
  for (const l of lines) {
    if (l.error !== undefined) throw new TollgateError("malformed", `line ${l.line}: not a JSON object (${l.error})`, file.path);
    if (!isObj(l.value)) throw new TollgateError("malformed", `line ${l.line}: not a JSON object`, file.path);
    events.push(toEvent(l.value, l.line, file.path, true));
  }
  if (events.length === 0) throw new TollgateError("malformed", "no quality events (empty stream)", file.path);
  return { form: "ndjson", events };
}

function toEvent(value: Record<string, unknown>, line: number, path: string, stream: boolean): QualityEvent {
  // The shared validator: schemas/quality-event.schema.json ships precompiled (src/core/validators.generated.js).
  const valid = validator(eventSchema);
  if (!valid(value)) {
    const where = stream ? `line ${line}: ` : "";
    throw new TollgateError("schema_invalid", `${where}not a quality event: ${ajvErrors(valid.errors, 5).join("; ")}`, path);
  }
  const v = value as Record<string, unknown> & {
    event_id: string; correlation_id: string; ordering: { key: string; sequence: number }; occurred_at?: string;
    pipeline: string; passed: boolean; pass_rate: number; duration_seconds: number;
  };
  const field = "contract" in v ? "contract" : "dataContract" in v ? "dataContract" : null;
  let ref: ContractRef | null = null;
  if (field) {
    const r = v[field] as string | { id: string; version?: string; schema?: string };
    ref = typeof r === "string" ? { field, id: r } : { field, id: r.id, ...(r.version ? { version: r.version } : {}), ...(r.schema ? { schema: r.schema } : {}) };
  }
  const data = { ...v };
  delete data.contract;
  delete data.dataContract;
  return {
    line,
    event_id: v.event_id,
    correlation_id: v.correlation_id,
    ordering: { key: v.ordering.key, sequence: v.ordering.sequence },
    occurred_at: v.occurred_at ?? null,
    pipeline: v.pipeline,
    passed: v.passed,
    pass_rate: v.pass_rate,
    duration_seconds: v.duration_seconds,
    ref,
    data,
  };
}
