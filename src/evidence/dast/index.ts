// DAST results (interface I8) as evidence kind "dast", in two forms:
//  - bare reports (SARIF 2.1.0 or OWASP ZAP traditional JSON): unsigned and bound to nothing. They are
//    recorded, their findings are judged, but they can never satisfy a DAST requirement on their own;
//  - a DAST attestation: an in-toto statement of predicateType DAST_PREDICATE_V01 whose predicate IS the
//    SARIF log or the ZAP report, signed (DSSE or Sigstore bundle, through the attestation layer) and
//    whose subject is the deployed artifact's digest. That is what the gate relies on.
// A test-result v0.1 attestation of a DAST run stays kind "test-result" (see test-result.ts).
import { TollgateError } from "../../core/errors.ts";
import type { InTotoStatement, PredicateHandler } from "../predicate.ts";
import type { EvidenceKind, EvidenceRecord } from "../types.ts";
import type { DastSummary } from "./findings.ts";
import { looksLikeSarif, parseSarif } from "./sarif.ts";
import { looksLikeZap, parseZap } from "./zap.ts";

export { SEVERITIES, severityFromLevel, severityFromScore, normalizeCwe, type DastSummary, type Finding, type Severity } from "./findings.ts";
export { parseSarif, looksLikeSarif } from "./sarif.ts";
export { parseZap, looksLikeZap } from "./zap.ts";

export const DAST_KIND = "dast";
/** tollgate's DAST predicate: the predicate is a SARIF 2.1.0 log or a ZAP traditional JSON report. */
export const DAST_PREDICATE_V01 = "https://tollgate.dev/attestation/dast/v0.1";

/** Pure: a SARIF log or ZAP report (already JSON) → summary. Throws when it is neither, or invalid. */
export function parseDastReport(json: unknown): DastSummary {
  if (looksLikeSarif(json)) return parseSarif(json);
  if (looksLikeZap(json)) return parseZap(json);
  throw new TollgateError("schema_invalid", "DAST report is neither a SARIF 2.1.0 log (version, runs) nor a ZAP traditional JSON report (@programName, site[])");
}

function dastFacts(s: DastSummary, bare: boolean): Record<string, unknown> {
  return { ...s, bare };
}

export const dastKind: EvidenceKind<DastSummary> = {
  name: "dast",
  detect(file) {
    const json = file.json();
    return looksLikeSarif(json) || looksLikeZap(json);
  },
  parse(file) {
    try {
      return parseDastReport(file.json());
    } catch (e) {
      if (e instanceof TollgateError && !e.path) throw new TollgateError(e.code, e.message, file.path, { cause: e });
      throw e;
    }
  },
  async verify(parsed) {
    // Nothing cryptographic to check on a bare report; record that the schema held.
    return [{ name: parsed.format === "sarif-2.1.0" ? "schema.sarif" : "schema.zap", ok: true }];
  },
  normalize(parsed, checks, file): EvidenceRecord[] {
    return [
      {
        id: `sha256:${file.sha256}`,
        kind: DAST_KIND,
        source: { path: file.path, digest: { sha256: file.sha256 }, format: parsed.format },
        signature: { status: "unsigned", signers: [] },
        transparency: { status: "absent" },
        integrity: { status: "n/a" },
        checks,
        facts: dastFacts(parsed, true),
      },
    ];
  },
};

export const dastPredicate: PredicateHandler = {
  kind: DAST_KIND,
  predicateTypes: [DAST_PREDICATE_V01],
  facts(predicate: unknown, _statement: InTotoStatement) {
    return dastFacts(parseDastReport(predicate), false);
  },
};
