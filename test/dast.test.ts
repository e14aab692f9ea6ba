// DAST (I8): the real ZAP report, generated SARIF logs for every severity path, the official SARIF schema
// refusing malformed logs, and DAST attestations signed by keys made here, evaluated by the real opa.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TollgateError } from "../src/core/errors.ts";
import { buildInputDocument, validateInputDocument } from "../src/core/input.ts";
import { trustedKeyFromObject } from "../src/crypto/keys.ts";
import { collectEvidence } from "../src/evidence/collect.ts";
import {
  DAST_PREDICATE_V01,
  dastKind,
  dastPredicate,
  normalizeCwe,
  parseDastReport,
  severityFromScore,
} from "../src/evidence/dast/index.ts";
import { predicateHandlerFor } from "../src/evidence/predicates.ts";
import { makeVerifyContext, sourceFromText } from "../src/evidence/source.ts";
import { TEST_RESULT_V01 } from "../src/evidence/test-result.ts";
import type { EvidenceRecord, SourceFile } from "../src/evidence/types.ts";
import { fixture, fixtureDescribe, haveFixtures, REPO_ROOT } from "./support/fixtures.ts";
import { thrown } from "./support/errors.ts";
import { decideBothEngines } from "./support/gate-parity.ts";
import { dsse, newKey, sha256, type TestKey } from "./support/sign.ts";

const TIME = new Date("2026-06-01T00:00:00Z");
const SUBJECT = sha256("registry.example/app@deployed");
const ZAP_FIXTURE = fixture("dast", "zap-basic-traditional.json");

/** The TollgateError parsing throws (anything else thrown fails the test). */
const parseError = (json: unknown): TollgateError => thrown(() => parseDastReport(json));

// ---- ZAP traditional JSON --------------------------------------------------------------------------------

function zapReport(alerts: Record<string, unknown>[]): Record<string, unknown> {
  return { "@programName": "ZAP", "@version": "2.15.0", "@generated": "Mon, 1 Jun 2026 10:00:00", site: [{ "@name": "https://app.example", "@host": "app.example", "@port": "443", "@ssl": "true", alerts }] };
}

function zapAlert(pluginid: string, riskcode: string, confidence: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pluginid, alertRef: pluginid, alert: `alert ${pluginid}`, name: `alert ${pluginid}`, riskcode, confidence,
    riskdesc: "", desc: "", instances: [{ uri: `https://app.example/p${pluginid}`, method: "POST", param: "id", attack: "", evidence: "", otherinfo: "" }],
    count: "1", solution: "", otherinfo: "", reference: "", cweid: "89", wascid: "19", sourceid: "1", ...extra,
  };
}

fixtureDescribe("ZAP traditional JSON: the real report", () => {
  test("one XSS alert, riskcode \"3\" → high, confidence \"2\" → medium, both instances kept", () => {
    const text = readFileSync(ZAP_FIXTURE, "utf8");
    const file = sourceFromText(ZAP_FIXTURE, text);
    expect(dastKind.detect(file)).toBe(true);
    const s = dastKind.parse(file);
    expect(s.format).toBe("zap-traditional-json");
    expect(s.tool).toEqual({ name: "OWASP ZAP", version: "Dev Build" });
    expect(s.targets).toEqual(["http://example.com"]);
    expect(s.findings).toEqual([
      {
        ruleId: "1",
        pluginId: "1",
        name: "XSS",
        severity: "high",
        severitySource: "riskcode",
        confidence: "medium",
        locations: [
          { uri: "http://example.com/example_3", method: "GET", param: "Test Param" },
          { uri: "http://example.com/example_3", method: "GET", param: "Test Param" },
        ],
        cwe: "CWE-123",
        count: 2,
        suppressed: false,
        tool: "OWASP ZAP",
      },
    ]);
    expect(s.counts).toEqual({ critical: 0, high: 1, medium: 0, low: 0, info: 0 });
    expect(s.highestSeverity).toBe("high");
  });

  test("as a bare file: kind dast, unsigned, unbound", async () => {
    const file = sourceFromText(ZAP_FIXTURE, readFileSync(ZAP_FIXTURE, "utf8"));
    const ctx = makeVerifyContext({ time: TIME, files: [file] });
    const { records, errors } = await collectEvidence([file], ctx);
    expect(errors).toEqual([]);
    expect(records).toHaveLength(1);
    const r = records[0]!;
    expect(r.kind).toBe("dast");
    expect(r.source.format).toBe("zap-traditional-json");
    expect(r.signature.status).toBe("unsigned");
    expect(r.integrity.status).toBe("n/a");
    expect(r.checks).toEqual([{ name: "schema.zap", ok: true }]);
    expect((r.facts as any).bare).toBe(true);
    expect(r.statement).toBeUndefined();
  });
});

