// runtime-manifest-v2 runtime-provider sidecars: what their contents must agree on, beyond each file's sha256.
//
// invarlock's v2 verifier (runtime_verify.py, `_runtime_provider_cross_binding_errors`) reads the three bound
// sidecars as strict JSON objects and cross-binds them; a pair that only matches by hash is not enough:
//   - the receipt's `artifact_identity` equals the bound artifact-identity file (Python `==`: 1 equals 1.0);
//   - the receipt's `scoring_observation_sha256` is the sha256 of the observation file's raw bytes;
//   - `receipt.plugin.name`, `receipt.capabilities.provider_name` and `observation.provider_name` agree;
//   - `observation.artifact_identity_sha256` is the sha256 of the artifact identity as
//     json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False), UTF-8;
//   - `receipt.outer_image_digest` equals the manifest's `outer_container.image_digest`;
//   - the artifact's `artifact_format` is one of `receipt.capabilities.artifact_formats`.
// Strict JSON means what invarlock's parse_json_bytes refuses fails here too: duplicate keys, NaN/Infinity,
// invalid UTF-8, a byte order mark.
//
// Before any cross-binding, each sidecar is validated (Draft 2020-12) against invarlock's own schema, as its
// _read_bound_json_object does; a sidecar that fails is not cross-checked. The schemas are shipped verbatim
// (Draft 2020-12, precompiled) from github.com/invarlock/invarlock; _data/ is the package data its
// public_contracts.py loads, contracts/ the repository's copy:
//   schemas/runtime-provider-receipt.schema.json                 src/invarlock/_data/contracts/runtime_provider_receipt.schema.json @ 4bdc98399d4ecc1303958193f730bf13ffca9b18
//   schemas/runtime-provider-scoring-observation.schema.json     src/invarlock/_data/contracts/runtime_scoring_observation.schema.json @ 2c0db64de83f945bf8906ae7ab67ee4696f43218
//   schemas/runtime-provider-model-artifact-identity.schema.json contracts/model_artifact_identity.schema.json @ 37d0914670c1cf3adbac7d6b8beb465c130dc472
// ajv compiles `pattern` as a JavaScript regex: where a schema anchors with `$` (the observation's), Python's
// re also accepts one trailing newline and ajv does not, so that edge is stricter here than upstream.
// Upstream also validates receipt.capabilities against runtime_provider_capabilities.json; the receipt schema
// already fixes the capabilities' shape, and that file is not shipped here.
import type { ErrorObject } from "ajv/dist/2020.js";
import artifactIdentitySchema from "../../../schemas/runtime-provider-model-artifact-identity.schema.json" with { type: "json" };
import receiptSchema from "../../../schemas/runtime-provider-receipt.schema.json" with { type: "json" };
import observationSchema from "../../../schemas/runtime-provider-scoring-observation.schema.json" with { type: "json" };
import { canonicalize, JsonNumber, parseJsonTreeBytes, toPlain, type JsonObject, type JsonTree } from "../../core/canonical-json.ts";
import { sha256Hex } from "../../core/digest.ts";
import { TollgateError } from "../../core/errors.ts";
import { describeErrors, validator } from "../../core/schema.ts";
import type { Check, SourceFile } from "../types.ts";
import type { RuntimeManifest, SidecarRole } from "./manifest.ts";

export const PROVIDER_CHECK = "binding.runtime_provider";

function isObject(v: JsonTree | undefined): v is JsonObject {
  return v instanceof Map;
}

/**
 * Python's ensure_ascii=False form of a canonical (ensure_ascii=True) text: every `\uXXXX` escape of a code
 * unit >= 0x7f becomes the character itself (surrogate pairs joined); controls, `"` and `\` stay escaped.
 * A lone surrogate cannot be encoded as UTF-8 (Python raises), so it throws.
 */
export function unescapeNonAscii(canonical: string): string {
  const units: number[] = [];
  const out = canonical.replace(/\\(?:u([0-9a-f]{4})|[^u])/g, (whole, hex: string | undefined) => {
    if (hex === undefined) return whole;
    const c = parseInt(hex, 16);
    if (c < 0x7f) return whole;
    units.push(c);
    return String.fromCharCode(c);
  });
  if (units.some((c) => c >= 0xd800 && c <= 0xdfff) && /\p{Cs}/u.test(out)) {
    throw new TollgateError("unsupported", "a string holds a lone surrogate, which has no UTF-8 form");
  }
  return out;
}

