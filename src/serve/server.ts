// The gate service on Bun.serve:
//   POST /v1/gate        evidence (JSON document, array, {"evidence":[{path,content}],"subject"} or multipart) → decision
//   POST /v1/data/{path} OPA-compatible: {"input": …} → {"result": …, "decision_id"}; 404 for an unknown entrypoint
//   POST /v1/admission   Kubernetes AdmissionReview v1 → AdmissionReview response (uid echoed)
//   GET  /health         liveness;  GET /ready  readiness with the active bundle and the last failure
// Every request is answered: bad requests 400 with a message, oversized bodies 413, policy errors 500; nothing a
// client sends can stop the process. Each request reads the active bundle reference once (atomic hot swap).
import { TollgateError, asTollgateError } from "../core/errors.ts";
import { settledWithin } from "../core/deadline.ts";
import { decodeBase64Strict, sha256Hex } from "../core/digest.ts";
import { isStrongAlgorithm, parseSubjectDigest, primaryDigest, type DigestSet } from "../core/digest-set.ts";
import { inputDigest } from "../core/input.ts";
import { evidenceFromBytes } from "../evidence/source.ts";
import { DEFAULT_LIMITS, InputBudget, jsonNestsDeeperThan, type InputLimits } from "../core/limits.ts";
import type { SourceFile } from "../evidence/types.ts";
import { decide, loadDataOverlays, loadTrust, prepareEvidenceFiles, readOciOperands, type DataOverlays, type EvidenceOptions, type LoadedTrust } from "../gate/run.ts";
import type { PolicyBundle } from "../policy/bundle.ts";
import { toDecision, type Decision } from "../policy/gate.ts";
import { normalizeEntrypoint } from "../policy/evaluator.ts";
import { DecisionLogger, decisionId, type DecisionEvent } from "../telemetry/decision-log.ts";
import { GateMetrics } from "../telemetry/metrics.ts";
import { readCapped } from "./body.ts";
import { BearerAuth } from "./auth.ts";
import { serverUrl } from "./bundle-server.ts";
import { BundleManager, type ActiveBundle } from "./bundles.ts";
import type { ServeConfig } from "./config.ts";
import type { GateCore, HandlerConfig } from "./core.ts";
import { listenDiagnostics, type DiagnosticListener } from "./diagnostic.ts";
import { claimPort } from "./port.ts";
import { TlsFront, privateSocketPath } from "./tls.ts";

export interface GateServer {
  readonly port: number;
  readonly url: string;
  readonly bundles: BundleManager;
  readonly decisionLog: DecisionLogger;
  /** Threads serving requests on the port (config `workers`). */
  readonly threads: number;
  /** The diagnostic listener's URL (config diagnostic_addr: /health, /ready, /metrics in plain HTTP), if any. */
  readonly diagnosticUrl?: string;
  stop(): Promise<void>;
}

export interface GateServerOptions {
  log?: (line: string) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const JSON_HEADERS = { "Content-Type": "application/json" };

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
}

function errorResponse(status: number, code: string, message: string): Response {
  return json({ code, message }, status);
}

