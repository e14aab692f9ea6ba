// `tollgate contract check EVENT CONTRACT` (0 valid / 1 invalid / 2 unreadable) and
// `tollgate contract diff OLD NEW` (1 on a breaking change, 0 otherwise), run as the real CLI.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { tollgate, type CliResult } from "./support/cli.ts";
import { fixture, fixtureDescribe } from "./support/fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "tollgate-contract-cli-"));
/** Each test spawns the CLI (a process start each): generous under a loaded CI machine. */
const SLOW = 60_000;

const run = (...args: string[]): CliResult => tollgate(args, { cwd: dir, env: { NO_COLOR: "1" } });

/** The diff's change lines and verdict: stdout after its `OLD → NEW` header line. */
const changeLines = (r: CliResult): string[] => r.stdout.trimEnd().split("\n").slice(1);

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

type Prop = Record<string, unknown>;
const PROPS: Prop[] = [
  { name: "event_id", logicalType: "string", required: true },
  { name: "correlation_id", logicalType: "string", required: true },
  { name: "ordering", logicalType: "object", required: true, properties: [
    { name: "key", logicalType: "string", required: true },
    { name: "sequence", logicalType: "integer", required: true },
  ] },
  { name: "pipeline", logicalType: "string", required: true },
  { name: "passed", logicalType: "boolean", required: true },
  { name: "pass_rate", logicalType: "number", required: true, logicalTypeOptions: { minimum: 0, maximum: 1 } },
  { name: "duration_seconds", logicalType: "number", required: true, logicalTypeOptions: { maximum: 3600 } },
];
const odcs = (props: Prop[], version = "1.0.0") => stringify({
  apiVersion: "v3.1.0", kind: "DataContract", id: "pipeline-completion", name: "Pipeline completion", version, status: "active",
  schema: [{ name: "events", logicalType: "object", properties: props }],
});
const event = (over: Record<string, unknown> = {}) => ({
  event_id: "e1", correlation_id: "run-1", ordering: { key: "k", sequence: 1 },
  pipeline: "nightly", passed: true, pass_rate: 1, duration_seconds: 4.5, contract: "pipeline-completion", ...over,
});

describe("tollgate contract check", () => {
  const contract = write("contract.yaml", odcs(PROPS));

  test("a valid event: exit 0, text names the contract and every check", () => {
    const r = run("contract", "check", write("ok.json", JSON.stringify(event())), contract);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("contract " + contract + ": pipeline-completion version 1.0.0 (ODCS v3.1.0)");
    expect(r.stdout).toContain("ok    contract.schema (odcs-json-schema-v3.1.0.json)");
    expect(r.stdout).toContain("ok    contract.event");
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe(`VALID: the event satisfies ${contract}`);
  }, SLOW);

  test("an invalid event: exit 1 and the reason names the field", () => {
    const r = run("contract", "check", write("bad.json", JSON.stringify(event({ duration_seconds: 7200 }))), contract);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("FAIL  contract.event: event e1 does not satisfy");
    expect(r.stdout).toContain("/duration_seconds must be <= 3600 [schema_invalid]");
    expect(r.stdout).toContain("INVALID: 1 of 1 event failed");
  }, SLOW);

  test("--output json: the same verdict as data; an NDJSON stream with a duplicate", () => {
    const text = [event(), event({ event_id: "e2", ordering: { key: "k", sequence: 2 } }), event()].map((e) => JSON.stringify(e)).join("\n");
    const r = run("contract", "check", "--output", "json", write("s.ndjson", text), contract);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.valid).toBe(false);
    expect(j.events.map((e: { line: number; valid: boolean }) => [e.line, e.valid])).toEqual([[1, false], [2, true], [3, false]]);
    const dup = j.events[0].checks.find((c: { name: string }) => c.name === "integrity.duplicate_event_id");
    expect(dup).toMatchObject({ ok: false, code: "malformed", reason: 'event_id "e1" appears on lines 1 and 3' });
  }, SLOW);

  test("an event missing envelope fields is invalid (exit 1), not unreadable", () => {
    const e = event();
    delete (e as Record<string, unknown>).correlation_id;
    const r = run("contract", "check", write("noenv.json", JSON.stringify(e)), contract);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("FAIL  event.schema: not a quality event: / must have required property 'correlation_id' [schema_invalid]");
  }, SLOW);

  test("an invalid contract document: exit 1, the schema errors listed", () => {
    const bad = write("bad-contract.yaml", odcs(PROPS).replace("kind: DataContract", "kind: DataContract\ntenant: [1]"));
    const r = run("contract", "check", write("ok2.json", JSON.stringify(event())), bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("FAIL  contract.schema (odcs-json-schema-v3.1.0.json) [schema_invalid]");
    expect(r.stdout).toContain("/tenant must be string");
  }, SLOW);

  test("unreadable: missing file, not JSON, not an event, not a contract — exit 2 with one line on stderr", () => {
    const ok = write("ok3.json", JSON.stringify(event()));
    const missing = run("contract", "check", join(dir, "nope.json"), contract);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`tollgate contract check: ${join(dir, "nope.json")}: event file not found`);
    const isDir = run("contract", "check", dir, contract);
    expect([isDir.code, isDir.stderr]).toEqual([2, `tollgate contract check: ${dir}: event file is a directory, not a file\n`]);
    // Both operands unusable: the first is named.
    const both = run("contract", "check", join(dir, "nope.json"), join(dir, "nope.yaml"));
    expect([both.code, both.stderr]).toEqual([2, `tollgate contract check: ${join(dir, "nope.json")}: event file not found\n`]);
    const notEvent = run("contract", "check", write("x.json", '{"hello": 1}'), contract);
    expect(notEvent.code).toBe(2);
    expect(notEvent.stderr).toContain("not a quality event");
    const notJson = run("contract", "check", write("y.ndjson", JSON.stringify(event()) + "\n{oops\n"), contract);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain("line 2: not a JSON object");
    const notContract = run("contract", "check", ok, write("k8s.yaml", "apiVersion: apps/v1\nkind: Deployment\n"));
    expect(notContract.code).toBe(2);
    expect(notContract.stderr).toContain("not a data contract");
    const usage = run("contract", "check", ok);
    expect([usage.code, usage.stdout, usage.stderr]).toEqual([2, "", "tollgate contract check: contract check takes EVENT CONTRACT\n"]);
  }, SLOW);
});

