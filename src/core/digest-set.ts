// in-toto DigestSets (https://github.com/in-toto/attestation/blob/main/spec/v1/digest_set.md): a subject is
// named by one or more digests keyed by algorithm. sha256, sha384 and sha512 are the algorithms tollgate
// verifies and matches on; any other entry (gitCommit, gce_image_id, sha1…) is kept as an opaque fact and
// never binds anything.
import { createHash } from "node:crypto";
import { TollgateError } from "./errors.ts";

export type DigestSet = Record<string, string>;

export const STRONG_DIGEST_ALGORITHMS = ["sha256", "sha384", "sha512"] as const;
export type StrongAlgorithm = (typeof STRONG_DIGEST_ALGORITHMS)[number];

const HEX_LENGTH: Readonly<Record<StrongAlgorithm, number>> = { sha256: 64, sha384: 96, sha512: 128 };

export function isStrongAlgorithm(alg: string): alg is StrongAlgorithm {
  return (STRONG_DIGEST_ALGORITHMS as readonly string[]).includes(alg);
}

/** Lower-case hex digest of `bytes` with a strong algorithm. */
export function digestHex(alg: StrongAlgorithm, bytes: Uint8Array): string {
  return createHash(alg).update(bytes).digest("hex");
}

/**
 * One `--subject` value → `[algorithm, hex]`: `sha256:`/`sha384:`/`sha512:` + hex, a bare 64-hex sha256, or a
 * Subresource Integrity value such as npm's `dist.integrity` (`sha512-<base64>`). Throws `usage` otherwise.
 */
export function parseSubjectDigest(value: string): [StrongAlgorithm, string] {
  const v = value.trim();
  const want = "want sha256:<hex>, sha384:<hex>, sha512:<hex> or an integrity value sha512-<base64>";
  const colon = /^(sha256|sha384|sha512):(.*)$/i.exec(v);
  if (colon) {
    const alg = colon[1]!.toLowerCase() as StrongAlgorithm;
    if (!new RegExp(`^[0-9a-fA-F]{${HEX_LENGTH[alg]}}$`).test(colon[2]!)) {
      throw new TollgateError("usage", `not a ${alg} digest: ${value} (want ${alg}:<${HEX_LENGTH[alg]} hex>)`);
    }
    return [alg, colon[2]!.toLowerCase()];
  }
  if (/^[0-9a-fA-F]{64}$/.test(v)) return ["sha256", v.toLowerCase()];
  const sri = /^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})$/.exec(v);
  if (sri) {
    const alg = sri[1] as StrongAlgorithm;
    const bytes = Buffer.from(sri[2]!, "base64");
    // Canonical base64 of exactly the algorithm's length: no silently truncated or padded digests.
    if (bytes.length * 2 !== HEX_LENGTH[alg] || bytes.toString("base64") !== sri[2]) {
      throw new TollgateError("usage", `not a ${alg} integrity value: ${value} (want ${alg}-<base64 of ${HEX_LENGTH[alg] / 2} bytes>)`);
    }
    return [alg, bytes.toString("hex")];
  }
  throw new TollgateError("usage", `not a subject digest: ${value} (${want})`);
}

/** Several `--subject` values naming one artifact → its DigestSet; two values for one algorithm must agree. */
export function parseSubjectDigests(values: readonly string[]): DigestSet {
  const set: DigestSet = {};
  for (const v of values) {
    const [alg, hex] = parseSubjectDigest(v);
    if (set[alg] !== undefined && set[alg] !== hex) throw new TollgateError("usage", `--subject gives two different ${alg} digests (${set[alg]} and ${hex})`);
    set[alg] = hex;
  }
  return set;
}

/** A statement subject's digest set as recorded: strong digests lower-cased, everything else verbatim. */
export function normalizeDigestSet(d: Readonly<DigestSet>): DigestSet {
  const out: DigestSet = {};
  for (const [alg, v] of Object.entries(d)) out[alg] = isStrongAlgorithm(alg) ? v.toLowerCase() : v;
  return out;
}

/** `sha256:… sha512:…` for messages, strong algorithms first, in a fixed order. */
export function formatDigestSet(d: Readonly<DigestSet>): string {
  const strong = STRONG_DIGEST_ALGORITHMS.filter((a) => d[a] !== undefined).map((a) => `${a}:${d[a]}`);
  const other = Object.keys(d).filter((a) => !isStrongAlgorithm(a)).sort().map((a) => `${a}:${d[a]}`);
  return [...strong, ...other].join(" ") || "(no digest)";
}