/** Read the body, refusing more than `max` bytes (Content-Length checked first, then counted while streaming). */
async function readBody(req: Request, max: number): Promise<Uint8Array> {
  // A request body is exactly its Content-Length on the wire (Bun neither inflates nor reads past it): when that
  // is within the limit, Bun's own read is the cheap one. Without a length (chunked), count while streaming.
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\d{1,15}$/.test(declared) && Number(declared) <= max) return req.bytes();
  const r = await readCapped(req, max);
  if (r instanceof Uint8Array) return r;
  throw new HttpError(413, "request_too_large", `request body${r.declared !== undefined ? ` of ${r.declared} bytes` : ""} exceeds max_body_bytes (${max})`);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Deepest JSON nesting accepted in a request body (Go's encoding/json, which OPA uses, stops at 10000 too). */
export const MAX_JSON_DEPTH = 10_000;

/** Whether JSON text nests arrays/objects deeper than `max` (the one meter every reader uses). */
export { jsonNestsDeeperThan };

function parseJsonBody(bytes: Uint8Array, what: string, noun = "request body"): unknown {
  if (bytes.length === 0) throw new HttpError(400, "invalid_parameter", `${what}: empty ${noun} (want JSON)`);
  // Refused before parsing: re-serializing or digesting a deeper document would exhaust the stack (a 500).
  if (jsonNestsDeeperThan(bytes, MAX_JSON_DEPTH)) throw new HttpError(400, "invalid_parameter", `${what}: ${noun} nests JSON deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch (e) {
    throw new HttpError(400, "invalid_parameter", `${what}: ${noun} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Resolves once per event-loop turn, after that turn's I/O callbacks: the requests whose bodies arrived together
 * are then parsed and evaluated back to back, with the policy's code and memory still warm in the cache, instead
 * of each between its neighbours' network work (under load, about a fifth less CPU per request; bench/serve.ts).
 * One setImmediate per turn, shared by the whole batch.
 */
let turn: Promise<void> | undefined;
function evaluationTurn(): Promise<void> {
  return (turn ??= new Promise<void>((resolve) =>
    setImmediate(() => {
      turn = undefined;
      resolve();
    }),
  ));
}

const RESULT_PREFIX = '[{"result":';
const INPUT_KEY = /^[ \t\n\r]*\{[ \t\n\r]*"input"[ \t\n\r]*:/;

/**
 * The bytes between `{"input":` and the closing `}` of a /v1/data body written that way (JSON whitespace allowed
 * around each token), else undefined. They are the input's text exactly when they parse as one JSON value: JSON's
 * grammar then leaves no other member and nothing else in the object (the caller checks that with JSON.parse).
 */
function inputSpan(body: Uint8Array): Uint8Array | undefined {
  const head = INPUT_KEY.exec(latin1.decode(body.subarray(0, 64)));
  if (!head) return undefined;
  let end = body.length - 1;
  while (end > 0 && (body[end] === 0x20 || body[end] === 0x0a || body[end] === 0x0d || body[end] === 0x09)) end--;
  return body[end] === 0x7d && end > head[0].length ? body.subarray(head[0].length, end) : undefined;
}
const latin1 = new TextDecoder("latin1");

/** A request path's percent-escapes decoded; a malformed escape is the client's error (400), not a 500. */
function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, "invalid_parameter", `path ${raw} is not valid percent-encoded UTF-8`);
  }
}

export interface GateRequest {
  files: SourceFile[];
  /** `oci://HOST/REPO@sha256:…` images whose attached evidence is fetched (`?image=`, or `"image"` in the body). */
  images?: string[];
  /** The artifact's digests (`alg:hex`, one per algorithm), as `--subject` takes them. */
  subject?: string[];
}

function isWrapperItem(v: unknown): v is { path: string; content?: unknown; content_base64?: string } {
  return !!v && typeof v === "object" && typeof (v as { path?: unknown }).path === "string" && ("content" in v || "content_base64" in v);
}

/**
 * The subject of a /v1/gate request from every place one may be given — the `subject` query parameter, the JSON
 * wrapper's `subject`, multipart `subject` fields — each validated on its own (an invalid one is a 400 even when
 * another is valid), and all of them the same digest (a conflict is a 400, never "the last one wins").
 */
class SubjectSources {
  // One DigestSet: several values may name the artifact by several algorithms, never one algorithm twice over.
  private readonly digests: DigestSet = {};
  private readonly from: Record<string, string> = {};

  add(value: unknown, where: string): void {
    if (Array.isArray(value) && value.length > 0) {
      for (const v of value) this.add(v, where);
      return;
    }
    if (typeof value !== "string") {
      throw new HttpError(400, "invalid_parameter", `/v1/gate: ${where} must be a digest string (sha256:<hex>, sha384:<hex>, sha512:<hex>, sha512-<base64>) or an array of them`);
    }
    let alg: string;
    let hex: string;
    try {
      [alg, hex] = parseSubjectDigest(value);
    } catch (e) {
      throw new HttpError(400, "invalid_parameter", `/v1/gate: ${where}: ${(e as Error).message}`);
    }
    if (this.digests[alg] !== undefined && this.digests[alg] !== hex) {
      throw new HttpError(400, "invalid_parameter", `/v1/gate: conflicting subjects: ${this.from[alg]} is ${alg}:${this.digests[alg]}, ${where} is ${alg}:${hex}`);
    }
    this.digests[alg] = hex;
    this.from[alg] ??= where;
  }

  get subject(): string[] | undefined {
    const list = Object.entries(this.digests).map(([alg, hex]) => `${alg}:${hex}`);
    return list.length ? list : undefined;
  }
}

function withSubject(files: SourceFile[], subjects: SubjectSources, images: string[] = []): GateRequest {
  const subject = subjects.subject;
  return { files, ...(subject ? { subject } : {}), ...(images.length ? { images } : {}) };
}

function addImages(images: string[], v: unknown, where: string): void {
  for (const x of Array.isArray(v) ? v : [v]) {
    if (typeof x !== "string" || !/^oci:\/\/[^/]+\/.+@sha256:[0-9a-f]{64}$/.test(x)) {
      throw new HttpError(400, "invalid_parameter", `/v1/gate: ${where} must be oci://HOST/REPO@sha256:<hex> (or an array of them)`);
    }
    images.push(x);
  }
}

/** The evidence forms /v1/gate accepts → SourceFiles (named, so errors and decisions can point at them). */
export async function parseGateRequest(req: Request, body: Uint8Array, limits: InputLimits = DEFAULT_LIMITS): Promise<GateRequest> {
  // Each evidence item is read as a CLI file is: per-item and per-request caps, the JSON nesting cap.
  const budget = new InputBudget(limits);
  const sourceFromBytes = (path: string, bytes: Uint8Array, explicit: boolean) => {
    try {
      budget.admit(path, bytes.byteLength);
      budget.take(path, bytes.byteLength, bytes.byteLength);
      return evidenceFromBytes(path, bytes, explicit, limits);
    } catch (e) {
      const err = asTollgateError(e);
      // The gate's limits are raised in its config, not with the CLI's flags.
      const message = err.oneLine().replace(/--max-([a-z-]+)/, (_, n: string) => `limits.max_${n.replace(/-/g, "_")} in the config`);
      throw new HttpError(err.code === "limit_exceeded" && /size limit/.test(err.message) ? 413 : 400, err.code === "limit_exceeded" ? err.code : "invalid_parameter", `/v1/gate: ${message}`);
    }
  };
  const ct = (req.headers.get("content-type") ?? "").toLowerCase();
  const url = new URL(req.url);
  const subjects = new SubjectSources();
  // Validated before the body is looked at: a bad query subject is refused whatever the body says.
  for (const q of url.searchParams.getAll("subject")) subjects.add(q, "the subject query parameter");
  const images: string[] = [];
  for (const q of url.searchParams.getAll("image")) addImages(images, q, "the image query parameter");
  // An image alone: its registry evidence is the whole request.
  if (images.length && body.byteLength === 0) return withSubject([], subjects, images);
  if (ct.startsWith("multipart/form-data")) {
    let form: FormData;
    try {
      form = (await new Response(body, { headers: { "Content-Type": req.headers.get("content-type")! } }).formData()) as unknown as FormData;
    } catch (e) {
      throw new HttpError(400, "invalid_parameter", `multipart body is malformed: ${(e as Error).message}`);
    }
    const files: SourceFile[] = [];
    let i = 0;
    for (const [field, value] of form.entries()) {
      if (typeof value === "string") {
        if (field === "subject") subjects.add(value, "the multipart subject field");
        continue;
      }
      // A file part named "subject" is a client mistake that would otherwise be read as evidence.
      if (field === "subject") throw new HttpError(400, "invalid_parameter", "/v1/gate: the multipart subject field must be a plain value, not a file part");
      const name = (value as File).name || `${field}-${i}`;
      files.push(sourceFromBytes(`upload/${name}`, new Uint8Array(await (value as File).arrayBuffer()), true));
      i++;
    }
    if (files.length === 0) throw new HttpError(400, "invalid_parameter", "multipart body has no file parts");
    return withSubject(files, subjects);
  }
  if (ct && !ct.startsWith("application/json") && !ct.includes("+json")) {
    throw new HttpError(415, "unsupported_media_type", `content type ${ct} is not accepted (send application/json or multipart/form-data)`);
  }
  const doc = parseJsonBody(body, "/v1/gate");
  if (Array.isArray(doc)) {
    if (doc.length === 0) throw new HttpError(400, "invalid_parameter", "/v1/gate: empty evidence array");
    const files = doc.map((d, i) => sourceFromBytes(`request/evidence-${i}.json`, new TextEncoder().encode(JSON.stringify(d)), true));
    return withSubject(files, subjects);
  }
  if (doc && typeof doc === "object" && !Array.isArray(doc) && "image" in doc && !("evidence" in doc)) {
    const w = doc as { image: unknown; subject?: unknown };
    addImages(images, w.image, "the body's image");
    if (w.subject !== undefined) subjects.add(w.subject, "the body's subject");
    return withSubject([], subjects, images);
  }
  if (doc && typeof doc === "object" && Array.isArray((doc as { evidence?: unknown }).evidence) && (doc as { evidence: unknown[] }).evidence.every(isWrapperItem)) {
    const w = doc as { evidence: { path: string; content?: unknown; content_base64?: string }[]; subject?: unknown; image?: unknown };
    if (w.subject !== undefined) subjects.add(w.subject, "the body's subject");
    if (w.image !== undefined) addImages(images, w.image, "the body's image");
    const files = w.evidence.map((e, i) => {
      let bytes: Uint8Array;
      if (e.content_base64 !== undefined) {
        try {
          if (typeof e.content_base64 !== "string") throw new Error("content_base64 is not a string");
          bytes = decodeBase64Strict(e.content_base64, "content_base64");
        } catch (err) {
          throw new HttpError(400, "invalid_parameter", `/v1/gate: evidence[${i}] (${e.path}): ${(err as Error).message}`);
        }
      } else if (typeof e.content === "string") bytes = new TextEncoder().encode(e.content); // exact text
      else bytes = new TextEncoder().encode(JSON.stringify(e.content)); // an inline JSON document
      return sourceFromBytes(e.path, bytes, true);
    });
    if (files.length === 0 && !images.length) throw new HttpError(400, "invalid_parameter", "/v1/gate: evidence is empty");
    return withSubject(files, subjects, images);
  }
  // One evidence document: keep its exact bytes.
  return withSubject([sourceFromBytes("request/evidence.json", body, true)], subjects);
}

function ruleIds(results: readonly { rule: string }[]): string[] {
  return [...new Set(results.map((r) => r.rule))].sort();
}

/** The subject of a /v1/data input that is a tollgate input document (`context.subject.digest`), for the log. */
function subjectOf(input: unknown): string | undefined {
  const d = (input as { context?: { subject?: { digest?: unknown } } } | null)?.context?.subject?.digest;
  if (!d || typeof d !== "object") return undefined;
  const set: DigestSet = {};
  for (const [alg, hex] of Object.entries(d)) if (isStrongAlgorithm(alg) && typeof hex === "string" && /^[0-9a-f]+$/.test(hex)) set[alg] = hex;
  return primaryDigest(set);
}

/** Best effort: a /v1/data result that looks like a decision gives allow + rule ids for the log. */
function summarize(result: unknown): { allow: boolean; deny: string[]; warn: string[] } {
  if (result === true) return { allow: true, deny: [], warn: [] };
  if (result && typeof result === "object" && !Array.isArray(result)) {
    const r = result as { allow?: unknown; deny?: unknown; warn?: unknown };
    const ids = (v: unknown) => (Array.isArray(v) ? ruleIds(v.map((x) => ({ rule: x && typeof x === "object" && typeof (x as { rule?: unknown }).rule === "string" ? (x as { rule: string }).rule : "deny" }))) : []);
    const deny = ids(r.deny);
    return { allow: r.allow === true && deny.length === 0, deny, warn: ids(r.warn) };
  }
  return { allow: false, deny: [], warn: [] };
}

export function handlerConfig(cfg: ServeConfig): HandlerConfig {
  const { hostname, port, maxBodyBytes, limits, entrypoint, admissionEntrypoint, resource, evidence, dataFiles, registry, tls, auth } = cfg;
  return { hostname, port, maxBodyBytes, limits, entrypoint, admissionEntrypoint, resource, evidence, dataFiles, registry, ...(tls ? { tls } : {}), ...(auth ? { auth } : {}) };
}

/**
 * Trust material for /v1/gate and the data overlays, read once: an unreadable key or trusted root stops the start
 * (a gate reporting ready and then failing every request with 500 is worse than one that does not start), and no
 * request re-reads key files or re-parses the trusted root.
 */
export async function loadHandlerInputs(cfg: HandlerConfig): Promise<{ trust: LoadedTrust; overlays: DataOverlays }> {
  const trust = await loadTrust({ keyFiles: cfg.evidence.keyFiles, ...(cfg.evidence.trustedRootFile ? { trustedRootFile: cfg.evidence.trustedRootFile } : {}) });
  // As the CLI's --data: the engine layers each file over the bundle's data; verification sees them deep-merged.
  return { trust, overlays: await loadDataOverlays(cfg.dataFiles) };
}

/** The gate's request handler (every endpoint), over `core`. */
export function createGateHandler(cfg: HandlerConfig, inputs: { trust: LoadedTrust; overlays: DataOverlays }, core: GateCore, log: (line: string) => void): (req: Request) => Promise<Response> {
  const evidenceBase: Omit<EvidenceOptions, "time"> = {
    loaded: inputs.trust,
    keyFiles: cfg.evidence.keyFiles,
    identities: cfg.evidence.identities,
    data: inputs.overlays.merged,
    ...(cfg.evidence.trustedRootFile ? { trustedRootFile: cfg.evidence.trustedRootFile } : {}),
    ...(cfg.resource.environment ? { environment: cfg.resource.environment } : {}),
  };

  function requireBundle(): ActiveBundle {
    const a = core.active();
    if (!a) {
      const failure = core.failure();
      const why = failure ? `: ${failure.message}` : "";
      throw new HttpError(503, "not_ready", `no policy bundle is active yet${why}`);
    }
    return a;
  }

  function emit(e: Omit<DecisionEvent, "decisionId">): string {
    const id = decisionId(e);
    core.metrics?.decision(e.endpoint, e.allow);
    // A worker thread posts every event to the primary: not when nobody records them.
    if (core.logsDecisions) core.emit({ ...e, decisionId: id });
    return id;
  }

  async function gate(req: Request): Promise<Response> {
    const body = await readBody(req, cfg.maxBodyBytes);
    const time = new Date(); // the decision instant, read once at the request boundary
    const active = requireBundle();
    const parsed = await parseGateRequest(req, body, cfg.limits);
    let files = parsed.files;
    let subject = parsed.subject;
    const readErrors: Parameters<typeof prepareEvidenceFiles>[1] = [];
    if (parsed.images) {
      // The registry is another source of evidence files; one it cannot serve means the gate could not evaluate.
      try {
        const r = await readOciOperands(parsed.images, { registry: cfg.registry, ...(subject ? { subject } : {}) }, new InputBudget(cfg.limits));
        files = [...files, ...r.files];
        readErrors.push(...r.errors);
        subject ??= [r.subject];
      } catch (e) {
        const err = asTollgateError(e);
        throw new HttpError(err.code === "usage" ? 400 : err.code === "limit_exceeded" ? 413 : 502, err.code === "usage" ? "invalid_parameter" : err.code, `/v1/gate: ${err.oneLine()}`);
      }
    }
    let report;
    try {
      const prepared = await prepareEvidenceFiles(files, readErrors, { ...evidenceBase, time, timeExplicit: false, ...(subject ? { subject } : {}) });
      report = decide(active.engine, prepared, cfg.entrypoint);
    } catch (e) {
      const err = asTollgateError(e);
      if (err.code === "usage" || err.code === "input_invalid" || err.code === "limit_exceeded") throw new HttpError(400, err.code, err.oneLine());
      throw new HttpError(500, err.code, `could not evaluate: ${err.oneLine()}`);
    }
    const d = report.decision;
    const subjectDigest = report.input.context.subject ? primaryDigest(report.input.context.subject.digest) : undefined;
    const id = emit({
      time,
      endpoint: "gate",
      entrypoint: cfg.entrypoint,
      allow: d.allow,
      denyRules: ruleIds(d.deny),
      warnRules: ruleIds(d.warn),
      bundleRevision: active.revision,
      bundleSha256: active.sha256,
      inputDigest: report.inputDigest,
      ...(subjectDigest ? { subjectDigest } : {}),
    });
    return json({
      decision_id: id,
      allow: d.allow,
      deny: d.deny,
      warn: d.warn,
      subject: subjectDigest ?? null,
      subject_digest: report.input.context.subject?.digest ?? null,
      input_digest: report.inputDigest,
      bundle: { revision: active.revision, sha256: active.sha256 },
      evidence: report.input.evidence.map((e) => ({ path: e.source.path, kind: e.kind, signature: e.signature.status })),
      errors: report.input.errors,
    });
  }

  async function data(req: Request, path: string): Promise<Response> {
    const body = req.method === "POST" ? await readBody(req, cfg.maxBodyBytes) : new Uint8Array(0);
    await evaluationTurn();
    const time = new Date();
    const active = requireBundle();
    let input: unknown;
    // The input's own bytes in the body, when the body is exactly {"input": <one JSON value>} (see inputSpan).
    let span: Uint8Array | undefined;
    if (body.length > 0) {
      // A form post is what a browser sends cross-site without a preflight (and not JSON): never evaluated.
      const ct = (req.headers.get("content-type") ?? "").toLowerCase();
      if (ct.startsWith("application/x-www-form-urlencoded") || ct.startsWith("multipart/form-data")) {
        throw new HttpError(415, "unsupported_media_type", `/v1/data/${path}: content type ${ct.split(";")[0]} is not accepted (send application/json)`);
      }
      span = inputSpan(body);
      if (span) {
        if (jsonNestsDeeperThan(body, MAX_JSON_DEPTH)) span = undefined;
        else {
          try {
            input = JSON.parse(utf8.decode(span));
          } catch {
            span = undefined; // not one JSON value after all: the whole body is parsed, and refused, below
          }
        }
      }
      if (!span) {
        const doc = parseJsonBody(body, `/v1/data/${path}`);
        if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new HttpError(400, "invalid_parameter", `/v1/data/${path}: body must be a JSON object {"input": …}`);
        input = (doc as { input?: unknown }).input;
      }
    } else if (req.method === "GET") {
      // OPA's GET /v1/data/{path}?input=<JSON value>
      const q = new URL(req.url).searchParams.get("input");
      if (q !== null) input = parseJsonBody(new TextEncoder().encode(q), `/v1/data/${path}`, "the input query parameter");
    }
    const ep = normalizeEntrypoint(path);
    if (!ep || !active.engine.hasEntrypoint(ep)) {
      const entrypoints = `entrypoints: ${active.engine.entrypoints.join(", ") || "none"}`;
      // A WASM bundle answers its entrypoints only: the whole `data` document is not served.
      if (!ep) return errorResponse(404, "undefined_document", `document missing: the whole data document is not served; ask /v1/data/{entrypoint} (${entrypoints})`);
      return errorResponse(404, "undefined_document", `document missing: data.${ep.replace(/\//g, ".")} is not an entrypoint of the active bundle (${entrypoints})`);
    }
    let result: unknown;
    // The result's JSON text as the WASM wrote it, when the input went to it as the client's own bytes.
    let resultText: string | undefined;
    try {
      // Only an object or array goes the raw way: for a falsy input the SDK path evaluates with no input at all.
      const set = span && input !== null && typeof input === "object" ? active.engine.evaluateJsonText(ep, span) : undefined;
      if (set === undefined) result = active.engine.evaluate(ep, input);
      else {
        const rs = JSON.parse(set) as { result: unknown }[];
        result = rs[0]?.result;
        if (rs.length === 1 && set.startsWith(RESULT_PREFIX) && set.endsWith("}]")) resultText = set.slice(RESULT_PREFIX.length, -2);
      }
    } catch (e) {
      throw new HttpError(500, "internal_error", asTollgateError(e).message);
    }
    const s = summarize(result);
    const subjectDigest = subjectOf(input);
    const id = emit({
      time,
      endpoint: "data",
      entrypoint: ep,
      allow: s.allow,
      denyRules: s.deny,
      warnRules: s.warn,
      bundleRevision: active.revision,
      bundleSha256: active.sha256,
      // The input's JSON text as sent when it was cut from the body, else its canonical form (see the README).
      inputDigest: span ? `sha256:${sha256Hex(span)}` : inputDigest(input ?? null),
      ...(subjectDigest ? { subjectDigest } : {}),
    });
    if (resultText !== undefined) return new Response(`{"result":${resultText},"decision_id":"${id}"}`, { headers: JSON_HEADERS });
    return json(result === undefined ? { decision_id: id } : { result, decision_id: id });
  }

  async function admission(req: Request): Promise<Response> {
    const body = await readBody(req, cfg.maxBodyBytes);
    await evaluationTurn();
    const time = new Date();
    const review = parseJsonBody(body, "/v1/admission") as { apiVersion?: unknown; kind?: unknown; request?: { uid?: unknown } };
    if (!review || typeof review !== "object" || review.kind !== "AdmissionReview" || review.apiVersion !== "admission.k8s.io/v1") {
      throw new HttpError(400, "invalid_parameter", '/v1/admission: want an AdmissionReview with apiVersion "admission.k8s.io/v1"');
    }
    const uid = review.request?.uid;
    if (typeof uid !== "string" || uid === "") throw new HttpError(400, "invalid_parameter", "/v1/admission: request.uid is missing");
    const active = requireBundle();
    const ep = normalizeEntrypoint(cfg.admissionEntrypoint);
    let decision: Decision;
    let failure: string | undefined;
    if (!active.engine.hasEntrypoint(ep)) {
      failure = `policy bundle has no admission entrypoint ${ep}`;
      decision = { allow: false, deny: [{ rule: "admission.entrypoint", msg: failure }], warn: [] };
    } else {
      try {
        const raw = active.engine.evaluate(ep, review);
        decision = Array.isArray(raw) ? toDecision({ allow: raw.length === 0, deny: raw, warn: [] }, ep) : toDecision(raw, ep);
      } catch (e) {
        failure = `policy evaluation failed: ${asTollgateError(e).message}`;
        decision = { allow: false, deny: [{ rule: "admission.error", msg: failure }], warn: [] };
      }
    }
    const id = emit({
      time,
      endpoint: "admission",
      entrypoint: ep,
      allow: decision.allow,
      denyRules: ruleIds(decision.deny),
      warnRules: ruleIds(decision.warn),
      bundleRevision: active.revision,
      bundleSha256: active.sha256,
      inputDigest: inputDigest(review),
      admissionUid: uid,
    });
    // The API server files audit annotations as "<webhook name>/<key>" and drops any key that then is not a
    // qualified name with exactly one "/": the key must be a bare name.
    const response: Record<string, unknown> = { uid, allowed: decision.allow, auditAnnotations: { "tollgate-decision-id": id } };
    if (!decision.allow) {
      response.status = {
        code: failure ? 500 : 403,
        reason: failure ? "InternalError" : "Forbidden",
        message: decision.deny.map((d) => `[${d.rule}] ${d.msg}`).join("; ") || "denied by policy",
      };
    }
    if (decision.warn.length) response.warnings = decision.warn.map((w) => `[${w.rule}] ${w.msg}`);
    return json({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response });
  }

  async function route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const p = url.pathname;
    const method = req.method;
    const only = (m: string[]) => {
      if (!m.includes(method)) throw new HttpError(405, "method_not_allowed", `${method} ${p}: allowed ${m.join(", ")}`);
    };
    if (p === "/health") {
      only(["GET", "HEAD"]);
      return json({ status: "ok", thread: core.thread });
    }
    if (p === "/ready") {
      only(["GET", "HEAD"]);
      const { status: s, decisionLogs } = await core.readiness();
      // While draining, report not ready so load balancers stop sending new requests.
      const stopping = core.stopping();
      const ready = s.ready && !stopping;
      return json({ ...s, ready, stopping, decision_logs: decisionLogs }, ready ? 200 : 503);
    }
    if (p === "/v1/gate") {
      only(["POST"]);
      return gate(req);
    }
    if (p === "/v1/admission") {
      only(["POST"]);
      return admission(req);
    }
    if (p === "/v1/data" || p.startsWith("/v1/data/")) {
      only(["POST", "GET"]);
      return data(req, decodePath(p.slice("/v1/data".length)).replace(/^\/+/, ""));
    }
    return errorResponse(404, "not_found", `no route ${method} ${p}`);
  }

  return async function handle(req: Request): Promise<Response> {
    try {
      return await route(req);
    } catch (e) {
      if (e instanceof HttpError) {
        // One line per refused request: the operator sees every client error, not only the gate's own.
        log(`${e.status} ${req.method} ${new URL(req.url).pathname}: ${e.message}`);
        const r = errorResponse(e.status, e.code, e.message);
        // The rest of an oversized body is never read: close the connection rather than leave it half-read.
        if (e.status === 413) r.headers.set("Connection", "close");
        return r;
      }
      const err = asTollgateError(e);
      log(`internal error on ${req.method} ${new URL(req.url).pathname}: ${err.oneLine()}`);
      return errorResponse(500, "internal_error", err.oneLine());
    }
  };
}

