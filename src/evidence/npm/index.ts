// npm: the registry's attestations response (GET /-/npm/v1/attestations/<name>@<version>, the URL npm view
// shows as dist.attestations.url) — {"attestations": [{"predicateType", "bundle"}]} holding npm's publish
// attestation (signed by the registry's key) and, for packages published with --provenance, SLSA provenance
// v1 (keyless, from the CI's identity). Each bundle is one record, verified exactly as a bare Sigstore bundle
// is (attestation/); a bare npm bundle needs nothing here. The publish predicate's handler is publish.ts.
import { TollgateError } from "../../core/errors.ts";
import { attestationKind } from "../attestation/index.ts";
import { parseItem, type ParsedAttestation } from "../attestation/parse.ts";
import type { EvidenceKind, SourceFile } from "../types.ts";

const SIGSTORE_BUNDLE_PREFIX = "application/vnd.dev.sigstore.bundle";

interface ResponseEntry {
  predicateType: string;
  bundle: unknown;
}

function entries(v: unknown): ResponseEntry[] | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const list = (v as { attestations?: unknown }).attestations;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return list as ResponseEntry[];
}

function looksLikeEntry(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const { predicateType, bundle } = e as { predicateType?: unknown; bundle?: unknown };
  const mt = (bundle as { mediaType?: unknown } | null)?.mediaType;
  return typeof predicateType === "string" && typeof mt === "string" && mt.startsWith(SIGSTORE_BUNDLE_PREFIX);
}

export const npmAttestationsKind: EvidenceKind<ParsedAttestation> = {
  name: "npm-attestations",
  detect(file) {
    // One well-formed entry is enough to claim the file: a later bad entry is a parse error naming it.
    const list = entries(file.json());
    return list !== undefined && looksLikeEntry(list[0]);
  },

  parse(file: SourceFile): ParsedAttestation {
    const list = entries(file.json());
    if (!list) throw new TollgateError("malformed", "npm attestations response: attestations must be a non-empty array", file.path);
    const items = list.map((e, i) => {
      const where = `npm attestations response: attestations[${i}]`;
      if (!looksLikeEntry(e)) throw new TollgateError("schema_invalid", `${where} is not {predicateType, bundle: <Sigstore bundle>}`, file.path);
      let item;
      try {
        item = parseItem(e.bundle, file.limits);
      } catch (err) {
        if (err instanceof TollgateError) throw new TollgateError(err.code, `${where}.bundle: ${err.message}`, file.path, { cause: err });
        throw err;
      }
      // The listed type is what npm's clients select on: a bundle that says otherwise is a broken response.
      if (item.form !== "statement" && item.statement.ok && item.statement.statement.predicateType !== e.predicateType) {
        throw new TollgateError("schema_invalid", `${where} lists predicateType ${e.predicateType} but its statement's is ${item.statement.statement.predicateType}`, file.path);
      }
      return item;
    });
    return { items };
  },

  verify: (parsed, file, ctx) => attestationKind.verify(parsed, file, ctx),

  normalize(parsed, checks, file, ctx) {
    return attestationKind.normalize(parsed, checks, file, ctx).map((r) => ({ ...r, source: { ...r.source, format: `npm-attestations/${r.source.format}` } }));
  },
};
