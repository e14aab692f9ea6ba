// PLACEHOLDER: SLSA provenance v1 predicate handler.
import type { PredicateHandler } from "./predicate.ts";
export const slsaProvenance: PredicateHandler = { kind: "slsa-provenance", predicateTypes: ["https://slsa.dev/provenance/v1"], facts: () => ({}) };
