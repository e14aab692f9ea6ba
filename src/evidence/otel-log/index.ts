// Evidence kind "otel-log" (I6, Log-Contract): does every log record's Resource carry the build-identity
// attributes that tie runtime output to the attested artifact? Logs are unsigned; the facts are per
// Resource (attributes, how many records it covers, what is missing) and the image digests / source
// revisions found, which the gate compares with the subject and the provenance.
import type { EvidenceKind, EvidenceRecord } from "../types.ts";
import { detectOtelLogs, parseOtelLogs, type OtelResource, type ParsedOtelLogs } from "./parse.ts";

export { parseOtelLogs, detectOtelLogs, parseJsonExact, type ParsedOtelLogs, type OtelResource, type OtelRecord } from "./parse.ts";

/** Resource attributes every record must have (semconv names). */
export const REQUIRED_RESOURCE_ATTRIBUTES = ["service.name", "service.version", "deployment.environment"] as const;
export const RECOMMENDED_RESOURCE_ATTRIBUTES = ["service.instance.id"] as const;
/** semconv 1.27 renamed deployment.environment to deployment.environment.name; either satisfies I6. */
export const ENVIRONMENT_ATTRIBUTES = ["deployment.environment", "deployment.environment.name"] as const;
/** Attributes that name the running image by digest. */
export const IMAGE_DIGEST_ATTRIBUTES = ["container.image.id", "oci.manifest.digest", "container.image.repo_digests"] as const;
export const REVISION_ATTRIBUTES = ["org.opencontainers.image.revision"] as const;

const present = (v: unknown): boolean => (typeof v === "string" ? v.trim() !== "" : v !== null && v !== undefined);

/** `unknown_service[:exe]` is the SDK's fallback when no service.name was configured: not a name. */
const isDefaultServiceName = (v: unknown): boolean => typeof v === "string" && /^unknown_service(:.*)?$/.test(v);

export interface ImageDigestFact {
  attribute: string;
  value: string;
  /** Lower-case hex of the sha256 named in the value; null when the value names no sha256 digest. */
  sha256: string | null;
  resource: number;
  records: number;
}

export interface RevisionFact {
  attribute: string;
  value: string;
  resource: number;
  records: number;
}

/** `sha256:<hex>`, `repo@sha256:<hex>`, `docker-pullable://repo@sha256:<hex>` → hex. */
export function sha256FromImageRef(value: string): string | null {
  const m = /(?:^|[@/:])sha256:([0-9a-fA-F]{64})$/.exec(value.trim());
  return m ? m[1]!.toLowerCase() : null;
}

export function resourceFacts(r: OtelResource, index: number) {
  const a = r.attributes;
  const envAttr = ENVIRONMENT_ATTRIBUTES.find((k) => present(a[k])) ?? null;
  const missingRequired: string[] = REQUIRED_RESOURCE_ATTRIBUTES.filter((k) =>
    k === "deployment.environment" ? !envAttr : !present(a[k]) || (k === "service.name" && isDefaultServiceName(a[k])));
  const missingRecommended = RECOMMENDED_RESOURCE_ATTRIBUTES.filter((k) => !present(a[k]));

  const images: ImageDigestFact[] = [];
  for (const attr of IMAGE_DIGEST_ATTRIBUTES) {
    const v = a[attr];
    const values = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
    for (const x of values) {
      const value = typeof x === "string" ? x : JSON.stringify(x);
      images.push({ attribute: attr, value, sha256: sha256FromImageRef(value), resource: index, records: r.records.length });
    }
  }
  const revisions: RevisionFact[] = [];
  for (const attr of REVISION_ATTRIBUTES) {
    const v = a[attr];
    if (present(v)) revisions.push({ attribute: attr, value: String(v).trim().toLowerCase(), resource: index, records: r.records.length });
  }
  return {
    index,
    location: r.location,
    attributes: a,
    schema_url: r.schemaUrl,
    record_count: r.records.length,
    missing_required: missingRequired,
    missing_recommended: missingRecommended,
    environment_attribute: envAttr,
    service_name_is_sdk_default: isDefaultServiceName(a["service.name"]),
    image_digests: images,
    revisions,
  };
}

export function otelFacts(parsed: ParsedOtelLogs): Record<string, unknown> {
  const resources = parsed.resources.map(resourceFacts);
  const count = (key: "missing_required" | "missing_recommended") => {
    const out: Record<string, number> = {};
    for (const r of resources) for (const attr of r[key]) out[attr] = (out[attr] ?? 0) + r.record_count;
    return out;
  };
  // tollgate decision records (decision-log.ts): the gate's admit/deny signal, by subject.
  const decisions: { subject_digest: string | null; allow: boolean }[] = [];
  for (const r of parsed.resources) {
    for (const rec of r.records) {
      const allow = rec.attributes["tollgate.decision.allow"];
      if (typeof allow !== "boolean") continue;
      const subject = rec.attributes["tollgate.subject.digest"];
      decisions.push({ subject_digest: typeof subject === "string" ? subject : null, allow });
    }
  }
  let first: bigint | null = null;
  let last: bigint | null = null;
  const traces = new Set<string>();
  for (const r of parsed.resources) {
    for (const rec of r.records) {
      if (rec.traceId) traces.add(rec.traceId);
      const t = rec.timeUnixNano ?? rec.observedTimeUnixNano;
      if (t === null) continue;
      const n = BigInt(t);
      if (first === null || n < first) first = n;
      if (last === null || n > last) last = n;
    }
  }
  return {
    format: parsed.form,
    record_count: resources.reduce((n, r) => n + r.record_count, 0),
    resource_count: resources.length,
    resources,
    // attribute → number of records whose Resource lacks it
    missing_required: count("missing_required"),
    missing_recommended: count("missing_recommended"),
    image_digests: resources.flatMap((r) => r.image_digests),
    revisions: resources.flatMap((r) => r.revisions),
    // exact decimal nanoseconds (strings: they exceed 2^53)
    time_range: { first_unix_nano: first?.toString() ?? null, last_unix_nano: last?.toString() ?? null },
    trace_ids: traces.size,
    decisions,
  };
}

export const otelLogKind: EvidenceKind<ParsedOtelLogs> = {
  name: "otel-log",
  detect: detectOtelLogs,
  parse: parseOtelLogs,
  async verify(parsed) {
    // Nothing cryptographic: logs are unsigned, and parsing already enforced ids and timestamps. Which
    // Resource attributes are missing is not a verification failure but a fact (facts.missing_required,
    // per attribute with the records affected) that the I6 rules judge: `tollgate verify` passes a readable
    // export, `tollgate eval` denies one that lacks service.version or deployment.environment.
    const records = parsed.resources.reduce((n, r) => n + r.records.length, 0);
    return [{ name: "otel.parse", ok: true, detail: { format: parsed.form, resources: parsed.resources.length, records } }];
  },
  normalize(parsed, checks, file): EvidenceRecord[] {
    return [{
      id: `sha256:${file.sha256}`,
      kind: "otel-log",
      source: { path: file.path, digest: { sha256: file.sha256 }, format: parsed.form },
      signature: { status: "unsigned", signers: [] },
      transparency: { status: "absent" },
      // No hash or chain to verify in a log export: the attribute contract is policy's (I6) to judge.
      integrity: { status: "n/a" },
      checks,
      facts: otelFacts(parsed),
    }];
  },
};
