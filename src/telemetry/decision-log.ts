// Every gate decision as an OpenTelemetry LogRecord (event `tollgate.decision`), exported as OTLP/JSON to a file
// (one ExportLogsServiceRequest per line — the layout the Collector's otlpjsonfile receiver reads) and/or
// OTLP/HTTP (POST application/json to a logs endpoint, e.g. http://collector:4318/v1/logs; otlp.ts).
// Export never blocks or fails a decision: records are queued, batched and flushed in the background, per
// exporter; OTLP/HTTP retries the responses OTLP calls retryable with back-off (bounded); a full queue drops the
// oldest records and counts them (DecisionLogStats, and tollgate_decision_log_dropped_total on /metrics).
import { appendFile } from "node:fs/promises";
import { sha256Hex } from "../core/digest.ts";
import type { DecisionLogCounters } from "./metrics.ts";
import { bool, OtlpLogExporter, pushBounded, SEVERITY, str, strArray, unixNanoString, type ExportLogsServiceRequest, type KeyValue, type LogRecord, type OtlpTuning } from "./otlp.ts";

export interface ResourceInfo {
  serviceName: string;
  serviceVersion: string;
  instanceId: string;
  environment?: string;
}

export interface DecisionEvent {
  decisionId: string;
  /** When the request was received (the decision instant). */
  time: Date;
  endpoint: "gate" | "data" | "admission" | "promote";
  entrypoint: string;
  allow: boolean;
  /** Rule ids of deny results (sorted, unique). */
  denyRules: string[];
  warnRules: string[];
  subjectDigest?: string;
  bundleRevision: string;
  bundleSha256: string;
  inputDigest: string;
  /** Admission only: the AdmissionReview request uid. */
  admissionUid?: string;
}

/**
 * Decision ids are derived, never random: the same input evaluated at the same entrypoint of the same bundle gets
 * the same id, so a replay can be matched to the original log line, and two different decisions never share one.
 * For /v1/gate the input document carries the decision time, so every request has its own id; /v1/data inputs are
 * the caller's (identical requests are the same decision), and an AdmissionReview's uid makes each review distinct.
 */
export function decisionId(d: { inputDigest: string; entrypoint: string; bundleRevision: string; bundleSha256: string }): string {
  const h = sha256Hex(`tollgate-decision-v2\n${d.inputDigest}\n${d.entrypoint}\n${d.bundleRevision}\n${d.bundleSha256}`);
  // UUID layout (version nibble 8 = custom, RFC 9562) so tools that expect a UUID accept it.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function resourceAttributes(r: ResourceInfo): KeyValue[] {
  const attrs = [str("service.name", r.serviceName), str("service.version", r.serviceVersion), str("service.instance.id", r.instanceId)];
  if (r.environment) attrs.push(str("deployment.environment", r.environment), str("deployment.environment.name", r.environment));
  return attrs;
}

export function decisionLogRecord(e: DecisionEvent): LogRecord {
  const attributes: KeyValue[] = [
    str("tollgate.decision.id", e.decisionId),
    bool("tollgate.decision.allow", e.allow),
    strArray("tollgate.decision.deny_rule_ids", e.denyRules),
    strArray("tollgate.decision.warn_rule_ids", e.warnRules),
    str("tollgate.decision.endpoint", e.endpoint),
    str("tollgate.policy.entrypoint", e.entrypoint),
    str("tollgate.bundle.revision", e.bundleRevision),
    str("tollgate.bundle.sha256", e.bundleSha256),
    str("tollgate.input.digest", e.inputDigest),
  ];
  if (e.subjectDigest) attributes.push(str("tollgate.subject.digest", e.subjectDigest));
  if (e.admissionUid) attributes.push(str("k8s.admission.uid", e.admissionUid));
  const rules = e.denyRules.length ? `: ${e.denyRules.join(", ")}` : "";
  return {
    // Observed when decided: the record is made at the decision, not read later from elsewhere.
    timeUnixNano: unixNanoString(e.time),
    observedTimeUnixNano: unixNanoString(e.time),
    severityNumber: e.allow ? SEVERITY.INFO : SEVERITY.WARN,
    severityText: e.allow ? "INFO" : "WARN",
    eventName: "tollgate.decision",
    body: { stringValue: `${e.allow ? "allow" : "deny"} ${e.entrypoint}${rules}` },
    attributes,
  };
}

export function exportRequest(resource: ResourceInfo, records: LogRecord[]): ExportLogsServiceRequest {
  return {
    resourceLogs: [
      {
        resource: { attributes: resourceAttributes(resource) },
        scopeLogs: [{ scope: { name: "tollgate.decision-log", version: resource.serviceVersion }, logRecords: records }],
      },
    ],
  };
}

export interface DecisionLogOptions {
  resource: ResourceInfo;
  file?: string;
  /** OTLP/HTTP logs URL (used as is). */
  endpoint?: string;
  headers?: Record<string, string>;
  /** The file's batch size, flush period and queue bound (defaults 256, 1000 ms, 10 000); OTLP's too unless `otlp` sets its own. */
  batchSize?: number;
  flushIntervalMs?: number;
  maxQueue?: number;
  /** Problems exporting (never thrown into a request). */
  onError?: (message: string) => void;
  /** The OTLP/HTTP exporter's settings as the operator gave them; each absent one is the exporter's default (OTLP_DEFAULTS). */
  otlp?: OtlpTuning;
  /** Where exported/dropped/retried counts and queue lengths go (the gate's /metrics). */
  counters?: DecisionLogCounters;
}

