// One finding model for every DAST report format (SARIF 2.1.0, ZAP traditional JSON), and the summary
// facts policies read. Severities are ordered; suppressed findings (a SARIF suppression accepted by a
// reviewer, a ZAP alert marked False Positive) are kept for the record but never counted.

export const SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export type Confidence = "confirmed" | "high" | "medium" | "low" | "false-positive";

export interface FindingLocation {
  uri: string | null;
  method: string | null;
  param: string | null;
}

export interface Finding {
  /** SARIF ruleId, or ZAP pluginid. */
  ruleId: string;
  /** ZAP's plugin id (same as ruleId for ZAP), null for SARIF. */
  pluginId: string | null;
  name: string;
  severity: Severity;
  /** Where the severity came from: `security-severity`, `level` (SARIF) or `riskcode` (ZAP). */
  severitySource: "security-severity" | "level" | "riskcode";
  confidence: Confidence | null;
  locations: FindingLocation[];
  /** `CWE-<n>`, or null when the report names none. */
  cwe: string | null;
  /** How many times it was observed (ZAP `count`, SARIF `occurrenceCount`, else 1). */
  count: number;
  suppressed: boolean;
  tool: string;
}

export type SeverityCounts = Record<Severity, number>;

export interface DastSummary {
  format: "sarif-2.1.0" | "zap-traditional-json";
  tool: { name: string; version: string | null };
  /** Sites (ZAP) or analysis targets (SARIF) the scan covered. */
  targets: string[];
  /** False when the report does not show a finished scan (see `incomplete` for why). */
  complete: boolean;
  /** Why the scan is not complete: a failed invocation, a run with no results array, nothing scanned. */
  incomplete: string[];
  findings: Finding[];
  /** Unsuppressed findings by severity. */
  counts: SeverityCounts;
  suppressedCount: number;
  /** The worst unsuppressed severity, or "none". */
  highestSeverity: Severity | "none";
  total: number;
}

/** CVSS-like score → severity (GitHub's security-severity bands: 9.0+, 7.0+, 4.0+, 0.1+). */
export function severityFromScore(score: number): Severity {
  if (score >= 9) return "critical";
  if (score >= 7) return "high";
  if (score >= 4) return "medium";
  if (score >= 0.1) return "low";
  return "info";
}

/** SARIF result level → severity when no security-severity is given. */
export function severityFromLevel(level: "error" | "warning" | "note" | "none"): Severity {
  return level === "error" ? "high" : level === "warning" ? "medium" : level === "note" ? "low" : "info";
}

/** `79`, `"79"`, `"CWE-79"`, `"external/cwe/cwe-079"` → `CWE-79`; anything else → null. */
export function normalizeCwe(v: unknown): string | null {
  const s = typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : "";
  const m = /^(?:cwe[\s/:-]*)?0*(\d+)$/i.exec(s.replace(/^external\/cwe\//i, ""));
  if (!m) return null;
  const n = Number(m[1]);
  return n > 0 ? `CWE-${n}` : null;
}

export function summarize(
  format: DastSummary["format"],
  tool: DastSummary["tool"],
  targets: string[],
  incomplete: string[],
  findings: Finding[],
): DastSummary {
  const counts: SeverityCounts = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  let suppressedCount = 0;
  for (const f of findings) {
    if (f.suppressed) suppressedCount++;
    else counts[f.severity]++;
  }
  const highest = SEVERITIES.find((s) => counts[s] > 0) ?? "none";
  return {
    format, tool, targets: [...new Set(targets)], complete: incomplete.length === 0, incomplete,
    findings, counts, suppressedCount, highestSeverity: highest, total: findings.length,
  };
}
