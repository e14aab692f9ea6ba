// Pure parsing of the three in-toto envelope forms: a bare Statement, a DSSE envelope (also one per line in
// .intoto.jsonl) and a Sigstore bundle carrying a DSSE envelope.
import { isStrongAlgorithm } from "../../core/digest-set.ts";
import { DEFAULT_LIMITS, parseJsonLimited, type InputLimits } from "../../core/limits.ts";
import { TollgateError } from "../../core/errors.ts";
import { parseDsseEnvelope, type DsseEnvelope } from "../../crypto/dsse.ts";
import { BUNDLE_FORMATS } from "../../sigstore/media-types.ts";
import { IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_LEGACY, IN_TOTO_STATEMENT_V1, type InTotoStatement } from "../predicate.ts";
import type { SourceFile } from "../types.ts";

const STATEMENT_TYPES: readonly string[] = [IN_TOTO_STATEMENT_V1, ...IN_TOTO_STATEMENT_LEGACY];
const SIGSTORE_BUNDLE_PREFIX = "application/vnd.dev.sigstore.bundle";

/** The statement of an envelope, or why there is none (wrong payloadType, not JSON, not a statement). */
export type StatementResult = { ok: true; statement: InTotoStatement } | { ok: false; reason: string; code: "schema_invalid" | "unsupported" };

export type AttestationItem =
  | { form: "statement"; format: "in-toto-statement"; statement: InTotoStatement }
  | { form: "dsse"; format: "dsse"; envelope: DsseEnvelope; statement: StatementResult }
  | { form: "sigstore"; format: string; bundle: unknown; envelope: DsseEnvelope; statement: StatementResult };

export interface ParsedAttestation {
  /** One item per document: a plain file has one, an .intoto.jsonl file one per line. */
  items: AttestationItem[];
}

type Form = "statement" | "dsse" | "sigstore";

/** Which envelope form a JSON value is, by its keys alone. */
export function formOf(v: unknown): Form | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.mediaType === "string" && o.mediaType.startsWith(SIGSTORE_BUNDLE_PREFIX)) return "sigstore";
  if (typeof o.payloadType === "string" && typeof o.payload === "string" && Array.isArray(o.signatures)) return "dsse";
  if (typeof o._type === "string" && o._type.startsWith("https://in-toto.io/Statement/") && "predicateType" in o && "subject" in o) {
    return "statement";
  }
  return undefined;
}

/** The JSON documents of a file: the whole file, or (JSON Lines) each non-empty line — parsed once, shared. */
function documentsOf(file: SourceFile): unknown[] | undefined {
  const whole = file.json();
  if (whole !== undefined) return [whole];
  const lines = file.jsonLines();
  // Detection only needs the first line; a later bad line is a parse error, reported by parse().
  if (!lines || lines[0]!.error !== undefined) return undefined;
  return lines.map((l, i) => (l.error !== undefined ? new BadLine(i + 1) : l.value));
}

class BadLine {
  constructor(readonly line: number) {}
}

/** Cheap: does the file (or the first line of a JSON Lines file) look like one of the three forms? */
export function detectAttestation(file: SourceFile): boolean {
  const whole = file.json();
  if (whole !== undefined) return formOf(whole) !== undefined;
  const first = file.jsonLines()?.[0];
  return first !== undefined && first.error === undefined && formOf(first.value) !== undefined;
}

/** Pure: file → items. Throws TollgateError (malformed / schema_invalid / unsupported) naming the file. */
export function parseAttestation(file: SourceFile): ParsedAttestation {
  const docs = documentsOf(file);
  if (!docs?.length) throw new TollgateError("malformed", "not JSON or JSON Lines", file.path);
  const many = docs.length > 1;
  const items = docs.map((doc, i) => {
    const where = many ? `line ${i + 1}: ` : "";
    if (doc instanceof BadLine) throw new TollgateError("malformed", `line ${doc.line} is not valid JSON`, file.path);
    try {
      return parseItem(doc, file.limits);
    } catch (e) {
      if (e instanceof TollgateError) throw new TollgateError(e.code, where + e.message, file.path, { cause: e });
      throw e;
    }
  });
  return { items };
}

