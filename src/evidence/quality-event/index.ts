// Evidence kind "quality-event" (I5): pipeline-completion events checked against their data contract.
// Events are unsigned; what a policy relies on is the contract check (the contract document valid against
// its standard's official schema, the event valid against the contract), duplicates and ordering.
//
// How an event finds its contract: its `contract`/`dataContract` reference names the contract's id (or
// name), optionally its version and schema object; without a reference, the only contract given is used.
// Contracts come from the same invocation (ODCS/DCS YAML or JSON files beside the events: they are this
// kind's materials) or are handed in directly (`tollgate contract check EVENT CONTRACT`).
import { TollgateError, asTollgateError } from "../../core/errors.ts";
import type { Check, EvidenceKind, EvidenceRecord, SourceFile } from "../types.ts";
import { looksLikeContract, parseContractFile } from "../contract/parse.ts";
import { validateContractDocument } from "../contract/validate.ts";
import { validateAgainstContract } from "../contract/json-schema.ts";
import type { DataContract } from "../contract/model.ts";
import { declaredLatency, latencyCheck, type LatencyFacts } from "./sla.ts";
import { detectQualityEvents, parseQualityEvents, type ContractRef, type ParsedEvents, type QualityEvent } from "./parse.ts";

export { parseQualityEvents, detectQualityEvents, type ParsedEvents, type QualityEvent } from "./parse.ts";

export interface ContractCandidate {
  contract?: DataContract;
  /** Set when the file looked like a contract but could not be read as one. */
  error?: TollgateError;
  path: string;
}

/** Every file of the invocation that is a data contract, parsed (or the reason it could not be). */
export function contractCandidates(files: readonly SourceFile[]): ContractCandidate[] {
  const out: ContractCandidate[] = [];
  for (const f of files) {
    if (!looksLikeContract(f)) continue;
    try {
      out.push({ contract: parseContractFile(f), path: f.path });
    } catch (e) {
      out.push({ error: asTollgateError(e, f.path, "malformed"), path: f.path });
    }
  }
  return out;
}

type Resolution = { contract: DataContract } | { code: Check["code"]; reason: string };

function describeRef(ref: ContractRef): string {
  return `${ref.field} ${JSON.stringify(ref.id)}${ref.version ? ` version ${ref.version}` : ""}`;
}

export function resolveContract(ev: QualityEvent, candidates: readonly ContractCandidate[]): Resolution {
  const usable = candidates.filter((c): c is ContractCandidate & { contract: DataContract } => c.contract !== undefined);
  if (!ev.ref) {
    if (candidates.length === 1 && candidates[0]!.contract) return { contract: candidates[0]!.contract };
    if (candidates.length === 1) return { code: candidates[0]!.error!.code, reason: `the only data contract given (${candidates[0]!.path}) is unreadable: ${candidates[0]!.error!.message}` };
    if (candidates.length === 0) return { code: "binding_failed", reason: "no data contract given for the event (pass the ODCS/DCS contract beside it, or use `tollgate contract check EVENT CONTRACT`)" };
    return { code: "binding_failed", reason: `${candidates.length} data contracts given and the event names none (set contract: <id> in the event)` };
  }
  const ref = ev.ref;
  const byId = usable.filter((c) => c.contract.id === ref.id || c.contract.name === ref.id);
  if (byId.length === 0) {
    const have = usable.map((c) => `${c.contract.id ?? c.contract.name ?? "?"} (${c.path})`).join(", ");
    const broken = candidates.filter((c) => c.error).map((c) => `${c.path}: ${c.error!.message}`).join("; ");
    return {
      code: "binding_failed",
      reason: `event names ${describeRef(ref)}, which no contract given has${have ? ` (given: ${have})` : ""}${broken ? `; unreadable contracts: ${broken}` : ""}`,
    };
  }
  if (ref.version) {
    const exact = byId.filter((c) => c.contract.version === ref.version);
    if (exact.length === 0) {
      return {
        code: "binding_failed",
        reason: `event names ${describeRef(ref)}; the contract given is version ${byId.map((c) => `${c.contract.version ?? "(none)"} (${c.path})`).join(", ")}`,
      };
    }
    if (exact.length > 1) return { code: "binding_failed", reason: `event names ${describeRef(ref)}, which ${exact.length} contracts given match: ${exact.map((c) => c.path).join(", ")}` };
    return { contract: exact[0]!.contract };
  }
  if (byId.length > 1) {
    return { code: "binding_failed", reason: `event names ${describeRef(ref)}, which ${byId.length} contracts given match (${byId.map((c) => `${c.path} v${c.contract.version ?? "?"}`).join(", ")}); name the version` };
  }
  return { contract: byId[0]!.contract };
}

