// One interface for every output format (the way conftest's output/ package does it).
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

export interface Reporter {
  readonly name: string;
  render(report: GateReport): string;
}
