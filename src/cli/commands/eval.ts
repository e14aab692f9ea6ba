// tollgate eval: the pre-flight gate. Exit 0 admit, 1 deny, 2 could not evaluate.
import { defineCommand } from "citty";
import { EXIT_ADMIT, EXIT_DENY } from "../../core/errors.ts";
import { decide, loadPolicy, makeBundleVerifier, prepareEvidence } from "../../gate/run.ts";
import { OUTPUT_FORMATS, reporters } from "../../report/index.ts";
import { bool, helpArgs, list, oneOf, parseStrict, runCommand, str, type FlagSpecs, type Parsed } from "../args.ts";
import { usage } from "../../core/errors.ts";
import { readUserFile } from "../../core/read.ts";
import { privateKeyFromPem } from "../../crypto/keys.ts";
import type { GateReport } from "../../report/types.ts";
import { bundleTrust, bundleTrustFlags, evidenceOptions, requirePaths, registryFlags, registryOptions, subjectFlags, trustFlags, inputLimitFlags } from "../common.ts";

const flags: FlagSpecs = {
  policy: { type: "string", short: "p", description: "OPA bundle (.tar.gz), policy.wasm or oci://HOST/REPO:TAG (default: the embedded gate bundle)", valueHint: "BUNDLE" },
  data: { type: "string", short: "d", multiple: true, description: "data overlay (JSON or YAML), merged at the root of data", valueHint: "FILE" },
  entrypoint: { type: "string", short: "e", description: "entrypoint returning {allow, deny, warn}", default: "tollgate/gate/decision" },
  output: { type: "string", short: "o", description: `output format: ${OUTPUT_FORMATS.join("|")}`, default: "text" },
  "fail-on-warn": { type: "boolean", description: "exit 1 when there are warnings (as conftest does)" },
  "emit-vsa": { type: "string", description: "also write the decision as a DSSE-signed SLSA VSA (PASSED on admit, FAILED on deny)", valueHint: "FILE" },
  "vsa-signing-key": { type: "string", description: "PEM private key (unencrypted PKCS#8, EC or RSA) that signs the VSA", valueHint: "PEM" },
  "verifier-id": { type: "string", description: "the VSA's verifier.id (a URI consumers pin)", valueHint: "URI" },
  "resource-uri": { type: "string", description: "the VSA's resourceUri (the resource verified, e.g. oci://HOST/REPO)", valueHint: "URI" },
  ...bundleTrustFlags,
  ...trustFlags,
  ...inputLimitFlags,
  ...subjectFlags,
  ...registryFlags,
};

export default defineCommand({
  meta: { name: "eval", description: "Verify evidence and evaluate the gate policy: exit 0 admit, 1 deny, 2 could not evaluate" },
  args: helpArgs(flags, { name: "PATH", description: "evidence files or directories (- for stdin), or oci://HOST/REPO@sha256:HEX images", required: true }),
  run: ({ rawArgs }) =>
    runCommand("eval", async () => {
      const p = parseStrict(rawArgs, flags);
      const format = oneOf(str(p, "output"), OUTPUT_FORMATS, "output");
      const paths = requirePaths(p);
      const vsa = await vsaFlags(p);
      const verifyBundle = await makeBundleVerifier(bundleTrust(p));
      const policy = await loadPolicy({ policy: str(p, "policy"), dataFiles: list(p, "data"), verifyBundle, registry: registryOptions(p) });
      // Evidence is read and verified while the policy's WASM compiles.
      const prepared = await prepareEvidence(paths, await evidenceOptions(p, policy.data));
      const report = decide(await policy.engine, prepared, str(p, "entrypoint"));
      // Render fully before writing: nothing half-written on failure.
      const out = reporters[format]!.render(report);
      if (vsa) vsa.write(report);
      process.stdout.write(out);
      const failed = !report.decision.allow || (bool(p, "fail-on-warn") && report.decision.warn.length > 0);
      return failed ? EXIT_DENY : EXIT_ADMIT;
    }),
});

/** --emit-vsa and its three companions: all or none, the key loaded and checked before anything is evaluated. */
async function vsaFlags(p: Parsed): Promise<{ write: (report: GateReport) => void } | undefined> {
  const file = str(p, "emit-vsa");
  const keyFile = str(p, "vsa-signing-key");
  const verifierId = str(p, "verifier-id");
  const resourceUri = str(p, "resource-uri");
  if (file === undefined) {
    const stray = (["vsa-signing-key", "verifier-id", "resource-uri"] as const).find((f) => str(p, f) !== undefined);
    if (stray) throw usage(`--${stray} is only used with --emit-vsa FILE`);
    return undefined;
  }
  const missing = (["vsa-signing-key", "verifier-id", "resource-uri"] as const).filter((f) => str(p, f) === undefined);
  if (missing.length) throw usage(`--emit-vsa needs ${missing.map((f) => `--${f}`).join(", ")}`);
  const { checkVsaOptions, renderVsa, writeFileAtomic } = await import("../../report/vsa.ts");
  const opts = { verifierId: verifierId!, resourceUri: resourceUri! };
  checkVsaOptions(opts);
  const key = privateKeyFromPem(new TextDecoder().decode(await readUserFile(keyFile!, "VSA signing key")), keyFile!);
  // Rendered (and the subject checked) before the file is touched; written whole or not at all.
  return { write: (report) => writeFileAtomic(file, renderVsa(report, opts, key), "VSA") };
}
