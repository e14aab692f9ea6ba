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
  /** `assurance.claim_set` as written (strict knows only invarlock-weight-edit-regression-v1), or null. */
  claim_set: string | null;
  /** The guard chain the report observed, resolved as invarlock does (assurance.guard_chain_observed,
   *  context.guard_chain_observed, guards[].name, plugins.guards), in order with repeats. */
  guard_chain_observed: string[];
  /** guard_chain_observed is exactly the canonical chain: the flag canonical_guard_chain_enforced alone is a claim. */
  guard_chain_canonical: boolean;
  /** report_build events that make a report non-strict (synthesized, repaired or fallback fields), as
   *  `category: field (reason)`; invarlock exempts only display_ci computed from the primary metric's ci. */
  report_build_events: string[];
  /** Each strict guard's section read as invarlock's GuardEvidence reads it (null fields when absent). */
  guard_evidence: GuardEvidence[];
  /** `assurance.runtime_provenance_declared` / `…_verification_status` as written, or null. */
  runtime_provenance_verification_status: string | null;
  /** The report declares invarlock's development-only tiny_relax mode (never strict). */
  tiny_relax: boolean;
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

/** One strict guard's section as invarlock's GuardEvidence.from_report_block reads it. */
export interface GuardEvidence {
  name: string;
  present: boolean;
  /** The decision after invarlock's defaulting: as written when a non-empty string; else "allow"/"block" from
   *  `passed`; "" when the section has neither `decision` nor `passed`. */
  decision: string;
  passed: boolean | null;
  status: string | null;
  supported: boolean | null;
  assurance_blocking: boolean | null;
  reason: string | null;
}

export const CANONICAL_GUARD_CHAIN = ["invariants", "spectral", "rmt", "variance", "invariants"] as const;

