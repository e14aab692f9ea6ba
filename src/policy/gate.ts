// The decision every gate entrypoint returns: {allow, deny: [result], warn: [result]}. Results come out of
// WASM as sets (arrays in no promised order); they are checked and sorted so reports are deterministic.
import { TollgateError } from "../core/errors.ts";
import type { PolicyEngine } from "./evaluator.ts";

export interface PolicyResult {
  rule: string;
  msg: string;
  evidence?: string | null;
  severity?: string;
  remediation?: string;
}

export interface Decision {
  allow: boolean;
  deny: PolicyResult[];
  warn: PolicyResult[];
  /** The SLSA levels the policy says the decision verifies (tollgate/gate: `verified_levels`), for --emit-vsa. */
  verified_levels?: string[];
}

export function evaluateDecision(engine: PolicyEngine, entrypoint: string, input: unknown): Decision {
  const raw = engine.evaluate(entrypoint, input);
  return toDecision(raw, `${engine.bundle.source} ${entrypoint}`);
}

/** Validate the shape; a policy returning anything else is a policy error (exit 2), never an admit. */
export function toDecision(raw: unknown, where: string): Decision {
  if (raw === undefined) {
    throw new TollgateError("policy_invalid", `${where} is undefined for this input (the gate entrypoint must always produce a decision)`);
  }
  const d = raw as Partial<Decision>;
  if (typeof d !== "object" || d === null || typeof d.allow !== "boolean") {
    throw new TollgateError("policy_invalid", `${where} did not return {allow: bool, deny: [...], warn: [...]}`);
  }
  const deny = results(d.deny, where, "deny");
  const warn = results(d.warn, where, "warn");
  // Fail closed: a policy that says allow while listing denials is not trusted to mean allow.
  const out: Decision = { allow: d.allow && deny.length === 0, deny, warn };
  const levels = (raw as { verified_levels?: unknown }).verified_levels;
  if (Array.isArray(levels) && levels.every((l) => typeof l === "string")) out.verified_levels = [...levels].sort();
  return out;
}

function results(v: unknown, where: string, field: string): PolicyResult[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new TollgateError("policy_invalid", `${where}: ${field} is not a set of results`);
  return v
    .map((r) => {
      if (typeof r === "string") return { rule: field, msg: r }; // conftest-style string messages
      if (!r || typeof r !== "object" || typeof (r as PolicyResult).msg !== "string") {
        throw new TollgateError("policy_invalid", `${where}: ${field} has a result without msg`);
      }
      const x = r as PolicyResult;
      return { ...x, rule: typeof x.rule === "string" ? x.rule : field };
    })
    .sort(compareResults);
}

function compareResults(a: PolicyResult, b: PolicyResult): number {
  return cmp(a.rule, b.rule) || cmp(a.evidence ?? "", b.evidence ?? "") || cmp(a.msg, b.msg);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
