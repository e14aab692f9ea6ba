// One interface for every output format (the way conftest's output/ package does it).
import { formatDigestSet } from "../core/digest-set.ts";
import type { InputDocument } from "../core/input.ts";
import type { Decision } from "../policy/gate.ts";

export interface GateReport {
  decision: Decision;
  input: InputDocument;
  /** `sha256:` digest of the canonical input document. */
  inputDigest: string;
  bundle: { source: string; revision: string; sha256: string };
  entrypoint: string;
  /** Files under a directory that no kind recognized (not evidence, not an error). */
  skipped: string[];
}

/** The subject under evaluation as one phrase: `NAME sha256:… sha512:…`, or `none`. Every reporter carries it. */
export function subjectPhrase(rep: GateReport): string {
  const s = rep.input.context.subject;
  if (!s) return "none";
  return `${s.name ? s.name + " " : ""}${formatDigestSet(s.digest)}`;
}

export interface Reporter {
  readonly name: string;
  render(report: GateReport): string;
}
