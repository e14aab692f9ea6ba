// Signed OPA policy bundles: `.signatures.json` = {"signatures": ["<JWS compact>"]} whose JWT payload lists every
// file of the bundle with its hash ({files: [{name, hash, algorithm}], keyid?, scope?, …}). The format and the
// checks mirror open-policy-agent/opa v1/bundle (sign.go, verify.go, bundle.go Reader.Read) so that bundles
// signed here load in `opa`, and bundles signed by `opa build --signing-key` verify here.
//
// Verification never throws for a bad bundle: it returns failed Checks with a stable code and a reason that
// names the file, key or claim that differed. It runs before a single byte of the bundle is evaluated.
import { createPrivateKey, createPublicKey, createSecretKey, X509Certificate, type KeyObject } from "node:crypto";
import { CompactSign, compactVerify, decodeProtectedHeader, errors as joseErrors, type JWSHeaderParameters } from "jose";
import { sha256Hex } from "../core/digest.ts";
import { TollgateError } from "../core/errors.ts";
import type { Check } from "../evidence/types.ts";
import { bundleFileDigest, isSignaturesFile, HASH_ALGORITHMS, WEAK_HASH_ALGORITHMS } from "./signing/canonical.ts";
import { readArchive, writeArchive, type ArchiveEntry, type ArchiveSelector } from "./archive.ts";

export { bundleFileDigest, isSignaturesFile } from "./signing/canonical.ts";
export { readArchive, writeArchive, type ArchiveEntry } from "./archive.ts";

export const SIGNING_ALGORITHMS = [
  "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "HS256", "HS384", "HS512",
] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export function isSigningAlgorithm(s: string): s is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly string[]).includes(s);
}

/** OPA's default `--verification-key-id` / signing key id. */
export const DEFAULT_KEY_ID = "default";
export const SIGNATURES_FILE = ".signatures.json";

/** One entry of the JWT payload's `files`. */
export interface SignedFile {
  name: string;
  hash: string;
  algorithm: string;
}

/** A trusted verification key; `algorithm` pins the JWS alg (OPA always pins it, default RS256). */
export interface BundleVerificationKey {
  /** Public key (RS/PS/ES) or secret (HS). */
  key: KeyObject;
  algorithm?: SigningAlgorithm;
  /** Scope this key expects when the caller gives none (OPA's per-key `scope`). */
  scope?: string;
  /** Where the key came from, for messages. */
  source?: string;
}

/** Key id → key: several ids allow rotation (the JWT's `kid` header, or its `keyid` claim, picks one). */
export type BundleKeyring = Readonly<Record<string, BundleVerificationKey>>;

export interface VerifyBundleOptions {
  /** Required scope; a bundle signed with another (or no) scope is rejected. Falls back to the key's scope. */
  scope?: string;
  /** Force this key id, ignoring the token's kid (what `opa build --verification-key-id` does). */
  keyId?: string;
  /** Glob patterns (OPA's `exclude_files`: `*` within one path segment) of files not checked. */
  exclude?: readonly string[];
}

export interface BundleSignatureResult {
  /** verified: signature good and every file matches; failed: rejected; unsigned: no .signatures.json. */
  status: "verified" | "failed" | "unsigned";
  ok: boolean;
  /** The first failure, for one-line messages. */
  code?: Check["code"];
  reason?: string;
  keyId?: string;
  algorithm?: string;
  scope?: string;
  /** Other claims of the payload (iss, iat, custom claims from --claims-file). */
  claims?: Record<string, unknown>;
  /** Files listed in the signature. */
  files: SignedFile[];
  /** Every check that ran, in order. */
  checks: Check[];
}

/** Anything that holds a bundle's files: a PolicyBundle (its `files`), a Map, or archive entries. */
export type BundleFiles = { files: ReadonlyMap<string, Uint8Array> } | ReadonlyMap<string, Uint8Array> | readonly ArchiveEntry[];

