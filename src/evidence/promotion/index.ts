// Promotion attestations (`stella.ops/promotion@v1`, StellaOps): a signed record that an artifact moved from one
// environment to another, by whom and from which pipeline, naming the SBOM/VEX documents it moved with and the
// Rekor entry that logged it. Verified offline, beyond the envelope's signature:
// - every material is re-hashed from its file (`uri` relative to the statement's file; where files may be read
//   from is materials.ts's) against its digest;
// - the Rekor inclusion proof is recomputed (RFC 6962 / RFC 9162 §2.1.3.2) from the entry's leaf hash — a Rekor
//   v1 UUID is the hex leaf hash, optionally after a 16-hex tree id — at its index in `treeSize` to `rootHash`;
// - the checkpoint (a signed note) must state the same size and root, name a log of the trusted root as its
//   origin (and, when the UUID carries a tree id, that tree), and be signed by that log's key;
// - the entry is bound to this statement (transparency.binding): a proof shows only that SOME entry is in the
//   log, so the entry's body must be given (`rekor.body`, base64, as Rekor's API returns it with each entry), hash
//   to the UUID's leaf (RFC 6962: sha256(0x00 || body)), and log a digest this statement names: a subject's, or a
//   material's. StellaOps's predicate carries no body (its producer logs the SBOM before it builds and signs the
//   promotion, so the entry cannot be of this envelope: a body naming the envelope's payload hash or signature
//   would have to contain itself). Without a body the transparency status is "unbound", never "verified".
// The proof and checkpoint rules are sigstore/checkpoint.ts's, the ones Sigstore bundles are held to.
// Field forms are Rekor's API's: `rootHash` and `hashes` hex, the checkpoint the note's text. `rekor.logIndex`
// is the entry's index; on a sharded log Rekor also returns the proof's own tree-local `inclusionProof.logIndex`,
// which is then the one the path is computed at; the global one must not be below it and is otherwise unproven
// (the shard's offset is in neither the proof, the checkpoint nor the trusted root): facts.rekor.log_index_proven.
import { X509Certificate } from "node:crypto";
import { decodeBase64Strict, toHex } from "../../core/digest.ts";
import { publicKeyFromPem, trustedKeyFromObject } from "../../crypto/keys.ts";
import { isRfc3339 } from "../../core/time.ts";
import { asTollgateError } from "../../core/errors.ts";
import { predicateChecks, type InTotoStatement, type InTotoSubject, type PredicateHandler } from "../predicate.ts";
import type { Check, PredicateLogFacts, SourceFile, VerifyContext } from "../types.ts";
import { MaterialReader, uriProblem } from "./materials.ts";

export const PROMOTION_V1 = "stella.ops/promotion@v1";

const ROLES = ["sbom", "vex"] as const;
const ALGOS: Record<string, { hash: string; hexLength: number }> = {
  sha256: { hash: "sha256", hexLength: 64 },
  sha384: { hash: "sha384", hexLength: 96 },
  sha512: { hash: "sha512", hexLength: 128 },
};
const HEX32 = /^[0-9a-f]{64}$/;
const UUID = /^(?:([0-9a-f]{16}))?([0-9a-f]{64})$/;
const UINT = /^(0|[1-9][0-9]*)$/;

export interface PromotionMaterial {
  role: (typeof ROLES)[number];
  algo: string;
  digest: string;
  format: string;
  uri: string;
}

export interface PromotionPredicate {
  materials: PromotionMaterial[];
  promotion: { from: string; to: string; actor: string; timestamp: string; pipeline: string };
  rekor: {
    uuid: string;
    treeId: string | null;
    leafHash: string;
    logIndex: bigint;
    proofIndex: bigint;
    treeSize: bigint;
    rootHash: string;
    hashes: string[];
    checkpoint: string;
    /** The entry's canonicalized body (`rekor.body`, Rekor's API's base64 `body`), when given. */
    body: Uint8Array | null;
  };
}

const checks = predicateChecks("promotion");
// Declared with their types, so a call to bad() ends the control flow for the compiler too.
const bad: (msg: string) => never = checks.bad;
const obj: (v: unknown, where: string) => Record<string, unknown> = checks.obj;
const str: (v: unknown, where: string) => string = checks.str;

/** A JSON integer ≥ 0, as a number or a decimal string (Rekor writes both), kept exact. */
function uint(v: unknown, where: string): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "string" && UINT.test(v)) return BigInt(v);
  bad(`${where} must be a non-negative integer`);
}

function hex32(v: unknown, where: string): string {
  if (typeof v !== "string" || !HEX32.test(v)) bad(`${where} must be 64 lower-case hex digits (a SHA-256 hash)`);
  return v;
}

