// Quality events (I5): parsing JSON/NDJSON, the envelope schema, contract resolution and validation,
// duplicates and ordering, and the gate's I5 rules evaluated by both opa eval and the compiled WASM policy.
import { describe, expect, test } from "bun:test";
import { stringify } from "yaml";
import { buildInputDocument, validateInputDocument } from "../src/core/input.ts";
import { collectEvidence } from "../src/evidence/collect.ts";
import { makeVerifyContext, sourceFromText } from "../src/evidence/source.ts";
import type { SourceFile } from "../src/evidence/types.ts";
import { qualityEventKind } from "../src/evidence/quality-event/index.ts";
import type { Decision } from "../src/policy/gate.ts";
import { decideBothEngines } from "./support/gate-parity.ts";
import { thrown } from "./support/errors.ts";

const TIME = new Date("2026-06-01T00:00:00Z");
const SUBJECT = "a".repeat(64);

type Ev = Record<string, unknown>;
function event(over: Ev = {}): Ev {
  return {
    event_id: "e1", correlation_id: "run-1", ordering: { key: "nightly-dq", sequence: 1 },
    pipeline: "nightly-dq", passed: true, pass_rate: 0.98, duration_seconds: 12.5,
    contract: "pipeline-completion",
    ...over,
  };
}
const ndjson = (...events: Ev[]) => events.map((e) => JSON.stringify(e)).join("\n") + "\n";

/** The event contract as ODCS v3.1.0: envelope + payload, pipeline restricted to two names. */
function odcsContract(over: Record<string, unknown> = {}, pipelines = ["nightly-dq", "release-dq"]): string {
  return stringify({
    apiVersion: "v3.1.0", kind: "DataContract", id: "pipeline-completion", name: "Pipeline completion events",
    version: "1.0.0", status: "active",
    schema: [{
      name: "pipeline_completion", logicalType: "object",
      properties: [
        { name: "event_id", logicalType: "string", required: true },
        { name: "correlation_id", logicalType: "string", required: true },
        { name: "ordering", logicalType: "object", required: true, properties: [
          { name: "key", logicalType: "string", required: true },
          { name: "sequence", logicalType: "integer", required: true, logicalTypeOptions: { minimum: 0 } },
        ] },
        { name: "pipeline", logicalType: "string", required: true,
          quality: [{ type: "library", metric: "invalidValues", arguments: { validValues: pipelines }, mustBe: 0 }] },
        { name: "passed", logicalType: "boolean", required: true },
        { name: "pass_rate", logicalType: "number", required: true, logicalTypeOptions: { minimum: 0, maximum: 1 } },
        { name: "duration_seconds", logicalType: "integer", required: true, logicalTypeOptions: { minimum: 0 } },
      ],
    }],
    ...over,
  });
}

/** The same contract as a Data Contract Specification 1.2.0 document (closed model). */
function dcsContract(): string {
  return stringify({
    dataContractSpecification: "1.2.0", id: "pipeline-completion-dcs",
    info: { title: "Pipeline completion events (DCS)", version: "1.0.0" },
    models: { pipeline_completion: { type: "object", fields: {
      event_id: { type: "string", required: true },
      correlation_id: { type: "string", required: true },
      ordering: { type: "object", required: true, fields: { key: { type: "string", required: true }, sequence: { type: "long", required: true } } },
      pipeline: { type: "string", required: true },
      passed: { type: "boolean", required: true },
      pass_rate: { type: "double", required: true, minimum: 0, maximum: 1 },
      duration_seconds: { type: "double", required: true, minimum: 0 },
    } } },
  });
}

async function records(files: SourceFile[]) {
  const ctx = makeVerifyContext({ time: TIME, files });
  return collectEvidence(files, ctx);
}

function checkOf(rec: { checks: { name: string; ok: boolean; code?: string; reason?: string }[] }, name: string) {
  return rec.checks.find((c) => c.name === name)!;
}


