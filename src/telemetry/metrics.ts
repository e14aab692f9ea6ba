// The gate's metrics in the Prometheus text exposition format (version 0.0.4), served on /metrics.
//
// Every counter lives in one SharedArrayBuffer made by the primary thread and handed to each worker thread
// (config `workers: N`), updated with Atomics: whichever thread answers /metrics renders the sum over all of them,
// with no round trip to the others. The layout is fixed, so label values are bounded: `path` is one of ROUTES
// (every /v1/data/... is "/v1/data", anything unrouted is "other"), `code` is an HTTP status 100–599.
//
//   tollgate_http_requests_total{path,code}                 counter
//   tollgate_http_request_duration_seconds{path}            histogram (_bucket{le}, _sum, _count)
//   tollgate_decisions_total{endpoint,outcome}              counter (outcome allow|deny)
//   tollgate_decision_log_exported_total{exporter}          counter (exporter file|otlp)
//   tollgate_decision_log_dropped_total{exporter,reason}    counter (reason queue_full|export_failed)
//   tollgate_decision_log_export_retries_total{exporter}    counter
//   tollgate_decision_log_queue_length{exporter}            gauge

export const ROUTES = ["/v1/gate", "/v1/data", "/v1/admission", "/health", "/ready", "/metrics", "other"] as const;
export type Route = (typeof ROUTES)[number];
/** Upper bounds (seconds) of the latency histogram's buckets; +Inf is implied. */
export const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
export const DECISION_ENDPOINTS = ["gate", "data", "admission", "promote"] as const;
export const EXPORTERS = ["file", "otlp"] as const;
export type ExporterName = (typeof EXPORTERS)[number];
export const DROP_REASONS = ["queue_full", "export_failed"] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const CODES = 500; // 100..599
const HIST = BUCKETS.length + 1 /* +Inf bucket (non-cumulative overflow) */ + 1 /* sum, nanoseconds */;
const OFF_REQ = 0;
const OFF_HIST = OFF_REQ + ROUTES.length * CODES;
const OFF_DEC = OFF_HIST + ROUTES.length * HIST;
const OFF_EXPORTED = OFF_DEC + DECISION_ENDPOINTS.length * 2;
const OFF_DROPPED = OFF_EXPORTED + EXPORTERS.length;
const OFF_RETRIES = OFF_DROPPED + EXPORTERS.length * DROP_REASONS.length;
const OFF_QUEUE = OFF_RETRIES + EXPORTERS.length;
const SLOTS = OFF_QUEUE + EXPORTERS.length;

/** The label value of a request path (bounded: never the raw path). */
export function routeOf(pathname: string): Route {
  if (pathname === "/v1/data" || pathname.startsWith("/v1/data/")) return "/v1/data";
  return (ROUTES as readonly string[]).includes(pathname) ? (pathname as Route) : "other";
}

/** Counters the decision log's exporters report into (a DecisionLogger takes one). */
export interface DecisionLogCounters {
  exported(exporter: ExporterName, n: number): void;
  dropped(exporter: ExporterName, reason: DropReason, n: number): void;
  retried(exporter: ExporterName): void;
  queueLength(exporter: ExporterName, n: number): void;
}

export class GateMetrics implements DecisionLogCounters {
  private readonly a: BigInt64Array;