function filesOf(b: BundleFiles): Map<string, Uint8Array> {
  if (Array.isArray(b)) return new Map((b as readonly ArchiveEntry[]).map((e) => [e.name, e.bytes]));
  if (b instanceof Map) return b as Map<string, Uint8Array>;
  return new Map((b as { files: ReadonlyMap<string, Uint8Array> }).files);
}

// ---------------------------------------------------------------------------------------------------------
// Keys

function pemType(text: string): string | undefined {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
}

/** The JWS algorithms a key can serve, from its type and curve. */
export function algorithmsForKey(key: KeyObject): SigningAlgorithm[] {
  if (key.type === "secret") return ["HS256", "HS384", "HS512"];
  switch (key.asymmetricKeyType) {
    case "rsa":
      return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
    case "rsa-pss":
      return ["PS256", "PS384", "PS512"];
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === "prime256v1" || curve === "P-256") return ["ES256"];
      if (curve === "secp384r1" || curve === "P-384") return ["ES384"];
      if (curve === "secp521r1" || curve === "P-521") return ["ES512"];
      return [];
    }
    default:
      return [];
  }
}

/** The algorithm OPA would pick by default for a key (RS256 for RSA, ES* by curve, HS256 for secrets). */
export function defaultAlgorithmForKey(key: KeyObject): SigningAlgorithm {
  const algs = algorithmsForKey(key);
  if (algs.length === 0) throw new TollgateError("unsupported", `key type ${key.asymmetricKeyType ?? key.type} cannot sign JWS`);
  return algs[0]!;
}

/**
 * A signing key as OPA reads `--signing-key`: HS* takes the file's bytes verbatim as the secret; otherwise a PEM
 * private key (PKCS#1 "RSA PRIVATE KEY", PKCS#8 "PRIVATE KEY", SEC1 "EC PRIVATE KEY").
 */