export interface EventOutcome {
  event: QualityEvent;
  contract: DataContract | null;
  schemaObject: string | null;
  contractValid: boolean;
  contractErrors: string[];
  duplicates: { event_id: string; lines: number[] }[];
  /** The contract's declared latency against this event's time (null when it declares none or no time was given). */
  sla: LatencyFacts | null;
  checks: Check[];
}

/**
 * Every check for every event of one file, in the order they ran. Pure apart from ajv compilation caches. With
 * `time` (the decision instant) an event is also held to its contract's declared latency (sla.ts).
 */
export function checkEvents(parsed: ParsedEvents, candidates: readonly ContractCandidate[], time?: Date): EventOutcome[] {
  const linesById = new Map<string, number[]>();
  for (const e of parsed.events) linesById.set(e.event_id, [...(linesById.get(e.event_id) ?? []), e.line]);
  const lastByKey = new Map<string, QualityEvent>();

  return parsed.events.map((ev) => {
    const checks: Check[] = [];
    const at = parsed.form === "ndjson" ? `line ${ev.line}: ` : "";
    let contract: DataContract | null = null;
    let schemaObject: string | null = null;
    const contractErrors: string[] = [];
    let sla: LatencyFacts | null = null;

    const r = resolveContract(ev, candidates);
    if ("contract" in r) {
      contract = r.contract;
      checks.push({ name: "contract.resolve", ok: true, detail: { path: contract.path, id: contract.id, version: contract.version } });
      const doc = validateContractDocument(contract);
      if (doc.ok) checks.push({ name: "contract.schema", ok: true, detail: { schema: doc.schema } });
      else {
        contractErrors.push(...doc.errors.map((e) => `${contract!.path}: ${e}`));
        checks.push({
          name: "contract.schema", ok: false, code: doc.code!,
          reason: doc.schema
            ? `${at}data contract ${contract.path} is not valid against ${doc.schema}: ${doc.errors.slice(0, 3).join("; ")}`
            : `${at}data contract ${contract.path} cannot be validated: ${doc.errors.join("; ")}`,
          detail: { line: ev.line, schema: doc.schema, errors: doc.errors },
        });
      }
      const v = validateAgainstContract(ev.data, contract, ev.ref?.schema);
      schemaObject = v.object;
      if (v.ok) checks.push({ name: "contract.event", ok: true, detail: { object: v.object } });
      else {
        contractErrors.push(...v.errors);
        checks.push({
          name: "contract.event", ok: false, code: v.code!,
          reason: `${at}event ${ev.event_id} does not satisfy ${contract.path}${v.object ? ` (schema ${v.object})` : ""}: ${v.errors.slice(0, 3).join("; ")}`,
          detail: { line: ev.line, errors: v.errors },
        });
      }
      const latency = time ? declaredLatency(contract) : null;
      if (latency && time) {
        const l = latencyCheck(ev, latency, time, at);
        checks.push(l.check);
        sla = l.facts;
      }
    } else {
      contractErrors.push(r.reason);
      checks.push({ name: "contract.resolve", ok: false, code: r.code, reason: `${at}${r.reason}`, detail: { line: ev.line } });
    }

    const lines = linesById.get(ev.event_id)!;
    const duplicates = lines.length > 1 ? [{ event_id: ev.event_id, lines }] : [];
    if (duplicates.length) {
      checks.push({
        name: "integrity.duplicate_event_id", ok: false, code: "malformed",
        reason: `event_id ${JSON.stringify(ev.event_id)} appears on lines ${listLines(lines)}`,
        detail: { line: ev.line, event_id: ev.event_id, lines },
      });
    } else checks.push({ name: "integrity.duplicate_event_id", ok: true });

    // A repeated event is already reported; ordering is judged on distinct events only.
    if (lines[0] === ev.line) {
      const prev = lastByKey.get(ev.ordering.key);
      if (prev && ev.ordering.sequence <= prev.ordering.sequence) {
        checks.push({
          name: "integrity.ordering", ok: false, code: "chain_broken",
          reason: `ordering.sequence ${ev.ordering.sequence} for key ${JSON.stringify(ev.ordering.key)} at line ${ev.line} does not increase (line ${prev.line} had ${prev.ordering.sequence})`,
          detail: { line: ev.line, key: ev.ordering.key, sequence: ev.ordering.sequence, previous: { line: prev.line, sequence: prev.ordering.sequence } },
        });
      } else checks.push({ name: "integrity.ordering", ok: true });
      if (!prev || ev.ordering.sequence > prev.ordering.sequence) lastByKey.set(ev.ordering.key, ev);
    }

    const contractValid = checks.filter((c) => c.name.startsWith("contract.")).every((c) => c.ok);
    return { event: ev, contract, schemaObject, contractValid, contractErrors, duplicates, sla, checks };
  });
}