/** Pure: the predicate, checked field by field. Throws TollgateError("schema_invalid") naming the first bad one. */
export function parsePromotion(predicate: unknown): PromotionPredicate {
  // facts(), verify() and materials() each need it: parse each predicate object once.
  const known = typeof predicate === "object" && predicate !== null ? parsed.get(predicate) : undefined;
  if (known) return known;
  const p = parsePromotionOnce(predicate);
  if (typeof predicate === "object" && predicate !== null) parsed.set(predicate, p);
  return p;
}

const parsed = new WeakMap<object, PromotionPredicate>();

function parsePromotionOnce(predicate: unknown): PromotionPredicate {
  const p = obj(predicate, "predicate");
  if (!Array.isArray(p.materials)) bad("materials must be an array");
  const materials = p.materials.map((m, i): PromotionMaterial => {
    const at = `materials[${i}]`;
    const o = obj(m, at);
    const role = str(o.role, `${at}.role`);
    if (!(ROLES as readonly string[]).includes(role)) bad(`${at}.role must be one of ${ROLES.join(", ")}, found ${JSON.stringify(role)}`);
    const algo = str(o.algo, `${at}.algo`).toLowerCase();
    const spec = ALGOS[algo];
    if (!spec) bad(`${at}.algo ${JSON.stringify(o.algo)} is not one of ${Object.keys(ALGOS).join(", ")}`);
    let digest = str(o.digest, `${at}.digest`);
    if (digest.startsWith(`${algo}:`)) digest = digest.slice(algo.length + 1);
    if (digest.length !== spec.hexLength || !/^[0-9a-f]+$/.test(digest)) bad(`${at}.digest must be ${spec.hexLength} lower-case hex digits for ${algo}`);
    const uri = str(o.uri, `${at}.uri`);
    const problem = uriProblem(uri);
    if (problem) bad(`${at}.uri ${JSON.stringify(uri)} ${problem}`);
    return { role: role as PromotionMaterial["role"], algo, digest, format: str(o.format, `${at}.format`), uri };
  });
  const pr = obj(p.promotion, "promotion");
  const promotion = {
    from: str(pr.from, "promotion.from"),
    to: str(pr.to, "promotion.to"),
    actor: str(pr.actor, "promotion.actor"),
    timestamp: str(pr.timestamp, "promotion.timestamp"),
    pipeline: str(pr.pipeline, "promotion.pipeline"),
  };
  if (!isRfc3339(promotion.timestamp)) {
    bad(`promotion.timestamp is not an RFC 3339 timestamp: ${JSON.stringify(promotion.timestamp)}`);
  }
  const r = obj(p.rekor, "rekor");
  const uuid = str(r.uuid, "rekor.uuid");
  const m = UUID.exec(uuid);
  if (!m) bad("rekor.uuid must be the entry's leaf hash (64 lower-case hex digits), optionally after a 16-hex tree id");
  const logIndex = uint(r.logIndex, "rekor.logIndex");
  const ip = obj(r.inclusionProof, "rekor.inclusionProof");
  const proofIndex = ip.logIndex === undefined ? logIndex : uint(ip.logIndex, "rekor.inclusionProof.logIndex");
  if (!Array.isArray(ip.hashes)) bad("rekor.inclusionProof.hashes must be an array");
  let body: Uint8Array | null = null;
  if (r.body !== undefined) {
    try {
      body = decodeBase64Strict(str(r.body, "rekor.body"), "rekor.body");
    } catch (e) {
      bad(asTollgateError(e).message.replace(/^promotion predicate: /, ""));
    }
  }
  return {
    materials,
    promotion,
    rekor: {
      uuid,
      treeId: m[1] ?? null,
      leafHash: m[2]!,
      logIndex,
      proofIndex,
      treeSize: uint(ip.treeSize, "rekor.inclusionProof.treeSize"),
      rootHash: hex32(ip.rootHash, "rekor.inclusionProof.rootHash"),
      hashes: ip.hashes.map((h, i) => hex32(h, `rekor.inclusionProof.hashes[${i}]`)),
      checkpoint: str(ip.checkpoint, "rekor.inclusionProof.checkpoint"),
      body,
    },
  };
}

const fromHex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));

function failed(name: string, code: Check["code"], reason: string, detail?: Record<string, unknown>): Check {
  const c: Check = { name, ok: false, code, reason };
  if (detail) c.detail = detail;
  return c;
}

