// OWASP ZAP "traditional JSON" report → DAST findings. ZAP writes every scalar as a string: riskcode
// "0".."3" (Informational, Low, Medium, High), confidence "0".."4" (False Positive, Low, Medium, High,
// User Confirmed), count and cweid as decimal strings. A report with numbers there is not ZAP's and is
// refused rather than guessed at.
import { TollgateError } from "../../core/errors.ts";
import { describeErrors, validator } from "../../core/schema.ts";
import { normalizeCwe, summarize, type Confidence, type DastSummary, type Finding, type Severity } from "./findings.ts";
import zapTraditionalJsonSchema from "../../../schemas/zap-traditional-json.schema.json" with { type: "json" };

interface ZapInstance {
  uri?: string;
  method?: string;
  param?: string;
}

interface ZapAlert {
  pluginid: string;
  alert?: string;
  name?: string;
  riskcode: "0" | "1" | "2" | "3";
  confidence: "0" | "1" | "2" | "3" | "4";
  count?: string;
  cweid?: string;
  instances?: ZapInstance[];
}

interface ZapReport {
  "@programName"?: string;
  "@version"?: string;
  site: { "@name": string; alerts: ZapAlert[] }[];
}

const RISK: Record<ZapAlert["riskcode"], Severity> = { "0": "info", "1": "low", "2": "medium", "3": "high" };
const CONFIDENCE: Record<ZapAlert["confidence"], Confidence> = { "0": "false-positive", "1": "low", "2": "medium", "3": "high", "4": "confirmed" };

/** Content sniffing: a `site` array plus ZAP's `@`-prefixed report attributes. */
export function looksLikeZap(json: unknown): boolean {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return false;
  const o = json as Record<string, unknown>;
  return Array.isArray(o.site) && ["@programName", "@version", "@generated"].some((k) => typeof o[k] === "string");
}

/** Pure: validate (throws `schema_invalid`) and normalize. */
export function parseZap(json: unknown): DastSummary {
  const v = validator(zapTraditionalJsonSchema);
  if (!v(json)) throw new TollgateError("schema_invalid", `not a ZAP traditional JSON report: ${describeErrors(v.errors)}`);
  const report = json as ZapReport;
  const tool = report["@programName"] ?? "OWASP ZAP";
  const findings: Finding[] = [];
  for (const site of report.site) {
    for (const a of site.alerts) {
      const instances = a.instances ?? [];
      const confidence = CONFIDENCE[a.confidence];
      findings.push({
        ruleId: a.pluginid,
        pluginId: a.pluginid,
        name: a.name ?? a.alert ?? a.pluginid,
        severity: RISK[a.riskcode],
        severitySource: "riskcode",
        confidence,
        // ZAP writes "" for what an instance does not have (a header alert has no param): that is no value.
        locations: instances.map((i) => ({ uri: i.uri || null, method: i.method || null, param: i.param || null })),
        cwe: a.cweid ? normalizeCwe(a.cweid) : null,
        count: a.count !== undefined ? Number(a.count) : Math.max(instances.length, 1),
        // A reviewer marking an alert False Positive in ZAP is ZAP's suppression.
        suppressed: confidence === "false-positive",
        tool,
      });
    }
  }
  const incomplete = report.site.length ? [] : ["the report covers no site: nothing was scanned"];
  return summarize("zap-traditional-json", { name: tool, version: report["@version"] ?? null }, report.site.map((s) => s["@name"]), incomplete, findings);
}