/** `1 and 3`, `1, 3 and 5`. */
function listLines(lines: readonly number[]): string {
  return lines.length <= 2 ? lines.join(" and ") : `${lines.slice(0, -1).join(", ")} and ${lines.at(-1)}`;
}

interface Parsed {
  events: ParsedEvents;
  /** What verify() found, for normalize() to reuse when it is handed the same files. */
  outcomes?: { files: readonly SourceFile[]; time: Date; outcomes: EventOutcome[] };
}

function outcomesFor(parsed: Parsed, files: readonly SourceFile[], time: Date): EventOutcome[] {
  if (parsed.outcomes?.files !== files || parsed.outcomes.time !== time) parsed.outcomes = { files, time, outcomes: checkEvents(parsed.events, contractCandidates(files), time) };
  return parsed.outcomes.outcomes;
}

export const qualityEventKind: EvidenceKind<Parsed> = {
  name: "quality-event",
  detect: detectQualityEvents,
  parse(file) {
    return { events: parseQualityEvents(file) };
  },
  async verify(parsed, _file, ctx) {
    // Flatten per event; normalize splits them back by line.
    return outcomesFor(parsed, ctx.files, ctx.time).flatMap((o) => o.checks.map((c) => ({ ...c, detail: { ...c.detail, line: o.event.line } })));
  },
  normalize(parsed, checks, file, ctx) {
    return outcomesFor(parsed, ctx.files, ctx.time).map((o) => toRecord(o, checks.filter((c) => c.detail?.line === o.event.line), file, parsed.events.form));
  },
  materials(file, all) {
    // Every data contract of the invocation is a candidate this kind resolves against: consumed, not evidence.
    return all.filter((f) => f.path !== file.path && looksLikeContract(f)).map((f) => f.path);
  },
};

export function toRecord(o: EventOutcome, checks: Check[], file: SourceFile, form: "json" | "ndjson"): EvidenceRecord {
  const e = o.event;
  const bad = checks.find((c) => !c.ok);
  const c = o.contract;
  return {
    id: form === "json" ? `sha256:${file.sha256}` : `sha256:${file.sha256}#L${e.line}`,
    kind: "quality-event",
    source: {
      path: file.path,
      digest: { sha256: file.sha256 },
      format: form === "json" ? "quality-event+json" : "quality-event+ndjson",
      ...(c ? { materials: [{ path: c.path, digest: { sha256: c.sha256 } }] } : {}),
    },
    signature: { status: "unsigned", signers: [] },
    transparency: { status: "absent" },
    integrity: bad ? { status: "failed", reason: bad.reason ?? bad.name } : { status: "verified" },
    checks,
    facts: {
      line: e.line,
      pipeline: e.pipeline,
      passed: e.passed,
      pass_rate: e.pass_rate,
      duration_seconds: e.duration_seconds,
      event_id: e.event_id,
      correlation_id: e.correlation_id,
      ordering: e.ordering,
      occurred_at: e.occurred_at,
      contract: c
        ? {
            id: c.id, name: c.name, version: c.version, apiVersion: c.apiVersion, standard: c.standard,
            path: c.path, schema_object: o.schemaObject,
          }
        : null,
      contract_reference: e.ref ? { id: e.ref.id, version: e.ref.version ?? null, schema: e.ref.schema ?? null } : null,
      contract_valid: o.contractValid,
      contract_errors: o.contractErrors,
      duplicates: o.duplicates,
      ordering_ok: checks.every((x) => x.name !== "integrity.ordering" || x.ok),
      sla_latency: o.sla,
    },
  };
}