// The Rekor v1 entry kinds whose logged digest is read, and where: a hashedrekord the signed artifact's, a dsse or
// intoto entry its envelope's payload (and envelope) hash. Other kinds are not read, so not bound, though some log
// a digest too (rekord 0.0.1's canonical body keeps spec.data.hash); nor are Rekor v2's entries, which have no UUID.
// `keys`: where the body names the key or certificate that signed what it logs (base64 of its PEM, as Rekor
// canonicalizes it): a hashedrekord's signature.publicKey, a dsse entry's signatures[].verifier, an intoto 0.0.1
// entry's publicKey, an intoto 0.0.2 entry's envelope signatures[].publicKey.
const LOGGED_DIGESTS: Record<string, { versions: readonly string[]; at: (spec: any) => unknown[]; keys: (spec: any, version: string) => unknown[] }> = {
  hashedrekord: { versions: ["0.0.1"], at: (s) => [s?.data?.hash], keys: (s) => [s?.signature?.publicKey?.content] },
  dsse: { versions: ["0.0.1"], at: (s) => [s?.payloadHash, s?.envelopeHash], keys: (s) => list(s?.signatures).map((x: any) => x?.verifier) },
  intoto: {
    versions: ["0.0.1", "0.0.2"],
    at: (s) => [s?.content?.payloadHash, s?.content?.hash],
    keys: (s, v) => (v === "0.0.1" ? [s?.publicKey] : list(s?.content?.envelope?.signatures).map((x: any) => x?.publicKey)),
  },
};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Who logged the entry, as the body names them: `key` (an SPKI public key) or `certificate` (an X.509 certificate,
 * by its public key's fingerprint: its identity is not verified offline — the proof carries no time to check the
 * chain at), each with the `sha256:<hex of the SPKI DER>` fingerprint policies pin. What is not a readable PEM
 * key or certificate is left out. The log checked the signature when it admitted the entry.
 */
export type LoggedBy = { type: "key" | "certificate"; fingerprint: string };

function loggedBy(values: unknown[]): LoggedBy[] {
  const out: LoggedBy[] = [];
  for (const v of values) {
    if (typeof v !== "string") continue;
    try {
      const pem = new TextDecoder("utf-8", { fatal: true }).decode(decodeBase64Strict(v, "rekor.body key"));
      // The fingerprint the --key path pins (crypto/keys.ts); a family tollgate does not verify is not named.
      const type = pem.includes("-----BEGIN CERTIFICATE-----") ? "certificate" : "key";
      const { fingerprint } = type === "certificate" ? trustedKeyFromObject(new X509Certificate(pem).publicKey, "rekor.body") : publicKeyFromPem(pem, "rekor.body");
      if (!out.some((o) => o.type === type && o.fingerprint === fingerprint)) out.push({ type, fingerprint });
    } catch {
      // not a key or certificate tollgate reads: not named
    }
  }
  return out;
}

export const UNBOUND_REASON = "the Rekor entry's body is not given (rekor.body, base64, as Rekor's API returns it), so the proof is not bound to this statement: it shows only that some entry is in the log";

/**
 * The proven entry is this statement's: its body hashes to the UUID's leaf and logs a digest of a subject or a
 * material. A check, and the transparency status it leaves: "verified", "failed" (another entry's body, or an
 * entry about something else) or "unbound" (no body).
 */
