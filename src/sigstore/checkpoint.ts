// Transparency-log proofs checked offline, shared by Sigstore bundles (sigstore/verify.ts) and anything else
// that carries a Rekor entry's proof (promotion attestations): the signed checkpoint (a C2SP signed note:
// "origin\nsize\nroot\n[other lines]\n\n— name base64(keyhint || signature)\n") parsed strictly, its size and
// root held against the inclusion proof's, its origin naming the trusted log, its signature by that log's key;
// and the RFC 6962 / RFC 9162 §2.1.3.2 inclusion proof recomputed from a leaf hash to the root.
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import type { TrustedRoot } from "@sigstore/protobuf-specs";
import { bytesEqual, decodeBase64Strict, toHex } from "../core/digest.ts";
import { verifySignatureBytes } from "../crypto/dsse.ts";

type TransparencyLog = TrustedRoot["tlogs"][number];

/** Which part of a log proof failed: the Merkle path to the root, or the checkpoint (its form, tree, log, key). */
export type ProofStep = "inclusion_proof" | "checkpoint";

/** A problem with a proof: the message says what differed, `step` which part it is in. */
export class ProofError extends Error {
  constructor(message: string, readonly step: ProofStep = "checkpoint") {
    super(message);
  }
}

const UINT = /^(0|[1-9][0-9]*)$/;

export interface NoteSignature {
  name: string;
  keyHint: Uint8Array;
  signature: Uint8Array;
}

export interface Checkpoint {
  origin: string;
  size: bigint;
  rootHash: Uint8Array;
  /** The signed text: every line up to and including the one before the blank line, newline-terminated. */
  note: string;
  signatures: NoteSignature[];
}

/** Parse a checkpoint's signed note strictly. Throws ProofError naming what is malformed. */
export function parseCheckpoint(envelope: string): Checkpoint {
  const sep = envelope.indexOf("\n\n");
  if (sep < 0) throw new ProofError("checkpoint is not signed");
  const note = envelope.slice(0, sep + 1);
  const [origin, sizeLine, rootLine] = note.slice(0, -1).split("\n");
  if (!origin || sizeLine === undefined || rootLine === undefined || !UINT.test(sizeLine)) {
    throw new ProofError('checkpoint is not "origin\\nsize\\nroot hash"');
  }
  let rootHash: Uint8Array;
  try {
    rootHash = decodeBase64Strict(rootLine, "checkpoint root hash");
  } catch {
    throw new ProofError("checkpoint root hash is not base64");
  }
  const signatures: NoteSignature[] = [];
  for (const line of envelope.slice(sep + 2).split("\n").filter((l) => l !== "")) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new ProofError(`checkpoint signature line is malformed: ${JSON.stringify(line.slice(0, 80))}`);
    let raw: Uint8Array;
    try {
      raw = decodeBase64Strict(m[2]!, "checkpoint signature");
    } catch {
      throw new ProofError("checkpoint signature is not strict base64");
    }
    if (raw.length < 5) throw new ProofError("checkpoint signature is too short");
    signatures.push({ name: m[1]!, keyHint: raw.subarray(0, 4), signature: raw.subarray(4) });
  }
  if (!signatures.length) throw new ProofError("checkpoint is not signed");
  return { origin, size: BigInt(sizeLine), rootHash, note, signatures };
}

/** The checkpoint describes the same tree as the proof: equal size and root hash. */
export function checkCheckpointMatchesProof(cp: Checkpoint, treeSize: bigint, rootHash: Uint8Array): void {
  if (cp.size !== treeSize) throw new ProofError(`checkpoint size ${cp.size} differs from the inclusion proof's treeSize ${treeSize}`);
  if (!bytesEqual(cp.rootHash, rootHash)) {
    throw new ProofError(`checkpoint root hash ${toHex(cp.rootHash)} differs from the inclusion proof's rootHash ${toHex(rootHash)}`);
  }
}

/**
 * The origin names the log by its URL without scheme (C2SP), e.g. "rekor.sigstore.dev - <tree id>" (Rekor v1)
 * or "log2025-1.rekor.sigstore.dev" (Rekor v2).
 */
export function checkOriginNamesLog(cp: Checkpoint, log: TransparencyLog): void {
  const names: string[] = [];
  try {
    const u = new URL(log.baseUrl);
    names.push(u.host, (u.host + u.pathname).replace(/\/+$/, ""));
  } catch {
    /* a log without a URL cannot be named by a checkpoint */
  }
  if (!names.includes(cp.origin.split(" ")[0] ?? "")) throw new ProofError(`checkpoint origin "${cp.origin}" does not name the trusted log ${log.baseUrl}`);
}