export function loadSigningKey(data: Uint8Array | string, algorithm: SigningAlgorithm | undefined, source = "signing key"): KeyObject {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  if (algorithm?.startsWith("HS")) {
    if (bytes.length === 0) throw new TollgateError("usage", "the HMAC secret is empty", source);
    return createSecretKey(Buffer.from(bytes));
  }
  const text = new TextDecoder().decode(bytes);
  const type = pemType(text);
  if (!type || !/PRIVATE KEY$/.test(type)) {
    throw new TollgateError("usage", "not a PEM private key (want RSA PRIVATE KEY, PRIVATE KEY or EC PRIVATE KEY)", source);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (e) {
    throw new TollgateError("usage", `unreadable private key: ${(e as Error).message}`, source, { cause: e });
  }
  if (algorithm && !algorithmsForKey(key).includes(algorithm)) {
    throw new TollgateError("usage", `a ${describeKey(key)} key cannot sign ${algorithm} (it can sign ${algorithmsForKey(key).join(", ") || "nothing"})`, source);
  }
  return key;
}

/**
 * A verification key as OPA reads `--verification-key`/`keys.*.key`: HS* takes the bytes verbatim as the secret;
 * otherwise PEM "PUBLIC KEY", "RSA PUBLIC KEY" or "CERTIFICATE" (its public key). A private key PEM is accepted
 * (like OPA) and reduced to its public half.
 */
export function loadVerificationKey(
  data: Uint8Array | string,
  opts: { algorithm?: SigningAlgorithm; scope?: string; source?: string } = {},
): BundleVerificationKey {
  const source = opts.source ?? "verification key";
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let key: KeyObject;
  if (opts.algorithm?.startsWith("HS")) {
    if (bytes.length === 0) throw new TollgateError("usage", "the HMAC secret is empty", source);
    key = createSecretKey(Buffer.from(bytes));
  } else {
    const text = new TextDecoder().decode(bytes);
    const type = pemType(text);
    try {
      if (type === "CERTIFICATE") key = new X509Certificate(text).publicKey;
      else if (type === "PUBLIC KEY" || type === "RSA PUBLIC KEY") key = createPublicKey(text);
      else if (type && /PRIVATE KEY$/.test(type)) key = createPublicKey(createPrivateKey(text));
      else throw new Error("no PEM PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE block");
    } catch (e) {
      throw new TollgateError("usage", `unreadable verification key: ${(e as Error).message}`, source, { cause: e });
    }
    if (opts.algorithm && !algorithmsForKey(key).includes(opts.algorithm)) {
      throw new TollgateError("usage", `a ${describeKey(key)} key cannot verify ${opts.algorithm}`, source);
    }
  }
  const out: BundleVerificationKey = { key, source };
  if (opts.algorithm) out.algorithm = opts.algorithm;
  if (opts.scope !== undefined) out.scope = opts.scope;
  return out;
}

function describeKey(key: KeyObject): string {
  if (key.type === "secret") return "secret (HMAC)";
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `${key.asymmetricKeyType} ${curve}` : `${key.asymmetricKeyType}`;
}

/** `sha256:<hex>` of a public key's SPKI DER (secrets: of nothing revealing — their hash is not disclosed). */
export function keyFingerprint(key: KeyObject): string | undefined {
  if (key.type === "secret") return undefined;
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return "sha256:" + sha256Hex(pub.export({ type: "spki", format: "der" }));
}

// ---------------------------------------------------------------------------------------------------------
// Signing

export interface SignBundleOptions {
  key: KeyObject;
  /** Default: RS256 for RSA keys (OPA's default), ES256/384/512 by curve, HS256 for secrets. */
  algorithm?: SigningAlgorithm;
  /** `kid` header, and the deprecated `keyid` claim when no claims file is given (as OPA does). Default "default". */
  keyId?: string;
  /** `scope` claim. */
  scope?: string;
  /** Extra claims (OPA's --claims-file). As in OPA, giving claims suppresses the `keyid` claim. */
  claims?: Record<string, unknown>;
  /** Files that are in the bundle but left out of the signature (OPA's --exclude-files-verify on the reader). */
  exclude?: readonly string[];
}

/** The JWT payload OPA writes: files in bundle order, then keyid or the claims. */
export function signaturePayload(files: BundleFiles, opts: Omit<SignBundleOptions, "key" | "algorithm">): Record<string, unknown> {
  const listed: SignedFile[] = [];
  const isExcluded = excluder(opts.exclude);
  for (const [name, bytes] of filesOf(files)) {
    if (isSignaturesFile(name) || isExcluded(name)) continue;
    listed.push({ name, hash: bundleFileDigest(name, bytes, "SHA-256"), algorithm: "SHA-256" });
  }
  const payload: Record<string, unknown> = { files: listed };
  if (opts.claims) {
    for (const [k, v] of Object.entries(opts.claims)) if (k !== "files") payload[k] = v;
  } else if (opts.keyId) {
    payload.keyid = opts.keyId;
  }
  if (opts.scope !== undefined) payload.scope = opts.scope;
  return payload;
}

/** Signs a bundle's files: returns the JWS compact token for `.signatures.json`. */
export async function signBundleFiles(files: BundleFiles, opts: SignBundleOptions): Promise<string> {
  const algorithm = opts.algorithm ?? defaultAlgorithmForKey(opts.key);
  if (!algorithmsForKey(opts.key).includes(algorithm)) {
    throw new TollgateError("usage", `a ${describeKey(opts.key)} key cannot sign ${algorithm}`);
  }
  const keyId = opts.keyId ?? DEFAULT_KEY_ID;
  const payload = signaturePayload(files, { ...opts, keyId });
  const header = { alg: algorithm, kid: keyId, typ: "JWT" };
  // RS* signatures are deterministic, so a re-signed bundle is byte-identical; PS*/ES* signatures are randomized
  // by their algorithms (that randomness is in the signature only, never in a decision).
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header).sign(opts.key);
}

