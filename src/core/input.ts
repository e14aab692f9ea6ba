// Input document v1: the single shape every policy sees (schemas/input-v1.schema.json).
// Built from collected evidence, validated with ajv before any evaluation, hashed for the decision record.
import schema from "../../schemas/input-v1.schema.json" with { type: "json" };
import type { EvidenceRecord, InputError } from "../evidence/types.ts";
import { sha256Hex } from "./digest.ts";
import type { DigestSet } from "./digest-set.ts";
import { TollgateError } from "./errors.ts";
import { describeErrors, validator } from "./schema.ts";

export const INPUT_API_VERSION = "tollgate/input/v1";

export interface DecisionContext {
  /** The decision instant, RFC 3339 (UTC). */
  time: string;
  environment?: string;
  /** The artifact under evaluation: its in-toto DigestSet (sha256, sha384, sha512 as computed or given). */
  subject?: { name?: string; digest: DigestSet };
  trust: { keys: string[]; identities: { issuer: string; identity: string }[] };
  params?: Record<string, unknown>;
}

export interface InputDocument {
  apiVersion: typeof INPUT_API_VERSION;
  context: DecisionContext;
  evidence: EvidenceRecord[];
  errors: InputError[];
}

export function buildInputDocument(context: DecisionContext, evidence: EvidenceRecord[], errors: InputError[]): InputDocument {
  const ctx: DecisionContext = { time: context.time, trust: context.trust };
  if (context.environment !== undefined) ctx.environment = context.environment;
  if (context.subject) ctx.subject = context.subject;
  if (context.params && Object.keys(context.params).length) ctx.params = context.params;
  return { apiVersion: INPUT_API_VERSION, context: ctx, evidence, errors };
}

/** Throws TollgateError("input_invalid") naming the first problems; a policy never sees an invalid input. */
export function validateInputDocument(doc: unknown): asserts doc is InputDocument {
  const valid = validator(schema);
  if (!valid(doc)) {
    throw new TollgateError("input_invalid", `input document does not match input v1 schema: ${describeErrors(valid.errors)}`);
  }
}

/**
 * JSON with object keys sorted, so the same evidence gives byte-identical output whatever order a module
 * built its objects in (the decision's input digest depends on it).
 */
export function stableStringify(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** `sha256:` of the canonical (sorted-key) JSON of any policy input: the decision's input digest. */
export function inputDigest(doc: unknown): string {
  return "sha256:" + sha256Hex(stableStringify(doc));
}
