// Jsonnet (conftest parser/jsonnet: google/go-jsonnet v0.22.0 evaluates the file as an anonymous snippet,
// imports resolved from the file's directory). Library: that same code, conftest's parser/jsonnet built as
// WebAssembly (conftest-wasm.ts), so the std library, imports and the JSON result are go-jsonnet's.
import { conftestParse } from "./conftest-wasm.ts";
import type { Parser } from "./types.ts";

export const jsonnet: Parser = { name: "jsonnet", parse: (bytes, ctx) => conftestParse("jsonnet", "Jsonnet", bytes, ctx) };
