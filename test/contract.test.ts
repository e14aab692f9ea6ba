// Data contracts: reading ODCS v3 and the Data Contract Specification, validating the document against the
// official schema shipped in schemas/odcs/, deriving the event JSON Schema, and the breaking-change diff.
import { describe, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { stringify } from "yaml";
import { sha256Hex } from "../src/core/digest.ts";
import { sourceFromText } from "../src/evidence/source.ts";
import {
  diffContracts, looksLikeContract, objectJsonSchema, parseContractFile, parseContractText, validateAgainstContract, validateContractDocument,
  type DataContract,
} from "../src/evidence/contract/index.ts";
import { REPO_ROOT, fixture, fixtureDescribe } from "./support/fixtures.ts";
import { thrown } from "./support/errors.ts";

type Prop = Record<string, unknown>;

/** An ODCS v3.1.0 contract with one schema object holding `props`. */
function odcs(props: Prop[], over: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: "v3.1.0", kind: "DataContract", id: "pipeline-completion", name: "Pipeline completion events",
    version: "1.0.0", status: "active",
    schema: [{ name: "events", logicalType: "object", properties: props }],
    ...over,
  });
}

/** A Data Contract Specification 1.2.0 contract with one model holding `fields`. */
function dcs(fields: Record<string, Prop>, model: Record<string, unknown> = {}): string {
  return stringify({
    dataContractSpecification: "1.2.0", id: "pipeline-completion",
    info: { title: "Pipeline completion events", version: "2.0.0" },
    models: { events: { type: "object", fields, ...model } },
  });
}

const EVENT_PROPS: Prop[] = [
  { name: "event_id", logicalType: "string", required: true },
  { name: "pipeline", logicalType: "string", required: true },
  { name: "passed", logicalType: "boolean", required: true },
  { name: "pass_rate", logicalType: "number", required: true, logicalTypeOptions: { minimum: 0, maximum: 1 } },
  { name: "duration_seconds", logicalType: "number", required: true },
];

const contract = (text: string, path = "c.yaml"): DataContract => parseContractText(text, path);


