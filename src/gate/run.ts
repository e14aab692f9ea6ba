// The gate's one code path, shared by `eval`, `verify`, `inspect` and the gate service:
// evidence paths → verified input document → policy decision. The CLI only parses flags and prints.
import { ArtifactDigests, parseSubjectDigests, strongAlgorithmsNamed, type DigestSet } from "../core/digest-set.ts";
import { TollgateError } from "../core/errors.ts";
import { buildInputDocument, inputDigest, validateInputDocument, type DecisionContext, type InputDocument } from "../core/input.ts";
import { loadPublicKeyPem } from "../crypto/keys.ts";
import { collectEvidence, readEvidencePaths, type CollectResult } from "../evidence/collect.ts";
import { makeVerifyContext } from "../evidence/source.ts";
import type { EvidenceRecord, SourceFile, TrustedKey } from "../evidence/types.ts";
import { loadBundleFile, mergeData, type PolicyBundle } from "../policy/bundle.ts";
import type { ArchiveSelector } from "../policy/archive.ts";
import type { BundleKeyring, BundleVerificationKey } from "../policy/signing.ts";
import { GATE_ENTRYPOINT, loadDefaultBundle } from "../policy/default-bundle.ts";
import { PolicyEngine } from "../policy/evaluator.ts";
import { evaluateDecision } from "../policy/gate.ts";
import type { GateReport } from "../report/types.ts";
import { loadTrustedRootFile, type LoadedTrustedRoot } from "../sigstore/trusted-root.ts";
import { readUserFile } from "../core/read.ts";
import type { RegistryOptions } from "../evidence/oci/client.ts";
import { DEFAULT_LIMITS, InputBudget, jsonDepth, resolveLimits, type InputLimits } from "../core/limits.ts";

export interface TrustOptions {
  /** PEM public key files (`--key`). */
  keyFiles?: readonly string[];
  /** Exact keyless identities (`--certificate-identity` with `--certificate-oidc-issuer`). */
  identities?: readonly { issuer: string; identity: string }[];
  /** A Sigstore trusted root JSON file; the embedded public-good root otherwise. */
  trustedRootFile?: string;
  /** The same material already loaded (loadTrust), for a long-running gate that serves many requests. */
  loaded?: LoadedTrust;
}

export interface LoadedTrust {
  keys: TrustedKey[];
  trustedRoot?: LoadedTrustedRoot;
}

/**
 * Read `--key` files and an explicit `--trusted-root` once. A bad trusted root is a usage-level error here,
 * not a failure repeated on every piece of evidence.
 */
export async function loadTrust(o: TrustOptions): Promise<LoadedTrust> {
  const keys = (o.keyFiles ?? []).map((f) => loadPublicKeyPem(f));
  return o.trustedRootFile ? { keys, trustedRoot: loadTrustedRootFile(o.trustedRootFile) } : { keys };
}

export interface EvidenceOptions extends TrustOptions {
  /** The decision instant. Read once at the boundary (CLI, request), never inside verification. */
  time: Date;
  /** Whether the user chose `time` (`--time`) rather than taking "now". */
  timeExplicit?: boolean;
  /**
   * The artifact's digest(s) (`--subject`): `sha256:<hex>`, `sha384:<hex>`, `sha512:<hex>`, bare 64-hex sha256 or
   * an integrity value `sha512-<base64>`; several values name one artifact by several algorithms.
   */
  subject?: string | readonly string[];
  /** The artifact's bytes (`--artifact`): every strong algorithm the evidence names is computed from them. */
  artifactBytes?: Uint8Array;
  subjectName?: string;
  environment?: string;
  /** `--data` overlays: also handed to verification as params (expected digests, pinned roots…). */
  data?: Record<string, unknown>;
  /** How `oci://` operands are fetched (`--registry-config`, `--registry-ca`, `--platform`…). */
  registry?: RegistryOptions & { platform?: string };
  /** Input limits for the evidence read (src/core/limits.ts); the defaults otherwise. */
  limits?: InputLimits;
}

export interface PreparedEvidence {
  input: InputDocument;
  collected: CollectResult;
  files: SourceFile[];
}

