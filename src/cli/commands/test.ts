// tollgate test: conftest's `test` — the same flags, config file, semantics, counting, output formats and exit
// codes (0 pass, 1 failures; with --fail-on-warn 1 for warnings and 2 for failures, as conftest). tollgate's
// own exit 2 also means "could not evaluate": an unreadable or unparseable input, a policy that does not
// compile, a built-in that failed.
import { defineCommand } from "citty";
import { usage } from "../../core/errors.ts";
import { decisionTime } from "../../core/time.ts";
import { readUserFile } from "../../core/read.ts";
import type { PolicyBundle } from "../../policy/bundle.ts";
import { loadCheckPolicy } from "../../check/policy.ts";
import { checkContext } from "../../check/context.ts";
import { checkDocument, checkFile, combine, exitCode, expandInputs, selectNamespaces, type CheckResult } from "../../check/run.ts";
import { render, renderTrace, OUTPUTS, type OutputFormat } from "../../check/output.ts";
import { loadConftestData } from "../../check/data.ts";
import { readConfig, settingsReader, type SettingKinds } from "../../check/config.ts";
import { isSupported, parseInput, parserFor, PARSER_NAMES } from "../../check/parsers/index.ts";
import { traceQueries } from "../../check/trace.ts";
import { helpArgs, parseStrict, runCommand, type FlagSpecs, type Parsed } from "../args.ts";
import { bundleTrust, bundleTrustFlags, registryFlags, registryOptions } from "../common.ts";

const flags: FlagSpecs = {
  policy: { type: "string", short: "p", multiple: true, description: "Rego files or directories, or one built bundle (.tar.gz/.wasm or oci://HOST/REPO:TAG) (default: policy)", valueHint: "PATH" },
  namespace: { type: "string", short: "n", multiple: true, description: "namespaces to test; globs (*, ?, [...]) allowed (default: main)", valueHint: "NS" },
  "all-namespaces": { type: "boolean", description: "test the rules of every namespace" },
  data: { type: "string", short: "d", multiple: true, description: "data files or directories (.json, .yaml, .yml), mounted by directory", valueHint: "PATH" },
  combine: { type: "boolean", description: "evaluate all inputs together as one [{path, contents}] document" },
  output: { type: "string", short: "o", description: `output format: ${OUTPUTS.join(", ")}`, valueHint: "FORMAT" },
  "fail-on-warn": { type: "boolean", description: "exit 1 on warnings (and 2 on failures), as conftest" },
  "no-fail": { type: "boolean", description: "exit 0 even when a policy fails" },
  "no-color": { type: "boolean", description: "no colors in stdout output" },
  "suppress-exceptions": { type: "boolean", description: "leave exceptions out of the output" },
  quiet: { type: "boolean", description: "no output when everything passes" },
  trace: { type: "boolean", description: "write opa's evaluation trace of every query to stderr (needs opa)" },
  strict: { type: "boolean", description: "compile Rego in strict mode" },
  "show-builtin-errors": { type: "boolean", description: "accepted for conftest compatibility: a failing built-in always stops the run (exit 2)" },
  ignore: { type: "string", description: "regular expression of paths to skip when walking input directories", valueHint: "REGEX" },
  parser: { type: "string", description: `parse every input with this parser (${PARSER_NAMES.join(", ")})`, valueHint: "NAME" },
  capabilities: { type: "string", description: "OPA capabilities JSON restricting what the policy may use", valueHint: "FILE" },
  "rego-version": { type: "string", description: "Rego syntax of the policies: v1 (default) or v0", valueHint: "v0|v1" },
  "proto-file-dirs": { type: "string", multiple: true, description: "directories of .proto files (for textproto inputs)", valueHint: "DIR" },
  "junit-hide-message": { type: "boolean", description: "JUnit test names without the message" },
  update: { type: "string", short: "u", multiple: true, description: "download policies from an OCI registry into the first -p directory before testing", valueHint: "URL" },
  tls: { type: "boolean", description: "accepted for conftest compatibility (used with --update)" },
  "config-file": { type: "string", short: "c", description: "config file (default: conftest.toml, .yaml, .yml or .json here)", valueHint: "FILE" },
  time: { type: "string", description: "the instant time.now_ns() returns, RFC 3339 (default: now)", valueHint: "RFC3339" },
  "allow-http-send": { type: "boolean", description: "let policies call http.send (refused otherwise)" },
  ...bundleTrustFlags,
  ...registryFlags,
};

// Flags conftest reads through viper (command line, CONFTEST_* environment, config file).
const VIPER: SettingKinds = {
  policy: "list", namespace: "list", "all-namespaces": "boolean", data: "list", combine: "boolean", output: "string", "fail-on-warn": "boolean",
  "no-fail": "boolean", "no-color": "boolean", "suppress-exceptions": "boolean", quiet: "boolean", trace: "boolean", strict: "boolean",
  "show-builtin-errors": "boolean", ignore: "string", parser: "string", capabilities: "string", "rego-version": "string", "proto-file-dirs": "list",
  "junit-hide-message": "boolean", update: "list",
};

