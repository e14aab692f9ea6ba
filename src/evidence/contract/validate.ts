// Schema validation of the contract document itself, against the standard's official JSON Schema (shipped
// in schemas/odcs/): ODCS by `apiVersion` (v3.0.x → the v3.0.2 schema, v3.1.0 → v3.1.0), the Data Contract
// Specification by `dataContractSpecification`. A contract of a version tollgate has no schema for is
// reported as unsupported, never silently accepted.
import type Ajv2019 from "ajv/dist/2019.js";
import type AjvDraft7 from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import { lazy } from "../../core/lazy.ts";

// The contract standards' own schemas are draft-07 / 2019-09; their compilers load when a contract is read.
const ajv2019 = lazy(() => require("ajv/dist/2019.js") as { default: typeof Ajv2019 });
const ajvDraft7 = lazy(() => require("ajv") as { default: typeof AjvDraft7 });
const ajvFormats = lazy(() => require("ajv-formats") as { default: (a: Ajv2019 | AjvDraft7) => void });
import odcs302 from "../../../schemas/odcs/odcs-json-schema-v3.0.2.json" with { type: "json" };
import odcs310 from "../../../schemas/odcs/odcs-json-schema-v3.1.0.json" with { type: "json" };
import dcs120 from "../../../schemas/odcs/datacontract-specification-1.2.0.schema.json" with { type: "json" };
import dcs121 from "../../../schemas/odcs/datacontract-specification-1.2.1.schema.json" with { type: "json" };
import type { ErrorCode } from "../../core/errors.ts";
import type { DataContract } from "./model.ts";
import { precompiledValidator } from "../../core/schema.ts";

export interface ContractSchemaResult {
  ok: boolean;
  /** `odcs-json-schema-v3.1.0.json`, … : which official schema judged the document. */
  schema: string | null;
  code?: ErrorCode;
  /** One entry per problem: `/schema/0/properties/1/logicalType must be equal to one of the allowed values (…)`. */
  errors: string[];
}

const SCHEMAS = {
  "odcs-json-schema-v3.0.2.json": { draft: "2019-09", schema: odcs302 },
  "odcs-json-schema-v3.1.0.json": { draft: "2019-09", schema: odcs310 },
  "datacontract-specification-1.2.0.schema.json": { draft: "07", schema: dcs120 },
  "datacontract-specification-1.2.1.schema.json": { draft: "07", schema: dcs121 },
} as const;
type SchemaName = keyof typeof SCHEMAS;

export function schemaFor(c: Pick<DataContract, "standard" | "apiVersion">): SchemaName | undefined {
  const v = c.apiVersion ?? "";
  if (c.standard === "odcs") {
    if (v === "v3.0.0" || v === "v3.0.1" || v === "v3.0.2") return "odcs-json-schema-v3.0.2.json";
    if (v === "v3.1.0") return "odcs-json-schema-v3.1.0.json";
    return undefined;
  }
  if (v === "1.2.1") return "datacontract-specification-1.2.1.schema.json";
  if (["0.9.0", "0.9.1", "0.9.2", "0.9.3", "1.1.0", "1.2.0"].includes(v)) return "datacontract-specification-1.2.0.schema.json";
  return undefined;
}

const compiled = new Map<SchemaName, ValidateFunction>();
function validatorFor(name: SchemaName): ValidateFunction {
  let v = compiled.get(name);
  if (v) return v;
  const { draft, schema } = SCHEMAS[name];
  v = precompiledValidator(name, schema as object); // scripts/build-validators.ts compiles it the same way
  if (!v) {
    // strict: false — the official schemas carry annotation keywords ajv does not know (deprecationMessage, example).
    const ajv = draft === "2019-09" ? new (ajv2019().default)({ allErrors: true, strict: false }) : new (ajvDraft7().default)({ allErrors: true, strict: false });
    ajvFormats().default(ajv);
    v = ajv.compile(schema as object);
  }
  compiled.set(name, v);
  return v;
}

/** A contract is read once per file (parse.ts); so is its document validated, whoever asks. */
const results = new WeakMap<object, ContractSchemaResult>();

export function validateContractDocument(c: Pick<DataContract, "standard" | "apiVersion" | "document">): ContractSchemaResult {
  let r = results.get(c);
  if (!r) results.set(c, (r = validateDocument(c)));
  return r;
}

function validateDocument(c: Pick<DataContract, "standard" | "apiVersion" | "document">): ContractSchemaResult {
  const name = schemaFor(c);
  if (!name) {
    const field = c.standard === "odcs" ? "apiVersion" : "dataContractSpecification";
    const known = c.standard === "odcs" ? "v3.0.0, v3.0.1, v3.0.2, v3.1.0" : "0.9.0–1.2.1";
    return {
      ok: false, schema: null, code: "unsupported",
      errors: [`${field} ${JSON.stringify(c.apiVersion)} is not a version tollgate has the official schema for (${known})`],
    };
  }
  const validate = validatorFor(name);
  if (validate(c.document)) return { ok: true, schema: name, errors: [] };
  return { ok: false, schema: name, code: "schema_invalid", errors: ajvErrors(validate.errors) };
}

/** Ajv errors as `path message` lines, without the noise of failed `if`/`then` and `oneOf` wrappers. */
export function ajvErrors(errors: ErrorObject[] | null | undefined, max = 20): string[] {
  const all = errors ?? [];
  const specific = all.filter((e) => !["if", "then", "else", "allOf", "anyOf", "oneOf", "not", "unevaluatedProperties"].includes(e.keyword));
  // A failed branch makes `unevaluatedProperties` flag every sibling key; keep those only where nothing
  // more specific was said about that node or below it.
  const meaningful = all.filter((e) =>
    specific.includes(e) ||
    (e.keyword === "unevaluatedProperties" && !specific.some((s) => s.instancePath.startsWith(e.instancePath))));
  const list = (meaningful.length ? meaningful : errors ?? []).map((e) => {
    const where = e.instancePath || "/";
    const p = e.params as Record<string, unknown>;
    const extra = e.keyword === "additionalProperties" ? ` (${String(p.additionalProperty)})`
      : e.keyword === "unevaluatedProperties" ? ` (${String(p.unevaluatedProperty)})`
      : e.keyword === "enum" ? ` (${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")})` : "";
    return `${where} ${e.message ?? e.keyword}${extra}`;
  });
  const unique = [...new Set(list)];
  return unique.length > max ? [...unique.slice(0, max), `and ${unique.length - max} more`] : unique;
}
