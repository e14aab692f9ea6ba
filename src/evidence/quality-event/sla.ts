// I5's declared SLA: a quality event must reach its consumers within the latency its data contract declares.
// ODCS v3 declares it in `slaProperties` ({property: latency, value, unit}); the Data Contract Specification in
// `servicelevels.latency` ({threshold: "25h" | ISO 8601 duration, sourceTimestampField, processedTimestampField}).
// Latency is measured from the event's own time (the contract's source timestamp field, else `occurred_at`) to
// when it was processed (the processed timestamp field, else the decision instant — when the gate consumed it).
// Pure: the instant is a parameter.
import { isRfc3339 } from "../../core/time.ts";
import type { DataContract } from "../contract/model.ts";
import type { Check } from "../types.ts";
import type { QualityEvent } from "./parse.ts";

export interface DeclaredLatency {
  /** The limit in seconds, or null when the declaration cannot be read (then `problem` says why). */
  seconds: number | null;
  /** As the contract writes it, for messages: `4 d`, `25h`, `PT1H`. */
  declared: string;
  sourceField: string | null;
  processedField: string | null;
  problem?: string;
}

const UNIT_SECONDS: Record<string, number> = {
  ms: 0.001, millisecond: 0.001, milliseconds: 0.001,
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86400, day: 86400, days: 86400,
  w: 604800, wk: 604800, week: 604800, weeks: 604800,
  y: 31536000, yr: 31536000, yrs: 31536000, year: 31536000, years: 31536000,
};

const ISO_DURATION = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/** `25h`, `4 d`, `90 minutes`, `PT1H30M`, `P1D` → seconds; null when not a duration tollgate can read. */
export function durationSeconds(text: string): number | null {
  const t = text.trim();
  const iso = ISO_DURATION.exec(t);
  if (iso && t.length > 1 && !/T$/i.test(t)) {
    const [, w, d, h, m, s] = iso.map((x) => (x === undefined ? 0 : Number(x)));
    return w! * 604800 + d! * 86400 + h! * 3600 + m! * 60 + s!;
  }
  const simple = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(t);
  if (!simple) return null;
  const unit = UNIT_SECONDS[simple[2]!.toLowerCase()];
  return unit === undefined ? null : Number(simple[1]) * unit;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The latency a contract declares, or null when it declares none. */
export function declaredLatency(contract: DataContract): DeclaredLatency | null {
  const doc = contract.document;
  if (contract.standard === "odcs") {
    const props = Array.isArray(doc.slaProperties) ? doc.slaProperties : [];
    const p = props.find((x): x is Record<string, unknown> => isObject(x) && typeof x.property === "string" && x.property.toLowerCase() === "latency");
    if (!p) return null;
    const unit = typeof p.unit === "string" ? p.unit : "";
    const declared = `${String(p.value)}${unit ? ` ${unit}` : ""}`;
    const seconds = typeof p.value === "number" && unit ? durationSeconds(`${p.value}${unit}`) : typeof p.value === "string" ? durationSeconds(unit ? `${p.value}${unit}` : p.value) : null;
    return { seconds, declared, sourceField: null, processedField: null, ...(seconds === null ? { problem: `slaProperties latency ${declared} is not a duration (a number with a unit such as d, h, m, s)` } : {}) };
  }
  const lat = isObject(doc.servicelevels) && isObject(doc.servicelevels.latency) ? doc.servicelevels.latency : undefined;
  if (!lat || typeof lat.threshold !== "string") return null;
  const seconds = durationSeconds(lat.threshold);
  return {
    seconds,
    declared: lat.threshold,
    sourceField: typeof lat.sourceTimestampField === "string" ? lat.sourceTimestampField : null,
    processedField: typeof lat.processedTimestampField === "string" ? lat.processedTimestampField : null,
    ...(seconds === null ? { problem: `servicelevels.latency.threshold ${lat.threshold} is not a duration (25h, 1d, PT1H, …)` } : {}),
  };
}

/** A field of the event by name (a dotted path into nested objects). */
function eventField(ev: QualityEvent, name: string): unknown {
  let v: unknown = ev.data;
  for (const part of name.split(".")) v = isObject(v) ? v[part] : undefined;
  return v;
}

export interface LatencyFacts {
  declared: string;
  max_seconds: number | null;
  /** Seconds from the event's time to its processing, when both are known. */
  seconds: number | null;
  event_time: string | null;
  processed_time: string;
  met: boolean;
}

/** The `sla.latency` check for one event and the facts it leaves. */
export function latencyCheck(ev: QualityEvent, lat: DeclaredLatency, time: Date, at: string): { check: Check; facts: LatencyFacts } {
  const sourceName = lat.sourceField ?? "occurred_at";
  const source = lat.sourceField ? eventField(ev, lat.sourceField) : ev.occurred_at;
  const processed = lat.processedField ? eventField(ev, lat.processedField) : time.toISOString();
  const facts: LatencyFacts = { declared: lat.declared, max_seconds: lat.seconds, seconds: null, event_time: typeof source === "string" ? source : null, processed_time: typeof processed === "string" ? processed : String(processed), met: false };
  const fail = (code: Check["code"], reason: string): { check: Check; facts: LatencyFacts } => ({
    check: { name: "sla.latency", ok: false, code, reason: `${at}event ${ev.event_id}: ${reason}`, detail: { line: ev.line, ...facts } },
    facts,
  });
  if (lat.seconds === null) return fail("schema_invalid", `the contract's declared latency cannot be read: ${lat.problem}`);
  if (!isRfc3339(source)) return fail("malformed", `the contract declares a latency of ${lat.declared}, but the event's ${sourceName} is ${source === undefined || source === null ? "absent" : JSON.stringify(source)}, not an RFC 3339 time to measure it from`);
  if (!isRfc3339(processed)) return fail("malformed", `the event's ${lat.processedField} is ${processed === undefined ? "absent" : JSON.stringify(processed)}, not an RFC 3339 time`);
  const seconds = (Date.parse(processed) - Date.parse(source)) / 1000;
  facts.seconds = seconds;
  const until = lat.processedField ? `its ${lat.processedField} ${processed}` : `the decision time ${processed}`;
  if (seconds < 0) return fail("malformed", `its ${sourceName} ${source} is after ${until}`);
  if (seconds > lat.seconds) return fail("binding_failed", `${seconds}s from its ${sourceName} ${source} to ${until} exceeds the contract's declared latency ${lat.declared} (${lat.seconds}s)`);
  facts.met = true;
  return { check: { name: "sla.latency", ok: true, detail: { line: ev.line, ...facts } }, facts };
}