/** `.signatures.json` bytes as OPA writes them (json.MarshalIndent with a one-space indent). */
export function signaturesFileBytes(token: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ signatures: [token] }, null, " "));
}

/** Signs a .tar.gz bundle and returns the new .tar.gz (any previous .signatures.json replaced). */
export async function signBundleArchive(bundleBytes: Uint8Array, source: string, opts: SignBundleOptions): Promise<{ bytes: Uint8Array; token: string }> {
  const entries = await readArchive(bundleBytes, source);
  const kept = entries.filter((e) => !isSignaturesFile(e.name));
  let token: string;
  try {
    token = await signBundleFiles(kept, opts);
  } catch (e) {
    // A member that cannot be hashed (a data.json that is not JSON/YAML): name the bundle too.
    if (e instanceof TollgateError && !e.path) throw new TollgateError(e.code, e.message, source, { cause: e });
    throw e;
  }
  // .signatures.json first (OPA's readers take any order): a verifier then checks the JWT before it inflates
  // a single other entry (readArchive with a selector).
  const out: ArchiveEntry[] = [{ name: SIGNATURES_FILE, bytes: signaturesFileBytes(token) }, ...kept];
  return { bytes: await writeArchive(out), token };
}

// ---------------------------------------------------------------------------------------------------------
// Verification

function globToRegExp(glob: string): RegExp {
  // Go's filepath.Match: `*` and `?` never cross "/", character classes pass through.
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        re += "[" + glob.slice(i + 1, end).replace(/\\/g, "\\\\") + "]";
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  try {
    return new RegExp("^" + re + "$");
  } catch {
    throw new TollgateError("usage", `exclude pattern ${JSON.stringify(glob)} is not a valid file pattern`);
  }
}

/**
 * A predicate for "matches one of the exclude globs", the globs compiled once (not once per file); throws
 * TollgateError("usage") for a pattern that is not one.
 */
export function excluder(exclude: readonly string[] | undefined): (name: string) => boolean {
  const res = (exclude ?? []).map(globToRegExp);
  return (name) => res.some((re) => re.test(name));
}

function fail(checks: Check[], name: string, code: NonNullable<Check["code"]>, reason: string, detail?: Record<string, unknown>): void {
  const c: Check = { name, ok: false, code, reason };
  if (detail) c.detail = detail;
  checks.push(c);
}

function pass(checks: Check[], name: string, detail?: Record<string, unknown>): void {
  const c: Check = { name, ok: true };
  if (detail) c.detail = detail;
  checks.push(c);
}