describe("parsing events", () => {
  test("one JSON object: one event at line 1; detection by content", () => {
    const f = sourceFromText("anything.txt", JSON.stringify(event(), null, 2));
    expect(qualityEventKind.detect(f)).toBe(true);
    const p = qualityEventKind.parse(f);
    expect(p.events.form).toBe("json");
    expect(p.events.events).toHaveLength(1);
    expect(p.events.events[0]).toMatchObject({ line: 1, event_id: "e1", ref: { field: "contract", id: "pipeline-completion" } });
    expect(p.events.events[0]!.data).not.toHaveProperty("contract");
  });

  test("NDJSON: line numbers kept, blank lines skipped, CRLF tolerated", () => {
    const text = JSON.stringify(event()) + "\r\n\r\n" + JSON.stringify(event({ event_id: "e2", ordering: { key: "nightly-dq", sequence: 2 } })) + "\r\n";
    const p = qualityEventKind.parse(sourceFromText("s.ndjson", text));
    expect(p.events.form).toBe("ndjson");
    expect(p.events.events.map((e) => [e.line, e.event_id])).toEqual([[1, "e1"], [3, "e2"]]);
  });

  test("not quality events are not detected", () => {
    expect(qualityEventKind.detect(sourceFromText("x.json", JSON.stringify({ pipeline: "x" })))).toBe(false);
    expect(qualityEventKind.detect(sourceFromText("x.json", JSON.stringify({ resourceLogs: [] })))).toBe(false);
    expect(qualityEventKind.detect(sourceFromText("x.yaml", odcsContract()))).toBe(false);
  });

  test("a line that is not JSON fails the file, naming the line", () => {
    const e = thrown(() => qualityEventKind.parse(sourceFromText("s.ndjson", ndjson(event()) + "{\"event_id\": \n")));
    expect(e.code).toBe("malformed");
    expect(e.message).toStartWith("line 2: not a JSON object");
  });

  test("an event missing envelope fields or out of range is schema_invalid, naming line and field", () => {
    const noOrdering = event();
    delete noOrdering.ordering;
    const e = thrown(() => qualityEventKind.parse(sourceFromText("s.ndjson", ndjson(event(), noOrdering))));
    expect(e.code).toBe("schema_invalid");
    expect(e.message).toBe("line 2: not a quality event: / must have required property 'ordering'");
    const rate = thrown(() => qualityEventKind.parse(sourceFromText("e.json", JSON.stringify(event({ pass_rate: 1.2 })))));
    expect(rate.message).toBe("not a quality event: /pass_rate must be <= 1");
    const seq = thrown(() => qualityEventKind.parse(sourceFromText("e.json", JSON.stringify(event({ ordering: { key: "k", sequence: -1 } })))));
    expect(seq.message).toContain("/ordering/sequence must be >= 0");
    const both = thrown(() => qualityEventKind.parse(sourceFromText("e.json", JSON.stringify(event({ dataContract: "x" })))));
    expect(both.code).toBe("schema_invalid");
  });

  test("a truncated event file is claimed and reported as malformed", () => {
    const pretty = JSON.stringify(event(), null, 2);
    const f = sourceFromText("e.json", pretty.slice(0, pretty.indexOf('"pass_rate"'))); // cut mid-document
    expect(qualityEventKind.detect(f)).toBe(true);
    const e = thrown(() => qualityEventKind.parse(f));
    expect(e.code).toBe("malformed");
    expect(e.message).toStartWith("not JSON and not NDJSON (");
  });

  test("an empty stream is malformed", () => {
    expect(thrown(() => qualityEventKind.parse(sourceFromText("s.ndjson", "\n\n"))).message).toBe("no quality events (empty stream)");
  });
});

