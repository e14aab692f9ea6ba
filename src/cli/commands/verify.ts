// tollgate verify: crypto and integrity only, no policy — every check of every piece of evidence.
// Exit 0 when everything verifiable verified, 1 when any check failed or a file could not be read, 2 on usage
// or when nothing at all was recognized as evidence.
import { defineCommand } from "citty";
import { EXIT_ADMIT, EXIT_DENY, TollgateError } from "../../core/errors.ts";
import { stableStringify } from "../../core/input.ts";
import { loadDataOverlays, prepareEvidence, type PreparedEvidence } from "../../gate/run.ts";
import type { EvidenceRecord } from "../../evidence/types.ts";
import { helpArgs, list, oneOf, parseStrict, runCommand, str, type FlagSpecs } from "../args.ts";
import { evidenceOptions, requirePaths, registryFlags, subjectFlags, trustFlags, inputLimitFlags } from "../common.ts";

const flags: FlagSpecs = {
  output: { type: "string", short: "o", description: "output format: text|json", default: "text" },
  data: { type: "string", short: "d", multiple: true, description: "parameters for verification (expected digests, pinned values), JSON or YAML", valueHint: "FILE" },
  ...trustFlags,
  ...inputLimitFlags,
  ...subjectFlags,
  ...registryFlags,
};

export function verificationFailed(prepared: PreparedEvidence): boolean {
  return prepared.input.errors.length > 0 || prepared.input.evidence.some((e) => e.checks.some((c) => !c.ok));
}

function signerLine(e: EvidenceRecord): string[] {
  return e.signature.signers.map((s) =>
    s.type === "key" ? `signer: key ${s.fingerprint}${s.keyid ? ` (keyid ${s.keyid})` : ""}`
      : s.type === "keyless" ? `signer: ${s.identity} (issuer ${s.issuer})`
      : `signer: ${s.platform} hardware, measurement ${s.measurement}, root ${s.root}`,
  );
}

export function renderVerifyText(prepared: PreparedEvidence): string {
  const out: string[] = [];
  let passed = 0;
  let failed = 0;
  for (const e of prepared.input.evidence) {
    out.push(`${e.source.path}  ${e.kind}  (${e.source.format})  signature ${e.signature.status}, transparency ${e.transparency.status}, integrity ${e.integrity.status}${e.hardware ? `, hardware ${e.hardware.status}` : ""}`);
    for (const c of e.checks) {
      if (c.ok) passed++;
      else failed++;
      // A check that passed without checking anything (no collateral, no artifacts) says so.
      const unchecked = c.ok && c.detail?.["status"] === "unchecked" ? ` (unchecked: ${String(c.detail["why"] ?? "")})` : "";
      out.push(c.ok ? `  ok    ${c.name}${unchecked}` : `  FAIL  ${c.name}: ${c.reason} [${c.code}]`);
    }
    for (const l of signerLine(e)) out.push(`  ${l}`);
  }
  for (const err of prepared.input.errors) out.push(`ERROR ${err.source}: ${err.message} [${err.code}]`);
  for (const s of prepared.collected.skipped) out.push(`SKIP  ${s}: not evidence tollgate recognizes`);
  const ok = !verificationFailed(prepared);
  out.push(`${ok ? "VERIFIED" : "FAILED"}: ${prepared.input.evidence.length} evidence, ${passed} checks passed, ${failed} failed, ${prepared.input.errors.length} error(s)`);
  return out.join("\n") + "\n";
}

export default defineCommand({
  meta: { name: "verify", description: "Verify signatures, transparency logs, hash chains and hardware reports; no policy" },
  args: helpArgs(flags, { name: "PATH", description: "evidence files or directories (- for stdin), or oci://HOST/REPO@sha256:HEX images", required: true }),
  run: ({ rawArgs }) =>
    runCommand("verify", async () => {
      const p = parseStrict(rawArgs, flags);
      const format = oneOf(str(p, "output"), ["text", "json"] as const, "output");
      const paths = requirePaths(p);
      const { merged } = await loadDataOverlays(list(p, "data"));
      const prepared = await prepareEvidence(paths, await evidenceOptions(p, merged));
      // Zero evidence and zero errors would read as a pass: nothing was verified, so it could not evaluate.
      if (prepared.input.evidence.length === 0 && prepared.input.errors.length === 0) {
        const skipped = prepared.collected.skipped.length;
        throw new TollgateError("unknown_kind", `nothing verified: no evidence tollgate recognizes in ${paths.join(", ")} (${skipped} file(s) skipped)`);
      }
      const out = format === "json"
        ? stableStringify({
            verified: !verificationFailed(prepared),
            evidence: prepared.input.evidence.map((e) => ({
              id: e.id, kind: e.kind, source: e.source, signature: e.signature, transparency: e.transparency,
              integrity: e.integrity, ...(e.hardware ? { hardware: e.hardware } : {}), checks: e.checks,
            })),
            errors: prepared.input.errors,
            skipped: prepared.collected.skipped,
          }, 2) + "\n"
        : renderVerifyText(prepared);
      process.stdout.write(out);
      return verificationFailed(prepared) ? EXIT_DENY : EXIT_ADMIT;
    }),
});
