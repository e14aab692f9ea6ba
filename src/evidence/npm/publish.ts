// npm's publish attestation (predicate https://github.com/npm/attestation/tree/main/specs/publish/v0.1): the
// registry states it published <name>@<version> as the subject (pkg:npm/<name>@<version>, sha512 of the tarball),
// signed with the registry's own key. Bare, in a Sigstore bundle, or inside the registry's attestations response.
import { TollgateError } from "../../core/errors.ts";
import type { InTotoStatement, PredicateHandler } from "../predicate.ts";

export const NPM_PUBLISH_V01 = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1";

/** `pkg:npm/<name>@<version>` as npm writes it; a scope's @ may be percent-encoded (%40). */
function purlOf(name: string, version: string): string {
  return `pkg:npm/${name}@${version}`;
}

function decodePurl(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** npm's publish attestation: the registry says it published <name>@<version> with the subject's digest. */
export const npmPublishPredicate: PredicateHandler = {
  kind: "npm-publish",
  predicateTypes: [NPM_PUBLISH_V01],
  facts(predicate: unknown, statement: InTotoStatement): Record<string, unknown> {
    const p = predicate as { name?: unknown; version?: unknown; registry?: unknown } | null;
    if (typeof p !== "object" || p === null || Array.isArray(p)) throw new TollgateError("schema_invalid", "npm publish predicate must be an object");
    if (typeof p.name !== "string" || p.name === "") throw new TollgateError("schema_invalid", "npm publish predicate: name must be a non-empty string");
    if (typeof p.version !== "string" || p.version === "") throw new TollgateError("schema_invalid", "npm publish predicate: version must be a non-empty string");
    if (p.registry !== undefined && typeof p.registry !== "string") throw new TollgateError("schema_invalid", "npm publish predicate: registry must be a string");
    const purl = purlOf(p.name, p.version);
    const names = statement.subject.map((s) => s.name).filter((n): n is string => n !== undefined);
    return {
      name: p.name,
      version: p.version,
      registry: p.registry ?? null,
      purl,
      // npm's own verifier requires the subject to be this package: a publish attestation of another name is not this one's.
      subject_names: names,
      purl_matches: names.some((n) => decodePurl(n) === purl),
    };
  },
};
