// HOCON (conftest parser/hocon: go-akka/configuration, then every key's value printed with its String() and
// turned back into a float64 or bool when strconv reads it as one; objects nest, everything else, lists and
// durations included, is a string). Library: that same code, conftest's parser/hocon built as WebAssembly
// (conftest-wasm.ts), so substitutions, +=, includes and unquoted strings come out as conftest's.
import { conftestParse } from "./conftest-wasm.ts";
import type { Parser } from "./types.ts";

export const hocon: Parser = { name: "hocon", parse: (bytes, ctx) => conftestParse("hocon", "HOCON", bytes, ctx) };