function result(checks: Check[], files: SignedFile[], extra: Partial<BundleSignatureResult> = {}): BundleSignatureResult {
  const bad = checks.find((c) => !c.ok);
  const r: BundleSignatureResult = { status: bad ? "failed" : "verified", ok: !bad, files, checks, ...extra };
  if (bad) {
    r.code = bad.code;
    r.reason = bad.reason;
  }
  return r;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** `.signatures.json` → its JWTs, or why it is unreadable (a sentence naming the file). */
export function parseSignaturesFile(bytes: Uint8Array): string[] | string {
  let doc: unknown;
  try {
    doc = JSON.parse(utf8.decode(bytes));
  } catch (e) {
    return `.signatures.json is not JSON: ${(e as Error).message}`;
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return ".signatures.json is not a JSON object";
  const d = doc as Record<string, unknown>;
  if (d.plugin !== undefined && d.plugin !== "" && d.plugin !== "_default") {
    return `.signatures.json names signing plugin ${JSON.stringify(d.plugin)}; only OPA's default JWT signer is supported`;
  }
  const sigs = d.signatures;
  if (!Array.isArray(sigs) || !sigs.every((s) => typeof s === "string")) return ".signatures.json: \"signatures\" is not an array of strings";
  return sigs as string[];
}

function parseFilesClaim(v: unknown): SignedFile[] | string {
  if (!Array.isArray(v)) return 'JWT payload has no "files" array';
  const out: SignedFile[] = [];
  for (const [i, f] of v.entries()) {
    if (typeof f !== "object" || f === null) return `JWT payload files[${i}] is not an object`;
    const { name, hash, algorithm } = f as Record<string, unknown>;
    if (typeof name !== "string" || name === "") return `JWT payload files[${i}].name is not a non-empty string`;
    if (typeof hash !== "string" || !/^[0-9a-fA-F]+$/.test(hash)) return `JWT payload files[${i}] (${name}): hash is not hex`;
    if (typeof algorithm !== "string" || algorithm === "") return `JWT payload files[${i}] (${name}): no hashing algorithm`;
    out.push({ name, hash: hash.toLowerCase(), algorithm });
  }
  return out;
}

/** A compact JWS's header and JSON-object payload, read WITHOUT checking the signature; throws Error on a bad token. */
export function decodeJwtUnverified(token: string): { header: JWSHeaderParameters; payload: Record<string, unknown> } {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error(`a compact JWS has 3 dot-separated parts, this one has ${parts.length}`);
  const header = decodeProtectedHeader(token);
  // Lenient UTF-8 here: a signed payload that is not UTF-8 is refused after the signature check (bundle.payload).
  const p: unknown = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
  if (typeof p !== "object" || p === null || Array.isArray(p)) throw new Error("payload is not a JSON object");
  return { header, payload: p as Record<string, unknown> };
}

/**
 * Verifies a bundle's `.signatures.json` against trusted keys, OPA's way, plus tollgate's stricter rules:
 * exactly one JWT; key chosen by `opts.keyId`, else the JWT `kid` header, else the deprecated `keyid` claim;
 * the JWS alg must be the key's pinned algorithm (or one its type can serve — no alg confusion); scope must equal
 * the required scope exactly (absent counts as ""); every file in the bundle (except .signatures.json and
 * excluded ones) must be listed with a matching hash, and every listed file must be present.
 *
 * Never throws for a bad bundle: failures are Checks with stable codes. An unsigned bundle gives
 * `status: "unsigned"`, `ok: false`, code `bundle_unverified` — the caller decides whether `--allow-unsigned` applies.
 */
export async function verifyBundleSignature(bundle: BundleFiles, keys: BundleKeyring, opts: VerifyBundleOptions = {}): Promise<BundleSignatureResult> {
  const files = filesOf(bundle);
  const checks: Check[] = [];
  const sigNames = [...files.keys()].filter(isSignaturesFile);
  if (sigNames.length === 0) {
    fail(checks, "bundle.signatures_file", "bundle_unverified", "bundle is unsigned: it has no .signatures.json");
    return { ...result(checks, []), status: "unsigned" };
  }
  if (sigNames.length > 1) {
    fail(checks, "bundle.signatures_file", "malformed", `bundle holds several signatures files: ${sigNames.join(", ")}`);
    return result(checks, []);
  }
  const parsed = parseSignaturesFile(files.get(sigNames[0]!)!);
  if (typeof parsed === "string") {
    fail(checks, "bundle.signatures_file", "malformed", parsed);
    return result(checks, []);
  }
  if (parsed.length !== 1) {
    fail(checks, "bundle.signatures_file", "malformed", parsed.length === 0 ? ".signatures.json: missing JWT (expected exactly one)" : `.signatures.json: ${parsed.length} JWTs (expected exactly one)`);
    return result(checks, []);
  }
  pass(checks, "bundle.signatures_file");
  const token = parsed[0]!;

  // Header and payload are read before the signature check only to choose the key; nothing is trusted yet.
  let header: JWSHeaderParameters;
  let unverifiedPayload: Record<string, unknown>;
  try {
    ({ header, payload: unverifiedPayload } = decodeJwtUnverified(token));
  } catch (e) {
    fail(checks, "bundle.jwt", "malformed", `the JWT in .signatures.json is unreadable: ${(e as Error).message}`);
    return result(checks, []);
  }
  const alg = typeof header.alg === "string" ? header.alg : "";
  const keyId =
    opts.keyId ||
    (typeof header.kid === "string" && header.kid !== "" ? header.kid : "") ||
    (typeof unverifiedPayload.keyid === "string" ? unverifiedPayload.keyid : "");
  if (!keyId) {
    fail(checks, "bundle.key", "no_trusted_key", "the bundle signature names no key id (no kid header, no keyid claim) and none was configured");
    return result(checks, [], { algorithm: alg });
  }
  const trusted = Object.hasOwn(keys, keyId) ? keys[keyId] : undefined;
  if (!trusted) {
    const known = Object.keys(keys);
    fail(checks, "bundle.key", "no_trusted_key", `bundle is signed with key id ${JSON.stringify(keyId)}, which is not a trusted key (trusted: ${known.length ? known.map((k) => JSON.stringify(k)).join(", ") : "none"})`);
    return result(checks, [], { keyId, algorithm: alg });
  }
  const allowed = trusted.algorithm ? [trusted.algorithm] : algorithmsForKey(trusted.key);
  if (!isSigningAlgorithm(alg) || !allowed.includes(alg)) {
    fail(checks, "bundle.key", "signature_failed", `JWT alg ${JSON.stringify(alg)} is not allowed for key ${JSON.stringify(keyId)} (${describeKey(trusted.key)}; allowed: ${allowed.join(", ")})`);
    return result(checks, [], { keyId, algorithm: alg });
  }
  const fingerprint = keyFingerprint(trusted.key);
  pass(checks, "bundle.key", { keyId, algorithm: alg, ...(fingerprint ? { fingerprint } : {}) });

  let payloadBytes: Uint8Array;
  try {
    payloadBytes = (await compactVerify(token, trusted.key, { algorithms: [alg] })).payload;
  } catch (e) {
    const why = e instanceof joseErrors.JWSSignatureVerificationFailed ? "signature does not verify" : (e as Error).message;
    fail(checks, "bundle.jwt_signature", "signature_failed", `JWT signature check with key ${JSON.stringify(keyId)} failed: ${why}`);
    return result(checks, [], { keyId, algorithm: alg });
  }
  pass(checks, "bundle.jwt_signature");
  let payload: Record<string, unknown>;
  try {
    const p: unknown = JSON.parse(utf8.decode(payloadBytes));
    if (typeof p !== "object" || p === null || Array.isArray(p)) throw new Error("not a JSON object");
    payload = p as Record<string, unknown>;
  } catch (e) {
    fail(checks, "bundle.payload", "malformed", `the signed JWT payload is unreadable: ${(e as Error).message}`);
    return result(checks, [], { keyId, algorithm: alg });
  }

  const listed = parseFilesClaim(payload.files);
  if (typeof listed === "string") {
    fail(checks, "bundle.payload", "malformed", listed);
    return result(checks, [], { keyId, algorithm: alg });
  }
  const claims: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(payload)) if (k !== "files") claims[k] = v;
  const signedScope = payload.scope === undefined || payload.scope === null ? "" : payload.scope;
  const wantScope = opts.scope || trusted.scope || "";
  const extra = { keyId, algorithm: alg, claims, ...(signedScope ? { scope: String(signedScope) } : {}) };
  if (signedScope !== wantScope) {
    fail(checks, "bundle.scope", "signature_failed", `scope mismatch: the bundle is signed for scope ${JSON.stringify(signedScope)}, the verifier requires ${JSON.stringify(wantScope)}`);
    return result(checks, listed, extra);
  }
  pass(checks, "bundle.scope");

  const byName = new Map<string, SignedFile>();
  for (const f of listed) {
    // Names are matched exactly, as OPA does: archive paths lose their leading "/", listed names do not.
    const name = f.name;
    if (byName.has(name)) {
      fail(checks, "bundle.payload", "malformed", `the signature lists ${name} twice`);
      return result(checks, listed, extra);
    }
    byName.set(name, f);
  }
  // Every bundle file must be listed and match (in bundle order)…
  const isExcluded = excluder(opts.exclude);
  for (const [name, bytes] of files) {
    if (isSignaturesFile(name)) continue;
    if (isExcluded(name)) {
      byName.delete(name); // OPA: an excluded file is neither checked nor required to be listed
      continue;
    }
    const entry = byName.get(name);
    if (!entry) {
      fail(checks, "bundle.file_listed", "bundle_unverified", `file ${name} is in the bundle but not listed in its signature`, { file: name });
      continue;
    }
    byName.delete(name);
    if (!HASH_ALGORITHMS[entry.algorithm]) {
      const why = WEAK_HASH_ALGORITHMS.has(entry.algorithm) ? "too weak" : "unknown";
      fail(checks, "bundle.file_hash", "unsupported", `file ${name} is signed with ${why} hash algorithm ${JSON.stringify(entry.algorithm)}`, { file: name });
      continue;
    }
    let actual: string;
    try {
      actual = bundleFileDigest(name, bytes, entry.algorithm);
    } catch (e) {
      fail(checks, "bundle.file_hash", "malformed", `file ${name} cannot be hashed: ${(e as Error).message}`, { file: name });
      continue;
    }
    if (actual !== entry.hash) {
      fail(checks, "bundle.file_hash", "digest_mismatch", `file ${name}: ${entry.algorithm} digest mismatch (signed ${entry.hash}, actual ${actual})`, { file: name, expected: entry.hash, actual });
      continue;
    }
  }
  // …and every listed file must be present (OPA: even when its name matches an exclude pattern).
  for (const name of byName.keys()) {
    fail(checks, "bundle.file_present", "bundle_unverified", `file ${name} is listed in the bundle signature but missing from the bundle`, { file: name });
  }
  if (checks.every((c) => c.ok)) pass(checks, "bundle.files", { count: listed.length });
  return result(checks, listed, extra);
}

/**
 * The archive selector for a signature check (readArchive's `select`): the JWT in `.signatures.json` is verified
 * (key, alg, signature, scope, the files claim) before any other entry of the bundle is inflated; then only the
 * files it lists (or that `exclude` names) are inflated, each checked against its signed hash as soon as it is
 * read. Every refusal is `fail(code, reason)`. A bundle without `.signatures.json` is refused unless
 * `acceptUnsigned`; with no keys at all and `acceptWithoutKeys`, nothing is checked (`--allow-unsigned` without a
 * key). The complete verifyBundleSignature runs afterwards over the entries read.
 */
export function signatureSelector(
  keys: BundleKeyring,
  opts: VerifyBundleOptions & { acceptUnsigned?: boolean; acceptWithoutKeys?: boolean },
  fail: (code: NonNullable<Check["code"]>, reason: string, source: string) => Error,
): ArchiveSelector {
  return async (signatures, source) => {
    const all = { accept: () => true, unlisted: (n: string) => fail("bundle_unverified", `file ${n} is in the bundle but not listed in its signature`, source) };
    if (opts.acceptWithoutKeys && Object.keys(keys).length === 0) return all;
    if (signatures === undefined) {
      if (opts.acceptUnsigned) return all;
      throw fail("bundle_unverified", "bundle is unsigned: it has no .signatures.json", source);
    }
    const r = await verifyBundleSignature(new Map([[SIGNATURES_FILE, signatures]]), keys, opts);
    const bad = r.checks.find((c) => !c.ok && c.name !== "bundle.file_present");
    if (bad) throw fail(bad.code!, bad.reason!, source);
    const listed = new Map(r.files.map((f) => [f.name, f]));
    const isExcluded = excluder(opts.exclude);
    return {
      accept: (name) => listed.has(name) || isExcluded(name),
      unlisted: all.unlisted,
      check(name, bytes) {
        const entry = listed.get(name);
        if (!entry || isExcluded(name)) return;
        if (!HASH_ALGORITHMS[entry.algorithm]) {
          const why = WEAK_HASH_ALGORITHMS.has(entry.algorithm) ? "too weak" : "unknown";
          throw fail("unsupported", `file ${name} is signed with ${why} hash algorithm ${JSON.stringify(entry.algorithm)}`, source);
        }
        let actual: string;
        try {
          actual = bundleFileDigest(name, bytes, entry.algorithm);
        } catch (e) {
          throw fail("malformed", `file ${name} cannot be hashed: ${(e as Error).message}`, source);
        }
        if (actual !== entry.hash) throw fail("digest_mismatch", `file ${name}: ${entry.algorithm} digest mismatch (signed ${entry.hash}, actual ${actual})`, source);
      },
    };
  };
}

/** The first failed check, and " (and N more problems)" when others failed too. */
function firstFailure(r: BundleSignatureResult): { first: Check | undefined; more: string } {
  const bad = r.checks.filter((c) => !c.ok);
  return { first: bad[0], more: bad.length > 1 ? ` (and ${bad.length - 1} more problem${bad.length > 2 ? "s" : ""})` : "" };
}

/** Why a bundle was refused, for messages that name the source and the code themselves. */
export function rejectionReason(r: BundleSignatureResult): string {
  const { first, more } = firstFailure(r);
  return first ? `${first.reason}${more}` : "bundle signature verified";
}

/** One line for a human: why a bundle was refused. */
export function describeRejection(source: string, r: BundleSignatureResult): string {
  const { first, more } = firstFailure(r);
  return first ? `${source}: bundle rejected: ${first.reason} [${first.code}]${more}` : `${source}: bundle signature verified`;
}

// ---------------------------------------------------------------------------------------------------------
// Keyrings from configuration (OPA's `keys:` section shape, plus key_file for PEMs kept beside the config)

export interface KeyConfigEntry {
  /** PEM text (public key/certificate) or, for HS*, the secret itself. */
  key?: string;
  /** Path of a PEM (or secret) file, relative to the config file's directory. */
  key_file?: string;
  algorithm?: string;
  scope?: string;
}

/**
 * `{ keyid: {key | key_file, algorithm?, scope?} }` → BundleKeyring. `readFile` is injected so this stays pure;
 * throws TollgateError("usage") naming the key id (and `source`, the file the entries came from) on a bad entry.
 * The entries may be unvalidated (a `--keys` file): each one's shape is checked here.
 */
export function keyringFromConfig(
  entries: Readonly<Record<string, KeyConfigEntry>>,
  readFile: (path: string) => Uint8Array,
  source?: string,
): Record<string, BundleVerificationKey> {
  const ring: Record<string, BundleVerificationKey> = {};
  for (const [id, e] of Object.entries(entries)) {
    const bad = (why: string) => new TollgateError("usage", `keys.${id}: ${why}`, source);
    if (!e || typeof e !== "object" || Array.isArray(e)) throw bad("want an object {key | key_file, algorithm?, scope?}");
    for (const f of ["key", "key_file", "algorithm", "scope"] as const) {
      if (e[f] !== undefined && typeof e[f] !== "string") throw bad(`${f} must be a string`);
    }
    if (e.algorithm !== undefined && !isSigningAlgorithm(e.algorithm)) {
      throw bad(`unknown algorithm ${JSON.stringify(e.algorithm)} (want one of ${SIGNING_ALGORITHMS.join(", ")})`);
    }
    if ((e.key === undefined) === (e.key_file === undefined)) throw bad("give exactly one of key (PEM text) or key_file");
    const data = e.key !== undefined ? new TextEncoder().encode(e.key) : readFile(e.key_file!);
    const opts: { algorithm?: SigningAlgorithm; scope?: string; source: string } = { source: e.key_file ?? `keys.${id}` };
    if (e.algorithm) opts.algorithm = e.algorithm as SigningAlgorithm;
    if (e.scope !== undefined) opts.scope = e.scope;
    ring[id] = loadVerificationKey(data, opts);
  }
  return ring;
}