describe("reading contracts", () => {
  test("ODCS: id, name, version, apiVersion and the field model", () => {
    const c = contract(odcs(EVENT_PROPS));
    expect(c.standard).toBe("odcs");
    expect([c.id, c.name, c.version, c.apiVersion]).toEqual(["pipeline-completion", "Pipeline completion events", "1.0.0", "v3.1.0"]);
    expect(c.objects.map((o) => o.name)).toEqual(["events"]);
    const rate = c.objects[0]!.fields.find((f) => f.name === "pass_rate")!;
    expect(rate).toMatchObject({ type: "number", required: true, minimum: 0, maximum: 1, location: "schema[0].properties[3]" });
  });

  test("DCS: info.title/version, models.<name>.fields.<field>, additionalFields defaults to closed", () => {
    const c = contract(dcs({ pipeline: { type: "string", required: true, enum: ["a", "b"] }, n: { type: "long" } }));
    expect([c.standard, c.id, c.name, c.version, c.apiVersion]).toEqual(["dcs", "pipeline-completion", "Pipeline completion events", "2.0.0", "1.2.0"]);
    expect(c.objects[0]).toMatchObject({ name: "events", closed: true });
    expect(c.objects[0]!.fields).toEqual([
      { name: "pipeline", location: "models.events.fields.pipeline", required: true, type: "string", declaredType: "string", enum: ["a", "b"] },
      { name: "n", location: "models.events.fields.n", required: false, type: "integer", declaredType: "long",
        width: { detail: { kind: "int", signed: true, bits: 64 }, label: "long" } },
    ]);
  });

  test("YAML errors, duplicate keys and non-contracts are refused with a code and a reason", () => {
    const bad = thrown(() => parseContractText("apiVersion: v3.1.0\nkind: DataContract\n  id: [unclosed\n", "bad.yaml"));
    expect(bad.code).toBe("malformed");
    expect(bad.message).toBe("not valid YAML/JSON at line 2: Nested mappings are not allowed in compact mappings");
    const dup = thrown(() => parseContractText("apiVersion: v3.1.0\nkind: DataContract\nid: a\nid: b\n", "dup.yaml"));
    expect(dup.code).toBe("malformed");
    expect(dup.message).toBe("not valid YAML/JSON at line 4: Map keys must be unique");
    const other = thrown(() => parseContractText("kind: Deployment\napiVersion: apps/v1\n", "k8s.yaml"));
    expect(other.code).toBe("unknown_kind");
    expect(other.message).toContain("not a data contract");
    expect(thrown(() => parseContractText("- a\n- b\n", "list.yaml")).message).toContain("mapping at the top level");
  });

  test("detection sniffs content, not the file name", () => {
    expect(looksLikeContract(sourceFromText("x.txt", odcs(EVENT_PROPS)))).toBe(true);
    expect(looksLikeContract(sourceFromText("x.odcs.yaml", "kind: DataContract\n"))).toBe(false); // no apiVersion
    expect(looksLikeContract(sourceFromText("x.json", JSON.stringify({ dataContractSpecification: "1.2.0", id: "x" })))).toBe(true);
    // Unreadable but naming itself a contract: claimed, so whoever relies on it is told why it is unusable.
    expect(looksLikeContract(sourceFromText("x.json", "{\"kind\":\"DataContract\""))).toBe(true);
    expect(looksLikeContract(sourceFromText("c.yaml", "apiVersion: v3.1.0\nkind: DataContract\nschema: [\n"))).toBe(true);
    expect(looksLikeContract(sourceFromText("k8s.yaml", "kind: Deployment\nmetadata: {name: DataContract-svc}\nspec: [\n"))).toBe(false);
  });

  test("a file is read once: the sniff and every reader share one DataContract", () => {
    const f = sourceFromText("c.yaml", odcs(EVENT_PROPS));
    expect(looksLikeContract(f)).toBe(true);
    const c = parseContractFile(f);
    expect(c.id).toBe("pipeline-completion");
    expect(parseContractFile(f)).toBe(c);
    // An unreadable file throws the same error each time, naming the file.
    const bad = sourceFromText("bad.yaml", "apiVersion: v3.1.0\nkind: DataContract\nschema: [\n");
    const e = thrown(() => parseContractFile(bad));
    expect([e.code, e.path]).toEqual(["malformed", "bad.yaml"]);
    expect(thrown(() => parseContractFile(bad))).toBe(e);
  });

  test("an alias bomb is refused as malformed, naming the file", () => {
    const lines = ["apiVersion: v3.1.0", "kind: DataContract", "id: x", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]`);
    const e = thrown(() => parseContractText(lines.join("\n") + "\n", "bomb.yaml"));
    expect([e.code, e.path]).toEqual(["malformed", "bomb.yaml"]);
    expect(e.message).toStartWith("not usable YAML: Excessive alias count");
    expect(looksLikeContract(sourceFromText("bomb.yaml", lines.join("\n")))).toBe(true);
  });
});

describe("contract document against the official schema", () => {
  test("every shipped schema has the sha256 schemas/odcs/README.md records for its official release", () => {
    const readme = readFileSync(`${REPO_ROOT}/schemas/odcs/README.md`, "utf8");
    const rows = [...readme.matchAll(/^\| `([^`]+\.json)` \|.*\| `([0-9a-f]{64})` \|$/gm)].map((m) => [m[1], m[2]]);
    const files = readdirSync(`${REPO_ROOT}/schemas/odcs`).filter((f) => f.endsWith(".json")).sort();
    expect(rows.map(([f]) => f).sort()).toEqual(files);
    for (const [file, sha] of rows) {
      expect([file, sha256Hex(readFileSync(`${REPO_ROOT}/schemas/odcs/${file}`))]).toEqual([file, sha]);
    }
  });

  test("a valid ODCS v3.1.0 and a valid DCS 1.2.0 contract", () => {
    expect(validateContractDocument(contract(odcs(EVENT_PROPS)))).toEqual({ ok: true, schema: "odcs-json-schema-v3.1.0.json", errors: [] });
    const d = contract(dcs({ pipeline: { type: "string", required: true } }));
    expect(validateContractDocument(d)).toEqual({ ok: true, schema: "datacontract-specification-1.2.0.schema.json", errors: [] });
  });

  test("ODCS: a logicalType outside the standard is named with its path", () => {
    const r = validateContractDocument(contract(odcs([{ name: "x", logicalType: "decimal" }])));
    expect(r.ok).toBe(false);
    expect(r.code).toBe("schema_invalid");
    expect(r.errors.some((e) => e.startsWith("/schema/0/properties/0/logicalType must be equal to one of the allowed values"))).toBe(true);
  });

  test("ODCS: a missing required top-level field (id)", () => {
    const text = odcs(EVENT_PROPS).replace(/^id: .*\n/m, "");
    const r = validateContractDocument(contract(text));
    expect(r.ok).toBe(false);
    expect(r.errors).toContain("/ must have required property 'id'");
  });

  test("the apiVersion picks the schema: v3.0.x uses v3.0.2 (where exclusiveMinimum is a boolean)", () => {
    const props = [{ name: "n", logicalType: "integer", logicalTypeOptions: { minimum: 1, exclusiveMinimum: 1 } }];
    expect(validateContractDocument(contract(odcs(props))).ok).toBe(true); // v3.1.0: a number
    const r = validateContractDocument(contract(odcs(props, { apiVersion: "v3.0.2" })));
    expect(r.schema).toBe("odcs-json-schema-v3.0.2.json");
    expect(r.errors).toContain("/schema/0/properties/0/logicalTypeOptions/exclusiveMinimum must be boolean");
  });

  test("an apiVersion without a shipped schema is unsupported, never silently accepted", () => {
    const r = validateContractDocument(contract(odcs(EVENT_PROPS, { apiVersion: "v2.2.2" })));
    expect(r).toMatchObject({ ok: false, schema: null, code: "unsupported" });
    expect(r.errors[0]).toContain('apiVersion "v2.2.2" is not a version tollgate has the official schema for');
    const d = validateContractDocument(contract(dcs({}).replace("1.2.0", "9.9.9")));
    expect(d.code).toBe("unsupported");
    expect(d.errors[0]).toContain('dataContractSpecification "9.9.9"');
  });

  test("DCS 1.2.1 uses the 1.2.1 schema; a JSON contract reads like YAML", () => {
    const d = contract(dcs({ pipeline: { type: "string" } }).replace("1.2.0", "1.2.1"));
    expect(validateContractDocument(d)).toEqual({ ok: true, schema: "datacontract-specification-1.2.1.schema.json", errors: [] });
    const json = parseContractText(JSON.stringify({ apiVersion: "v3.0.2", kind: "DataContract", id: "j", version: "1.0.0", status: "active", schema: [{ name: "t", properties: [{ name: "a", logicalType: "string" }] }] }), "c.json");
    expect(validateContractDocument(json)).toEqual({ ok: true, schema: "odcs-json-schema-v3.0.2.json", errors: [] });
    expect(json.objects[0]!.fields[0]).toMatchObject({ name: "a", type: "string" });
  });

  test("DCS: a field type outside the specification is named with its path", () => {
    const r = validateContractDocument(contract(dcs({ pipeline: { type: "varchar2" } })));
    expect(r.ok).toBe(false);
    expect(r.errors.some((e) => e.startsWith("/models/events/fields/pipeline/type must be equal to one of the allowed values"))).toBe(true);
  });
});