describe("ZAP traditional JSON: every riskcode and confidence", () => {
  test("riskcode 0..3 → info/low/medium/high; confidence 0..4; False Positive is suppressed", () => {
    const s = parseDastReport(zapReport([
      zapAlert("10", "0", "1"), zapAlert("11", "1", "2"), zapAlert("12", "2", "3"), zapAlert("13", "3", "4"), zapAlert("14", "3", "0"),
    ]));
    expect(s.findings.map((f) => [f.ruleId, f.severity, f.confidence, f.suppressed])).toEqual([
      ["10", "info", "low", false],
      ["11", "low", "medium", false],
      ["12", "medium", "high", false],
      ["13", "high", "confirmed", false],
      ["14", "high", "false-positive", true],
    ]);
    expect(s.counts).toEqual({ critical: 0, high: 1, medium: 1, low: 1, info: 1 });
    expect(s.suppressedCount).toBe(1);
    expect(s.findings[0]!.cwe).toBe("CWE-89");
  });

  test("a report that covers no site is not a complete scan", () => {
    const s = parseDastReport({ "@programName": "ZAP", "@version": "2.15.0", site: [] });
    expect([s.complete, s.incomplete]).toEqual([false, ["the report covers no site: nothing was scanned"]]);
    expect(parseDastReport(zapReport([])).complete).toBe(true); // a site scanned with no alerts is a clean scan
  });

  test("empty instance fields (ZAP writes \"\" for a header alert's param) are no value, so messages name none", () => {
    const a = zapAlert("10038", "2", "3", { instances: [{ uri: "https://app.example/", method: "GET", param: "", attack: "", evidence: "", otherinfo: "" }] });
    const s = parseDastReport(zapReport([a]));
    expect(s.findings[0]!.locations).toEqual([{ uri: "https://app.example/", method: "GET", param: null }]);
  });

  test("cweid -1 or empty is no CWE; a missing count falls back to the instances", () => {
    const a = zapAlert("20", "2", "2", { cweid: "-1" });
    delete a.count;
    const b = zapAlert("21", "2", "2", { cweid: "" });
    const s = parseDastReport(zapReport([a, b]));
    expect(s.findings.map((f) => [f.cwe, f.count])).toEqual([[null, 1], [null, 1]]);
  });

  test("numbers where ZAP writes strings are refused, naming the field", () => {
    let e = parseError(zapReport([zapAlert("30", 3 as unknown as string, "2")]));
    expect(e.code).toBe("schema_invalid");
    expect(e.message).toContain("/site/0/alerts/0/riskcode must be string");
    e = parseError(zapReport([zapAlert("31", "2", 2 as unknown as string)]));
    expect(e.message).toContain("/site/0/alerts/0/confidence must be string");
    e = parseError(zapReport([zapAlert("31", "2", "5")]));
    expect(e.message).toContain("/site/0/alerts/0/confidence must be equal to one of the allowed values");
    e = parseError(zapReport([zapAlert("32", "2", "2", { count: 2 })]));
    expect(e.message).toContain("/site/0/alerts/0/count must be string");
  });

  test("plugin id -1 (ZAP's Alert default: an alert raised by no scan rule, e.g. manually or by a script) is read", () => {
    const s = parseDastReport(zapReport([zapAlert("-1", "2", "4")]));
    expect(s.findings.map((f) => [f.ruleId, f.pluginId, f.severity, f.confidence])).toEqual([["-1", "-1", "medium", "confirmed"]]);
    expect(parseError(zapReport([zapAlert("x1", "2", "2")])).message).toContain("/site/0/alerts/0/pluginid must match pattern");
  });

  test("an alert without a plugin id, or a site without alerts, is refused", () => {
    const a = zapAlert("40", "1", "1");
    delete a.pluginid;
    expect(parseError(zapReport([a])).message).toContain("must have required property 'pluginid'");
    expect(parseError({ "@programName": "ZAP", site: [{ "@name": "x" }] }).message).toContain("/site/0 must have required property 'alerts'");
  });

  test("truncated report: not detected; under collect it is malformed JSON", async () => {
    const text = JSON.stringify(zapReport([zapAlert("50", "3", "3")])).slice(0, 120);
    const f = sourceFromText("/scan/zap.json", text);
    expect(dastKind.detect(f)).toBe(false);
    const { errors } = await collectEvidence([f], makeVerifyContext({ time: TIME, files: [f] }));
    expect(errors).toEqual([{ source: "/scan/zap.json", code: "malformed", message: "not valid JSON" }]);
  });
});

