// SLSA provenance (https://slsa.dev/provenance/v1), the I1/I3/I7 evidence. The predicate type is matched
// as a literal string. v0.2 is recognized so the gate can deny it by name rather than as "unknown".
import schema from "../../schemas/slsa-provenance-v1.schema.json" with { type: "json" };
import { TollgateError } from "../core/errors.ts";
import { describeErrors, validator } from "../core/schema.ts";
import type { InTotoStatement, PredicateHandler } from "./predicate.ts";

export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
export const SLSA_PROVENANCE_V02 = "https://slsa.dev/provenance/v0.2";

/**
 * Build types whose externalParameters are defined by their spec: any other key there is custom metadata
 * and must be vendor-namespaced. For build types not listed, tollgate cannot tell defined fields from
 * custom ones and says so in the facts (`known_build_type: false`).
 */
export const KNOWN_BUILD_TYPES: Readonly<Record<string, readonly string[]>> = {
  // GitHub Actions workflow build type (actions/attest-build-provenance, slsa-github-generator)
  "https://actions.github.io/buildtypes/workflow/v1": ["workflow", "inputs", "vars"],
  "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1": ["workflow", "inputs", "vars"],
  // GitLab CI
  "https://github.com/gitlab-org/gitlab-runner/buildtypes/v1": ["source", "entryPoint", "variables"],
  // Google Cloud Build
  "https://cloudbuild.googleapis.com/CloudBuildYaml@v1": ["buildConfigSource", "substitutions"],
  // Kettle attestable builds (builder https://lunal.dev/kettle-tee/v1)
  "https://lunal.dev/kettle/cargo@v1": ["buildCommand", "source"],
  "https://lunal.dev/kettle/nix@v1": ["buildCommand", "source"],
  "https://lunal.dev/kettle/pnpm@v1": ["buildCommand", "source"],
};

/**
 * Build types whose internalParameters are defined by their spec. internalParameters are the builder's own:
 * custom metadata never belongs there, so a `<vendor>_<field>` key is flagged under every build type and,
 * where the build type defines its keys, any other key too.
 */
export const KNOWN_INTERNAL_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  "https://actions.github.io/buildtypes/workflow/v1": ["github"],
  "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1": ["github"],
};

/** `<vendor>_<field>`: a vendor token, an underscore, a field name. */
const VENDOR_FIELD = /^[A-Za-z0-9][A-Za-z0-9.-]*_[A-Za-z0-9][A-Za-z0-9_]*$/;

const INVOCATION_ID_GO = "invocationID";

// Fields the SLSA v1 spec defines at each level; anything else is custom metadata outside externalParameters.
const DEFINED: Record<string, readonly string[]> = {
  "": ["buildDefinition", "runDetails"],
  buildDefinition: ["buildType", "externalParameters", "internalParameters", "resolvedDependencies"],
  runDetails: ["builder", "metadata", "byproducts"],
  "runDetails.builder": ["id", "builderDependencies", "version"],
  // invocationID is the standard invocationId as in-toto-golang spells it (its Go field's json tag), which is
  // what cosign attest-blob --type slsaprovenance1 writes: the same defined field, not custom metadata.
  "runDetails.metadata": ["invocationId", INVOCATION_ID_GO, "startedOn", "finishedOn"],
};

export interface CustomMetadataViolation {
  path: string;
  reason: string;
}

export const slsaProvenance: PredicateHandler = {
  kind: "slsa-provenance",
  predicateTypes: [SLSA_PROVENANCE_V1, SLSA_PROVENANCE_V02],
  facts(predicate: unknown, statement: InTotoStatement): Record<string, unknown> {
    if (statement.predicateType === SLSA_PROVENANCE_V02) return v02Facts(predicate);
    const valid = validator(schema);
    if (!valid(predicate)) {
      throw new TollgateError("schema_invalid", `SLSA provenance v1 predicate: ${describeErrors(valid.errors)}`);
    }
    return v1Facts(predicate as ProvenanceV1);
  },
};

interface ResourceDescriptor {
  uri?: string;
  digest?: Record<string, string>;
  name?: string;
}

