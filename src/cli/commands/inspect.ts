// tollgate inspect: print the normalized input document exactly as policies will see it.
import { defineCommand } from "citty";
import { EXIT_ADMIT } from "../../core/errors.ts";
import { stableStringify } from "../../core/input.ts";
import { loadDataOverlays, prepareEvidence } from "../../gate/run.ts";
import { helpArgs, list, parseStrict, runCommand, type FlagSpecs } from "../args.ts";
import { evidenceOptions, requirePaths, registryFlags, subjectFlags, trustFlags, inputLimitFlags } from "../common.ts";

const flags: FlagSpecs = {
  data: { type: "string", short: "d", multiple: true, description: "parameters for verification, JSON or YAML", valueHint: "FILE" },
  ...trustFlags,
  ...inputLimitFlags,
  ...subjectFlags,
  ...registryFlags,
};

export default defineCommand({
  meta: { name: "inspect", description: "Print the normalized input document (input v1) for evidence" },
  args: helpArgs(flags, { name: "PATH", description: "evidence files or directories (- for stdin), or oci://HOST/REPO@sha256:HEX images", required: true }),
  run: ({ rawArgs }) =>
    runCommand("inspect", async () => {
      const p = parseStrict(rawArgs, flags);
      const paths = requirePaths(p);
      const { merged } = await loadDataOverlays(list(p, "data"));
      const prepared = await prepareEvidence(paths, await evidenceOptions(p, merged));
      process.stdout.write(stableStringify(prepared.input, 2) + "\n");
      // The document has no place for files that are not evidence; say which were left out.
      for (const s of prepared.collected.skipped) console.error(`SKIP  ${s}: not evidence tollgate recognizes`);
      return EXIT_ADMIT;
    }),
});
