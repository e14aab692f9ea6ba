// OpenTelemetry logs (I6): OTLP/JSON exports, single LogRecords and Logs Data Model records; exact
// nanosecond timestamps beyond 2^53, hex ids, AnyValue attributes; and the gate's I6 rules evaluated by
// both opa eval and the compiled WASM policy (which must agree), including the real export from
// open-telemetry/opentelemetry-proto, which lacks service.version and deployment.environment.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { buildInputDocument, validateInputDocument } from "../src/core/input.ts";
import { collectEvidence } from "../src/evidence/collect.ts";
import { makeVerifyContext, sourceFromBytes, sourceFromText } from "../src/evidence/source.ts";
import type { EvidenceRecord, SourceFile } from "../src/evidence/types.ts";
import { otelLogKind, sha256FromImageRef, type ParsedOtelLogs } from "../src/evidence/otel-log/index.ts";
import type { Decision } from "../src/policy/gate.ts";
import { fixture, fixtureDescribe } from "./support/fixtures.ts";
import { decideBothEngines } from "./support/gate-parity.ts";
import { thrown } from "./support/errors.ts";
import { tollgate } from "./support/cli.ts";

const TIME = new Date("2026-06-01T00:00:00Z");
const SUBJECT = "c".repeat(64);
const OTHER = "d".repeat(64);

const str = (v: string) => ({ stringValue: v });
const attrs = (o: Record<string, string>) => Object.entries(o).map(([key, v]) => ({ key, value: str(v) }));
const FULL = {
  "service.name": "checkout", "service.version": "1.4.2",
  "deployment.environment": "prod", "service.instance.id": "pod-7",
};

/** An OTLP/JSON export: one Resource per entry, `n` records each. Written as text so numbers stay raw. */
function otlp(resources: { attributes: Record<string, string>; n?: number; record?: string }[]): string {
  const rls = resources.map((r) => {
    const rec = r.record ?? `{"timeUnixNano":"1700000000000000001","severityNumber":9,"body":{"stringValue":"hi"}}`;
    return `{"resource":{"attributes":${JSON.stringify(attrs(r.attributes))}},"scopeLogs":[{"scope":{"name":"app"},"logRecords":[${Array(r.n ?? 1).fill(rec).join(",")}]}]}`;
  });
  return `{"resourceLogs":[${rls.join(",")}]}`;
}

function parse(text: string, path = "logs.json"): ParsedOtelLogs {
  return otelLogKind.parse(sourceFromText(path, text));
}


const withRecord = (record: string) => otlp([{ attributes: FULL, record }]);
const firstRecord = (p: ParsedOtelLogs) => p.resources[0]!.records[0]!;

async function normalize(file: SourceFile): Promise<EvidenceRecord> {
  const ctx = makeVerifyContext({ time: TIME, files: [file] });
  const parsed = otelLogKind.parse(file);
  return otelLogKind.normalize(parsed, await otelLogKind.verify(parsed, file, ctx), file, ctx)[0]!;
}

