// invarlock evaluation.report.json: the outcome facts a gate needs (assurance verdict, validation flags,
// guard decisions), read from the report a manifest is bound to. Only fields invarlock writes are read;
// anything absent stays null so the policy can fail closed on it.

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

export interface GuardOutcome {
  name: string;
  /** `allow` | `block` | … as the guard wrote it, or null. */
  decision: string | null;
  /** `pass` | `fail` | … or null. */
  status: string | null;
  passed: boolean | null;
}

export interface ReportOutcome {
  /** `assurance.verdict` (`pass` | `fail` | …), null when the report carries none. */
  verdict: string | null;
  verified_assurance_verdict: string | null;
  report_local_verdict: string | null;
  assurance_mode: string | null;
  profile: string | null;
  tier: string | null;
  blocking_reasons: string[];
  runtime_provenance_declared: string | null;
  /** Every boolean under `validation`, as written. */
  validation: Record<string, boolean>;
  /** Names of the `validation` flags that are false, sorted. */
  validation_failed: string[];
  guards: GuardOutcome[];
  /** Guards that blocked or did not pass, in chain order. */
  guards_blocking: string[];
  run_id: string | null;
  schema_version: string | null;
  /** `assurance.canonical_guard_chain_enforced` as written (strict needs true), or null. */
  canonical_guard_chain_enforced: boolean | null;
  /** `assurance.fallback_fields_used` as written (strict forbids true), or null. */
  fallback_fields_used: boolean | null;
  /** Of the guards strict assurance needs evidence from (spectral, rmt, variance, invariants), those whose
   *  section is absent or empty, in that order. */
  guards_missing: string[];
  /** The execution mode the report itself declares (meta, context.runtime, provenance), or null. */
  execution_mode: string | null;
  /**
   * The verdict admits: `pass`, or `pending_verifier` with report_local_verdict `pass` — what invarlock writes
   * for a strict run that passed every local check and awaits the runtime-provenance verification (manifest
   * binding plus the independently supplied image digest) that this gate performs; `invarlock verify
   * --assurance strict` accepts exactly these two.
   */
  verdict_ok: boolean;
  /** verdict_ok, no validation flag is false and no guard blocked. */
  passed: boolean;
}

/** The guards invarlock's strict assurance needs evidence from (assurance.strict_report_policy_errors). */
export const STRICT_GUARDS = ["spectral", "rmt", "variance", "invariants"] as const;

/** Content sniffing for an invarlock evaluation report: an assurance block, validation flags, a guard chain. */
export function looksLikeEvaluationReport(json: unknown): boolean {
  return (
    isObject(json) &&
    isObject(json.assurance) &&
    isObject(json.validation) &&
    (Array.isArray(json.guards) || typeof json.schema_version === "string") &&
    !("manifest_version" in json)
  );
}

/** Pure: the parsed report → outcome facts. */
export function reportOutcome(report: Record<string, unknown>): ReportOutcome {
  const assurance = isObject(report.assurance) ? report.assurance : {};
  const validationIn = isObject(report.validation) ? report.validation : {};
  const validation: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(validationIn)) if (typeof v === "boolean") validation[k] = v;
  const validation_failed = Object.keys(validation).filter((k) => validation[k] === false).sort();

  const guards = guardNames(report).map((name): GuardOutcome => {
    const g = isObject(report[name]) ? (report[name] as Record<string, unknown>) : {};
    return { name, decision: str(g.decision), status: str(g.status), passed: typeof g.passed === "boolean" ? g.passed : null };
  });
  const guards_blocking = guards.filter((g) => g.decision === "block" || g.passed === false || g.status === "fail").map((g) => g.name);

  const guards_missing = STRICT_GUARDS.filter((g) => !isObject(report[g]) || Object.keys(report[g] as object).length === 0);

  const meta = isObject(report.meta) ? report.meta : {};
  const ctxRuntime = isObject(report.context) && isObject(report.context.runtime) ? report.context.runtime : {};
  const provenance = isObject(report.provenance) ? report.provenance : {};
  const verdict = str(assurance.verdict);
  const report_local_verdict = str(assurance.report_local_verdict);
  const verdict_ok = verdict === "pass" || (verdict === "pending_verifier" && report_local_verdict === "pass");

  return {
    verdict,
    verified_assurance_verdict: str(assurance.verified_assurance_verdict),
    report_local_verdict,
    assurance_mode: str(assurance.mode),
    profile: str(assurance.profile) ?? str(meta.profile) ?? (isObject(report.context) ? str(report.context.profile) : null),
    tier: str(assurance.tier) ?? (isObject(report.auto) ? str(report.auto.tier) : null),
    blocking_reasons: Array.isArray(assurance.blocking_reasons) ? assurance.blocking_reasons.filter((r): r is string => typeof r === "string") : [],
    runtime_provenance_declared: str(assurance.runtime_provenance_declared),
    validation,
    validation_failed,
    guards,
    guards_blocking,
    canonical_guard_chain_enforced: typeof assurance.canonical_guard_chain_enforced === "boolean" ? assurance.canonical_guard_chain_enforced : null,
    fallback_fields_used: typeof assurance.fallback_fields_used === "boolean" ? assurance.fallback_fields_used : null,
    guards_missing,
    run_id: str(report.run_id),
    schema_version: str(report.schema_version),
    execution_mode: str(meta.execution_mode) ?? str(ctxRuntime.execution_mode) ?? str(provenance.execution_mode),
    verdict_ok,
    passed: verdict_ok && validation_failed.length === 0 && guards_blocking.length === 0,
  };
}

/** The guard chain as the report lists it (`guards[].name`, else `plugins.guards`), each name once. */
function guardNames(report: Record<string, unknown>): string[] {
  const names: string[] = [];
  if (Array.isArray(report.guards)) {
    for (const g of report.guards) if (isObject(g) && typeof g.name === "string") names.push(g.name);
  }
  if (!names.length && isObject(report.plugins) && Array.isArray(report.plugins.guards)) {
    for (const g of report.plugins.guards) if (typeof g === "string") names.push(g);
  }
  return [...new Set(names)];
}