interface ProvenanceV1 {
  buildDefinition: {
    buildType: string;
    externalParameters: Record<string, unknown>;
    internalParameters?: Record<string, unknown>;
    resolvedDependencies?: ResourceDescriptor[];
    [k: string]: unknown;
  };
  runDetails: {
    builder: { id: string; version?: Record<string, string>; [k: string]: unknown };
    metadata?: { invocationId?: string; invocationID?: string; startedOn?: string; finishedOn?: string; [k: string]: unknown };
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

function v1Facts(p: ProvenanceV1): Record<string, unknown> {
  const buildType = p.buildDefinition.buildType;
  const ext = p.buildDefinition.externalParameters;
  const known = KNOWN_BUILD_TYPES[buildType];
  const violations: CustomMetadataViolation[] = [];
  const vendorFields: string[] = [];

  // Custom fields anywhere outside externalParameters change the meaning of defined fields: not allowed.
  const levels: [string, Record<string, unknown> | undefined][] = [
    ["", p],
    ["buildDefinition", p.buildDefinition],
    ["runDetails", p.runDetails],
    ["runDetails.builder", p.runDetails.builder],
    ["runDetails.metadata", p.runDetails.metadata],
  ];
  for (const [at, obj] of levels) {
    for (const key of Object.keys(obj ?? {})) {
      if (!DEFINED[at]!.includes(key)) {
        violations.push({ path: at ? `${at}.${key}` : key, reason: "custom field outside buildDefinition.externalParameters" });
      }
    }
  }
  const md = p.runDetails.metadata;
  if (md && md.invocationId !== undefined && md[INVOCATION_ID_GO] !== undefined && md.invocationId !== md[INVOCATION_ID_GO]) {
    violations.push({ path: `runDetails.metadata.${INVOCATION_ID_GO}`, reason: "invocationId given twice (invocationId and invocationID) with different values" });
  }
  for (const key of Object.keys(ext)) {
    if (known?.includes(key)) continue;
    if (VENDOR_FIELD.test(key)) vendorFields.push(key);
    else if (known) violations.push({ path: `buildDefinition.externalParameters.${key}`, reason: `not defined by ${buildType} and not named <vendor>_<field>` });
  }

  const internal = p.buildDefinition.internalParameters ?? {};
  const knownInternal = KNOWN_INTERNAL_PARAMETERS[buildType];
  for (const key of Object.keys(internal)) {
    if (knownInternal?.includes(key)) continue;
    if (VENDOR_FIELD.test(key)) {
      violations.push({ path: `buildDefinition.internalParameters.${key}`, reason: "custom metadata in internalParameters: only externalParameters may carry <vendor>_<field> fields" });
    } else if (knownInternal) {
      violations.push({ path: `buildDefinition.internalParameters.${key}`, reason: `not defined by ${buildType}` });
    }
  }

  const deps = (p.buildDefinition.resolvedDependencies ?? []).map((d) => ({ uri: d.uri ?? null, digest: d.digest ?? {} }));
  return {
    predicate_version: "v1",
    build_type: buildType,
    known_build_type: known !== undefined,
    builder_id: p.runDetails.builder.id,
    builder_version: p.runDetails.builder.version ?? {},
    invocation_id: p.runDetails.metadata?.invocationId ?? p.runDetails.metadata?.invocationID ?? null,
    started_on: p.runDetails.metadata?.startedOn ?? null,
    finished_on: p.runDetails.metadata?.finishedOn ?? null,
    external_parameters: Object.keys(ext).sort(),
    resolved_dependencies: deps,
    source: sourceOf(ext, deps),
    custom_metadata: { vendor_fields: vendorFields.sort(), violations },
  };
}

function v02Facts(predicate: unknown): Record<string, unknown> {
  const p = (predicate ?? {}) as { builder?: { id?: unknown }; buildType?: unknown };
  return {
    predicate_version: "v0.2",
    build_type: typeof p.buildType === "string" ? p.buildType : null,
    builder_id: typeof p.builder?.id === "string" ? p.builder.id : null,
  };
}

/** A git resource URI without its `git+` prefix, scheme and `.git`: `github.com/acme/app`, as slsa-verifier's
 *  --source-uri is written. */
export function normalizeSourceUri(uri: string): string {
  return uri.replace(/^git\+/, "").replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\.git$/, "").replace(/\/+$/, "");
}

/**
 * The build's source: repository, ref and commit. GitHub's workflow build types name the repository and ref in
 * externalParameters.workflow (slsa-verifier reads them there); otherwise the first `git+` resolved dependency,
 * `git+<repo>@<ref>`. The commit is that dependency's gitCommit (or sha1).
 */
function sourceOf(ext: Record<string, unknown>, deps: { uri: string | null; digest: Record<string, string> }[]) {
  const git = deps.find((d) => d.uri?.startsWith("git+"));
  let uri = git?.uri ?? null;
  let repository: string | null = null;
  let ref: string | null = null;
  if (uri) {
    const at = uri.lastIndexOf("@");
    const slash = uri.indexOf("//");
    if (at > slash) {
      repository = uri.slice(0, at);
      ref = uri.slice(at + 1);
    } else repository = uri;
  }
  const wf = ext.workflow as { repository?: unknown; ref?: unknown } | undefined;
  if (wf && typeof wf === "object" && typeof wf.repository === "string") {
    repository = wf.repository;
    ref = typeof wf.ref === "string" ? wf.ref : ref;
    uri ??= `git+${wf.repository}${ref ? `@${ref}` : ""}`;
  }
  if (!uri && !repository) return null;
  return {
    uri,
    repository: repository ? normalizeSourceUri(repository) : null,
    ref,
    commit: git?.digest.gitCommit ?? git?.digest.sha1 ?? null,
  };
}