describe("event JSON Schema derived from the contract", () => {
  const good = { event_id: "e1", pipeline: "p", passed: true, pass_rate: 0.5, duration_seconds: 3 };

  test("ODCS: types, required (present and not null), bounds", () => {
    const c = contract(odcs(EVENT_PROPS));
    expect(validateAgainstContract(good, c)).toEqual({ ok: true, object: "events", errors: [] });
    const r = validateAgainstContract({ ...good, pass_rate: 1.5, passed: "yes", pipeline: null }, c);
    expect(r.ok).toBe(false);
    expect(r.code).toBe("schema_invalid");
    expect(r.errors).toEqual(expect.arrayContaining(["/pass_rate must be <= 1", "/passed must be boolean", "/pipeline must be string"]));
    const missing = validateAgainstContract({ ...good, duration_seconds: undefined }, c);
    expect(missing.errors).toContain("/ must have required property 'duration_seconds'");
  });

  test("ODCS: a field that is not required may be absent or null; undeclared fields are allowed", () => {
    const c = contract(odcs([...EVENT_PROPS, { name: "note", logicalType: "string" }]));
    expect(validateAgainstContract({ ...good, note: null, extra: 1 }, c).ok).toBe(true);
    expect(validateAgainstContract({ ...good, note: 5 }, c).errors).toEqual(["/note must be string,null"]);
  });

  test("ODCS: integer vs number, string length and pattern, integer format bounds", () => {
    const c = contract(odcs([
      { name: "n", logicalType: "integer", required: true, logicalTypeOptions: { format: "i8" } },
      { name: "code", logicalType: "string", required: true, logicalTypeOptions: { minLength: 2, maxLength: 2, pattern: "^[A-Z]+$" } },
    ]));
    expect(validateAgainstContract({ n: 127, code: "GB" }, c).ok).toBe(true);
    const r = validateAgainstContract({ n: 1.5, code: "gbr" }, c);
    expect(r.errors).toEqual(expect.arrayContaining(["/n must be integer", "/code must NOT have more than 2 characters", '/code must match pattern "^[A-Z]+$"']));
    expect(validateAgainstContract({ n: 128, code: "GB" }, c).errors).toEqual(["/n must be <= 127"]);
  });

  test("ODCS: an allow-list as a zero-tolerance invalidValues quality rule is an enum (v3.1 and the v3.0 rule form)", () => {
    const v31 = contract(odcs([{
      name: "pipeline", logicalType: "string", required: true,
      quality: [{ type: "library", metric: "invalidValues", arguments: { validValues: ["nightly", "release"] }, mustBe: 0 }],
    }]));
    expect(objectJsonSchema(v31.objects[0]!).properties).toEqual({ pipeline: { type: "string", enum: ["nightly", "release"] } });
    expect(validateAgainstContract({ pipeline: "adhoc" }, v31).errors).toEqual(['/pipeline must be equal to one of the allowed values ("nightly", "release")']);
    const v30 = contract(odcs([{ name: "p", logicalType: "string", quality: [{ rule: "validValues", validValues: ["x"] }] }], { apiVersion: "v3.0.2" }));
    expect(v30.objects[0]!.fields[0]!.enum).toEqual(["x"]);
    // A percent threshold is about a dataset, not one event: not an enum.
    const pct = contract(odcs([{ name: "p", logicalType: "string", quality: [{ metric: "invalidValues", arguments: { validValues: ["x"] }, mustBeLessThan: 5, unit: "percent" }] }]));
    expect(pct.objects[0]!.fields[0]!.enum).toBeUndefined();
  });

  test("ODCS: nested objects and arrays", () => {
    const c = contract(odcs([
      { name: "ordering", logicalType: "object", required: true, properties: [{ name: "sequence", logicalType: "integer", required: true, logicalTypeOptions: { minimum: 0 } }] },
      { name: "tags", logicalType: "array", logicalTypeOptions: { maxItems: 2 }, items: { logicalType: "string" } },
    ]));
    expect(validateAgainstContract({ ordering: { sequence: 1 }, tags: ["a"] }, c).ok).toBe(true);
    const r = validateAgainstContract({ ordering: { sequence: -1 }, tags: ["a", "b", 3] }, c);
    expect(r.errors).toEqual(expect.arrayContaining(["/ordering/sequence must be >= 0", "/tags must NOT have more than 2 items", "/tags/2 must be string,null"]));
  });

  test("DCS: closed models reject undeclared fields; enum, bounds and timestamp format apply", () => {
    const c = contract(dcs({
      pipeline: { type: "string", required: true, enum: ["nightly"] },
      pass_rate: { type: "double", required: true, minimum: 0, maximum: 1 },
      at: { type: "timestamp" },
    }));
    expect(validateAgainstContract({ pipeline: "nightly", pass_rate: 1, at: "2026-01-01T00:00:00Z" }, c).ok).toBe(true);
    const r = validateAgainstContract({ pipeline: "x", pass_rate: 2, at: "yesterday", extra: true }, c);
    expect(r.errors).toEqual(expect.arrayContaining([
      "/ must NOT have additional properties (extra)",
      '/pipeline must be equal to one of the allowed values ("nightly")',
      "/pass_rate must be <= 1",
      '/at must match format "date-time"',
    ]));
    const open = contract(dcs({ pipeline: { type: "string" } }, { additionalFields: true }));
    expect(validateAgainstContract({ pipeline: "x", extra: true }, open).ok).toBe(true);
  });

  test("DCS: a field's $ref to #/definitions inherits the definition; a dangling or external $ref is refused", () => {
    const withDefs = (ref: string) => stringify({
      dataContractSpecification: "1.2.0", id: "x", info: { title: "x", version: "1" },
      definitions: { pipeline_name: { domain: "dq", name: "pipeline_name", type: "string", enum: ["nightly"], maxLength: 20 } },
      models: { events: { fields: { pipeline: { $ref: ref, required: true } } } },
    });
    const c = contract(withDefs("#/definitions/pipeline_name"));
    expect(c.objects[0]!.fields[0]).toMatchObject({ name: "pipeline", type: "string", required: true, enum: ["nightly"], maxLength: 20 });
    expect(validateAgainstContract({ pipeline: "adhoc" }, c).errors).toEqual(['/pipeline must be equal to one of the allowed values ("nightly")']);
    const dangling = thrown(() => contract(withDefs("#/definitions/nope")));
    expect(dangling.code).toBe("schema_invalid");
    expect(dangling.message).toBe('models.events.fields.pipeline.$ref "#/definitions/nope" names no definition in this contract');
    const external = thrown(() => contract(withDefs("https://example.com/defs.yaml#/pipeline")));
    expect(external.code).toBe("unsupported");
    expect(external.message).toContain("only references to this contract's definitions are followed (no network)");
  });

  test("ODCS integer formats: i32 bounds enforced; u64 only its sign (beyond what a JSON number holds exactly)", () => {
    const c = contract(odcs([
      { name: "a", logicalType: "integer", required: true, logicalTypeOptions: { format: "i32" } },
      { name: "b", logicalType: "integer", required: true, logicalTypeOptions: { format: "u64" } },
    ]));
    expect(validateAgainstContract({ a: 2147483647, b: 2 ** 60 }, c).ok).toBe(true);
    expect(validateAgainstContract({ a: 2147483648, b: -1 }, c).errors).toEqual(["/a must be <= 2147483647", "/b must be >= 0"]);
  });

  test("several schema objects: the event must name one; an unknown name is reported", () => {
    const two = contract(odcs(EVENT_PROPS, { schema: [{ name: "a", properties: [] }, { name: "b", properties: [] }] }));
    expect(validateAgainstContract(good, two).errors[0]).toContain("has 2 schema objects (a, b); name one in the event's contract.schema");
    expect(validateAgainstContract(good, two, "b")).toEqual({ ok: true, object: "b", errors: [] });
    expect(validateAgainstContract(good, two, "zz").errors[0]).toContain('has no schema object named "zz" (it has: a, b)');
  });

  test("a pattern that is not a regular expression makes the contract unusable, named as such", () => {
    const c = contract(odcs([{ name: "x", logicalType: "string", logicalTypeOptions: { pattern: "([a-z" } }]));
    const r = validateAgainstContract({ x: "a" }, c);
    expect(r.ok).toBe(false);
    expect(r.errors[0]).toContain("cannot derive a JSON Schema from schema object events");
  });
});

