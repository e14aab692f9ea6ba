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
      rs = policy.evaluate(input, ep);
    } catch (e) {
      throw new TollgateError("internal", `policy evaluation failed at ${ep}: ${(e as Error).message}`, this.bundle.source);
    }
    return rs?.[0]?.result;
  }
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
