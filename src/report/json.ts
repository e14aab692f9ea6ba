import { stableStringify } from "../core/input.ts";
import type { GateReport, Reporter } from "./types.ts";

/** The decision plus what it was made from: input digest, bundle revision and digest, entrypoint. */
export const jsonReporter: Reporter = {
  name: "json",
  render(rep: GateReport): string {
    return (
      stableStringify(
        {
          ...rep.decision,
          input_digest: rep.inputDigest,
          bundle: rep.bundle,
          entrypoint: rep.entrypoint,
          time: rep.input.context.time,
          subject: rep.input.context.subject ?? null,
          evidence: rep.input.evidence.map((e) => ({ id: e.id, kind: e.kind, path: e.source.path })),
          errors: rep.input.errors,
        },
        2,
      ) + "\n"
    );
  },
};
