// Turning hardware checks into the input document's shape: the HardwareFacts block (types.ts) and a whole
// `tee-report` EvidenceRecord. Shared by every TEE platform so policies see one shape.
import type { ErrorCode } from "../../../core/errors.ts";
import type { Check, EvidenceRecord, HardwareFacts, Signer, SourceFile } from "../../types.ts";

export type TeePlatform = HardwareFacts["platform"];

export interface Outcome {
  ok: boolean;
  reason?: string;
  code?: ErrorCode;
}

/** All checks passed, or the first failure (its code and reason): the verdict a summary reports. */
export function outcome(checks: readonly Check[]): Outcome {
  if (checks.length === 0) return { ok: false, reason: "no verification step ran", code: "hardware_failed" };
  const bad = checks.find((c) => !c.ok);
  if (!bad) return { ok: true };
  return { ok: false, reason: `${bad.name}: ${bad.reason ?? "failed"}`, code: bad.code ?? "hardware_failed" };
}

/** A check record; `detail` only when there is something to add. */
export function check(name: string, ok: boolean, code?: ErrorCode, reason?: string, detail?: Record<string, unknown>): Check {
  const c: Check = { name, ok };
  if (!ok) {
    c.code = code ?? "hardware_failed";
    c.reason = reason ?? `${name} failed`;
  }
  if (detail && Object.keys(detail).length > 0) c.detail = detail;
  return c;
}

export interface HardwareFields {
  measurement?: string;
  reportData?: string;
  tcb?: Record<string, unknown>;
  root?: string;
  [k: string]: unknown;
}

/** HardwareFacts: status is verified only when every `hardware.*` check passed. */
export function buildHardwareFacts(platform: TeePlatform, checks: readonly Check[], fields: HardwareFields): HardwareFacts {
  const hw = checks.filter((c) => c.name.startsWith("hardware."));
  const o = outcome(hw);
  const facts: HardwareFacts = { platform, status: o.ok ? "verified" : "failed", ...fields };
  if (!o.ok) facts.reason = o.reason;
  return facts;
}

/** The hardware signer a verified report stands for (the one lib.rego trusts when hardware verified). */
export function hardwareSigner(hw: HardwareFacts): Signer {
  return { type: "hardware", platform: hw.platform, measurement: hw.measurement ?? "", root: hw.root ?? "" };
}

export interface TeeRecordInput {
  file: SourceFile;
  format: string;
  checks: Check[];
  hardware: HardwareFacts;
  facts: Record<string, unknown>;
  materials?: { path: string; digest: { sha256: string } }[];
}

/** One `tee-report` record: signature/integrity summarize the hardware checks; facts carry the platform's fields. */
export function teeRecord(r: TeeRecordInput): EvidenceRecord {
  const o = outcome(r.checks);
  const verified = o.ok && r.hardware.status === "verified";
  const source: EvidenceRecord["source"] = { path: r.file.path, digest: { sha256: r.file.sha256 }, format: r.format };
  if (r.materials && r.materials.length > 0) source.materials = r.materials;
  return {
    id: `tee-report:sha256:${r.file.sha256}`,
    kind: "tee-report",
    source,
    signature: verified
      ? { status: "verified", signers: [hardwareSigner(r.hardware)] }
      : { status: "failed", reason: o.reason ?? r.hardware.reason ?? "hardware evidence did not verify", code: o.code ?? "hardware_failed", signers: [] },
    transparency: { status: "absent" },
    integrity: verified ? { status: "verified" } : { status: "failed", reason: o.reason ?? "hardware evidence did not verify" },
    hardware: r.hardware,
    checks: r.checks,
    facts: r.facts,
  };
}
