// CycloneDX (conftest parser/cyclonedx): conftest's own parser, cyclonedx-go v0.11.0 decoding a JSON or XML BOM
// and marshalling it as JSON, run as Go WebAssembly (conftest-wasm.ts), so the policy sees the document conftest
// makes and a BOM conftest refuses is refused with its message.
import { conftestParse } from "./conftest-wasm.ts";
import type { Parser } from "./types.ts";

export const cyclonedx: Parser = {
  name: "cyclonedx",
  parse: (bytes, ctx) => conftestParse("cyclonedx", "CycloneDX", bytes, ctx),
};
