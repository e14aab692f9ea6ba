// invarlock runtime.manifest.json: detection, schema validation (v1/v2) and one typed shape for both.
// v1 keeps the runtime settings under `runtime`; v2 calls them `outer_container` and adds runtime-provider
// sidecars (receipt, scoring observation, artifact identity), each bound by sha256 like the report.
import schemaV1 from "../../../schemas/runtime-manifest-v1.schema.json" with { type: "json" };
import schemaV2 from "../../../schemas/runtime-manifest-v2.schema.json" with { type: "json" };
import { parseJsonTreeBytes, toPlain } from "../../core/canonical-json.ts";
import { TollgateError } from "../../core/errors.ts";
import { describeErrors, validator } from "../../core/schema.ts";
import type { SourceFile } from "../types.ts";

export const CONTRACT_V1 = "runtime-manifest-v1";
export const CONTRACT_V2 = "runtime-manifest-v2";

export type ExecutionMode = "container" | "host-bypass";
export type ConfigSource = "file" | "inline" | "missing";
export type SidecarRole = "receipt" | "scoring_observation" | "artifact_identity";

export interface RuntimeSettings {
  image_ref: string;
  /** `sha256:<hex>`, or null when the runtime ran from an unpinned (local) image. */
  image_digest: string | null;
  container_execution: boolean;
  allow_network: boolean;
  allow_remote_code: boolean;
  allow_third_party_plugins: boolean;
}

export interface RuntimeManifest {
  version: 1 | 2;
  contractVersion: string;
  generatedAt: string;
  report: { path: string; filename: string; sha256: string };
  config: { path: string | null; sha256: string | null; source: ConfigSource };
  executionMode: ExecutionMode;
  runtime: RuntimeSettings;
  /** v2 only: files the runtime provider wrote beside the report, bound by sha256. */
  sidecars: { role: SidecarRole; filename: string; sha256: string }[];
  context?: Record<string, unknown>;
}

const SIDECAR_ROLES: readonly SidecarRole[] = ["receipt", "scoring_observation", "artifact_identity"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Content sniffing: a manifest names its version and an invarlock runtime-manifest verifier contract. */
export function looksLikeRuntimeManifest(json: unknown): json is Record<string, unknown> {
  return (
    isObject(json) &&
    typeof json.manifest_version === "number" &&
    typeof json.verifier_contract_version === "string" &&
    json.verifier_contract_version.startsWith("runtime-manifest-")
  );
}

/**
 * The manifest's bytes as strict JSON, as invarlock's parse_json_bytes reads it: a duplicate key, a byte order
 * mark, invalid UTF-8 or NaN/Infinity is refused (file.json() would keep the last duplicate and drop a BOM).
 */
function strictJson(file: SourceFile): unknown {
  try {
    return toPlain(parseJsonTreeBytes(file.bytes));
  } catch (e) {
    if (!(e instanceof TollgateError)) throw e;
    throw new TollgateError(e.code, `runtime manifest is not strict JSON: ${e.message}`, file.path, { cause: e });
  }
}

/** Pure: bytes → RuntimeManifest. Throws `malformed`, `unsupported` or `schema_invalid`. */
export function parseRuntimeManifest(file: SourceFile): RuntimeManifest {
  const json = strictJson(file);
  if (!isObject(json)) throw new TollgateError("malformed", "runtime manifest is not a JSON object", file.path);
  const version = json.manifest_version;
  const schema = version === 1 ? schemaV1 : version === 2 ? schemaV2 : undefined;
  if (!schema) {
    throw new TollgateError(
      "unsupported",
      `runtime manifest_version ${JSON.stringify(version)} (${String(json.verifier_contract_version)}) is not supported; known: 1 (${CONTRACT_V1}), 2 (${CONTRACT_V2})`,
      file.path,
    );
  }
  const valid = validator(schema);
  if (!valid(json)) {
    throw new TollgateError("schema_invalid", `runtime manifest does not match ${version === 1 ? CONTRACT_V1 : CONTRACT_V2}: ${describeErrors(valid.errors)}`, file.path);
  }
  // The schema fixed every shape below; the casts only tell TypeScript what ajv checked.
  const report = json.report as RuntimeManifest["report"];
  const config = json.config as RuntimeManifest["config"];
  const runtime = (version === 1 ? json.runtime : json.outer_container) as RuntimeSettings;
  const provider = (json.runtime_provider ?? {}) as Record<SidecarRole, { filename: string; sha256: string }>;
  const manifest: RuntimeManifest = {
    version: version as 1 | 2,
    contractVersion: json.verifier_contract_version as string,
    generatedAt: json.generated_at_utc as string,
    report: { path: report.path, filename: report.filename, sha256: report.sha256 },
    config: { path: config.path, sha256: config.sha256, source: config.source },
    executionMode: json.execution_mode as ExecutionMode,
    runtime: {
      image_ref: runtime.image_ref,
      image_digest: runtime.image_digest,
      container_execution: runtime.container_execution,
      allow_network: runtime.allow_network,
      allow_remote_code: runtime.allow_remote_code,
      allow_third_party_plugins: runtime.allow_third_party_plugins,
    },
    sidecars: version === 2 ? SIDECAR_ROLES.map((role) => ({ role, filename: provider[role].filename, sha256: provider[role].sha256 })) : [],
  };
  if (isObject(json.context)) manifest.context = json.context;
  return manifest;
}