describe("timestamps and int64 kept exact", () => {
  test("a JSON number beyond 2^53 keeps its exact digits (JSON.parse alone would round it)", () => {
    const raw = "1544712660300000001";
    expect(String(JSON.parse(raw))).not.toBe(raw); // the trap this guards against
    const r = firstRecord(parse(withRecord(`{"timeUnixNano":${raw},"observedTimeUnixNano":18446744073709551615}`)));
    expect(r.timeUnixNano).toBe(raw);
    expect(r.observedTimeUnixNano).toBe("18446744073709551615");
  });

  test("the OTLP/JSON string form is accepted too; 0 means unknown", () => {
    const r = firstRecord(parse(withRecord(`{"timeUnixNano":"9007199254740993","observedTimeUnixNano":"0"}`)));
    expect(r.timeUnixNano).toBe("9007199254740993");
    expect(r.observedTimeUnixNano).toBeNull();
  });

  test("negative, fractional, exponent and out-of-range timestamps are malformed, naming the field", () => {
    for (const [v, why] of [
      ["-5", "is not an unsigned integer count of nanoseconds"],
      ["1.5e18", "is not an unsigned integer count of nanoseconds"],
      ['"12ab"', "is not an unsigned integer count of nanoseconds"],
      ["18446744073709551616", "exceeds the fixed64 range"],
    ] as const) {
      const e = thrown(() => parse(withRecord(`{"timeUnixNano":${v}}`)));
      expect(e.code).toBe("malformed");
      expect(e.message).toStartWith("resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano: ");
      expect(e.message).toContain(why);
    }
  });

  test("intValue attributes: exact int64 as a decimal string, from a number or a string; range checked", () => {
    const rec = (v: string) => `{"timeUnixNano":"1","attributes":[{"key":"n","value":{"intValue":${v}}}]}`;
    expect(firstRecord(parse(withRecord(rec("9223372036854775807")))).attributes.n).toBe("9223372036854775807");
    expect(firstRecord(parse(withRecord(rec('"-9223372036854775808"')))).attributes.n).toBe("-9223372036854775808");
    const e = thrown(() => parse(withRecord(rec("9223372036854775808"))));
    expect(e.message).toBe("resourceLogs[0].scopeLogs[0].logRecords[0].attributes[0].value: intValue 9223372036854775808 exceeds the int64 range");
  });
});

describe("trace and span ids", () => {
  test("hex, case-insensitive, normalized to lower case", () => {
    const r = firstRecord(parse(withRecord(`{"timeUnixNano":"1","traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174"}`)));
    expect([r.traceId, r.spanId]).toEqual(["5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"]);
  });

  test("base64 (the protobuf JSON default, not OTLP/JSON) and wrong lengths are malformed", () => {
    const b64 = thrown(() => parse(withRecord(`{"timeUnixNano":"1","traceId":"W47/95gDgQPSabYzgT/GDA=="}`)));
    expect(b64.code).toBe("malformed");
    expect(b64.message).toBe('resourceLogs[0].scopeLogs[0].logRecords[0].traceId: "W47/95gDgQPSabYzgT/GDA==" is not 32 hex characters (OTLP/JSON encodes traceId as hex, not base64)');
    const short = thrown(() => parse(withRecord(`{"timeUnixNano":"1","spanId":"eee19b7ec3c1b1"}`)));
    expect(short.message).toContain("spanId: \"eee19b7ec3c1b1\" is not 16 hex characters");
  });

  test("an empty or all-zero id means not set (logs.proto: not associated with a trace), never a malformed export", () => {
    expect(firstRecord(parse(withRecord(`{"timeUnixNano":"1","traceId":"","spanId":""}`))).traceId).toBeNull();
    const zero = firstRecord(parse(withRecord(`{"timeUnixNano":"1","traceId":"00000000000000000000000000000000","spanId":"0000000000000000"}`)));
    expect([zero.traceId, zero.spanId]).toEqual([null, null]);
  });
});

describe("attributes (AnyValue)", () => {
  test("every AnyValue kind flattens to plain JSON", () => {
    const rec = `{"timeUnixNano":"1","attributes":[
      {"key":"s","value":{"stringValue":"x"}},{"key":"b","value":{"boolValue":false}},
      {"key":"d","value":{"doubleValue":637.704}},{"key":"y","value":{"bytesValue":"AAE="}},
      {"key":"a","value":{"arrayValue":{"values":[{"stringValue":"many"},{"intValue":"2"}]}}},
      {"key":"m","value":{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}},
      {"key":"e","value":{}}]}`;
    expect(firstRecord(parse(withRecord(rec))).attributes).toEqual({ s: "x", b: false, d: 637.704, y: "AAE=", a: ["many", "2"], m: { k: "v" }, e: null });
  });

  test("a repeated key, two values in one AnyValue, or a wrongly typed value are malformed", () => {
    const dup = thrown(() => parse(otlp([{ attributes: FULL }]).replace('"attributes":[', '"attributes":[{"key":"service.name","value":{"stringValue":"x"}},')));
    expect(dup.message).toBe('resourceLogs[0].resource.attributes[1]: attribute key "service.name" is repeated');
    const two = thrown(() => parse(withRecord(`{"timeUnixNano":"1","body":{"stringValue":"a","intValue":"1"}}`)));
    expect(two.message).toBe("resourceLogs[0].scopeLogs[0].logRecords[0].body: AnyValue has more than one value (stringValue, intValue)");
    const wrong = thrown(() => parse(withRecord(`{"timeUnixNano":"1","body":{"boolValue":"yes"}}`)));
    expect(wrong.message).toBe('resourceLogs[0].scopeLogs[0].logRecords[0].body: boolValue has the wrong JSON type ("yes")');
  });
});