// ---- SARIF 2.1.0 -----------------------------------------------------------------------------------------

function sarif(results: Record<string, unknown>[], rules: Record<string, unknown>[] = [], runExtra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    $schema: "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json",
    version: "2.1.0",
    runs: [{ tool: { driver: { name: "dastscan", version: "1.4.0", rules } }, results, ...runExtra }],
  };
}

const result = (ruleId: string, extra: Record<string, unknown> = {}) => ({ ruleId, message: { text: `finding ${ruleId}\nmore detail` }, ...extra });

describe("SARIF 2.1.0 → findings", () => {
  test("security-severity bands: 9.0 critical, 7.0 high, 4.0 medium, 0.1 low, 0.0 info; it wins over level", () => {
    const rules = ["9.0", "8.9", "7.0", "6.9", "4.0", "3.9", "0.1", "0.0"].map((s, i) => ({ id: `R${i}`, name: `rule ${i}`, properties: { "security-severity": s } }));
    const s = parseDastReport(sarif(rules.map((r) => result(r.id, { level: "note" })), rules));
    expect(s.findings.map((f) => f.severity)).toEqual(["critical", "high", "high", "medium", "medium", "low", "low", "info"]);
    expect(s.findings.every((f) => f.severitySource === "security-severity")).toBe(true);
    expect(s.findings[0]!.name).toBe("rule 0");
  });

  test("without security-severity: level error/warning/note/none → high/medium/low/info; defaults from the rule, then warning", () => {
    const rules = [{ id: "D", defaultConfiguration: { level: "error" } }];
    const s = parseDastReport(sarif([
      result("A", { level: "error" }), result("B", { level: "warning" }), result("C", { level: "note" }), result("N", { level: "none" }),
      result("D"), result("E"), result("F", { kind: "review" }),
    ], rules));
    expect(s.findings.map((f) => [f.ruleId, f.severity, f.severitySource])).toEqual([
      ["A", "high", "level"], ["B", "medium", "level"], ["C", "low", "level"], ["N", "info", "level"],
      ["D", "high", "level"], ["E", "medium", "level"], ["F", "info", "level"],
    ]);
    expect(s.findings.find((f) => f.ruleId === "E")!.name).toBe("finding E"); // first line of the message
  });

  test("a result-level security-severity beats the rule's; a non-numeric one falls back to level", () => {
    const rules = [{ id: "R", properties: { "security-severity": "9.8" } }, { id: "X", properties: { "security-severity": "high" } }];
    const s = parseDastReport(sarif([result("R", { properties: { "security-severity": 5 } }), result("X", { level: "error" })], rules));
    expect(s.findings.map((f) => [f.severity, f.severitySource])).toEqual([["medium", "security-severity"], ["high", "level"]]);
  });

  test("pass and notApplicable results are not findings; accepted suppressions are kept but not counted", () => {
    const s = parseDastReport(sarif([
      result("P", { kind: "pass", level: "none" }), result("NA", { kind: "notApplicable", level: "none" }),
      result("S1", { level: "error", suppressions: [{ kind: "external", status: "accepted", justification: "waived" }] }),
      result("S2", { level: "error", suppressions: [{ kind: "inSource", status: "underReview" }] }),
      result("S3", { level: "error", suppressions: [{ kind: "external" }] }),
      result("S4", { level: "error", suppressions: [{ kind: "external", status: "accepted" }, { kind: "inSource", status: "rejected" }] }),
    ]));
    expect(s.findings.map((f) => [f.ruleId, f.suppressed])).toEqual([["S1", true], ["S2", false], ["S3", true], ["S4", false]]);
    expect(s.counts.high).toBe(2);
    expect(s.suppressedCount).toBe(2);
  });

  test("CWE from tags, from properties, from a CWE taxonomy relationship (ZAP's SARIF), from result taxa", () => {
    const rules = [
      { id: "T", properties: { tags: ["security", "external/cwe/cwe-079"] } },
      { id: "P", properties: { cwe: "CWE-352" } },
      { id: "Z", relationships: [{ target: { id: "693", guid: "b1f1a0a4-6c2b-4c4e-8e9b-6f5f1c2d3e4f", toolComponent: { name: "CWE", guid: "b2f1a0a4-6c2b-4c4e-8e9b-6f5f1c2d3e4f" } }, kinds: ["superset"] }] },
      { id: "N" },
    ];
    const s = parseDastReport(sarif([
      result("T"), result("P"), result("Z"), result("N", { taxa: [{ id: "22", toolComponent: { name: "CWE" } }] }),
    ], rules));
    expect(s.findings.map((f) => f.cwe)).toEqual(["CWE-79", "CWE-352", "CWE-693", "CWE-22"]);
  });

  test("locations: physical uri (resolved against originalUriBaseIds), web request method, param; occurrenceCount", () => {
    const s = parseDastReport(sarif(
      [
        result("L", {
          locations: [{ physicalLocation: { artifactLocation: { uri: "search?q=1", uriBaseId: "SITE" } } }],
          webRequest: { method: "GET", target: "https://app.example/search?q=1" },
          properties: { param: "q" },
          occurrenceCount: 3,
        }),
        result("W", { webRequest: { method: "POST", target: "https://app.example/login" } }),
      ],
      [],
      { originalUriBaseIds: { SITE: { uri: "https://app.example/" } } },
    ));
    expect(s.findings.map((f) => [f.locations, f.count])).toEqual([
      [[{ uri: "https://app.example/search?q=1", method: "GET", param: "q" }], 3],
      [[{ uri: "https://app.example/login", method: "POST", param: null }], 1],
    ]);
  });

  test("confidence from properties.confidence or CodeQL-style precision", () => {
    const rules = [{ id: "A", properties: { precision: "very-high" } }, { id: "B", properties: { confidence: "Low" } }, { id: "C" }];
    const s = parseDastReport(sarif([result("A"), result("B"), result("C")], rules));
    expect(s.findings.map((f) => f.confidence)).toEqual(["high", "low", null]);
  });

  test("a failed invocation, a run with no results array, a log with no runs: not a complete scan", () => {
    const s = parseDastReport(sarif([], [], { invocations: [{ executionSuccessful: false, exitCode: 2 }] }));
    expect(s.complete).toBe(false);
    expect(s.incomplete).toEqual(["run 0 (dastscan) invocation 0 did not succeed (executionSuccessful false, exit code 2)"]);
    expect(parseDastReport(sarif([], [], { invocations: [{ executionSuccessful: true }] })).complete).toBe(true);

    const rulesOnly = sarif([]);
    delete (rulesOnly.runs as any)[0].results;
    expect(parseDastReport(rulesOnly).incomplete).toEqual(["run 0 (dastscan) has no results array: it exported rules, it did not report a scan"]);
    expect(parseDastReport({ version: "2.1.0", runs: [] }).incomplete).toEqual(["the log has no runs"]);
  });

  test("runs null (the tool failed before any run started) is a SARIF log, detected, and not a complete scan", () => {
    const f = sourceFromText("/scan/failed.sarif", '{"version":"2.1.0","runs":null}');
    expect(dastKind.detect(f)).toBe(true);
    expect(parseDastReport({ version: "2.1.0", runs: null }).incomplete).toEqual(["runs is null: the tool failed before any run started"]);
  });

  test("a rule found through result.rule.index in a tool extension", () => {
    const log = sarif([{ rule: { index: 0, toolComponent: { index: 0 } }, message: { text: "m" } }]);
    (log.runs as any)[0].tool.extensions = [{ name: "ext", rules: [{ id: "EXT-1", name: "extension rule", properties: { "security-severity": "7.5" } }] }];
    const s = parseDastReport(log);
    expect(s.findings.map((f) => [f.ruleId, f.name, f.severity])).toEqual([["EXT-1", "extension rule", "high"]]);
  });
});

