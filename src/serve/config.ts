// `tollgate serve --config FILE`: YAML or JSON, validated with ajv against schemas/serve-config.schema.json,
// paths resolved against the file's directory. Everything is checked at start: a gate that cannot verify
// bundles refuses to start rather than serve unverified policy.
import type { RegistryOptions } from "../evidence/oci/client.ts";
import { parseOciReference } from "../evidence/oci/reference.ts";
import { resolveLimits, type InputLimits } from "../core/limits.ts";
import { nodeOs } from "../core/lazy.ts";
import { dirname, isAbsolute, resolve } from "node:path";
import YAML from "yaml";
import schema from "../../schemas/serve-config.schema.json" with { type: "json" };
import { TollgateError } from "../core/errors.ts";
import { readUserFileSync } from "../core/read.ts";
import { describeErrors, validator } from "../core/schema.ts";
import { excluder, keyringFromConfig, type BundleKeyring, type KeyConfigEntry } from "../policy/signing.ts";
import { GATE_ENTRYPOINT } from "../policy/default-bundle.ts";
import { readTokenFile } from "./auth.ts";
import { readMaterial, type TlsSettings } from "./tls.ts";
import type { OtlpTuning } from "../telemetry/otlp.ts";

export interface ServeConfigFile {
  addr?: string;
  diagnostic_addr?: string;
  workers?: number | "auto";
  max_body_bytes?: number;
  limits?: { max_input_bytes?: number; max_total_bytes?: number; max_json_depth?: number; max_line_bytes?: number };
  entrypoint?: string;
  service?: { name?: string; instance_id?: string; environment?: string };
  bundle?: {
    file?: string;
    service?: string;
    oci?: string;
    resource?: string;
    headers?: Record<string, string>;
    polling?: { min_delay_seconds?: number; max_delay_seconds?: number; long_polling_timeout_seconds?: number };
    signing?: { keyid?: string; scope?: string; exclude_files?: string[] };
    allow_unsigned?: boolean;
  };
  keys?: Record<string, KeyConfigEntry>;
  data_files?: string[];
  registry?: { config_file?: string; ca_files?: string[]; allow_http?: boolean };
  evidence?: { key_files?: string[]; trusted_root_file?: string; identities?: { issuer: string; identity: string }[] };
  admission?: { entrypoint?: string };
  tls?: { cert_file: string; key_file: string; client_ca_file?: string; min_version?: "1.2" | "1.3" };
  auth?: { bearer_tokens_file: string };
  otlp?: {
    endpoint?: string;
    logs_endpoint?: string;
    headers?: Record<string, string>;
    timeout_ms?: number;
    batch_size?: number;
    flush_interval_ms?: number;
    max_queue?: number;
    retry?: { max_attempts?: number; initial_interval_ms?: number; max_interval_ms?: number };
  };
  decision_logs?: { file?: string; endpoint?: string; headers?: Record<string, string>; batch_size?: number; flush_interval_ms?: number; max_queue?: number };
}

export type BundleSourceConfig =
  | { kind: "default" }
  | { kind: "file"; path: string }
  | {
      kind: "service";
      url: string;
      minDelayMs: number;
      maxDelayMs: number;
      /** Seconds; undefined = plain polling. */
      longPollSeconds?: number;
      headers: Record<string, string>;
    }
  | { kind: "oci"; ref: string; minDelayMs: number; maxDelayMs: number };

