// OTLP/JSON for logs (opentelemetry-proto ExportLogsServiceRequest, JSON Protobuf Encoding): resourceLogs[].
// scopeLogs[].logRecords[]. It is the proto3 JSON mapping with one deviation: traceId/spanId are case-insensitive
// hex, not base64. 64-bit integers (timeUnixNano, intValue) are written as decimal strings — what tollgate emits,
// since the values exceed 2^53 — and receivers also accept JSON numbers; enums are numbers; attribute values are
// AnyValue objects ({stringValue}, {boolValue}, {intValue: "…"}, {arrayValue: {values: [...]}}, {kvlistValue: …}).

export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } };

export interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface LogRecord {
  timeUnixNano: string;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName?: string;
  body: AnyValue;
  attributes: KeyValue[];
  traceId?: string;
  spanId?: string;
}

export interface ExportLogsServiceRequest {
  resourceLogs: {
    resource: { attributes: KeyValue[] };
    scopeLogs: { scope: { name: string; version?: string }; logRecords: LogRecord[] }[];
  }[];
}

/** SeverityNumber values from the OTel log data model. */
export const SEVERITY = { INFO: 9, WARN: 13 } as const;

export function str(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } };
}

export function bool(key: string, value: boolean): KeyValue {
  return { key, value: { boolValue: value } };
}

export function strArray(key: string, values: readonly string[]): KeyValue {
  return { key, value: { arrayValue: { values: values.map((v) => ({ stringValue: v })) } } };
}

/** Milliseconds since the epoch → nanoseconds as a decimal string (exceeds 2^53: BigInt, never a JS number). */
export function unixNanoString(date: Date): string {
  return (BigInt(date.getTime()) * 1_000_000n).toString();
}

/**
 * JSON Schema (Draft 2020-12) of OTLP/JSON logs as the specification defines them (what a Collector's OTLP/HTTP
 * receiver or otlpjsonfile receiver takes): unknown fields refused, 64-bit integers as decimal strings or numbers,
 * ids as case-insensitive hex. Tests hold the decision log to it (and, where Go is present, to protojson decoding
 * with the opentelemetry-proto definitions); consumers of the decision-log file may use it too.
 */
export const otlpLogsSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://tollgate.dev/schemas/otlp-logs.json",
  type: "object",
  required: ["resourceLogs"],
  additionalProperties: false,
  $defs: {
    uint64: { anyOf: [{ type: "string", pattern: "^(0|[1-9][0-9]{0,19})$" }, { type: "integer", minimum: 0 }] },
    int64: { anyOf: [{ type: "string", pattern: "^-?(0|[1-9][0-9]{0,18})$" }, { type: "integer" }] },
    anyValue: {
      type: "object",
      minProperties: 1,
      maxProperties: 1,
      properties: {
        stringValue: { type: "string" },
        boolValue: { type: "boolean" },
        intValue: { $ref: "#/$defs/int64" },
        doubleValue: { type: "number" },
        bytesValue: { type: "string", contentEncoding: "base64" },
        arrayValue: { type: "object", additionalProperties: false, properties: { values: { type: "array", items: { $ref: "#/$defs/anyValue" } } } },
        kvlistValue: { type: "object", additionalProperties: false, properties: { values: { type: "array", items: { $ref: "#/$defs/keyValue" } } } },
      },
      additionalProperties: false,
    },
    keyValue: {
      type: "object",
      required: ["key", "value"],
      additionalProperties: false,
      properties: { key: { type: "string", minLength: 1 }, value: { $ref: "#/$defs/anyValue" } },
    },
    attributes: { type: "array", items: { $ref: "#/$defs/keyValue" } },
    logRecord: {
      type: "object",
      additionalProperties: false,
      required: ["timeUnixNano", "body"],
      properties: {
        timeUnixNano: { $ref: "#/$defs/uint64" },
        observedTimeUnixNano: { $ref: "#/$defs/uint64" },
        severityNumber: { type: "integer", minimum: 0, maximum: 24 },
        severityText: { type: "string" },
        eventName: { type: "string" },
        body: { $ref: "#/$defs/anyValue" },
        attributes: { $ref: "#/$defs/attributes" },
        droppedAttributesCount: { type: "integer", minimum: 0 },
        flags: { type: "integer", minimum: 0 },
        traceId: { type: "string", pattern: "^([0-9a-fA-F]{32})?$" },
        spanId: { type: "string", pattern: "^([0-9a-fA-F]{16})?$" },
      },
    },
  },
  properties: {
    resourceLogs: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["resource", "scopeLogs"],
        properties: {
          resource: { type: "object", additionalProperties: false, properties: { attributes: { $ref: "#/$defs/attributes" }, droppedAttributesCount: { type: "integer" } } },
          schemaUrl: { type: "string" },
          scopeLogs: {
            type: "array",
            items: {
              type: "object",
              additionalProperties: false,
              required: ["logRecords"],
              properties: {
                scope: {
                  type: "object",
                  additionalProperties: false,
                  properties: { name: { type: "string" }, version: { type: "string" }, attributes: { $ref: "#/$defs/attributes" }, droppedAttributesCount: { type: "integer", minimum: 0 } },
                },
                schemaUrl: { type: "string" },
                logRecords: { type: "array", items: { $ref: "#/$defs/logRecord" } },
              },
            },
          },
        },
      },
    },
  },
} as const;

