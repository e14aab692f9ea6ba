// Files imported `with { type: "file" }` resolve to a path Bun can read (embedded when compiled).
declare module "*.tar.gz" {
  const path: string;
  export default path;
}

// opa-wasm's builtin table (CommonJS, no types of its own): builtin name → implementation.
declare module "*/opa-wasm/src/builtins/index.js" {
  const table: Record<string, unknown>;
  export default table;
}

// The default bundle's stored form (scripts/build-bundles.ts), imported `with { type: "file" }`.
declare module "*.wasm" {
  const path: string;
  export default path;
}
declare module "*.members" {
  const path: string;
  export default path;
}

// conftest's CUE/Jsonnet/HOCON parsers as Go WebAssembly (src/check/parsers/wasm/), with Go's wasm_exec.js.
declare module "*.wasm.gz" {
  const path: string;
  export default path;
}
declare module "*/wasm_exec.js" {
  const path: string;
  export default path;
}

// The ledger scan's native lane (src/evidence/runmanifest/native.c), compiled at run time by Bun's TinyCC.
declare module "*.c" {
  const path: string;
  export default path;
}