describe("forms", () => {
  test("NDJSON of exports (the Collector file exporter): resources from every line, errors name the line", () => {
    const text = otlp([{ attributes: FULL, n: 2 }]) + "\n" + otlp([{ attributes: { "service.name": "b" }, n: 3 }]) + "\n";
    const p = parse(text, "logs.ndjson");
    expect(p.form).toBe("otlp-ndjson");
    expect(p.resources.map((r) => [r.location, r.records.length])).toEqual([["line 1: resourceLogs[0]", 2], ["line 2: resourceLogs[0]", 3]]);
    const bad = thrown(() => parse(text + otlp([{ attributes: FULL, record: `{"timeUnixNano":"1","spanId":"zz"}` }]) + "\n", "logs.ndjson"));
    expect(bad.message).toStartWith("line 3: resourceLogs[0].scopeLogs[0].logRecords[0].spanId");
  });

  test("pre-1.0 OTLP (instrumentationLibraryLogs) is read the same way", () => {
    const p = parse(otlp([{ attributes: FULL, n: 2 }]).replace('"scopeLogs":[{"scope":', '"instrumentationLibraryLogs":[{"instrumentationLibrary":'));
    expect(p.resources[0]!.records.map((r) => [r.location, r.scope.name])).toEqual([
      ["resourceLogs[0].instrumentationLibraryLogs[0].logRecords[0]", "app"],
      ["resourceLogs[0].instrumentationLibraryLogs[0].logRecords[1]", "app"],
    ]);
  });

  test("container.image.repo_digests as an OTLP arrayValue: every entry recorded", async () => {
    const text = otlp([{ attributes: FULL }]).replace('"attributes":[', `"attributes":[{"key":"container.image.repo_digests","value":{"arrayValue":{"values":[{"stringValue":"a.io/x@sha256:${OTHER}"},{"stringValue":"b.io/x@sha256:${SUBJECT}"}]}}},`);
    const rec = await normalize(sourceFromText("l.json", text));
    expect((rec.facts.image_digests as { sha256: string }[]).map((d) => d.sha256)).toEqual([OTHER, SUBJECT]);
  });

  test("a single OTLP LogRecord has no Resource: every required attribute is missing", async () => {
    const rec = await normalize(sourceFromText("r.json", `{"timeUnixNano":"1700000000000000000","severityText":"INFO","body":{"stringValue":"x"}}`));
    expect(rec.source.format).toBe("otlp-log-record");
    expect(rec.facts.missing_required).toEqual({ "service.name": 1, "service.version": 1, "deployment.environment": 1 });
  });

  test("a Logs Data Model record: Resource as a map; deployment.environment.name accepted", async () => {
    const rec = await normalize(sourceFromText("dm.json", JSON.stringify({
      Timestamp: "1586960586000000000", SeverityText: "INFO", SeverityNumber: 9, Body: "hello",
      TraceId: "f4dbb3edd765f620f4dbb3edd765f620", SpanId: "43222c2d51a7abe3",
      Resource: { "service.name": "donut_shop", "service.version": "2.0.0", "deployment.environment.name": "prod" },
    })));
    expect(rec.source.format).toBe("log-data-model");
    expect(rec.facts.missing_required).toEqual({});
    expect(rec.facts.missing_recommended).toEqual({ "service.instance.id": 1 });
    expect((rec.facts.resources as { environment_attribute: string }[])[0]!.environment_attribute).toBe("deployment.environment.name");
  });

  test("a truncated export is claimed and reported as malformed, not as an unknown file", () => {
    const f = sourceFromText("t.json", otlp([{ attributes: FULL }]).slice(0, 60));
    expect(otelLogKind.detect(f)).toBe(true);
    const e = thrown(() => otelLogKind.parse(f));
    expect(e.code).toBe("malformed");
    expect(e.message).toStartWith("not JSON (");
  });

  test("attributes nested deeper than the JSON nesting cap: refused at the cap (limit_exceeded) before any parse, no crash", () => {
    const n = 5000;
    const deep = `${'{"arrayValue":{"values":['.repeat(n)}{"stringValue":"x"}${"]}}".repeat(n)}`;
    const text = `{"resourceLogs":[{"resource":{"attributes":[{"key":"deep","value":${deep}}]},"scopeLogs":[]}]}`;
    const e = thrown(() => parse(text, "deep.json"));
    expect([e.code, e.message, e.path]).toEqual(["limit_exceeded", "JSON nested 15007 levels deep exceeds the JSON nesting limit of 1000 levels (raise it with --max-json-depth)", "deep.json"]);
  });

  test("not logs: not detected", () => {
    expect(otelLogKind.detect(sourceFromText("x.json", JSON.stringify({ resourceSpans: [] })))).toBe(false);
    expect(otelLogKind.detect(sourceFromText("x.json", JSON.stringify({ timeUnixNano: "1" })))).toBe(false);
  });

  test("unknown_service is the SDK default, not a service name", async () => {
    const rec = await normalize(sourceFromText("l.json", otlp([{ attributes: { ...FULL, "service.name": "unknown_service:java" } }])));
    expect(rec.facts.missing_required).toEqual({ "service.name": 1 });
  });
});

