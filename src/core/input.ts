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
  return JSON.stringify(sorted(value), null, indent);
}

/**
 * `v` with every object's keys in sorted order: the value itself where it already is (inputs written by tollgate
 * or by sorted-key encoders, so the gate's per-request digest copies little), else a copy. JS lists array-index
 * keys ("0", "17") first in numeric order whatever the insertion order, so "sorted" means: the index keys, then the
 * others in code-unit order. Anything but a plain object or an array is copied as a plain object of its own
 * enumerable keys (a Date becomes {}), as it always was.
 */
function sorted(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const y = sorted(x);
      if (y !== x) (out ??= v.slice())[i] = y;
    }
    return out ?? v;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  let named = 0;
  while (named < keys.length && isIndexKey(keys[named]!)) named++;
  const proto = Object.getPrototypeOf(o);
  let inOrder = proto === Object.prototype || proto === null;
  for (let i = named + 1; inOrder && i < keys.length; i++) if (!(keys[i - 1]! < keys[i]!)) inOrder = false;
  if (!inOrder) {
    const out: Record<string, unknown> = {};
    const order = named ? [...keys.slice(0, named), ...keys.slice(named).sort()] : keys.sort();
    for (const k of order) {
      const x = o[k];
      if (x !== undefined) put(out, k, sorted(x));
    }
    return out;
  }
  let out: Record<string, unknown> | undefined;
  for (const k of keys) {
    const x = o[k];
    const y = sorted(x);
    if (y !== x) put((out ??= { ...o }), k, y);
  }
  return out ?? o;
}

/** out[k] = x, where a "__proto__" member (JSON.parse makes it an own key) stays a member, not the prototype. */
function put(out: Record<string, unknown>, k: string, x: unknown): void {
  if (k === "__proto__") Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
  else out[k] = x;
}

/** Whether `k` is an array index ("0", "17", below 2^32 - 1). */
function isIndexKey(k: string): boolean {
  const c = k.charCodeAt(0);
  if (c < 0x30 || c > 0x39) return false;
  if (c === 0x30) return k.length === 1;
  for (let i = 1; i < k.length; i++) {
    const d = k.charCodeAt(i);
    if (d < 0x30 || d > 0x39) return false;
  }
  return Number(k) < 4294967295;
}

/** `sha256:` of the canonical (sorted-key) JSON of any policy input: the decision's input digest. */
export function inputDigest(doc: unknown): string {
  return "sha256:" + sha256Hex(stableStringify(doc));
}
