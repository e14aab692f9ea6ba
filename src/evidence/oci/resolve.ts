// `oci://HOST/REPO@sha256:HEX` as evidence: the image's digest is resolved (per platform for an index) and
// everything attached to it is fetched — cosign's `sha256-<hex>.sig|.att|.sbom` tags and OCI 1.1 referrers
// (the referrers API, or the referrers tag schema where there is none). Each blob becomes a SourceFile, the
// same interface files have, so the evidence kinds see registry evidence exactly as they see files.
// This is the one resolution function: eval/verify/inspect, the gate service and `conform` all call it.
import { TollgateError } from "../../core/errors.ts";
import { evidenceFromBytes } from "../source.ts";
import { resolveLimits, type InputLimits } from "../../core/limits.ts";
import type { InputError, SourceFile } from "../types.ts";
import { parseAttestation } from "../attestation/parse.ts";
import { artifactTypeOf, type ParsedManifest, type RegistryClient } from "./client.ts";
import {
  COSIGN_BUNDLE_ANNOTATION, COSIGN_CERTIFICATE_ANNOTATION, COSIGN_CHAIN_ANNOTATION, COSIGN_RFC3161_ANNOTATION,
  COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIMPLESIGNING, type Descriptor, type ImageManifest,
} from "./media-types.ts";
import { formatReference, parseOciReference, type OciReference } from "./reference.ts";

export type AttachmentKind = "sig" | "att" | "sbom" | "referrer";

export interface Attachment {
  kind: AttachmentKind;
  /** The digest the attachment is attached to (the image, or the index when --platform picked a child). */
  target: string;
  /** The attachment manifest's digest. */
  manifest: string;
  artifactType?: string;
  /** The blob digests of its layers. */
  layers: Descriptor[];
}

export interface ResolvedImage {
  reference: OciReference;
  /** The digest named by the operand (an image manifest or an index). */
  digest: string;
  /** The platform's manifest when the operand is an index and --platform picked one. */
  platformDigest?: string;
  /** `sha256:<hex>`: the operand's digest, or the platform's when no attestation names the index. */
  subject: string;
  /** Display name for input.context.subject.name: `HOST/REPO`. */
  name: string;
  attachments: Attachment[];
  files: SourceFile[];
  errors: InputError[];
}

export interface ResolveOptions {
  /** `os/arch[/variant]`: which child of an index to gate (its evidence and the index's are both fetched). */
  platform?: string;
  /** Restrict which attachments are fetched (promote's --only). Default: all. */
  only?: readonly AttachmentKind[];
  /** The run's input limits (JSON nesting and sizes), as for files; the defaults otherwise. */
  limits?: InputLimits;
}

/** The cosign tag for an attachment of `digest`: `sha256-<hex>.sig` and the like. */
export function cosignTag(digest: string, suffix: "sig" | "att" | "sbom"): string {
  return `${digest.replace(":", "-")}.${suffix}`;
}

export function parsePlatform(p: string): { os: string; architecture: string; variant?: string } {
  const parts = p.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((x) => !/^[a-z0-9._-]+$/i.test(x))) throw new TollgateError("usage", `--platform must be os/arch[/variant] (got ${p})`);
  return { os: parts[0]!, architecture: parts[1]!, ...(parts[2] ? { variant: parts[2] } : {}) };
}

/** Which child manifest of an index matches `platform`. */
export function pickPlatform(index: ParsedManifest, platform: string, where: string): Descriptor {
  const want = parsePlatform(platform);
  const children = (index.json.manifests as Descriptor[] | undefined) ?? [];
  const match = children.find((d) => d.platform && d.platform.os === want.os && d.platform.architecture === want.architecture && (!want.variant || d.platform.variant === want.variant));
  if (!match) {
    const have = children.map((d) => (d.platform ? [d.platform.os, d.platform.architecture, d.platform.variant].filter(Boolean).join("/") : "?")).join(", ");
    throw new TollgateError("not_found", `index has no manifest for platform ${platform} (it has ${have || "none"})`, where);
  }
  return match;
}

/** Everything attached to `target`: cosign tags, then referrers (API or tag schema). */
export async function attachmentsOf(client: RegistryClient, repo: OciReference, target: string, only?: readonly AttachmentKind[]): Promise<Attachment[]> {
  const want = (k: AttachmentKind) => !only || only.includes(k) || (k === "referrer" && only.length > 0);
  // The lookups are independent: asked at once, answered in a fixed order (sig, att, sbom, referrers).
  const tagged = (["sig", "att", "sbom"] as const).filter(want).map(async (suffix): Promise<Attachment[]> => {
    const m = await client.manifestIfExists(repo, cosignTag(target, suffix));
    return m && !m.isIndex ? [{ kind: suffix, target, manifest: m.digest, layers: layersOf(m) }] : [];
  });
  const referred = want("referrer")
    ? client.referrers(repo, target).then((list) => Promise.all(list.map(async (d): Promise<Attachment[]> => {
      const m = await client.manifest(repo, d.digest);
      if (m.isIndex) return [];
      // The manifest (digest-checked) says what it is; some registries derive the descriptor's artifactType wrongly.
      const artifactType = artifactTypeOf(m.json as unknown as ImageManifest) ?? d.artifactType;
      const a: Attachment = { kind: "referrer", target, manifest: m.digest, layers: layersOf(m), ...(artifactType ? { artifactType } : {}) };
      return !only || only.includes(referrerClass(a)) ? [a] : [];
    })))
    : Promise.resolve([]);
  const [t, r] = await Promise.all([Promise.all(tagged), referred]);
  return [...t.flat(), ...r.flat()];
}