describe("SARIF 2.1.0: the official schema refuses malformed logs", () => {
  test("a result without a message", () => {
    const e = parseError(sarif([{ ruleId: "X", level: "error" }]));
    expect(e.code).toBe("schema_invalid");
    expect(e.message).toContain("/runs/0/results/0 must have required property 'message'");
  });

  test("a level outside the enum", () => {
    expect(parseError(sarif([result("X", { level: "critical" })])).message).toContain('/runs/0/results/0/level must be equal to one of the allowed values ("none", "note", "warning", "error")');
  });

  test("a run without a tool, an unknown top-level property", () => {
    expect(parseError({ version: "2.1.0", runs: [{ results: [] }] }).message).toContain("/runs/0 must have required property 'tool'");
    expect(parseError({ ...sarif([]), extra: 1 }).message).toContain("must NOT have additional properties (extra)");
  });

  test("suppression review status is `status` (the standard); the 2019 draft's `state` is refused", () => {
    const e = parseError(sarif([result("X", { suppressions: [{ kind: "external", state: "accepted" }] })]));
    expect(e.code).toBe("schema_invalid");
    expect(e.message).toContain("/runs/0/results/0/suppressions/0 must NOT have additional properties (state)");
    expect(parseError(sarif([result("X", { suppressions: [{ kind: "external", status: "waived" }] })])).message)
      .toContain('/runs/0/results/0/suppressions/0/status must be equal to one of the allowed values ("accepted", "underReview", "rejected")');
  });

  test("errata 01 constraints: a region needs startLine, charOffset or byteOffset", () => {
    const loc = (region: Record<string, unknown>) => ({ locations: [{ physicalLocation: { artifactLocation: { uri: "https://app.example/x" }, region } }] });
    expect(parseDastReport(sarif([result("X", loc({ startLine: 1 }))])).total).toBe(1);
    expect(parseError(sarif([result("X", loc({ startColumn: 4 }))])).message).toContain("/runs/0/results/0/locations/0/physicalLocation/region must have required property 'startLine'");
  });

  test("the schema is the OASIS 2.1.0 errata 01 file, byte for byte", () => {
    const bytes = readFileSync(join(REPO_ROOT, "schemas/sarif-2.1.0-errata01.schema.json"));
    expect(bytes.length).toBe(112768);
    expect(sha256(bytes)).toBe("ddddcccbf95c7c50c037b5b07eff4140556278ca574ff374db46786b5fce7949");
    const schema = JSON.parse(bytes.toString("utf8"));
    expect([schema.$schema, schema.id]).toEqual([
      "http://json-schema.org/draft-04/schema#",
      "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
    ]);
  });

  test("another SARIF version is unsupported; something neither SARIF nor ZAP is schema_invalid", () => {
    const e = parseError({ ...sarif([]), version: "2.0.0" });
    expect(e.code).toBe("unsupported");
    expect(e.message).toBe('SARIF version "2.0.0" is not supported (2.1.0 only)');
    expect(parseError({ findings: [] }).message).toContain("neither a SARIF 2.1.0 log");
  });

  test("bare SARIF file under collect: kind dast; a schema-invalid one is an input error naming the file", async () => {
    const good = sourceFromText("/scan/dast.sarif", JSON.stringify(sarif([result("A", { level: "error" })])));
    const bad = sourceFromText("/scan/bad.sarif", JSON.stringify(sarif([{ ruleId: "X" }])));
    const { records, errors } = await collectEvidence([good, bad], makeVerifyContext({ time: TIME, files: [good, bad] }));
    expect(records.map((r) => [r.kind, r.source.format])).toEqual([["dast", "sarif-2.1.0"]]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.source).toBe("/scan/bad.sarif");
    expect(errors[0]!.code).toBe("schema_invalid");
  });
});

