// A contract's schema object as a JSON Schema (Draft 2020-12), and validation of one event against it.
// Both standards mean "present and not null" by `required`; a field that is not required may be absent
// or null. Undeclared fields are allowed unless the contract closes the object (DCS additionalFields: false).
import type Ajv2020 from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv/dist/2020.js";
import { lazy } from "../../core/lazy.ts";

const ajv2020 = lazy(() => require("ajv/dist/2020.js") as { default: typeof Ajv2020 });
const ajvFormats = lazy(() => require("ajv-formats") as { default: (a: Ajv2020) => void });
import type { ErrorCode } from "../../core/errors.ts";
import type { ContractObject, DataContract, FieldSpec } from "./model.ts";
import { ajvErrors } from "./validate.ts";

type Schema = Record<string, unknown>;

export function fieldJsonSchema(f: FieldSpec): Schema {
  const s: Schema = {};
  if (f.type) s.type = f.required || f.type === "null" ? f.type : [f.type, "null"];
  if (f.enum) s.enum = f.required || f.enum.includes(null) ? f.enum : [...f.enum, null];
  for (const k of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
    "pattern", "format", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties"] as const) {
    if (f[k] !== undefined) s[k] = f[k];
  }
  if (f.properties) Object.assign(s, propertiesSchema(f.properties, f.closed === true));
  if (f.items) s.items = fieldJsonSchema(f.items);
  return s;
}

function propertiesSchema(fields: readonly FieldSpec[], closed: boolean): Schema {
  const properties: Record<string, Schema> = {};
  for (const f of fields) properties[f.name] = fieldJsonSchema(f);
  return {
    properties,
    required: fields.filter((f) => f.required).map((f) => f.name),
    ...(closed ? { additionalProperties: false } : {}),
  };
}

export function objectJsonSchema(o: ContractObject): Schema {
  return { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object", ...propertiesSchema(o.fields, o.closed) };
}

export interface ContractValidation {
  ok: boolean;
  /** The schema object / model the value was checked against, when one could be chosen. */
  object: string | null;
  code?: ErrorCode;
  errors: string[];
}

/**
 * Which schema object of the contract describes the event: the one named (`contract.schema` in the event),
 * else the only one. A contract with several objects and no name given cannot be applied: say so.
 */
export function selectObject(c: DataContract, wanted?: string | null): ContractObject | string {
  if (wanted) {
    const o = c.objects.find((x) => x.name === wanted);
    return o ?? `contract ${c.path} has no schema object named ${JSON.stringify(wanted)} (it has: ${c.objects.map((x) => x.name).join(", ") || "none"})`;
  }
  if (c.objects.length === 1) return c.objects[0]!;
  if (c.objects.length === 0) return `contract ${c.path} declares no schema (no ${c.standard === "odcs" ? "schema[]" : "models"}): nothing to validate the event against`;
  return `contract ${c.path} has ${c.objects.length} schema objects (${c.objects.map((x) => x.name).join(", ")}); name one in the event's contract.schema`;
}

/**
 * One ajv per contract: an ajv instance keeps every schema and validator it compiles for as long as it
 * lives (removeSchema does not release them), so one shared instance would hold every contract a
 * long-running `tollgate serve` was ever sent. Per contract, they are collected with it.
 */
const ajvOf = new WeakMap<DataContract, Ajv2020>();
const compiled = new WeakMap<ContractObject, ValidateFunction | string>();

function compile(o: ContractObject, c: DataContract): ValidateFunction | string {
  let v = compiled.get(o);
  if (v === undefined) {
    let ajv = ajvOf.get(c);
    if (!ajv) {
      ajv = new (ajv2020().default)({ allErrors: true, strict: true, allowUnionTypes: true });
      ajvFormats().default(ajv);
      ajvOf.set(c, ajv);
    }
    try {
      v = ajv.compile(objectJsonSchema(o));
    } catch (e) {
      // e.g. a `pattern` that is not a regular expression: the contract is unusable, not the event wrong.
      v = `cannot derive a JSON Schema from schema object ${o.name}: ${(e as Error).message}`;
    }
    compiled.set(o, v);
  }
  return v;
}

/** Validate one value (an event minus its contract reference) against a contract's schema object. */
export function validateAgainstContract(value: unknown, c: DataContract, objectName?: string | null): ContractValidation {
  const o = selectObject(c, objectName);
  if (typeof o === "string") return { ok: false, object: null, code: "schema_invalid", errors: [o] };
  const v = compile(o, c);
  if (typeof v === "string") return { ok: false, object: o.name, code: "schema_invalid", errors: [v] };
  if (v(value)) return { ok: true, object: o.name, errors: [] };
  return { ok: false, object: o.name, code: "schema_invalid", errors: ajvErrors(v.errors) };
}
