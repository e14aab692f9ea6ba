// The seam between the gate's request handler (server.ts) and whoever owns the bundles and the decision log: the
// primary thread itself, or — in a worker thread (worker.ts, workers.ts) — the primary across a message channel.
import type { DecisionEvent } from "../telemetry/decision-log.ts";
import type { GateMetrics } from "../telemetry/metrics.ts";
import type { ActiveBundle, BundleFailure, BundleStatus } from "./bundles.ts";
import type { ServeConfig } from "./config.ts";

/** What a request handler needs from whoever owns the bundles and the decision log (this thread, or the primary). */
export interface GateCore {
  /** The active bundle: one reference read per request, so a swap never splits a request across bundles. */
  active(): ActiveBundle | undefined;
  failure(): BundleFailure | undefined;
  /** /ready: the bundle manager's status and the decision log's. */
  readiness(): Promise<{ status: BundleStatus; decisionLogs: unknown }>;
  emit(e: DecisionEvent): void;
  /** Whether emit() records anything (decision logs configured): when not, the handler does not call it. */
  readonly logsDecisions: boolean;
  /** Draining: /ready answers 503 so load balancers stop sending requests. */
  stopping(): boolean;
  /** Which thread answers (0 = the primary, 1… = workers), shown by /health. */
  readonly thread: number;
  /** /metrics: counters shared by every thread (a SharedArrayBuffer), so any thread serves the sum. */
  readonly metrics?: GateMetrics;
}

/** The part of the configuration a request handler reads (plain data: a worker thread gets a copy). */
export type HandlerConfig = Pick<ServeConfig, "hostname" | "port" | "maxBodyBytes" | "limits" | "entrypoint" | "admissionEntrypoint" | "resource" | "evidence" | "dataFiles" | "registry" | "tls" | "auth">;

