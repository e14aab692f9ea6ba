// Conformance probes for the interface contracts I1–I8 (seeds/003): `tollgate conform I<n> ARGS…` with the
// seed's own arguments. A probe gathers what it needs — the evidence (local files, or an oci:// image's
// attachments), the target's digest, and for some interfaces a measurement the evidence cannot carry (a release
// workflow's permissions, the previous contract version, how a policy behaves on altered evidence) — and the
// verdict, MUST by MUST, comes from Rego (policies/tollgate/conform, entrypoint tollgate/conform/result).
// Exit codes: 0 PASS, 1 FAIL, 2 could not run (a TollgateError).
import { existsSync, statSync } from "node:fs";
import { basename } from "node:path";
import { TollgateError, usage } from "../core/errors.ts";
import { validateInputDocument, type InputDocument } from "../core/input.ts";
import { readUserFile } from "../core/read.ts";
import { diffContracts } from "../evidence/contract/diff.ts";
import { parseContractFile } from "../evidence/contract/parse.ts";
import { validateContractDocument } from "../evidence/contract/validate.ts";
import { readEvidencePaths } from "../evidence/collect.ts";
import { sourceFromBytes } from "../evidence/source.ts";
import type { SourceFile } from "../evidence/types.ts";
import { loadPolicy, prepareEvidenceFiles, readOciOperands, type EvidenceOptions } from "../gate/run.ts";
import { evaluateDecision } from "../policy/gate.ts";
import { GATE_ENTRYPOINT } from "../policy/default-bundle.ts";
import { analyzeWorkflow } from "./workflow.ts";

export const CONFORM_ENTRYPOINT = "tollgate/conform/result";

/** The interfaces, their names and the seed's probe arguments. */
export const INTERFACES = {
  I1: { name: "Attestation-Production", boundary: "a build emits signed SLSA provenance + in-toto statements for its output", probe: "conformance/verify-attestation-production.sh", args: ["artifact-or-image@digest"] },
  I2: { name: "Promotion-Verification", boundary: "a promotion step verifies attestations before advancing an artifact", probe: "conformance/verify-promotion.sh", args: ["image@digest", "expected-owner", "predicate-type"] },
  I3: { name: "Release-Attestation", boundary: "a release/publish step produces provenance per artifact class", probe: "conformance/verify-release-attestation.sh", args: ["artifact-ref"] },
  I4: { name: "Policy-Gate", boundary: "an admission/pre-flight gate requires a verifiable attestation matching policy", probe: "conformance/verify-policy-gate.sh", args: ["image@digest", "policy-file"] },
  I5: { name: "Quality-Event", boundary: "a quality/data signal is emitted as a versioned data contract event", probe: "conformance/verify-quality-event.sh", args: ["event.json", "contract.yaml"] },
  I6: { name: "Log-Contract", boundary: "a service emits logs carrying build-identity resource attributes", probe: "conformance/verify-log-contract.sh", args: ["log-record.json"] },
  I7: { name: "Polyglot-Attestation", boundary: "a non-OCI / language-native artifact carries signing + provenance", probe: "conformance/verify-polyglot.sh", args: ["artifact-path", "class"] },
  I8: { name: "DAST-Evidence", boundary: "a dynamic security scan produces a verifiable attestation gating release", probe: "conformance/verify-dast-evidence.sh", args: ["image@digest", "predicate-type"] },
} as const;

export type InterfaceId = keyof typeof INTERFACES;
export const INTERFACE_IDS = Object.keys(INTERFACES) as InterfaceId[];

export interface MustResult {
  id: string;
  must: string;
  ok: boolean;
  reason: string;
}

export interface ProbeResult {
  interface: InterfaceId;
  name: string;
  target: string;
  verdict: "PASS" | "FAIL";
  musts: MustResult[];
}

export interface ProbeOptions extends Omit<EvidenceOptions, "subject" | "artifactBytes" | "subjectName"> {
  /** `--evidence PATH` (repeatable): local files standing in for what a registry would serve. */
  evidence?: readonly string[];
  /** `--data FILE` overlays for the gate the probes consult. */
  dataFiles?: readonly string[];
  /** I3: the release workflow (`--workflow FILE`). */
  workflow?: string;
  /** I5: the contract's previous version (`--previous-contract FILE`). */
  previousContract?: string;
}

export function isInterfaceId(s: string): s is InterfaceId {
  return s in INTERFACES;
}