  /** `buffer`: the primary's (from a worker's init message), or a new one. */
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(SLOTS * 8)) {
    if (buffer.byteLength !== SLOTS * 8) throw new Error(`metrics buffer of ${buffer.byteLength} bytes, want ${SLOTS * 8}`);
    this.a = new BigInt64Array(buffer);
  }

  /** One answered HTTP request: its path, status and how long it took (seconds). */
  request(pathname: string, status: number, seconds: number): void {
    const r = ROUTES.indexOf(routeOf(pathname));
    if (status >= 100 && status <= 599) Atomics.add(this.a, OFF_REQ + r * CODES + (status - 100), 1n);
    const h = OFF_HIST + r * HIST;
    let b = BUCKETS.findIndex((le) => seconds <= le);
    if (b < 0) b = BUCKETS.length;
    Atomics.add(this.a, h + b, 1n);
    Atomics.add(this.a, h + BUCKETS.length + 1, BigInt(Math.max(0, Math.round(seconds * 1e9))));
  }

  decision(endpoint: (typeof DECISION_ENDPOINTS)[number], allow: boolean): void {
    const e = DECISION_ENDPOINTS.indexOf(endpoint);
    if (e >= 0) Atomics.add(this.a, OFF_DEC + e * 2 + (allow ? 0 : 1), 1n);
  }

  exported(exporter: ExporterName, n: number): void {
    Atomics.add(this.a, OFF_EXPORTED + EXPORTERS.indexOf(exporter), BigInt(n));
  }

  dropped(exporter: ExporterName, reason: DropReason, n: number): void {
    Atomics.add(this.a, OFF_DROPPED + EXPORTERS.indexOf(exporter) * DROP_REASONS.length + DROP_REASONS.indexOf(reason), BigInt(n));
  }

  retried(exporter: ExporterName): void {
    Atomics.add(this.a, OFF_RETRIES + EXPORTERS.indexOf(exporter), 1n);
  }

  queueLength(exporter: ExporterName, n: number): void {
    Atomics.store(this.a, OFF_QUEUE + EXPORTERS.indexOf(exporter), BigInt(n));
  }

  private get(i: number): bigint {
    return Atomics.load(this.a, i);
  }

  /** The exposition text (format 0.0.4): HELP and TYPE for every family, samples with escaped label values. */
  render(): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const sample = (name: string, labels: Record<string, string>, value: bigint | number | string) => {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      out.push(`${name}${l.length ? `{${l.join(",")}}` : ""} ${value}`);
    };

    family("tollgate_http_requests_total", "counter", "HTTP requests answered, by path and status code.");
    ROUTES.forEach((path, r) => {
      for (let c = 0; c < CODES; c++) {
        const v = this.get(OFF_REQ + r * CODES + c);
        if (v > 0n) sample("tollgate_http_requests_total", { path, code: String(c + 100) }, v);
      }
    });

    family("tollgate_http_request_duration_seconds", "histogram", "Time from a request's arrival to its response, by path.");
    ROUTES.forEach((path, r) => {
      const h = OFF_HIST + r * HIST;
      let cumulative = 0n;
      const counts = Array.from({ length: BUCKETS.length + 1 }, (_, b) => this.get(h + b));
      const total = counts.reduce((s, v) => s + v, 0n);
      if (total === 0n) return;
      BUCKETS.forEach((le, b) => {
        cumulative += counts[b]!;
        sample("tollgate_http_request_duration_seconds_bucket", { path, le: String(le) }, cumulative);
      });
      sample("tollgate_http_request_duration_seconds_bucket", { path, le: "+Inf" }, total);
      sample("tollgate_http_request_duration_seconds_sum", { path }, formatSeconds(this.get(h + BUCKETS.length + 1)));
      sample("tollgate_http_request_duration_seconds_count", { path }, total);
    });

    family("tollgate_decisions_total", "counter", "Decisions made, by endpoint and outcome.");
    DECISION_ENDPOINTS.forEach((endpoint, e) => {
      (["allow", "deny"] as const).forEach((outcome, o) => sample("tollgate_decisions_total", { endpoint, outcome }, this.get(OFF_DEC + e * 2 + o)));
    });

    family("tollgate_decision_log_exported_total", "counter", "Decision log records exported, by exporter.");
    EXPORTERS.forEach((exporter, x) => sample("tollgate_decision_log_exported_total", { exporter }, this.get(OFF_EXPORTED + x)));
    family("tollgate_decision_log_dropped_total", "counter", "Decision log records dropped, by exporter and reason (queue full, or the export failed after its retries).");
    EXPORTERS.forEach((exporter, x) =>
      DROP_REASONS.forEach((reason, d) => sample("tollgate_decision_log_dropped_total", { exporter, reason }, this.get(OFF_DROPPED + x * DROP_REASONS.length + d))),
    );
    family("tollgate_decision_log_export_retries_total", "counter", "Decision log export attempts retried (retryable status or network error).");
    EXPORTERS.forEach((exporter, x) => sample("tollgate_decision_log_export_retries_total", { exporter }, this.get(OFF_RETRIES + x)));
    family("tollgate_decision_log_queue_length", "gauge", "Decision log records waiting to be exported, by exporter.");
    EXPORTERS.forEach((exporter, x) => sample("tollgate_decision_log_queue_length", { exporter }, this.get(OFF_QUEUE + x)));
    return out.join("\n") + "\n";
  }

  response(method: string): Response {
    const headers = { "Content-Type": METRICS_CONTENT_TYPE };
    if (method !== "GET" && method !== "HEAD") {
      return new Response(JSON.stringify({ code: "method_not_allowed", message: `${method} /metrics: allowed GET, HEAD` }), { status: 405, headers: { "Content-Type": "application/json", Allow: "GET, HEAD" } });
    }
    return new Response(method === "HEAD" ? null : this.render(), { headers });
  }

  /**
   * Wrap a thread's fetch handler so every answered request is counted and timed, and /metrics is served before
   * anything else (open, as /health is: before any bearer-token check the handler makes).
   */
  instrument(handle: (req: Request) => Promise<Response>): (req: Request) => Promise<Response> {
    return async (req) => {
      const start = performance.now();
      const path = new URL(req.url).pathname;
      const res = path === "/metrics" ? this.response(req.method) : await handle(req);
      this.request(path, res.status, (performance.now() - start) / 1000);
      return res;
    };
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Nanoseconds → seconds as a decimal (exact: no float rounding of large sums). */
function formatSeconds(ns: bigint): string {
  const s = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return frac ? `${s}.${frac}` : `${s}`;
}