export interface DecisionLogStats {
  /** Records exported, summed over the exporters (a record sent to the file and the endpoint counts twice). */
  exported: number;
  dropped: number;
  failedFlushes: number;
  queued: number;
  /** Each exporter's own counts. */
  exporters?: { file?: Omit<DecisionLogStats, "exporters">; otlp?: Omit<DecisionLogStats, "exporters"> & { retries: number } };
}

/**
 * The decision log: each record goes to every configured exporter — the file (batched appends) and OTLP/HTTP
 * (OtlpLogExporter in otlp.ts: its own bounded queue, batches, retries with back-off) — each on its own, so a
 * collector that is down or never answers delays neither the decisions nor the file.
 */
export class DecisionLogger {
  private queue: LogRecord[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private running = false;
  private readonly otlp: OtlpLogExporter | undefined;
  /** The file exporter's counters; `queued` is derived from the queue in snapshot(). */
  private readonly stats = { exported: 0, dropped: 0, failedFlushes: 0 };

  constructor(private readonly o: DecisionLogOptions) {
    if (o.file) {
      this.timer = setInterval(() => void this.flush(), o.flushIntervalMs ?? 1000);
      (this.timer as { unref?: () => void }).unref?.();
    }
    if (o.endpoint) {
      const c = o.counters;
      this.otlp = new OtlpLogExporter({
        ...o.otlp,
        batchSize: o.otlp?.batchSize ?? o.batchSize,
        flushIntervalMs: o.otlp?.flushIntervalMs ?? o.flushIntervalMs,
        maxQueue: o.otlp?.maxQueue ?? o.maxQueue,
        endpoint: o.endpoint,
        encode: (records) => JSON.stringify(exportRequest(o.resource, records)),
        ...(o.headers ? { headers: o.headers } : {}),
        ...(o.onError ? { onError: o.onError } : {}),
        ...(c
          ? {
              counters: {
                exported: (n: number) => c.exported("otlp", n),
                dropped: (reason: "queue_full" | "export_failed", n: number) => c.dropped("otlp", reason, n),
                retried: () => c.retried("otlp"),
                queueLength: (n: number) => c.queueLength("otlp", n),
              },
            }
          : {}),
      });
    }
  }

  get enabled(): boolean {
    return !!(this.o.file || this.o.endpoint);
  }

  snapshot(): DecisionLogStats {
    const file = this.o.file ? { ...this.stats, queued: this.queue.length } : undefined;
    const otlp = this.otlp?.snapshot();
    const parts = [file, otlp].filter((p) => p !== undefined);
    const sum = (k: "exported" | "dropped" | "failedFlushes" | "queued") => parts.reduce((s, p) => s + p[k], 0);
    return {
      exported: sum("exported"),
      dropped: sum("dropped"),
      failedFlushes: sum("failedFlushes"),
      queued: sum("queued"),
      exporters: { ...(file ? { file } : {}), ...(otlp ? { otlp } : {}) },
    };
  }

  /** Queue a decision's record for every exporter: never waits, never throws. */
  log(e: DecisionEvent): void {
    if (!this.enabled) return;
    const record = decisionLogRecord(e);
    this.otlp?.add(record);
    if (!this.o.file) return;
    const n = pushBounded(this.queue, record, this.o.maxQueue ?? 10_000);
    if (n) {
      this.stats.dropped += n;
      this.o.counters?.dropped("file", "queue_full", n);
    }
    this.o.counters?.queueLength("file", this.queue.length);
    if (this.queue.length >= (this.o.batchSize ?? 256)) void this.flush();
  }

  /**
   * Export what is queued. One file flush at a time; a flush already running drains records queued while it
   * runs, so callers during it share it instead of chaining another.
   */
  flush(): Promise<void> {
    const otlp = this.otlp?.flush() ?? Promise.resolve();
    if (!this.o.file) return otlp;
    if (!this.running) {
      this.running = true;
      // Never rejects: a broken export must not become an unhandled rejection in the gate process.
      this.flushing = this.flushFile()
        .catch((e: unknown) => this.o.onError?.(`decision log export failed: ${(e as Error)?.message ?? e}`))
        .finally(() => {
          this.running = false;
        });
    }
    return Promise.all([this.flushing, otlp]).then(() => {});
  }

  private async flushFile(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.o.batchSize ?? 256);
      this.o.counters?.queueLength("file", this.queue.length);
      try {
        await appendFile(this.o.file!, JSON.stringify(exportRequest(this.o.resource, batch)) + "\n");
        this.stats.exported += batch.length;
        this.o.counters?.exported("file", batch.length);
      } catch (e) {
        this.o.onError?.(`decision log file ${this.o.file}: ${(e as Error).message}`);
        this.stats.failedFlushes++;
        this.stats.dropped += batch.length;
        this.o.counters?.dropped("file", "export_failed", batch.length);
      }
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const otlp = this.otlp?.close();
    if (this.o.file) {
      // A flush that was finishing may have left late records behind: drain until empty (failed batches are
      // dropped, so this ends).
      do await this.flush();
      while (this.queue.length > 0);
    }
    await otlp;
  }
}
