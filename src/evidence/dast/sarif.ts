// SARIF 2.1.0 → DAST findings. The log is validated against the official OASIS SARIF 2.1.0 JSON Schema as
// published with the OASIS Standard and its Errata 01 (schemas/sarif-2.1.0-errata01.schema.json, kept
// verbatim as data: docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json, the
// file oasis-tcs/sarif-spec serves as Schemata/sarif-schema-2.1.0.json) before anything is read from it.
// (The 2019 committee-specification schema misspells the suppression review property `state`; the standard,
// §3.35.3, and every current producer write `status`, so that draft must not judge evidence.)
//
// Severity: `properties["security-severity"]` (result, else its rule) when it is a number 0–10, banded
// like GitHub code scanning; otherwise the result's level (result.level, else the rule's
// defaultConfiguration.level for kind fail, else SARIF's default: "warning" for fail, "none" otherwise).
// Results of kind "pass" or "notApplicable" are not findings.
import type Ajv from "ajv";
import type { ValidateFunction } from "ajv";
import { lazy } from "../../core/lazy.ts";
import sarifSchema from "../../../schemas/sarif-2.1.0-errata01.schema.json" with { type: "json" };
import { TollgateError } from "../../core/errors.ts";
import { describeErrors, precompiledValidator } from "../../core/schema.ts";
import {
  normalizeCwe,
  severityFromLevel,
  severityFromScore,
  summarize,
  type Confidence,
  type DastSummary,
  type Finding,
  type FindingLocation,
  type Severity,
} from "./findings.ts";

let validate: ValidateFunction | undefined;

/**
 * The errata schema is draft-04 (root `id`, draft-04 `$schema`); its keywords mean the same under ajv's
 * draft-07 core. ajv 8 refuses the draft-04 `id` keyword and has no draft-04 meta-schema, so `id` is
 * dropped as a keyword and the schema (trusted data) is not meta-validated. Its own ajv: the project's
 * shared instance is 2020-12.
 */
const ajvDraft7 = lazy(() => require("ajv") as { default: typeof Ajv });
const ajvFormats = lazy(() => require("ajv-formats") as { default: (a: Ajv) => void });