describe("breaking-change diff", () => {
  const base = contract(odcs(EVENT_PROPS), "v1.yaml");
  const changed = (props: Prop[]) => contract(odcs(props), "v2.yaml");
  const replace = (name: string, p: Prop) => EVENT_PROPS.map((x) => (x.name === name ? p : x));
  const summary = (d: ReturnType<typeof diffContracts>) => d.changes.map((c) => `${c.breaking ? "B" : "c"} ${c.change} ${c.path}`);

  test("identical contracts: no changes", () => {
    expect(diffContracts(base, changed(EVENT_PROPS))).toMatchObject({ breaking: false, changes: [] });
  });

  test("an added optional field is compatible and listed", () => {
    const d = diffContracts(base, changed([...EVENT_PROPS, { name: "note", logicalType: "string" }]));
    expect(d.breaking).toBe(false);
    expect(summary(d)).toEqual(["c field_added events.note"]);
    expect(d.changes[0]!.message).toBe("optional field events.note was added");
  });

  test("a removed field is breaking", () => {
    const d = diffContracts(base, changed(EVENT_PROPS.filter((p) => p.name !== "duration_seconds")));
    expect(d.breaking).toBe(true);
    expect(summary(d)).toEqual(["B field_removed events.duration_seconds"]);
    expect(d.changes[0]!.message).toBe("field events.duration_seconds was removed (it was required)");
  });

  test("a field newly required, and a new required field, are breaking", () => {
    const withNote = contract(odcs([...EVENT_PROPS, { name: "note", logicalType: "string" }]), "v1.yaml");
    const d = diffContracts(withNote, changed([...EVENT_PROPS, { name: "note", logicalType: "string", required: true }, { name: "owner", logicalType: "string", required: true }]));
    expect(summary(d)).toEqual(["B newly_required events.note", "B field_added_required events.owner"]);
  });

  test("number → integer is a narrowed type; integer → number a widened one", () => {
    const d = diffContracts(base, changed(replace("duration_seconds", { name: "duration_seconds", logicalType: "integer", required: true })));
    expect(summary(d)).toEqual(["B type_narrowed events.duration_seconds"]);
    expect(d.changes[0]).toMatchObject({ old: "number", new: "integer", message: "events.duration_seconds type narrowed from number to integer" });
    const back = diffContracts(changed(replace("duration_seconds", { name: "duration_seconds", logicalType: "integer", required: true })), base);
    expect(summary(back)).toEqual(["c type_widened events.duration_seconds"]);
  });

  test("string → enum, an enum narrowed, an enum widened", () => {
    const enumOf = (values: string[]) => ({
      name: "pipeline", logicalType: "string", required: true,
      quality: [{ metric: "invalidValues", arguments: { validValues: values }, mustBe: 0 }],
    });
    expect(summary(diffContracts(base, changed(replace("pipeline", enumOf(["a", "b"])))))).toEqual(["B enum_narrowed events.pipeline"]);
    const ab = contract(odcs(replace("pipeline", enumOf(["a", "b"]))), "v1.yaml");
    const narrowed = diffContracts(ab, changed(replace("pipeline", enumOf(["a"]))));
    expect(narrowed.breaking).toBe(true);
    expect(narrowed.changes[0]!.message).toBe('events.pipeline enum no longer allows "b"');
    const widened = diffContracts(ab, changed(replace("pipeline", enumOf(["a", "b", "c"]))));
    expect(widened.breaking).toBe(false);
    expect(widened.changes[0]!.message).toBe('events.pipeline enum now also allows "c"');
  });

  test("a max length reduced and a maximum reduced are breaking; raised they are compatible", () => {
    const withLen = (n: number) => ({ name: "event_id", logicalType: "string", required: true, logicalTypeOptions: { maxLength: n } });
    const v1 = contract(odcs(replace("event_id", withLen(64))), "v1.yaml");
    const d = diffContracts(v1, changed(replace("event_id", withLen(36))));
    expect(summary(d)).toEqual(["B constraint_narrowed events.event_id"]);
    expect(d.changes[0]!.message).toBe("events.event_id maxLength reduced from 64 to 36");
    expect(diffContracts(v1, changed(replace("event_id", withLen(128)))).breaking).toBe(false);
    const rate = (max: number) => ({ name: "pass_rate", logicalType: "number", required: true, logicalTypeOptions: { minimum: 0, maximum: max } });
    expect(diffContracts(base, changed(replace("pass_rate", rate(0.5)))).changes[0]!.message).toBe("events.pass_rate maximum reduced from 1 to 0.5");
  });

  test("a type changed to another (string → number) is breaking", () => {
    const d = diffContracts(base, changed(replace("pipeline", { name: "pipeline", logicalType: "number", required: true })));
    expect(summary(d)).toEqual(["B type_changed events.pipeline"]);
  });

  test("a removed schema object is breaking; nested fields are diffed with their path", () => {
    const nested = (req: boolean) => contract(odcs([{ name: "ordering", logicalType: "object", properties: [{ name: "sequence", logicalType: "integer", required: req }] }]), "x.yaml");
    expect(summary(diffContracts(nested(false), nested(true)))).toEqual(["B newly_required events.ordering.sequence"]);
    const renamed = contract(odcs(EVENT_PROPS, { schema: [{ name: "renamed", properties: EVENT_PROPS }] }), "v2.yaml");
    expect(summary(diffContracts(base, renamed))).toEqual(["B object_removed events", "c object_added renamed"]);
  });

  test("DCS: closing a model (additionalFields true → false) is breaking; an added optional field is not", () => {
    const open = contract(dcs({ a: { type: "string" } }, { additionalFields: true }), "v1.yaml");
    const closed = contract(dcs({ a: { type: "string" }, b: { type: "int" } }), "v2.yaml");
    expect(summary(diffContracts(open, closed))).toEqual(["B closed events", "c field_added events.b"]);
  });
});