describe("tollgate contract diff", () => {
  const v1 = write("v1.yaml", odcs(PROPS));

  test("only an added optional field: exit 0, the change printed", () => {
    const v2 = write("v2-compatible.yaml", odcs([...PROPS, { name: "note", logicalType: "string" }], "1.1.0"));
    const r = run("contract", "diff", v1, v2);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("compatible  field_added          events.note: optional field events.note was added");
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("COMPATIBLE: 1 compatible change");
  }, SLOW);

  test("breaking changes: exit 1, each listed with its path", () => {
    const props = PROPS.filter((p) => p.name !== "correlation_id").map((p) =>
      p.name === "duration_seconds" ? { ...p, logicalType: "integer" } : p);
    const v2 = write("v2-breaking.yaml", odcs([...props, { name: "owner", logicalType: "string", required: true }], "2.0.0"));
    const r = run("contract", "diff", v1, v2);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("BREAKING    field_removed        events.correlation_id: field events.correlation_id was removed (it was required)");
    expect(r.stdout).toContain("BREAKING    type_narrowed        events.duration_seconds: events.duration_seconds type narrowed from number to integer");
    expect(r.stdout).toContain("BREAKING    field_added_required events.owner");
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("BREAKING: 3 breaking changes of 3");
  }, SLOW);

  test("--output json", () => {
    const v2 = write("v2-enum.yaml", odcs(PROPS.map((p) => (p.name === "pipeline"
      ? { ...p, quality: [{ metric: "invalidValues", arguments: { validValues: ["nightly"] }, mustBe: 0 }] } : p))));
    const r = run("contract", "diff", "-o", "json", v1, v2);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.breaking).toBe(true);
    expect(j.changes).toEqual([{ path: "events.pipeline", change: "enum_narrowed", breaking: true, message: 'events.pipeline is now restricted to "nightly"', new: ["nightly"] }]);
  }, SLOW);

  test("unreadable input exits 2 with one line on stderr naming the file", () => {
    const missing = run("contract", "diff", v1, join(dir, "missing.yaml"));
    expect([missing.code, missing.stdout, missing.stderr]).toEqual([2, "", `tollgate contract diff: ${join(dir, "missing.yaml")}: data contract not found\n`]);
    const broken = run("contract", "diff", v1, write("broken.yaml", "apiVersion: v3.1.0\nkind: DataContract\n  - x: [\n"));
    expect(broken.code).toBe(2);
    expect(broken.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(broken.stderr).toStartWith(`tollgate contract diff: ${join(dir, "broken.yaml")}: not valid YAML/JSON`);
    const xml = run("contract", "diff", "--output", "xml", v1, v1);
    expect([xml.code, xml.stdout, xml.stderr]).toEqual([2, "", "tollgate contract diff: --output must be one of text, json (got xml)\n"]);
  }, SLOW);
});

