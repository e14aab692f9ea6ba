// tollgate test: conftest-style checks of JSON/YAML configuration against deny/violation/warn rules.
// Exit 0 pass, 1 failures (or warnings with --fail-on-warn), 2 could not evaluate.
import { defineCommand } from "citty";
import { EXIT_ADMIT, EXIT_DENY, usage } from "../../core/errors.ts";
import { stableStringify } from "../../core/input.ts";
import { loadDataOverlays, makeBundleVerifier } from "../../gate/run.ts";
import { PolicyEngine } from "../../policy/evaluator.ts";
import { loadCheckPolicy } from "../../check/policy.ts";
import { readCheckInput, renderCheckText, runChecks, selectRules } from "../../check/run.ts";
import { bool, helpArgs, list, oneOf, parseStrict, runCommand, str, type FlagSpecs } from "../args.ts";
import { bundleTrust, bundleTrustFlags, registryFlags, registryOptions } from "../common.ts";

const flags: FlagSpecs = {
  policy: { type: "string", short: "p", description: "directory of Rego, a built bundle (.tar.gz/.wasm) or oci://HOST/REPO:TAG", default: "policy", valueHint: "PATH" },
  namespace: { type: "string", short: "n", multiple: true, description: "namespace of the rules (default: main)", valueHint: "NS" },
  "all-namespaces": { type: "boolean", description: "evaluate rules in every namespace" },
  data: { type: "string", short: "d", multiple: true, description: "data overlay (JSON or YAML)", valueHint: "FILE" },
  combine: { type: "boolean", description: "evaluate all files together as one input [{path, contents}]" },
  output: { type: "string", short: "o", description: "output format: text|json", default: "text" },
  "fail-on-warn": { type: "boolean", description: "exit 1 when there are warnings" },
  ...bundleTrustFlags,
  ...registryFlags,
};

export default defineCommand({
  meta: { name: "test", description: "conftest-style checks of JSON/YAML files against deny/violation/warn rules" },
  args: helpArgs(flags, { name: "FILE", description: "configuration files (JSON or YAML; - for stdin)", required: true }),
  run: ({ rawArgs }) =>
    runCommand("test", async () => {
      const p = parseStrict(rawArgs, flags);
      const format = oneOf(str(p, "output"), ["text", "json"] as const, "output");
      if (p.positionals.length === 0) throw usage("give at least one FILE to test");
      // A Rego directory is the user's own source, compiled here; a built bundle must verify like any bundle.
      const bundle = await loadCheckPolicy(str(p, "policy")!, await makeBundleVerifier(bundleTrust(p)), registryOptions(p));
      const { overlays } = await loadDataOverlays(list(p, "data"));
      const engine = await PolicyEngine.create(bundle, overlays);
      const namespaces = list(p, "namespace");
      const rules = selectRules(engine, namespaces.length ? namespaces : ["main"], bool(p, "all-namespaces"));
      if (rules.length === 0) throw usage(`no deny, violation or warn rules in namespace(s) ${(namespaces.length ? namespaces : ["main"]).join(", ")} of ${bundle.source} (try --all-namespaces)`);
      const inputs = [];
      for (const f of p.positionals) inputs.push(await readCheckInput(f, () => Bun.stdin.text()));
      const summary = runChecks(engine, rules, inputs, bool(p, "combine"));
      process.stdout.write(format === "json" ? stableStringify(summary, 2) + "\n" : renderCheckText(summary));
      return summary.failures > 0 || (bool(p, "fail-on-warn") && summary.warnings > 0) ? EXIT_DENY : EXIT_ADMIT;
    }),
});
