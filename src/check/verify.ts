// `tollgate policy-test`: conftest verify — the policy's own unit tests (`test_` rules; `todo_test_` are
// skipped), run by opa test on exactly what conftest loads (the .rego files of -p, the .json/.yaml data of -d),
// reported in conftest's shapes: one result per test, named `<package>.<test>`, filed under its source file.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { nodeOs } from "../core/lazy.ts";
import { join } from "node:path";
import { TollgateError } from "../core/errors.ts";
import { checkContext } from "./context.ts";
import { compileCheckPolicy, opaErrors, readRegoModules, USES_CONFTEST_BUILTINS, type ReadText, type RegoModules } from "./policy.ts";
import { evaluate, globMatch, type CheckResult } from "./run.ts";

export interface VerifyOptions {
  policy: string[];
  data: Record<string, unknown>;
  regoVersion: string;
  capabilities?: string;
  namespaces: string[];
  strict?: boolean;
  /** conftest's --report (full|notes|fails): opa's own verbose report instead of the results. */
  report?: string;
  varValues?: boolean;
  /** --trace was asked for (opa's trace, which needs opa test). */
  trace?: boolean;
  /** How each .rego file is read, once (default: from disk). */
  read?: ReadText;
}

interface OpaTestResult {
  location: { file: string; row: number; col: number };
  package: string;
  name: string;
  fail?: boolean;
  skip?: boolean;
  error?: { message?: string; code?: string } | string;
}

export interface VerifyRun {
  results: CheckResult[];
  /** opa's pretty report, when --report was asked for. */
  report?: string;
}

