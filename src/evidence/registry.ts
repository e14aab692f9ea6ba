// The evidence kinds tollgate knows, in detection order (first match wins), and the in-toto predicate
// handlers the attestation envelope dispatches to. Adding a kind is one import and one entry here.
import type { EvidenceKind } from "./types.ts";
import type { PredicateHandler } from "./predicate.ts";
import { attestationKind } from "./attestation/index.ts";
import { slsaProvenance } from "./slsa-provenance.ts";
import { tdxQuoteKind } from "./tee/tdx/index.ts";
import { nitroAttestationKind } from "./tee/nitro/index.ts";

export const evidenceKinds: readonly EvidenceKind<any>[] = [attestationKind, tdxQuoteKind, nitroAttestationKind];

export const predicateHandlers: readonly PredicateHandler[] = [slsaProvenance];

export function predicateHandlerFor(predicateType: string): PredicateHandler | undefined {
  return predicateHandlers.find((h) => h.predicateTypes.includes(predicateType));
}