describe("helpers", () => {
  test("severityFromScore and normalizeCwe edges", () => {
    expect([10, 9, 8.99, 7, 4, 3.99, 0.1, 0.09, 0].map(severityFromScore)).toEqual(["critical", "critical", "high", "high", "medium", "low", "low", "info", "info"]);
    expect(["79", 79, "CWE-79", "cwe-079", "external/cwe/cwe-79", "CWE:79", "-1", "0", "", "xss"].map(normalizeCwe)).toEqual([
      "CWE-79", "CWE-79", "CWE-79", "CWE-79", "CWE-79", "CWE-79", null, null, null, null,
    ]);
  });

  test("the DAST predicate handler is registered for its literal type", () => {
    expect(predicateHandlerFor(DAST_PREDICATE_V01)).toBe(dastPredicate);
    expect(dastPredicate.kind).toBe("dast");
  });
});

// ---- DAST attestations end to end ------------------------------------------------------------------------

const tmp = mkdtempSync(join(tmpdir(), "tollgate-dast-"));
let n = 0;

const decide = decideBothEngines;

interface GateOutcome {
  records: EvidenceRecord[];
  deny: { rule: string; msg: string }[];
  warn: { rule: string; msg: string }[];
}

async function gate(files: SourceFile[], key: TestKey, data: Record<string, unknown> = {}): Promise<GateOutcome> {
  const trusted = [trustedKeyFromObject(key.publicKey, "test-key")];
  const ctx = makeVerifyContext({ time: TIME, keys: trusted, files });
  const { records, errors } = await collectEvidence(files, ctx);
  expect(errors).toEqual([]);
  const input = buildInputDocument(
    { time: TIME.toISOString(), subject: { digest: { sha256: SUBJECT } }, trust: { keys: trusted.map((k) => k.fingerprint), identities: [] } },
    records,
    errors,
  );
  validateInputDocument(input);
  const decision = await decide(input, data);
  return { records, deny: decision.deny, warn: decision.warn };
}