describe("image digests and revisions", () => {
  test("sha256 from image references", () => {
    expect(sha256FromImageRef(`sha256:${SUBJECT.toUpperCase()}`)).toBe(SUBJECT);
    expect(sha256FromImageRef(`ghcr.io/acme/app@sha256:${SUBJECT}`)).toBe(SUBJECT);
    expect(sha256FromImageRef(`docker-pullable://ghcr.io/acme/app@sha256:${SUBJECT}`)).toBe(SUBJECT);
    expect(sha256FromImageRef("ghcr.io/acme/app:1.0")).toBeNull();
  });

  test("facts list each digest and revision with its resource and record count", async () => {
    const text = otlp([{ attributes: { ...FULL, "container.image.id": `sha256:${SUBJECT}`, "org.opencontainers.image.revision": "ABCDEF0123" }, n: 2 }]);
    const rec = await normalize(sourceFromText("l.json", text));
    expect(rec.facts.image_digests).toEqual([{ attribute: "container.image.id", value: `sha256:${SUBJECT}`, sha256: SUBJECT, resource: 0, records: 2 }]);
    expect(rec.facts.revisions).toEqual([{ attribute: "org.opencontainers.image.revision", value: "abcdef0123", resource: 0, records: 2 }]);
  });
});

// ------------------------------------------------------------------------------ the gate, compiled
// Every decision is made by both `opa eval` over policies/ and the WASM bundle tollgate's engine runs; they
// must agree (the I6 messages use %q and %v, which tollgate formats like OPA's Go sprintf).
async function gate(files: SourceFile[]): Promise<Decision> {
  const r = await collectEvidence(files, makeVerifyContext({ time: TIME, files }));
  const doc = buildInputDocument(
    { time: TIME.toISOString(), subject: { digest: { sha256: SUBJECT } }, trust: { keys: [], identities: [] } },
    r.records, r.errors,
  );
  validateInputDocument(doc);
  return decideBothEngines(doc, {});
}
const i6 = (results: Decision["deny"]) => results.filter((x) => x.rule.startsWith("I6.")).map((x) => [x.rule, x.msg]);