/** What a referrer is for --only: a signature (Sigstore bundle of a message), an attestation or an SBOM. */
export function referrerClass(a: Attachment): "sig" | "att" | "sbom" {
  const t = [a.artifactType, ...a.layers.map((l) => l.mediaType)].join(" ").toLowerCase();
  if (/sigstore\.bundle|dsse|in-toto|intoto/.test(t)) return "att";
  if (/signature|cosign\.simplesigning|notary/.test(t)) return "sig";
  return "sbom"; // SPDX, CycloneDX, VEX and other documents attached with oras
}

function layersOf(m: ParsedManifest): Descriptor[] {
  const layers = (m.json as unknown as ImageManifest).layers;
  return Array.isArray(layers) ? layers.filter((l) => typeof l?.digest === "string") : [];
}

/** Resolve an `oci://…@sha256:…` operand into SourceFiles. Registry failures throw (exit 2); nothing found is an input error. */
export async function resolveOciEvidence(operand: string, client: RegistryClient, o: ResolveOptions = {}): Promise<ResolvedImage> {
  const ref = parseOciReference(operand, "digest");
  const top = await client.manifest(ref, ref.digest!);
  const targets = [top.digest];
  let platformDigest: string | undefined;
  if (top.isIndex && o.platform) {
    const child = pickPlatform(top, o.platform, operand);
    await client.manifest(ref, child.digest); // exists, and hashes to its descriptor
    platformDigest = child.digest;
    targets.push(child.digest);
  }
  const attachments: Attachment[] = [];
  for (const t of targets) attachments.push(...(await attachmentsOf(client, ref, t, o.only)));

  const limits = o.limits ?? resolveLimits();
  const pending: Promise<SourceFile>[] = [];
  const seen = new Set<string>();
  for (const a of attachments) {
    for (const layer of a.layers) {
      if (seen.has(layer.digest)) continue;
      seen.add(layer.digest);
      const path = formatReference(ref, layer.digest);
      // Fetched concurrently, kept in attachment order (the input document's order is deterministic).
      pending.push(client.blob(ref, layer.digest, layer.size).then((bytes) =>
        a.kind === "sig" || layer.mediaType === COSIGN_SIMPLESIGNING ? simpleSigningFile(path, bytes, layer, limits) : evidenceFromBytes(path, bytes, false, limits)));
    }
  }
  const files = await Promise.all(pending);
  const errors: InputError[] = [];
  if (files.length === 0) {
    errors.push({ source: operand, code: "not_found", message: "no signature, attestation or SBOM is attached (cosign .sig/.att/.sbom tags, referrers)" });
  }
  // The index is the subject when an attestation names it (cosign attests what it was given); else the platform's.
  let subject = top.digest;
  if (platformDigest && !files.some((f) => namesDigest(f, top.digest))) subject = platformDigest;
  return { reference: ref, digest: top.digest, ...(platformDigest ? { platformDigest } : {}), subject, name: `${ref.registry}/${ref.repository}`, attachments, files, errors };
}

/**
 * A `.sig` layer is the simple-signing payload; its signature (and certificate, chain, Rekor bundle) are
 * annotations. They are joined into the line `cosign download signature` prints, so a signature read from a
 * registry and one saved by cosign are the same evidence.
 */
function simpleSigningFile(path: string, payload: Uint8Array, layer: Descriptor, limits: InputLimits): SourceFile {
  const a = layer.annotations ?? {};
  let bundle: unknown = null;
  if (a[COSIGN_BUNDLE_ANNOTATION]) {
    try {
      bundle = JSON.parse(a[COSIGN_BUNDLE_ANNOTATION]);
    } catch {
      bundle = a[COSIGN_BUNDLE_ANNOTATION]; // kept as written: the evidence kind reports it as malformed
    }
  }
  const doc = {
    Base64Signature: a[COSIGN_SIGNATURE_ANNOTATION] ?? "",
    Payload: Buffer.from(payload).toString("base64"),
    Cert: a[COSIGN_CERTIFICATE_ANNOTATION] ?? null,
    Chain: a[COSIGN_CHAIN_ANNOTATION] ?? null,
    Bundle: bundle,
    RFC3161Timestamp: a[COSIGN_RFC3161_ANNOTATION] ?? null,
  };
  return evidenceFromBytes(path, new TextEncoder().encode(JSON.stringify(doc)), false, limits);
}

function namesDigest(file: SourceFile, digest: string): boolean {
  try {
    const hex = digest.slice(7);
    return parseAttestation(file).items.some((it) => {
      const st = it.form === "statement" ? it.statement : it.statement.ok ? it.statement.statement : undefined;
      return st?.subject.some((s) => s.digest.sha256?.toLowerCase() === hex) ?? false;
    });
  } catch {
    return false;
  }
}
