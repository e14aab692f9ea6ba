// The diagnostic listener (config diagnostic_addr; opa run --diagnostic-addr): plain HTTP on a port of its own
// that answers only GET/HEAD /health, /ready and /metrics, without TLS, client certificate or token. Kubelet's
// httpGet probes and Prometheus present no client certificate, so they cannot reach a main port that requires mTLS.
// Nothing that decides is served here: every other path is a 404.
import type { GateMetrics } from "../telemetry/metrics.ts";
import { serverUrl } from "./bundle-server.ts";
import { listenError } from "./port.ts";

export interface DiagnosticListener {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Listen on `hostname:port` (exclusively: no SO_REUSEPORT, so no other process joins it) with `handle` (the gate's
 * own handler, which answers /health and /ready) behind the path filter, and /metrics from `metrics`. Throws
 * TollgateError("usage"), one line naming diagnostic_addr, when the port cannot be bound.
 */
export function listenDiagnostics(hostname: string, port: number, handle: (req: Request) => Promise<Response>, metrics: GateMetrics): DiagnosticListener {
  const only = async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    if (path === "/health" || path === "/ready") return handle(req);
    return new Response(JSON.stringify({ code: "not_found", message: `the diagnostic address serves /health, /ready and /metrics only, not ${req.method} ${path}` }), { status: 404, headers: { "Content-Type": "application/json" } });
  };
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({ hostname, port, reusePort: false, fetch: metrics.instrument(only) });
  } catch (e) {
    throw listenError(hostname, port, e, "diagnostic_addr ");
  }
  return {
    port: server.port!,
    url: serverUrl(hostname, server.port!),
    async stop() {
      await server.stop(true);
    },
  };
}