describe("breaking-change diff within one JSON type (declared widths)", () => {
  /** Every change as `B|c kind path: message`, so each case asserts the code and the exact reason. */
  const lines = (d: ReturnType<typeof diffContracts>) => d.changes.map((c) => `${c.breaking ? "B" : "c"} ${c.change} ${c.path}: ${c.message}`);
  const dcsPair = (o: Prop, n: Prop) => diffContracts(contract(dcs({ n: o }), "v1.yaml"), contract(dcs({ n: n }), "v2.yaml"));
  const odcsPair = (o: Prop, n: Prop) => diffContracts(contract(odcs([{ name: "n", ...o }]), "v1.yaml"), contract(odcs([{ name: "n", ...n }]), "v2.yaml"));

  test("DCS integer, float and decimal types: narrowing breaks, widening does not, synonyms are no change", () => {
    const cases: [Prop, Prop, string[]][] = [
      [{ type: "long" }, { type: "int" }, ["B type_narrowed events.n: events.n type narrowed from long to int"]],
      [{ type: "int" }, { type: "long" }, ["c type_widened events.n: events.n type widened from int to long"]],
      [{ type: "bigint" }, { type: "integer" }, ["B type_narrowed events.n: events.n type narrowed from bigint to integer"]],
      [{ type: "int" }, { type: "integer" }, []],
      [{ type: "long" }, { type: "bigint" }, []],
      [{ type: "double" }, { type: "float" }, ["B type_narrowed events.n: events.n type narrowed from double to float"]],
      [{ type: "float" }, { type: "double" }, ["c type_widened events.n: events.n type widened from float to double"]],
      [{ type: "decimal", precision: 10, scale: 2 }, { type: "decimal", precision: 8, scale: 2 }, ["B type_narrowed events.n: events.n type narrowed from decimal(10,2) to decimal(8,2)"]],
      [{ type: "decimal", precision: 8, scale: 2 }, { type: "decimal", precision: 10, scale: 2 }, ["c type_widened events.n: events.n type widened from decimal(8,2) to decimal(10,2)"]],
      [{ type: "decimal", precision: 10, scale: 2 }, { type: "decimal", precision: 10, scale: 1 }, ["B type_narrowed events.n: events.n type narrowed from decimal(10,2) to decimal(10,1)"]],
      // 8 integer digits → 7: more fraction digits do not make up for it.
      [{ type: "decimal", precision: 10, scale: 2 }, { type: "decimal", precision: 10, scale: 3 }, ["B type_narrowed events.n: events.n type narrowed from decimal(10,2) to decimal(10,3)"]],
      // DCS defaults: precision 38, scale 0.
      [{ type: "decimal", scale: 2 }, { type: "numeric", precision: 38, scale: 2 }, []],
      [{ type: "number" }, { type: "decimal", precision: 10, scale: 2 }, ["B type_narrowed events.n: events.n type narrowed from number to decimal(10,2)"]],
      [{ type: "numeric", precision: 10, scale: 2 }, { type: "number" }, ["c type_widened events.n: events.n type widened from numeric(10,2) to number"]],
      [{ type: "double" }, { type: "decimal", precision: 38, scale: 10 }, ["B type_narrowed events.n: events.n type narrowed from double to decimal(38,10)"]],
      [{ type: "float" }, { type: "number" }, ["c type_widened events.n: events.n type widened from float to number"]],
    ];
    for (const [o, n, want] of cases) {
      const d = dcsPair(o, n);
      expect([JSON.stringify(o), JSON.stringify(n), lines(d)]).toEqual([JSON.stringify(o), JSON.stringify(n), want]);
      expect(d.breaking).toBe(want.some((l) => l.startsWith("B ")));
    }
  });

  test("DCS temporal and text types: timestamp_tz → date narrows; timestamp and timestamp_tz are one type", () => {
    const cases: [Prop, Prop, string[]][] = [
      [{ type: "timestamp_tz" }, { type: "date" }, [
        "B type_narrowed events.n: events.n type narrowed from timestamp_tz to date",
        'B constraint_narrowed events.n: events.n format changed from "date-time" to "date"',
      ]],
      [{ type: "date" }, { type: "timestamp_tz" }, [
        "B type_narrowed events.n: events.n type narrowed from date to timestamp_tz",
        'B constraint_narrowed events.n: events.n format changed from "date" to "date-time"',
      ]],
      [{ type: "timestamp" }, { type: "timestamp_tz" }, []],
      [{ type: "timestamp_ntz" }, { type: "timestamp" }, [
        "B type_narrowed events.n: events.n type narrowed from timestamp_ntz to timestamp",
        'B constraint_narrowed events.n: events.n format "date-time" was added',
      ]],
      [{ type: "string" }, { type: "date" }, [
        "B type_narrowed events.n: events.n type narrowed from string to date",
        'B constraint_narrowed events.n: events.n format "date" was added',
      ]],
      [{ type: "date" }, { type: "text" }, [
        "c type_widened events.n: events.n type widened from date to text",
        'c constraint_relaxed events.n: events.n format "date" was removed',
      ]],
      [{ type: "string" }, { type: "bytes" }, ["B type_narrowed events.n: events.n type narrowed from string to bytes"]],
      [{ type: "bytes" }, { type: "varchar" }, ["c type_widened events.n: events.n type widened from bytes to varchar"]],
      [{ type: "string" }, { type: "varchar" }, []],
    ];
    for (const [o, n, want] of cases) expect([JSON.stringify(o), JSON.stringify(n), lines(dcsPair(o, n))]).toEqual([JSON.stringify(o), JSON.stringify(n), want]);
  });

  test("DCS: a type tollgate does not know that changes is reported and breaks (fail closed)", () => {
    const d = dcsPair({ type: "geography" }, { type: "geometry" });
    expect(lines(d)).toEqual(["B type_changed events.n: events.n type changed from geography to geometry (unknown compatibility: treated as breaking)"]);
    expect(d.breaking).toBe(true);
    expect(d.changes[0]).toMatchObject({ old: "geography", new: "geometry" });
    expect(lines(dcsPair({ type: "geography" }, { type: "geography" }))).toEqual([]);
  });

  test("ODCS physicalType: bigint → int and varchar(255) → varchar(50) narrow; the reverse widens", () => {
    const cases: [Prop, Prop, string[]][] = [
      [{ logicalType: "integer", physicalType: "bigint" }, { logicalType: "integer", physicalType: "int" }, ["B type_narrowed events.n: events.n physicalType narrowed from bigint to int"]],
      [{ logicalType: "integer", physicalType: "INT" }, { logicalType: "integer", physicalType: "BIGINT" }, ["c type_widened events.n: events.n physicalType widened from INT to BIGINT"]],
      [{ logicalType: "integer", physicalType: "smallint" }, { logicalType: "integer", physicalType: "tinyint" }, ["B type_narrowed events.n: events.n physicalType narrowed from smallint to tinyint"]],
      [{ logicalType: "integer", physicalType: "uint32" }, { logicalType: "integer", physicalType: "int32" }, ["B type_narrowed events.n: events.n physicalType narrowed from uint32 to int32"]],
      [{ logicalType: "integer", physicalType: "uint32" }, { logicalType: "integer", physicalType: "bigint" }, ["c type_widened events.n: events.n physicalType widened from uint32 to bigint"]],
      [{ logicalType: "string", physicalType: "varchar(255)" }, { logicalType: "string", physicalType: "varchar(50)" }, ["B type_narrowed events.n: events.n physicalType narrowed from varchar(255) to varchar(50)"]],
      [{ logicalType: "string", physicalType: "VARCHAR(50)" }, { logicalType: "string", physicalType: "VARCHAR(255)" }, ["c type_widened events.n: events.n physicalType widened from VARCHAR(50) to VARCHAR(255)"]],
      [{ logicalType: "string", physicalType: "VARCHAR(18)" }, { logicalType: "string", physicalType: "varchar( 18 )" }, []],
      [{ logicalType: "string", physicalType: "text" }, { logicalType: "string", physicalType: "char(2)" }, ["B type_narrowed events.n: events.n physicalType narrowed from text to char(2)"]],
      [{ logicalType: "number", physicalType: "DECIMAL(10,2)" }, { logicalType: "number", physicalType: "DECIMAL(12,2)" }, ["c type_widened events.n: events.n physicalType widened from DECIMAL(10,2) to DECIMAL(12,2)"]],
      [{ logicalType: "number", physicalType: "numeric(10,2)" }, { logicalType: "number", physicalType: "numeric(10)" }, ["B type_narrowed events.n: events.n physicalType narrowed from numeric(10,2) to numeric(10)"]],
      [{ logicalType: "number", physicalType: "double" }, { logicalType: "number", physicalType: "real" }, ["B type_narrowed events.n: events.n physicalType narrowed from double to real"]],
      // No physicalType on one side: that side is its logical type only.
      [{ logicalType: "integer" }, { logicalType: "integer", physicalType: "int" }, ["B type_narrowed events.n: events.n physicalType narrowed from none (integer) to int"]],
      [{ logicalType: "string", physicalType: "varchar(18)" }, { logicalType: "string" }, ["c type_widened events.n: events.n physicalType widened from varchar(18) to none (string)"]],
    ];
    for (const [o, n, want] of cases) {
      const d = odcsPair(o, n);
      expect([JSON.stringify(o), JSON.stringify(n), lines(d)]).toEqual([JSON.stringify(o), JSON.stringify(n), want]);
      expect(d.breaking).toBe(want.some((l) => l.startsWith("B ")));
    }
    expect(odcsPair({ logicalType: "string", physicalType: "varchar(255)" }, { logicalType: "string", physicalType: "varchar(50)" }).changes[0])
      .toMatchObject({ old: "varchar(255)", new: "varchar(50)" });
  });

  test("ODCS logicalTypeOptions tightened: integer/number format, precision, maxLength", () => {
    const cases: [Prop, Prop, string[]][] = [
      [{ logicalType: "integer", logicalTypeOptions: { format: "i64" } }, { logicalType: "integer", logicalTypeOptions: { format: "i32" } }, [
        "B type_narrowed events.n: events.n type narrowed from integer (format i64) to integer (format i32)",
        "B constraint_narrowed events.n: events.n maximum 2147483647 was added",
        "B constraint_narrowed events.n: events.n minimum -2147483648 was added",
      ]],
      [{ logicalType: "integer", logicalTypeOptions: { format: "u8" } }, { logicalType: "integer", logicalTypeOptions: { format: "i16" } }, [
        "c type_widened events.n: events.n type widened from integer (format u8) to integer (format i16)",
        "c constraint_relaxed events.n: events.n maximum raised from 255 to 32767",
        "c constraint_relaxed events.n: events.n minimum reduced from 0 to -32768",
      ]],
      [{ logicalType: "integer", logicalTypeOptions: { format: "i32" } }, { logicalType: "integer" }, [
        "c type_widened events.n: events.n type widened from integer (format i32) to integer",
        "c constraint_relaxed events.n: events.n maximum 2147483647 was removed",
        "c constraint_relaxed events.n: events.n minimum -2147483648 was removed",
      ]],
      [{ logicalType: "number", logicalTypeOptions: { format: "f64" } }, { logicalType: "number", logicalTypeOptions: { format: "f32" } }, ["B type_narrowed events.n: events.n type narrowed from number (format f64) to number (format f32)"]],
      [{ logicalType: "number", logicalTypeOptions: { format: "f32" } }, { logicalType: "number" }, ["c type_widened events.n: events.n type widened from number (format f32) to number"]],
      [{ logicalType: "number", logicalTypeOptions: { precision: 10, scale: 2 } }, { logicalType: "number", logicalTypeOptions: { precision: 8, scale: 2 } }, ["B type_narrowed events.n: events.n type narrowed from number (precision 10, scale 2) to number (precision 8, scale 2)"]],
      [{ logicalType: "string", logicalTypeOptions: { maxLength: 255 } }, { logicalType: "string", logicalTypeOptions: { maxLength: 50 } }, ["B constraint_narrowed events.n: events.n maxLength reduced from 255 to 50"]],
      [{ logicalType: "timestamp" }, { logicalType: "date" }, ["B type_narrowed events.n: events.n type narrowed from timestamp to date"]],
      [{ logicalType: "date", logicalTypeOptions: { format: "yyyy-MM-dd" } }, { logicalType: "date", logicalTypeOptions: { format: "dd.MM.yyyy" } }, ["B type_narrowed events.n: events.n type narrowed from date (format yyyy-MM-dd) to date (format dd.MM.yyyy)"]],
    ];
    for (const [o, n, want] of cases) {
      const d = odcsPair(o, n);
      expect([JSON.stringify(o), JSON.stringify(n), lines(d)]).toEqual([JSON.stringify(o), JSON.stringify(n), want]);
      expect(d.breaking).toBe(want.some((l) => l.startsWith("B ")));
    }
  });

  test("ODCS physical types tollgate cannot place: a change is reported as unknown compatibility and breaks", () => {
    const cases: [Prop, Prop, string[]][] = [
      [{ logicalType: "string", physicalType: "GEOGRAPHY" }, { logicalType: "string", physicalType: "GEOMETRY" }, ["B type_changed events.n: events.n physicalType changed from GEOGRAPHY to GEOMETRY (unknown compatibility: treated as breaking)"]],
      // Without a logicalType the physical type is all there is.
      [{ physicalType: "geography" }, { physicalType: "geometry" }, ["B type_changed events.n: events.n physicalType changed from geography to geometry (unknown compatibility: treated as breaking)"]],
      // `float` is 32 bits in some systems and 64 in others; `int8` is 8 bits or 8 bytes.
      [{ logicalType: "number", physicalType: "float" }, { logicalType: "number", physicalType: "double" }, ["B type_changed events.n: events.n physicalType changed from float to double (unknown compatibility: treated as breaking)"]],
      [{ logicalType: "integer", physicalType: "int8" }, { logicalType: "integer", physicalType: "bigint" }, ["B type_changed events.n: events.n physicalType changed from int8 to bigint (unknown compatibility: treated as breaking)"]],
      [{ logicalType: "string", physicalType: "GEOGRAPHY" }, { logicalType: "string" }, ["B type_changed events.n: events.n physicalType changed from GEOGRAPHY to none (string) (unknown compatibility: treated as breaking)"]],
      [{ logicalType: "string", physicalType: "GEOGRAPHY" }, { logicalType: "string", physicalType: "geography" }, []],
    ];
    for (const [o, n, want] of cases) {
      const d = odcsPair(o, n);
      expect([JSON.stringify(o), JSON.stringify(n), lines(d)]).toEqual([JSON.stringify(o), JSON.stringify(n), want]);
      expect(d.breaking).toBe(want.length > 0);
    }
  });
});