export function parseItem(doc: unknown, limits: InputLimits): AttestationItem {
  const form = formOf(doc);
  switch (form) {
    case "statement":
      return { form, format: "in-toto-statement", statement: parseStatement(doc) };
    case "dsse": {
      const envelope = parseDsseEnvelope(doc);
      return { form, format: "dsse", envelope, statement: statementOf(envelope, limits) };
    }
    case "sigstore": {
      const b = doc as Record<string, unknown>;
      if (b.dsseEnvelope === undefined) {
        const what = b.messageSignature !== undefined ? "a message signature over an artifact" : "no DSSE envelope";
        throw new TollgateError("unsupported", `Sigstore bundle carries ${what}, not an in-toto attestation (verify it with \`tollgate sigstore verify-bundle\`)`);
      }
      const envelope = parseDsseEnvelope(b.dsseEnvelope);
      const format = BUNDLE_FORMATS[b.mediaType as string] ?? "sigstore-bundle";
      return { form, format, bundle: doc, envelope, statement: statementOf(envelope, limits) };
    }
    default:
      throw new TollgateError("unknown_kind", "not an in-toto Statement, DSSE envelope or Sigstore bundle");
  }
}

/**
 * The statement inside a DSSE payload; never throws (a bad payload is a failed check, not a lost record) — except
 * for a payload nesting deeper than the JSON cap, which is refused like any input over a limit.
 */
export function statementOf(env: DsseEnvelope, limits: InputLimits = DEFAULT_LIMITS): StatementResult {
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return { ok: false, code: "unsupported", reason: `DSSE payloadType is "${env.payloadType}", expected "${IN_TOTO_PAYLOAD_TYPE}"` };
  }
  let value: unknown;
  try {
    value = parseJsonLimited(new TextDecoder("utf-8", { fatal: true }).decode(env.payload), undefined, limits);
  } catch (e) {
    if (e instanceof TollgateError && e.code === "limit_exceeded") throw new TollgateError(e.code, `DSSE payload: ${e.message}`);
    return { ok: false, code: "schema_invalid", reason: `DSSE payload is not UTF-8 JSON: ${(e as Error).message}` };
  }
  try {
    return { ok: true, statement: parseStatement(value) };
  } catch (e) {
    return { ok: false, code: "schema_invalid", reason: (e as Error).message };
  }
}

const HEX_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128, sha1: 40, "sha512_256": 64, sha224: 56 };

/** Validate an in-toto Statement (v1, or v0.1 as found in the wild). Throws TollgateError("schema_invalid"). */
export function parseStatement(value: unknown): InTotoStatement {
  const bad = (msg: string): never => {
    throw new TollgateError("schema_invalid", `in-toto statement: ${msg}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) bad("not a JSON object");
  const v = value as Record<string, unknown>;
  if (typeof v._type !== "string" || !STATEMENT_TYPES.includes(v._type)) {
    bad(`_type ${JSON.stringify(v._type)} is not one of ${STATEMENT_TYPES.join(", ")}`);
  }
  if (typeof v.predicateType !== "string" || v.predicateType === "") bad("predicateType must be a non-empty string");
  if (!Array.isArray(v.subject) || v.subject.length === 0) bad("subject must be a non-empty array");
  const subject = (v.subject as unknown[]).map((s, i) => {
    if (typeof s !== "object" || s === null || Array.isArray(s)) return bad(`subject[${i}] is not an object`);
    const so = s as Record<string, unknown>;
    if (so.name !== undefined && typeof so.name !== "string") bad(`subject[${i}].name must be a string`);
    if (typeof so.digest !== "object" || so.digest === null || Array.isArray(so.digest)) bad(`subject[${i}].digest must be an object`);
    const digest: Record<string, string> = {};
    for (const [alg, d] of Object.entries(so.digest as Record<string, unknown>)) {
      if (typeof d !== "string") bad(`subject[${i}].digest.${alg} must be a string`);
      const len = HEX_LENGTHS[alg];
      if (len !== undefined && !new RegExp(`^[0-9a-fA-F]{${len}}$`).test(d as string)) {
        bad(`subject[${i}].digest.${alg} is not ${len} hex digits: ${JSON.stringify(d)}`);
      }
      // Strong digests are compared case-insensitively: record them lower-case; other entries stay verbatim.
      digest[alg] = isStrongAlgorithm(alg) ? (d as string).toLowerCase() : (d as string);
    }
    if (!Object.keys(digest).length) bad(`subject[${i}].digest is empty`);
    return so.name !== undefined ? { name: so.name as string, digest } : { digest };
  });
  const out: InTotoStatement = { _type: v._type as string, subject, predicateType: v.predicateType as string };
  if ("predicate" in v) out.predicate = v.predicate;
  return out;
}