function bindEntry(p: PromotionPredicate, subjects: readonly InTotoSubject[], leafHash: (b: Uint8Array) => Uint8Array): { check: Check; status: PredicateLogFacts["status"]; loggedBy?: LoggedBy[] } {
  const name = "transparency.binding";
  const rk = p.rekor;
  if (rk.body === null) return { check: failed(name, "binding_failed", UNBOUND_REASON), status: "unbound" };
  const no = (reason: string) => ({ check: failed(name, "binding_failed", reason), status: "failed" as const });
  const leaf = toHex(leafHash(rk.body));
  if (leaf !== rk.leafHash) return no(`rekor.body hashes to leaf ${leaf}, not to ${rk.leafHash} (rekor.uuid's): it is not this entry's body`);
  let body: { kind?: unknown; apiVersion?: unknown; spec?: unknown };
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(rk.body));
  } catch {
    return no("rekor.body is not a JSON entry");
  }
  // Own keys only: a body's kind or algorithm named like an Object.prototype member ("constructor") is not read.
  const kind = Object.hasOwn(LOGGED_DIGESTS, String(body?.kind)) ? LOGGED_DIGESTS[String(body?.kind)] : undefined;
  const kv = `${String(body?.kind)} ${String(body?.apiVersion)}`;
  if (!kind || !kind.versions.includes(String(body.apiVersion))) {
    return no(`the Rekor entry is a ${kv} entry; only ${Object.entries(LOGGED_DIGESTS).map(([k, v]) => `${k} ${v.versions.join("/")}`).join(", ")} entries are read for the digest they log`);
  }
  const logged = kind.at(body.spec).flatMap((d: any) => (typeof d?.algorithm === "string" && typeof d?.value === "string" ? [{ algo: d.algorithm.toLowerCase(), value: d.value.toLowerCase() }] : []));
  for (const d of logged) {
    const si = subjects.findIndex((s) => {
      const v = s.digest && Object.hasOwn(s.digest, d.algo) ? s.digest[d.algo] : undefined;
      return typeof v === "string" && v.toLowerCase() === d.value;
    });
    const by = () => loggedBy(kind.keys(body.spec, String(body.apiVersion)));
    if (si >= 0) return { check: { name, ok: true, detail: { kind: kv, names: `subject[${si}]`, digest: `${d.algo}:${d.value}` } }, status: "verified", loggedBy: by() };
    const mi = p.materials.findIndex((m) => m.algo === d.algo && m.digest === d.value);
    if (mi >= 0) return { check: { name, ok: true, detail: { kind: kv, names: `materials[${mi}]`, digest: `${d.algo}:${d.value}` } }, status: "verified", loggedBy: by() };
  }
  return no(`the Rekor entry (${kv}) logs ${logged.map((d) => `${d.algo}:${d.value}`).join(", ") || "no digest"}, which is neither a subject's nor a material's digest of this statement: the proof is another entry's`);
}

/** Every material re-hashed, the inclusion proof recomputed, the checkpoint verified, the entry bound. Never throws. */
export async function verifyPromotion(p: PromotionPredicate, subjects: readonly InTotoSubject[], file: SourceFile, ctx: VerifyContext): Promise<{ checks: Check[]; transparency: PredicateLogFacts; loggedBy: LoggedBy[] }> {
  const checks: Check[] = [];
  const reader = new MaterialReader(file, ctx.files);
  p.materials.forEach((m, i) => {
    const name = "integrity.material";
    const detail = { index: i, role: m.role, uri: m.uri };
    let actual: string;
    try {
      actual = reader.hash(m.uri, ALGOS[m.algo]!.hash);
    } catch (e) {
      const err = asTollgateError(e, undefined, "unreadable");
      checks.push(failed(name, err.code, `materials[${i}] (${m.role} ${m.uri}): ${err.message}`, detail));
      return;
    }
    checks.push(actual === m.digest
      ? { name, ok: true, detail: { ...detail, digest: `${m.algo}:${actual}` } }
      : failed(name, "digest_mismatch", `materials[${i}] (${m.role} ${m.uri}) has ${m.algo} ${actual}, the statement says ${m.digest}`, { ...detail, expected: m.digest, actual }));
  });

  const rk = p.rekor;
  const proofFail = (name: string, reason: string): { checks: Check[]; transparency: PredicateLogFacts; loggedBy: LoggedBy[] } => {
    checks.push(failed(name, "transparency_failed", reason));
    return { checks, transparency: { status: "failed", reason, logIndex: Number(rk.logIndex) }, loggedBy: [] };
  };
  // Loaded on first use, as the Sigstore bundle path does (its imports cost more than a DSSE-only run).
  const cpm = await import("../../sigstore/checkpoint.ts");
  const root = fromHex(rk.rootHash);
  if (rk.logIndex < rk.proofIndex) {
    // A sharded log's global index is the shard's offset plus the tree-local one, so never below it.
    return proofFail("transparency.inclusion_proof", `rekor.logIndex ${rk.logIndex} is below the proof's tree-local index ${rk.proofIndex}: a global index is the shard's offset plus the tree-local one`);
  }
  // The sequence Sigstore bundle entries go through (checkpoint against the proof, the path from the leaf).
  let cp: import("../../sigstore/checkpoint.ts").Checkpoint;
  try {
    cp = cpm.checkInclusion({ leaf: fromHex(rk.leafHash), index: rk.proofIndex, treeSize: rk.treeSize, rootHash: root, hashes: rk.hashes.map(fromHex), checkpoint: rk.checkpoint });
  } catch (e) {
    if (e instanceof cpm.ProofError) return proofFail(`transparency.${e.step}`, e.message);
    throw e;
  }
  checks.push({ name: "transparency.inclusion_proof", ok: true, detail: { log_index: rk.logIndex.toString(), tree_size: rk.treeSize.toString(), root_hash: rk.rootHash } });

  let origin: string;
  try {
    if (rk.treeId !== null) {
      // A v1 UUID's tree id names the shard the entry is in; the checkpoint must be that shard's.
      const tree = BigInt(`0x${rk.treeId}`).toString();
      const named = cp.origin.split(" - ")[1];
      if (named !== tree) throw new cpm.ProofError(`rekor.uuid names tree ${tree}, the checkpoint is of ${named === undefined ? `"${cp.origin}"` : `tree ${named}`}`);
    }
    const { parseTrustedRoot } = await import("../../sigstore/trusted-root.ts");
    const log = await cpm.verifyCheckpoint(cp, parseTrustedRoot(ctx.trustedRoot(), "trusted root").root.tlogs);
    origin = cp.origin;
    checks.push({ name: "transparency.checkpoint", ok: true, detail: { origin, log: log.baseUrl } });
  } catch (e) {
    if (e instanceof cpm.ProofError) return proofFail("transparency.checkpoint", e.message);
    const err = asTollgateError(e);
    return proofFail("transparency.checkpoint", err.message);
  }
  const bound = bindEntry(p, subjects, cpm.leafHash);
  checks.push(bound.check);
  const transparency: PredicateLogFacts = { status: bound.status, logIndex: Number(rk.logIndex) };
  if (!bound.check.ok) transparency.reason = bound.check.reason!;
  return { checks, transparency, loggedBy: bound.loggedBy ?? [] };
}