describe("tollgate contract diff within one JSON type", () => {
  const dcs = (fields: Record<string, Prop>, version: string) => stringify({
    dataContractSpecification: "1.2.0", id: "pipeline-completion", info: { title: "Pipeline completion", version },
    models: { events: { type: "object", fields } },
  });
  const NARROW: Record<string, Prop> = {
    count: { type: "int" }, ratio: { type: "float" }, amount: { type: "decimal", precision: 8, scale: 2 }, day: { type: "date" },
  };
  const WIDE: Record<string, Prop> = {
    count: { type: "long" }, ratio: { type: "double" }, amount: { type: "decimal", precision: 10, scale: 2 }, day: { type: "timestamp_tz" },
  };
  const wide = write("dcs-wide.yaml", dcs(WIDE, "1.0.0"));

  test("DCS long → int, double → float, decimal(10,2) → decimal(8,2), timestamp_tz → date: exit 1, each listed with old and new", () => {
    const r = run("contract", "diff", wide, write("dcs-narrow.yaml", dcs(NARROW, "2.0.0")));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(changeLines(r)).toEqual([
      "  BREAKING    type_narrowed        events.count: events.count type narrowed from long to int",
      "  BREAKING    type_narrowed        events.ratio: events.ratio type narrowed from double to float",
      "  BREAKING    type_narrowed        events.amount: events.amount type narrowed from decimal(10,2) to decimal(8,2)",
      "  BREAKING    type_narrowed        events.day: events.day type narrowed from timestamp_tz to date",
      '  BREAKING    constraint_narrowed  events.day: events.day format changed from "date-time" to "date"',
      "BREAKING: 5 breaking changes of 5",
    ]);
  }, SLOW);

  test("DCS int → long, float → double, decimal(8,2) → decimal(10,2): exit 0, each listed as widened", () => {
    const v1 = write("dcs-narrow-nodate.yaml", dcs({ ...NARROW, day: WIDE.day! }, "1.0.0"));
    const r = run("contract", "diff", v1, wide);
    expect(r.code).toBe(0);
    expect(changeLines(r)).toEqual([
      "  compatible  type_widened         events.count: events.count type widened from int to long",
      "  compatible  type_widened         events.ratio: events.ratio type widened from float to double",
      "  compatible  type_widened         events.amount: events.amount type widened from decimal(8,2) to decimal(10,2)",
      "COMPATIBLE: 3 compatible changes",
    ]);
  }, SLOW);

  const typed = (over: Record<string, Prop>) => PROPS.map((p) => (over[p.name as string] ? { ...p, ...over[p.name as string] } : p));

  test("ODCS physicalType bigint → int and varchar(255) → varchar(50): exit 1; the reverse exits 0", () => {
    const props = (seq: string, pipe: string) => PROPS.map((p) => {
      if (p.name === "pipeline") return { ...p, physicalType: pipe };
      if (p.name === "ordering") return { ...p, properties: [{ name: "key", logicalType: "string", required: true }, { name: "sequence", logicalType: "integer", physicalType: seq, required: true }] };
      return p;
    });
    const v1 = write("odcs-bigint.yaml", odcs(props("bigint", "varchar(255)"), "1.0.0"));
    const v2 = write("odcs-int.yaml", odcs(props("int", "varchar(50)"), "2.0.0"));
    const down = run("contract", "diff", v1, v2);
    expect(down.code).toBe(1);
    expect(changeLines(down)).toEqual([
      "  BREAKING    type_narrowed        events.ordering.sequence: events.ordering.sequence physicalType narrowed from bigint to int",
      "  BREAKING    type_narrowed        events.pipeline: events.pipeline physicalType narrowed from varchar(255) to varchar(50)",
      "BREAKING: 2 breaking changes of 2",
    ]);
    const up = run("contract", "diff", v2, v1);
    expect(up.code).toBe(0);
    expect(changeLines(up)).toEqual([
      "  compatible  type_widened         events.ordering.sequence: events.ordering.sequence physicalType widened from int to bigint",
      "  compatible  type_widened         events.pipeline: events.pipeline physicalType widened from varchar(50) to varchar(255)",
      "COMPATIBLE: 2 compatible changes",
    ]);
  }, SLOW);

  test("ODCS logicalTypeOptions format i64 → i32 and maxLength 255 → 50: exit 1", () => {
    const v1 = write("odcs-opts-wide.yaml", odcs(typed({ pipeline: { logicalTypeOptions: { maxLength: 255 } } }).concat([
      { name: "count", logicalType: "integer", logicalTypeOptions: { format: "i64" } }]), "1.0.0"));
    const v2 = write("odcs-opts-narrow.yaml", odcs(typed({ pipeline: { logicalTypeOptions: { maxLength: 50 } } }).concat([
      { name: "count", logicalType: "integer", logicalTypeOptions: { format: "i32" } }]), "2.0.0"));
    const r = run("contract", "diff", v1, v2);
    expect(r.code).toBe(1);
    expect(changeLines(r)).toEqual([
      "  BREAKING    constraint_narrowed  events.pipeline: events.pipeline maxLength reduced from 255 to 50",
      "  BREAKING    type_narrowed        events.count: events.count type narrowed from integer (format i64) to integer (format i32)",
      "  BREAKING    constraint_narrowed  events.count: events.count maximum 2147483647 was added",
      "  BREAKING    constraint_narrowed  events.count: events.count minimum -2147483648 was added",
      "BREAKING: 4 breaking changes of 4",
    ]);
  }, SLOW);

  test("an unknown physical type that changes: exit 1, reported as unknown compatibility (text and JSON)", () => {
    const geo = (t: string, v: string) => odcs([...PROPS, { name: "area", logicalType: "string", physicalType: t }], v);
    const v1 = write("odcs-geography.yaml", geo("GEOGRAPHY", "1.0.0"));
    const v2 = write("odcs-geometry.yaml", geo("GEOMETRY", "2.0.0"));
    const r = run("contract", "diff", v1, v2);
    expect(r.code).toBe(1);
    expect(changeLines(r)).toEqual([
      "  BREAKING    type_changed         events.area: events.area physicalType changed from GEOGRAPHY to GEOMETRY (unknown compatibility: treated as breaking)",
      "BREAKING: 1 breaking change of 1",
    ]);
    const j = JSON.parse(run("contract", "diff", "-o", "json", v1, v2).stdout);
    expect(j.breaking).toBe(true);
    expect(j.changes).toEqual([{
      path: "events.area", change: "type_changed", breaking: true, old: "GEOGRAPHY", new: "GEOMETRY",
      message: "events.area physicalType changed from GEOGRAPHY to GEOMETRY (unknown compatibility: treated as breaking)",
    }]);
    expect(run("contract", "diff", v1, write("odcs-geography-2.yaml", geo("geography", "1.0.1"))).code).toBe(0);
  }, SLOW);
});

