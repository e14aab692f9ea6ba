// One PolicyEngine per bundle per process: the WASM is compiled and instantiated once, data is set once,
// and every evaluation reuses the instance (opa-wasm resets its heap between calls).
import { loadPolicy, type LoadedPolicy } from "@open-policy-agent/opa-wasm";
import { TollgateError } from "../core/errors.ts";
import { mergeData, type PolicyBundle } from "./bundle.ts";
import { installOpaCompatibleBuiltins } from "./builtins.ts";

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
  static async create(bundle: PolicyBundle, overlays: readonly { source: string; data: Record<string, unknown> }[] = []): Promise<PolicyEngine> {
    return PolicyEngine.fromData(bundle, PolicyEngine.mergeOverlays(bundle, overlays));
  }

  /** The bundle's data with `overlays` merged over it (later overlays win): what the engine will be given. */
  static mergeOverlays(bundle: PolicyBundle, overlays: readonly { source: string; data: Record<string, unknown> }[] = []): Record<string, unknown> {
    const data = structuredClone(bundle.data);
    for (const o of overlays) mergeData(data, o.data, o.source, "data", true);
    return data;
  }

  /** Compile the bundle's modules with `data` (already merged, see mergeOverlays). */
  static async fromData(bundle: PolicyBundle, data: Record<string, unknown>): Promise<PolicyEngine> {
    installOpaCompatibleBuiltins();
    const byEntrypoint = new Map<string, LoadedPolicy>();
    for (const [path, wasm] of bundle.modules) {
      let policy: LoadedPolicy;
      try {
        policy = await loadPolicy(wasm);
        policy.setData(data);
      } catch (e) {
        throw new TollgateError("policy_invalid", `cannot load ${path}: ${(e as Error).message}`, bundle.source);
      }
      const eps = Object.keys((policy.entrypoints ?? {}) as Record<string, number>);
      for (const ep of eps) if (!byEntrypoint.has(ep)) byEntrypoint.set(ep, policy);
    }
    return new PolicyEngine(bundle, byEntrypoint, data);
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

/** `data.tollgate.gate.decision`, `tollgate.gate.decision` and `tollgate/gate/decision` are the same entrypoint. */
export function normalizeEntrypoint(ep: string): string {
  return ep.replace(/^data[./]/, "").replace(/\./g, "/").replace(/^\/+/, "");
}