describe("contract resolution and validation (collect → records)", () => {
  test("the contract beside the events is a material, not evidence; a valid event is contract_valid", async () => {
    const ev = sourceFromText("events.ndjson", ndjson(event({ duration_seconds: 12 })));
    const c = sourceFromText("contract.odcs.yaml", odcsContract());
    const r = await records([ev, c]);
    expect(r.errors).toEqual([]);
    expect(r.materials).toEqual(["contract.odcs.yaml"]);
    expect(r.records).toHaveLength(1);
    const rec = r.records[0]!;
    expect(rec.kind).toBe("quality-event");
    expect(rec.signature.status).toBe("unsigned");
    expect(rec.integrity.status).toBe("verified");
    expect(rec.source.materials).toEqual([{ path: "contract.odcs.yaml", digest: { sha256: c.sha256 } }]);
    expect(rec.facts).toMatchObject({
      pipeline: "nightly-dq", passed: true, pass_rate: 0.98, duration_seconds: 12, event_id: "e1", correlation_id: "run-1",
      ordering: { key: "nightly-dq", sequence: 1 },
      contract: { id: "pipeline-completion", version: "1.0.0", apiVersion: "v3.1.0", standard: "odcs", path: "contract.odcs.yaml", schema_object: "pipeline_completion" },
      contract_valid: true, contract_errors: [], duplicates: [],
    });
  });

  test("an event violating its contract: contract.event fails with schema_invalid naming the field", async () => {
    const r = await records([sourceFromText("events.ndjson", ndjson(event({ duration_seconds: 12.5, pipeline: "adhoc" }))), sourceFromText("c.yaml", odcsContract())]);
    const rec = r.records[0]!;
    expect(rec.facts.contract_valid).toBe(false);
    const c = checkOf(rec, "contract.event");
    expect(c).toMatchObject({ ok: false, code: "schema_invalid" });
    // A one-line stream is also one JSON document: no line prefix.
    expect(c.reason).toBe('event e1 does not satisfy c.yaml (schema pipeline_completion): /pipeline must be equal to one of the allowed values ("nightly-dq", "release-dq"); /duration_seconds must be integer');
    expect(rec.integrity.status).toBe("failed");
  });

  test("an invalid contract document makes every event contract-invalid (contract.schema)", async () => {
    const broken = odcsContract({ status: 42 });
    const r = await records([sourceFromText("e.json", JSON.stringify(event({ duration_seconds: 12 }))), sourceFromText("c.yaml", broken)]);
    const c = checkOf(r.records[0]!, "contract.schema");
    expect(c).toMatchObject({ ok: false, code: "schema_invalid" });
    expect(c.reason).toBe("data contract c.yaml is not valid against odcs-json-schema-v3.1.0.json: /status must be string");
    expect(r.records[0]!.facts.contract_valid).toBe(false);
  });

  test("resolution by id, by name, by version; DCS contracts work the same", async () => {
    const files = [
      sourceFromText("a.json", JSON.stringify(event({ duration_seconds: 12, contract: { id: "pipeline-completion", version: "1.0.0" } }))),
      sourceFromText("b.json", JSON.stringify(event({ event_id: "e2", duration_seconds: 12, contract: undefined, dataContract: "Pipeline completion events" }))),
      sourceFromText("c.json", JSON.stringify(event({ event_id: "e3", contract: { id: "pipeline-completion-dcs", schema: "pipeline_completion" } }))),
      sourceFromText("odcs.yaml", odcsContract()),
      sourceFromText("dcs.yaml", dcsContract()),
    ];
    const r = await records(files);
    expect(r.errors).toEqual([]);
    const byPath = Object.fromEntries(r.records.map((x) => [x.source.path, x.facts]));
    expect(byPath["a.json"]).toMatchObject({ contract_valid: true, contract: { path: "odcs.yaml" } });
    expect(byPath["b.json"]).toMatchObject({ contract_valid: true, contract: { path: "odcs.yaml" } });
    // DCS models are closed (additionalFields defaults to false): the envelope is declared, so it passes.
    expect(byPath["c.json"]).toMatchObject({ contract_valid: true, contract: { path: "dcs.yaml", standard: "dcs" } });
  });

  test("a reference no contract satisfies, a version mismatch, no contract, several unnamed", async () => {
    const check = async (ev: Ev, contracts: [string, string][]) => {
      const r = await records([sourceFromText("e.json", JSON.stringify(ev)), ...contracts.map(([p, t]) => sourceFromText(p, t))]);
      return checkOf(r.records[0]!, "contract.resolve");
    };
    const unknown = await check(event({ contract: "orders" }), [["c.yaml", odcsContract()]]);
    expect(unknown).toMatchObject({ ok: false, code: "binding_failed" });
    expect(unknown.reason).toBe('event names contract "orders", which no contract given has (given: pipeline-completion (c.yaml))');
    const version = await check(event({ contract: { id: "pipeline-completion", version: "2.0.0" } }), [["c.yaml", odcsContract()]]);
    expect(version.reason).toBe('event names contract "pipeline-completion" version 2.0.0; the contract given is version 1.0.0 (c.yaml)');
    const none = await check(event({ contract: undefined }), []);
    expect(none.reason).toStartWith("no data contract given for the event");
    const two = await check(event({ contract: undefined }), [["a.yaml", odcsContract()], ["b.yaml", dcsContract()]]);
    expect(two.reason).toBe("2 data contracts given and the event names none (set contract: <id> in the event)");
  });

  test("an unreadable contract beside the event is named with its error, not skipped as an unknown file", async () => {
    const broken = sourceFromText("c.yaml", "apiVersion: v3.1.0\nkind: DataContract\nid: pipeline-completion\nschema: [\n");
    const r = await records([sourceFromText("e.json", JSON.stringify(event({ duration_seconds: 1 }))), broken]);
    expect(r.errors).toEqual([]);
    expect(r.records.map((x) => x.source.path)).toEqual(["e.json"]);
    const c = checkOf(r.records[0]!, "contract.resolve");
    expect(c).toMatchObject({ ok: false, code: "binding_failed" });
    expect(c.reason).toStartWith('event names contract "pipeline-completion", which no contract given has; unreadable contracts: c.yaml: not valid YAML/JSON');
  });

  test("without a reference, the only contract given is used", async () => {
    const r = await records([sourceFromText("e.json", JSON.stringify(event({ contract: undefined, duration_seconds: 3 }))), sourceFromText("c.yaml", odcsContract())]);
    expect(r.records[0]!.facts).toMatchObject({ contract_valid: true, contract_reference: null });
  });

  test("duplicates by event_id: a failed check on both records naming both lines", async () => {
    const text = ndjson(event({ duration_seconds: 1 }), event({ event_id: "e2", duration_seconds: 1, ordering: { key: "nightly-dq", sequence: 2 } }), event({ duration_seconds: 1 }));
    const r = await records([sourceFromText("s.ndjson", text), sourceFromText("c.yaml", odcsContract())]);
    expect(r.records.map((x) => x.id)).toEqual([1, 2, 3].map((n) => `sha256:${sourceFromText("s.ndjson", text).sha256}#L${n}`));
    for (const i of [0, 2]) {
      const c = checkOf(r.records[i]!, "integrity.duplicate_event_id");
      expect(c).toMatchObject({ ok: false, code: "malformed", reason: 'event_id "e1" appears on lines 1 and 3' });
      expect(r.records[i]!.facts.duplicates).toEqual([{ event_id: "e1", lines: [1, 3] }]);
    }
    expect(checkOf(r.records[1]!, "integrity.duplicate_event_id").ok).toBe(true);
  });

  test("an event_id seen three times lists every line", async () => {
    const text = ndjson(event({ duration_seconds: 1 }), event({ duration_seconds: 1 }), event({ duration_seconds: 1 }));
    const r = await records([sourceFromText("s.ndjson", text), sourceFromText("c.yaml", odcsContract())]);
    expect(checkOf(r.records[1]!, "integrity.duplicate_event_id").reason).toBe('event_id "e1" appears on lines 1, 2 and 3');
  });

  test("ordering: a sequence that does not increase within its key fails, naming both lines", async () => {
    const text = ndjson(
      event({ duration_seconds: 1, ordering: { key: "k", sequence: 5 } }),
      event({ event_id: "e2", duration_seconds: 1, ordering: { key: "other", sequence: 1 } }),
      event({ event_id: "e3", duration_seconds: 1, ordering: { key: "k", sequence: 5 } }),
    );
    const r = await records([sourceFromText("s.ndjson", text), sourceFromText("c.yaml", odcsContract())]);
    expect(checkOf(r.records[1]!, "integrity.ordering").ok).toBe(true);
    const c = checkOf(r.records[2]!, "integrity.ordering");
    expect(c).toMatchObject({ ok: false, code: "chain_broken", reason: 'ordering.sequence 5 for key "k" at line 3 does not increase (line 1 had 5)' });
    expect(r.records[2]!.facts.ordering_ok).toBe(false);
  });

  test("records validate against the input document v1 schema", async () => {
    const r = await records([sourceFromText("s.ndjson", ndjson(event(), event({ event_id: "e2", pipeline: "x" }))), sourceFromText("c.yaml", odcsContract())]);
    const doc = buildInputDocument({ time: TIME.toISOString(), trust: { keys: [], identities: [] } }, r.records, r.errors);
    expect(() => validateInputDocument(doc)).not.toThrow();
  });
});