/** `--data FILE`: JSON or YAML, must be an object; merged at the root of `data` like OPA's `--data`. */
export async function loadDataFile(path: string): Promise<Record<string, unknown>> {
  const text = new TextDecoder().decode(await readUserFile(path, "data file"));
  // As every input: refused past the nesting cap before JSON.parse or the YAML parser sees it.
  const depth = jsonDepth(text);
  if (depth > DEFAULT_LIMITS.maxJsonDepth) throw new TollgateError("limit_exceeded", `data file nests ${depth} levels deep, more than the ${DEFAULT_LIMITS.maxJsonDepth} levels a data file may`, path);
  let doc: unknown;
  try {
    // JSON first (most data files, and no YAML parser to load); YAML 1.2, a superset of JSON, otherwise.
    doc = parseJsonOrUndefined(text) ?? (await import("yaml")).default.parse(text);
  } catch (e) {
    throw new TollgateError("malformed", `data file is neither JSON nor YAML: ${(e as Error).message.split("\n")[0]}`, path);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new TollgateError("malformed", "data file must hold an object", path);
  return doc as Record<string, unknown>;
}

export interface DataOverlays {
  /** Each file's document, in order (the engine merges them over the bundle's data). */
  overlays: { source: string; data: Record<string, unknown> }[];
  /** All of them deep-merged, later files winning: the parameters verification sees without a bundle. */
  merged: Record<string, unknown>;
}

/** Every `--data` file, read once, merged the way the engine merges them. */
export async function loadDataOverlays(files: readonly string[] = []): Promise<DataOverlays> {
  const overlays: DataOverlays["overlays"] = [];
  const merged: Record<string, unknown> = {};
  for (const f of files) {
    const data = await loadDataFile(f);
    overlays.push({ source: f, data });
    mergeData(merged, data, f, "data", true);
  }
  return { overlays, merged };
}

function parseJsonOrUndefined(text: string): unknown {
  if (!text.trimStart().startsWith("{")) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface ResolvedSubject {
  /** `--subject` values, checked. */
  digests?: DigestSet;
  /** `--artifact` bytes. */
  bytes?: Uint8Array;
  name?: string;
}

/** `--artifact FILE` → its bytes (digested once the evidence says which algorithms); `--subject` → a DigestSet. */
export async function resolveSubject(artifact?: string, subject?: string | readonly string[]): Promise<ResolvedSubject | undefined> {
  const subjects = subject === undefined ? [] : typeof subject === "string" ? [subject] : subject;
  if (artifact && subjects.length) throw new TollgateError("usage", "give --artifact or --subject, not both");
  if (subjects.length) return { digests: parseSubjectDigests(subjects) };
  if (artifact) return { bytes: await readUserFile(artifact, "artifact"), name: artifact.split("/").pop()! };
  return undefined;
}

/**
 * The context subject: the given digests, or the artifact's sha256 plus every other strong algorithm some
 * evidence names (npm names its tarballs by sha512 only), so each subject can be compared in its own terms.
 */
function contextSubject(artifact: ArtifactDigests | undefined, records: readonly EvidenceRecord[], name?: string): DecisionContext["subject"] {
  if (!artifact) return undefined;
  const named = strongAlgorithmsNamed(records.flatMap((r) => [...(r.statement?.subject ?? []).map((s) => s.digest), ...(r.subject ?? []).map((s) => s.digest)]));
  const digest = artifact.set(artifact.hasBytes ? ["sha256", ...named] : []);
  return name !== undefined ? { name, digest } : { digest };
}

/** Read, verify and normalize evidence files into a validated input document. */
export async function prepareEvidenceFiles(files: SourceFile[], readErrors: PreparedEvidence["collected"]["errors"], o: EvidenceOptions): Promise<PreparedEvidence> {
  const { keys, trustedRoot: explicitRoot } = o.loaded ?? (await loadTrust(o));
  const subjects = o.subject === undefined ? [] : typeof o.subject === "string" ? [o.subject] : o.subject;
  if (o.artifactBytes && subjects.length) throw new TollgateError("usage", "give --artifact or --subject, not both");
  const artifact = o.artifactBytes ? ArtifactDigests.fromBytes(o.artifactBytes) : subjects.length ? ArtifactDigests.fromDigests(parseSubjectDigests(subjects)) : undefined;
  const ctx = makeVerifyContext({
    time: o.time,
    timeExplicit: o.timeExplicit ?? true,
    keys,
    files,
    params: o.data ?? {},
    ...(explicitRoot ? { trustedRoot: () => explicitRoot } : {}),
    ...(artifact ? { artifact } : {}),
  });
  const collected = await collectEvidence(files, ctx);
  collected.errors.unshift(...readErrors);
  const subject = contextSubject(artifact, collected.records, o.subjectName);
  const context: DecisionContext = {
    time: o.time.toISOString(),
    trust: {
      keys: [...new Set(keys.map((k) => k.fingerprint))].sort(),
      identities: (o.identities ?? []).map((i) => ({ issuer: i.issuer, identity: i.identity })),
    },
    ...(subject ? { subject } : {}),
    ...(o.environment ? { environment: o.environment } : {}),
  };
  const input = buildInputDocument(context, collected.records, collected.errors);
  validateInputDocument(input);
  return { input, collected, files };
}

export async function prepareEvidence(paths: readonly string[], o: EvidenceOptions): Promise<PreparedEvidence> {
  if (paths.length === 0) throw new TollgateError("usage", "no evidence PATH given");
  const budget = new InputBudget(o.limits ?? resolveLimits());
  const oci = paths.filter((p) => p.startsWith("oci://"));
  const { files, errors } = await readEvidencePaths(paths.filter((p) => !p.startsWith("oci://")), () => Bun.stdin.stream(), budget);
  if (oci.length) {
    const r = await readOciOperands(oci, o, budget);
    files.push(...r.files);
    errors.push(...r.errors);
    if (!o.subject) o = { ...o, subject: r.subject, subjectName: r.name };
  }
  return prepareEvidenceFiles(files, errors, o);
}

/**
 * `oci://HOST/REPO@sha256:HEX` operands: every attached signature, attestation and SBOM as SourceFiles.
 * Registry failures (unreachable, 401, digest mismatch, oversize) throw: the gate could not evaluate.
 * Without --subject, the image's digest is the subject; several images need an explicit one.
 */
export async function readOciOperands(operands: readonly string[], o: Pick<EvidenceOptions, "registry" | "subject">, budget?: InputBudget): Promise<{ files: SourceFile[]; errors: PreparedEvidence["collected"]["errors"]; subject: string; name: string }> {
  const { RegistryClient } = await import("../evidence/oci/client.ts");
  const { resolveOciEvidence } = await import("../evidence/oci/resolve.ts");
  const client = new RegistryClient({ ...o.registry, ...(budget ? { budget } : {}) });
  const images = [];
  for (const op of operands) images.push(await resolveOciEvidence(op, client, { ...(o.registry?.platform ? { platform: o.registry.platform } : {}), ...(budget ? { limits: budget.limits } : {}) }));
  const subjects = [...new Set(images.map((i) => i.subject))];
  if (subjects.length > 1 && !o.subject) throw new TollgateError("usage", `the oci:// operands are different images (${subjects.join(", ")}): give --subject sha256:HEX`);
  return { files: images.flatMap((i) => i.files), errors: images.flatMap((i) => i.errors), subject: subjects[0]!, name: images[0]!.name };
}

export interface PolicyOptions {
  /** A bundle file (.tar.gz or .wasm); the embedded default otherwise. */
  policy?: string;
  dataFiles?: readonly string[];
  /** Called with the bundle before any byte of it is evaluated (signature verification). */
  verifyBundle?: BundleVerifier;
  /** How an `oci://` policy is pulled. */
  registry?: RegistryOptions;
}

export interface BundleTrustOptions {
  /** PEM public keys (or HMAC secrets) that may sign policy bundles, by key id (rotation: several ids). */
  verificationKeys?: readonly { file: string; keyId: string }[];
  /** Pin the JWS algorithm (required for HS256/384/512 secrets, which carry no type of their own). */
  algorithm?: string;
  scope?: string;
  /** Evaluate a bundle when no verification key is given. Never the default; with a key it changes nothing. */
  allowUnsigned?: boolean;
}

/**
 * The check every user-supplied bundle passes before any byte of it is evaluated (OPA's
 * .signatures.json). The embedded default bundle is pinned by digest instead and never reaches this.
 */
/**
 * Checks a whole bundle; its `select` (given to the archive reader) checks the signature before any other entry
 * of the archive is inflated and refuses unlisted entries before they are (gzip bombs never get past it).
 */
export type BundleVerifier = ((bundle: PolicyBundle) => Promise<void>) & { select?: ArchiveSelector };

export async function makeBundleVerifier(o: BundleTrustOptions): Promise<BundleVerifier> {
  const ring: Record<string, BundleVerificationKey> = {};
  // JWS support (jose) is loaded only when there is a signature to check.
  const signing = o.verificationKeys?.length || o.algorithm !== undefined ? await import("../policy/signing.ts") : undefined;
  if (o.algorithm !== undefined && !signing!.isSigningAlgorithm(o.algorithm)) {
    throw new TollgateError("usage", `--signing-alg must be one of ${signing!.SIGNING_ALGORITHMS.join(", ")} (got ${o.algorithm})`);
  }
  for (const k of o.verificationKeys ?? []) {
    const bytes = await readUserFile(k.file, "verification key");
    ring[k.keyId] = signing!.loadVerificationKey(bytes, { source: k.file, ...(o.algorithm ? { algorithm: o.algorithm as never } : {}) });
  }
  // One key given: it is the key, whatever kid the token names (as `opa build --verification-key` does).
  const only = o.verificationKeys?.length === 1 ? o.verificationKeys[0]!.keyId : undefined;
  const keyring: BundleKeyring = ring;
  const verifyOpts = { ...(o.scope !== undefined ? { scope: o.scope } : {}), ...(only ? { keyId: only } : {}) };
  const verifier: BundleVerifier = async (bundle) => {
    if (Object.keys(keyring).length === 0) {
      if (o.allowUnsigned) return;
      throw new TollgateError("bundle_unverified", "refusing to evaluate an unverified bundle: give --verification-key PEM, or --allow-unsigned", bundle.source);
    }
    // A key is configured: the bundle must verify with it. --allow-unsigned does not apply here — it means
    // "no key, no signature expected"; honouring it would let anyone who can replace the bundle strip its
    // .signatures.json and have their policy evaluated.
    const r = await signing!.verifyBundleSignature(bundle, keyring, verifyOpts);
    if (r.ok) return;
    throw new TollgateError("bundle_unverified", `bundle rejected: ${signing!.rejectionReason(r)} [${r.code}]`, bundle.source);
  };
  const fail = (code: string, reason: string, source: string) => new TollgateError("bundle_unverified", `bundle rejected: ${reason} [${code}]`, source);
  // No key and no --allow-unsigned: refused before a byte is inflated; no key with it: nothing to check.
  const select: ArchiveSelector | undefined = Object.keys(keyring).length
    ? signing!.signatureSelector(keyring, verifyOpts, fail)
    : o.allowUnsigned
      ? undefined
      : async (_sig, source) => {
          throw new TollgateError("bundle_unverified", "refusing to evaluate an unverified bundle: give --verification-key PEM, or --allow-unsigned", source);
        };
  return select ? Object.assign(verifier, { select }) : verifier;
}

export interface LoadedPolicy {
  /**
   * The compiled engine. The bundle is read, verified and its data merged before loadPolicy returns; only the
   * WASM compile (which runs off the main thread) is still under way, so a caller can read evidence meanwhile.
   */
  engine: Promise<PolicyEngine>;
  data: Record<string, unknown>;
}

export async function loadPolicy(o: PolicyOptions): Promise<LoadedPolicy> {
  // The embedded default is pinned by digest (checked in loadDefaultBundle); a user's bundle is verified.
  const bundle = o.policy ? await loadBundleFile(o.policy, o.registry, o.verifyBundle?.select) : await loadDefaultBundle();
  if (o.policy && o.verifyBundle) await o.verifyBundle(bundle);
  const { overlays } = await loadDataOverlays(o.dataFiles);
  const data = PolicyEngine.mergeOverlays(bundle, overlays);
  const engine = PolicyEngine.fromData(bundle, data);
  engine.catch(() => {}); // the caller awaits it; this only keeps a failure before then from counting as unhandled
  return { engine, data };
}

export function decide(engine: PolicyEngine, prepared: PreparedEvidence, entrypoint = GATE_ENTRYPOINT): GateReport {
  const decision = evaluateDecision(engine, entrypoint, prepared.input);
  return {
    decision,
    input: prepared.input,
    inputDigest: inputDigest(prepared.input),
    bundle: { source: engine.bundle.source, revision: engine.revision, sha256: engine.bundle.sha256 },
    entrypoint,
    skipped: prepared.collected.skipped,
  };
}
