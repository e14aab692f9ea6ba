// The JSON value OPA hashes (Go's encoding/json with UseNumber): numbers kept as their source text, objects
// as ordered maps (last duplicate wins, like Go). Shared by canonical.ts and goyaml.ts, below both.
export type GoJson = null | boolean | string | GoNumber | GoJson[] | Map<string, GoJson>;
export interface GoNumber {
  readonly num: string;
}
