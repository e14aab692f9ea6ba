// In-toto predicates share one envelope layer (bare Statement, DSSE, Sigstore bundle: see attestation/).
// Each predicate type that tollgate understands is one handler; the envelope layer hands it the verified
// statement and takes back the evidence kind and its normalized facts.

import { TollgateError } from "../core/errors.ts";
import type { Check, PredicateLogFacts, SourceFile, VerifyContext } from "./types.ts";

export interface InTotoSubject {
  name?: string;
  digest: Record<string, string>;
}

export interface InTotoStatement {
  _type: string;
  subject: InTotoSubject[];
  predicateType: string;
  predicate?: unknown;
}

export interface PredicateHandler {
  /** Evidence kind in the input document (`slsa-provenance`, `test-result`, …). */
  readonly kind: string;
  /** Literal string match on predicateType (never dereference the URL). */
  readonly predicateTypes: readonly string[];
  /** Pure: predicate → facts. Throws TollgateError("schema_invalid") when the predicate is not of its type's shape. */
  facts(predicate: unknown, statement: InTotoStatement): Record<string, unknown>;
  /**
   * Checks the predicate needs beyond the envelope's signature (files it names re-hashed, a log proof it
   * carries), run after facts() succeeded. Never throws for a verification failure. `facts` are merged over
   * facts(). `transparency`, when given, is the predicate's own log result (it carries its own log entry): it
   * becomes `facts.transparency`, never the record's `transparency` (the envelope's).
   */
  verify?(statement: InTotoStatement, file: SourceFile, ctx: VerifyContext): Promise<{ checks: Check[]; transparency?: PredicateLogFacts; facts?: Record<string, unknown> }>;
  /** Paths of files in this invocation that the predicate names (they are materials, not evidence). */
  materials?(statement: InTotoStatement, file: SourceFile, all: readonly SourceFile[]): string[];
}

export { IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_LEGACY, IN_TOTO_STATEMENT_V1 } from "../core/intoto.ts";

/** The field checks a hand-read predicate shares: each failure is schema_invalid, "<name> predicate: <where> ...". */
export function predicateChecks(name: string): {
  bad(msg: string): never;
  obj(v: unknown, where: string): Record<string, unknown>;
  str(v: unknown, where: string): string;
} {
  const bad = (msg: string): never => {
    throw new TollgateError("schema_invalid", `${name} predicate: ${msg}`);
  };
  return {
    bad,
    obj(v, where) {
      if (v === null || typeof v !== "object" || Array.isArray(v)) bad(`${where} must be an object`);
      return v as Record<string, unknown>;
    },
    str(v, where) {
      if (typeof v !== "string" || v === "") bad(`${where} must be a non-empty string`);
      return v as string;
    },
  };
}
