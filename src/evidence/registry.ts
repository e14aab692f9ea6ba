// The evidence kinds tollgate knows, in detection order (first match wins), and the in-toto predicate
// handlers the attestation envelope dispatches to. Adding a kind is one import and one entry here.
import type { EvidenceKind } from "./types.ts";
import type { PredicateHandler } from "./predicate.ts";
import { attestationKind } from "./attestation/index.ts";
import { slsaProvenance } from "./slsa-provenance.ts";
import { runtimeManifestKind, orphanEvaluationReportKind } from "./runtime-manifest/index.ts";
import { dastKind, dastPredicate } from "./dast/index.ts";
import { testResultPredicate } from "./test-result.ts";
import { tdxQuoteKind } from "./tee/tdx/index.ts";
import { nitroAttestationKind } from "./tee/nitro/index.ts";
import { runManifestKind } from "./runmanifest/index.ts";
import { qualityEventKind } from "./quality-event/index.ts";
import { otelLogKind } from "./otel-log/index.ts";
import { kettleKind } from "./kettle/index.ts";
import { sevSnpKind } from "./tee/sev-snp/index.ts";
import { azSnpKind } from "./tee/az-snp/index.ts";

// runmanifest first: its detect sniffs bytes, so a huge ledger is never JSON.parse'd whole by another detect.
export const evidenceKinds: readonly EvidenceKind<any>[] = [runManifestKind, attestationKind, tdxQuoteKind, nitroAttestationKind, kettleKind, sevSnpKind, azSnpKind, qualityEventKind, otelLogKind, runtimeManifestKind, orphanEvaluationReportKind, dastKind];

export const predicateHandlers: readonly PredicateHandler[] = [slsaProvenance, testResultPredicate, dastPredicate];

export function predicateHandlerFor(predicateType: string): PredicateHandler | undefined {
  return predicateHandlers.find((h) => h.predicateTypes.includes(predicateType));
}
