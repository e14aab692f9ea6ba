// The VSA writer: a gate decision as a DSSE-signed SLSA Verification Summary Attestation
// (https://slsa.dev/verification_summary/v1), beside the reporters because it renders the same GateReport.
// It carries every field slsa-verifier's verify-vsa matches (subject digests, verifier.id, resourceUri,
// verificationResult, verifiedLevels) and the spec requires (timeVerified, policy.uri), in the envelope form
// `cosign verify-blob-attestation --type https://slsa.dev/verification_summary/v1` reads.
import { renameSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import type { KeyObject } from "node:crypto";
import pkg from "../../package.json" with { type: "json" };
import { TollgateError } from "../core/errors.ts";
import { signDsseEnvelope } from "../crypto/dsse.ts";
import { IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_V1 } from "../evidence/predicate.ts";
import { VSA_V1 } from "../evidence/vsa.ts";
import type { GateReport } from "./types.ts";

export interface VsaOptions {
  /** verifier.id: who verified (the identity consumers pin, e.g. slsa-verifier --verifier-id). */
  verifierId: string;
  /** resourceUri: the resource the artifact was verified as (e.g. oci://registry/app, pkg:npm/x@1). */
  resourceUri: string;
}

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

/** Checked before anything is evaluated: a VSA with a non-URI verifier or resource is refused up front. */
export function checkVsaOptions(o: VsaOptions): void {
  if (!URI.test(o.verifierId)) throw new TollgateError("usage", `--verifier-id must be a URI (got ${JSON.stringify(o.verifierId)})`);
  if (!URI.test(o.resourceUri)) throw new TollgateError("usage", `--resource-uri must be a URI (got ${JSON.stringify(o.resourceUri)})`);
}

/** Pure: the in-toto Statement v1 of the decision. */
export function vsaStatement(rep: GateReport, o: VsaOptions): Record<string, unknown> {
  const subject = rep.input.context.subject;
  if (!subject || !Object.keys(subject.digest).length) {
    throw new TollgateError("usage", "--emit-vsa needs the artifact's digest (--artifact FILE or --subject): a VSA's subject is the artifact");
  }
  const allow = rep.decision.allow;
  // FAILED on deny whatever the policy said; the policy's levels otherwise (L0 when it names none).
  const levels = allow ? (rep.decision.verified_levels?.filter((l) => l !== "FAILED") ?? []) : ["FAILED"];
  const seen = new Set<string>();
  const inputs: { uri: string; digest: Record<string, string> }[] = [];
  for (const ev of rep.input.evidence) {
    const key = JSON.stringify(ev.source.digest);
    if (seen.has(key)) continue; // several records from one file are one attestation
    seen.add(key);
    inputs.push({ uri: ev.source.path, digest: { ...ev.source.digest } });
  }
  const policyUri = /^[a-z][a-z0-9+.-]*:/i.test(rep.bundle.source) ? rep.bundle.source : `file:${rep.bundle.source}`;
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [subject.name !== undefined ? { name: subject.name, digest: { ...subject.digest } } : { digest: { ...subject.digest } }],
    predicateType: VSA_V1,
    predicate: {
      verifier: { id: o.verifierId, version: { tollgate: pkg.version } },
      timeVerified: rep.input.context.time,
      resourceUri: o.resourceUri,
      policy: { uri: policyUri, digest: { sha256: rep.bundle.sha256 }, annotations: { revision: rep.bundle.revision, entrypoint: rep.entrypoint } },
      inputAttestations: inputs,
      verificationResult: allow ? "PASSED" : "FAILED",
      verifiedLevels: levels.length ? levels : ["SLSA_BUILD_LEVEL_0"],
      slsaVersion: "1.0",
    },
  };
}

/** The DSSE envelope (JSON text) of the decision's VSA, signed with `key`. */
export function renderVsa(rep: GateReport, o: VsaOptions, key: KeyObject): string {
  const payload = new TextEncoder().encode(JSON.stringify(vsaStatement(rep, o)));
  return JSON.stringify(signDsseEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, key)) + "\n";
}

/** Write `text` to `file` whole or not at all (a temporary file beside it, then a rename). */
export function writeFileAtomic(file: string, text: string, what: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { flag: "wx" });
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* never created */
    }
    throw new TollgateError("unreadable", `cannot write the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
  }
}