export async function runPolicyTests(o: VerifyOptions): Promise<VerifyRun> {
  // The set-up `tollgate test` uses: each .rego read once, its text passed down.
  const modules = readRegoModules(o.policy, o.regoVersion, o.read);
  const { files, opa, regoVersion } = modules;
  if (modules.sources.some((s) => USES_CONFTEST_BUILTINS.test(s))) return runWasmTests(o, modules);
  const tmp = mkdtempSync(join(nodeOs().tmpdir(), "tollgate-policy-test-"));
  try {
    // The .rego files themselves (never their directories), so opa test loads exactly these modules and no
    // data files beside them.
    const flags = [...(regoVersion.toLowerCase() === "v0" ? ["--v0-compatible"] : []), ...(o.capabilities ? ["--capabilities", o.capabilities] : [])];
    const args = [opa, "test", ...flags];
    if (Object.keys(o.data).length) {
      writeFileSync(join(tmp, "data.json"), JSON.stringify(o.data));
      args.push(join(tmp, "data.json"));
    }
    args.push(...files);
    if (o.strict) {
      const errs = opaErrors(opa, [...flags, "--strict"], files);
      if (errs) throw new TollgateError("policy_invalid", errs);
    }
    const json = Bun.spawnSync([...args, "--format", "json"], { stdout: "pipe", stderr: "pipe" });
    const out = json.stdout.toString();
    let parsed: OpaTestResult[];
    try {
      if (!out.trim() && json.exitCode !== 0) throw new Error("no results");
      parsed = JSON.parse(out || "[]") as OpaTestResult[];
    } catch {
      // Not JSON: the modules did not compile (opa prints the errors); one line per error.
      const text = (json.stderr.toString() + out).trim();
      throw new TollgateError("policy_invalid", text.replace(/\n\t/g, " ").split("\n").filter(Boolean).join("\n") || "opa test failed");
    }
    const allowed = (pkg: string) => !o.namespaces.length || o.namespaces.some((p) => globMatch(p, pkg.replace(/^data\./, "")));
    parsed = parsed.filter((r) => allowed(r.package));
    for (const r of parsed) {
      if (r.error) {
        const msg = typeof r.error === "string" ? r.error : (r.error.message ?? JSON.stringify(r.error));
        throw new TollgateError("policy_invalid", `run test: ${r.package}.${r.name}: ${msg}`, r.location.file);
      }
    }
    parsed.sort((a, b) => (a.location.file < b.location.file ? -1 : a.location.file > b.location.file ? 1 : a.location.row - b.location.row));
    const results = parsed.map((r): CheckResult => {
      const msg = { msg: `${r.package}.${r.name}` };
      return {
        filename: r.location.file,
        namespace: "",
        successes: r.fail || r.skip ? 0 : 1,
        failures: r.fail ? [msg] : [],
        warnings: [],
        exceptions: [],
        ...(r.skip ? { skipped: [msg] } : {}),
        queries: [{ query: r.name, results: [msg.msg && (r.fail || r.skip) ? msg : { msg: "" }], traces: [], outputs: [], ref: `${r.package}.${r.name}` }],
      };
    });
    if (!o.report) return { results };
    const runFilter = parsed.length && o.namespaces.length ? ["--run", parsed.map((r) => `^${r.package}\\.${r.name}$`).join("|")] : [];
    // conftest's "full" is every trace event: opa's debug level
    const explain = o.report === "full" ? "debug" : o.report;
    const pretty = Bun.spawnSync([...args, "-v", "--explain", explain, ...(o.varValues ? ["--var-values"] : []), ...runFilter], { stdout: "pipe", stderr: "pipe" });
    const text = new Map(files.map((f, i) => [f, modules.sources[i]!]));
    return { results, report: withFailureLines(pretty.stdout.toString(), (f) => text.get(f)) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Tests that call conftest's own built-ins (parse_config, parse_config_file, parse_combined_config_files),
 * which opa test does not know: the test_ rules are compiled to WASM with those built-ins declared, as
 * `tollgate test` compiles deny rules, and each is evaluated with the host answering them through tollgate's
 * parsers (parse_config_file paths relative to the policy file, as in conftest). A test passes when its rule
 * is defined and not false, as in opa test. opa's trace and report need opa test, so --report is refused here.
 */
async function runWasmTests(o: VerifyOptions, modules: RegoModules): Promise<VerifyRun> {
  if (o.report || o.trace) throw new TollgateError("unsupported", `--${o.report ? "report" : "trace"} needs opa test, which does not know conftest's parse_config built-ins these tests call: run without it`, o.policy.join(", "));
  const policy = await compileCheckPolicy(modules, { tests: true, ...(o.strict ? { strict: true } : {}), ...(o.capabilities ? { capabilities: o.capabilities } : {}) });
  const allowed = (ns: string) => !o.namespaces.length || o.namespaces.some((p) => globMatch(p, ns));
  const tests = policy.tests.filter((t) => allowed(t.namespace));
  const ctx = await checkContext(policy, o.data, "data", { now: new Date() });
  const results: CheckResult[] = [];
  for (const t of [...tests].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.row - b.row))) {
    const ref = `data.${t.namespace}.${t.name}`;
    const skip = t.name.startsWith("todo_test_");
    // Where the test is, as opa test says it: the evaluator's message alone names no file.
    const value = !skip && ctx.engine ? (await evaluate(ctx, t.namespace, t.name, {}, `${t.file}:${t.row}: ${ref}`)).value : undefined;
    const fail = !skip && (value === undefined || value === false);
    const msg = { msg: ref };
    results.push({
      filename: t.file,
      namespace: "",
      successes: fail || skip ? 0 : 1,
      failures: fail ? [msg] : [],
      warnings: [],
      exceptions: [],
      ...(skip ? { skipped: [msg] } : {}),
      queries: [{ query: t.name, results: [fail || skip ? msg : { msg: "" }], traces: [], outputs: [], ref }],
    });
  }
  return { results };
}

/**
 * conftest's report is opa's PrettyReporter with FailureLine on, which `opa test` leaves off: after each failed
 * test's trace, the location and source text of the test-body expression that failed (the last event one
 * level inside the test).
 */
function withFailureLines(report: string, textOf: (file: string) => string | undefined): string {
  const lines = report.split("\n");
  const out: string[] = [];
  let failures = false;
  let last: { file: string; row: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === "FAILURES") failures = true;
    const ev = /^  (\S+):(\d+)\s+\| \| Fail /.exec(l);
    if (ev) last = { file: ev[1]!, row: Number(ev[2]) };
    out.push(l);
    // the end of one failed test's trace
    if (failures && l.startsWith("  ") && lines[i + 1] === "") {
      if (last) {
        const text = textOf(last.file)?.split("\n")[last.row - 1]?.trim() ?? "";
        out.push("", `  ${last.file}:${last.row}:`, `    \t${text}`);
      }
      out.push("");
      last = undefined;
    }
  }
  return out.join("\n");
}