export interface TestSettings {
  policy: string[];
  namespace: string[];
  allNamespaces: boolean;
  data: string[];
  combine: boolean;
  output: OutputFormat;
  failOnWarn: boolean;
  noFail: boolean;
  noColor: boolean;
  suppressExceptions: boolean;
  quiet: boolean;
  trace: boolean;
  strict: boolean;
  ignore?: string;
  parser?: string;
  capabilities?: string;
  regoVersion: string;
  protoFileDirs: string[];
  junitHideMessage: boolean;
  update: string[];
}

export async function settings(p: Parsed): Promise<TestSettings> {
  const cfg = await readConfig(typeof p.values["config-file"] === "string" ? (p.values["config-file"] as string) : undefined);
  const { list, bool, str } = settingsReader(p.values, VIPER, cfg);
  const out = str("output") ?? "stdout";
  const output = out === "text" ? "stdout" : out;
  if (!(OUTPUTS as readonly string[]).includes(output)) throw usage(`--output must be one of ${OUTPUTS.join(", ")} (got ${out})`);
  return {
    policy: list("policy", ["policy"]),
    namespace: list("namespace", ["main"]),
    allNamespaces: bool("all-namespaces"),
    data: list("data"),
    combine: bool("combine"),
    output: output as OutputFormat,
    failOnWarn: bool("fail-on-warn"),
    noFail: bool("no-fail"),
    noColor: bool("no-color"),
    suppressExceptions: bool("suppress-exceptions"),
    quiet: bool("quiet"),
    trace: bool("trace"),
    strict: bool("strict"),
    ...(str("ignore") ? { ignore: str("ignore")! } : {}),
    ...(str("parser") ? { parser: str("parser")! } : {}),
    ...(str("capabilities") ? { capabilities: str("capabilities")! } : {}),
    regoVersion: str("rego-version") ?? "v1",
    protoFileDirs: list("proto-file-dirs"),
    junitHideMessage: bool("junit-hide-message"),
    update: list("update"),
  };
}

/** A built bundle is verified like any bundle; the verifier (and the gate pipeline it lives in) loads only then. */
function verifyLazily(p: Parsed): (b: PolicyBundle) => Promise<void> {
  return async (b) => (await (await import("../../gate/run.ts")).makeBundleVerifier(bundleTrust(p)))(b);
}

export default defineCommand({
  meta: { name: "test", description: "conftest test: check configuration files against deny/violation/warn rules" },
  args: helpArgs(flags, { name: "PATH", description: "files or directories to test (- for stdin)", required: true }),
  run: ({ rawArgs }) =>
    runCommand("test", async () => {
      const p = parseStrict(rawArgs, flags);
      if (p.positionals.length === 0) throw usage("give at least one file or directory to test (- for stdin)");
      const s = await settings(p);
      // conftest downloads --update policies into the first -p directory before anything else
      if (s.update.length) await (await import("../../check/update.ts")).updatePolicies(s.policy[0] ?? "policy", s.update, registryOptions(p));
      const now = decisionTime(typeof p.values.time === "string" ? (p.values.time as string) : undefined);

      // Inputs first, as conftest does: an unknown format is an error before any policy is compiled.
      const files = expandInputs(p.positionals, s.ignore, isSupported);
      const configs: { path: string; config: unknown }[] = [];
      for (const f of files) {
        await parserFor(f, s.parser);
        const bytes = f === "-" ? new Uint8Array(await Bun.stdin.arrayBuffer()) : await readUserFile(f, "file");
        configs.push({ path: f, config: await parseInput(bytes, f, { ...(s.parser ? { parser: s.parser } : {}), protoFileDirs: s.protoFileDirs }) });
      }

      const policy = await loadCheckPolicy(s.policy, { regoVersion: s.regoVersion, strict: s.strict, ...(s.capabilities ? { capabilities: s.capabilities } : {}) }, verifyLazily(p), registryOptions(p));
      const data = await loadConftestData(s.data);
      const ctx = await checkContext(policy, data, s.data.join(", ") || "data", { now, allowHttp: p.values["allow-http-send"] === true, runtime: { env: { ...process.env }, version: "", commit: "" } });

      const namespaces = selectNamespaces(policy.namespaces, s.namespace, s.allNamespaces);
      const results: CheckResult[] = [];
      for (const ns of namespaces) {
        if (s.combine) results.push(await checkDocument(ctx, "Combined", combine(configs), ns));
        else for (const c of configs) results.push(await checkFile(ctx, c.path, c.config, ns));
      }

      const code = exitCode(results, s.failOnWarn);
      // --trace: the trace on stderr, and (as conftest) instead of the results on stdout when the format is stdout.
      let trace = "";
      if (s.trace) {
        traceQueries(s.policy, s.regoVersion, data, results.flatMap((r) => r.queries), (q) => q.input);
        trace = renderTrace(results, { noColor: s.noColor });
        process.stderr.write(trace);
      }
      if (!s.quiet || code !== 0) {
        if (s.trace && s.output === "stdout") process.stdout.write(trace);
        else process.stdout.write(render(s.output, results, { noColor: s.noColor, suppressExceptions: s.suppressExceptions, junitHideMessage: s.junitHideMessage, sarifExitCode: exitCode(results, false) }));
        if (s.noFail) return 0;
      }
      return code;
    }),
});