describe("gate I6 (compiled policy)", () => {
  test("complete Resource attributes: nothing under I6", async () => {
    const d = await gate([sourceFromText("l.json", otlp([{ attributes: FULL, n: 3 }]))]);
    expect(i6(d.deny)).toEqual([]);
    expect(i6(d.warn)).toEqual([]);
  }, 30_000);

  test("deployment.environment.name satisfies deployment.environment", async () => {
    const { "deployment.environment": _, ...rest } = FULL;
    const d = await gate([sourceFromText("l.json", otlp([{ attributes: { ...rest, "deployment.environment.name": "prod" } }]))]);
    expect(i6(d.deny)).toEqual([]);
  }, 30_000);

  test("one Resource lacking service.version: deny naming it and the records affected", async () => {
    const { "service.version": _, ...rest } = FULL;
    const d = await gate([sourceFromText("l.json", otlp([{ attributes: FULL, n: 4 }, { attributes: rest, n: 2 }]))]);
    expect(i6(d.deny)).toEqual([["I6.resource-attributes", "l.json: 2 of 6 log records have no Resource attribute service.version"]]);
  }, 30_000);

  test("missing attributes never fail verification: one ok check, the facts name them, the gate denies", async () => {
    const f = sourceFromText("l.json", otlp([{ attributes: { "service.name": "checkout" }, n: 3 }]));
    const rec = await normalize(f);
    expect(rec.checks.map((c) => [c.name, c.ok])).toEqual([["otel.parse", true]]);
    expect(rec.facts.missing_required).toEqual({ "service.version": 3, "deployment.environment": 3 });
    const d = await gate([f]);
    expect(i6(d.deny).map(([rule]) => rule)).toEqual(["I6.resource-attributes", "I6.resource-attributes"]);
  }, 30_000);

  test("image digest other than the subject denies; the subject's admits", async () => {
    const other = await gate([sourceFromText("l.json", otlp([{ attributes: { ...FULL, "oci.manifest.digest": `sha256:${OTHER}` } }]))]);
    expect(i6(other.deny)).toEqual([["I6.image-digest", `l.json resourceLogs[0]: oci.manifest.digest is sha256:${OTHER} but the subject is sha256:${SUBJECT} (1 record)`]]);
    const same = await gate([sourceFromText("l.json", otlp([{ attributes: { ...FULL, "oci.manifest.digest": `sha256:${SUBJECT}` } }]))]);
    expect(i6(same.deny)).toEqual([]);
  }, 30_000);

  test("repo_digests: one entry equal to the subject admits; none denies listing them", async () => {
    const withDigests = (...refs: string[]) => otlp([{ attributes: FULL }]).replace('"attributes":[',
      `"attributes":[{"key":"container.image.repo_digests","value":{"arrayValue":{"values":[${refs.map((r) => JSON.stringify({ stringValue: r })).join(",")}]}}},`);
    const ok = await gate([sourceFromText("l.json", withDigests(`a.io/x@sha256:${OTHER}`, `b.io/x@sha256:${SUBJECT}`))]);
    expect(i6(ok.deny)).toEqual([]);
    const bad = await gate([sourceFromText("l.json", withDigests(`a.io/x@sha256:${OTHER}`))]);
    expect(i6(bad.deny)).toEqual([["I6.image-digest", `l.json resourceLogs[0]: no container.image.repo_digests entry is the subject sha256:${SUBJECT} (has: a.io/x@sha256:${OTHER})`]]);
  }, 30_000);

  test("a revision with no verified provenance to compare against warns", async () => {
    const d = await gate([sourceFromText("l.json", otlp([{ attributes: { ...FULL, "org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567" } }]))]);
    expect(i6(d.deny)).toEqual([]);
    expect(i6(d.warn).map(([rule]) => rule)).toEqual(["I6.revision-unverified"]);
  }, 30_000);
});