/** The resolved, checked configuration the service runs with. */
export interface ServeConfig {
  hostname: string;
  port: number;
  /** The plain-HTTP listener for /health, /ready and /metrics only (diagnostic_addr); absent = none. */
  diagnostic?: { hostname: string; port: number };
  /** Threads serving the port (1 = this thread only). */
  workers: number;
  maxBodyBytes: number;
  /** Limits on each request's evidence (src/core/limits.ts). */
  limits: InputLimits;
  entrypoint: string;
  admissionEntrypoint: string;
  resource: { serviceName: string; serviceVersion: string; instanceId: string; environment?: string };
  bundle: BundleSourceConfig;
  keys: BundleKeyring;
  verification: { keyId?: string; scope?: string; exclude?: string[] };
  allowUnsigned: boolean;
  dataFiles: string[];
  /** How OCI registries are reached (bundle.oci, oci:// images posted to /v1/gate). */
  registry: RegistryOptions;
  evidence: { keyFiles: string[]; trustedRootFile?: string; identities: { issuer: string; identity: string }[] };
  decisionLogs: {
    file?: string;
    /** The OTLP/HTTP logs URL (otlp.endpoint + /v1/logs, otlp.logs_endpoint, or decision_logs.endpoint). */
    endpoint?: string;
    headers: Record<string, string>;
    /** decision_logs.batch_size, flush_interval_ms, max_queue as given (the file's, and OTLP's unless otlp: sets them). */
    batchSize?: number;
    flushIntervalMs?: number;
    maxQueue?: number;
    /**
     * OTLP/HTTP export settings under otlp: as given, and only those: every default is the exporter's
     * (OTLP_DEFAULTS in src/telemetry/otlp.ts), not repeated here.
     */
    otlp?: OtlpTuning;
  };
  /** TLS on the port (src/serve/tls.ts); absent = plain HTTP. */
  tls?: TlsSettings;
  /** Bearer tokens required on /v1/* (src/serve/auth.ts); absent = no authentication. `contents`: the file as read at start. */
  auth?: { bearerTokensFile: string; contents: Uint8Array };
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
export const DEFAULT_ADMISSION_ENTRYPOINT = "tollgate/admission/decision";

export function parseAddr(addr: string, name = "addr"): { hostname: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  if (!m || Number(m[3]) > 65535) throw new TollgateError("usage", `${name} wants host:port (port ≤ 65535), got ${JSON.stringify(addr)}`);
  return { hostname: m[1] ?? (m[2] || "127.0.0.1"), port: Number(m[3]) };
}

/** The logs URL of an OTLP/HTTP base URL: its path with /v1/logs appended (OTLP exporter configuration spec). */
export function otlpLogsUrl(base: string): string {
  const u = new URL(base);
  u.pathname = u.pathname.replace(/\/+$/, "") + "/v1/logs";
  return u.toString();
}

/** Parse + validate + resolve. `version` is tollgate's (service.version). Throws TollgateError("usage"). */
export function resolveServeConfig(doc: unknown, baseDir: string, version: string, source = "config"): ServeConfig {
  const valid = validator(schema);
  if (!valid(doc)) throw new TollgateError("usage", `invalid serve config: ${describeErrors(valid.errors, 5)}`, source);
  const c = doc as ServeConfigFile;
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const { hostname: host, port } = parseAddr(c.addr ?? "127.0.0.1:8181");

  let bundle: BundleSourceConfig = { kind: "default" };
  if (c.bundle?.file) bundle = { kind: "file", path: at(c.bundle.file) };
  else if (c.bundle?.service) {
    const p = c.bundle.polling ?? {};
    const min = p.min_delay_seconds ?? 60;
    const max = p.max_delay_seconds ?? Math.max(120, min);
    // (min_delay_seconds > 0 is the schema's: zero would poll the bundle server without pause.)
    if (max < min) throw new TollgateError("usage", `bundle.polling: max_delay_seconds (${max}) < min_delay_seconds (${min})`, source);
    const url = c.bundle.service.replace(/\/+$/, "") + "/" + (c.bundle.resource ?? "bundles/bundle.tar.gz").replace(/^\/+/, "");
    bundle = { kind: "service", url, minDelayMs: min * 1000, maxDelayMs: max * 1000, headers: c.bundle.headers ?? {} };
    if (p.long_polling_timeout_seconds) bundle.longPollSeconds = p.long_polling_timeout_seconds;
  } else if (c.bundle?.oci) {
    const p = c.bundle.polling ?? {};
    const min = p.min_delay_seconds ?? 60;
    const max = p.max_delay_seconds ?? Math.max(120, min);
    if (max < min) throw new TollgateError("usage", `bundle.polling: max_delay_seconds (${max}) < min_delay_seconds (${min})`, source);
    parseOciReference(c.bundle.oci, "tag"); // a bad reference is refused at start
    bundle = { kind: "oci", ref: c.bundle.oci, minDelayMs: min * 1000, maxDelayMs: max * 1000 };
  } else if (c.bundle && !c.bundle.file && !c.bundle.service) {
    throw new TollgateError("usage", "bundle: give file, service or oci (or omit bundle for the embedded default)", source);
  }

  const keys = keyringFromConfig(c.keys ?? {}, (p) => readUserFileSync(at(p), "key file"), source);
  const allowUnsigned = c.bundle?.allow_unsigned === true;
  if (bundle.kind !== "default" && Object.keys(keys).length === 0 && !allowUnsigned) {
    throw new TollgateError("usage", "no bundle verification keys configured (keys:) and bundle.allow_unsigned is not true: the gate would refuse every bundle", source);
  }
  const signing = c.bundle?.signing ?? {};
  const verification: ServeConfig["verification"] = {};
  if (signing.keyid) verification.keyId = signing.keyid;
  if (signing.scope !== undefined) verification.scope = signing.scope;
  if (signing.exclude_files?.length) {
    // A bad pattern refuses the start, not every bundle later.
    try {
      excluder(signing.exclude_files);
    } catch (e) {
      throw new TollgateError("usage", `bundle.signing.exclude_files: ${(e as Error).message}`, source);
    }
    verification.exclude = signing.exclude_files;
  }
  if (verification.keyId && !Object.hasOwn(keys, verification.keyId)) throw new TollgateError("usage", `bundle.signing.keyid ${JSON.stringify(verification.keyId)} is not in keys`, source);

  const dl = c.decision_logs ?? {};
  const decisionLogs: ServeConfig["decisionLogs"] = {
    headers: dl.headers ?? {},
    ...(dl.batch_size !== undefined ? { batchSize: dl.batch_size } : {}),
    ...(dl.flush_interval_ms !== undefined ? { flushIntervalMs: dl.flush_interval_ms } : {}),
    ...(dl.max_queue !== undefined ? { maxQueue: dl.max_queue } : {}),
  };
  if (dl.file) decisionLogs.file = at(dl.file);
  // One OTLP/HTTP mechanism: `otlp:` (the issue's and OTel's name), with decision_logs.endpoint kept as the
  // older spelling of otlp.logs_endpoint.
  const o = c.otlp;
  if (o && dl.endpoint) throw new TollgateError("usage", "give the OTLP/HTTP endpoint once: otlp (endpoint or logs_endpoint) or decision_logs.endpoint, not both", source);
  const endpoint = o ? (o.logs_endpoint ?? otlpLogsUrl(o.endpoint!)) : dl.endpoint;
  if (endpoint) {
    decisionLogs.endpoint = endpoint;
    if (o?.headers) decisionLogs.headers = o.headers;
    // Config names → the exporter's; what is not set is left out (never a second copy of a default).
    const given: [keyof OtlpTuning, number | undefined][] = [
      ["batchSize", o?.batch_size],
      ["flushIntervalMs", o?.flush_interval_ms],
      ["maxQueue", o?.max_queue],
      ["timeoutMs", o?.timeout_ms],
      ["maxAttempts", o?.retry?.max_attempts],
      ["retryBaseMs", o?.retry?.initial_interval_ms],
      ["maxBackoffMs", o?.retry?.max_interval_ms],
    ];
    decisionLogs.otlp = Object.fromEntries(given.filter(([, v]) => v !== undefined));
  }
  // deployment.environment is one of the Resource attributes every decision record must carry (tollgate's own
  // otel-log evidence kind requires it of a log stream), so a gate that logs decisions must name its environment.
  if ((dl.file || endpoint) && !c.service?.environment) {
    throw new TollgateError("usage", `${dl.file || dl.endpoint ? "decision_logs need" : "otlp needs"} service.environment (the deployment.environment Resource attribute of every record)`, source);
  }

  const evidence: ServeConfig["evidence"] = {
    keyFiles: (c.evidence?.key_files ?? []).map(at),
    identities: c.evidence?.identities ?? [],
  };
  if (c.evidence?.trusted_root_file) evidence.trustedRootFile = at(c.evidence.trusted_root_file);

  const resource: ServeConfig["resource"] = {
    serviceName: c.service?.name ?? "tollgate-gate",
    serviceVersion: version,
    instanceId: c.service?.instance_id ?? nodeOs().hostname(),
  };
  if (c.service?.environment) resource.environment = c.service.environment;

  const out: ServeConfig = {
    hostname: host,
    port,
    workers: c.workers === "auto" ? nodeOs().availableParallelism() : (c.workers ?? 1),
    maxBodyBytes: c.max_body_bytes ?? DEFAULT_MAX_BODY_BYTES,
    limits: resolveLimits({
      ...(c.limits?.max_input_bytes !== undefined ? { maxInputBytes: c.limits.max_input_bytes } : {}),
      ...(c.limits?.max_total_bytes !== undefined ? { maxTotalBytes: c.limits.max_total_bytes } : {}),
      ...(c.limits?.max_json_depth !== undefined ? { maxJsonDepth: c.limits.max_json_depth } : {}),
      ...(c.limits?.max_line_bytes !== undefined ? { maxLineBytes: c.limits.max_line_bytes } : {}),
    }),
    entrypoint: c.entrypoint ?? GATE_ENTRYPOINT,
    admissionEntrypoint: c.admission?.entrypoint ?? DEFAULT_ADMISSION_ENTRYPOINT,
    resource,
    bundle,
    keys,
    verification,
    allowUnsigned,
    dataFiles: (c.data_files ?? []).map(at),
    evidence,
    decisionLogs,
    registry: {
      ...(c.registry?.config_file ? { registryConfig: at(c.registry.config_file) } : {}),
      ...(c.registry?.ca_files?.length ? { caFiles: c.registry.ca_files.map(at) } : {}),
      ...(c.registry?.allow_http ? { allowHttp: true } : {}),
    },
  };
  // Read and checked now, once: a gate with a key that is not its certificate's (or a token file without tokens)
  // refuses to start naming the file, and every thread serves these very bytes (they are not read again).
  if (c.tls) {
    out.tls = readMaterial({
      certFile: at(c.tls.cert_file),
      keyFile: at(c.tls.key_file),
      ...(c.tls.client_ca_file ? { clientCaFile: at(c.tls.client_ca_file) } : {}),
      minVersion: c.tls.min_version ?? "1.2",
    });
  }
  if (c.diagnostic_addr !== undefined) out.diagnostic = parseAddr(c.diagnostic_addr, "diagnostic_addr");
  if (c.auth) {
    const bearerTokensFile = at(c.auth.bearer_tokens_file);
    out.auth = { bearerTokensFile, contents: readTokenFile(bearerTokensFile) };
  }
  return out;
}

/**
 * `patch` edits the parsed document before it is validated (the CLI's OPA-style flags; paths it sets must be
 * absolute, as they are relative to the working directory and not to the config file).
 */
export function loadServeConfig(path: string, version: string, patch?: (doc: ServeConfigFile) => void): ServeConfig {
  const text = new TextDecoder().decode(readUserFileSync(path, "config file"));
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new TollgateError("usage", `config is neither YAML nor JSON: ${(e as Error).message.split("\n")[0]}`, path);
  }
  if (patch && doc && typeof doc === "object" && !Array.isArray(doc)) patch(doc as ServeConfigFile);
  return resolveServeConfig(doc, dirname(resolve(path)), version, path);
}
