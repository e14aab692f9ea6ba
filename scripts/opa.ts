// Scripts find opa the same way the CLI does.
export { findOpa, requireOpa, OPA_VERSION } from "../src/policy/opa-tool.ts";