// ---------------------------------------------------------------------------------------------------------------
// OTLP/HTTP export of LogRecords (POST application/json to a logs endpoint, e.g. http://collector:4318/v1/logs).

export interface OtlpExporterOptions {
  /** The logs URL, used as is. */
  endpoint: string;
  headers?: Record<string, string>;
  /** Records per request (default 256). */
  batchSize?: number;
  /** Background flush period (default 1000 ms). */
  flushIntervalMs?: number;
  /** Records held in memory at most; past it the oldest are dropped and counted (default 10 000). */
  maxQueue?: number;
  /** Attempts per batch, the first included (default 5). */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt (default 250 ms), never more than maxBackoffMs (default 5 s). */
  retryBaseMs?: number;
  maxBackoffMs?: number;
  /** One attempt's deadline: a collector that never answers is abandoned after it (default 10 s). */
  timeoutMs?: number;
  /** The request body of one batch (an ExportLogsServiceRequest as JSON). */
  encode: (records: LogRecord[]) => string;
  onError?: (message: string) => void;
  counters?: {
    exported(n: number): void;
    dropped(reason: "queue_full" | "export_failed", n: number): void;
    retried(): void;
    queueLength(n: number): void;
  };
}

/** What an operator may tune (config `otlp:`, mapped by src/serve/config.ts); each absent one is its default. */
export type OtlpTuning = Pick<OtlpExporterOptions, "batchSize" | "flushIntervalMs" | "maxQueue" | "maxAttempts" | "retryBaseMs" | "maxBackoffMs" | "timeoutMs">;

/**
 * The export's defaults, held here only: the config and the decision log pass on what the operator set and
 * nothing else (schemas/serve-config.schema.json documents the same values).
 */
export const OTLP_DEFAULTS: Readonly<Required<OtlpTuning>> = {
  batchSize: 256,
  flushIntervalMs: 1000,
  maxQueue: 10_000,
  maxAttempts: 5,
  retryBaseMs: 250,
  maxBackoffMs: 5_000,
  timeoutMs: 10_000,
};

/** OTLP/HTTP responses the specification calls retryable. */
export const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/** Retry-After as seconds or an HTTP-date (RFC 9110 §10.2.3) → milliseconds from `now`; undefined when absent/bad. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/^[A-Za-z]{3},? /.test(v)) return undefined; // an HTTP-date begins with its day name
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

export interface OtlpExporterStats {
  exported: number;
  dropped: number;
  failedFlushes: number;
  queued: number;
  retries: number;
}

/** Why an attempt was aborted when its own deadline passed (not the close deadline). */
const ATTEMPT_TIMEOUT = Symbol("attempt timeout");

/**
 * A bounded, batching OTLP/HTTP log exporter that never blocks its caller: add() only queues (dropping — and
 * counting — the oldest records when the queue is full); a background loop sends batches one request at a time,
 * retrying what OTLP calls retryable (429, 502, 503, 504, network errors, an attempt past its deadline) with
 * exponential back-off or the server's Retry-After, up to maxAttempts, then drops the batch and counts it.
 */
