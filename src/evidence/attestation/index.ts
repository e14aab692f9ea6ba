// PLACEHOLDER until the attestation envelope module lands (bare Statement / DSSE / Sigstore bundle).
import type { EvidenceKind } from "../types.ts";
export const attestationKind: EvidenceKind<unknown> = {
  name: "attestation",
  detect: () => false,
  parse: () => { throw new Error("not implemented"); },
  verify: async () => [],
  normalize: () => [],
};