/** The trusted log whose log id (or checkpoint key id) is `keyId`, or starts with a 4-byte note key hint. */
export function findLog(tlogs: readonly TransparencyLog[], keyId: Uint8Array): TransparencyLog | undefined {
  const ids = (t: TransparencyLog) => [t.logId?.keyId, t.checkpointKeyId?.keyId].filter((x): x is Buffer => x !== undefined && x.length > 0);
  if (keyId.length === 4) return tlogs.find((t) => ids(t).some((id) => bytesEqual(id.subarray(0, 4), keyId)));
  return tlogs.find((t) => ids(t).some((id) => bytesEqual(id, keyId)));
}

function logKey(log: TransparencyLog): KeyObject {
  const raw = log.publicKey?.rawBytes;
  if (!raw?.length) throw new ProofError(`trusted log ${log.baseUrl} has no public key`);
  return createPublicKey({ key: Buffer.from(raw), format: "der", type: "spki" });
}

/**
 * Verify a checkpoint against the trusted logs: some signature's key hint names a trusted log, the signer name
 * and the origin name that log, and the signature verifies with its key. Returns the log.
 */
export async function verifyCheckpoint(cp: Checkpoint, tlogs: readonly TransparencyLog[]): Promise<TransparencyLog> {
  let named: TransparencyLog | undefined;
  for (const s of cp.signatures) {
    const log = findLog(tlogs, s.keyHint);
    if (!log) continue;
    named = log;
    checkOriginNamesLog(cp, log);
    if (!log.baseUrl.includes(s.name)) continue;
    if (await verifySignatureBytes(new TextEncoder().encode(cp.note), s.signature, logKey(log))) return log;
    throw new ProofError(`checkpoint signature by ${s.name} does not verify with the key of the trusted log ${log.baseUrl}`);
  }
  throw new ProofError(named ? `no checkpoint signature names the trusted log ${named.baseUrl}` : `no checkpoint signature is by a log of the trusted root (key hints ${cp.signatures.map((s) => toHex(s.keyHint)).join(", ")})`);
}

const leafPrefix = Buffer.from([0]);
const nodePrefix = Buffer.from([1]);

/** RFC 6962 leaf hash: SHA-256(0x00 || entry). A Rekor v1 entry's UUID is its hex. */
export function leafHash(entry: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(leafPrefix).update(entry).digest());
}

function nodeHash(l: Uint8Array, r: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(nodePrefix).update(l).update(r).digest());
}

/** RFC 9162 §2.1.3.2: the root an inclusion proof implies for `leaf` at `index` in a tree of `size`. */
export function rootFromInclusionProof(leaf: Uint8Array, index: bigint, size: bigint, hashes: readonly Uint8Array[]): Uint8Array {
  if (index < 0n || index >= size) throw new ProofError(`logIndex ${index} is not below treeSize ${size}`, "inclusion_proof");
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of hashes) {
    if (sn === 0n) throw new ProofError(`the inclusion proof has ${hashes.length} hashes, more than a tree of ${size} needs at index ${index}`, "inclusion_proof");
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new ProofError(`the inclusion proof has ${hashes.length} hashes, fewer than a tree of ${size} needs at index ${index}`, "inclusion_proof");
  return r;
}

/** A Rekor entry's inclusion proof, decoded (the callers' field forms differ: a bundle's base64, Rekor's API's hex). */
export interface InclusionProof {
  /** The entry's RFC 6962 leaf hash, which the path is recomputed from (a proof with no leaf proves nothing). */
  leaf: Uint8Array;
  /** The index the path is computed at (a sharded log's tree-local one). */
  index: bigint;
  treeSize: bigint;
  rootHash: Uint8Array;
  hashes: readonly Uint8Array[];
  /** The signed checkpoint note's text. */
  checkpoint: string;
}

/**
 * The one inclusion-proof sequence, for Sigstore bundle entries and promotion attestations alike: the checkpoint
 * parsed strictly and stating the proof's tree size and root hash, then the audit path recomputed from the leaf at
 * `index` to that root. Returns the checkpoint; which trusted log signed it is the caller's next step
 * (verifyCheckpoint, or @sigstore/verify for a bundle's entries). Throws ProofError (`step` names the part).
 */
export function checkInclusion(p: InclusionProof): Checkpoint {
  const cp = parseCheckpoint(p.checkpoint);
  checkCheckpointMatchesProof(cp, p.treeSize, p.rootHash);
  const computed = rootFromInclusionProof(p.leaf, p.index, p.treeSize, p.hashes);
  if (!bytesEqual(computed, p.rootHash)) {
    throw new ProofError(`the inclusion proof at index ${p.index} leads to ${toHex(computed)}, not to rootHash ${toHex(p.rootHash)}`, "inclusion_proof");
  }
  return cp;
}
