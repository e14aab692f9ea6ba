// The in-toto predicate handlers the attestation envelope dispatches to, by predicateType. Its own module,
// below both registry.ts and attestation/, so the envelope layer imports it without an import cycle.
import type { PredicateHandler } from "./predicate.ts";
import { slsaProvenance } from "./slsa-provenance.ts";
import { dastPredicate } from "./dast/index.ts";
import { testResultPredicate } from "./test-result.ts";
import { npmPublishPredicate } from "./npm/publish.ts";
import { vsaPredicate } from "./vsa.ts";
import { promotionPredicate } from "./promotion/index.ts";

export const predicateHandlers: readonly PredicateHandler[] = [slsaProvenance, testResultPredicate, dastPredicate, npmPublishPredicate, vsaPredicate, promotionPredicate];

export function predicateHandlerFor(predicateType: string): PredicateHandler | undefined {
  return predicateHandlers.find((h) => h.predicateTypes.includes(predicateType));
}