/** What one serving thread listens with: plain Bun.serve, or the TLS front (tls.ts) before it; auth (auth.ts) on top. */
export interface Listener {
  readonly port: number;
  /** Stop accepting; `force` also closes the connections in flight. */
  stop(force: boolean): Promise<void>;
}

/**
 * Paths open without a bearer token (probes, and /metrics as OPA's is by default); everything else needs one
 * when `auth` is configured. /metrics is answered by GateMetrics.instrument, in front of the token check.
 */
const OPEN_PATHS = new Set(["/health", "/ready", "/metrics"]);

/**
 * Bun.serve for one thread. reusePort: the threads of a multi-worker gate each listen on the same port. With
 * `cfg.auth` every request but the probes must carry a valid bearer token (checked before its body is read);
 * with `cfg.tls` the port speaks TLS only.
 */
export function listen(cfg: HandlerConfig, port: number, handle: (req: Request) => Promise<Response>, reusePort: boolean, log: (line: string) => void = () => {}, metrics?: GateMetrics): Listener {
  let fetch = handle;
  const auth = cfg.auth ? BearerAuth.of(cfg.auth.bearerTokensFile, cfg.auth.contents, log) : undefined;
  if (auth) {
    fetch = async (req) => {
      const path = new URL(req.url).pathname;
      if (OPEN_PATHS.has(path)) return handle(req);
      const outcome = auth.check(req);
      if (outcome.ok) return handle(req);
      log(`401 ${req.method} ${path}: ${outcome.reason}`);
      await req.body?.cancel().catch(() => {});
      return outcome.response;
    };
  }
  // Outermost: every answer is counted and timed (401s included), and /metrics is served here.
  if (metrics) fetch = metrics.instrument(fetch);
  const options = {
    // No cap in Bun itself: Bun's own refusal is a bare 413 with no body (and, for a chunked body, an exception
    // inside the handler). readBody enforces max_body_bytes instead — Content-Length first, then counting while
    // streaming, never buffering more than the limit — and answers a JSON 413 naming it.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch,
    error(e: Error) {
      return errorResponse(500, "internal_error", e.message);
    },
  };
  if (!cfg.tls) {
    const server = Bun.serve({ ...options, hostname: cfg.hostname, port, reusePort });
    return {
      port: server.port!,
      async stop(force) {
        if (force) auth?.stop();
        await server.stop(force);
      },
    };
  }
  // TLS: the thread's HTTP server on a private Unix socket, the TLS listener on the port in front of it.
  const sock = privateSocketPath();
  let server: ReturnType<typeof Bun.serve> | undefined;
  try {
    server = Bun.serve({ ...options, unix: sock.path });
    const front = new TlsFront(cfg.hostname, port, sock.path, cfg.tls, log);
    const inner = server;
    return {
      port: front.port,
      async stop(force) {
        front.stop(force);
        if (force) auth?.stop();
        await inner.stop(force);
        if (force) sock.remove();
      },
    };
  } catch (e) {
    auth?.stop();
    void server?.stop(true);
    sock.remove();
    throw e;
  }
}

