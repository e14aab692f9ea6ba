// CUE (conftest parser/cue: cuelang.org/go v0.17.1 formats the source, compiles it in a fresh context and
// exports the value as JSON). Library: that same code, conftest's parser/cue built as WebAssembly
// (conftest-wasm.ts), so definitions, defaults, constraints and unification behave exactly as in conftest,
// and a value that is not concrete is conftest's own error.
import { conftestParse } from "./conftest-wasm.ts";
import type { Parser } from "./types.ts";

export const cue: Parser = { name: "cue", parse: (bytes, ctx) => conftestParse("cue", "CUE", bytes, ctx) };
