// The in-toto identifiers every layer that reads or writes statements shares (evidence kinds, the Sigstore
// verifier, the VSA writer).
export const IN_TOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1";
/** Older statement types still found in the wild (SLSA v0.2 era); accepted and recorded as such. */
export const IN_TOTO_STATEMENT_LEGACY = ["https://in-toto.io/Statement/v0.1"] as const;
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
