// tollgate conform: the interface contracts' conformance probes (seed 003).
//   tollgate conform I<n> ARGS… [--evidence PATH]… [trust flags]     exit 0 PASS, 1 FAIL, 2 could not run
//   tollgate conform all CONFIG.yaml --matrix OUT.md --json OUT.json  the recipient's conformance matrix
import { writeFileSync } from "node:fs";
import { defineCommand } from "citty";
import { EXIT_ADMIT, EXIT_DENY, EXIT_ERROR, TollgateError, usage } from "../../core/errors.ts";
import { decisionTime } from "../../core/time.ts";
import { matrixMarkdown, readMatrixConfig, runMatrix } from "../../conform/matrix.ts";
import { INTERFACE_IDS, INTERFACES, isInterfaceId, runProbe, type ProbeOptions, type ProbeResult } from "../../conform/probes.ts";
import { helpArgs, list, oneOf, parseStrict, runCommand, str, type FlagSpecs } from "../args.ts";
import { identities, registryFlags, registryOptions, trustFlags } from "../common.ts";

const flags: FlagSpecs = {
  evidence: { type: "string", multiple: true, description: "evidence file or directory standing in for what the registry serves", valueHint: "PATH" },
  data: { type: "string", short: "d", multiple: true, description: "data overlay for the gate the probes consult (JSON or YAML)", valueHint: "FILE" },
  workflow: { type: "string", description: "I3: the release workflow (GitHub Actions YAML), to check signing capability is used; I6: the CI workflow that runs the log-contract check", valueHint: "FILE" },
  "previous-contract": { type: "string", description: "I5: the contract's previous version, for the backward-compatibility MUST", valueHint: "FILE" },
  output: { type: "string", short: "o", description: "output format: text|json", default: "text" },
  matrix: { type: "string", description: "conform all: write the Markdown conformance matrix here", valueHint: "OUT.md" },
  json: { type: "string", description: "conform all: write the matrix as JSON here", valueHint: "OUT.json" },
  ...trustFlags,
  ...registryFlags,
};

function renderText(r: ProbeResult): string {
  const lines = [`${r.interface} ${r.name}: ${r.verdict}  (${r.target})`];
  for (const m of r.musts) lines.push(`  ${m.ok ? "PASS" : "FAIL"} ${m.id}: ${m.must}`, `       ${m.reason}`);
  return lines.join("\n") + "\n";
}

export default defineCommand({
  meta: { name: "conform", description: "Conformance probes for interfaces I1-I8: exit 0 PASS, 1 FAIL, 2 could not run" },
  args: helpArgs(flags, { name: "INTERFACE", description: `${INTERFACE_IDS.join("|")} followed by the probe's arguments, or all CONFIG.yaml`, required: true }),
  run: ({ rawArgs }) =>
    runCommand("conform", async () => {
      const p = parseStrict(rawArgs, flags);
      const [which, ...args] = p.positionals;
      const format = oneOf(str(p, "output"), ["text", "json"] as const, "output");
      if (!which) throw usage(`name an interface (${INTERFACE_IDS.join(", ")}) or all`);
      const opts = async (shared?: Awaited<ReturnType<typeof readMatrixConfig>>["shared"]): Promise<ProbeOptions> => {
        const trustedRoot = str(p, "trusted-root") ?? shared?.trustedRoot;
        return {
          time: decisionTime(str(p, "time") ?? shared?.time),
          timeExplicit: (str(p, "time") ?? shared?.time) !== undefined,
          keyFiles: [...list(p, "key"), ...(shared?.keys ?? [])],
          identities: [...identities(p), ...(shared?.identities ?? [])],
          ...(trustedRoot ? { trustedRootFile: trustedRoot } : {}),
          registry: registryOptions(p),
          evidence: list(p, "evidence"),
          dataFiles: [...(shared?.data ?? []), ...list(p, "data")],
          ...(str(p, "workflow") ? { workflow: str(p, "workflow")! } : {}),
          ...(str(p, "previous-contract") ? { previousContract: str(p, "previous-contract")! } : {}),
        };
      };
      if (which === "all") {
        if (args.length !== 1) throw usage("conform all takes one CONFIG.yaml");
        if (!str(p, "matrix") && !str(p, "json")) throw usage("conform all writes --matrix OUT.md and/or --json OUT.json");
        const cfg = await readMatrixConfig(args[0]!);
        const m = await runMatrix(args[0]!, cfg.probes, await opts(cfg.shared), cfg.shared.evidence);
        // Rendered fully before anything is written: nothing half-written.
        const md = matrixMarkdown(m);
        const json = JSON.stringify(m, null, 2) + "\n";
        if (str(p, "matrix")) writeFileSync(str(p, "matrix")!, md);
        if (str(p, "json")) writeFileSync(str(p, "json")!, json);
        for (const r of m.rows) process.stdout.write(`${r.interface} ${r.name}: ${r.verdict}${r.error ? ` (${r.error})` : ""}\n`);
        if (m.rows.some((r) => r.error)) return EXIT_ERROR;
        return m.rows.some((r) => r.verdict === "FAIL") ? EXIT_DENY : EXIT_ADMIT;
      }
      if (!isInterfaceId(which)) throw usage(`unknown interface ${which} (${INTERFACE_IDS.join(", ")}, or all)`);
      if (str(p, "matrix") || str(p, "json")) throw new TollgateError("usage", "--matrix and --json are for conform all");
      const r = await runProbe(which, args, await opts());
      process.stdout.write(format === "json" ? JSON.stringify({ ...r, probe: INTERFACES[which].probe }, null, 2) + "\n" : renderText(r));
      return r.verdict === "PASS" ? EXIT_ADMIT : EXIT_DENY;
    }),
});