export class OtlpLogExporter {
  private queue: LogRecord[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  /** The close deadline passed: nothing more is sent; close() counts what was lost. */
  private abandoned = false;
  /** The in-flight batch's records when it was cut off at the close deadline (it was not delivered). */
  private lostInFlight = 0;
  /** Cut the current request short (at the close deadline). */
  private abortRequest: (() => void) | undefined;
  /** End the current back-off wait now (at the close deadline). */
  private endPause: (() => void) | undefined;
  private readonly stats = { exported: 0, dropped: 0, failedFlushes: 0, retries: 0 };
  /** The settings in force: each one given, else its default (OTLP_DEFAULTS). */
  readonly tuning: Required<OtlpTuning>;

  constructor(private readonly o: OtlpExporterOptions) {
    const d = OTLP_DEFAULTS;
    this.tuning = {
      batchSize: o.batchSize ?? d.batchSize,
      flushIntervalMs: o.flushIntervalMs ?? d.flushIntervalMs,
      maxQueue: o.maxQueue ?? d.maxQueue,
      maxAttempts: o.maxAttempts ?? d.maxAttempts,
      retryBaseMs: o.retryBaseMs ?? d.retryBaseMs,
      maxBackoffMs: o.maxBackoffMs ?? d.maxBackoffMs,
      timeoutMs: o.timeoutMs ?? d.timeoutMs,
    };
    this.timer = setInterval(() => void this.flush(), this.tuning.flushIntervalMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  snapshot(): OtlpExporterStats {
    return { ...this.stats, queued: this.queue.length };
  }

  add(record: LogRecord): void {
    if (this.abandoned) {
      // After the close deadline nothing is sent any more: a late record is lost, and counted.
      this.stats.dropped++;
      this.o.counters?.dropped("export_failed", 1);
      return;
    }
    const n = pushBounded(this.queue, record, this.tuning.maxQueue);
    if (n) {
      this.stats.dropped += n;
      this.o.counters?.dropped("queue_full", n);
    }
    this.o.counters?.queueLength(this.queue.length);
    if (this.queue.length >= this.tuning.batchSize) void this.flush();
  }

  /** Send what is queued; one loop at a time (callers during it share it). Never rejects. */
  flush(): Promise<void> {
    this.running ??= this.drain()
      .catch((e: unknown) => this.o.onError?.(`decision log endpoint ${this.o.endpoint}: ${(e as Error)?.message ?? e}`))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async drain(): Promise<void> {
    while (this.queue.length && !this.abandoned) {
      const batch = this.queue.splice(0, this.tuning.batchSize);
      this.o.counters?.queueLength(this.queue.length);
      const failure = await this.post(this.o.encode(batch));
      if (!failure) {
        this.stats.exported += batch.length;
        this.o.counters?.exported(batch.length);
        continue;
      }
      if (this.abandoned) {
        this.lostInFlight = batch.length; // close() counts and reports it with the queue
        return;
      }
      this.stats.failedFlushes++;
      this.stats.dropped += batch.length;
      this.o.counters?.dropped("export_failed", batch.length);
      this.o.onError?.(`decision log endpoint ${this.o.endpoint}: ${failure} (${batch.length} records dropped)`);
    }
  }

  /** One batch with its retries; returns why it failed, or undefined. */
  private async post(body: string): Promise<string | undefined> {
    const { maxAttempts: attempts, timeoutMs } = this.tuning;
    let why = "";
    for (let attempt = 1; ; attempt++) {
      let wait: number | undefined;
      const ac = new AbortController();
      const deadline = setTimeout(() => ac.abort(ATTEMPT_TIMEOUT), timeoutMs);
      this.abortRequest = () => ac.abort();
      try {
        const res = await fetch(this.o.endpoint, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...this.o.headers },
          body,
          signal: ac.signal,
        });
        await res.arrayBuffer().catch(() => {});
        if (res.ok) return undefined;
        why = `HTTP ${res.status}`;
        if (!RETRYABLE_STATUS.has(res.status)) return attempt > 1 ? `${why} (after ${attempt} attempts)` : why;
        wait = retryAfterMs(res.headers.get("retry-after"));
      } catch (e) {
        why = ac.signal.reason === ATTEMPT_TIMEOUT ? `no answer within ${timeoutMs} ms` : ac.signal.aborted ? "cut off at shutdown" : (e as Error).message;
      } finally {
        clearTimeout(deadline);
        this.abortRequest = undefined;
      }
      if (attempt >= attempts || this.abandoned) return attempt > 1 ? `${why} (after ${attempt} attempts)` : why;
      this.stats.retries++;
      this.o.counters?.retried();
      const backoff = this.tuning.retryBaseMs * 2 ** (attempt - 1);
      await this.pause(Math.min(this.tuning.maxBackoffMs, wait ?? backoff));
      if (this.abandoned) return why;
    }
  }

  /** A back-off wait that close() can end early; its timer is cleared either way. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.endPause = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.endPause = done;
    });
  }

  /**
   * Stop the timer and send what is left, for closeTimeoutMs at most (default 5 s): a collector that is down or
   * never answers does not hold up the gate's shutdown: at the deadline the request in flight is aborted (or its
   * batch's back-off wait ended), and every record not delivered — the queue and that batch — is dropped, counted
   * and reported in one line. No timer or request of the exporter outlives close().
   */
  async close(closeTimeoutMs = 5_000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<true>((resolve) => {
      deadline = setTimeout(() => resolve(true), closeTimeoutMs);
    });
    let late = false;
    try {
      while (!late && (this.queue.length || this.running)) late = await Promise.race([this.flush().then(() => false), timedOut]);
    } finally {
      clearTimeout(deadline);
    }
    if (!late) return;
    this.abandoned = true;
    const queued = this.queue.length;
    this.queue = [];
    this.abortRequest?.();
    this.endPause?.();
    await this.running; // ends at once: its request is aborted, its wait ended
    const inFlight = this.lostInFlight;
    this.lostInFlight = 0;
    const n = queued + inFlight;
    this.o.counters?.queueLength(0);
    if (n === 0) return;
    this.stats.dropped += n;
    this.o.counters?.dropped("export_failed", n);
    this.o.onError?.(`decision log endpoint ${this.o.endpoint}: still unsent after ${closeTimeoutMs} ms at shutdown (${n} records dropped: ${inFlight} in flight, ${queued} queued)`);
  }
}

/** Append to a bounded queue, dropping the oldest entries past `max`; returns how many were dropped. */
export function pushBounded<T>(queue: T[], item: T, max: number): number {
  queue.push(item);
  const n = queue.length - max;
  if (n <= 0) return 0;
  queue.splice(0, n);
  return n;
}
