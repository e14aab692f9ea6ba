// Every JSON Schema in tollgate is compiled by one ajv (Draft 2020-12) instance, once, on first use.
import type Ajv2020 from "ajv/dist/2020.js";
import type { ValidateFunction, ErrorObject } from "ajv/dist/2020.js";
import { precompiled } from "./validators.generated.js";
import { schemaHash } from "./schema-hash.ts";

let ajv: Ajv2020 | undefined;
const compiled = new Map<object, ValidateFunction>();

/**
 * The compiler itself is loaded on first use (synchronously, since validator() is synchronous): shipped schemas
 * come precompiled, so most runs never need it, and importing it costs more than a whole DSSE evaluation.
 */
export function ajv2020(): Ajv2020 {
  if (!ajv) {
    const AjvClass = (require("ajv/dist/2020.js") as { default: typeof Ajv2020 }).default;
    const addFormats = (require("ajv-formats") as { default: (a: Ajv2020) => void }).default;
    ajv = new AjvClass({ allErrors: true, strict: false });
    addFormats(ajv);
  }
  return ajv;
}

const PRECOMPILED = new Map<string, { hash: string; fn: ValidateFunction }>(
  (precompiled as [string, string, ValidateFunction][]).map(([id, hash, fn]) => [id, { hash, fn }]),
);

/**
 * Compile once per schema object. Schemas shipped in schemas/ come precompiled (scripts/build-validators.ts)
 * and are used only when the schema is exactly the one they were generated from.
 */
export function validator(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    const id = (schema as { $id?: unknown }).$id;
    const pre = typeof id === "string" ? PRECOMPILED.get(id) : undefined;
    v = pre && pre.hash === schemaHash(schema) ? pre.fn : ajv2020().compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

/** Ajv errors as one short line: `/path: message; /other: message` (first few). */
export function describeErrors(errors: ErrorObject[] | null | undefined, max = 3): string {
  if (!errors?.length) return "invalid";
  const parts = errors.slice(0, max).map((e) => {
    const where = e.instancePath || "/";
    const extra = e.keyword === "additionalProperties" ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
      : e.keyword === "enum" ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")})` : "";
    return `${where} ${e.message ?? e.keyword}${extra}`;
  });
  return parts.join("; ") + (errors.length > max ? `; and ${errors.length - max} more` : "");
}

type Precompiled = { default: ValidateFunction; schemaSha256: string };

// One literal require per generated module (scripts/build-validators.ts writes src/core/validators/NAME.generated.js),
// so the bundler embeds each and it is still loaded only when first asked for.
const OTHER_DRAFTS: Record<string, () => Precompiled> = {
  "datacontract-specification-1.2.0.schema.json": () => require("./validators/datacontract-specification-1.2.0.schema.json.generated.js"),
  "datacontract-specification-1.2.1.schema.json": () => require("./validators/datacontract-specification-1.2.1.schema.json.generated.js"),
  "odcs-json-schema-v3.0.2.json": () => require("./validators/odcs-json-schema-v3.0.2.json.generated.js"),
  "odcs-json-schema-v3.1.0.json": () => require("./validators/odcs-json-schema-v3.1.0.json.generated.js"),
  "sarif-2.1.0-errata01": () => require("./validators/sarif-2.1.0-errata01.generated.js"),
};

/**
 * A schema of another draft precompiled by scripts/build-validators.ts (loaded on first use), or undefined when
 * there is none or it was generated from a different schema: the caller then compiles at run time, with the
 * same ajv class and options the generator used.
 */
export function precompiledValidator(name: string, schema: object): ValidateFunction | undefined {
  const load = OTHER_DRAFTS[name];
  if (!load) return undefined;
  const mod = load();
  return mod.schemaSha256 === schemaHash(schema) ? mod.default : undefined;
}
