// One PolicyEngine per bundle per process: the WASM is compiled and instantiated once, data is set once,
// and every evaluation reuses the instance (opa-wasm resets its heap between calls).
import { loadPolicy, type LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { TollgateError } from "../core/errors.ts";
import { mergeData, type PolicyBundle } from "./bundle.ts";
import { installOpaCompatibleBuiltins, jsBuiltinNames } from "./builtins.ts";
import { withValueDumps } from "./wasm-values.ts";

/** Built-ins supplied by the host (the WASM target calls out for those it does not implement). */
export type HostBuiltins = Record<string, (...args: unknown[]) => unknown>;

export class PolicyEngine {
  private constructor(
    readonly bundle: PolicyBundle,
    /** entrypoint name → the loaded module that exports it */
    private readonly byEntrypoint: Map<string, LoadedPolicy>,
    readonly data: Record<string, unknown>,
  ) {}

  get revision(): string {
    return this.bundle.revision;
  }

  get entrypoints(): string[] {
    return [...this.byEntrypoint.keys()].sort();
  }

  /** Compile the bundle's modules and set its data merged with `overlays` (later overlays win). */
  static async create(bundle: PolicyBundle, overlays: readonly { source: string; data: Record<string, unknown> }[] = [], host: HostBuiltins = {}): Promise<PolicyEngine> {
    return PolicyEngine.fromData(bundle, PolicyEngine.mergeOverlays(bundle, overlays), host);
  }

  /** The bundle's data with `overlays` merged over it (later overlays win): what the engine will be given. */
  static mergeOverlays(bundle: PolicyBundle, overlays: readonly { source: string; data: Record<string, unknown> }[] = []): Record<string, unknown> {
    const data = structuredClone(bundle.data);
    for (const o of overlays) mergeData(data, o.data, o.source, "data", true);
    return data;
  }

  /** Compile the bundle's modules with `data` (already merged, see mergeOverlays). */
  static async fromData(bundle: PolicyBundle, data: Record<string, unknown>, host: HostBuiltins = {}): Promise<PolicyEngine> {
    installOpaCompatibleBuiltins();
    const byEntrypoint = new Map<string, LoadedPolicy>();
    for (const [path, wasm] of bundle.modules) {
      let policy: LoadedPolicy;
      try {
        policy = await withValueDumps(() => loadPolicy(wasm, undefined, host));
        policy.setData(data);
      } catch (e) {
        throw new TollgateError("policy_invalid", `cannot load ${path}: ${(e as Error).message}`, bundle.source);
      }
      // Refuse before evaluating anything when the module calls a built-in nobody supplies.
      const missing = requiredBuiltins(policy).filter((b) => !jsBuiltinNames().has(b) && !(b in host));
      if (missing.length) {
        throw new TollgateError("policy_invalid", `the policy uses built-in ${missing.join(", ")}, which tollgate does not supply here (see README: supported built-ins)`, bundle.source);
      }
      const eps = Object.keys((policy.entrypoints ?? {}) as Record<string, number>);
      for (const ep of eps) if (!byEntrypoint.has(ep)) byEntrypoint.set(ep, policy);
    }
    return new PolicyEngine(bundle, byEntrypoint, data);
  }

  /** Replace the data document of every module (conftest sets data.conftest.file per input file). */
  setData(data: Record<string, unknown>): void {
    for (const p of new Set(this.byEntrypoint.values())) p.setData(data);
  }

  hasEntrypoint(entrypoint: string): boolean {
    return this.byEntrypoint.has(normalizeEntrypoint(entrypoint));
  }

  /**
   * Evaluate one entrypoint. Returns the entrypoint's value, or undefined when the rule is undefined for
   * this input (an empty result set).
   */
  evaluate(entrypoint: string, input: unknown): unknown {
    const ep = normalizeEntrypoint(entrypoint);
    const policy = this.byEntrypoint.get(ep);
    if (!policy) {
      throw new TollgateError(
        "policy_invalid",
        `bundle has no entrypoint ${ep} (it has: ${this.entrypoints.join(", ") || "none"})`,
        this.bundle.source,
      );
    }
    let rs: { result: unknown }[];
    try {
      rs = evaluateFast(policy, ep, input);
    } catch (e) {
      throw new TollgateError("internal", `policy evaluation failed at ${ep}: ${thrownMessage(e)}`, this.bundle.source);
    }
    return rs?.[0]?.result;
  }

  /**
   * Evaluate one entrypoint over input given as JSON text (the gate passes the input's bytes of a /v1/data request
   * body as they arrived), parsed once, inside the WASM: the input is never built as a JS value, re-serialized and
   * parsed again. The caller has validated the text as JSON. Returns the result set's JSON text as the module
   * writes it (`[{"result":…}]`, `[]` when undefined), or undefined when this path is not available (the module
   * lacks the evaluation-context ABI, or its JSON parser refuses the text): use evaluate() then.
   */
  evaluateJsonText(entrypoint: string, json: Uint8Array): string | undefined {
    const ep = normalizeEntrypoint(entrypoint);
    const policy = this.byEntrypoint.get(ep);
    if (!policy) return undefined;
    try {
      return evaluateText(policy, ep, json);
    } catch (e) {
      throw new TollgateError("internal", `policy evaluation failed at ${ep}: ${thrownMessage(e)}`, this.bundle.source);
    }
  }
}

/** What a failed evaluation says: opa-wasm's opa_abort throws the runtime's message as a bare string. */
function thrownMessage(e: unknown): string {
  return typeof e === "string" ? e : e instanceof Error ? e.message : String((e as { message?: unknown })?.message ?? e);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The parts of opa-wasm's LoadedPolicy the single-call path needs (set by loadPolicy/setData). */
interface PolicyInternals {
  wasmInstance: WebAssembly.Instance;
  mem: WebAssembly.Memory;
  minorVersion: number;
  dataAddr: number;
  dataHeapPtr: number;
  entrypoints: Record<string, number>;
}

/**
 * opa-wasm's evaluate(), ABI 1.2+ path, with less marshalling per decision: the input's JSON text is encoded
 * straight into the module's memory above the data (no intermediate buffer, no TextEncoder per call), then one
 * opa_eval call (parse input, evaluate the entrypoint, dump the result; its heap starts over above the input
 * every call, so nothing accumulates), and the result is found with a native NUL scan and parsed once. Data
 * stays where setData left it. Older ABIs go through the SDK.
 */
function evaluateFast(policy: LoadedPolicy, ep: string, input: unknown): { result: unknown }[] {
  const p = policy as unknown as PolicyInternals;
  const id = p.entrypoints?.[ep];
  if (p.minorVersion < 2 || id === undefined) return policy.evaluate(input, ep);
  let inputAddr = 0;
  let inputLen = 0;
  if (input) {
    // As the SDK: a falsy input (undefined, null, false, 0, "") is no input.
    const text = JSON.stringify(input);
    inputAddr = p.dataHeapPtr;
    // Into the memory there is; grown only by what the text really needs (memory is never given back).
    let r = encoder.encodeInto(text, new Uint8Array(p.mem.buffer, inputAddr));
    if (r.read < text.length) {
      p.mem.grow(Math.ceil((inputAddr + Buffer.byteLength(text) - p.mem.buffer.byteLength) / 65536));
      r = encoder.encodeInto(text, new Uint8Array(p.mem.buffer, inputAddr));
    }
    inputLen = r.written;
  }
  const exports = p.wasmInstance.exports as Record<string, (...a: number[]) => number>;
  const ret = exports.opa_eval!(0, id, p.dataAddr, inputAddr, inputLen, p.dataHeapPtr + inputLen, 0);
  const mem = new Uint8Array(p.mem.buffer);
  const end = mem.indexOf(0, ret);
  return JSON.parse(decoder.decode(mem.subarray(ret, end))) as { result: unknown }[];
}

const CTX_EXPORTS = ["opa_eval_ctx_new", "opa_eval_ctx_set_input", "opa_eval_ctx_set_data", "opa_eval_ctx_set_entrypoint", "eval", "opa_eval_ctx_get_result", "opa_json_dump", "opa_json_parse", "opa_heap_ptr_set"];

/**
 * The evaluation-context ABI: opa_json_parse (JSON only, and it says when it refuses — opa_eval's own parser takes
 * Rego syntax and would evaluate refused text as no input at all), set input and data, eval, dump the result.
 */
function evaluateText(policy: LoadedPolicy, ep: string, json: Uint8Array): string | undefined {
  const p = policy as unknown as PolicyInternals;
  const id = p.entrypoints?.[ep];
  const ex = p.wasmInstance.exports as Record<string, (...a: number[]) => number>;
  if (id === undefined || CTX_EXPORTS.some((f) => typeof ex[f] !== "function")) return undefined;
  const at = p.dataHeapPtr; // above the data, where opa_eval puts its input; the heap starts over above it
  const need = at + json.length + 65536 - p.mem.buffer.byteLength;
  if (need > 0) p.mem.grow(Math.ceil(need / 65536));
  new Uint8Array(p.mem.buffer).set(json, at);
  ex.opa_heap_ptr_set!(at + json.length);
  let input = 0;
  try {
    input = ex.opa_json_parse!(at, json.length);
  } catch {
    // It aborts on text JSON.parse takes (a lone surrogate escape): evaluate() decides what that input means.
  }
  if (!input) return undefined;
  const ctx = ex.opa_eval_ctx_new!();
  ex.opa_eval_ctx_set_input!(ctx, input);
  ex.opa_eval_ctx_set_data!(ctx, p.dataAddr);
  ex.opa_eval_ctx_set_entrypoint!(ctx, id);
  ex.eval!(ctx);
  const out = ex.opa_json_dump!(ex.opa_eval_ctx_get_result!(ctx));
  const mem = new Uint8Array(p.mem.buffer); // the evaluation may have grown the memory
  return decoder.decode(mem.subarray(out, mem.indexOf(0, out)));
}

/** Names of the built-ins a loaded module imports from the host (its `builtins` export, as JSON). */
function requiredBuiltins(policy: LoadedPolicy): string[] {
  const p = policy as unknown as { wasmInstance: WebAssembly.Instance; mem: WebAssembly.Memory };
  const ex = p.wasmInstance.exports as Record<string, (...a: number[]) => number>;
  if (typeof ex.builtins !== "function" || typeof ex.opa_json_dump !== "function") return [];
  const start = ex.opa_json_dump(ex.builtins());
  const mem = new Uint8Array(p.mem.buffer);
  let end = start;
  while (mem[end] !== 0) end++;
  return Object.keys(JSON.parse(new TextDecoder().decode(mem.subarray(start, end))) as Record<string, number>);
}

/** `data.tollgate.gate.decision`, `tollgate.gate.decision` and `tollgate/gate/decision` are the same entrypoint. */
export function normalizeEntrypoint(ep: string): string {
  return ep.replace(/^data[./]/, "").replace(/\./g, "/").replace(/^\/+/, "");
}