export function sarifValidator(): ValidateFunction {
  if (!validate) validate = precompiledValidator("sarif-2.1.0-errata01", sarifSchema);
  if (!validate) {
    const ajv = new (ajvDraft7().default)({ allErrors: true, strict: false, validateSchema: false });
    ajv.removeKeyword("id");
    ajvFormats().default(ajv);
    validate = ajv.compile(sarifSchema);
  }
  return validate;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/**
 * Content sniffing: a SARIF log has `version` and `runs` (an array, or null when the tool failed before
 * any run started, §3.13.4); anything claiming SARIF by $schema counts too.
 */
export function looksLikeSarif(json: unknown): json is Obj {
  if (!isObj(json) || !(Array.isArray(json.runs) || json.runs === null) || typeof json.version !== "string") return false;
  return json.version === "2.1.0" || (typeof json.$schema === "string" && /sarif/i.test(json.$schema));
}

/** Pure: validate (throws `unsupported` / `schema_invalid`) and normalize. */
export function parseSarif(json: unknown): DastSummary {
  if (!isObj(json)) throw new TollgateError("malformed", "SARIF log is not a JSON object");
  if (json.version !== "2.1.0") throw new TollgateError("unsupported", `SARIF version ${JSON.stringify(json.version)} is not supported (2.1.0 only)`);
  const v = sarifValidator();
  if (!v(json)) throw new TollgateError("schema_invalid", `not a valid SARIF 2.1.0 log (OASIS schema, errata 01): ${describeErrors(v.errors)}`);

  const findings: Finding[] = [];
  const targets: string[] = [];
  // A scan is shown finished only by runs that carry a results array and no failed invocation (SARIF
  // §3.14.23: a run without results only exports rules metadata).
  const incomplete: string[] = [];
  let toolName = "";
  let toolVersion: string | null = null;
  const runs = arr(json.runs).filter(isObj);
  if (json.runs === null) incomplete.push("runs is null: the tool failed before any run started");
  else if (!runs.length) incomplete.push("the log has no runs");
  for (const [i, run] of runs.entries()) {
    const tool = isObj(run.tool) ? run.tool : {};
    const driver = isObj(tool.driver) ? tool.driver : {};
    const name = str(driver.name) ?? "unknown";
    toolName ||= name;
    toolVersion ??= str(driver.semanticVersion) ?? str(driver.version);
    if (!Array.isArray(run.results)) incomplete.push(`run ${i} (${name}) has no results array: it exported rules, it did not report a scan`);
    for (const [j, inv] of arr(run.invocations).entries()) {
      if (isObj(inv) && inv.executionSuccessful === false) {
        const code = typeof inv.exitCode === "number" ? `, exit code ${inv.exitCode}` : "";
        incomplete.push(`run ${i} (${name}) invocation ${j} did not succeed (executionSuccessful false${code})`);
      }
    }
    for (const result of arr(run.results).filter(isObj)) {
      const f = sarifFinding(result, run, driver, name);
      if (f) findings.push(f);
      const target = isObj(result.analysisTarget) ? str(result.analysisTarget.uri) : null;
      if (target) targets.push(target);
    }
  }
  return summarize("sarif-2.1.0", { name: toolName || "unknown", version: toolVersion }, targets, incomplete, findings);
}

/** The rule descriptor a result refers to: by index (in the driver or the extension it names), else by id. */
function ruleOf(result: Obj, run: Obj, driver: Obj): Obj | undefined {
  const ref = isObj(result.rule) ? result.rule : {};
  let component = driver;
  const tc = isObj(ref.toolComponent) ? ref.toolComponent : undefined;
  if (tc && typeof tc.index === "number" && tc.index >= 0) {
    const ext = arr(isObj(run.tool) ? run.tool.extensions : undefined)[tc.index];
    if (isObj(ext)) component = ext;
  }
  const rules = arr(component.rules).filter(isObj);
  const index = typeof result.ruleIndex === "number" && result.ruleIndex >= 0 ? result.ruleIndex : typeof ref.index === "number" && ref.index >= 0 ? ref.index : undefined;
  if (index !== undefined && rules[index]) return rules[index];
  const id = str(result.ruleId) ?? str(ref.id);
  return id ? rules.find((r) => r.id === id) : undefined;
}

function prop(o: Obj | undefined, key: string): unknown {
  return o && isObj(o.properties) ? o.properties[key] : undefined;
}

function securitySeverity(result: Obj, rule: Obj | undefined): number | undefined {
  for (const raw of [prop(result, "security-severity"), prop(rule, "security-severity")]) {
    const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
    if (Number.isFinite(n) && n >= 0 && n <= 10) return n;
  }
  return undefined;
}

function confidenceOf(result: Obj, rule: Obj | undefined): Confidence | null {
  const raw = [prop(result, "confidence"), prop(rule, "confidence"), prop(rule, "precision")].find((x) => typeof x === "string") as string | undefined;
  switch (raw?.toLowerCase().replace(/[\s_]+/g, "-")) {
    case "confirmed":
    case "user-confirmed":
      return "confirmed";
    case "very-high":
    case "high":
      return "high";
    case "medium":
      return "medium";
    case "low":
      return "low";
    case "false-positive":
      return "false-positive";
    default:
      return null;
  }
}

/** The first CWE the result or its rule names: properties.cwe, tags, a CWE taxonomy relationship or taxon. */
function cweOf(result: Obj, rule: Obj | undefined): string | null {
  const candidates: unknown[] = [];
  for (const o of [result, rule]) {
    const c = prop(o, "cwe");
    if (Array.isArray(c)) candidates.push(...c);
    else if (c !== undefined) candidates.push(c);
    for (const t of arr(prop(o, "tags"))) if (typeof t === "string" && /cwe/i.test(t)) candidates.push(t);
  }
  const refs = [...arr(rule?.relationships).map((r) => (isObj(r) ? r.target : undefined)), ...arr(result.taxa)];
  for (const ref of refs.filter(isObj)) {
    const tc = isObj(ref.toolComponent) ? ref.toolComponent : {};
    if (typeof tc.name === "string" && /^cwe$/i.test(tc.name)) candidates.push(ref.id);
  }
  for (const c of candidates) {
    const cwe = normalizeCwe(c);
    if (cwe) return cwe;
  }
  return null;
}

function locationsOf(result: Obj, run: Obj): FindingLocation[] {
  const web = isObj(result.webRequest) ? result.webRequest : {};
  const method = str(web.method);
  const param = str(prop(result, "param"));
  const bases = isObj(run.originalUriBaseIds) ? run.originalUriBaseIds : {};
  const out: FindingLocation[] = [];
  for (const loc of arr(result.locations).filter(isObj)) {
    const phys = isObj(loc.physicalLocation) ? loc.physicalLocation : {};
    const al = isObj(phys.artifactLocation) ? phys.artifactLocation : {};
    let uri = str(al.uri);
    const baseId = str(al.uriBaseId);
    const base = baseId && isObj(bases[baseId]) ? str((bases[baseId] as Obj).uri) : null;
    if (uri !== null && base) {
      try {
        uri = new URL(uri, base).href;
      } catch {
        /* keep the relative uri as written */
      }
    }
    out.push({ uri, method, param: param ?? str(prop(loc, "param")) });
  }
  if (!out.length && (str(web.target) || method)) out.push({ uri: str(web.target), method, param });
  return out;
}

function isSuppressed(result: Obj): boolean {
  const s = arr(result.suppressions).filter(isObj);
  // SARIF §3.27.23 / §3.35.3: suppressed unless a suppression is still under review or was rejected
  // (a suppression without a status is accepted).
  return s.length > 0 && s.every((x) => x.status === undefined || x.status === "accepted");
}

function sarifFinding(result: Obj, run: Obj, driver: Obj, tool: string): Finding | undefined {
  const kind = str(result.kind) ?? "fail";
  if (kind === "pass" || kind === "notApplicable") return undefined;
  const rule = ruleOf(result, run, driver);
  const ruleId = str(result.ruleId) ?? (isObj(result.rule) ? str(result.rule.id) : null) ?? str(rule?.id) ?? "(no rule id)";
  const message = isObj(result.message) ? str(result.message.text) : null;
  const name =
    str(rule?.name) ??
    (isObj(rule?.shortDescription) ? str((rule!.shortDescription as Obj).text) : null) ??
    message?.split("\n")[0] ??
    ruleId;

  const score = securitySeverity(result, rule);
  let severity: Severity;
  let severitySource: Finding["severitySource"];
  if (score !== undefined) {
    severity = severityFromScore(score);
    severitySource = "security-severity";
  } else {
    const dc = isObj(rule?.defaultConfiguration) ? (rule!.defaultConfiguration as Obj) : {};
    const level = (str(result.level) ?? (kind === "fail" ? (str(dc.level) ?? "warning") : "none")) as "error" | "warning" | "note" | "none";
    severity = severityFromLevel(level);
    severitySource = "level";
  }
  return {
    ruleId,
    pluginId: null,
    name,
    severity,
    severitySource,
    confidence: confidenceOf(result, rule),
    locations: locationsOf(result, run),
    cwe: cweOf(result, rule),
    count: typeof result.occurrenceCount === "number" ? result.occurrenceCount : 1,
    suppressed: isSuppressed(result),
    tool,
  };
}