const i8 = (rs: { rule: string }[]) => [...new Set(rs.map((r) => r.rule).filter((r) => r.startsWith("I8.")))].sort();

function statementOf(predicateType: string, predicate: unknown, subject = SUBJECT) {
  return { _type: "https://in-toto.io/Statement/v1", subject: [{ name: "app", digest: { sha256: subject } }], predicateType, predicate };
}

function envelopeFile(stmt: unknown, key: TestKey): SourceFile {
  return sourceFromText(join(tmp, `att-${++n}.intoto.json`), JSON.stringify(dsse(stmt, key)));
}

describe("DAST attestations end to end (DSSE, test-time keys, real opa)", () => {
  const key = newKey("p256");
  const clean = sarif([result("INFO-1", { level: "note" })]);

  test("a clean SARIF attestation bound to the subject satisfies the requirement (I8); a low finding warns", async () => {
    const g = await gate([envelopeFile(statementOf(DAST_PREDICATE_V01, clean), key)], key, { required_evidence: ["dast"] });
    const rec = g.records[0]!;
    expect(rec.kind).toBe("dast");
    expect(rec.signature.status).toBe("verified");
    expect(rec.checks.find((c) => c.name === "predicate.schema")?.ok).toBe(true);
    expect((rec.facts as { bare?: boolean }).bare).toBe(false);
    expect(i8(g.deny)).toEqual([]);
    expect(i8(g.warn)).toEqual(["I8.dast-finding"]);
    expect(g.deny.some((d) => d.rule === "gate.required-evidence")).toBe(false);
  });

  test("the real ZAP report as the predicate: its high XSS finding denies, and the requirement fails", async () => {
    const zap = haveFixtures ? JSON.parse(readFileSync(ZAP_FIXTURE, "utf8")) : zapReport([zapAlert("1", "3", "2")]);
    const g = await gate([envelopeFile(statementOf(DAST_PREDICATE_V01, zap), key)], key, { required_evidence: ["dast"] });
    expect(i8(g.deny)).toEqual(["I8.dast-finding", "I8.dast-required"]);
    const msg = g.deny.find((d) => d.rule === "I8.dast-finding")!.msg;
    expect(msg).toContain("high finding 1");
    expect(msg).toContain("CWE-");
  });

  test("data.dast_fail_severity critical: the same high finding only warns and the attestation passes", async () => {
    const g = await gate([envelopeFile(statementOf(DAST_PREDICATE_V01, zapReport([zapAlert("40012", "3", "2")])), key)], key, { required_evidence: ["dast"], dast_fail_severity: "critical" });
    expect(i8(g.deny)).toEqual([]);
    expect(i8(g.warn)).toEqual(["I8.dast-finding"]);
  });

  test("an invalid predicate (riskcode as a number): predicate.schema fails with schema_invalid, I8.dast-attestation denies", async () => {
    const g = await gate([envelopeFile(statementOf(DAST_PREDICATE_V01, zapReport([zapAlert("7", 3 as unknown as string, "2")])), key)], key, { required_evidence: ["dast"] });
    const c = g.records[0]!.checks.find((x) => x.name === "predicate.schema")!;
    expect(c.ok).toBe(false);
    expect(c.code).toBe("schema_invalid");
    expect(c.reason).toContain("riskcode");
    expect(i8(g.deny)).toEqual(["I8.dast-attestation", "I8.dast-required"]);
  });

  test("a clean SARIF whose invocation failed: I8.dast-incomplete, requirement not met", async () => {
    const failedRun = sarif([], [], { invocations: [{ executionSuccessful: false, exitCode: 1 }] });
    const g = await gate([envelopeFile(statementOf(DAST_PREDICATE_V01, failedRun), key)], key, { required_evidence: ["dast"] });
    expect(i8(g.deny)).toEqual(["I8.dast-incomplete", "I8.dast-required"]);
    expect(g.deny.find((d) => d.rule === "I8.dast-incomplete")!.msg).toContain("executionSuccessful false, exit code 1");
  });

  test("tampered envelope: signature_failed, I8.dast-signature, requirement not met", async () => {
    const env = dsse(statementOf(DAST_PREDICATE_V01, clean), key);
    const forged = { ...env, payload: Buffer.from(JSON.stringify(statementOf(DAST_PREDICATE_V01, sarif([])))).toString("base64") };
    const g = await gate([sourceFromText(join(tmp, "forged.intoto.json"), JSON.stringify(forged))], key, { required_evidence: ["dast"] });
    expect(g.records[0]!.signature.code).toBe("signature_failed");
    expect(i8(g.deny)).toEqual(["I8.dast-required", "I8.dast-signature"]);
  });

  test("a clean scan of another artifact: requirement not met, I8.dast-subject warns", async () => {
    const g = await gate([envelopeFile(statementOf(DAST_PREDICATE_V01, clean, sha256("staging build")), key)], key, { required_evidence: ["dast"] });
    expect(i8(g.deny)).toEqual(["I8.dast-required"]);
    expect(i8(g.warn)).toContain("I8.dast-subject");
  });

  test("a bare clean report never satisfies the requirement", async () => {
    const g = await gate([sourceFromText(join(tmp, "bare.sarif"), JSON.stringify(clean))], key, { required_evidence: ["dast"] });
    expect(g.records[0]!.signature.status).toBe("unsigned");
    expect(i8(g.deny)).toEqual(["I8.dast-required"]);
    expect(i8(g.warn)).toEqual(["I8.dast-finding", "I8.dast-unbound"]);
  });

  test("a DAST run attested as test-result: PASSED satisfies I8, FAILED denies under I8 and I1", async () => {
    const cfg = [{ name: "zap-baseline.conf", digest: { sha256: sha256("zap config") } }];
    let g = await gate([envelopeFile(statementOf(TEST_RESULT_V01, { result: "PASSED", configuration: cfg, passedTests: ["zap-baseline"] }), key)], key, { required_evidence: ["dast"] });
    expect(g.records[0]!.kind).toBe("test-result");
    expect((g.records[0]!.facts as any).dast).toEqual({ recognized: true, via: "configuration-name" });
    expect(i8(g.deny)).toEqual([]);

    g = await gate([envelopeFile(statementOf(TEST_RESULT_V01, { result: "FAILED", configuration: cfg, failedTests: ["zap-baseline"] }), key)], key, { required_evidence: ["dast"] });
    expect(i8(g.deny)).toEqual(["I8.dast-required", "I8.dast-test-result-failed"]);
    expect(g.deny.some((d) => d.rule === "I1.test-result-failed")).toBe(true);
  });
});
