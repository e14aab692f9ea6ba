// Data contracts (ODCS v3, Data Contract Specification): parse, schema-validate, derive a JSON Schema for
// events, diff two versions. Used by the quality-event kind and by `tollgate contract`.
export type { ContractObject, ContractStandard, DataContract, FieldSpec, JsonType } from "./model.ts";
export { looksLikeContract, parseContract, parseContractFile, parseContractText, readDocument } from "./parse.ts";
export { schemaFor, validateContractDocument, type ContractSchemaResult } from "./validate.ts";
export { fieldJsonSchema, objectJsonSchema, selectObject, validateAgainstContract, type ContractValidation } from "./json-schema.ts";
export { diffContracts, type ChangeKind, type ContractChange, type ContractDiff } from "./diff.ts";
