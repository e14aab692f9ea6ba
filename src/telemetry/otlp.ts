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
