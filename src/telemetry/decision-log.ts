// Every gate decision as an OpenTelemetry LogRecord (event `tollgate.decision`), exported as OTLP/JSON to a file
// (one ExportLogsServiceRequest per line — the layout the Collector's otlpjsonfile receiver reads) and/or
// OTLP/HTTP (POST application/json to a logs endpoint, e.g. http://collector:4318/v1/logs).
// Export never blocks or fails a decision: records are queued, batched and flushed in the background; OTLP/HTTP
// retries the responses OTLP calls retryable (bounded); a full queue drops the oldest records and counts them.
import { appendFile } from "node:fs/promises";
import { sha256Hex } from "../core/digest.ts";
import { bool, SEVERITY, str, strArray, unixNanoString, type ExportLogsServiceRequest, type KeyValue, type LogRecord } from "./otlp.ts";

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
  endpoint?: string;
  headers?: Record<string, string>;
  batchSize?: number;
  flushIntervalMs?: number;
  maxQueue?: number;
  /** First retry delay of an OTLP/HTTP export, doubled per attempt (default 250 ms). */
  retryBaseMs?: number;
  /** Problems exporting (never thrown into a request). */
  onError?: (message: string) => void;
}

/** OTLP/HTTP responses the specification calls retryable. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const EXPORT_ATTEMPTS = 3;

export interface DecisionLogStats {
  exported: number;
  dropped: number;
  failedFlushes: number;
  queued: number;
}

export class DecisionLogger {
  private queue: LogRecord[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private running = false;
  /** Counters; `queued` is derived from the queue in snapshot(). */
  private readonly stats: Omit<DecisionLogStats, "queued"> = { exported: 0, dropped: 0, failedFlushes: 0 };

  constructor(private readonly o: DecisionLogOptions) {
    if (this.enabled) {
      this.timer = setInterval(() => void this.flush(), o.flushIntervalMs ?? 1000);
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  get enabled(): boolean {
    return !!(this.o.file || this.o.endpoint);
  }

  snapshot(): DecisionLogStats {
    return { ...this.stats, queued: this.queue.length };
  }

  log(e: DecisionEvent): void {
    if (!this.enabled) return;
    this.queue.push(decisionLogRecord(e));
    const max = this.o.maxQueue ?? 10_000;
    if (this.queue.length > max) {
      const n = this.queue.length - max;
      this.queue.splice(0, n);
      this.stats.dropped += n;
    }
    if (this.queue.length >= (this.o.batchSize ?? 256)) void this.flush();
  }

  /**
   * Export what is queued. One flush at a time; a flush already running drains records queued while it runs,
   * so callers during it share it instead of chaining another.
   */
  flush(): Promise<void> {
    if (this.running) return this.flushing;
    this.running = true;
    // Never rejects: a broken export must not become an unhandled rejection in the gate process.
    this.flushing = this.flushOnce()
      .catch((e: unknown) => this.o.onError?.(`decision log export failed: ${(e as Error)?.message ?? e}`))
      .finally(() => {
        this.running = false;
      });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.o.batchSize ?? 256);
      const body = JSON.stringify(exportRequest(this.o.resource, batch));
      let ok = true;
      if (this.o.file) {
        try {
          await appendFile(this.o.file, body + "\n");
        } catch (e) {
          ok = false;
          this.o.onError?.(`decision log file ${this.o.file}: ${(e as Error).message}`);
        }
      }
      if (this.o.endpoint) {
        const failure = await this.post(this.o.endpoint, body);
        if (failure) {
          ok = false;
          this.o.onError?.(`decision log endpoint ${this.o.endpoint}: ${failure} (${batch.length} records dropped)`);
        }
      }
      if (ok) this.stats.exported += batch.length;
      else {
        this.stats.failedFlushes++;
        this.stats.dropped += batch.length;
      }
    }
  }

  /**
   * One OTLP/HTTP export with the retries the OTLP specification asks of a client: on 429, 502, 503, 504 or a
   * network error, up to EXPORT_ATTEMPTS attempts, waiting Retry-After (seconds) when given, else an exponential
   * backoff, never more than 5 s. Other statuses are final. Returns why it failed, or undefined.
   */
  private async post(endpoint: string, body: string): Promise<string | undefined> {
    let why = "";
    for (let attempt = 1; ; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const res = await fetch(endpoint, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...this.o.headers },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer().catch(() => {});
        if (res.ok) return undefined;
        why = `HTTP ${res.status}`;
        if (!RETRYABLE_STATUS.has(res.status)) return why;
        const ra = Number(res.headers.get("retry-after"));
        if (Number.isFinite(ra) && ra >= 0) retryAfterMs = ra * 1000;
      } catch (e) {
        why = (e as Error).message;
      }
      if (attempt >= EXPORT_ATTEMPTS) return attempt > 1 ? `${why} (after ${attempt} attempts)` : why;
      await Bun.sleep(Math.min(5_000, retryAfterMs ?? (this.o.retryBaseMs ?? 250) * 2 ** (attempt - 1)));
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // A flush that was finishing may have left late records behind: drain until empty (failed batches are
    // dropped, so this ends).
    do await this.flush();
    while (this.queue.length > 0);
  }
}
