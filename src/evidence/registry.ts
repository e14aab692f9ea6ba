// The evidence kinds tollgate knows, in detection order (first match wins). Adding a kind is one import and
// one entry here; an in-toto predicate handler is one entry in predicates.ts.
import type { EvidenceKind } from "./types.ts";
import { attestationKind } from "./attestation/index.ts";
import { runtimeManifestKind, orphanEvaluationReportKind } from "./runtime-manifest/index.ts";
import { dastKind } from "./dast/index.ts";
import { tdxQuoteKind } from "./tee/tdx/index.ts";
import { nitroAttestationKind } from "./tee/nitro/index.ts";
import { runManifestKind } from "./runmanifest/index.ts";
import { qualityEventKind } from "./quality-event/index.ts";
import { otelLogKind } from "./otel-log/index.ts";
import { kettleKind } from "./kettle/index.ts";
import { npmAttestationsKind } from "./npm/index.ts";
import { artifactSignatureKind } from "./artifact-signature.ts";
import { sevSnpKind } from "./tee/sev-snp/index.ts";
import { azSnpKind } from "./tee/az-snp/index.ts";
import { cosignSignatureKind } from "./cosign-signature.ts";
import { pypiKind } from "./pypi/index.ts";

// runmanifest first: its detect sniffs bytes, so a huge ledger is never JSON.parse'd whole by another detect.
export const evidenceKinds: readonly EvidenceKind<any>[] = [runManifestKind, artifactSignatureKind, attestationKind, npmAttestationsKind, pypiKind, tdxQuoteKind, nitroAttestationKind, kettleKind, sevSnpKind, azSnpKind, qualityEventKind, otelLogKind, runtimeManifestKind, orphanEvaluationReportKind, dastKind, cosignSignatureKind];

