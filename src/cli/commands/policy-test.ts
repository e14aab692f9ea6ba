// tollgate policy-test: conftest verify — run the policy's own unit tests (`test_` rules) and report them as
// `tollgate test` reports checks. Named for what it tests, beside `verify` (evidence) and `test` (configs).
// Exit 0 when every test passes, 1 when one fails, 2 when the tests could not run.
import { defineCommand } from "citty";
import { usage } from "../../core/errors.ts";
import { loadConftestData } from "../../check/data.ts";
import { readConfig, settingsReader, type SettingKinds } from "../../check/config.ts";
import { exitCode } from "../../check/run.ts";
import { render, renderTrace, OUTPUTS, type OutputFormat } from "../../check/output.ts";
import { traceQueries } from "../../check/trace.ts";
import { runPolicyTests } from "../../check/verify.ts";
import { helpArgs, parseStrict, runCommand, type FlagSpecs } from "../args.ts";

const flags: FlagSpecs = {
  policy: { type: "string", short: "p", multiple: true, description: "Rego files or directories (default: policy)", valueHint: "PATH" },
  data: { type: "string", short: "d", multiple: true, description: "data files or directories (.json, .yaml, .yml)", valueHint: "PATH" },
  namespace: { type: "string", short: "n", multiple: true, description: "only the tests of these namespaces; globs allowed (default: all)", valueHint: "NS" },
  output: { type: "string", short: "o", description: `output format: ${OUTPUTS.join(", ")}`, valueHint: "FORMAT" },
  "no-color": { type: "boolean", description: "no colors in stdout output" },
  quiet: { type: "boolean", description: "no output when every test passes" },
  trace: { type: "boolean", description: "write opa's full trace of every test to stderr" },
  report: { type: "string", description: "opa's test report instead of the results: full, notes or fails (stdout output only)", valueHint: "KIND" },
  "var-values": { type: "boolean", description: "show variable values in failing test expressions (implies --report fails)" },
  strict: { type: "boolean", description: "compile Rego in strict mode" },
  "show-builtin-errors": { type: "boolean", description: "accepted for conftest compatibility: a failing built-in is a test error" },
  capabilities: { type: "string", description: "OPA capabilities JSON restricting what the policy may use", valueHint: "FILE" },
  "rego-version": { type: "string", description: "Rego syntax of the policies: v1 (default) or v0", valueHint: "v0|v1" },
  "junit-hide-message": { type: "boolean", description: "JUnit test names without the message" },
  "proto-file-dirs": { type: "string", multiple: true, description: "accepted for conftest compatibility", valueHint: "DIR" },
  "config-file": { type: "string", short: "c", description: "config file (default: conftest.toml, .yaml, .yml or .json here)", valueHint: "FILE" },
};

const VIPER: SettingKinds = {
  policy: "list", data: "list", namespace: "list", output: "string", "no-color": "boolean", quiet: "boolean", trace: "boolean", report: "string",
  "var-values": "boolean", capabilities: "string", "rego-version": "string", "junit-hide-message": "boolean", strict: "boolean",
};

export default defineCommand({
  meta: { name: "policy-test", description: "conftest verify: run the policy's unit tests (test_ rules)" },
  args: helpArgs(flags, { name: "PATH", description: "ignored, as conftest verify ignores it (policies come from -p)" }),
  run: ({ rawArgs }) =>
    runCommand("policy-test", async () => {
      const p = parseStrict(rawArgs, flags);
      // conftest verify takes (and ignores) paths after its flags; so does policy-test.
      const cfg = await readConfig(typeof p.values["config-file"] === "string" ? (p.values["config-file"] as string) : undefined);
      const { get, list, str } = settingsReader(p.values, VIPER, cfg);
      const output = (str("output") ?? "stdout").replace(/^text$/, "stdout");
      if (!(OUTPUTS as readonly string[]).includes(output)) throw usage(`--output must be one of ${OUTPUTS.join(", ")} (got ${output})`);
      let report = str("report");
      if (get("var-values") === true && !report) report = "fails";
      if (report && !["full", "notes", "fails"].includes(report)) report = undefined; // conftest ignores other values
      if (report && output !== "stdout") throw usage("--report is supported with stdout output only");
      const policyPaths = list("policy", ["policy"]);
      const data = await loadConftestData(list("data"));
      const run = await runPolicyTests({
        policy: policyPaths,
        data,
        regoVersion: str("rego-version") ?? "v1",
        ...(str("capabilities") ? { capabilities: str("capabilities")! } : {}),
        namespaces: list("namespace"),
        ...(report ? { report } : {}),
        varValues: get("var-values") === true,
        strict: get("strict") === true,
        trace: get("trace") === true,
      });
      // --trace: opa's trace of every test on stderr, and (as conftest) instead of the results on stdout.
      let trace = "";
      if (get("trace") === true) {
        traceQueries(policyPaths, str("rego-version") ?? "v1", data, run.results.flatMap((r) => r.queries), () => undefined);
        trace = renderTrace(run.results, { noColor: get("no-color") === true });
        process.stderr.write(trace);
      }
      const code = exitCode(run.results, false);
      if (get("quiet") !== true || code !== 0) {
        if (run.report !== undefined) process.stdout.write(run.report);
        else if (trace && output === "stdout") process.stdout.write(trace);
        else process.stdout.write(render(output as OutputFormat, run.results, { noColor: get("no-color") === true, showSkipped: true, junitHideMessage: get("junit-hide-message") === true, sarifExitCode: code }));
      }
      return code;
    }),
});