fixtureDescribe("ODCS fixtures (bitol-io/open-data-contract-standard examples)", () => {
  const read = (name: string) => parseContractText(readFileSync(fixture("odcs", "examples", name), "utf8"), name);

  test("the shipped schemas are the official ones, byte for byte", () => {
    for (const name of ["odcs-json-schema-v3.0.2.json", "odcs-json-schema-v3.1.0.json"]) {
      expect(readFileSync(`${REPO_ROOT}/schemas/odcs/${name}`)).toEqual(readFileSync(fixture("odcs", "schema", name)));
    }
  });

  test("valid examples validate against the schema their apiVersion selects", () => {
    for (const [name, schema] of [
      ["full-example.odcs.yaml", "odcs-json-schema-v3.1.0.json"],
      ["kafka-schema.odcs.yaml", "odcs-json-schema-v3.0.2.json"],
      ["table-column.odcs.yaml", "odcs-json-schema-v3.0.2.json"],
    ] as const) {
      expect(validateContractDocument(read(name))).toEqual({ ok: true, schema, errors: [] });
    }
  });

  // These two examples declare apiVersion v3.0.2 but use v3.1 syntax; the official v3.0.2 schema (and the
  // Python jsonschema reference validator) rejects them, and so does tollgate, saying where.
  test("all-data-types declares v3.0.2 but uses v3.1 timestamp/time and numeric exclusive bounds", () => {
    const r = validateContractDocument(read("all-data-types.odcs.yaml"));
    expect(r.ok).toBe(false);
    expect(r.errors).toContain("/schema/0/properties/1/logicalTypeOptions/exclusiveMinimum must be boolean");
    expect(r.errors.some((e) => e.startsWith("/schema/0/properties/2/logicalType must be equal to one of the allowed values"))).toBe(true);
    expect(r.errors).toHaveLength(5);
  });

  test("column-completeness declares v3.0.2 but writes its quality rule as a v3.1 metric", () => {
    expect(validateContractDocument(read("column-completeness.odcs.yaml")).errors).toEqual(["/schema/0/properties/0/quality/0 must have required property 'rule'"]);
  });

  test("the Kafka example's physical types become event types; its required fields are enforced", () => {
    const c = read("kafka-schema.odcs.yaml");
    expect(c.objects[0]!.fields.map((f) => [f.name, f.type, f.required])).toEqual([["cust_id", "string", true], ["prod_id", "string", true], ["qty", "integer", true]]);
    expect(validateAgainstContract({ cust_id: "c", prod_id: "p", qty: 2 }, c).ok).toBe(true);
    expect(validateAgainstContract({ cust_id: "c", qty: 2.5 }, c).errors).toEqual(["/ must have required property 'prod_id'", "/qty must be integer"]);
  });

  test("diff between two real examples: removed fields and objects break, added optional ones do not", () => {
    const full = read("full-example.odcs.yaml");
    const table = read("table-column.odcs.yaml");
    const down = diffContracts(full, table);
    expect(down.breaking).toBe(true);
    expect(down.changes.map((c) => `${c.change} ${c.path}`)).toEqual(["field_removed tbl.transaction_reference_date", "field_removed tbl.rcvr_id", "object_removed receivers"]);
    const up = diffContracts(table, full);
    expect(up.breaking).toBe(false);
    expect(up.changes.map((c) => `${c.change} ${c.path}`)).toEqual(["field_added tbl.transaction_reference_date", "field_added tbl.rcvr_id", "object_added receivers"]);
  });
});
