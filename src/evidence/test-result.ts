// in-toto test-result v0.1 (https://in-toto.io/attestation/test-result/v0.1) → evidence kind "test-result".
// One attestation is one test-suite invocation: `result` PASSED|WARNED|FAILED, the `configuration` it ran
// with (ResourceDescriptors), an optional `url` of the run, and the names of passed/warned/failed tests.
//
// DAST run as a test suite: a test-result whose configuration or url points at a DAST tool stays kind
// "test-result" (the predicate says nothing about findings), and its facts carry `dast: {recognized: true,
// via}` so the I8 rules can require it to pass. It is recognized, in this order, when
//   1. a configuration descriptor is annotated `{"category": "dast"}` (the explicit, preferred way), or
//   2. a configuration descriptor's mediaType is SARIF (`application/sarif+json`) or a ZAP report
//      (`application/vnd.zaproxy.*`), or
//   3. a configuration descriptor's name/uri/downloadLocation, or the predicate's url, names a DAST tool
//      (zap, zaproxy, owasp-zap, dast, burp, nuclei) as a whole word.
import { TollgateError } from "../core/errors.ts";
import { describeErrors, validator } from "../core/schema.ts";
import type { InTotoStatement, PredicateHandler } from "./predicate.ts";
import testResultPredicateSchema from "../../schemas/in-toto-test-result-v0.1.schema.json" with { type: "json" };

export const TEST_RESULT_V01 = "https://in-toto.io/attestation/test-result/v0.1";

// The predicate's schema: schemas/in-toto-test-result-v0.1.schema.json (precompiled with the others).

export type TestResult = "PASSED" | "WARNED" | "FAILED";

export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: Record<string, string>;
  content?: string;
  downloadLocation?: string;
  mediaType?: string;
  annotations?: Record<string, unknown>;
}

interface TestResultPredicate {
  result: TestResult;
  configuration: ResourceDescriptor[];
  url?: string;
  passedTests?: string[];
  warnedTests?: string[];
  failedTests?: string[];
}

const DAST_TOOL = /(^|[^a-z0-9])(zap|zaproxy|owasp[-_ ]?zap|dast|burp|nuclei)([^a-z0-9]|$)/i;
const DAST_MEDIA = /^application\/(sarif\+json|vnd\.zaproxy\.[a-z0-9.+-]+)$/i;

export interface DastRecognition {
  recognized: boolean;
  /** How: `annotation`, `mediaType`, `configuration-name`, `url`; null when not recognized. */
  via: string | null;
}

/** Pure: does this test-result describe a DAST run? (See the header for the rules, in order.) */
export function recognizeDast(p: { configuration: ResourceDescriptor[]; url?: string }): DastRecognition {
  for (const c of p.configuration) {
    const cat = c.annotations?.category;
    if (typeof cat === "string" && cat.toLowerCase() === "dast") return { recognized: true, via: "annotation" };
  }
  for (const c of p.configuration) if (c.mediaType && DAST_MEDIA.test(c.mediaType)) return { recognized: true, via: "mediaType" };
  for (const c of p.configuration) {
    if ([c.name, c.uri, c.downloadLocation].some((s) => typeof s === "string" && DAST_TOOL.test(s))) return { recognized: true, via: "configuration-name" };
  }
  if (p.url && DAST_TOOL.test(p.url)) return { recognized: true, via: "url" };
  return { recognized: false, via: null };
}

/** Pure: predicate → facts. Throws TollgateError("schema_invalid") naming the first problems. */
export function testResultFacts(predicate: unknown): Record<string, unknown> {
  const valid = validator(testResultPredicateSchema);
  if (!valid(predicate)) throw new TollgateError("schema_invalid", `test-result predicate: ${describeErrors(valid.errors)}`);
  const p = predicate as TestResultPredicate;
  const passed = p.passedTests ?? [];
  const warned = p.warnedTests ?? [];
  const failed = p.failedTests ?? [];
  // A PASSED or WARNED result that lists failed tests contradicts itself (FAILED with no names is fine:
  // a suite can fail before any test runs).
  const consistent = p.result === "FAILED" || failed.length === 0;
  return {
    result: p.result,
    passed: p.result === "PASSED",
    passedTests: passed,
    warnedTests: warned,
    failedTests: failed,
    passedCount: passed.length,
    warnedCount: warned.length,
    failedCount: failed.length,
    totalCount: passed.length + warned.length + failed.length,
    consistent,
    configuration: p.configuration,
    url: p.url ?? null,
    dast: recognizeDast(p),
  };
}

export const testResultPredicate: PredicateHandler = {
  kind: "test-result",
  predicateTypes: [TEST_RESULT_V01],
  facts(predicate: unknown, _statement: InTotoStatement) {
    return testResultFacts(predicate);
  },
};