fixtureDescribe("contract diff on the real ODCS examples", () => {
  test("full-example → table-column removes fields and an object: exit 1", () => {
    const r = run("contract", "diff", fixture("odcs", "examples", "full-example.odcs.yaml"), fixture("odcs", "examples", "table-column.odcs.yaml"));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("BREAKING    field_removed        tbl.rcvr_id");
    expect(r.stdout).toContain("BREAKING    object_removed       receivers");
  }, SLOW);

  test("table-column → full-example only adds optional fields and an object: exit 0, each listed", () => {
    const r = run("contract", "diff", fixture("odcs", "examples", "table-column.odcs.yaml"), fixture("odcs", "examples", "full-example.odcs.yaml"));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("compatible  field_added          tbl.transaction_reference_date: optional field tbl.transaction_reference_date was added");
    expect(r.stdout).toContain("compatible  field_added          tbl.rcvr_id: optional field tbl.rcvr_id was added");
    expect(r.stdout).toContain("compatible  object_added         receivers: schema object receivers was added");
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("COMPATIBLE: 3 compatible changes");
  }, SLOW);
});

fixtureDescribe("contract check against the real Kafka ODCS example", () => {
  const kafka = () => fixture("odcs", "examples", "kafka-schema.odcs.yaml");
  const order = (over: Record<string, unknown> = {}) => JSON.stringify({
    event_id: "o1", correlation_id: "run-9", ordering: { key: "orders", sequence: 1 },
    pipeline: "orders-dq", passed: true, pass_rate: 1, duration_seconds: 2, cust_id: "c1", prod_id: "p1", qty: 2, ...over,
  });

  test("an event with the topic's required fields: exit 0", () => {
    const r = run("contract", "check", write("order-ok.json", order()), kafka());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("orders version 0.0.1 (ODCS v3.0.2)");
    expect(r.stdout).toContain("ok    contract.schema (odcs-json-schema-v3.0.2.json)");
  }, SLOW);

  test("qty as a string, or missing: exit 1 naming the field", () => {
    const str = run("contract", "check", write("order-str.json", order({ qty: "2" })), kafka());
    expect(str.code).toBe(1);
    expect(str.stdout).toContain("(schema Orders): /qty must be integer [schema_invalid]");
    const missing = run("contract", "check", write("order-noqty.json", order({ qty: undefined })), kafka());
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("(schema Orders): / must have required property 'qty' [schema_invalid]");
  }, SLOW);
});