// The real gate: every decision made by both `opa eval` over policies/ and the WASM bundle tollgate's engine
// runs, which must agree (the I5 messages use %q and %v, formatted by tollgate like OPA's Go sprintf).
async function gate(files: SourceFile[], data: Record<string, unknown> = {}): Promise<Decision> {
  const r = await records(files);
  const doc = buildInputDocument(
    { time: TIME.toISOString(), subject: { digest: { sha256: SUBJECT } }, trust: { keys: [], identities: [] } },
    r.records, r.errors,
  );
  validateInputDocument(doc);
  return decideBothEngines(doc, data);
}
const i5 = (d: Decision) => d.deny.filter((x) => x.rule.startsWith("I5."));

describe("gate I5 (compiled policy)", () => {
  const contract = () => sourceFromText("contract.odcs.yaml", odcsContract());

  test("a contract-valid passing event raises nothing under I5 (other areas still require provenance)", async () => {
    const d = await gate([sourceFromText("e.json", JSON.stringify(event({ duration_seconds: 12 }))), contract()]);
    expect(i5(d)).toEqual([]);
    expect(d.deny.map((x) => x.rule)).toEqual(["I1.provenance-required"]);
  }, 30_000);

  test("passed=false denies under I5.passed", async () => {
    const d = await gate([sourceFromText("e.json", JSON.stringify(event({ duration_seconds: 12, passed: false, pass_rate: 0.4 }))), contract()]);
    expect(i5(d).map((x) => [x.rule, x.msg])).toEqual([["I5.passed", "pipeline nightly-dq reported passed=false (event e1, e.json:1, pass_rate 0.4)"]]);
    expect(d.allow).toBe(false);
  }, 30_000);

  test("a contract violation denies under I5.contract with the validation error", async () => {
    const d = await gate([sourceFromText("e.json", JSON.stringify(event())), contract()]); // duration 12.5: contract says integer
    expect(i5(d).map((x) => x.rule)).toEqual(["I5.contract"]);
    expect(i5(d)[0]!.msg).toContain("/duration_seconds must be integer");
  }, 30_000);

  test("data.quality_pipeline and data.quality_min_pass_rate", async () => {
    const stream = sourceFromText("s.ndjson", ndjson(
      event({ duration_seconds: 1, pass_rate: 0.9 }),
      event({ event_id: "e2", duration_seconds: 1, pipeline: "release-dq", passed: false, ordering: { key: "release-dq", sequence: 1 } }),
    ));
    const onlyNightly = await gate([stream, contract()], { quality_pipeline: "nightly-dq" });
    expect(i5(onlyNightly)).toEqual([]);
    const rate = await gate([stream, contract()], { quality_pipeline: "nightly-dq", quality_min_pass_rate: 0.95 });
    expect(i5(rate).map((x) => x.msg)).toEqual(["pipeline nightly-dq pass_rate 0.9 is below the required minimum 0.95 (event e1, s.ndjson:1)"]);
    const all = await gate([stream, contract()]);
    expect(i5(all).map((x) => x.rule)).toEqual(["I5.passed"]);
  }, 30_000);

  test("a duplicated event denies under I5.duplicate-event naming both lines", async () => {
    const d = await gate([sourceFromText("s.ndjson", ndjson(event({ duration_seconds: 1 }), event({ duration_seconds: 1 }))), contract()]);
    expect(i5(d).map((x) => [x.rule, x.msg])).toEqual([["I5.duplicate-event", "event_id e1 appears on lines 1 and 2 of s.ndjson"]]);
  }, 30_000);

  test("the same event_id in two files denies under I5.duplicate-event naming both places", async () => {
    const a = sourceFromText("a.json", JSON.stringify(event({ duration_seconds: 1 })));
    const b = sourceFromText("b.json", JSON.stringify(event({ duration_seconds: 1, ordering: { key: "nightly-dq", sequence: 2 } })));
    const d = await gate([a, b, contract()]);
    expect(i5(d).map((x) => [x.rule, x.msg])).toEqual([["I5.duplicate-event", "event_id e1 appears in 2 files: a.json:1, b.json:1"]]);
    const distinct = await gate([a, sourceFromText("b.json", JSON.stringify(event({ event_id: "e2", duration_seconds: 1, ordering: { key: "nightly-dq", sequence: 2 } }))), contract()]);
    expect(i5(distinct)).toEqual([]);
  }, 30_000);

  test("an event file without its contract fails closed", async () => {
    const d = await gate([sourceFromText("e.json", JSON.stringify(event({ duration_seconds: 1 })))]);
    expect(i5(d).map((x) => x.rule)).toEqual(["I5.contract"]);
    expect(i5(d)[0]!.msg).toBe('quality event e1 (e.json:1, pipeline nightly-dq) does not satisfy its data contract: event names contract "pipeline-completion", which no contract given has');
  }, 30_000);
});
