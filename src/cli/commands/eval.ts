// tollgate eval: the pre-flight gate. Exit 0 admit, 1 deny, 2 could not evaluate.
import { defineCommand } from "citty";
import { EXIT_ADMIT, EXIT_DENY } from "../../core/errors.ts";
import { decide, loadPolicy, makeBundleVerifier, prepareEvidence } from "../../gate/run.ts";
import { OUTPUT_FORMATS, reporters } from "../../report/index.ts";
import { bool, helpArgs, list, oneOf, parseStrict, runCommand, str, type FlagSpecs } from "../args.ts";
import { vsaFlags, vsaFlagSpecs } from "../vsa.ts";
import { bundleTrust, bundleTrustFlags, evidenceOptions, requirePaths, registryFlags, registryOptions, subjectFlags, trustFlags, inputLimitFlags } from "../common.ts";

const flags: FlagSpecs = {
  policy: { type: "string", short: "p", description: "OPA bundle (.tar.gz), policy.wasm or oci://HOST/REPO:TAG (default: the embedded gate bundle)", valueHint: "BUNDLE" },
  data: { type: "string", short: "d", multiple: true, description: "data overlay (JSON or YAML), merged at the root of data", valueHint: "FILE" },
  entrypoint: { type: "string", short: "e", description: "entrypoint returning {allow, deny, warn}", default: "tollgate/gate/decision" },
  output: { type: "string", short: "o", description: `output format: ${OUTPUT_FORMATS.join("|")}`, default: "text" },
  "fail-on-warn": { type: "boolean", description: "exit 1 when there are warnings (as conftest does)" },
  ...vsaFlagSpecs,
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
      vsa?.render(report).commit();
      process.stdout.write(out);
      const failed = !report.decision.allow || (bool(p, "fail-on-warn") && report.decision.warn.length > 0);
      return failed ? EXIT_DENY : EXIT_ADMIT;
    }),
});

