// I5's declared SLA: the event time against the contract's declared latency (ODCS slaProperties latency, DCS
// servicelevels.latency), as the sla.latency check and the gate's I5.sla-latency rule (both engines).
import { describe, expect, test } from "bun:test";
import { stringify } from "yaml";
import { buildInputDocument } from "../src/core/input.ts";
import { collectEvidence } from "../src/evidence/collect.ts";
import { durationSeconds } from "../src/evidence/quality-event/sla.ts";
import { makeVerifyContext, sourceFromText } from "../src/evidence/source.ts";
import { decideBothEngines } from "./support/gate-parity.ts";

const TIME = new Date("2026-06-01T12:00:00Z");

const event = (over: Record<string, unknown> = {}) => ({
  event_id: "e1", correlation_id: "run-1", ordering: { key: "nightly-dq", sequence: 1 },
  pipeline: "nightly-dq", passed: true, pass_rate: 0.98, duration_seconds: 12, occurred_at: "2026-06-01T11:30:00Z", ...over,
});

const odcs = (latency: Record<string, unknown> | null) => stringify({
  apiVersion: "v3.1.0", kind: "DataContract", id: "pipeline-completion", name: "Pipeline completion events", version: "1.0.0", status: "active",
  schema: [{ name: "pipeline_completion", logicalType: "object", properties: [
    { name: "event_id", logicalType: "string", required: true },
    { name: "pipeline", logicalType: "string", required: true },
    { name: "passed", logicalType: "boolean", required: true },
  ] }],
  ...(latency ? { slaProperties: [{ property: "latency", ...latency }] } : {}),
});

const dcs = (threshold: string) => stringify({
  dataContractSpecification: "1.2.0", id: "pipeline-completion-dcs", info: { title: "Pipeline completion (DCS)", version: "1.0.0" },
  models: { pipeline_completion: { type: "object", additionalFields: true, fields: { event_id: { type: "string", required: true }, published_at: { type: "timestamp" } } } },
  servicelevels: { latency: { threshold, sourceTimestampField: "occurred_at", processedTimestampField: "published_at" } },
});

async function run(ev: Record<string, unknown>, contract: string, name = "c.odcs.yaml") {
  const files = [sourceFromText("/q/event.json", JSON.stringify(ev)), sourceFromText(`/q/${name}`, contract, false)];
  const { records, errors } = await collectEvidence(files, makeVerifyContext({ time: TIME, files }));
  expect(errors).toEqual([]);
  const rec = records[0]!;
  const input = buildInputDocument({ time: TIME.toISOString(), subject: { digest: { sha256: "0".repeat(64) } }, trust: { keys: [], identities: [] } }, records, errors);
  const d = await decideBothEngines(input, { required_evidence: ["quality-event"] });
  return { check: rec.checks.find((c) => c.name === "sla.latency"), facts: (rec.facts as any).sla_latency, rules: d.deny.filter((r) => r.rule.startsWith("I5.")).map((r) => r.rule).sort(), msgs: d.deny.map((r) => r.msg) };
}

describe("declared latency", () => {
  test("durations: value with a unit, compact forms, ISO 8601", () => {
    expect(durationSeconds("4 d")).toBe(345600);
    expect(durationSeconds("25h")).toBe(90000);
    expect(durationSeconds("90 minutes")).toBe(5400);
    expect(durationSeconds("PT1H30M")).toBe(5400);
    expect(durationSeconds("P1D")).toBe(86400);
    expect(durationSeconds("soon")).toBeNull();
    expect(durationSeconds("P")).toBeNull();
  });

  test("ODCS: an event 30 minutes old at the decision time meets a 1 h latency", async () => {
    const r = await run(event(), odcs({ value: 1, unit: "h" }));
    expect(r.check).toMatchObject({ ok: true });
    expect(r.facts).toMatchObject({ declared: "1 h", max_seconds: 3600, seconds: 1800, met: true });
    expect(r.rules).toEqual([]);
  });

  test("ODCS: the same event against a 10 m latency misses it: the check and I5.sla-latency say by how much", async () => {
    const r = await run(event(), odcs({ value: 10, unit: "m" }));
    expect(r.check).toMatchObject({ ok: false, code: "binding_failed" });
    expect(r.check!.reason).toBe("event e1: 1800s from its occurred_at 2026-06-01T11:30:00Z to the decision time 2026-06-01T12:00:00.000Z exceeds the contract's declared latency 10 m (600s)");
    expect(r.rules).toEqual(["I5.required", "I5.sla-latency"]);
  });

  test("an event without a time cannot show it met a declared latency: fails closed", async () => {
    const ev = event();
    delete (ev as any).occurred_at;
    const r = await run(ev, odcs({ value: 1, unit: "h" }));
    expect(r.check).toMatchObject({ ok: false, code: "malformed" });
    expect(r.check!.reason).toContain("the event's occurred_at is absent, not an RFC 3339 time");
    expect(r.rules).toEqual(["I5.required", "I5.sla-latency"]);
  });

  test("an event from after the decision time is refused; an unreadable declared latency fails closed", async () => {
    const future = await run(event({ occurred_at: "2026-06-01T13:00:00Z" }), odcs({ value: 1, unit: "h" }));
    expect(future.check!.reason).toBe("event e1: its occurred_at 2026-06-01T13:00:00Z is after the decision time 2026-06-01T12:00:00.000Z");
    const weird = await run(event(), odcs({ value: "whenever" }));
    expect(weird.check).toMatchObject({ ok: false, code: "schema_invalid" });
    expect(weird.check!.reason).toContain("slaProperties latency whenever is not a duration");
  });

  test("no declared latency: no check", async () => {
    const r = await run(event(), odcs(null));
    expect(r.check).toBeUndefined();
    expect(r.facts).toBeNull();
    expect(r.rules).toEqual([]);
  });

  test("DCS servicelevels.latency: from the source to the processed timestamp field", async () => {
    const ok = await run(event({ published_at: "2026-06-01T11:40:00Z" }), dcs("PT15M"), "c.dcs.yaml");
    expect(ok.facts).toMatchObject({ seconds: 600, max_seconds: 900, met: true });
    const late = await run(event({ published_at: "2026-06-01T11:50:00Z" }), dcs("PT15M"), "c.dcs.yaml");
    expect(late.check!.reason).toBe("event e1: 1200s from its occurred_at 2026-06-01T11:30:00Z to its published_at 2026-06-01T11:50:00Z exceeds the contract's declared latency PT15M (900s)");
    expect(late.rules).toEqual(["I5.required", "I5.sla-latency"]);
  });
});