/** sha256 (hex) of a value as invarlock hashes an artifact identity (see the header). */
export function artifactIdentitySha256(artifact: JsonTree): string {
  return sha256Hex(unescapeNonAscii(canonicalize(artifact))); // a string hashes as its UTF-8
}

/** A sidecar's bytes as a strict JSON object, or the reason it is not one. */
function readObject(file: SourceFile): JsonObject | string {
  let tree: JsonTree;
  try {
    tree = parseJsonTreeBytes(file.bytes); // not file.text(): that drops a BOM, which invarlock refuses
  } catch (e) {
    return e instanceof TollgateError ? `is not strict JSON: ${e.message}` : `is not strict JSON: ${String(e)}`;
  }
  return isObject(tree) ? tree : "is not a JSON object";
}

const INT = /^-?(?:0|[1-9][0-9]*)$/;

/** A JSON scalar as Python compares it: bool is an int (True == 1 == 1.0), ints exact, floats as doubles. */
function pyNumber(v: JsonTree): { int: bigint } | { float: number } | undefined {
  if (typeof v === "boolean") return { int: v ? 1n : 0n };
  if (v instanceof JsonNumber) return INT.test(v.source) ? { int: BigInt(v.source) } : { float: v.value };
  return undefined;
}

/** Python's `==` over json.loads values (the comparison invarlock makes): `{"n": 1}` equals `{"n": 1.0}`. */
export function pythonEqual(a: JsonTree, b: JsonTree): boolean {
  const na = pyNumber(a);
  const nb = pyNumber(b);
  if (na || nb) {
    if (!na || !nb) return false;
    if ("int" in na && "int" in nb) return na.int === nb.int;
    if ("float" in na && "float" in nb) return na.float === nb.float;
    const [i, f] = "int" in na ? [na.int, (nb as { float: number }).float] : [(nb as { int: bigint }).int, (na as { float: number }).float];
    return Number.isInteger(f) && BigInt(f) === i; // exact, as CPython compares int with float
  }
  if (a === null || b === null || typeof a === "string" || typeof b === "string") return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => pythonEqual(x, b[i]!));
  }
  const oa = a as JsonObject;
  const ob = b as JsonObject;
  if (oa.size !== ob.size) return false;
  for (const [k, v] of oa) {
    const w = ob.get(k);
    if (w === undefined || !pythonEqual(v, w)) return false;
  }
  return true;
}

const str = (v: JsonTree | undefined): string | undefined => (typeof v === "string" ? v : undefined);
const show = (v: JsonTree | undefined): string => (v === undefined ? "<missing>" : JSON.stringify(toPlain(v)));

/** Each role's schema and the upstream file name a failure names. */
const SIDECAR_SCHEMAS: Record<SidecarRole, { schema: object; upstream: string }> = {
  receipt: { schema: receiptSchema, upstream: "runtime_provider_receipt.schema.json" },
  scoring_observation: { schema: observationSchema, upstream: "runtime_scoring_observation.schema.json" },
  artifact_identity: { schema: artifactIdentitySchema, upstream: "model_artifact_identity.schema.json" },
};

const COMBINATORS = new Set(["oneOf", "anyOf"]);

function pathBefore(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length - b.length;
}

/**
 * The one error a failure reports, chosen as invarlock (jsonschema) chooses it: the first sorted by instance
 * path, a prefix first. jsonschema reports a failed oneOf/anyOf as one error with its branches as context and a
 * failed if/then only by the then-errors; ajv lists the branches beside the combinator and adds an `if` error,
 * so at a combinator's path its own error stands for its branches, and `if` errors are dropped.
 */
export function firstSchemaError(errors: readonly ErrorObject[]): ErrorObject | undefined {
  const split = (e: ErrorObject) => (e.instancePath === "" ? [] : e.instancePath.slice(1).split("/"));
  const real = errors.filter((e) => e.keyword !== "if");
  const sorted = (real.length ? real : [...errors]).sort((a, b) => pathBefore(split(a), split(b)));
  const first = sorted[0];
  if (!first) return undefined;
  return sorted.find((e) => e.instancePath === first.instancePath && COMBINATORS.has(e.keyword)) ?? first;
}

export const sidecarSchemaCheckName = (role: SidecarRole): string => `schema.runtime_provider.${role}`;