/** Pure: the facts policies read. Material verification is merged in by the envelope layer from the checks. */
export function promotionFacts(p: PromotionPredicate): Record<string, unknown> {
  const materials = p.materials.map((m) => ({ role: m.role, algo: m.algo, digest: m.digest, format: m.format, uri: m.uri }));
  const byRole: Record<string, unknown[]> = { sbom: [], vex: [] };
  for (const m of materials) byRole[m.role]!.push(m);
  return {
    ...p.promotion,
    materials,
    materials_by_role: byRole,
    rekor: {
      uuid: p.rekor.uuid,
      tree_id: p.rekor.treeId === null ? null : BigInt(`0x${p.rekor.treeId}`).toString(),
      log_index: Number(p.rekor.logIndex),
      // The index the audit path is computed at. When Rekor gives a tree-local index beside the global one, the
      // global `log_index` is what the statement says, not something the proof shows (the shard's offset is not in
      // the proof, the checkpoint or the trusted root): `log_index_proven` is then false.
      proof_log_index: Number(p.rekor.proofIndex),
      log_index_proven: p.rekor.proofIndex === p.rekor.logIndex,
      tree_size: Number(p.rekor.treeSize),
      root_hash: p.rekor.rootHash,
      // Filled by verification from the bound entry's body (LoggedBy).
      logged_by: [],
    },
  };
}

export const promotionPredicate: PredicateHandler = {
  kind: "promotion",
  predicateTypes: [PROMOTION_V1],
  facts(predicate: unknown, _statement: InTotoStatement) {
    return promotionFacts(parsePromotion(predicate));
  },
  async verify(statement, file, ctx) {
    const p = parsePromotion(statement.predicate);
    const v = await verifyPromotion(p, statement.subject, file, ctx);
    // Each material's outcome beside it, so a policy reads facts rather than check lists.
    const byIndex = new Map(v.checks.filter((c) => c.name === "integrity.material").map((c) => [c.detail?.index as number, c]));
    const base = promotionFacts(p);
    const materials = (base.materials as Record<string, unknown>[]).map((m, i): Record<string, unknown> => {
      const c = byIndex.get(i);
      return { ...m, verified: c?.ok === true, ...(c && !c.ok ? { reason: c.reason } : {}) };
    });
    const byRole: Record<string, unknown[]> = { sbom: [], vex: [] };
    for (const m of materials) byRole[m.role as string]!.push(m);
    // v.transparency, the Rekor proof's result, becomes facts.transparency (the envelope layer keeps it apart).
    // facts.rekor.logged_by: who signed the bound entry, empty unless the binding verified (see LoggedBy).
    const rekor = { ...(base.rekor as Record<string, unknown>), logged_by: v.loggedBy };
    return { checks: v.checks, transparency: v.transparency, facts: { materials, materials_by_role: byRole, log_verified: v.transparency.status === "verified", rekor } };
  },
  materials(statement, file, all) {
    let p: PromotionPredicate;
    try {
      p = parsePromotion(statement.predicate);
    } catch {
      return [];
    }
    const reader = new MaterialReader(file, all);
    return p.materials.flatMap((m) => {
      const f = reader.given(m.uri);
      return f ? [f.path] : [];
    });
  },
};