export async function startGateServer(cfg: ServeConfig, opts: GateServerOptions = {}): Promise<GateServer> {
  const log = opts.log ?? ((l: string) => console.error(`tollgate serve: ${l}`));
  if (cfg.diagnostic && cfg.port !== 0 && cfg.diagnostic.port === cfg.port && cfg.diagnostic.hostname === cfg.hostname) {
    throw new TollgateError("usage", `diagnostic_addr ${cfg.hostname}:${cfg.port} is addr itself: give the diagnostics a port of their own`);
  }
  const hcfg = handlerConfig(cfg);
  const inputs = await loadHandlerInputs(hcfg);
  const workerCount = Math.max(1, cfg.workers) - 1; // this thread serves too
  // Several threads: each new bundle is compiled in every worker before any of them switches to it (see workers.ts).
  const pool = workerCount > 0 ? new (await import("./workers.ts")).WorkerPool(workerCount, hcfg, log) : undefined;
  const bundles = new BundleManager({
    source: cfg.bundle,
    keys: cfg.keys,
    verification: cfg.verification,
    allowUnsigned: cfg.allowUnsigned,
    requiredEntrypoints: [cfg.entrypoint],
    overlays: inputs.overlays.overlays,
    instanceId: cfg.resource.instanceId,
    registry: cfg.registry,
    log,
    ...(pool ? { prepare: (bundle: PolicyBundle, next: ActiveBundle) => pool.prepare(bundle, next) } : {}),
  });
  // The port is this gate's alone: its threads (and a TLS certificate swap) share it, no other process (port.ts).
  const claim = claimPort(cfg.hostname, cfg.port);
  await bundles.start().catch((e: unknown) => {
    claim.release();
    throw e;
  });
  const metrics = new GateMetrics();
  // The decision log settings as configured, passed on as they are (each exporter holds its own defaults).
  const decisionLog = new DecisionLogger({ ...cfg.decisionLogs, resource: cfg.resource, counters: metrics, onError: log });
  let stopping = false;
  const core: GateCore = {
    active: () => bundles.active,
    failure: () => bundles.failure,
    readiness: async () => ({ status: bundles.status(), decisionLogs: decisionLog.enabled ? decisionLog.snapshot() : null }),
    emit: (e) => decisionLog.log(e),
    logsDecisions: decisionLog.enabled,
    stopping: () => stopping,
    thread: 0,
    metrics,
  };
  let server: Listener;
  const handle = createGateHandler(hcfg, inputs, core, log);
  try {
    claim.release();
    server = listen(hcfg, cfg.port, handle, !!pool, log, metrics);
  } catch (e) {
    await bundles.stop();
    throw e;
  }
  const port = server.port;
  const scheme = cfg.tls ? "https" : "http";
  let diagnostic: DiagnosticListener | undefined;
  try {
    if (pool) await pool.start(port, bundles.active!, core);
    // This thread's handler answers the probes there: readiness is the primary's (it owns the bundles).
    if (cfg.diagnostic) diagnostic = listenDiagnostics(cfg.diagnostic.hostname, cfg.diagnostic.port, handle, metrics);
  } catch (e) {
    await pool?.stop();
    await server.stop(true);
    await bundles.stop();
    throw e;
  }
  log(`listening on ${scheme}://${cfg.hostname}:${port} (entrypoint ${cfg.entrypoint}${pool ? `, ${workerCount + 1} threads` : ""})`);
  if (diagnostic) log(`diagnostics (/health, /ready, /metrics; plain HTTP, no authentication) on ${diagnostic.url}`);
  return {
    port,
    url: serverUrl(cfg.hostname, port).replace(/^http:/, `${scheme}:`),
    bundles,
    decisionLog,
    threads: workerCount + 1,
    ...(diagnostic ? { diagnosticUrl: diagnostic.url } : {}),
    async stop() {
      stopping = true;
      await bundles.stop();
      // Graceful: stop accepting, let in-flight requests finish (bounded), then close what is left. The
      // diagnostic port stays up meanwhile, so /ready says 503 (stopping) until the end.
      await Promise.all([pool?.stop(), settledWithin(server.stop(false), 5_000)]);
      await server.stop(true);
      await diagnostic?.stop();
      await decisionLog.close();
    },
  };
}
