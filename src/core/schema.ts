// Every JSON Schema in tollgate is compiled by one ajv (Draft 2020-12) instance, once, on first use.
import type Ajv2020 from "ajv/dist/2020.js";
import type { ValidateFunction, ErrorObject } from "ajv/dist/2020.js";
import { createRequire } from "node:module";
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
    const req = createRequire(import.meta.url);
    const AjvClass = (req("ajv/dist/2020.js") as { default: typeof Ajv2020 }).default;
    const addFormats = (req("ajv-formats") as { default: (a: Ajv2020) => void }).default;
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

/**
 * A schema of another draft precompiled by scripts/build-validators.ts (src/core/validators/NAME.generated.js,
 * loaded on first use), or undefined when there is none or it was generated from a different schema: the
 * caller then compiles at run time, with the same ajv class and options the generator used.
 */
export function precompiledValidator(name: string, schema: object): ValidateFunction | undefined {
  let mod: { default: ValidateFunction; schemaSha256: string };
  try {
    mod = createRequire(import.meta.url)(`./validators/${name}.generated.js`);
  } catch {
    return undefined;
  }
  return mod.schemaSha256 === schemaHash(schema) ? mod.default : undefined;
}