/** `alg:hex` of the strongest-listed first algorithm (sha256, then sha384, sha512): one string for logs. */
export function primaryDigest(d: Readonly<DigestSet>): string | undefined {
  const alg = STRONG_DIGEST_ALGORITHMS.find((a) => d[a] !== undefined);
  return alg ? `${alg}:${d[alg]}` : undefined;
}

export type DigestComparison =
  /** Some strong algorithm both name agrees and none disagrees. */
  | { result: "match"; algorithms: StrongAlgorithm[] }
  /** Some strong algorithm both name disagrees (whatever else agrees). */
  | { result: "mismatch"; algorithm: StrongAlgorithm; claimed: string; actual: string; contradicts: boolean }
  /** No strong algorithm in common: nothing can be compared. */
  | { result: "disjoint" };

/**
 * Does a claimed digest set (a statement subject) name the artifact whose digests are `actual`? A match needs
 * one strong algorithm in common that agrees and none that disagrees; `contradicts` marks a mismatch where
 * another strong algorithm agreed (a subject claiming the artifact's sha256 with a different sha512).
 */
export function compareDigestSets(claimed: Readonly<DigestSet>, actual: Readonly<DigestSet>): DigestComparison {
  const agree: StrongAlgorithm[] = [];
  let first: { algorithm: StrongAlgorithm; claimed: string; actual: string } | undefined;
  for (const alg of STRONG_DIGEST_ALGORITHMS) {
    const c = claimed[alg];
    const a = actual[alg];
    if (c === undefined || a === undefined) continue;
    if (c.toLowerCase() === a.toLowerCase()) agree.push(alg);
    else first ??= { algorithm: alg, claimed: c.toLowerCase(), actual: a.toLowerCase() };
  }
  if (first) return { result: "mismatch", ...first, contradicts: agree.length > 0 };
  return agree.length ? { result: "match", algorithms: agree } : { result: "disjoint" };
}

/** The strong algorithms a list of digest sets names (what `--artifact` must compute to compare with them). */
export function strongAlgorithmsNamed(sets: Iterable<Readonly<DigestSet>>): StrongAlgorithm[] {
  const named = new Set<StrongAlgorithm>();
  for (const d of sets) for (const alg of Object.keys(d)) if (isStrongAlgorithm(alg)) named.add(alg);
  return STRONG_DIGEST_ALGORITHMS.filter((a) => named.has(a));
}

/**
 * The artifact under evaluation, as verification and the decision context see it: digests computed from its
 * bytes on demand (`--artifact`), or only the digests the caller gave (`--subject`).
 */
export class ArtifactDigests {
  private readonly known: DigestSet;
  constructor(private readonly bytes: Uint8Array | undefined, given: Readonly<DigestSet> = {}) {
    this.known = { ...given };
  }

  static fromBytes(bytes: Uint8Array): ArtifactDigests {
    return new ArtifactDigests(bytes);
  }

  static fromDigests(set: Readonly<DigestSet>): ArtifactDigests {
    return new ArtifactDigests(undefined, set);
  }

  /** The artifact's bytes (`--artifact`), for signatures over the message itself (Ed25519, RSA). */
  get bytesOrUndefined(): Uint8Array | undefined {
    return this.bytes;
  }

  /** True when the artifact's bytes are at hand (any strong digest can be computed). */
  get hasBytes(): boolean {
    return this.bytes !== undefined;
  }

  /** The artifact's digest with `alg`, computed once from its bytes, or the given one; undefined when unknown. */
  get(alg: StrongAlgorithm): string | undefined {
    if (this.known[alg] === undefined && this.bytes !== undefined) this.known[alg] = digestHex(alg, this.bytes);
    return this.known[alg];
  }

  /** The digest set with every algorithm in `algs` computed (when the bytes are at hand) plus those already known. */
  set(algs: Iterable<StrongAlgorithm> = []): DigestSet {
    for (const a of algs) this.get(a);
    const out: DigestSet = {};
    for (const a of STRONG_DIGEST_ALGORITHMS) if (this.known[a] !== undefined) out[a] = this.known[a]!;
    return out;
  }
}
