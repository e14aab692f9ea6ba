// One field model for both data-contract standards (ODCS v3 and the Data Contract Specification), so the
// JSON Schema derivation and the breaking-change diff are written once and treat both the same way.

import type { TypeWidth } from "./width.ts";

export type ContractStandard = "odcs" | "dcs";

/** The JSON type a field's values take (after mapping the standard's logical/physical type). */
export type JsonType = "string" | "number" | "integer" | "boolean" | "object" | "array" | "null";

export type EnumValue = string | number | boolean | null;

export interface FieldSpec {
  name: string;
  /** Where the field is declared in the contract document (`schema[0].properties[2]`, `models.orders.fields.qty`). */
  location: string;
  /** Undefined when the contract gives no type tollgate can map: the field is then unconstrained. */
  type?: JsonType;
  /** The type exactly as the contract writes it (`logicalType`/`physicalType` or DCS `type`), for messages. */
  declaredType?: string;
  /** How wide the declared type is within its JSON type (DCS `long` vs `int`, ODCS `format: i32`), for the diff. */
  width?: TypeWidth;
  /** ODCS `physicalType` read as a width (`VARCHAR(50)`), or `unknown` when tollgate cannot place it. */
  physicalWidth?: TypeWidth;
  /** ODCS and DCS both mean "present and not null". */
  required: boolean;
  enum?: EnumValue[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  /** Only formats a JSON Schema validator knows (date-time, email, uuid, …); free-form ones are dropped. */
  format?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  /** Nested fields of an object-typed field. */
  properties?: FieldSpec[];
  /** Element of an array-typed field. */
  items?: FieldSpec;
  /** True when fields not declared are not allowed (DCS `additionalFields: false`, its default). */
  closed?: boolean;
}

/** One schema object (ODCS `schema[]`) or model (DCS `models.<name>`). */
export interface ContractObject {
  name: string;
  location: string;
  fields: FieldSpec[];
  closed: boolean;
}

export interface DataContract {
  standard: ContractStandard;
  /** ODCS `id`, DCS `id`. */
  id: string | null;
  /** ODCS `name`, DCS `info.title`. */
  name: string | null;
  /** The contract's own version (ODCS `version`, DCS `info.version`). */
  version: string | null;
  /** ODCS `apiVersion` or DCS `dataContractSpecification`: the standard's version. */
  apiVersion: string | null;
  objects: ContractObject[];
  /** The document as parsed (YAML or JSON), for schema validation. */
  document: Record<string, unknown>;
  path: string;
  sha256: string;
}