/** report_build categories whose events mean the report was not built from evidence alone. */
const REPORT_BUILD_CATEGORIES = ["synthesized_fields", "repaired_fields", "fallback_fields"] as const;

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

  const guard_chain_observed = observedGuardChain(report);
  // The chain's guards, and every strict guard whose section is there even when the chain leaves it out.
  const names = [...new Set([...guardNames(report), ...STRICT_GUARDS.filter((g) => isObject(report[g]))])];
  const guards = names.map((name): GuardOutcome => {
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
    profile: reportProfile(assurance, report),
    tier: reportTier(assurance, report),
    blocking_reasons: Array.isArray(assurance.blocking_reasons) ? assurance.blocking_reasons.filter((r): r is string => typeof r === "string") : [],
    runtime_provenance_declared: str(assurance.runtime_provenance_declared),
    validation,
    validation_failed,
    guards,
    guards_blocking,
    canonical_guard_chain_enforced: typeof assurance.canonical_guard_chain_enforced === "boolean" ? assurance.canonical_guard_chain_enforced : null,
    fallback_fields_used: typeof assurance.fallback_fields_used === "boolean" ? assurance.fallback_fields_used : null,
    guards_missing,
    claim_set: str(assurance.claim_set),
    guard_chain_observed,
    guard_chain_canonical: guard_chain_observed.length === CANONICAL_GUARD_CHAIN.length && guard_chain_observed.every((g, i) => g === CANONICAL_GUARD_CHAIN[i]),
    report_build_events: reportBuildEvents(report),
    guard_evidence: STRICT_GUARDS.map((g) => guardEvidence(g, report[g])),
    runtime_provenance_verification_status: str(assurance.runtime_provenance_verification_status),
    tiny_relax: tinyRelax(report),
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

const lowerTrim = (v: unknown): string | null => (typeof v === "string" ? v.trim().toLowerCase() : null);

/** invarlock's _report_profile: assurance.profile, else context.profile (trimmed, lower-cased). */
function reportProfile(assurance: Record<string, unknown>, report: Record<string, unknown>): string | null {
  return lowerTrim(assurance.profile) ?? (isObject(report.context) ? lowerTrim(report.context.profile) : null);
}

/** invarlock's _report_tier: assurance.tier, auto.tier, context.auto.tier, context.tier. */
function reportTier(assurance: Record<string, unknown>, report: Record<string, unknown>): string | null {
  const ctx = isObject(report.context) ? report.context : {};
  return (
    lowerTrim(assurance.tier) ??
    (isObject(report.auto) ? lowerTrim(report.auto.tier) : null) ??
    (isObject(ctx.auto) ? lowerTrim(ctx.auto.tier) : null) ??
    lowerTrim(ctx.tier)
  );
}

const stringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

/** invarlock's observed_guard_chain_from_report: the first of these that is present, repeats kept. */
function observedGuardChain(report: Record<string, unknown>): string[] {
  const assurance = isObject(report.assurance) ? report.assurance : {};
  if (stringList(assurance.guard_chain_observed)) return [...assurance.guard_chain_observed];
  if (isObject(report.context) && stringList(report.context.guard_chain_observed)) return [...report.context.guard_chain_observed];
  if (Array.isArray(report.guards)) {
    const names = report.guards.filter((g): g is Record<string, unknown> => isObject(g) && typeof g.name === "string").map((g) => g.name as string);
    if (names.length) return names;
  }
  if (isObject(report.plugins) && stringList(report.plugins.guards)) return [...report.plugins.guards];
  return [];
}

/** Blocking report_build events (invarlock's report_build_has_blocking_evidence_events), described. */
function reportBuildEvents(report: Record<string, unknown>): string[] {
  const section = report.report_build;
  if (!isObject(section)) return [];
  const out: string[] = [];
  for (const category of REPORT_BUILD_CATEGORIES) {
    const events = section[category];
    if (!Array.isArray(events)) continue;
    for (const e of events) {
      const field = isObject(e) ? str(e.field) : null;
      const reason = isObject(e) ? str(e.reason) : null;
      if (field === "primary_metric.display_ci" && reason === "computed_from_primary_metric_ci") continue;
      out.push(`${category}: ${field ?? JSON.stringify(e)}${reason ? ` (${reason})` : ""}`);
    }
  }
  return out;
}

function guardEvidence(name: string, block: unknown): GuardEvidence {
  if (!isObject(block)) return { name, present: false, decision: "", passed: null, status: null, supported: null, assurance_blocking: null, reason: null };
  const passed = typeof block.passed === "boolean" ? block.passed : null;
  let decision = typeof block.decision === "string" && block.decision ? block.decision : block.passed ? "allow" : "block";
  if (!("decision" in block) && !("passed" in block)) decision = "";
  const text = (v: unknown) => (v === null || v === undefined ? null : typeof v === "string" ? v : JSON.stringify(v));
  return {
    name,
    present: Object.keys(block).length > 0,
    decision,
    passed,
    status: text(block.status),
    supported: typeof block.supported === "boolean" ? block.supported : null,
    assurance_blocking: typeof block.assurance_blocking === "boolean" ? block.assurance_blocking : null,
    reason: text(block.reason),
  };
}

const TRUTHY = new Set(["1", "true", "yes", "on"]);
const FALSY = new Set(["0", "false", "no", "off"]);

/** invarlock's report_tiny_relax_enabled: context.run/eval.tiny_relax, auto.tiny_relax, provenance.flags. */
function tinyRelax(report: Record<string, unknown>): boolean {
  const coerce = (v: unknown): boolean | null => {
    if (typeof v === "boolean") return v;
    if (v === 0 || v === 1) return v === 1;
    if (typeof v === "string") {
      const t = v.trim().toLowerCase();
      if (TRUTHY.has(t)) return true;
      if (FALSY.has(t)) return false;
    }
    return null;
  };
  if (isObject(report.context)) {
    for (const owner of ["run", "eval"]) {
      const o = report.context[owner];
      const r = isObject(o) ? coerce(o.tiny_relax) : null;
      if (r !== null) return r;
    }
  }
  const r = isObject(report.auto) ? coerce(report.auto.tiny_relax) : null;
  if (r !== null) return r;
  const flags = isObject(report.provenance) ? report.provenance.flags : undefined;
  return Array.isArray(flags) && flags.some((f) => String(f).trim().toLowerCase() === "tiny_relax");
}
