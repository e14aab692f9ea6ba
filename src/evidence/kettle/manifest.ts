// Kettle's manifest.json (lunal-dev/kettle: the input commitment written beside the build, read back by its
// verifier as a "verification manifest"): { git_commit, git_tree, lockfile_hash (older: cargo_lock_hash),
// input_merkle_root, git_binary_hash, toolchain: {rustc_hash, cargo_hash}, dependencies: [{name, digest, uri}],
// binary_artifacts: [{name, hash}] }. Every value it names must be the one the provenance records (and, for
// artifacts, the bytes under artifacts/ when present): a manifest that disagrees with the build it sits beside
// is a failed check, and so is one naming a value the provenance does not record at all.
import type { InTotoStatement } from "../predicate.ts";
import type { Check, SourceFile } from "../types.ts";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const at = (v: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), v);
const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : undefined);

export interface ManifestFacts {
  path: string;
  sha256: string;
  /** The manifest fields compared with the provenance. */
  checked: string[];
}

/** The manifest.json beside evidence.json, when there is one. */
export function manifestFile(dir: string, all: readonly SourceFile[], sep: string): SourceFile | undefined {
  return all.find((f) => f.path === `${dir}${sep}manifest.json`);
}

/**
 * Compare the manifest with the provenance statement and the artifacts (name → sha256) found under artifacts/.
 * Returns the `integrity.manifest` check and the facts of what was compared.
 */
export function checkKettleManifest(file: SourceFile, statement: InTotoStatement, artifacts: readonly { name: string; sha256: string }[]): { check: Check; facts: ManifestFacts } {
  const facts: ManifestFacts = { path: file.path, sha256: file.sha256, checked: [] };
  const fail = (reason: string, code: Check["code"] = "subject_mismatch"): { check: Check; facts: ManifestFacts } =>
    ({ check: { name: "integrity.manifest", ok: false, code, reason: `${file.path}: ${reason}` }, facts });
  const doc = file.json();
  if (!isObject(doc)) return fail(file.text() === undefined ? "not UTF-8 text" : "not a JSON object", "malformed");

  const p = statement.predicate;
  const byproduct = (name: string) => {
    const list = at(p, "runDetails", "byproducts");
    return Array.isArray(list) ? lower(at(list.find((b) => at(b, "name") === name), "digest", "sha256")) : undefined;
  };
  // Manifest field → what the provenance records for it (Kettle's SLSA mapping, provenance/slsa.py).
  const pairs: [string, unknown, string | undefined, string][] = [
    ["git_commit", doc.git_commit, lower(at(p, "buildDefinition", "externalParameters", "source", "digest", "gitCommit")), "externalParameters.source.digest.gitCommit"],
    ["git_tree", doc.git_tree, lower(at(p, "buildDefinition", "externalParameters", "source", "digest", "gitTree")), "externalParameters.source.digest.gitTree"],
    ["lockfile_hash", doc.lockfile_hash ?? doc.cargo_lock_hash, lower(at(p, "buildDefinition", "internalParameters", "lockfileHash", "sha256")), "internalParameters.lockfileHash.sha256"],
    ["input_merkle_root", doc.input_merkle_root, byproduct("input_merkle_root"), "runDetails.byproducts input_merkle_root"],
    ["git_binary_hash", doc.git_binary_hash, byproduct("git_binary_hash"), "runDetails.byproducts git_binary_hash"],
    ["toolchain.rustc_hash", at(doc, "toolchain", "rustc_hash"), lower(at(p, "buildDefinition", "internalParameters", "toolchain", "rustc", "digest", "sha256")), "internalParameters.toolchain.rustc.digest.sha256"],
    ["toolchain.cargo_hash", at(doc, "toolchain", "cargo_hash"), lower(at(p, "buildDefinition", "internalParameters", "toolchain", "cargo", "digest", "sha256")), "internalParameters.toolchain.cargo.digest.sha256"],
  ];
  const problems: string[] = [];
  for (const [field, want, got, where] of pairs) {
    if (want === undefined || want === null) continue;
    facts.checked.push(field);
    if (typeof want !== "string") problems.push(`${field} is not a string`);
    else if (got === undefined) problems.push(`${field} ${want} is not recorded in the provenance (${where})`);
    else if (want.toLowerCase() !== got) problems.push(`${field} ${want} is not the provenance's ${got} (${where})`);
  }

  if (doc.dependencies !== undefined) {
    facts.checked.push("dependencies");
    const resolved = at(p, "buildDefinition", "resolvedDependencies");
    const deps = Array.isArray(resolved) ? resolved : [];
    if (!Array.isArray(doc.dependencies)) problems.push("dependencies is not an array");
    else {
      for (const d of doc.dependencies) {
        const uri = at(d, "uri");
        const digest = lower(at(d, "digest"));
        const found = deps.find((r) => at(r, "uri") === uri);
        if (typeof uri !== "string" || digest === undefined) problems.push(`dependency ${JSON.stringify(at(d, "name") ?? d)} needs a uri and a digest`);
        else if (!found) problems.push(`dependency ${uri} is not among the provenance's resolvedDependencies`);
        else if (lower(at(found, "digest", "sha256")) !== digest) problems.push(`dependency ${uri} digest ${digest} is not the provenance's ${lower(at(found, "digest", "sha256")) ?? "(no sha256)"}`);
      }
    }
  }

  if (doc.binary_artifacts !== undefined) {
    facts.checked.push("binary_artifacts");
    if (!Array.isArray(doc.binary_artifacts)) problems.push("binary_artifacts is not an array");
    else {
      for (const a of doc.binary_artifacts) {
        const name = at(a, "name");
        const hash = lower(at(a, "hash"));
        if (typeof name !== "string" || hash === undefined) {
          problems.push(`binary artifact ${JSON.stringify(a)} needs a name and a hash`);
          continue;
        }
        const subjects = statement.subject.filter((s) => s.name === name || s.name?.split("/").pop() === name);
        if (subjects.length === 0) problems.push(`binary artifact ${name} is not a subject of the provenance`);
        else if (!subjects.some((s) => lower(s.digest.sha256) === hash)) problems.push(`binary artifact ${name} hash ${hash} is not its subject digest ${subjects.map((s) => s.digest.sha256 ?? "(no sha256)").join(", ")}`);
        const files = artifacts.filter((f) => f.name === name || f.name.split("/").pop() === name);
        if (files.length > 0 && !files.some((f) => f.sha256 === hash)) problems.push(`binary artifact ${name} hash ${hash} is not artifacts/${files[0]!.name}'s sha256 ${files[0]!.sha256}`);
      }
    }
  }

  if (facts.checked.length === 0) return fail("names none of git_commit, lockfile_hash, input_merkle_root, toolchain, dependencies, binary_artifacts", "schema_invalid");
  if (problems.length) return fail(problems.join("; "));
  return { check: { name: "integrity.manifest", ok: true, detail: { manifest: file.path, checked: facts.checked } }, facts };
}
