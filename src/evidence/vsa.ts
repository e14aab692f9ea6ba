// SLSA Verification Summary Attestation (https://slsa.dev/verification_summary/v1) → evidence kind "vsa".
// A verifier's signed verdict about an artifact: who verified (verifier.id), when, which resource, against which
// policy, from which input attestations, the result (PASSED|FAILED) and the levels verified. The facts are what
// slsa-verifier's verify-vsa matches (subject digests, verifier id, resource URI, PASSED, verified levels);
// policies/tollgate/gate/vsa.rego decides. Subjects are DigestSets and may carry non-hash digests
// (Google's VSAs name GCE images by `gce_image_id`); only strong digests bind to the subject.
import { predicateChecks, type InTotoStatement, type PredicateHandler } from "./predicate.ts";

export const VSA_V1 = "https://slsa.dev/verification_summary/v1";

/** `SLSA_<TRACK>_LEVEL_<n>` (slsa-verifier's reading: one level per track, the highest wins). */
const SLSA_LEVEL = /^SLSA_([A-Z0-9]+)_LEVEL_(0|[1-9][0-9]*)$/;

export interface ResourceDescriptorFacts {
  uri: string | null;
  digest: Record<string, string>;
}

const checks = predicateChecks("verification_summary/v1");
// Declared with their types, so a call to bad() ends the control flow for the compiler too.
const bad: (msg: string) => never = checks.bad;
const obj: (v: unknown, where: string) => Record<string, unknown> = checks.obj;
const nonEmptyString: (v: unknown, where: string) => string = checks.str;

function descriptor(v: unknown, where: string, need: "uri" | "digest"): ResourceDescriptorFacts {
  const o = obj(v, where);
  if (o.uri !== undefined && typeof o.uri !== "string") bad(`${where}.uri must be a string`);
  if (need === "uri") nonEmptyString(o.uri, `${where}.uri`);
  const digest: Record<string, string> = {};
  if (o.digest !== undefined) {
    for (const [alg, d] of Object.entries(obj(o.digest, `${where}.digest`))) {
      if (typeof d !== "string") bad(`${where}.digest.${alg} must be a string`);
      digest[alg] = d;
    }
  }
  if (need === "digest" && !Object.keys(digest).length) bad(`${where} must carry a digest`);
  return { uri: (o.uri as string | undefined) ?? null, digest };
}

/** Pure: predicate → facts. Throws TollgateError("schema_invalid") naming the first field that is wrong. */
export function vsaFacts(predicate: unknown): Record<string, unknown> {
  const p = obj(predicate, "predicate");
  const verifier = obj(p.verifier, "verifier");
  const verifierId = nonEmptyString(verifier.id, "verifier.id");
  const timeVerified = nonEmptyString(p.timeVerified, "timeVerified");
  if (Number.isNaN(Date.parse(timeVerified))) bad(`timeVerified is not an RFC 3339 timestamp: ${JSON.stringify(timeVerified)}`);
  const resourceUri = nonEmptyString(p.resourceUri, "resourceUri");
  const policy = descriptor(p.policy, "policy", "uri");
  if (p.inputAttestations !== undefined && !Array.isArray(p.inputAttestations)) bad("inputAttestations must be an array");
  const inputs = ((p.inputAttestations as unknown[] | undefined) ?? []).map((a, i) => descriptor(a, `inputAttestations[${i}]`, "digest"));
  const result = p.verificationResult;
  if (result !== "PASSED" && result !== "FAILED") bad(`verificationResult must be "PASSED" or "FAILED", found ${JSON.stringify(result)}`);
  if (!Array.isArray(p.verifiedLevels) || p.verifiedLevels.some((l) => typeof l !== "string")) bad("verifiedLevels must be an array of strings");
  const levels = p.verifiedLevels as string[];
  // Per track, the highest level stated (slsa-verifier reads them so); a malformed SLSA_ value is not a level.
  const tracks: Record<string, number> = {};
  for (const l of levels) {
    if (!l.startsWith("SLSA_")) continue;
    const m = SLSA_LEVEL.exec(l);
    if (!m) bad(`verifiedLevels has a malformed SLSA level ${JSON.stringify(l)} (SLSA_<TRACK>_LEVEL_<n>)`);
    const n = Number(m[2]);
    tracks[m[1]!] = Math.max(tracks[m[1]!] ?? 0, n);
  }
  if (p.dependencyLevels !== undefined) obj(p.dependencyLevels, "dependencyLevels");
  if (p.slsaVersion !== undefined && typeof p.slsaVersion !== "string") bad("slsaVersion must be a string");
  return {
    verifier_id: verifierId,
    verifier_version: verifier.version ?? null,
    time_verified: timeVerified,
    resource_uri: resourceUri,
    policy,
    input_attestations: inputs,
    result,
    passed: result === "PASSED",
    verified_levels: levels,
    // {"BUILD": 3, "SOURCE": 1}; the build track also on its own for the common rule.
    track_levels: tracks,
    build_level: tracks.BUILD ?? null,
    dependency_levels: p.dependencyLevels ?? {},
    slsa_version: p.slsaVersion ?? null,
  };
}

export const vsaPredicate: PredicateHandler = {
  kind: "vsa",
  predicateTypes: [VSA_V1],
  facts(predicate: unknown, _statement: InTotoStatement) {
    return vsaFacts(predicate);
  },
};