interface Target {
  ref: string;
  by_digest: boolean;
  registry: boolean;
  subject?: string;
  artifactBytes?: Uint8Array;
  name?: string;
  files: SourceFile[];
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A registry reference: oci://…, or HOST/REPO@sha256:… that is not a local file. */
function registryRef(ref: string): string | undefined {
  if (ref.startsWith("oci://")) return ref;
  if (!existsSync(ref) && /^[^/\s]+\/[^\s]+@sha256:[0-9a-f]{64}$/.test(ref)) return `oci://${ref}`;
  return undefined;
}

/** The probe's target: a local artifact file, a bare sha256 digest, or a registry image by digest. */
async function resolveTarget(ref: string, o: ProbeOptions): Promise<Target> {
  const oci = registryRef(ref);
  if (oci) {
    if (!/@sha256:[0-9a-f]{64}$/.test(oci)) return { ref, by_digest: false, registry: true, files: [] };
    const r = await readOciOperands([oci], { registry: o.registry ?? {} });
    if (r.errors.length) throw new TollgateError("unreadable", `${ref}: ${r.errors.map((e) => e.message).join("; ")}`);
    return { ref, by_digest: true, registry: true, subject: r.subject, name: r.name, files: r.files };
  }
  if (DIGEST.test(ref)) return { ref, by_digest: true, registry: false, subject: ref, files: [] };
  if (existsSync(ref)) {
    if (statSync(ref).isDirectory()) throw usage(`${ref} is a directory: the target is an artifact file, a sha256:HEX digest or an image@sha256 reference`);
    return { ref, by_digest: true, registry: false, artifactBytes: await readUserFile(ref, "artifact"), name: basename(ref), files: [] };
  }
  // A tag reference, or anything else that names no content: the MUSTs say why it does not conform.
  if (/^[^/\s]+\/[^\s]+(:[\w.-]+)?$/.test(ref) && !ref.includes("@")) return { ref, by_digest: false, registry: true, files: [] };
  throw new TollgateError("not_found", `${ref} is neither a file, a sha256:HEX digest nor an image reference`);
}

async function readEvidence(paths: readonly string[], extra: SourceFile[] = []) {
  const { files, errors } = paths.length ? await readEvidencePaths(paths) : { files: [] as SourceFile[], errors: [] };
  return { files: [...extra, ...files], errors };
}

async function prepare(o: ProbeOptions, target: Target | undefined, files: SourceFile[], errors: Awaited<ReturnType<typeof readEvidence>>["errors"]): Promise<InputDocument> {
  const opts: EvidenceOptions = {
    ...o,
    ...(target?.subject ? { subject: target.subject } : {}),
    ...(target?.artifactBytes ? { artifactBytes: target.artifactBytes } : {}),
    ...(target?.name ? { subjectName: target.name } : {}),
  };
  return (await prepareEvidenceFiles(files, errors, opts)).input;
}

function withParams(input: InputDocument, conform: Record<string, unknown>): InputDocument {
  const doc: InputDocument = { ...input, context: { ...input.context, params: { ...(input.context.params ?? {}), conform } } };
  validateInputDocument(doc);
  return doc;
}

const targetParams = (t: Target) => ({ ref: t.ref, by_digest: t.by_digest, registry: t.registry });

/** Run one probe. Throws TollgateError when it cannot run (bad arguments, unreadable files, registry errors). */
export async function runProbe(id: InterfaceId, args: readonly string[], o: ProbeOptions): Promise<ProbeResult> {
  const spec = INTERFACES[id];
  if (args.length !== spec.args.length) {
    throw usage(`conform ${id} takes ${spec.args.map((a) => `<${a}>`).join(" ")} (got ${args.length} argument${args.length === 1 ? "" : "s"})`);
  }
  const evidence = o.evidence ?? [];
  let input: InputDocument;
  let params: Record<string, unknown> = { interface: id };
  switch (id) {
    case "I1":
    case "I3":
    case "I8":
    case "I2":
    case "I7": {
      const t = await resolveTarget(args[0]!, o);
      const { files, errors } = await readEvidence(evidence, t.files);
      input = await prepare(o, t, files, errors);
      params.target = targetParams(t);
      if (id === "I2") params = { ...params, owner: args[1], predicate_type: args[2] };
      if (id === "I8") params.predicate_type = args[1];
      if (id === "I7") params.class = args[1]!.toLowerCase();
      if (id === "I3") params.workflow = o.workflow ? await analyzeWorkflow(o.workflow) : { given: false };
      break;
    }
    case "I4": {
      const t = await resolveTarget(args[0]!, o);
      const { files, errors } = await readEvidence(evidence, t.files);
      input = await prepare(o, t, files, errors);
      params.target = targetParams(t);
      params.policy_gate = await measurePolicy(args[1]!, input, o);
      break;
    }
    case "I5": {
      const [eventPath, contractPath] = args as [string, string];
      const event = sourceFromBytes(eventPath, await readUserFile(eventPath, "event"));
      const contractFile = sourceFromBytes(contractPath, await readUserFile(contractPath, "contract"), false);
      input = await prepare(o, undefined, [event, contractFile], []);
      params.quality = await measureQuality(contractFile, input, o.previousContract);
      break;
    }
    case "I6": {
      const { files, errors } = await readEvidence([args[0]!]);
      input = await prepare(o, undefined, files, errors);
      params.workflow = o.workflow ? await analyzeWorkflow(o.workflow) : { given: false };
      break;
    }
  }
  const doc = withParams(input, params);
  const policy = await loadPolicy({ dataFiles: o.dataFiles ?? [] });
  const raw = (await policy.engine).evaluate(CONFORM_ENTRYPOINT, doc) as { pass?: unknown; musts?: unknown } | undefined;
  if (!raw || typeof raw.pass !== "boolean" || !Array.isArray(raw.musts)) {
    throw new TollgateError("policy_invalid", `${CONFORM_ENTRYPOINT} did not return {pass, musts} for ${id}`);
  }
  return { interface: id, name: spec.name, target: args.join(" "), verdict: raw.pass ? "PASS" : "FAIL", musts: raw.musts as MustResult[] };
}

// ---- I4: how the recipient's policy behaves ----------------------------------------------------------------

/** A bundle (gzip or wasm bytes) or a data file for the embedded gate, by content. */
function isBundle(bytes: Uint8Array): boolean {
  return (bytes[0] === 0x1f && bytes[1] === 0x8b) || (bytes[0] === 0x00 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d);
}

const UNTRUSTED = "sha256:" + "0".repeat(64);

/**
 * Evaluate the recipient's policy on the conformant evidence and on three variants: no evidence, every signer
 * replaced by an untrusted key, every predicate type replaced. A policy that pins type and signer denies both.
 */
async function measurePolicy(policyFile: string, input: InputDocument, o: ProbeOptions): Promise<Record<string, unknown>> {
  const bytes = await readUserFile(policyFile, "policy");
  const bundle = isBundle(bytes);
  // The probe measures the policy; whether it is signed is reported, not required to run it.
  const policy = await loadPolicy(bundle ? { policy: policyFile, dataFiles: o.dataFiles ?? [] } : { dataFiles: [...(o.dataFiles ?? []), policyFile] });
  const engine = await policy.engine;
  const decide = (doc: InputDocument) => evaluateDecision(engine, GATE_ENTRYPOINT, doc);
  const conformant = decide(input);
  const variant = (f: (ev: InputDocument["evidence"][number]) => InputDocument["evidence"][number]) => ({ ...input, evidence: input.evidence.map(f) });
  const otherSigner = variant((ev) => ({ ...ev, signature: { ...ev.signature, signers: ev.signature.signers.map(() => ({ type: "key", keyid: "", fingerprint: UNTRUSTED })) } }));
  otherSigner.context = { ...otherSigner.context, trust: { keys: [], identities: [] } };
  const otherType = variant((ev) => (ev.statement ? { ...ev, statement: { ...ev.statement, predicateType: "https://tollgate.invalid/conformance/other-predicate/v1" } } : ev));
  return {
    policy: policyFile,
    admits: conformant.allow,
    deny: conformant.deny.map((d) => `${d.rule}: ${d.msg}`),
    denies_without_evidence: !decide({ ...input, evidence: [] }).allow,
    denies_other_signer: !decide(otherSigner).allow,
    denies_other_predicate: !decide(otherType).allow,
    revision: engine.revision ?? "",
    signed: engine.bundle.files.has(".signatures.json"),
  };
}

// ---- I5: the contract, its previous version ----------------------------------------------------------------

async function measureQuality(contractFile: SourceFile, input: InputDocument, previous?: string): Promise<Record<string, unknown>> {
  const contract = parseContractFile(contractFile);
  const doc = validateContractDocument(contract);
  const out: Record<string, unknown> = {
    contract_path: contract.path,
    contract_standard: contract.standard === "odcs" ? `ODCS ${contract.apiVersion}` : `Data Contract Specification ${contract.apiVersion}`,
    contract_version: contract.version,
    contract_valid: doc.ok,
    ...(doc.ok ? {} : { contract_problem: `not valid against ${doc.schema ?? "its standard's schema"}: ${doc.errors.slice(0, 3).join("; ")}` }),
    event_problem: input.errors.length ? input.errors.map((e) => `${e.source}: ${e.message}`).join("; ") : null,
    previous_given: previous !== undefined,
  };
  if (previous !== undefined) {
    const prev = parseContractFile(sourceFromBytes(previous, await readUserFile(previous, "previous contract"), false));
    const diff = diffContracts(prev, contract);
    out.previous_path = previous;
    out.breaking = diff.changes.filter((c) => c.breaking).map((c) => c.message);
  }
  return out;
}
