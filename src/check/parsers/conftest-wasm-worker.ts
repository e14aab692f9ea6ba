// conftest's own CUE, Jsonnet, HOCON and CycloneDX parsers, run as Go WebAssembly (scripts/build-conftest-parsers.sh
// builds src/check/parsers/wasm/<format>.wasm.gz from github.com/open-policy-agent/conftest/parser/<format>
// at v0.69.0, pinned by scripts/conftest-parsers/go.sum). No JavaScript library evaluates CUE, and none
// reproduces go-jsonnet's or go-akka/configuration's output (conftest's HOCON document prints every
// non-object value with go-akka's String(), so lists and durations are strings and numbers float64), so the
// document is the one conftest makes because it is conftest's code making it.
//
// Each module is instantiated once, on first use, with the Go release's wasm_exec.js evaluated against a
// private global (so its `Go` class and shims never meet another Go module's, such as @cdktf/hcl2json's),
// whose fs is Node's (a Jsonnet import reads the file relative to the importing file, as in conftest).
// This module runs in a worker thread (conftest-wasm.ts starts it): a Go parser that never returns (go-akka's
// HOCON parser loops forever on an unclosed list) can then be stopped from outside.
import * as nodeFs from "node:fs";
import * as nodePath from "node:path";
import { gunzipSync } from "node:zlib";
import cueWasm from "./wasm/cue.wasm.gz" with { type: "file" };
import jsonnetWasm from "./wasm/jsonnet.wasm.gz" with { type: "file" };
import hoconWasm from "./wasm/hocon.wasm.gz" with { type: "file" };
import cyclonedxWasm from "./wasm/cyclonedx.wasm.gz" with { type: "file" };
import wasmExec from "./wasm/wasm_exec.js" with { type: "file" };
import type { ConftestFormat } from "./conftest-wasm.ts";

type ParseFn = (path: string, src: string) => Promise<{ json?: string; error?: string }>;

// Imported as files so that `bun build --compile` embeds them: the single binary needs nothing beside it.
const MODULES: Record<ConftestFormat, string> = { cue: cueWasm, jsonnet: jsonnetWasm, hocon: hoconWasm, cyclonedx: cyclonedxWasm };
const loaded = new Map<string, Promise<ParseFn>>();

async function instantiate(format: ConftestFormat): Promise<ParseFn> {
  const scope = Object.create(globalThis) as Record<string, unknown>;
  scope.fs = nodeFs;
  scope.path = nodePath;
  scope.process = process;
  const execSrc = nodeFs.readFileSync(wasmExec, "utf8");
  new Function("globalThis", "fs", execSrc)(scope, nodeFs);
  const Go = scope.Go as new () => { importObject: Record<string, Record<string, unknown>>; run(i: WebAssembly.Instance): Promise<void>; env: Record<string, string> };
  const go = new Go();
  go.env = { TMPDIR: "/tmp" };
  const bytes = gunzipSync(nodeFs.readFileSync(MODULES[format]));
  const { instance } = await WebAssembly.instantiate(bytes, go.importObject as never);
  void go.run(instance); // runs until main blocks in select{}, after registering the function
  const fn = scope[`__conftestParse_${format}`] as ParseFn | undefined;
  if (typeof fn !== "function") throw new Error(`conftest ${format} module did not register its parser`);
  return fn;
}

declare const self: Worker;

self.onmessage = async (e: MessageEvent<{ id: number; format: ConftestFormat; path: string; src: string }>) => {
  const { id, format, path, src } = e.data;
  try {
    let p = loaded.get(format);
    if (!p) loaded.set(format, (p = instantiate(format)));
    const r = await (await p)(path, src);
    self.postMessage({ id, ...r });
  } catch (err) {
    self.postMessage({ id, crash: err instanceof Error ? err.message : String(err) });
  }
};