/**
 * One bound sidecar read as a strict JSON object and validated against invarlock's schema for its role. The
 * check names the file and the first schema error; `value` is set only when both hold.
 */
export function sidecarSchemaCheck(role: SidecarRole, file: SourceFile): { check: Check; value?: JsonObject } {
  const name = sidecarSchemaCheckName(role);
  const r = readObject(file);
  if (typeof r === "string") {
    return { check: { name, ok: false, code: "malformed", reason: `runtime_provider.${role} ${file.path} ${r}`, detail: { path: file.path } } };
  }
  const { schema, upstream } = SIDECAR_SCHEMAS[role];
  const valid = validator(schema);
  if (!valid(toPlain(r))) {
    const first = firstSchemaError(valid.errors ?? []);
    const where = first ? describeErrors([first], 1) : "invalid";
    return {
      check: { name, ok: false, code: "schema_invalid", reason: `runtime_provider.${role} ${file.path} does not match invarlock's ${upstream}: ${where}`, detail: { path: file.path, schema: upstream, error: where } },
    };
  }
  return { check: { name, ok: true, detail: { path: file.path, schema: upstream } }, value: r };
}

/**
 * The cross-binding check over the three bound, schema-valid sidecars (an unbound or invalid sidecar says
 * nothing); `files` maps each role to its bound file, `parsed` to its content (sidecarSchemaCheck's value).
 */
export function providerCrossBindingCheck(m: RuntimeManifest, files: Record<SidecarRole, SourceFile>, parsed: Record<SidecarRole, JsonObject>): Check {
  const receipt = parsed.receipt;
  const observation = parsed.scoring_observation;
  const artifact = parsed.artifact_identity;
  const problems: string[] = [];

  const receiptArtifact = receipt.get("artifact_identity");
  if (receiptArtifact === undefined || !pythonEqual(receiptArtifact, artifact)) {
    problems.push("receipt artifact_identity does not match the bound artifact file");
  }
  const observationSha = files.scoring_observation.sha256;
  if (receipt.get("scoring_observation_sha256") !== observationSha) {
    problems.push(`receipt scoring_observation_sha256 ${show(receipt.get("scoring_observation_sha256"))} does not match the observation bytes (sha256 ${observationSha})`);
  }

  const plugin = receipt.get("plugin");
  const capabilities = receipt.get("capabilities");
  const names = [
    isObject(plugin) ? str(plugin.get("name")) : undefined,
    isObject(capabilities) ? str(capabilities.get("provider_name")) : undefined,
    str(observation.get("provider_name")),
  ];
  if (names.some((n) => n === undefined) || new Set(names).size !== 1) {
    problems.push(`receipt and observation provider names do not agree (plugin.name ${show(isObject(plugin) ? plugin.get("name") : undefined)}, capabilities.provider_name ${show(isObject(capabilities) ? capabilities.get("provider_name") : undefined)}, observation provider_name ${show(observation.get("provider_name"))})`);
  }

  let artifactSha: string | undefined;
  try {
    artifactSha = artifactIdentitySha256(artifact);
  } catch (e) {
    problems.push(`artifact identity has no canonical form: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (artifactSha !== undefined && observation.get("artifact_identity_sha256") !== artifactSha) {
    problems.push(`observation artifact_identity_sha256 ${show(observation.get("artifact_identity_sha256"))} does not match the bound artifact (sha256 ${artifactSha})`);
  }

  if (receipt.get("outer_image_digest") !== m.runtime.image_digest) {
    problems.push(`receipt outer_image_digest ${show(receipt.get("outer_image_digest"))} does not match outer_container.image_digest ${m.runtime.image_digest}`);
  }

  const format = artifact.get("artifact_format");
  const formats = isObject(capabilities) ? capabilities.get("artifact_formats") : undefined;
  if (typeof format !== "string" || !Array.isArray(formats) || !formats.includes(format)) {
    problems.push(`bound artifact format ${show(format)} is not declared by provider capabilities (artifact_formats ${show(formats)})`);
  }

  if (problems.length) return { name: PROVIDER_CHECK, ok: false, code: "binding_failed", reason: problems.join("; "), detail: { problems } };
  return { name: PROVIDER_CHECK, ok: true, detail: { provider: names[0], artifact_identity_sha256: artifactSha } };
}