fixtureDescribe("the real OTLP/JSON example (open-telemetry/opentelemetry-proto examples/logs.json)", () => {
  const file = () => sourceFromBytes("otel/opentelemetry-proto-examples-logs.json", new Uint8Array(readFileSync(fixture("otel", "opentelemetry-proto-examples-logs.json"))));

  test("parses exactly: nanoseconds as written, ids lower-cased hex, attributes flattened", async () => {
    const rec = await normalize(file());
    expect(rec.kind).toBe("otel-log");
    expect(rec.facts).toMatchObject({
      format: "otlp-json", record_count: 1, resource_count: 1,
      time_range: { first_unix_nano: "1544712660300000000", last_unix_nano: "1544712660300000000" },
      missing_required: { "service.version": 1, "deployment.environment": 1 },
      missing_recommended: { "service.instance.id": 1 },
    });
    const p = otelLogKind.parse(file());
    expect(firstRecord(p)).toMatchObject({ traceId: "5b8efff798038103d269b633813fc60c", spanId: "eee19b7ec3c1b174", body: "Example log record" });
    expect(firstRecord(p).attributes["int.attribute"]).toBe("10");
  }, 30_000);

  test("verify passes it: a missing attribute is a fact for policy, not a failed verification check", async () => {
    const rec = await normalize(file());
    expect(rec.checks).toEqual([{ name: "otel.parse", ok: true, detail: { format: "otlp-json", resources: 1, records: 1 } }]);
    expect([rec.signature.status, rec.integrity.status]).toEqual(["unsigned", "n/a"]);
    const v = tollgate(["verify", fixture("otel", "opentelemetry-proto-examples-logs.json")]);
    expect(v.stderr).toBe("");
    expect(v.code).toBe(0);
    expect(v.stdout).toContain("  ok    otel.parse\n");
    expect(v.stdout).toContain("VERIFIED: 1 evidence, 1 checks passed, 0 failed, 0 error(s)");
  }, 30_000);

  test("the shipped gate (embedded bundle, through the CLI) denies it under I6 with exit 1", () => {
    const r = tollgate(["eval", "--subject", `sha256:${SUBJECT}`, "--output", "json", fixture("otel", "opentelemetry-proto-examples-logs.json")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const d = JSON.parse(r.stdout) as { allow: boolean; deny: { rule: string; msg: string }[]; warn: { rule: string }[] };
    expect(d.allow).toBe(false);
    const i6deny = d.deny.filter((x) => x.rule.startsWith("I6.")).map((x) => x.msg.replace(/^.*?: /, ""));
    expect(i6deny).toEqual([
      "1 of 1 log records have no Resource attribute deployment.environment (deployment.environment.name, its newer semantic-conventions name, is accepted too)",
      "1 of 1 log records have no Resource attribute service.version",
    ]);
    expect(d.warn.map((x) => x.rule)).toContain("I6.service-instance-id");
  }, 30_000);

  test("the gate denies it under I6: service.version and deployment.environment missing on its 1 record", async () => {
    const d = await gate([file()]);
    expect(d.allow).toBe(false);
    expect(i6(d.deny)).toEqual([
      ["I6.resource-attributes", "otel/opentelemetry-proto-examples-logs.json: 1 of 1 log records have no Resource attribute deployment.environment (deployment.environment.name, its newer semantic-conventions name, is accepted too)"],
      ["I6.resource-attributes", "otel/opentelemetry-proto-examples-logs.json: 1 of 1 log records have no Resource attribute service.version"],
    ]);
    expect(i6(d.warn)).toEqual([["I6.service-instance-id", "otel/opentelemetry-proto-examples-logs.json: 1 of 1 log records have no Resource attribute service.instance.id"]]);
  }, 30_000);
});
